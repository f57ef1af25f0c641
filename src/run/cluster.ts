/**
 * Clustering: a multivariate Gaussian mixture over chosen numeric columns of a table stream.
 *
 * The chosen columns are read once into one row-major matrix in shared memory (8·d bytes per
 * row); the mixture is fitted by the one fitting loop through the thread source, whose blocks are
 * fixed by the parts (`cluster-rows.ts`), so the model is bit-identical for any thread count, and
 * for any number of queue workers (`ClusterData` over Redis, `src/distributed/`). Initialisation
 * (k-means by default) runs on an evenly spaced sample of at most {@link INIT_ROWS} rows, every
 * iteration on all rows. Assignments (label and probabilities per row) come from the model's
 * E-step constants, the same whether computed here or from the model file later.
 */
import { BayesianGaussianMixture } from "../core/bayesian-gaussian-mixture.js";
import type { CovarianceType } from "../core/covariance.js";
import { InvalidInputError } from "../core/errors.js";
import { columnMeans, dataMoments, type FitSource, runStepsAsync } from "../core/fit.js";
import { GaussianMixture } from "../core/gaussian-mixture.js";
import type { Matrix } from "../core/matrix.js";
import {
  type MixtureStats,
  type MomentKind,
  STATS_N,
  statsOffsetQ,
  statsOffsetS,
} from "../core/stats.js";
import type { Table } from "../core/table.js";
import type { ComponentTerms } from "../core/terms.js";
import {
  assignRows,
  type ClusterModel,
  clusterModelOf,
  standardizeRows,
} from "../encode/cluster-model.js";
import { type ClusterRows, rowsAtIndices } from "./cluster-rows.js";
import type { WorkerPool } from "./pool.js";
import { threadSource } from "./thread-source.js";

/** Rows of the initialisation sample at most. */
export const INIT_ROWS = 100_000;

/** Options of {@link clusterFit}. */
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
}

/**
 * Where a clustering's rows live: in this process ({@link localClusterData}) or in part files
 * that queue workers read. Every method answers the same for the same rows and blocks, wherever
 * they live.
 */
export interface ClusterData {
  readonly d: number;
  /** Kept rows (all parts). */
  readonly rows: number;
  /** Input rows (all parts). */
  readonly inputRows: number;
  /** The kept rows at the given ascending global kept-row indices, as read, row-major. */
  rowsAt(indices: Float64Array): Promise<Float64Array>;
  /**
   * The E-step over every kept row, standardised first by `standardize` when not null, folded in
   * block order (parts in order, each part's blocks in order).
   */
  summarize(
    terms: ComponentTerms,
    moment: MomentKind,
    standardize: ClusterModel["standardize"],
  ): Promise<MixtureStats>;
}

/** {@link ClusterData} over rows in this process, the E-steps on `pool`. */
export function localClusterData(rows: ClusterRows, pool: WorkerPool): ClusterData {
  const { X } = rows;
  const source = threadSource(X, null, { pool, blockStarts: rows.blockStarts });
  // X is standardised in place once, when the first E-step asks for it.
  let applied: ClusterModel["standardize"] = null;
  return {
    d: X.cols,
    rows: X.rows,
    inputRows: rows.inputRows,
    async rowsAt(indices) {
      if (applied !== null) throw new Error("rowsAt: the rows are already standardised");
      return rowsAtIndices(X.data, X.cols, X.rows, indices);
    },
    summarize(terms, moment, standardize) {
      if (standardize !== applied) {
        if (applied !== null) throw new Error("summarize: the rows hold another standardisation");
        standardizeRows(standardize, X);
        applied = standardize;
      }
      return source.summarize(terms, moment);
    },
  };
}

/** The indices of an evenly spaced sample of at most `limit` of `n` rows. */
export function sampleIndices(n: number, limit: number): Float64Array {
  const m = Math.min(n, limit);
  return Float64Array.from({ length: m }, (_, s) => Math.floor((s * n) / m));
}

/**
 * Centre and scale of each feature from the data's moments about `shift` (one E-step of a
 * single component): mean and population standard deviation; a scale of 1 for a constant
 * feature.
 */
function standardizationOf(
  m: MixtureStats,
  shift: Float64Array,
): { center: number[]; scale: number[] } {
  const d = shift.length;
  const b = m.buffer;
  const n = b[STATS_N]!;
  const oS = statsOffsetS(1);
  const oQ = statsOffsetQ(1, d);
  const center: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < d; j++) {
    const s = b[oS + j]!;
    center.push(shift[j]! + s / n);
    const v = (b[oQ + j * d + j]! - (s * s) / n) / n;
    const sd = Math.sqrt(Math.max(0, v));
    scale.push(sd > 0 && Number.isFinite(sd) ? sd : 1);
  }
  return { center, scale };
}

/**
 * Fits the clustering on `data`: the initialisation sample (evenly spaced, at most
 * {@link INIT_ROWS} kept rows), the standardisation when asked (one E-step of moments), then the
 * one fitting loop with every E-step on `data`.
 * @throws InvalidInputError for fewer rows than components or bad options.
 */
export async function clusterFit(data: ClusterData, o: ClusterOptions): Promise<ClusterModel> {
  const K = o.components;
  const d = data.d;
  if (!Number.isInteger(K) || K < 1) {
    throw new InvalidInputError(`--components must be a positive integer, got ${K}.`);
  }
  if (data.rows < Math.max(2, K)) {
    throw new InvalidInputError(
      `clustering needs at least ${Math.max(2, K)} rows with every chosen column present, got ${data.rows}. Lower --components or give more rows.`,
    );
  }
  const indices = sampleIndices(data.rows, INIT_ROWS);
  const sample: Matrix = { data: await data.rowsAt(indices), rows: indices.length, cols: d };
  let standardize: ClusterModel["standardize"] = null;
  if (o.standardize === true) {
    const shift = columnMeans(sample, null);
    const moments = await runStepsAsync(dataMoments(d, shift), {
      nFeatures: d,
      initSample: () => ({ X: sample, sampleWeight: null }),
      summarize: (t, m) => data.summarize(t, m, null),
    });
    standardize = standardizationOf(moments, shift);
    standardizeRows(standardize, sample);
  }
  const seed = o.seed ?? 0;
  const options = {
    nComponents: K,
    covarianceType: o.covarianceType ?? "full",
    randomState: seed,
    tol: o.tol ?? 1e-3,
    maxIter: o.maxIter ?? 100,
  };
  const est = o.bayesian ? new BayesianGaussianMixture(options) : new GaussianMixture(options);
  const source: FitSource = {
    nFeatures: d,
    initSample: () => ({ X: sample, sampleWeight: null }),
    summarize: (terms, moment) => data.summarize(terms, moment, standardize),
  };
  await est.fitSource(source);
  return clusterModelOf(est, {
    columns: o.columns,
    estimator: o.bayesian ? "bayesian" : "gaussian",
    seed,
    standardize,
    fit: {
      rows: data.rows,
      skippedRows: data.inputRows - data.rows,
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
