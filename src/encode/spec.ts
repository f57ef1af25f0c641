/**
 * The fitted model: plain, versioned, JSON-serialisable data. Encoding and decoding are pure
 * functions of (spec, input), so a model file is all a worker, a service or a browser needs.
 */
import type { ColumnType, TimeUnit } from "../core/table.js";

/** Written into every model file; bumped on any incompatible change. */
export const MODEL_FORMAT = "modenorm.model";
/** The `format` of a clustering model file (see `cluster-model.ts`). */
export const CLUSTER_FORMAT = "modenorm.clustering";
/**
 * The version this build writes: 2 added the drift baseline of mixture columns, 3 the fit's bound
 * per iteration (`fit`).
 */
export const MODEL_VERSION = 3;
/** Versions this build reads (version 1 files have no drift baseline, 1 and 2 no fit trace). */
export type ModelVersion = 1 | 2 | 3;

/** One kept mode of a mixture column. */
export interface ModeSpec {
  weight: number;
  mean: number;
  std: number;
}

/** How a row's mode is chosen among the kept modes. */
export type ModeChoice = "sample" | "argmax";

/** Which modes are kept after the fit. */
export type PruneRule = "weight" | "weight-and-argmax";

/**
 * A column encoded by mode-specific normalization: alpha = (t(x) − μ_k) / (scale · σ_k) with the
 * row's mode k, where t is the identity (continuous, integer, datetime) or log(x − offset) (log).
 */
export interface MixtureColumnSpec {
  name: string;
  kind: "continuous" | "integer" | "datetime" | "log" | "mixed";
  /** The input column's type, restored on decode. */
  dtype: ColumnType;
  /** For datetime: the timestamp unit. */
  unit?: TimeUnit;
  /** Kept modes (in the transformed domain for log columns), ordered as in the encoding. */
  modes: ModeSpec[];
  /** The σ multiplier of alpha; 4 as in CTGAN / RDT. */
  scale: number;
  modeChoice: ModeChoice;
  /** log: t(x) = log(x − offset); values ≤ offset are stored as literals. */
  offset?: number;
  /** mixed: values with their own slot (e.g. 0 or a sentinel such as −9999). */
  modalValues?: number[];
  /** Whether the fitted data had missing values (the dense layout then has a null slot). */
  nullable: boolean;
  /** Rows and missing values seen by the fit. */
  rows: number;
  nullCount: number;
  /**
   * Mean log-likelihood per fitted value (non-missing, non-modal, finite) under the kept modes at
   * fit time; null when there was no such value.
   */
  meanLogLikelihood: number | null;
  /** What the fit data looked like under the kept modes, for drift checks (model version ≥ 2). */
  baseline?: MixtureBaseline;
  /** How the variational fit went (model version ≥ 3; absent when there was nothing to fit). */
  fit?: MixtureFitTrace;
}

/**
 * The variational (VB) fit of a mixture column's modes, on the values it was fitted on (exact
 * value counts or the summary's sample); refinement passes over all rows come after it.
 */
export interface MixtureFitTrace {
  /** Iterations run (at most the fit's maximum, 100 by default). */
  iterations: number;
  /** Whether |Δ bound per value| fell below `tol`. */
  converged: boolean;
  /** The convergence tolerance on the change of the bound per fitted value. */
  tol: number;
  /** The variational lower bound per fitted value after each iteration (length `iterations`). */
  bounds: number[];
}

/**
 * The drift baseline of a mixture column, computed at fit time from the fit data (the exact value
 * counts, the row sample, or every row in memory), in the terms `modenorm drift` measures new data
 * in. Weights are rows (a sample's rows when the fit used a sample). Each finite value has a slot:
 * the kept mode of highest posterior (argmax) for values in the modes' domain, else its modal
 * value's slot (mixed columns), else the literal slot (e.g. log columns' values ≤ offset).
 */
export interface MixtureBaseline {
  /** Finite values the baseline describes (the sample's size when fitted on a sample). */
  size: number;
  /** Smallest and largest finite value. */
  min: number;
  max: number;
  /** Share of values per slot: kept modes, then modal values, then the literal slot. */
  occupancy: number[];
  /** Values in the modes' domain (slots of kept modes). */
  fitted: number;
  /** A low quantile (about 1 %) of the log-density ℓ of fitted values, and the share below it. */
  lowCut: number;
  lowShare: number;
  /** Mean and standard deviation of max(ℓ, lowCut) over fitted values. */
  clippedMean: number;
  clippedStd: number;
  /** Shares of fitted values in equal bins of F(t), the mixture's distribution function. */
  cdf: number[];
}

/** A column encoded by min–max scaling to [−1, 1] ("general" in CTAB-GAN). */
export interface MinMaxColumnSpec {
  name: string;
  kind: "minmax";
  dtype: ColumnType;
  unit?: TimeUnit;
  min: number;
  max: number;
  nullable: boolean;
  rows: number;
  nullCount: number;
}

/** How unseen categories are treated at transform time. */
export type UnseenPolicy = "error" | "other";

/** A categorical column: one index per row into `categories`. */
export interface CategoricalColumnSpec {
  name: string;
  kind: "categorical";
  dtype: ColumnType;
  /**
   * The categories as strings (numbers, booleans and int64 values in their canonical text form),
   * in the chosen order.
   */
  categories: string[];
  order: "frequency" | "first-seen";
  /** Frequencies at fit time, aligned with `categories`. */
  counts: number[];
  unseen: UnseenPolicy;
  nullable: boolean;
  rows: number;
  nullCount: number;
}

export type ColumnSpec = MixtureColumnSpec | MinMaxColumnSpec | CategoricalColumnSpec;
export type ColumnKind = ColumnSpec["kind"];

/** The model file. */
export interface ModelSpec {
  format: typeof MODEL_FORMAT;
  version: ModelVersion;
  /** Seed of the per-row mode sampling. */
  seed: number;
  columns: ColumnSpec[];
}

/** Codes of the compact layout's `<name>.mode` column besides mode indices 0…K−1. */
export const MODE_LITERAL = -1;
export const MODE_NULL = -2;
