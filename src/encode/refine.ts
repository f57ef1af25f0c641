/**
 * Refinement passes: EM iterations of a fitted mixture column's kept modes over every row, through
 * the mergeable 1-D statistics (N_k, S_k, Q_k about each mode's mean; ARCHITECTURE §1). A column
 * fitted on a sample (more distinct values than a summary counts exactly) gets its modes moved
 * to where all the rows put them.
 *
 * Trimmed: rows farther than {@link TRIM} σ from every mode (e.g. 0.1 % outliers at 1e9 next to
 * modes of width 1e4) take no part. Plain EM would stretch the widest mode over them — a better
 * log-likelihood for the outliers bought with the resolution of every row of that mode. Over the
 * rows that take part, a pass cannot lower the log-likelihood (EM's monotonicity, Bishop 2006
 * §9.4); over all rows it rose in every case measured (see the README).
 *
 * Statistics are added block by block in block order, so the result depends only on the rows.
 */
import { estep1dWasm } from "../core/kernels/estep-1d-wasm.js";
import type { Column } from "../core/table.js";
import { fittedValues } from "./mixture-column.js";
import type { MixtureColumnSpec, ModeSpec } from "./spec.js";

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
/** Values farther than this many σ from every mode do not move the modes. */
export const TRIM = 8;

/** The running statistics of one refinement pass over one column. */
export interface ModeRefiner {
  spec: MixtureColumnSpec;
  K: number;
  a: Float64Array;
  mu: Float64Array;
  b: Float64Array;
  sd: Float64Array;
  /** Σ over blocks of the kernel's [Σw, Σ log p, Σ r log r, N_k, S_k, Q_k]. */
  stats: Float64Array;
  out: Float64Array;
  scratch: Float64Array;
  values: Float64Array;
}

/** A refiner for one pass with the spec's current modes. */
export function createRefiner(spec: MixtureColumnSpec): ModeRefiner {
  const K = spec.modes.length;
  const a = new Float64Array(K);
  const mu = new Float64Array(K);
  const b = new Float64Array(K);
  const sd = Float64Array.from(spec.modes, (m) => m.std);
  spec.modes.forEach((m, k) => {
    a[k] = Math.log(m.weight) - HALF_LOG_2PI - Math.log(m.std);
    mu[k] = m.mean;
    b[k] = 0.5 / (m.std * m.std);
  });
  const L = 3 + 3 * K;
  return {
    spec,
    K,
    a,
    mu,
    b,
    sd,
    stats: new Float64Array(L),
    out: new Float64Array(L),
    scratch: new Float64Array(4 * K + 3 + L),
    values: new Float64Array(0),
  };
}

/**
 * Adds the statistics of a block of the column (the values the fit uses: not missing, not modal,
 * finite after the log transform, |t| <= FIT_LIMIT).
 */
export function addToRefiner(r: ModeRefiner, col: Column): void {
  if (!refineBlock(r, col)) return;
  addBlockStats(r, r.out);
}

/** Adds a block's statistics ({@link refineBlock}'s `r.out`) to the pass's. */
export function addBlockStats(r: ModeRefiner, out: Float64Array): void {
  for (let q = 0; q < r.stats.length; q++) r.stats[q]! += out[q]!;
}

/**
 * The statistics of a block of the column alone, in `r.out` (not added to the pass's); false
 * when no value of the block takes part.
 */
export function refineBlock(r: ModeRefiner, col: Column): boolean {
  const n = col.values.length;
  if (r.values.length < n) r.values = new Float64Array(n);
  const { spec } = r;
  const offset = spec.kind === "log" ? (spec.offset ?? 0) : undefined;
  const fitted = fittedValues(col, spec.modalValues ?? [], offset, r.values);
  // Trimmed: a value more than TRIM σ from every mode is an outlier to the modes (the encoder
  // stores it exactly all the same); letting it in would stretch the nearest mode over it.
  let m = 0;
  for (let i = 0; i < fitted; i++) {
    const t = r.values[i]!;
    let near = false;
    for (let k = 0; k < r.K && !near; k++) {
      near = Math.abs(t - r.mu[k]!) <= TRIM * r.sd[k]!;
    }
    if (near) r.values[m++] = t;
  }
  if (m === 0) return false;
  estep1dWasm(r.values, 0, m, null, r.K, r.a, r.mu, r.b, r.out, r.scratch);
  return true;
}

/**
 * The spec after the M-step: w_k = N_k / N, μ_k += S_k / N_k, σ_k² = Q_k / N_k − (S_k / N_k)²
 * (floored at 1e-12 of the previous variance, so no mode collapses to zero width); a mode no row
 * chose (N_k < 1e-9 N) keeps its mean and width. `meanLogLikelihood` is left as it was (the caller
 * recomputes it). A pass that saw no value returns the spec unchanged.
 */
export function refinedSpec(r: ModeRefiner): MixtureColumnSpec {
  const { K, stats } = r;
  const n = stats[0]!;
  if (!(n > 0)) return r.spec;
  const modes: ModeSpec[] = [];
  for (let k = 0; k < K; k++) {
    const old = r.spec.modes[k]!;
    const Nk = stats[3 + k]!;
    if (!(Nk > 1e-9 * n)) {
      modes.push({ ...old, weight: Nk / n });
      continue;
    }
    const d = stats[3 + K + k]! / Nk;
    const v = Math.max(stats[3 + 2 * K + k]! / Nk - d * d, 1e-12 * old.std * old.std);
    modes.push({ weight: Nk / n, mean: old.mean + d, std: Math.sqrt(v) });
  }
  const wsum = modes.reduce((s, md) => s + md.weight, 0);
  for (const md of modes) md.weight = md.weight > 0 ? md.weight / wsum : Number.MIN_VALUE;
  return { ...r.spec, modes };
}
