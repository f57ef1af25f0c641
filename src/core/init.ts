/**
 * Initial responsibilities, reduced straight to statistics (scikit-learn's
 * `_initialize_parameters`, plus a quantile method for one feature).
 */
import { assertUnreachable, InvalidInputError } from "./errors.js";
import { statsFromLabels, statsFromResponsibilities } from "./fit.js";
import { kmeans, kmeansPlusPlus } from "./kmeans.js";
import type { Matrix } from "./matrix.js";
import type { InitParams } from "./options.js";
import type { Random } from "./rng.js";
import type { MixtureStats, MomentKind } from "./stats.js";

/** Initial statistics and any warnings about the data they revealed. */
export interface InitResult {
  stats: MixtureStats;
  warnings: string[];
}

/** `auto` resolved for the number of features. */
export function resolveInitParams(
  method: InitParams,
  nFeatures: number,
): Exclude<InitParams, "auto"> {
  if (method === "auto") return nFeatures === 1 ? "quantile" : "kmeans";
  if (method === "quantile" && nFeatures !== 1) {
    throw new InvalidInputError(
      `initParams "quantile" needs one feature, but X has ${nFeatures}. Use "kmeans" or "k-means++" for multivariate data.`,
    );
  }
  return method;
}

/** Number of distinct rows of X, counting up to `limit` (enough to warn when fewer than K). */
function countDistinctRows(X: Matrix, limit: number): number {
  const seen = new Set<string>();
  const d = X.cols;
  for (let i = 0; i < X.rows && seen.size < limit; i++) {
    seen.add(d === 1 ? String(X.data[i]) : Array.from(X.data.subarray(i * d, i * d + d)).join(","));
  }
  return seen.size;
}

/**
 * Statistics of the initial responsibilities drawn by `method` from the rows of X.
 *
 * - kmeans: one k-means run's labels (hard assignments).
 * - k-means++ / random_from_data: only the K seed rows carry responsibility (1 each), as in
 *   scikit-learn ≥ 1.1; components start at single points with covariance regCovar.
 * - random: per-row uniform draws, normalised.
 * - quantile: rows sorted by value and cut into K slices of equal total weight.
 */
export function initialStats(
  method: Exclude<InitParams, "auto">,
  X: Matrix,
  sampleWeight: Float64Array | null,
  k: number,
  rng: Random,
  moment: MomentKind,
): InitResult {
  const n = X.rows;
  const d = X.cols;
  const warnings: string[] = [];
  const distinct = countDistinctRows(X, k);
  if (distinct < k) {
    warnings.push(
      `X has only ${distinct} distinct row(s) but nComponents is ${k}: some components start empty or duplicated. Lower nComponents for such data.`,
    );
  }
  switch (method) {
    case "kmeans": {
      const { labels } = kmeans(X.data, n, d, k, { rng, sampleWeight });
      return { stats: statsFromLabels(X, sampleWeight, labels, k, moment), warnings };
    }
    case "k-means++":
    case "random_from_data": {
      const indices =
        method === "k-means++"
          ? kmeansPlusPlus(X.data, n, d, k, rng, sampleWeight).indices
          : rng.sampleIndices(n, k);
      const labels = new Int32Array(n).fill(-1);
      for (let c = 0; c < k; c++) labels[indices[c]!] = c;
      // Seeds carry responsibility 1 regardless of their sample weight, as in scikit-learn.
      return { stats: statsFromLabels(X, null, labels, k, moment), warnings };
    }
    case "random": {
      const resp = new Float64Array(n * k);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let c = 0; c < k; c++) {
          const u = rng.random();
          resp[i * k + c] = u;
          s += u;
        }
        for (let c = 0; c < k; c++) resp[i * k + c]! /= s;
      }
      return {
        stats: statsFromResponsibilities(X, sampleWeight, resp, k, moment),
        warnings,
      };
    }
    case "quantile":
      return { stats: quantileStats(X, sampleWeight, k, moment), warnings };
    default:
      return assertUnreachable(method);
  }
}

/**
 * 1-D: sort the values and give slice c = the rows whose cumulative weight (before them) lies in
 * [c·W/K, (c+1)·W/K). Every component starts with an equal share of the data, so a handful of
 * extreme values can never take a whole component, as they can with k-means.
 */
function quantileStats(
  X: Matrix,
  sampleWeight: Float64Array | null,
  k: number,
  moment: MomentKind,
): MixtureStats {
  const n = X.rows;
  let sorted: Float64Array;
  let sortedWeight: Float64Array | null = null;
  if (sampleWeight === null) {
    sorted = Float64Array.from(X.data).sort();
  } else {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => X.data[a]! - X.data[b]! || a - b);
    sorted = new Float64Array(n);
    sortedWeight = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sorted[i] = X.data[order[i]!]!;
      sortedWeight[i] = sampleWeight[order[i]!]!;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) total += sortedWeight === null ? 1 : sortedWeight[i]!;
  const labels = new Int32Array(n);
  let before = 0;
  for (let i = 0; i < n; i++) {
    labels[i] = Math.min(k - 1, Math.floor((before / total) * k));
    before += sortedWeight === null ? 1 : sortedWeight[i]!;
  }
  return statsFromLabels({ data: sorted, rows: n, cols: 1 }, sortedWeight, labels, k, moment);
}
