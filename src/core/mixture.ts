/**
 * The estimator base shared by `GaussianMixture` and `BayesianGaussianMixture`: validation at the
 * boundary, the multi-initialisation loop, and every method that only needs fitted parameters
 * (predict, predictProba, scoreSamples, score, sample, bic, aic).
 */
import {
  type CovarianceType,
  choleskyFactorsForSampling,
  countParameters,
  covarianceLength,
} from "./covariance.js";
import { InvalidInputError, NotFittedError } from "./errors.js";
import {
  columnMeans,
  dataMoments,
  type FitSource,
  type FitSteps,
  iterate,
  type ModelHooks,
  matrixSummarize,
  type RunResult,
  runSteps,
  runStepsAsync,
  statsFromResponsibilities,
} from "./fit.js";
import { initialStats, resolveInitParams } from "./init.js";
import { checkFinite, type Matrix, type MatrixInput, toMatrix } from "./matrix.js";
import {
  type MixtureOptions,
  type ResolvedMixtureOptions,
  resolveMixtureOptions,
} from "./options.js";
import { meanLogLikelihood, pointEstimateTerms } from "./point-estimate.js";
import { Random, resolveRandom } from "./rng.js";
import type { MixtureStats } from "./stats.js";
import { type ComponentTerms, evaluateRows } from "./terms.js";

/** Options of `fit`. */
export interface FitOptions {
  /**
   * Non-negative weight per row (length n); a row of weight 2 counts as two copies of it.
   * Default: every row weighs 1.
   */
  sampleWeight?: ArrayLike<number> | null;
}

/** The parameters every fitted mixture state holds (scikit-learn's attributes ending in `_`). */
export interface ComponentParameters {
  /** Component means, K·d row-major. */
  means: Float64Array;
  /** Covariances: full K·d·d, tied d·d, diag K·d, spherical K. */
  covariances: Float64Array;
  /** Cholesky factors P of the precisions (Σ⁻¹ = P Pᵀ), shaped as `covariances`. */
  precisionsCholesky: Float64Array;
}

/** Point-estimate parameters including the weights: the state of EM. */
export interface FittedParameters extends ComponentParameters {
  /** Mixture weights, length K, summing to 1. */
  weights: Float64Array;
}

/** Validates sample weights against n rows. */
export function toSampleWeight(
  w: ArrayLike<number> | null | undefined,
  n: number,
): Float64Array | null {
  if (w === undefined || w === null) return null;
  if (typeof w !== "object" || typeof w.length !== "number") {
    throw new InvalidInputError(
      `sampleWeight must be an array of n = ${n} numbers, got ${typeof w}.`,
    );
  }
  if (w.length !== n) {
    throw new InvalidInputError(
      `sampleWeight has ${w.length} values but X has ${n} rows; give one weight per row.`,
    );
  }
  const out = Float64Array.from(w);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = out[i]!;
    if (!Number.isFinite(v) || v < 0) {
      throw new InvalidInputError(
        `sampleWeight: row ${i} is ${v}; weights must be finite and >= 0.`,
      );
    }
    sum += v;
  }
  if (!(sum > 0))
    throw new InvalidInputError("sampleWeight: all weights are 0; at least one row must count.");
  return out;
}

/**
 * Base of both estimators. `State` is the model's internal parameter set (EM: point estimates;
 * VB: the variational posterior).
 */
export abstract class BaseMixture<State extends ComponentParameters> {
  /** The validated options. */
  readonly options: ResolvedMixtureOptions;
  /** Whether the best initialisation converged. */
  converged = false;
  /** Iterations run by the best initialisation. */
  nIter = 0;
  /**
   * Bound of the best initialisation: the mean log-likelihood per row (EM) or scikit-learn's
   * summed variational lower bound (VB).
   */
  lowerBound = Number.NEGATIVE_INFINITY;
  /** The bound after every iteration of the best initialisation. */
  lowerBounds: number[] = [];
  /** d, set by `fit`. */
  nFeatures = 0;
  /** What the last fit noticed about the data or the run (non-convergence, duplicates, …). */
  warnings: string[] = [];
  /** The fitted model state; null until `fit`. */
  protected state: State | null = null;
  /** Mixture weights, length K. */
  weights: Float64Array = new Float64Array(0);
  /** Precisions (inverse covariances), shaped as the covariances. */
  precisions: Float64Array = new Float64Array(0);

  protected constructor(options: MixtureOptions) {
    this.options = resolveMixtureOptions(options);
  }

  /** The estimator's name in messages. */
  protected abstract get name(): string;
  /** Whether {@link makeHooks} needs the data's moments about the shift (one extra E-step). */
  protected needsDataMoments(): boolean {
    return false;
  }
  /**
   * Builds the model hooks for a fit of `d` features, validating model-specific options;
   * `moments` are the data's moments about `shift` when {@link needsDataMoments}, else null.
   */
  protected abstract makeHooks(
    d: number,
    shift: Float64Array,
    moments: MixtureStats | null,
  ): ModelHooks<State>;
  /** Publishes a fitted state as the public attributes. */
  protected abstract publish(state: State): void;
  /** E-step constants of a state. */
  protected abstract termsOf(state: State): ComponentTerms;

  get nComponents(): number {
    return this.options.nComponents;
  }

  get covarianceType(): CovarianceType {
    return this.options.covarianceType;
  }

  /** Component means, K·d row-major. */
  get means(): Float64Array {
    return this.fitted().means;
  }

  /** Covariances: full K·d·d, tied d·d, diag K·d, spherical K. */
  get covariances(): Float64Array {
    return this.fitted().covariances;
  }

  /** Precision Cholesky factors, shaped as the covariances. */
  get precisionsCholesky(): Float64Array {
    return this.fitted().precisionsCholesky;
  }

  /** True once `fit` has completed. */
  get isFitted(): boolean {
    return this.state !== null;
  }

  protected fitted(): State {
    if (this.state === null) {
      throw new NotFittedError(
        `This ${this.name} instance is not fitted yet. Call fit(X) before using this method.`,
      );
    }
    return this.state;
  }

  /**
   * Fits the model to X (n × d; a flat array is one column).
   * @throws InvalidInputError for non-finite values, n < K, bad shapes or bad weights.
   * @throws DegenerateFitError when a covariance stops being positive definite.
   */
  fit(X: MatrixInput, options: FitOptions = {}): this {
    const m = toMatrix(X, "X");
    this.checkFitMatrix(m);
    const sw = toSampleWeight(options.sampleWeight, m.rows);
    runSteps(this.fitSteps(m.cols, m, sw), matrixSummarize(m, sw));
    return this;
  }

  /** Fits, then returns the label of each row under the fitted model. */
  fitPredict(X: MatrixInput, options: FitOptions = {}): Int32Array {
    const m = toMatrix(X, "X");
    this.fit(m, options);
    return this.predict(m);
  }

  private checkFitMatrix(m: Matrix): void {
    if (m.rows < 2) {
      throw new InvalidInputError(
        `X has ${m.rows} row(s); a mixture needs at least 2 rows (and at least nComponents = ${this.nComponents}).`,
      );
    }
    if (m.cols < 1) throw new InvalidInputError("X has no columns.");
    checkFinite(m, "X");
    if (m.rows < this.nComponents) {
      throw new InvalidInputError(
        `Expected n_samples >= nComponents but got nComponents = ${this.nComponents}, n_samples = ${m.rows}. Lower nComponents or fit on more rows.`,
      );
    }
  }

  /**
   * Fits from any {@link FitSource}: the entry point for runners whose rows are not in this
   * thread's memory (worker threads, a job queue). Initialisation uses the source's
   * `initSample()`; every iteration awaits the source's E-step over all rows. The steps are
   * those of {@link fit}, so a source holding the same rows in the same blocks gives the same
   * model bit for bit.
   */
  async fitSource(source: FitSource): Promise<this> {
    const { X, sampleWeight } = source.initSample();
    await runStepsAsync(this.fitSteps(source.nFeatures, X, sampleWeight), source);
    return this;
  }

  /** The whole fit as E-step requests (see {@link FitSteps}); publishes the result at its end. */
  private *fitSteps(d: number, sample: Matrix, sampleW: Float64Array | null): FitSteps<void> {
    const o = this.options;
    const warm = o.warmStart && this.state !== null;
    if (warm && d !== this.nFeatures) {
      throw new InvalidInputError(
        `warmStart: X has ${d} features but the model was fitted with ${this.nFeatures}. Refit with warmStart: false.`,
      );
    }
    const shift = columnMeans(sample, sampleW);
    const moments = this.needsDataMoments() ? yield* dataMoments(d, shift) : null;
    const hooks = this.makeHooks(d, shift, moments);
    const rng = resolveRandom(o.randomState);
    const nInit = warm ? 1 : o.nInit;
    const warnings: string[] = [];
    let respInit: Float64Array | null = null;
    if (o.respInit !== null && !warm) {
      const r = toMatrix(o.respInit, "respInit");
      if (r.rows !== sample.rows || r.cols !== this.nComponents) {
        throw new InvalidInputError(
          `respInit must be n × K = ${sample.rows} × ${this.nComponents}, got ${r.rows} × ${r.cols}.`,
        );
      }
      checkFinite(r, "respInit");
      for (let i = 0; i < r.rows; i++) {
        let sum = 0;
        for (let c = 0; c < r.cols; c++) {
          const v = r.data[i * r.cols + c]!;
          if (v < 0)
            throw new InvalidInputError(
              `respInit: row ${i}, column ${c} is ${v}; responsibilities must be >= 0.`,
            );
          sum += v;
        }
        if (Math.abs(sum - 1) > 1e-6) {
          throw new InvalidInputError(
            `respInit: row ${i} sums to ${sum}; each row of responsibilities must sum to 1.`,
          );
        }
      }
      respInit = r.data;
    }
    let best: RunResult<State> | null = null;
    let bestInit = 0;
    for (let init = 0; init < nInit; init++) {
      let state: State;
      let startBound = Number.NEGATIVE_INFINITY;
      if (warm) {
        state = this.state!;
        startBound = this.lowerBound;
      } else if (respInit !== null) {
        const stats = statsFromResponsibilities(
          sample,
          sampleW,
          respInit,
          this.nComponents,
          hooks.moment,
        );
        state = hooks.initialize(stats);
      } else {
        const method = resolveInitParams(o.initParams, d);
        const r = initialStats(method, sample, sampleW, this.nComponents, rng, hooks.moment);
        if (init === 0) warnings.push(...r.warnings);
        state = hooks.initialize(r.stats);
      }
      const result: RunResult<State> =
        o.maxIter === 0
          ? { state, converged: false, nIter: 0, lowerBound: startBound, lowerBounds: [] }
          : yield* iterate(hooks, state, {
              tol: o.tol,
              maxIter: o.maxIter,
              convergence: o.convergence,
              startBound,
            });
      if (best === null || result.lowerBound > best.lowerBound) {
        best = result;
        bestInit = init;
      }
    }
    const b = best!;
    if (!b.converged && o.maxIter > 0) {
      warnings.push(
        `Initialization ${bestInit + 1} did not converge in ${o.maxIter} iterations. Try different init parameters, or increase maxIter, tol or check for degenerate data.`,
      );
    }
    this.nFeatures = d;
    this.state = b.state;
    this.converged = b.converged;
    this.nIter = b.nIter;
    this.lowerBound = b.lowerBound;
    this.lowerBounds = b.lowerBounds;
    this.warnings = warnings;
    this.publish(b.state);
  }

  /** Validates X for prediction against the fitted model. */
  protected checkPredictMatrix(X: MatrixInput): Matrix {
    this.fitted();
    const m = toMatrix(X, "X");
    if (m.rows > 0 && m.cols !== this.nFeatures) {
      throw new InvalidInputError(
        `X has ${m.cols} feature(s), but this ${this.name} was fitted with ${this.nFeatures}.`,
      );
    }
    checkFinite(m, "X");
    return m;
  }

  /**
   * The fitted model's E-step constants: what {@link predict}, {@link predictProba} and
   * {@link scoreSamples} evaluate rows with (`evaluateRows`), as plain data to store or send.
   * @throws NotFittedError before `fit`.
   */
  eStepTerms(): ComponentTerms {
    return this.termsOf(this.fitted());
  }

  /** The most likely component of each row (argmax of the weighted log density), length n. */
  predict(X: MatrixInput): Int32Array {
    const m = this.checkPredictMatrix(X);
    const labels = new Int32Array(m.rows);
    evaluateRows(m, this.termsOf(this.fitted()), { labels });
    return labels;
  }

  /** Posterior probability of each component for each row: an n × K matrix. */
  predictProba(X: MatrixInput): Matrix {
    const m = this.checkPredictMatrix(X);
    const resp = new Float64Array(m.rows * this.nComponents);
    evaluateRows(m, this.termsOf(this.fitted()), { resp });
    return { data: resp, rows: m.rows, cols: this.nComponents };
  }

  /** log Σ_k exp(weighted log density) per row (the log-likelihood for EM), length n. */
  scoreSamples(X: MatrixInput): Float64Array {
    const m = this.checkPredictMatrix(X);
    const logProb = new Float64Array(m.rows);
    evaluateRows(m, this.termsOf(this.fitted()), { logProb });
    return logProb;
  }

  /** The (sample-weighted) mean of {@link scoreSamples}. */
  score(X: MatrixInput, options: FitOptions = {}): number {
    const s = this.scoreSamples(X);
    const w = toSampleWeight(options.sampleWeight, s.length);
    let num = 0;
    let den = 0;
    for (let i = 0; i < s.length; i++) {
      const wi = w === null ? 1 : w[i]!;
      num += wi * s[i]!;
      den += wi;
    }
    return num / den;
  }

  /**
   * Mean log-likelihood of X under the plain mixture density of the fitted point estimates
   * (weights, means, covariances). For `GaussianMixture` this equals {@link score}; for the
   * Bayesian model it differs from `score`, which uses the variational expectations as
   * scikit-learn does. Use it to compare fits of different models or tools.
   */
  logLikelihood(X: MatrixInput): number {
    const m = this.checkPredictMatrix(X);
    const s = this.fitted();
    return meanLogLikelihood(
      m,
      pointEstimateTerms(
        this.weights,
        s.means,
        s.covariances,
        this.covarianceType,
        this.nComponents,
        this.nFeatures,
      ),
    );
  }

  /** Number of free parameters of the model, for {@link bic} and {@link aic}. */
  nParameters(): number {
    this.fitted();
    return countParameters(this.covarianceType, this.nComponents, this.nFeatures);
  }

  /** Bayesian information criterion on X: −2 n · score(X) + p log n. Lower is better. */
  bic(X: MatrixInput): number {
    const m = toMatrix(X, "X");
    return -2 * this.score(m) * m.rows + this.nParameters() * Math.log(m.rows);
  }

  /** Akaike information criterion on X: −2 n · score(X) + 2p. Lower is better. */
  aic(X: MatrixInput): number {
    const m = toMatrix(X, "X");
    return -2 * this.score(m) * m.rows + 2 * this.nParameters();
  }

  /**
   * Draws n rows from the fitted mixture: component counts from a multinomial on the weights,
   * then Gaussian draws, grouped by component in component order (as scikit-learn).
   * Uses `randomState` (a fresh generator from the seed on every call, or the given `Random`).
   * @returns `X` (n × d) and `y`, the component of each row.
   */
  sample(n = 1): { X: Matrix; y: Int32Array } {
    const s = this.fitted();
    if (!Number.isInteger(n) || n < 1) {
      throw new InvalidInputError(`sample: n must be an integer >= 1, got ${n}.`);
    }
    const rng = resolveRandom(this.options.randomState);
    const K = this.nComponents;
    const d = this.nFeatures;
    const counts = new Float64Array(K);
    rng.multinomial(n, this.weights, counts);
    const type = this.covarianceType;
    const factors = choleskyFactorsForSampling(s.covariances, type, K, d);
    const X = new Float64Array(n * d);
    const y = new Int32Array(n);
    const z = new Float64Array(d);
    let row = 0;
    for (let c = 0; c < K; c++) {
      for (let t = 0; t < counts[c]!; t++, row++) {
        for (let j = 0; j < d; j++) z[j] = rng.normal();
        for (let i = 0; i < d; i++) {
          let v = s.means[c * d + i]!;
          switch (type) {
            case "full":
            case "tied": {
              const o = type === "full" ? c * d * d : 0;
              for (let j = 0; j <= i; j++) v += factors[o + i * d + j]! * z[j]!;
              break;
            }
            case "diag":
              v += factors[c * d + i]! * z[i]!;
              break;
            case "spherical":
              v += factors[c]! * z[i]!;
              break;
          }
          X[row * d + i] = v;
        }
        y[row] = c;
      }
    }
    return { X: { data: X, rows: n, cols: d }, y };
  }

  /** Checks that a parameter array has the length its covariance type implies. */
  protected checkCovarianceLength(name: string, a: Float64Array, d: number): void {
    const want = covarianceLength(this.covarianceType, this.nComponents, d);
    if (a.length !== want) {
      throw new InvalidInputError(
        `${name} has ${a.length} values; covarianceType "${this.covarianceType}" with K = ${this.nComponents}, d = ${d} needs ${want}.`,
      );
    }
  }
}

export { Random };
