/**
 * Options of the two estimators: one interface each, one defaults object, one resolver that
 * validates every value once (scikit-learn's `_validate_params` / `_check_parameters`).
 */
import { COVARIANCE_TYPES, type CovarianceType } from "./covariance.js";
import { InvalidInputError } from "./errors.js";
import type { MatrixInput } from "./matrix.js";
import type { Random } from "./rng.js";
import type { Kernel1d } from "./terms.js";
import type { WeightConcentrationPriorType } from "./variational.js";

/**
 * How initial responsibilities are drawn.
 * - `kmeans`: labels of one k-means run (k-means++ seeding, as scikit-learn).
 * - `k-means++`: k-means++ seeds only; each seed row gets responsibility 1 for its component.
 * - `random`: uniform random responsibilities, normalised per row.
 * - `random_from_data`: K distinct random rows as seeds, as for `k-means++`.
 * - `quantile` (1-D only): K equal-weight slices of the sorted values. Robust to outliers,
 *   which k-means spends whole components on.
 * - `auto` (default): `quantile` for one feature, `kmeans` otherwise.
 */
export type InitParams =
  | "auto"
  | "kmeans"
  | "k-means++"
  | "random"
  | "random_from_data"
  | "quantile";
export const INIT_PARAMS: readonly InitParams[] = [
  "auto",
  "kmeans",
  "k-means++",
  "random",
  "random_from_data",
  "quantile",
];

/**
 * When to stop iterating.
 * - `per-row` (default): |Δ lower bound| / Σ sample weights < tol. For `GaussianMixture` this is
 *   scikit-learn's rule (its bound is already a per-row mean); for the Bayesian model it makes
 *   `tol` mean the same at 300 rows and at 10⁹ rows.
 * - `sklearn`: scikit-learn's rule: |Δ lower bound| < tol on the bound as reported, which for the
 *   Bayesian model is summed over rows and practically never converges on large data.
 */
export type ConvergenceCriterion = "per-row" | "sklearn";

/** Options shared by both estimators. */
export interface MixtureOptions {
  /** K, the number of components. Default 1. */
  nComponents?: number;
  /** Default `full`. */
  covarianceType?: CovarianceType;
  /** Convergence threshold, see `convergence`. Default 1e-3. */
  tol?: number;
  /** Added to covariance diagonals so they stay positive definite. Default 1e-6. */
  regCovar?: number;
  /** Maximum EM / VB iterations per initialisation. Default 100. */
  maxIter?: number;
  /** Initialisations to run; the one with the best lower bound is kept. Default 1. */
  nInit?: number;
  /** Default `auto`. */
  initParams?: InitParams;
  /** Seed or generator. Default 0: results are reproducible unless asked otherwise. */
  randomState?: number | Random;
  /** Continue from the fitted parameters on the next `fit`. Default false. */
  warmStart?: boolean;
  /** Default `per-row`. */
  convergence?: ConvergenceCriterion;
  /**
   * Initial responsibilities, n × K (rows summing to 1), used instead of `initParams` on every
   * initialisation. An extension of scikit-learn's API: it reproduces a run of another tool
   * exactly, as the golden-fixture tests do.
   */
  respInit?: MatrixInput | null;
  /** The 1-D E-step kernel (see {@link Kernel1d}). Default `auto`. */
  kernel?: Kernel1d;
}

/** Options of `GaussianMixture`. */
export interface GaussianMixtureOptions extends MixtureOptions {
  /** Initial weights, length K, in [0, 1], summing to 1. */
  weightsInit?: ArrayLike<number> | null;
  /** Initial means, K × d. */
  meansInit?: MatrixInput | null;
  /**
   * Initial precisions (inverse covariances): full K×d×d (nested or flat K·d·d), tied d×d,
   * diag K×d, spherical K.
   */
  precisionsInit?:
    | ArrayLike<number>
    | ReadonlyArray<ArrayLike<number>>
    | ReadonlyArray<ReadonlyArray<ArrayLike<number>>>
    | null;
}

/** Options of `BayesianGaussianMixture`. */
export interface BayesianGaussianMixtureOptions extends MixtureOptions {
  /** Default `dirichlet_process`. */
  weightConcentrationPriorType?: WeightConcentrationPriorType;
  /** γ₀ / α₀ > 0. Default 1/K. */
  weightConcentrationPrior?: number | null;
  /** β₀ > 0. Default 1. */
  meanPrecisionPrior?: number | null;
  /** m₀, length d. Default the (weighted) data mean. */
  meanPrior?: ArrayLike<number> | null;
  /** ν₀ > d − 1. Default d. */
  degreesOfFreedomPrior?: number | null;
  /**
   * W₀⁻¹: full/tied d×d symmetric positive definite, diag length d positive, spherical a
   * positive number. Default the (weighted, ddof 1) data covariance.
   */
  covariancePrior?: number | ArrayLike<number> | ReadonlyArray<ArrayLike<number>> | null;
}

/** The resolved shared options. */
export interface ResolvedMixtureOptions {
  nComponents: number;
  covarianceType: CovarianceType;
  tol: number;
  regCovar: number;
  maxIter: number;
  nInit: number;
  initParams: InitParams;
  randomState: number | Random;
  warmStart: boolean;
  convergence: ConvergenceCriterion;
  respInit: MatrixInput | null;
  kernel: Kernel1d;
}

/** scikit-learn's defaults, except `initParams` (`auto`) and `randomState` (0). */
export const MIXTURE_DEFAULTS: Readonly<ResolvedMixtureOptions> = Object.freeze({
  nComponents: 1,
  covarianceType: "full",
  tol: 1e-3,
  regCovar: 1e-6,
  maxIter: 100,
  nInit: 1,
  initParams: "auto",
  randomState: 0,
  warmStart: false,
  convergence: "per-row",
  respInit: null,
  kernel: "auto",
});

/** A value as a message shows it: numbers plainly, anything else as JSON (so "2" keeps its quotes). */
function show(v: unknown): string {
  if (typeof v === "number") return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function checkInteger(name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new InvalidInputError(`${name} must be an integer >= ${min}, got ${show(v)}.`);
  }
  return v;
}

function checkNumber(name: string, v: unknown, min: number, exclusive: boolean): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || (exclusive && v === min)) {
    throw new InvalidInputError(
      `${name} must be a finite number ${exclusive ? ">" : ">="} ${min}, got ${show(v)}.`,
    );
  }
  return v;
}

function checkChoice<T extends string>(name: string, v: unknown, choices: readonly T[]): T {
  if (typeof v !== "string" || !(choices as readonly string[]).includes(v)) {
    throw new InvalidInputError(
      `${name} must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}, got ${JSON.stringify(v)}.`,
    );
  }
  return v as T;
}

/**
 * Validates and fills in the shared options.
 * @throws InvalidInputError naming the option, the value and what is allowed.
 */
export function resolveMixtureOptions(
  options: MixtureOptions | null | undefined,
): ResolvedMixtureOptions {
  const o = options ?? {};
  const r = { ...MIXTURE_DEFAULTS };
  const pick = <K extends keyof ResolvedMixtureOptions>(key: K): ResolvedMixtureOptions[K] =>
    (o[key] === undefined ? r[key] : o[key]) as ResolvedMixtureOptions[K];
  const randomState = pick("randomState");
  if (typeof randomState === "number") checkInteger("randomState", randomState, 0);
  else if (typeof randomState !== "object" || randomState === null) {
    throw new InvalidInputError(
      `randomState must be a non-negative integer seed or a Random, got ${show(randomState)}.`,
    );
  }
  return {
    nComponents: checkInteger("nComponents", pick("nComponents"), 1),
    covarianceType: checkChoice("covarianceType", pick("covarianceType"), COVARIANCE_TYPES),
    tol: checkNumber("tol", pick("tol"), 0, false),
    regCovar: checkNumber("regCovar", pick("regCovar"), 0, false),
    maxIter: checkInteger("maxIter", pick("maxIter"), 0),
    nInit: checkInteger("nInit", pick("nInit"), 1),
    initParams: checkChoice("initParams", pick("initParams"), INIT_PARAMS),
    randomState,
    warmStart: Boolean(pick("warmStart")),
    convergence: checkChoice("convergence", pick("convergence"), ["per-row", "sklearn"] as const),
    respInit: pick("respInit"),
    kernel: checkChoice("kernel", pick("kernel"), ["auto", "js", "wasm-fast"] as const),
  };
}

export { checkChoice, checkInteger, checkNumber };
