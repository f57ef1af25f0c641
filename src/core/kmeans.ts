/**
 * k-means for initialising mixtures, as scikit-learn does it (`KMeans(n_init=1)`, Lloyd's
 * algorithm, greedy k-means++ seeding; `sklearn/cluster/_kmeans.py`, 1.2).
 *
 * Differences from scikit-learn, all deliberate:
 * - Squared distances are computed directly as Σ (x − c)², not as ‖x‖² − 2x·c + ‖c‖², so they are
 *   never negative and need no centring of X. Ties go to the lowest cluster index.
 * - k-means++ does not store the (2 + ⌊ln k⌋) × n candidate distance matrix: it sums the
 *   candidates' potentials in one pass and recomputes the winner's distances in another, so memory
 *   stays O(n) for any k.
 * - With sample weights, the relative tolerance uses the weighted feature variances, so integer
 *   weights behave exactly like repeated rows (scikit-learn 1.2 uses unweighted variances).
 * - Empty clusters (zero total weight) are relocated to the farthest rows, like scikit-learn, but
 *   only rows with positive weight whose cluster keeps positive weight without them are taken
 *   (otherwise the hole just moves), the relocated row is relabelled, and a cluster that stays
 *   empty keeps its previous centre instead of jumping to the origin.
 * - The final labels are always recomputed from the final centres (scikit-learn skips that step
 *   after strict convergence, where it is a no-op).
 */
import { InvalidInputError } from "./errors.js";
import type { Random } from "./rng.js";

/** Result of {@link kmeansPlusPlus}. */
export interface KmeansPlusPlusResult {
  /** Chosen centres, length k·d, row-major (copies of rows of X). */
  centers: Float64Array;
  /** Row index of each centre in X, length k. */
  indices: Int32Array;
}

/** Options of {@link kmeans}. */
export interface KmeansOptions {
  /** Generator for the k-means++ seeding (unused when `init` is given). */
  rng: Random;
  /** Maximum number of Lloyd iterations, integer ≥ 1. Default 300. */
  maxIter?: number;
  /**
   * Relative tolerance, ≥ 0. Default 1e-4. Iteration stops when Σ_k ‖c_k,new − c_k,old‖² ≤
   * tol · mean_j Var(X_j) (weighted variance if weighted), or when no label changes.
   */
  tol?: number;
  /** Non-negative weight per row, length n, positive sum. Default: all 1. */
  sampleWeight?: Float64Array | null;
  /** Initial centres, length k·d, row-major. Default: k-means++ seeding. Not modified. */
  init?: Float64Array;
}

/** Result of {@link kmeans}. */
export interface KmeansResult {
  /** Final centres, length k·d, row-major. */
  centers: Float64Array;
  /** Index of the nearest final centre for each row, length n. */
  labels: Int32Array;
  /** Σ_i w_i ‖x_i − c_{label_i}‖² for the returned centres and labels. */
  inertia: number;
  /** Number of Lloyd iterations run, in [1, maxIter]. */
  nIter: number;
}

function checkShape(where: string, X: Float64Array, n: number, d: number, k: number): void {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidInputError(`${where}: n must be an integer >= 1, got ${n}.`);
  }
  if (!Number.isSafeInteger(d) || d < 1) {
    throw new InvalidInputError(`${where}: d must be an integer >= 1, got ${d}.`);
  }
  if (X.length !== n * d) {
    throw new InvalidInputError(
      `${where}: X has length ${X.length} but n·d = ${n}·${d} = ${n * d}; pass X row-major with exactly n rows of d values.`,
    );
  }
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new InvalidInputError(`${where}: k must be an integer >= 1, got ${k}.`);
  }
  if (k > n) {
    throw new InvalidInputError(
      `${where}: k=${k} clusters need at least k rows, but X has n=${n}. Lower k or pass more rows.`,
    );
  }
  for (let i = 0; i < X.length; i++) {
    const v = X[i]!;
    if (v - v !== 0) {
      throw new InvalidInputError(
        `${where}: X[row ${Math.floor(i / d)}, col ${i % d}] is ${v}; k-means needs finite values. Drop or impute such rows first.`,
      );
    }
  }
}

function checkWeights(where: string, w: Float64Array | null | undefined, n: number): void {
  if (w === null || w === undefined) return;
  if (w.length !== n) {
    throw new InvalidInputError(
      `${where}: sampleWeight has length ${w.length} but X has n=${n} rows.`,
    );
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i]!;
    if (!(v >= 0 && v < Infinity)) {
      throw new InvalidInputError(
        `${where}: sampleWeight[${i}] is ${v}; weights must be finite and >= 0.`,
      );
    }
    sum += v;
  }
  if (!(sum > 0 && sum < Infinity)) {
    throw new InvalidInputError(
      `${where}: sampleWeight must have a positive finite sum, got ${sum}.`,
    );
  }
}

/** Squared distance between row i of X and row j of C (both d wide). */
function sqDist(X: Float64Array, i: number, C: Float64Array, j: number, d: number): number {
  const xo = i * d;
  const co = j * d;
  let s = 0;
  for (let t = 0; t < d; t++) {
    const diff = X[xo + t]! - C[co + t]!;
    s += diff * diff;
  }
  return s;
}

/**
 * Greedy k-means++ seeding, as scikit-learn's `_kmeans_plusplus`: the first centre is a row drawn
 * with probability ∝ its weight; each further centre is the best of `2 + ⌊ln k⌋` candidates drawn
 * with probability ∝ w_i·D(x_i)² (D = distance to the nearest chosen centre), "best" meaning the
 * smallest resulting potential Σ w_i·D(x_i)². Candidates are located by the left-sided search on the
 * cumulative sums, clipped to the last row (scikit-learn's `searchsorted` + `clip`).
 *
 * Cost: 3 passes over X per centre ((2 + ⌊ln k⌋) distances per row in one of them); memory
 * O(n + k·d).
 *
 * @param X rows, length n·d, row-major, finite.
 * @param n number of rows, ≥ k.
 * @param d number of features, ≥ 1.
 * @param k number of centres, ≥ 1.
 * @param rng generator; advanced.
 * @param sampleWeight optional weights, length n, ≥ 0, positive sum. Default: all 1.
 * @throws InvalidInputError for invalid shapes, k > n, non-finite X or invalid weights.
 */
export function kmeansPlusPlus(
  X: Float64Array,
  n: number,
  d: number,
  k: number,
  rng: Random,
  sampleWeight?: Float64Array | null,
): KmeansPlusPlusResult {
  checkShape("kmeansPlusPlus", X, n, d, k);
  checkWeights("kmeansPlusPlus", sampleWeight, n);
  return seedPlusPlus(X, n, d, k, rng, sampleWeight ?? null);
}

function seedPlusPlus(
  X: Float64Array,
  n: number,
  d: number,
  k: number,
  rng: Random,
  w: Float64Array | null,
): KmeansPlusPlusResult {
  const centers = new Float64Array(k * d);
  const indices = new Int32Array(k);
  const closest = new Float64Array(n);
  const trials = 2 + Math.floor(Math.log(k));
  const targets = new Float64Array(trials);
  const order = new Int32Array(trials);
  const candidates = new Int32Array(trials);
  const potentials = new Float64Array(trials);

  // First centre: uniform without weights (scikit-learn's randint), else the first row whose
  // cumulative weight exceeds u·W (numpy's choice with p, side="right").
  let first: number;
  if (w === null) {
    first = rng.integer(n);
  } else {
    let total = 0;
    for (let i = 0; i < n; i++) total += w[i]!;
    const r = rng.random() * total;
    let cum = 0;
    first = n - 1;
    for (let i = 0; i < n; i++) {
      cum += w[i]!;
      if (cum > r) {
        first = i;
        break;
      }
    }
  }
  indices[0] = first;
  centers.set(X.subarray(first * d, first * d + d), 0);
  let potential = 0;
  for (let i = 0; i < n; i++) {
    const dist = sqDist(X, i, X, first, d);
    closest[i] = dist;
    potential += w === null ? dist : w[i]! * dist;
  }

  for (let c = 1; c < k; c++) {
    // Draw the candidates' targets, then locate them all in one scan of the cumulative sums.
    for (let t = 0; t < trials; t++) {
      targets[t] = rng.random() * potential;
      order[t] = t;
    }
    for (let t = 1; t < trials; t++) {
      // Insertion sort of `order` by target (trials ≤ 2 + ln k is tiny).
      const o = order[t]!;
      let s = t - 1;
      while (s >= 0 && targets[order[s]!]! > targets[o]!) {
        order[s + 1] = order[s]!;
        s--;
      }
      order[s + 1] = o;
    }
    let next = 0;
    let cum = 0;
    for (let i = 0; i < n && next < trials; i++) {
      cum += w === null ? closest[i]! : w[i]! * closest[i]!;
      while (next < trials && cum >= targets[order[next]!]!) candidates[order[next++]!] = i;
    }
    while (next < trials) candidates[order[next++]!] = n - 1;

    // Potential of each candidate, all in one pass over X (the per-candidate sums still run in
    // row order, so the result equals one pass per candidate).
    potentials.fill(0);
    for (let i = 0; i < n; i++) {
      const cl = closest[i]!;
      const wi = w === null ? 1 : w[i]!;
      for (let t = 0; t < trials; t++) {
        const dist = sqDist(X, i, X, candidates[t]!, d);
        potentials[t]! += wi * Math.min(dist, cl);
      }
    }
    // Keep the candidate with the smallest potential (first one on ties, as numpy's argmin).
    let best = candidates[0]!;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      if (potentials[t]! < bestPotential) {
        bestPotential = potentials[t]!;
        best = candidates[t]!;
      }
    }
    potential = 0;
    for (let i = 0; i < n; i++) {
      const dist = sqDist(X, i, X, best, d);
      if (dist < closest[i]!) closest[i] = dist;
      potential += w === null ? closest[i]! : w[i]! * closest[i]!;
    }
    indices[c] = best;
    centers.set(X.subarray(best * d, best * d + d), c * d);
  }
  return { centers, indices };
}

/**
 * Nearest centre of every row: writes `labels`, and when `sums` is given also the weighted sums
 * Σ w_i x_i per cluster into `sums` (k·d) and the weights into `weightIn` (k). Returns whether any
 * label changed.
 */
function assign(
  X: Float64Array,
  n: number,
  d: number,
  k: number,
  centers: Float64Array,
  w: Float64Array | null,
  labels: Int32Array,
  sums: Float64Array | null,
  weightIn: Float64Array,
): boolean {
  if (sums !== null) {
    sums.fill(0);
    weightIn.fill(0);
  }
  if (d === 1) return assign1d(X, n, k, centers, w, labels, sums, weightIn);
  let changed = false;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDist = sqDist(X, i, centers, 0, d);
    for (let j = 1; j < k; j++) {
      const dist = sqDist(X, i, centers, j, d);
      if (dist < bestDist) {
        bestDist = dist;
        best = j;
      }
    }
    if (labels[i] !== best) {
      changed = true;
      labels[i] = best;
    }
    if (sums !== null) {
      const wi = w === null ? 1 : w[i]!;
      weightIn[best]! += wi;
      const so = best * d;
      const xo = i * d;
      for (let t = 0; t < d; t++) sums[so + t]! += wi * X[xo + t]!;
    }
  }
  return changed;
}

/** {@link assign} for d = 1: no loop over features, one scalar per row. */
function assign1d(
  X: Float64Array,
  n: number,
  k: number,
  centers: Float64Array,
  w: Float64Array | null,
  labels: Int32Array,
  sums: Float64Array | null,
  weightIn: Float64Array,
): boolean {
  let changed = false;
  const c0 = centers[0]!;
  for (let i = 0; i < n; i++) {
    const x = X[i]!;
    let best = 0;
    let bestDist = (x - c0) * (x - c0);
    for (let j = 1; j < k; j++) {
      const diff = x - centers[j]!;
      const dist = diff * diff;
      if (dist < bestDist) {
        bestDist = dist;
        best = j;
      }
    }
    if (labels[i] !== best) {
      changed = true;
      labels[i] = best;
    }
    if (sums !== null) {
      const wi = w === null ? 1 : w[i]!;
      weightIn[best]! += wi;
      sums[best]! += wi * x;
    }
  }
  return changed;
}

/**
 * Lloyd's algorithm (weighted), as scikit-learn's `_kmeans_single_lloyd` with `n_init=1`:
 * k-means++ seeding unless `init` is given; each iteration assigns rows to the nearest centre and
 * moves centres to the weighted means; empty clusters are relocated to the rows farthest from their
 * centres; stops on unchanged labels or when the squared centre shift Σ_k ‖Δc_k‖² ≤ tol · mean
 * feature variance. Labels and inertia refer to the returned centres. Inertia never increases from
 * one iteration to the next (absent relocations), so a run with maxIter = m + 1 ends with inertia
 * ≤ the run with maxIter = m from the same start.
 *
 * Cost per iteration: one pass over X, O(n·k·d); no allocation inside the loop.
 *
 * @param X rows, length n·d, row-major, finite.
 * @param n number of rows, ≥ k.
 * @param d number of features, ≥ 1.
 * @param k number of clusters, ≥ 1.
 * @param options see {@link KmeansOptions}.
 * @throws InvalidInputError for invalid shapes, k > n, non-finite X, invalid weights, maxIter,
 *   tol or init.
 */
export function kmeans(
  X: Float64Array,
  n: number,
  d: number,
  k: number,
  options: KmeansOptions,
): KmeansResult {
  checkShape("kmeans", X, n, d, k);
  const w = options.sampleWeight ?? null;
  checkWeights("kmeans", w, n);
  const maxIter = options.maxIter ?? 300;
  if (!Number.isSafeInteger(maxIter) || maxIter < 1) {
    throw new InvalidInputError(`kmeans: maxIter must be an integer >= 1, got ${maxIter}.`);
  }
  const tol = options.tol ?? 1e-4;
  if (!(tol >= 0 && tol < Infinity)) {
    throw new InvalidInputError(`kmeans: tol must be finite and >= 0, got ${tol}.`);
  }
  let centers: Float64Array;
  if (options.init !== undefined) {
    const init = options.init;
    if (init.length !== k * d) {
      throw new InvalidInputError(
        `kmeans: init has length ${init.length} but k·d = ${k}·${d} = ${k * d}; pass k centres of d values, row-major.`,
      );
    }
    for (let i = 0; i < init.length; i++) {
      if (init[i]! - init[i]! !== 0) {
        throw new InvalidInputError(`kmeans: init[${i}] is ${init[i]}; centres must be finite.`);
      }
    }
    centers = Float64Array.from(init);
  } else {
    centers = seedPlusPlus(X, n, d, k, options.rng, w).centers;
  }

  const tolAbs = tol === 0 ? 0 : tol * meanVariance(X, n, d, w);
  let next: Float64Array = new Float64Array(k * d);
  const weightIn = new Float64Array(k);
  const labels = new Int32Array(n).fill(-1);

  let iter = 0;
  while (iter < maxIter) {
    iter++;
    let changed = assign(X, n, d, k, centers, w, labels, next, weightIn);
    if (relocateEmpty(X, n, d, k, centers, w, labels, next, weightIn)) changed = true;
    let shift = 0;
    for (let j = 0; j < k; j++) {
      const o = j * d;
      const wj = weightIn[j]!;
      for (let t = 0; t < d; t++) {
        // A cluster still empty after relocation keeps its old centre.
        const v = wj > 0 ? next[o + t]! / wj : centers[o + t]!;
        next[o + t] = v;
        const diff = v - centers[o + t]!;
        shift += diff * diff;
      }
    }
    const old = centers;
    centers = next;
    next = old;
    if (!changed || shift <= tolAbs) break;
  }

  assign(X, n, d, k, centers, w, labels, null, weightIn);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const dist = sqDist(X, i, centers, labels[i]!, d);
    inertia += w === null ? dist : w[i]! * dist;
  }
  return { centers, labels, inertia, nIter: iter };
}

/**
 * Moves each empty cluster (zero weight) onto the row farthest from its current centre (distance
 * to the centres the labels were computed with; first row on ties), and moves that row's weighted
 * contribution across. Only rows with positive weight whose cluster keeps positive weight without
 * them qualify, so a relocation never empties another cluster. One pass over X per empty cluster;
 * empty clusters are rare. Returns whether anything moved.
 */
function relocateEmpty(
  X: Float64Array,
  n: number,
  d: number,
  k: number,
  centers: Float64Array,
  w: Float64Array | null,
  labels: Int32Array,
  sums: Float64Array,
  weightIn: Float64Array,
): boolean {
  let moved = false;
  for (let j = 0; j < k; j++) {
    if (weightIn[j]! > 0) continue;
    let far = -1;
    let farDist = -1;
    for (let i = 0; i < n; i++) {
      const wi = w === null ? 1 : w[i]!;
      const from = labels[i]!;
      if (!(wi > 0 && weightIn[from]! > wi)) continue;
      const dist = sqDist(X, i, centers, from, d);
      if (dist > farDist) {
        farDist = dist;
        far = i;
      }
    }
    if (far < 0) return moved; // no cluster can spare a row
    const from = labels[far]!;
    const wi = w === null ? 1 : w[far]!;
    const xo = far * d;
    for (let t = 0; t < d; t++) {
      sums[from * d + t]! -= wi * X[xo + t]!;
      sums[j * d + t] = wi * X[xo + t]!;
    }
    weightIn[from]! -= wi;
    weightIn[j] = wi;
    labels[far] = j;
    moved = true;
  }
  return moved;
}

/** Mean over features of the (weighted) population variance of X, two-pass for accuracy. */
function meanVariance(X: Float64Array, n: number, d: number, w: Float64Array | null): number {
  let total = 0;
  let wsum = 0;
  for (let i = 0; i < n; i++) wsum += w === null ? 1 : w[i]!;
  for (let t = 0; t < d; t++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += (w === null ? 1 : w[i]!) * X[i * d + t]!;
    mean /= wsum;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const diff = X[i * d + t]! - mean;
      v += (w === null ? 1 : w[i]!) * diff * diff;
    }
    total += v / wsum;
  }
  return total / d;
}
