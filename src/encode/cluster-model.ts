/**
 * The clustering model: a multivariate Gaussian mixture over chosen numeric columns, written by
 * `modenorm cluster`, as plain data. It keeps the readable parameters (weights, means,
 * covariances, in the space the mixture was fitted in) and the E-step constants that assign rows
 * (`terms`), so assigning rows from a model read back from its file gives the labels and
 * probabilities of the run that wrote it, bit for bit (JSON keeps every finite double).
 */
import { COVARIANCE_TYPES, type CovarianceType, covarianceLength } from "../core/covariance.js";
import { InvalidInputError } from "../core/errors.js";
import type { Matrix } from "../core/matrix.js";
import type { BaseMixture, ComponentParameters } from "../core/mixture.js";
import { type ComponentTerms, evaluateRows } from "../core/terms.js";
import { CLUSTER_FORMAT } from "./spec.js";

export const CLUSTER_VERSION = 1;

/** How the fit went: its rows, initialisation sample and bound per iteration. */
export interface ClusterFitInfo {
  /** Rows the mixture was fitted on (rows with a missing value left out when skipped). */
  rows: number;
  /** Rows skipped for a missing value (`--missing skip`). */
  skippedRows: number;
  /** Rows of the initialisation sample (all rows up to the sample limit). */
  initRows: number;
  converged: boolean;
  iterations: number;
  /** The bound of the last iteration (EM: mean log-likelihood per row; VB: the summed bound). */
  lowerBound: number;
  /** The bound after every iteration. */
  lowerBounds: number[];
  tol: number;
  maxIter: number;
}

/** A fitted clustering; see the module comment. */
export interface ClusterModel {
  format: typeof CLUSTER_FORMAT;
  version: typeof CLUSTER_VERSION;
  /** The features, in order (d names). */
  columns: string[];
  /** `gaussian` (EM, maximum likelihood) or `bayesian` (variational, Dirichlet-process prior). */
  estimator: "gaussian" | "bayesian";
  covarianceType: CovarianceType;
  /** K. */
  components: number;
  seed: number;
  /** Per feature: x' = (x − center) / scale before the fit; null when not standardised. */
  standardize: { center: number[]; scale: number[] } | null;
  fit: ClusterFitInfo;
  /** Mixture weights, length K. */
  weights: number[];
  /** Component means, K rows of d (in the fitted, possibly standardised, space). */
  means: number[][];
  /** Covariances, flat: full K·d·d, tied d·d, diag K·d, spherical K (fitted space). */
  covariances: number[];
  /** E-step constants (`ComponentTerms`): log constants (K), means (K·d), precision factors. */
  terms: { logConst: number[]; means: number[]; precChol: number[] };
}

/** Builds the model from a fitted estimator. */
export function clusterModelOf(
  est: BaseMixture<ComponentParameters>,
  o: {
    columns: string[];
    estimator: ClusterModel["estimator"];
    seed: number;
    standardize: ClusterModel["standardize"];
    fit: ClusterFitInfo;
  },
): ClusterModel {
  const K = est.nComponents;
  const d = est.nFeatures;
  const t = est.eStepTerms();
  return {
    format: CLUSTER_FORMAT,
    version: CLUSTER_VERSION,
    columns: o.columns,
    estimator: o.estimator,
    covarianceType: est.covarianceType,
    components: K,
    seed: o.seed,
    standardize: o.standardize,
    fit: o.fit,
    weights: [...est.weights],
    means: Array.from({ length: K }, (_, k) => [...est.means.subarray(k * d, (k + 1) * d)]),
    covariances: [...est.covariances],
    terms: { logConst: [...t.logConst], means: [...t.means], precChol: [...t.precChol] },
  };
}

/** The model's E-step constants. */
export function clusterTerms(m: ClusterModel): ComponentTerms {
  return {
    nComponents: m.components,
    nFeatures: m.columns.length,
    covarianceType: m.covarianceType,
    logConst: Float64Array.from(m.terms.logConst),
    means: Float64Array.from(m.terms.means),
    precChol: Float64Array.from(m.terms.precChol),
  };
}

/** Applies a model's standardisation (`model.standardize`) to X (n × d, row-major) in place. */
export function standardizeRows(s: ClusterModel["standardize"], X: Matrix): void {
  if (s === null) return;
  const { center, scale } = s;
  const d = X.cols;
  for (let i = 0; i < X.rows; i++) {
    for (let j = 0; j < d; j++) X.data[i * d + j] = (X.data[i * d + j]! - center[j]!) / scale[j]!;
  }
}

/**
 * Labels (argmax of the weighted log density, first on ties) and, when `resp` is given, the
 * posterior probabilities (n·K) of rows already in the fitted space ({@link standardizeRows}).
 */
export function assignRows(
  m: ClusterModel,
  X: Matrix,
  labels: Int32Array,
  resp: Float64Array | null,
): void {
  evaluateRows(X, clusterTerms(m), resp === null ? { labels } : { labels, resp });
}

/** A component's mean in the columns' own units (the standardisation undone). */
export function meanInColumnUnits(m: ClusterModel, k: number): number[] {
  const mu = m.means[k]!;
  if (m.standardize === null) return [...mu];
  const { center, scale } = m.standardize;
  return mu.map((v, j) => v * scale[j]! + center[j]!);
}

/** The model file's text (2-space JSON, keys in the order of {@link ClusterModel}). */
export function clusterModelToJson(m: ClusterModel): string {
  const text = JSON.stringify(m, null, 2);
  // A round trip through the validator: what is written can be read back.
  clusterModelFromJson(text, "the clustering model being written");
  return text;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Parses and validates a clustering model file.
 * @throws InvalidInputError naming `source` and the field: not JSON, another format or version,
 *   missing or mistyped fields, non-finite numbers, lengths that do not match K and d, weights
 *   not summing to 1 ± 1e-6, a scale ≤ 0.
 */
export function clusterModelFromJson(text: string, source = "clustering model"): ClusterModel {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new InvalidInputError(
      `${source}: not valid JSON: ${(e as Error).message}. Pass the file written by modenorm cluster.`,
    );
  }
  const bad = (path: string, why: string): never => {
    throw new InvalidInputError(
      `${source}: ${path} ${why}. Pass the file written by modenorm cluster, or rerun it.`,
    );
  };
  if (!isObj(v)) return bad("the top level", "must be an object");
  if (v.format !== CLUSTER_FORMAT)
    bad("format", `is ${JSON.stringify(v.format)}, not "${CLUSTER_FORMAT}"`);
  if (v.version !== CLUSTER_VERSION)
    bad("version", `is ${JSON.stringify(v.version)}; this build reads version ${CLUSTER_VERSION}`);
  const numbers = (path: string, x: unknown, length: number): number[] => {
    if (!Array.isArray(x)) return bad(path, "must be an array of numbers");
    if (x.length !== length) bad(path, `has ${x.length} values, expected ${length}`);
    x.forEach((n, i) => {
      if (typeof n !== "number" || !Number.isFinite(n))
        bad(`${path}[${i}]`, "must be a finite number");
    });
    return x as number[];
  };
  const cols = v.columns;
  if (!Array.isArray(cols) || cols.length === 0 || !cols.every((c) => typeof c === "string"))
    bad("columns", "must be a non-empty array of column names");
  const columns = cols as string[];
  if (new Set(columns).size !== columns.length) bad("columns", "has a name twice");
  const d = columns.length;
  if (v.estimator !== "gaussian" && v.estimator !== "bayesian")
    bad("estimator", 'must be "gaussian" or "bayesian"');
  const type = v.covarianceType as CovarianceType;
  if (!COVARIANCE_TYPES.includes(type))
    bad("covarianceType", `must be one of ${COVARIANCE_TYPES.join(", ")}`);
  const K = v.components;
  if (typeof K !== "number" || !Number.isInteger(K) || K < 1)
    bad("components", "must be a positive integer");
  const k = K as number;
  if (typeof v.seed !== "number" || !Number.isInteger(v.seed)) bad("seed", "must be an integer");
  if (v.standardize !== null) {
    if (!isObj(v.standardize)) bad("standardize", "must be an object or null");
    const s = v.standardize as Record<string, unknown>;
    numbers("standardize.center", s.center, d);
    numbers("standardize.scale", s.scale, d).forEach((x, j) => {
      if (!(x > 0)) bad(`standardize.scale[${j}]`, "must be > 0");
    });
  }
  if (!isObj(v.fit)) bad("fit", "must be an object");
  const f = v.fit as Record<string, unknown>;
  for (const key of ["rows", "skippedRows", "initRows", "iterations", "maxIter"]) {
    const n = f[key];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0)
      bad(`fit.${key}`, "must be a count");
  }
  if (typeof f.converged !== "boolean") bad("fit.converged", "must be true or false");
  numbers("fit.lowerBounds", f.lowerBounds, f.iterations as number);
  const weights = numbers("weights", v.weights, k);
  if (weights.some((w) => w < 0) || Math.abs(weights.reduce((a, b) => a + b, 0) - 1) > 1e-6)
    bad("weights", "must be non-negative and sum to 1");
  if (!Array.isArray(v.means) || v.means.length !== k) bad("means", `must hold ${k} rows`);
  for (const [i, row] of (v.means as unknown[]).entries()) numbers(`means[${i}]`, row, d);
  numbers("covariances", v.covariances, covarianceLength(type, k, d));
  if (!isObj(v.terms)) bad("terms", "must be an object");
  const t = v.terms as Record<string, unknown>;
  numbers("terms.logConst", t.logConst, k);
  numbers("terms.means", t.means, k * d);
  numbers("terms.precChol", t.precChol, covarianceLength(type, k, d));
  return v as unknown as ClusterModel;
}
