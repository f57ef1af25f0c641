/**
 * What a report of a clustering model counts in one streaming pass: every row's cluster (by the
 * model, as `cluster --assignments` gives it), the rows per cluster, and a scatter sample of two
 * chosen columns stratified by cluster. The sample is the rows of smallest hash of
 * (seed, row index) within each cluster, so it is the same for any block size, and at most
 * `capacity` rows per cluster are held while streaming.
 */
import { InvalidInputError } from "../core/errors.js";
import type { Table } from "../core/table.js";
import { assignRows, type ClusterModel, standardizeRows } from "../encode/cluster-model.js";
import { rowHash } from "../encode/summary.js";
import { tableRows } from "../run/cluster-rows.js";

/** Points of a scatter at most (SVG costs about 260 bytes a point). */
export const SCATTER_POINTS = 5000;
/** Points of each cluster at least (or all of its rows when it has fewer). */
export const SCATTER_MIN_PER_CLUSTER = 200;

interface Candidate {
  h: number;
  row: number;
  x: number;
  y: number;
}

/** The pass's state. */
export interface ClusterPass {
  model: ClusterModel;
  /** Indices in the model's columns of the scatter's x and y. */
  xy: [number, number];
  /** Rows per cluster, and rows skipped for a missing value. */
  counts: number[];
  skipped: number;
  rows: number;
  candidates: Candidate[][];
  /** Per cluster: candidates with a hash at or above this are not kept. */
  cut: number[];
}

/** An empty pass plotting columns `x` and `y` of the model. */
export function createClusterPass(model: ClusterModel, x: string, y: string): ClusterPass {
  const xy = [x, y].map((name) => {
    const at = model.columns.indexOf(name);
    if (at < 0)
      throw new InvalidInputError(
        `column "${name}" is not one of the clustering model's columns (${model.columns.join(", ")}); choose two of them with --columns.`,
      );
    return at;
  }) as [number, number];
  const K = model.components;
  return {
    model,
    xy,
    counts: new Array(K).fill(0),
    skipped: 0,
    rows: 0,
    candidates: Array.from({ length: K }, () => []),
    cut: new Array(K).fill(Number.POSITIVE_INFINITY),
  };
}

const byHash = (a: Candidate, b: Candidate) => a.h - b.h || a.row - b.row;

/** Keeps the `SCATTER_POINTS` candidates of smallest hash. */
function prune(p: ClusterPass, k: number): void {
  const c = p.candidates[k]!;
  c.sort(byHash);
  c.length = SCATTER_POINTS;
  p.cut[k] = c[SCATTER_POINTS - 1]!.h + 1;
}

/**
 * Adds a block whose first row has global index `firstRow`. Rows missing a value in a model
 * column are skipped (they have no cluster).
 * @throws InvalidInputError when a model column is absent or not numeric.
 */
export function addClusterBlock(p: ClusterPass, table: Table, firstRow: number): void {
  const { X, skipped } = tableRows(table, p.model.columns, "skip", firstRow);
  const d = X.cols;
  const [xi, yi] = p.xy;
  const xs = new Float64Array(X.rows);
  const ys = new Float64Array(X.rows);
  for (let r = 0; r < X.rows; r++) {
    xs[r] = X.data[r * d + xi]!;
    ys[r] = X.data[r * d + yi]!;
  }
  standardizeRows(p.model.standardize, X);
  const labels = new Int32Array(X.rows);
  assignRows(p.model, X, labels, null);
  for (let i = 0, r = 0; i < table.rows; i++) {
    if (skipped !== null && skipped[i] === 1) {
      p.skipped++;
      continue;
    }
    const k = labels[r]!;
    p.counts[k]!++;
    const row = firstRow + i;
    const h = rowHash(p.model.seed, row);
    if (h < p.cut[k]!) {
      const c = p.candidates[k]!;
      c.push({ h, row, x: xs[r]!, y: ys[r]! });
      if (c.length >= 2 * SCATTER_POINTS) prune(p, k);
    }
    r++;
  }
  p.rows += table.rows;
}

/** A scatter point: the two columns' values and the row's cluster. */
export interface ScatterPoint {
  x: number;
  y: number;
  k: number;
}

/**
 * The scatter sample: each cluster gets min(rows, {@link SCATTER_MIN_PER_CLUSTER}) points, and
 * the rest of {@link SCATTER_POINTS} is shared in proportion to the clusters' rows; within a
 * cluster the rows of smallest hash. In row order.
 */
export function scatterSample(p: ClusterPass): ScatterPoint[] {
  const K = p.counts.length;
  const take = p.counts.map((n) => Math.min(n, SCATTER_MIN_PER_CLUSTER));
  // The rest in proportion to the rows of the clusters that have rows left, until it is used up
  // or every row is taken (a small cluster's share goes to the others).
  let left = SCATTER_POINTS - take.reduce((a, b) => a + b, 0);
  while (left > 0) {
    const open = take.map((_, k) => k).filter((k) => take[k]! < p.counts[k]!);
    if (open.length === 0) break;
    const weight = open.reduce((a, k) => a + p.counts[k]!, 0);
    let given = 0;
    for (const k of open) {
      const add = Math.min(p.counts[k]! - take[k]!, Math.floor((left * p.counts[k]!) / weight));
      take[k]! += add;
      given += add;
    }
    // Rounding left a few: one each to the largest clusters with rows left.
    if (given === 0) {
      for (const k of open.sort((a, b) => p.counts[b]! - p.counts[a]! || a - b)) {
        if (given === left) break;
        take[k]!++;
        given++;
      }
    }
    left -= given;
  }
  const out: (ScatterPoint & { row: number })[] = [];
  for (let k = 0; k < K; k++) {
    const c = [...p.candidates[k]!].sort(byHash).slice(0, take[k]);
    for (const q of c) out.push({ x: q.x, y: q.y, k, row: q.row });
  }
  out.sort((a, b) => a.row - b.row);
  return out.map(({ x, y, k }) => ({ x, y, k }));
}
