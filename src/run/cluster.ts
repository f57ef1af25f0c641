/**
 * Clustering: a multivariate Gaussian mixture over chosen numeric columns of a table stream.
 *
 * The chosen columns are read once into one row-major matrix in shared memory (8·d bytes per
 * row); the mixture is fitted by the one fitting loop through the thread source, whose blocks are
 * fixed ({@link BLOCK_ROWS}), so the model is bit-identical for any thread count. Initialisation
 * (k-means by default) runs on an evenly spaced sample of at most {@link INIT_ROWS} rows, every
 * iteration on all rows. Assignments (label and probabilities per row) come from the model's
 * E-step constants, the same whether computed here or from the model file later.
 */
import { BayesianGaussianMixture } from "../core/bayesian-gaussian-mixture.js";
import type { CovarianceType } from "../core/covariance.js";
import { InvalidInputError } from "../core/errors.js";
import type { FitSource } from "../core/fit.js";
import { GaussianMixture } from "../core/gaussian-mixture.js";
import { MAX_ABS_VALUE, type Matrix } from "../core/matrix.js";
import { type Column, isNull, numericValue, type Table } from "../core/table.js";
import { BLOCK_ROWS } from "../core/terms.js";
import {
  assignRows,
  type ClusterModel,
  clusterModelOf,
  standardizeRows,
} from "../encode/cluster-model.js";
import type { TableStream } from "../io/stream.js";
import type { WorkerPool } from "./pool.js";
import { threadSource } from "./thread-source.js";

/** Rows of the initialisation sample at most. */
export const INIT_ROWS = 100_000;

/** What to do with a row missing a value (null or NaN) in a chosen column. */
export type MissingPolicy = "error" | "skip";

/** Options of {@link clusterRows}. */
export interface ClusterOptions {
  /** The features, in order. */
  columns: string[];
  /** K. */
  components: number;
  /** Default `full`. */
  covarianceType?: CovarianceType;
  /** Variational Bayes with a Dirichlet-process prior instead of EM. Default false. */
  bayesian?: boolean;
  /** Centre and scale each column to mean 0 and standard deviation 1 first. Default false. */
  standardize?: boolean;
  /** Default 0. */
  seed?: number;
  /** Convergence tolerance on the change of the per-row bound; default 1e-3. */
  tol?: number;
  /** Default 100. */
  maxIter?: number;
  /** Default `error`. */
  missing?: MissingPolicy;
}

/** The chosen columns' rows: a matrix of the kept rows and which input rows were kept. */
export interface ClusterRows {
  X: Matrix;
  /** Input rows read. */
  inputRows: number;
  /** Per input row, 1 when it was skipped for a missing value; null when none was. */
  skipped: Uint8Array | null;
}

function describe(v: number): string {
  return Number.isNaN(v) ? "NaN" : String(v);
}

/**
 * Reads the chosen columns of every block into one matrix in shared memory.
 * @throws InvalidInputError naming the column (and, for values, the row and value) for a text
 *   column, a missing value (unless skipped), an infinite value or one beyond ±1e100.
 */
export async function readClusterRows(
  stream: TableStream,
  columns: readonly string[],
  missing: MissingPolicy,
): Promise<ClusterRows> {
  const d = columns.length;
  const parts: Float64Array[] = [];
  const skippedParts: Uint8Array[] = [];
  let kept = 0;
  let inputRows = 0;
  let anySkipped = false;
  for await (const { firstRow, table } of stream.blocks()) {
    const cols = columns.map((name) => columnOf(table, name));
    const part = new Float64Array(table.rows * d);
    const skip = new Uint8Array(table.rows);
    let n = 0;
    for (let i = 0; i < table.rows; i++) {
      let absent = -1;
      for (let j = 0; j < d; j++) {
        const c = cols[j]!;
        const v = isNull(c, i) ? Number.NaN : numericValue(c, i);
        if (Number.isNaN(v)) {
          absent = j;
          break;
        }
        if (!(Math.abs(v) <= MAX_ABS_VALUE)) {
          throw new InvalidInputError(
            `column "${c.name}": row ${firstRow + i} is ${describe(v)}; clustering needs finite values within ±${MAX_ABS_VALUE}. Filter or rescale such rows first.`,
          );
        }
        part[n * d + j] = v;
      }
      if (absent >= 0) {
        if (missing === "error") {
          throw new InvalidInputError(
            `column "${columns[absent]}": row ${firstRow + i} is missing (null or NaN). Pass --missing skip to leave such rows out of the fit (their assignment is then empty), or fill them first.`,
          );
        }
        skip[i] = 1;
        anySkipped = true;
        continue;
      }
      n++;
    }
    parts.push(part.subarray(0, n * d));
    skippedParts.push(skip);
    kept += n;
    inputRows += table.rows;
  }
  const data = new Float64Array(new SharedArrayBuffer(kept * d * 8));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  let skipped: Uint8Array | null = null;
  if (anySkipped) {
    skipped = new Uint8Array(inputRows);
    let r = 0;
    for (const s of skippedParts) {
      skipped.set(s, r);
      r += s.length;
    }
  }
  return { X: { data, rows: kept, cols: d }, inputRows, skipped };
}

function columnOf(table: Table, name: string): Exclude<Column, { type: "string" }> {
  const c = table.columns.find((x) => x.name === name);
  if (c === undefined) throw new InvalidInputError(`column "${name}": not in the input.`);
  if (c.type === "string") {
    throw new InvalidInputError(
      `column "${name}": is text, but clustering needs numeric columns. Choose numeric columns with --columns.`,
    );
  }
  return c;
}

/** Column means and standard deviations (population; 1 for a constant column). */
function standardization(X: Matrix): { center: number[]; scale: number[] } {
  const d = X.cols;
  const center: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < d; j++) {
    let s = 0;
    for (let i = 0; i < X.rows; i++) s += X.data[i * d + j]!;
    const m = s / X.rows;
    let q = 0;
    for (let i = 0; i < X.rows; i++) {
      const dx = X.data[i * d + j]! - m;
      q += dx * dx;
    }
    const sd = Math.sqrt(q / X.rows);
    center.push(m);
    scale.push(sd > 0 && Number.isFinite(sd) ? sd : 1);
  }
  return { center, scale };
}

/** An evenly spaced sample of at most `limit` rows (all rows when there are fewer). */
function initSample(X: Matrix, limit: number): Matrix {
  if (X.rows <= limit) return X;
  const d = X.cols;
  const data = new Float64Array(limit * d);
  for (let s = 0; s < limit; s++) {
    const i = Math.floor((s * X.rows) / limit);
    data.set(X.data.subarray(i * d, (i + 1) * d), s * d);
  }
  return { data, rows: limit, cols: d };
}

/**
 * Fits the clustering on rows read by {@link readClusterRows} (standardising them in place when
 * asked), with the E-steps on `pool`.
 * @throws InvalidInputError for fewer rows than components or bad options.
 */
export async function clusterRows(
  rows: ClusterRows,
  o: ClusterOptions,
  pool: WorkerPool,
): Promise<ClusterModel> {
  const { X } = rows;
  const K = o.components;
  if (!Number.isInteger(K) || K < 1) {
    throw new InvalidInputError(`--components must be a positive integer, got ${K}.`);
  }
  if (X.rows < Math.max(2, K)) {
    throw new InvalidInputError(
      `clustering needs at least ${Math.max(2, K)} rows with every chosen column present, got ${X.rows}. Lower --components or give more rows.`,
    );
  }
  const standardize = o.standardize === true ? standardization(X) : null;
  const seed = o.seed ?? 0;
  const options = {
    nComponents: K,
    covarianceType: o.covarianceType ?? "full",
    randomState: seed,
    tol: o.tol ?? 1e-3,
    maxIter: o.maxIter ?? 100,
  };
  const est = o.bayesian ? new BayesianGaussianMixture(options) : new GaussianMixture(options);
  const partial = {
    columns: o.columns,
    estimator: o.bayesian ? ("bayesian" as const) : ("gaussian" as const),
    seed,
    standardize,
  };
  standardizeRows(standardize, X);
  const sample = initSample(X, INIT_ROWS);
  const threads = threadSource(X, null, { pool, blockRows: BLOCK_ROWS });
  const source: FitSource = {
    nFeatures: X.cols,
    initSample: () => ({ X: sample, sampleWeight: null }),
    summarize: (terms, moment) => threads.summarize(terms, moment),
  };
  await est.fitSource(source);
  return clusterModelOf(est, {
    ...partial,
    fit: {
      rows: X.rows,
      skippedRows: rows.inputRows - X.rows,
      initRows: sample.rows,
      converged: est.converged,
      iterations: est.nIter,
      lowerBound: est.lowerBound,
      lowerBounds: est.lowerBounds,
      tol: options.tol,
      maxIter: options.maxIter,
    },
  });
}

/**
 * The assignments of input rows [start, end): `cluster` (int32) and `prob_0` … `prob_{K−1}`
 * (float64), empty (null) for rows skipped for a missing value. `rows.X` is in the fitted space.
 */
export function assignmentBlock(
  model: ClusterModel,
  rows: ClusterRows,
  keptBefore: number,
  start: number,
  end: number,
): { table: Table; kept: number } {
  const K = model.components;
  const d = rows.X.cols;
  const n = end - start;
  const skipped = rows.skipped;
  let kept = n;
  if (skipped !== null) {
    kept = 0;
    for (let i = start; i < end; i++) kept += 1 - skipped[i]!;
  }
  const X: Matrix = {
    data: rows.X.data.subarray(keptBefore * d, (keptBefore + kept) * d),
    rows: kept,
    cols: d,
  };
  const labels = new Int32Array(kept);
  const resp = new Float64Array(kept * K);
  assignRows(model, X, labels, resp);
  const label = new Int32Array(n);
  const probs = Array.from({ length: K }, () => new Float64Array(n));
  const nulls = skipped === null ? null : skipped.slice(start, end);
  for (let i = 0, r = 0; i < n; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    label[i] = labels[r]!;
    for (let k = 0; k < K; k++) probs[k]![i] = resp[r * K + k]!;
    r++;
  }
  return {
    table: {
      rows: n,
      columns: [
        { name: "cluster", type: "int32", values: label, nulls },
        ...probs.map((values, k) => ({
          name: `prob_${k}`,
          type: "float64" as const,
          values,
          nulls: nulls === null ? null : nulls.slice(),
        })),
      ],
    },
    kept,
  };
}
