/**
 * `GaussianMixture`: maximum-likelihood fitting by EM (Bishop 2006 §9.2), with scikit-learn's
 * parameters, defaults and attributes.
 */
import {
  type CovarianceType,
  computePrecisionCholesky,
  estimateGaussianParameters,
  logDetCholesky,
  momentKindOf,
  precisionsFromCholesky,
} from "./covariance.js";
import { InvalidInputError } from "./errors.js";
import type { ModelHooks } from "./fit.js";
import {
  checkFinite,
  choleskyLower,
  flatNumbers,
  invLowerTransposed,
  type MatrixInput,
  multiplyByTranspose,
  toMatrix,
} from "./matrix.js";
import { BaseMixture, type FittedParameters } from "./mixture.js";
import type { GaussianMixtureOptions } from "./options.js";
import { STATS_LOGLIK, STATS_WEIGHT } from "./stats.js";
import { type ComponentTerms, HALF_LOG_2PI } from "./terms.js";

/** EM state: point estimates. */
export type GaussianState = FittedParameters;

/**
 * A Gaussian mixture fitted by expectation–maximisation.
 *
 * @example
 * const gm = new GaussianMixture({ nComponents: 2, covarianceType: "diag" }).fit(X);
 * gm.predict(X); gm.weights; gm.means; gm.bic(X);
 */
export class GaussianMixture extends BaseMixture<GaussianState> {
  private readonly weightsInit: Float64Array | null;
  private readonly meansInit: MatrixInput | null;
  private readonly precisionsInit: Float64Array | null;

  constructor(opts: GaussianMixtureOptions | null = {}) {
    const options = opts ?? {};
    super(options);
    const K = this.nComponents;
    this.weightsInit = null;
    if (options.weightsInit != null) {
      const w = flatNumbers("weightsInit", options.weightsInit);
      if (w.length !== K) {
        throw new InvalidInputError(
          `weightsInit has ${w.length} values, expected nComponents = ${K}.`,
        );
      }
      let sum = 0;
      for (const v of w) {
        if (!(v >= 0 && v <= 1)) {
          throw new InvalidInputError(`weightsInit values must be in [0, 1], got ${v}.`);
        }
        sum += v;
      }
      if (Math.abs(1 - sum) > 1e-8) {
        throw new InvalidInputError(`weightsInit must sum to 1, got sum ${sum}.`);
      }
      this.weightsInit = w;
    }
    this.meansInit = options.meansInit ?? null;
    this.precisionsInit =
      options.precisionsInit != null ? flatNumbers("precisionsInit", options.precisionsInit) : null;
    for (const v of this.precisionsInit ?? []) {
      if (!Number.isFinite(v))
        throw new InvalidInputError(`precisionsInit values must be finite, got ${v}.`);
    }
  }

  protected get name(): string {
    return "GaussianMixture";
  }

  protected termsOf(s: GaussianState): ComponentTerms {
    const K = this.nComponents;
    const d = this.nFeatures;
    const logDet = logDetCholesky(s.precisionsCholesky, this.covarianceType, K, d);
    const logConst = new Float64Array(K);
    for (let k = 0; k < K; k++)
      logConst[k] = Math.log(s.weights[k]!) - d * HALF_LOG_2PI + logDet[k]!;
    return {
      nComponents: K,
      nFeatures: d,
      covarianceType: this.covarianceType,
      logConst,
      means: s.means,
      precChol: s.precisionsCholesky,
      kernel: this.options.kernel,
    };
  }

  protected publish(s: GaussianState): void {
    this.weights = s.weights;
    this.precisions = precisionsFromCholesky(
      s.precisionsCholesky,
      this.covarianceType,
      this.nComponents,
      this.nFeatures,
    );
  }

  /** Precision Cholesky factors and covariances from user precisions (scikit-learn's path). */
  private fromPrecisions(d: number): { precChol: Float64Array; covariances: Float64Array } {
    const type: CovarianceType = this.covarianceType;
    const K = this.nComponents;
    const p = this.precisionsInit!;
    this.checkCovarianceLength("precisionsInit", p, d);
    const precChol = Float64Array.from(p);
    const covariances = new Float64Array(p.length);
    if (type === "full" || type === "tied") {
      const blocks = type === "full" ? K : 1;
      const inv = new Float64Array(d * d);
      for (let b = 0; b < blocks; b++) {
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < i; j++) {
            if (
              Math.abs(p[b * d * d + i * d + j]! - p[b * d * d + j * d + i]!) >
              1e-8 * (1 + Math.abs(p[b * d * d + i * d + j]!))
            ) {
              throw new InvalidInputError(
                `precisionsInit: '${type} precision' should be symmetric, positive-definite (block ${b} is not symmetric).`,
              );
            }
          }
        }
        // scikit-learn keeps the lower Cholesky factor of the precision itself (Σ⁻¹ = L Lᵀ).
        if (!choleskyLower(precChol, b * d * d, d)) {
          throw new InvalidInputError(
            `precisionsInit: '${type} precision' should be symmetric, positive-definite (block ${b} is not).`,
          );
        }
        // Σ = (L Lᵀ)⁻¹ = M Mᵀ with M = (L⁻¹)ᵀ.
        invLowerTransposed(precChol, b * d * d, d, inv, 0);
        multiplyByTranspose(inv, 0, d, covariances, b * d * d);
      }
    } else {
      for (let i = 0; i < p.length; i++) {
        if (!(p[i]! > 0))
          throw new InvalidInputError(
            `precisionsInit: '${type} precision' should be positive, got ${p[i]}.`,
          );
        precChol[i] = Math.sqrt(p[i]!);
        covariances[i] = 1 / p[i]!;
      }
    }
    return { precChol, covariances };
  }

  protected makeHooks(d: number): ModelHooks<GaussianState> {
    const K = this.nComponents;
    const type = this.covarianceType;
    const reg = this.options.regCovar;
    let meansInit: Float64Array | null = null;
    if (this.meansInit !== null) {
      const m = toMatrix(this.meansInit, "meansInit");
      if (m.rows !== K || m.cols !== d) {
        throw new InvalidInputError(
          `meansInit must be K × d = ${K} × ${d}, got ${m.rows} × ${m.cols}.`,
        );
      }
      checkFinite(m, "meansInit");
      meansInit = m.data;
    }
    const fromPrecisions = this.precisionsInit !== null ? this.fromPrecisions(d) : null;
    this.nFeatures = d;
    return {
      moment: momentKindOf(type),
      summedBound: false,
      initialize: (stats) => {
        const est = estimateGaussianParameters(stats, reg, type);
        const wsum = stats.buffer[STATS_WEIGHT]!;
        const weights = this.weightsInit ?? est.nk.map((v) => v / wsum);
        const means = meansInit ?? est.means;
        if (fromPrecisions !== null) {
          return {
            weights,
            means,
            covariances: fromPrecisions.covariances,
            precisionsCholesky: fromPrecisions.precChol,
          };
        }
        return {
          weights,
          means,
          covariances: est.covariances,
          precisionsCholesky: computePrecisionCholesky(est.covariances, type, K, d, reg),
        };
      },
      mStep: (stats) => {
        const est = estimateGaussianParameters(stats, reg, type);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += est.nk[k]!;
        const weights = est.nk.map((v) => v / sum);
        return {
          weights,
          means: est.means,
          covariances: est.covariances,
          precisionsCholesky: computePrecisionCholesky(est.covariances, type, K, d, reg),
        };
      },
      terms: (s) => this.termsOf(s),
      // EM's bound is the mean log-likelihood of the E-step that produced the statistics.
      lowerBound: (_s, stats) => stats.buffer[STATS_LOGLIK]! / stats.buffer[STATS_WEIGHT]!,
    };
  }
}
