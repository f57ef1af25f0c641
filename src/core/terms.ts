/**
 * Per-iteration component constants and the E-step over rows.
 *
 * Both models evaluate, for component k,
 *
 *   lp_k(x) = logConst_k − ½ ‖(x − μ_k)ᵀ P_k‖²
 *
 * where P_k is the precision Cholesky factor (Σ_k⁻¹ = P_k P_kᵀ) and logConst_k collects
 * log w_k − ½ d log 2π + log det P_k (EM) plus the variational model's expectation terms. The
 * constants are computed once per iteration; the row loops only do the quadratic form.
 */
import type { CovarianceType } from "./covariance.js";
import { assertUnreachable, InvalidInputError } from "./errors.js";
import { estep1d, posterior1d } from "./kernels/estep-1d.js";
import {
  estep1dWasm,
  estep1dWasmFast,
  posterior1dWasm,
  posterior1dWasmFast,
  wasmSimdAvailable,
} from "./kernels/estep-1d-wasm.js";
import type { Matrix } from "./matrix.js";
import {
  createStats,
  type MixtureStats,
  type MomentKind,
  STATS_ENTROPY,
  STATS_LOGLIK,
  STATS_N,
  STATS_WEIGHT,
  statsOffsetQ,
  statsOffsetS,
} from "./stats.js";

/** ½ log 2π. */
export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Constants of one iteration's E-step (see the module comment). */
export interface ComponentTerms {
  readonly nComponents: number;
  readonly nFeatures: number;
  readonly covarianceType: CovarianceType;
  /** logConst_k, length K. */
  readonly logConst: Float64Array;
  /** μ, K·d. */
  readonly means: Float64Array;
  /** P, shape per covariance type (K·d·d, d·d, K·d, K). */
  readonly precChol: Float64Array;
  /** The 1-D kernel to run (default `auto`); ignored for d > 1. */
  readonly kernel?: Kernel1d;
}

/**
 * The 1-D E-step kernel.
 * - `auto` (default): WebAssembly SIMD when the runtime has it, else TypeScript. Both give the
 *   same bits (same exp algorithm as V8's Math.exp, same two-lane summation).
 * - `js`: the TypeScript reference.
 * - `wasm-fast`: WebAssembly with a cheaper exp (relative error <= 1e-13): fastest, not
 *   bit-identical to the others.
 */
export type Kernel1d = "auto" | "js" | "wasm-fast";

function pickEstep(kernel: Kernel1d | undefined): typeof estep1d {
  if (kernel === "js" || !wasmSimdAvailable()) return estep1d;
  return kernel === "wasm-fast" ? estep1dWasmFast : estep1dWasm;
}

function pickPosterior(kernel: Kernel1d | undefined): typeof posterior1d {
  if (kernel === "js" || !wasmSimdAvailable()) return posterior1d;
  return kernel === "wasm-fast" ? posterior1dWasmFast : posterior1dWasm;
}

/**
 * Rows per block. Blocks are fixed by row index, never by thread or worker count, so every way of
 * spreading them gives the same merged statistics bit for bit.
 */
export const BLOCK_ROWS = 65536;

/** The 1-D kernel's constants: a_k = logConst_k, b_k = ½ P_k². */
function oneDimConstants(t: ComponentTerms): { a: Float64Array; b: Float64Array } {
  const K = t.nComponents;
  const b = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const p = t.covarianceType === "tied" ? t.precChol[0]! : t.precChol[k]!;
    b[k] = 0.5 * p * p;
  }
  return { a: t.logConst, b };
}

/**
 * lp_k(x) for the row of `data` starting at `off`, for every k, into `out` (length K).
 * `tmp` is scratch of length d.
 */
export function weightedLogProbRow(
  t: ComponentTerms,
  data: Float64Array,
  off: number,
  out: Float64Array,
  tmp: Float64Array,
): void {
  const K = t.nComponents;
  const d = t.nFeatures;
  const mu = t.means;
  const P = t.precChol;
  const lc = t.logConst;
  // One loop per covariance type (the type is the same for every row and component).
  switch (t.covarianceType) {
    case "full":
    case "tied": {
      const full = t.covarianceType === "full";
      for (let k = 0; k < K; k++) {
        const po = full ? k * d * d : 0;
        for (let i = 0; i < d; i++) tmp[i] = data[off + i]! - mu[k * d + i]!;
        // y_j = Σ_i (x − μ)_i P_ij; P need not be triangular (a user's precisionsInit factor).
        let q = 0;
        for (let j = 0; j < d; j++) {
          let y = 0;
          for (let i = 0; i < d; i++) y += tmp[i]! * P[po + i * d + j]!;
          q += y * y;
        }
        out[k] = lc[k]! - 0.5 * q;
      }
      break;
    }
    case "diag":
      for (let k = 0; k < K; k++) {
        let q = 0;
        for (let j = 0; j < d; j++) {
          const y = (data[off + j]! - mu[k * d + j]!) * P[k * d + j]!;
          q += y * y;
        }
        out[k] = lc[k]! - 0.5 * q;
      }
      break;
    case "spherical":
      for (let k = 0; k < K; k++) {
        const p = P[k]!;
        let q = 0;
        for (let j = 0; j < d; j++) {
          const y = (data[off + j]! - mu[k * d + j]!) * p;
          q += y * y;
        }
        out[k] = lc[k]! - 0.5 * q;
      }
      break;
    default:
      assertUnreachable(t.covarianceType);
  }
}

/**
 * The E-step over rows [start, end) of X: overwrites `out` with the block's statistics (see
 * {@link MixtureStats}). Rows are summed in order. `sampleWeight` (length n) or null for 1.
 */
export function summarizeBlock(
  X: Matrix,
  start: number,
  end: number,
  sampleWeight: Float64Array | null,
  t: ComponentTerms,
  out: MixtureStats,
): void {
  const K = t.nComponents;
  const d = t.nFeatures;
  const buf = out.buffer;
  // The kernels take moments about the terms' means; statistics must say so to merge correctly.
  if (out.shift !== t.means && !sameValues(out.shift, t.means)) {
    throw new InvalidInputError("summarizeBlock: the statistics' shifts must be the terms' means.");
  }
  if (d === 1) {
    const { a, b } = oneDimConstants(t);
    // For d = 1 the full and diagonal layouts of Q coincide, so one kernel serves both.
    pickEstep(t.kernel)(
      X.data,
      start,
      end,
      sampleWeight,
      K,
      a,
      t.means,
      b,
      buf,
      new Float64Array(4 * K + 3),
    );
    return;
  }
  buf.fill(0);
  const lp = new Float64Array(K);
  const ex = new Float64Array(K);
  const tmp = new Float64Array(d);
  const dx = new Float64Array(d);
  const shift = out.shift;
  const oS = statsOffsetS(K);
  const oQ = statsOffsetQ(K, d);
  const full = out.moment === "full";
  let wsum = 0;
  let llsum = 0;
  let entsum = 0;
  const data = X.data;
  for (let i = start; i < end; i++) {
    const off = i * d;
    const w = sampleWeight === null ? 1 : sampleWeight[i]!;
    weightedLogProbRow(t, data, off, lp, tmp);
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) if (lp[k]! > max) max = lp[k]!;
    let s = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(lp[k]! - max);
      ex[k] = e;
      s += e;
    }
    const logp = max + Math.log(s);
    const inv = 1 / s;
    let ent = 0;
    for (let k = 0; k < K; k++) {
      // Moments about the component's own mean: centred sums (see stats.ts).
      for (let j = 0; j < d; j++) dx[j] = data[off + j]! - shift[k * d + j]!;
      const r = ex[k]! * inv;
      if (r > 0) ent += r * (lp[k]! - logp);
      const wr = w * r;
      buf[STATS_N + k]! += wr;
      for (let j = 0; j < d; j++) buf[oS + k * d + j]! += wr * dx[j]!;
      if (full) {
        const base = oQ + k * d * d;
        for (let p = 0; p < d; p++) {
          const wp = wr * dx[p]!;
          for (let q = 0; q < d; q++) buf[base + p * d + q]! += wp * dx[q]!;
        }
      } else {
        for (let j = 0; j < d; j++) buf[oQ + k * d + j]! += wr * dx[j]! * dx[j]!;
      }
    }
    wsum += w;
    llsum += w * logp;
    entsum += w * ent;
  }
  buf[STATS_WEIGHT] = wsum;
  buf[STATS_LOGLIK] = llsum;
  buf[STATS_ENTROPY] = entsum;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Number of blocks of `blockRows` rows in n rows. */
export function blockCount(rows: number, blockRows = BLOCK_ROWS): number {
  return Math.ceil(rows / blockRows);
}

/**
 * Statistics of blocks [firstBlock, lastBlock) of X, one object per block, in block order: what
 * a worker holding those blocks returns. Folding every block's statistics in global block order
 * ({@link foldStats}) reproduces {@link summarize} bit for bit, however the blocks were shared out.
 */
export function summarizeBlocks(
  X: Matrix,
  sampleWeight: Float64Array | null,
  t: ComponentTerms,
  moment: MomentKind,
  firstBlock: number,
  lastBlock: number,
  blockRows = BLOCK_ROWS,
): MixtureStats[] {
  const out: MixtureStats[] = [];
  for (let b = firstBlock; b < lastBlock; b++) {
    const s = createStats(t.nComponents, t.nFeatures, moment, t.means);
    summarizeBlock(X, b * blockRows, Math.min(X.rows, (b + 1) * blockRows), sampleWeight, t, s);
    out.push(s);
  }
  return out;
}

/**
 * Statistics of blocks [firstBlock, lastBlock) of X where block b is rows
 * [starts[b], starts[b + 1]) (blocks of any sizes, e.g. fixed runs of input rows with some rows
 * left out), one object per block, in block order; see {@link summarizeBlocks}.
 */
export function summarizeRanges(
  X: Matrix,
  sampleWeight: Float64Array | null,
  t: ComponentTerms,
  moment: MomentKind,
  starts: ArrayLike<number>,
  firstBlock: number,
  lastBlock: number,
): MixtureStats[] {
  const out: MixtureStats[] = [];
  for (let b = firstBlock; b < lastBlock; b++) {
    const s = createStats(t.nComponents, t.nFeatures, moment, t.means);
    summarizeBlock(X, starts[b]!, starts[b + 1]!, sampleWeight, t, s);
    out.push(s);
  }
  return out;
}

/**
 * The fixed reduction: total = ((0 + s₀) + s₁) + … in the given (block) order. Floating-point
 * addition is not associative, so this order — not the grouping of blocks into shards — is what
 * makes results identical across thread and worker counts.
 */
export function foldStats(parts: readonly MixtureStats[], into: MixtureStats): MixtureStats {
  for (const p of parts) foldPacked(p.buffer, into.buffer);
  return into;
}

/**
 * {@link foldStats} of blocks' statistics packed one after another in `packed` (each
 * `into.length` values, in block order): `into` += block 0, then += block 1, …
 */
export function foldPacked(packed: Float64Array, into: Float64Array): void {
  const L = into.length;
  for (let off = 0; off < packed.length; off += L) {
    for (let i = 0; i < L; i++) into[i]! += packed[off + i]!;
  }
}

/**
 * The E-step over all rows of X in fixed blocks of `blockRows` (default {@link BLOCK_ROWS}),
 * folded in block order. The result is independent of how the blocks could be distributed.
 */
export function summarize(
  X: Matrix,
  sampleWeight: Float64Array | null,
  t: ComponentTerms,
  moment: MomentKind,
  blockRows = BLOCK_ROWS,
): MixtureStats {
  const total = createStats(t.nComponents, t.nFeatures, moment, t.means);
  const block = createStats(t.nComponents, t.nFeatures, moment, t.means);
  const tb = total.buffer;
  const bb = block.buffer;
  for (let start = 0; start < X.rows; start += blockRows) {
    summarizeBlock(X, start, Math.min(X.rows, start + blockRows), sampleWeight, t, block);
    for (let i = 0; i < tb.length; i++) tb[i]! += bb[i]!;
  }
  return total;
}

/** What {@link evaluateRows} should fill; each output is optional. */
export interface RowOutputs {
  /** Responsibilities, n·K row-major. */
  resp?: Float64Array;
  /** log Σ_k exp(lp_k), length n. */
  logProb?: Float64Array;
  /** argmax_k lp_k (first maximum on ties), length n. */
  labels?: Int32Array;
}

/**
 * Per-row posteriors, log densities and labels under the given terms: for d > 1 in one pass over
 * the rows; for one feature the posteriors and log densities come from the 1-D kernel and the
 * labels from the row loop, each as when asked alone.
 */
export function evaluateRows(X: Matrix, t: ComponentTerms, outputs: RowOutputs): void {
  const K = t.nComponents;
  const d = t.nFeatures;
  let { resp, logProb } = outputs;
  const labels = outputs.labels;
  if (d === 1 && (resp !== undefined || logProb !== undefined)) {
    // One feature: posteriors from the 1-D kernel; labels, if asked, from the loop below.
    const { a, b } = oneDimConstants(t);
    pickPosterior(t.kernel)(X.data, 0, X.rows, K, a, t.means, b, resp ?? null, logProb ?? null);
    if (labels === undefined) return;
    resp = undefined;
    logProb = undefined;
  }
  const lp = new Float64Array(K);
  const tmp = new Float64Array(d);
  for (let i = 0; i < X.rows; i++) {
    weightedLogProbRow(t, X.data, i * d, lp, tmp);
    let max = Number.NEGATIVE_INFINITY;
    let arg = 0;
    for (let k = 0; k < K; k++) {
      if (lp[k]! > max) {
        max = lp[k]!;
        arg = k;
      }
    }
    if (labels !== undefined) labels[i] = arg;
    if (resp === undefined && logProb === undefined) continue;
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(lp[k]! - max);
    if (logProb !== undefined) logProb[i] = max + Math.log(s);
    if (resp !== undefined) {
      for (let k = 0; k < K; k++) resp[i * K + k] = Math.exp(lp[k]! - max) / s;
    }
  }
}
