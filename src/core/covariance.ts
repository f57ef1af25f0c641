/**
 * Covariance types and the Gaussian parameter estimates of the M-step, computed from merged
 * {@link MixtureStats} (Bishop 2006, eq. 9.24–9.27; scikit-learn's `_estimate_gaussian_parameters`).
 *
 * Shapes (row-major Float64Array), K components, d features:
 * - full:      K·d·d (one d×d matrix per component)
 * - tied:      d·d   (one matrix shared by all components)
 * - diag:      K·d   (one diagonal per component)
 * - spherical: K     (one variance per component)
 */
import { assertUnreachable, DegenerateFitError } from "./errors.js";
import { choleskyLower, invLowerTransposed, multiplyByTranspose } from "./matrix.js";
import {
  type MixtureStats,
  type MomentKind,
  STATS_N,
  statsOffsetQ,
  statsOffsetS,
} from "./stats.js";

export type CovarianceType = "full" | "tied" | "diag" | "spherical";
export const COVARIANCE_TYPES: readonly CovarianceType[] = ["full", "tied", "diag", "spherical"];

/** The second moments a covariance type needs. */
export function momentKindOf(type: CovarianceType): MomentKind {
  return type === "full" || type === "tied" ? "full" : "diag";
}

/** Length of the covariance (and precision, precision-Cholesky) array for a type. */
export function covarianceLength(type: CovarianceType, k: number, d: number): number {
  switch (type) {
    case "full":
      return k * d * d;
    case "tied":
      return d * d;
    case "diag":
      return k * d;
    case "spherical":
      return k;
    default:
      return assertUnreachable(type);
  }
}

/** Shape of a covariance array as scikit-learn reports it, for messages and serialisation. */
export function covarianceShape(type: CovarianceType, k: number, d: number): number[] {
  switch (type) {
    case "full":
      return [k, d, d];
    case "tied":
      return [d, d];
    case "diag":
      return [k, d];
    case "spherical":
      return [k];
    default:
      return assertUnreachable(type);
  }
}

/** 10·ε added to every N_k, as scikit-learn does, so empty components do not divide by zero. */
export const NK_EPS = 10 * Number.EPSILON;

/** Result of {@link estimateGaussianParameters}. */
export interface GaussianEstimate {
  /** N_k + 10ε, length K. */
  nk: Float64Array;
  /** Component means, K·d. */
  means: Float64Array;
  /** Covariances with `regCovar` added to the diagonal, shape per type. */
  covariances: Float64Array;
}

/**
 * Means and covariances from merged statistics (scikit-learn's `_estimate_gaussian_parameters`):
 *
 *   μ_k = c_k + S_k / n_k,   n_k = N_k + 10ε
 *   full:      Σ_k = (Q_k − S_k m_kᵀ − m_k S_kᵀ + N_k m_k m_kᵀ) / n_k + reg·I,  m_k = μ_k − c_k
 *   tied:      Σ   = Σ_k (Q_k − N_k... ) / Σ_k n_k + reg·I   (the same centred sums, pooled)
 *   diag:      σ²_kj = (Q_kj − 2 m_kj S_kj + N_k m_kj²) / n_k + reg
 *   spherical: σ²_k = mean_j σ²_kj
 *
 * Centring about each component's shift c_k (its previous mean, so m_k is a small correction) is
 * algebraically what scikit-learn computes; it avoids the cancellation of its raw-moment form for
 * diag/tied when |mean| ≫ std.
 */
export function estimateGaussianParameters(
  stats: MixtureStats,
  regCovar: number,
  type: CovarianceType,
): GaussianEstimate {
  const K = stats.nComponents;
  const d = stats.nFeatures;
  const buf = stats.buffer;
  const oS = statsOffsetS(K);
  const oQ = statsOffsetQ(K, d);
  const c = stats.shift;
  const nk = new Float64Array(K);
  const means = new Float64Array(K * d);
  const m = new Float64Array(K * d); // means − shifts
  for (let k = 0; k < K; k++) {
    const n = buf[STATS_N + k]! + NK_EPS;
    nk[k] = n;
    for (let j = 0; j < d; j++) {
      const mk = buf[oS + k * d + j]! / n;
      m[k * d + j] = mk;
      means[k * d + j] = c[k * d + j]! + mk;
    }
  }
  const covariances = new Float64Array(covarianceLength(type, K, d));
  switch (type) {
    case "full":
    case "tied": {
      let total = 0;
      for (let k = 0; k < K; k++) {
        const N = buf[STATS_N + k]!;
        const dst = type === "full" ? k * d * d : 0;
        for (let i = 0; i < d; i++) {
          const mi = m[k * d + i]!;
          const si = buf[oS + k * d + i]!;
          for (let j = 0; j < d; j++) {
            const mj = m[k * d + j]!;
            const sj = buf[oS + k * d + j]!;
            const centred = buf[oQ + k * d * d + i * d + j]! - si * mj - mi * sj + N * mi * mj;
            if (type === "full") covariances[dst + i * d + j] = centred / nk[k]!;
            else covariances[i * d + j]! += centred;
          }
        }
        total += nk[k]!;
      }
      if (type === "full") {
        for (let k = 0; k < K; k++)
          for (let j = 0; j < d; j++) covariances[k * d * d + j * d + j]! += regCovar;
      } else {
        for (let i = 0; i < d * d; i++) covariances[i]! /= total;
        for (let j = 0; j < d; j++) covariances[j * d + j]! += regCovar;
      }
      break;
    }
    case "diag":
    case "spherical": {
      for (let k = 0; k < K; k++) {
        const N = buf[STATS_N + k]!;
        let acc = 0;
        for (let j = 0; j < d; j++) {
          const mj = m[k * d + j]!;
          const v =
            (buf[oQ + k * d + j]! - 2 * mj * buf[oS + k * d + j]! + N * mj * mj) / nk[k]! +
            regCovar;
          if (type === "diag") covariances[k * d + j] = v;
          else acc += v;
        }
        if (type === "spherical") covariances[k] = acc / d;
      }
      break;
    }
    default:
      assertUnreachable(type);
  }
  return { nk, means, covariances };
}

/**
 * scikit-learn's message for a covariance that is not positive definite, with where it happened.
 */
export function degenerateCovarianceMessage(component: number | null, regCovar: number): string {
  const where = component === null ? "the shared (tied) covariance" : `component ${component}`;
  return (
    `Fitting the mixture model failed because ${where} has an ill-defined empirical covariance ` +
    "(for instance caused by singleton or collapsed samples). Try to decrease nComponents, " +
    `or increase regCovar (currently ${regCovar}).`
  );
}

/**
 * Precision Cholesky factors P with Σ⁻¹ = P Pᵀ (scikit-learn's `precisions_cholesky_`): for
 * full/tied P = (L⁻¹)ᵀ where Σ = L Lᵀ (upper triangular); for diag/spherical 1/√σ².
 * @throws DegenerateFitError when a covariance is not positive definite.
 */
export function computePrecisionCholesky(
  covariances: Float64Array,
  type: CovarianceType,
  k: number,
  d: number,
  regCovar: number,
): Float64Array {
  const out = new Float64Array(covariances.length);
  switch (type) {
    case "full":
    case "tied": {
      const blocks = type === "full" ? k : 1;
      const work = Float64Array.from(covariances);
      for (let b = 0; b < blocks; b++) {
        if (!choleskyLower(work, b * d * d, d)) {
          throw new DegenerateFitError(
            degenerateCovarianceMessage(type === "full" ? b : null, regCovar),
          );
        }
        invLowerTransposed(work, b * d * d, d, out, b * d * d);
      }
      break;
    }
    case "diag":
    case "spherical":
      for (let i = 0; i < covariances.length; i++) {
        const v = covariances[i]!;
        if (!(v > 0)) {
          const comp = type === "diag" ? Math.floor(i / d) : i;
          throw new DegenerateFitError(degenerateCovarianceMessage(comp, regCovar));
        }
        out[i] = 1 / Math.sqrt(v);
      }
      break;
    default:
      assertUnreachable(type);
  }
  return out;
}

/** Precisions from precision Cholesky factors: P Pᵀ (full, tied) or P² (diag, spherical). */
export function precisionsFromCholesky(
  precChol: Float64Array,
  type: CovarianceType,
  k: number,
  d: number,
): Float64Array {
  const out = new Float64Array(precChol.length);
  if (type === "full" || type === "tied") {
    const blocks = type === "full" ? k : 1;
    for (let b = 0; b < blocks; b++) multiplyByTranspose(precChol, b * d * d, d, out, b * d * d);
  } else {
    for (let i = 0; i < precChol.length; i++) out[i] = precChol[i]! * precChol[i]!;
  }
  return out;
}

/**
 * log det P per component (length K; for tied the one value repeated): the sum of the logs of
 * the diagonal of each factor (scikit-learn's `_compute_log_det_cholesky`; for spherical d·log P).
 */
export function logDetCholesky(
  precChol: Float64Array,
  type: CovarianceType,
  k: number,
  d: number,
): Float64Array {
  const out = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let s = 0;
    switch (type) {
      case "full":
        for (let j = 0; j < d; j++) s += Math.log(precChol[c * d * d + j * d + j]!);
        break;
      case "tied":
        for (let j = 0; j < d; j++) s += Math.log(precChol[j * d + j]!);
        break;
      case "diag":
        for (let j = 0; j < d; j++) s += Math.log(precChol[c * d + j]!);
        break;
      case "spherical":
        s = d * Math.log(precChol[c]!);
        break;
      default:
        assertUnreachable(type);
    }
    out[c] = s;
  }
  return out;
}

/** Number of free parameters (scikit-learn's `_n_parameters`), for BIC and AIC. */
export function countParameters(type: CovarianceType, k: number, d: number): number {
  let cov: number;
  switch (type) {
    case "full":
      cov = (k * d * (d + 1)) / 2;
      break;
    case "tied":
      cov = (d * (d + 1)) / 2;
      break;
    case "diag":
      cov = k * d;
      break;
    case "spherical":
      cov = k;
      break;
    default:
      return assertUnreachable(type);
  }
  return cov + k * d + k - 1;
}

/**
 * Factors for drawing samples: lower Cholesky L of each covariance (full, tied; Σ = L Lᵀ) or the
 * standard deviations (diag, spherical).
 * @throws DegenerateFitError when a covariance is not positive definite.
 */
export function choleskyFactorsForSampling(
  covariances: Float64Array,
  type: CovarianceType,
  k: number,
  d: number,
): Float64Array {
  const out = Float64Array.from(covariances);
  if (type === "full" || type === "tied") {
    const blocks = type === "full" ? k : 1;
    for (let b = 0; b < blocks; b++) {
      if (!choleskyLower(out, b * d * d, d)) {
        throw new DegenerateFitError(
          `sample: the covariance of ${type === "full" ? `component ${b}` : "the tied model"} is not positive definite.`,
        );
      }
    }
  } else {
    for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(out[i]!);
  }
  return out;
}
