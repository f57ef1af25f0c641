/**
 * `BayesianGaussianMixture`: variational inference for a Gaussian mixture with a
 * Dirichlet-process or Dirichlet-distribution prior on the weights (Bishop 2006 §10.2; Blei &
 * Jordan 2006), with scikit-learn's parameters, defaults and attributes. Components the data do
 * not support get weights near 0 instead of being removed, so K is an upper bound.
 */
import { momentKindOf, precisionsFromCholesky } from "./covariance.js";
import { InvalidInputError } from "./errors.js";
import type { ModelHooks } from "./fit.js";
import { choleskyLower, flatNumbers } from "./matrix.js";
import { BaseMixture } from "./mixture.js";
import { type BayesianGaussianMixtureOptions, checkChoice, checkNumber } from "./options.js";
import {
  type MixtureStats,
  STATS_ENTROPY,
  STATS_N,
  STATS_WEIGHT,
  statsOffsetQ,
  statsOffsetS,
} from "./stats.js";
import type { ComponentTerms } from "./terms.js";
import {
  type VariationalPriors,
  type VariationalState,
  variationalLowerBound,
  variationalMStep,
  variationalTerms,
  variationalWeights,
  type WeightConcentrationPriorType,
} from "./variational.js";

/**
 * A variational Bayesian Gaussian mixture.
 *
 * @example
 * const bgm = new BayesianGaussianMixture({ nComponents: 10, weightConcentrationPrior: 0.001 }).fit(x);
 * bgm.weights; // near 0 for unused components
 */
export class BayesianGaussianMixture extends BaseMixture<VariationalState> {
  readonly weightConcentrationPriorType: WeightConcentrationPriorType;
  private readonly bayesOptions: BayesianGaussianMixtureOptions;
  /** The priors the last fit used (scikit-learn's `*_prior_` attributes). */
  priors: VariationalPriors | null = null;

  constructor(opts: BayesianGaussianMixtureOptions | null = {}) {
    const options = opts ?? {};
    super(options);
    this.bayesOptions = options;
    this.weightConcentrationPriorType = checkChoice(
      "weightConcentrationPriorType",
      options.weightConcentrationPriorType ?? "dirichlet_process",
      ["dirichlet_process", "dirichlet_distribution"] as const,
    );
    if (options.weightConcentrationPrior != null) {
      checkNumber("weightConcentrationPrior", options.weightConcentrationPrior, 0, true);
    }
    if (options.meanPrecisionPrior != null)
      checkNumber("meanPrecisionPrior", options.meanPrecisionPrior, 0, true);
  }

  protected get name(): string {
    return "BayesianGaussianMixture";
  }

  /** Dirichlet process: the stick Beta parameters `[a (K), b (K)]`; otherwise the Dirichlet's α (K). */
  get weightConcentration(): Float64Array {
    return this.fitted().weightConcentration;
  }

  /** β_k, length K. */
  get meanPrecision(): Float64Array {
    return this.fitted().meanPrecision;
  }

  /** ν_k, length K (tied: length 1). */
  get degreesOfFreedom(): Float64Array {
    return this.fitted().degreesOfFreedom;
  }

  protected termsOf(s: VariationalState): ComponentTerms {
    const t = variationalTerms(
      s,
      this.weightConcentrationPriorType,
      this.covarianceType,
      this.nComponents,
      this.nFeatures,
    );
    return { ...t, kernel: this.options.kernel };
  }

  protected publish(s: VariationalState): void {
    this.weights = variationalWeights(s, this.weightConcentrationPriorType, this.nComponents);
    this.precisions = precisionsFromCholesky(
      s.precisionsCholesky,
      this.covarianceType,
      this.nComponents,
      this.nFeatures,
    );
  }

  /**
   * Resolves the priors; the defaults need the data's weighted mean and covariance (ddof 1),
   * which one pass of the source's E-step provides.
   */
  private resolvePriors(
    d: number,
    shift: Float64Array,
    moments: MixtureStats | null,
  ): VariationalPriors {
    const o = this.bayesOptions;
    const K = this.nComponents;
    const type = this.covarianceType;
    let mean = new Float64Array(d);
    let cov = new Float64Array(d * d);
    if (moments !== null) {
      const b = moments.buffer;
      const n = b[STATS_N]!;
      const oS = statsOffsetS(1);
      const oQ = statsOffsetQ(1, d);
      mean = new Float64Array(d);
      cov = new Float64Array(d * d);
      for (let j = 0; j < d; j++) mean[j] = shift[j]! + b[oS + j]! / n;
      const wsum = b[STATS_WEIGHT]!;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          cov[i * d + j] = (b[oQ + i * d + j]! - (b[oS + i]! * b[oS + j]!) / n) / (wsum - 1);
        }
      }
    }
    const meanPrior = o.meanPrior == null ? mean : flatNumbers("meanPrior", o.meanPrior);
    if (meanPrior.length !== d) {
      throw new InvalidInputError(
        `meanPrior has ${meanPrior.length} values, expected nFeatures = ${d}.`,
      );
    }
    let dof = d;
    if (o.degreesOfFreedomPrior != null) {
      dof = o.degreesOfFreedomPrior;
      if (!(Number.isFinite(dof) && dof > d - 1)) {
        throw new InvalidInputError(
          `The parameter 'degreesOfFreedomPrior' should be greater than ${d - 1}, but got ${dof}.`,
        );
      }
    }
    let covariancePrior: Float64Array;
    if (o.covariancePrior == null) {
      switch (type) {
        case "full":
        case "tied":
          covariancePrior = cov;
          break;
        case "diag":
          covariancePrior = new Float64Array(d);
          for (let j = 0; j < d; j++) covariancePrior[j] = cov[j * d + j]!;
          break;
        case "spherical": {
          let s = 0;
          for (let j = 0; j < d; j++) s += cov[j * d + j]!;
          covariancePrior = Float64Array.of(s / d);
          break;
        }
      }
    } else {
      covariancePrior = flatNumbers("covariancePrior", o.covariancePrior);
      const want = type === "full" || type === "tied" ? d * d : type === "diag" ? d : 1;
      if (covariancePrior.length !== want) {
        throw new InvalidInputError(
          `covariancePrior for covarianceType "${type}" needs ${want} values (${type === "full" || type === "tied" ? `${d} × ${d}` : type === "diag" ? `length ${d}` : "one number"}), got ${covariancePrior.length}.`,
        );
      }
      if (type === "full" || type === "tied") {
        const work = Float64Array.from(covariancePrior);
        let symmetric = true;
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < i; j++) {
            const a = covariancePrior[i * d + j]!;
            const b = covariancePrior[j * d + i]!;
            if (Math.abs(a - b) > 1e-8 * (1 + Math.abs(a))) symmetric = false;
          }
        }
        if (!symmetric || !choleskyLower(work, 0, d)) {
          throw new InvalidInputError(
            `covariancePrior: '${type} covariance_prior' should be symmetric, positive-definite.`,
          );
        }
      } else {
        for (const v of covariancePrior) {
          if (!(v > 0))
            throw new InvalidInputError(
              `covariancePrior: '${type} covariance_prior' should be positive, got ${v}.`,
            );
        }
      }
    }
    return {
      weightConcentrationPriorType: this.weightConcentrationPriorType,
      weightConcentrationPrior: o.weightConcentrationPrior ?? 1 / K,
      meanPrecisionPrior: o.meanPrecisionPrior ?? 1,
      meanPrior,
      degreesOfFreedomPrior: dof,
      covariancePrior,
    };
  }

  protected override needsDataMoments(): boolean {
    return this.bayesOptions.meanPrior == null || this.bayesOptions.covariancePrior == null;
  }

  protected makeHooks(
    d: number,
    shift: Float64Array,
    moments: MixtureStats | null,
  ): ModelHooks<VariationalState> {
    const K = this.nComponents;
    const type = this.covarianceType;
    const reg = this.options.regCovar;
    const priors = this.resolvePriors(d, shift, moments);
    const priorType = this.weightConcentrationPriorType;
    this.priors = priors;
    this.nFeatures = d;
    const step = (stats: Parameters<typeof variationalMStep>[0]) =>
      variationalMStep(stats, priors, reg, type);
    return {
      moment: momentKindOf(type),
      summedBound: true,
      initialize: step,
      mStep: step,
      terms: (s) => this.termsOf(s),
      lowerBound: (s, stats) =>
        variationalLowerBound(s, priorType, type, K, d, stats.buffer[STATS_ENTROPY]!),
    };
  }
}
