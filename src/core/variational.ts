/**
 * The variational-Bayes M-step, expected log weights and lower bound of a Gaussian mixture with a
 * Dirichlet-process (stick-breaking) or Dirichlet-distribution prior on the weights and a
 * Gaussian–Wishart prior on each component (Bishop 2006 §10.2; Blei & Jordan 2006), in the
 * parametrisation of scikit-learn's `BayesianGaussianMixture`, computed from merged statistics.
 */
import {
  type CovarianceType,
  computePrecisionCholesky,
  estimateGaussianParameters,
  logDetCholesky,
} from "./covariance.js";
import { assertUnreachable } from "./errors.js";
import { betaln, digamma, gammaln } from "./special.js";
import type { MixtureStats } from "./stats.js";
import { type ComponentTerms, HALF_LOG_2PI } from "./terms.js";

export type WeightConcentrationPriorType = "dirichlet_process" | "dirichlet_distribution";

/** Resolved priors (scikit-learn's attributes ending in `_prior_`). */
export interface VariationalPriors {
  weightConcentrationPriorType: WeightConcentrationPriorType;
  /** γ₀ (dirichlet_process) or α₀ (dirichlet_distribution); default 1/K. */
  weightConcentrationPrior: number;
  /** β₀; default 1. */
  meanPrecisionPrior: number;
  /** m₀, length d; default the data mean. */
  meanPrior: Float64Array;
  /** ν₀ > d − 1; default d. */
  degreesOfFreedomPrior: number;
  /** W₀⁻¹: d·d (full, tied), d (diag), 1 (spherical); default the data covariance (ddof 1). */
  covariancePrior: Float64Array;
}

/** The variational posterior's parameters. */
export interface VariationalState {
  /**
   * dirichlet_process: the Beta parameters of the sticks, `[a (K), b (K)]` concatenated (length 2K);
   * dirichlet_distribution: the Dirichlet parameters (length K).
   */
  weightConcentration: Float64Array;
  /** β_k, length K. */
  meanPrecision: Float64Array;
  /** m_k, K·d. */
  means: Float64Array;
  /** ν_k, length K (tied: length 1). */
  degreesOfFreedom: Float64Array;
  /** W_k⁻¹ / ν_k, shape per covariance type. */
  covariances: Float64Array;
  /** Cholesky factors of ν_k W_k, shape per covariance type. */
  precisionsCholesky: Float64Array;
}

/**
 * The VB M-step (scikit-learn's `_estimate_weights`, `_estimate_means`, `_estimate_precisions`),
 * also used to initialise from the statistics of initial responsibilities.
 *
 *   dirichlet_process:      a_k = 1 + N_k,  b_k = γ₀ + Σ_{j>k} N_j
 *   dirichlet_distribution: α_k = α₀ + N_k
 *   β_k = β₀ + N_k,  m_k = (β₀ m₀ + N_k x̄_k) / β_k,  ν_k = ν₀ + N_k
 *   W_k⁻¹ = W₀⁻¹ + N_k S_k + (β₀ N_k / β_k)(x̄_k − m₀)(x̄_k − m₀)ᵀ   (Bishop eq. 10.62)
 *
 * with N_k, x̄_k, S_k the (regularised) Gaussian estimates of {@link estimateGaussianParameters}.
 */
export function variationalMStep(
  stats: MixtureStats,
  priors: VariationalPriors,
  regCovar: number,
  type: CovarianceType,
): VariationalState {
  const K = stats.nComponents;
  const d = stats.nFeatures;
  const { nk, means: xk, covariances: sk } = estimateGaussianParameters(stats, regCovar, type);

  let weightConcentration: Float64Array;
  switch (priors.weightConcentrationPriorType) {
    case "dirichlet_process": {
      weightConcentration = new Float64Array(2 * K);
      // b_k = γ₀ + Σ_{j>k} N_j, accumulated from the end as scikit-learn's reversed cumsum does.
      let tail = 0;
      for (let k = K - 1; k >= 0; k--) {
        weightConcentration[k] = 1 + nk[k]!;
        weightConcentration[K + k] = priors.weightConcentrationPrior + tail;
        tail += nk[k]!;
      }
      break;
    }
    case "dirichlet_distribution":
      weightConcentration = new Float64Array(K);
      for (let k = 0; k < K; k++) weightConcentration[k] = priors.weightConcentrationPrior + nk[k]!;
      break;
    default:
      return assertUnreachable(priors.weightConcentrationPriorType);
  }

  const beta0 = priors.meanPrecisionPrior;
  const m0 = priors.meanPrior;
  const meanPrecision = new Float64Array(K);
  const means = new Float64Array(K * d);
  for (let k = 0; k < K; k++) {
    const bk = beta0 + nk[k]!;
    meanPrecision[k] = bk;
    for (let j = 0; j < d; j++) means[k * d + j] = (beta0 * m0[j]! + nk[k]! * xk[k * d + j]!) / bk;
  }

  const nu0 = priors.degreesOfFreedomPrior;
  const W0inv = priors.covariancePrior;
  const covariances = new Float64Array(sk.length);
  let degreesOfFreedom: Float64Array;
  switch (type) {
    case "full": {
      degreesOfFreedom = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        const nu = nu0 + nk[k]!;
        degreesOfFreedom[k] = nu;
        const coef = (nk[k]! * beta0) / meanPrecision[k]!;
        for (let i = 0; i < d; i++) {
          const di = xk[k * d + i]! - m0[i]!;
          for (let j = 0; j < d; j++) {
            const dj = xk[k * d + j]! - m0[j]!;
            const o = k * d * d + i * d + j;
            covariances[o] = (W0inv[i * d + j]! + nk[k]! * sk[o]! + coef * di * dj) / nu;
          }
        }
      }
      break;
    }
    case "tied": {
      let nsum = 0;
      for (let k = 0; k < K; k++) nsum += nk[k]!;
      const nu = nu0 + nsum / K;
      degreesOfFreedom = Float64Array.of(nu);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          let outer = 0;
          for (let k = 0; k < K; k++) {
            outer +=
              (nk[k]! / meanPrecision[k]!) * (xk[k * d + i]! - m0[i]!) * (xk[k * d + j]! - m0[j]!);
          }
          covariances[i * d + j] =
            (W0inv[i * d + j]! + (sk[i * d + j]! * nsum) / K + (beta0 / K) * outer) / nu;
        }
      }
      break;
    }
    case "diag": {
      degreesOfFreedom = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        const nu = nu0 + nk[k]!;
        degreesOfFreedom[k] = nu;
        const coef = beta0 / meanPrecision[k]!;
        for (let j = 0; j < d; j++) {
          const dj = xk[k * d + j]! - m0[j]!;
          covariances[k * d + j] = (W0inv[j]! + nk[k]! * (sk[k * d + j]! + coef * dj * dj)) / nu;
        }
      }
      break;
    }
    case "spherical": {
      degreesOfFreedom = new Float64Array(K);
      for (let k = 0; k < K; k++) {
        const nu = nu0 + nk[k]!;
        degreesOfFreedom[k] = nu;
        let sq = 0;
        for (let j = 0; j < d; j++) {
          const dj = xk[k * d + j]! - m0[j]!;
          sq += dj * dj;
        }
        covariances[k] =
          (W0inv[0]! + nk[k]! * (sk[k]! + (beta0 / meanPrecision[k]!) * (sq / d))) / nu;
      }
      break;
    }
    default:
      return assertUnreachable(type);
  }
  const precisionsCholesky = computePrecisionCholesky(covariances, type, K, d, regCovar);
  return {
    weightConcentration,
    meanPrecision,
    means,
    degreesOfFreedom,
    covariances,
    precisionsCholesky,
  };
}

/**
 * E[log π_k] (scikit-learn's `_estimate_log_weights`):
 * dirichlet_process: ψ(a_k) − ψ(a_k + b_k) + Σ_{j<k} [ψ(b_j) − ψ(a_j + b_j)];
 * dirichlet_distribution: ψ(α_k) − ψ(Σ_j α_j).
 */
export function expectedLogWeights(
  state: VariationalState,
  priorType: WeightConcentrationPriorType,
  k: number,
): Float64Array {
  const wc = state.weightConcentration;
  const out = new Float64Array(k);
  if (priorType === "dirichlet_process") {
    let acc = 0;
    for (let c = 0; c < k; c++) {
      const dsum = digamma(wc[c]! + wc[k + c]!);
      out[c] = digamma(wc[c]!) - dsum + acc;
      acc += digamma(wc[k + c]!) - dsum;
    }
  } else {
    let total = 0;
    for (let c = 0; c < k; c++) total += wc[c]!;
    const dt = digamma(total);
    for (let c = 0; c < k; c++) out[c] = digamma(wc[c]!) - dt;
  }
  return out;
}

/** ν of component c (tied: the shared one). */
function dofOf(state: VariationalState, c: number): number {
  return state.degreesOfFreedom.length === 1
    ? state.degreesOfFreedom[0]!
    : state.degreesOfFreedom[c]!;
}

/**
 * The E-step constants of the variational model (scikit-learn's `_estimate_log_prob` plus
 * `_estimate_log_weights`):
 *
 *   logConst_k = E[log π_k] − ½ d log 2π + log det P_k − ½ d log ν_k
 *              + ½ (d log 2 + Σ_{i<d} ψ((ν_k − i)/2) − d/β_k)
 */
export function variationalTerms(
  state: VariationalState,
  priorType: WeightConcentrationPriorType,
  type: CovarianceType,
  k: number,
  d: number,
): ComponentTerms {
  const logW = expectedLogWeights(state, priorType, k);
  const logDet = logDetCholesky(state.precisionsCholesky, type, k, d);
  const logConst = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const nu = dofOf(state, c);
    let logLambda = d * Math.LN2;
    for (let i = 0; i < d; i++) logLambda += digamma(0.5 * (nu - i));
    logConst[c] =
      logW[c]! -
      d * HALF_LOG_2PI +
      logDet[c]! -
      0.5 * d * Math.log(nu) +
      0.5 * (logLambda - d / state.meanPrecision[c]!);
  }
  return {
    nComponents: k,
    nFeatures: d,
    covarianceType: type,
    logConst,
    means: state.means,
    precChol: state.precisionsCholesky,
  };
}

/** log B(W, ν) of the Wishart normaliser (scikit-learn's `_log_wishart_norm`), per component. */
function logWishartNorm(nu: number, logDetPrecChol: number, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += gammaln(0.5 * (nu - i));
  return -(nu * logDetPrecChol + nu * d * 0.5 * Math.LN2 + s);
}

/**
 * The variational lower bound as scikit-learn computes it (`_compute_lower_bound`, summed over
 * rows, up to a constant): −Σ r log r − Σ_k log B(W_k, ν_k) − log C(weights) − ½ d Σ_k log β_k.
 *
 * @param entropySum - Σ_i w_i Σ_k r_ik log r_ik from the statistics of the E-step.
 */
export function variationalLowerBound(
  state: VariationalState,
  priorType: WeightConcentrationPriorType,
  type: CovarianceType,
  k: number,
  d: number,
  entropySum: number,
): number {
  const logDet = logDetCholesky(state.precisionsCholesky, type, k, d);
  let logWishart = 0;
  if (type === "tied") {
    const nu = state.degreesOfFreedom[0]!;
    logWishart = k * logWishartNorm(nu, logDet[0]! - 0.5 * d * Math.log(nu), d);
  } else {
    for (let c = 0; c < k; c++) {
      const nu = state.degreesOfFreedom[c]!;
      logWishart += logWishartNorm(nu, logDet[c]! - 0.5 * d * Math.log(nu), d);
    }
  }
  const wc = state.weightConcentration;
  let logNormWeight: number;
  if (priorType === "dirichlet_process") {
    logNormWeight = 0;
    for (let c = 0; c < k; c++) logNormWeight -= betaln(wc[c]!, wc[k + c]!);
  } else {
    let total = 0;
    let lg = 0;
    for (let c = 0; c < k; c++) {
      total += wc[c]!;
      lg += gammaln(wc[c]!);
    }
    logNormWeight = gammaln(total) - lg;
  }
  let logBeta = 0;
  for (let c = 0; c < k; c++) logBeta += Math.log(state.meanPrecision[c]!);
  return -entropySum - logWishart - logNormWeight - 0.5 * d * logBeta;
}

/**
 * Point-estimate mixture weights from the variational posterior (scikit-learn's `weights_`):
 * dirichlet_process: E[π_k] of the stick-breaking construction, normalised;
 * dirichlet_distribution: α_k / Σ α.
 */
export function variationalWeights(
  state: VariationalState,
  priorType: WeightConcentrationPriorType,
  k: number,
): Float64Array {
  const wc = state.weightConcentration;
  const out = new Float64Array(k);
  let sum = 0;
  if (priorType === "dirichlet_process") {
    let stick = 1;
    for (let c = 0; c < k; c++) {
      const total = wc[c]! + wc[k + c]!;
      out[c] = (wc[c]! / total) * stick;
      stick *= wc[k + c]! / total;
      sum += out[c]!;
    }
  } else {
    for (let c = 0; c < k; c++) sum += wc[c]!;
    for (let c = 0; c < k; c++) out[c] = wc[c]! / sum;
    return out;
  }
  for (let c = 0; c < k; c++) out[c]! /= sum;
  return out;
}
