/**
 * WebAssembly SIMD (f64x2) versions of the 1-D E-step kernels {@link estep1d} and
 * {@link posterior1d}, with the same signatures and contract, compiled from
 * `assembly/estep-1d.ts` by `scripts/build-wasm.mjs` (the module is embedded as base64 in
 * `./generated/estep-1d-wasm.ts`, so this file needs no Node API and runs in browsers and workers).
 *
 * Exactness. The module's `exp` is a branch-free SIMD port of fdlibm's `__ieee754_exp` and its
 * `log` a port of fdlibm's `__ieee754_log`, the algorithms behind V8's `Math.exp` / `Math.log`
 * (< 1 ulp from the true values); WebAssembly has no fused multiply-add and every expression
 * keeps the reference's evaluation order. Hence every per-row value (lp_k, max, e_k, logp, r_k,
 * r_k log r_k, w r_k dx, w r_k dx²) is bit-identical to the TypeScript kernel under V8:
 * {@link posterior1dWasm} returns exactly the reference's `resp` and `logProb`, so the modes
 * (argmax) agree on every row. Under an engine whose `Math.exp` is not fdlibm's, the two differ by
 * that engine's `exp` error (typically <= 1 ulp). The `…Fast` variants trade this for a cheaper
 * exp (relative error <= 1e-13, see {@link estep1dWasmFast}).
 *
 * Summation order ({@link estep1dWasm}, {@link estep1dWasmFast}). Relative to `start`, even rows
 * accumulate in lane 0 and odd rows in lane 1, each lane in row order (an odd last row goes to
 * lane 0 alone); `out[q] = lane0[q] + lane1[q]` at the end. (The module computes four rows at a
 * time, two per lane, and adds them to each lane in row order, so this is exactly the two-lane
 * sum.) The TypeScript kernel sums in the same two lanes, so {@link estep1dWasm} and
 * {@link estep1d} agree bit for bit under V8; the same rows give the same sums whatever the
 * chunking.
 *
 * Memory. Inputs are copied into the module's linear memory in chunks of at most
 * {@link WASM_CHUNK_ROWS} rows (posterior: at most 2^20 responsibilities), so memory depends on K,
 * not on the number of rows: about 1 MiB + 176·K bytes for the E-step, at most ~9 MiB for
 * posteriors. Lane accumulators carry over between chunks, so chunking changes no sum.
 *
 * The module (~60 KB) is compiled synchronously on first use (Chrome refuses synchronous
 * compilation of modules over 8 MB on the main thread only, so this is fine there too). All
 * kernels fall back to the TypeScript reference when {@link wasmSimdAvailable} is false, so they
 * never throw.
 */
import { estep1d, posterior1d } from "./estep-1d.js";
import { expF32, expFast } from "./exp-fast.js";
import { ESTEP_1D_WASM_BASE64 } from "./generated/estep-1d-wasm.js";
import { instantiateWasm, type WasmMemory } from "./wasm.js";

/** Rows copied into WebAssembly memory per call of the E-step kernel (even). */
export const WASM_CHUNK_ROWS = 65536;
/** Upper bound on responsibilities (rows x K) held in WebAssembly memory at once. */
const RESP_CHUNK_VALUES = 1 << 20;
const PAGE = 65536;

interface KernelExports {
  readonly memory: WasmMemory;
  heapBase(): number;
  estep(
    xPtr: number,
    wPtr: number,
    n: number,
    K: number,
    params: number,
    acc: number,
    scr: number,
  ): void;
  posterior(
    xPtr: number,
    n: number,
    K: number,
    params: number,
    scr: number,
    respPtr: number,
    logPtr: number,
  ): void;
  expArray(inPtr: number, outPtr: number, n: number): void;
  encodeSample(
    xPtr: number,
    n: number,
    K: number,
    params: number,
    muPtr: number,
    sPtr: number,
    scr: number,
    seedLo: number,
    seedHi: number,
    streamLo: number,
    streamHi: number,
    rowLo: number,
    rowHi: number,
    aPtr: number,
    mPtr: number,
    rPtr: number,
    rnPtr: number,
  ): number;
}
type EstepFn = KernelExports["estep"];
type PosteriorFn = KernelExports["posterior"];
type ExpFn = KernelExports["expArray"];
type ExpF32Fn = (inPtr: number, outPtr: number, n: number) => void;
interface ModuleExports extends KernelExports {
  estepFast: EstepFn;
  posteriorFast: PosteriorFn;
  expFastArray: ExpFn;
  expF32Array: ExpF32Fn;
}

let kernel: ModuleExports | null = null;
let available: boolean | null = null;
let view = new Float64Array(0);
let base = 0;

function instantiate(): ModuleExports | null {
  // Null without SIMD (or WebAssembly): the caller falls back.
  const exports = instantiateWasm<ModuleExports>(ESTEP_1D_WASM_BASE64);
  if (exports !== null) base = (exports.heapBase() + 15) & ~15;
  return exports;
}

/**
 * Whether the WebAssembly SIMD kernels can run here (WebAssembly with the SIMD proposal, as in
 * Node >= 16.4 and current browsers). Compiles the module on first call; the answer is cached.
 */
export function wasmSimdAvailable(): boolean {
  if (available === null) {
    kernel = instantiate();
    available = kernel !== null;
  }
  return available;
}

/** The module's memory as f64, grown (never shrunk) to at least `bytes`. */
function memoryF64(ex: ModuleExports, bytes: number): Float64Array {
  const have = ex.memory.buffer.byteLength;
  if (have < bytes) ex.memory.grow(Math.ceil((bytes - have) / PAGE));
  if (view.buffer !== ex.memory.buffer) view = new Float64Array(ex.memory.buffer);
  return view;
}

/** Writes [a_k, a_k], …, [mu_k, mu_k], …, [b_k, b_k] (v128 splats) at f64 index `p`. */
function writeParams(
  f: Float64Array,
  p: number,
  K: number,
  a: Float64Array,
  mu: Float64Array,
  b: Float64Array,
): void {
  for (let k = 0; k < K; k++) {
    f[p + 2 * k] = f[p + 2 * k + 1] = a[k]!;
    f[p + 2 * (K + k)] = f[p + 2 * (K + k) + 1] = mu[k]!;
    f[p + 2 * (2 * K + k)] = f[p + 2 * (2 * K + k) + 1] = b[k]!;
  }
}

function runEstep(
  fn: EstepFn,
  ex: ModuleExports,
  x: Float64Array,
  start: number,
  end: number,
  sampleWeight: Float64Array | null,
  K: number,
  a: Float64Array,
  mu: Float64Array,
  b: Float64Array,
  out: Float64Array,
): void {
  // Byte layout: params 3K v128 | acc (3 + 3K) v128 | scratch 4K + 4 v128 | x chunk | w chunk.
  const params = base;
  const acc = params + 48 * K;
  const scr = acc + 16 * (3 + 3 * K);
  const xOff = scr + 16 * (4 * K + 4);
  const wOff = xOff + 8 * WASM_CHUNK_ROWS;
  const f = memoryF64(ex, wOff + 8 * WASM_CHUNK_ROWS);
  writeParams(f, params / 8, K, a, mu, b);
  const nq = 3 + 3 * K;
  f.fill(0, acc / 8, acc / 8 + 2 * nq);
  for (let i = start; i < end; i += WASM_CHUNK_ROWS) {
    const c = Math.min(WASM_CHUNK_ROWS, end - i);
    f.set(x.subarray(i, i + c), xOff / 8);
    if (sampleWeight !== null) f.set(sampleWeight.subarray(i, i + c), wOff / 8);
    fn(xOff, sampleWeight === null ? 0 : wOff, c, K, params, acc, scr);
  }
  const q0 = acc / 8;
  for (let q = 0; q < nq; q++) out[q] = f[q0 + 2 * q]! + f[q0 + 2 * q + 1]!;
}

function runPosterior(
  fn: PosteriorFn,
  ex: ModuleExports,
  x: Float64Array,
  start: number,
  end: number,
  K: number,
  a: Float64Array,
  mu: Float64Array,
  b: Float64Array,
  resp: Float64Array | null,
  logProb: Float64Array | null,
): void {
  if (resp === null && logProb === null) return;
  const rows = Math.max(
    4,
    Math.min(WASM_CHUNK_ROWS, Math.floor(RESP_CHUNK_VALUES / Math.max(K, 1))),
  );
  const chunk = rows - (rows % 4);
  // Byte layout: params 3K v128 | scratch 4K + 4 v128 | x chunk | log p chunk | resp chunk.
  const params = base;
  const scr = params + 48 * K;
  const xOff = scr + 16 * (4 * K + 4);
  const lpOff = xOff + 8 * chunk;
  const rOff = lpOff + 8 * chunk;
  const f = memoryF64(ex, rOff + 8 * chunk * K);
  writeParams(f, params / 8, K, a, mu, b);
  for (let i = start; i < end; i += chunk) {
    const c = Math.min(chunk, end - i);
    f.set(x.subarray(i, i + c), xOff / 8);
    fn(xOff, c, K, params, scr, resp === null ? 0 : rOff, logProb === null ? 0 : lpOff);
    if (resp !== null) resp.set(f.subarray(rOff / 8, rOff / 8 + c * K), (i - start) * K);
    if (logProb !== null) logProb.set(f.subarray(lpOff / 8, lpOff / 8 + c), i - start);
  }
}

function runExp(fn: ExpFn, ex: ModuleExports, input: Float64Array, out: Float64Array): void {
  const n = Math.min(input.length, out.length);
  const inOff = base;
  const outOff = inOff + 8 * WASM_CHUNK_ROWS + 16;
  const f = memoryF64(ex, outOff + 8 * WASM_CHUNK_ROWS + 16);
  for (let i = 0; i < n; i += WASM_CHUNK_ROWS) {
    const c = Math.min(WASM_CHUNK_ROWS, n - i);
    f.set(input.subarray(i, i + c), inOff / 8);
    fn(inOff, outOff, c);
    out.set(f.subarray(outOff / 8, outOff / 8 + c), i);
  }
}

/**
 * {@link estep1d} in WebAssembly SIMD: same arguments, same `out` (length 3 + 3K, overwritten),
 * bit-identical per-row values and the same two-lane sums (see the module comment), so the result
 * equals the TypeScript kernel's bit for bit under V8. `scratch` is used only
 * by the fallback to {@link estep1d} (when {@link wasmSimdAvailable} is false).
 */
export function estep1dWasm(
  x: Float64Array,
  start: number,
  end: number,
  sampleWeight: Float64Array | null,
  nComponents: number,
  a: Float64Array,
  mu: Float64Array,
  b: Float64Array,
  out: Float64Array,
  scratch: Float64Array,
): void {
  if (!wasmSimdAvailable()) {
    estep1d(x, start, end, sampleWeight, nComponents, a, mu, b, out, scratch);
    return;
  }
  const ex = kernel!;
  runEstep(ex.estep, ex, x, start, end, sampleWeight, nComponents, a, mu, b, out);
}

/**
 * {@link estep1dWasm} with a faster, division-free exp (a degree-9 polynomial after reduction by
 * ln 2): per-row values are no longer bit-identical to the reference; exp(y) for y <= 0 has
 * relative error <= 1e-13 (measured max 7.4e-14 over 3.3e7 arguments; the tests assert 2e-13) and
 * results below 2^-1022 (y < -708.39) are flushed to 0, i.e. responsibilities below ~2e-308
 * become 0. Sums over rows keep the same two-lane order. Falls back to {@link estep1d}.
 */
export function estep1dWasmFast(
  x: Float64Array,
  start: number,
  end: number,
  sampleWeight: Float64Array | null,
  nComponents: number,
  a: Float64Array,
  mu: Float64Array,
  b: Float64Array,
  out: Float64Array,
  scratch: Float64Array,
): void {
  if (!wasmSimdAvailable()) {
    estep1d(x, start, end, sampleWeight, nComponents, a, mu, b, out, scratch);
    return;
  }
  const ex = kernel!;
  runEstep(ex.estepFast, ex, x, start, end, sampleWeight, nComponents, a, mu, b, out);
}

/**
 * {@link posterior1d} in WebAssembly SIMD: `resp[(i - start)·K + k]` and `logProb[i - start]`
 * bit-identical to the TypeScript kernel under V8 (see the module comment). Falls back to
 * {@link posterior1d} when {@link wasmSimdAvailable} is false.
 */
export function posterior1dWasm(
  x: Float64Array,
  start: number,
  end: number,
  nComponents: number,
  a: Float64Array,
  mu: Float64Array,
  b: Float64Array,
  resp: Float64Array | null,
  logProb: Float64Array | null,
): void {
  if (!wasmSimdAvailable()) {
    posterior1d(x, start, end, nComponents, a, mu, b, resp, logProb);
    return;
  }
  const ex = kernel!;
  runPosterior(ex.posterior, ex, x, start, end, nComponents, a, mu, b, resp, logProb);
}

/**
 * {@link posterior1dWasm} with the fast exp of {@link estep1dWasmFast}: responsibilities within
 * ~1e-13 relative (below ~2e-308 flushed to 0); modes can differ from the reference only where
 * two components' responsibilities agree to ~1e-13. Falls back to {@link posterior1d}.
 */
export function posterior1dWasmFast(
  x: Float64Array,
  start: number,
  end: number,
  nComponents: number,
  a: Float64Array,
  mu: Float64Array,
  b: Float64Array,
  resp: Float64Array | null,
  logProb: Float64Array | null,
): void {
  if (!wasmSimdAvailable()) {
    posterior1d(x, start, end, nComponents, a, mu, b, resp, logProb);
    return;
  }
  const ex = kernel!;
  runPosterior(ex.posteriorFast, ex, x, start, end, nComponents, a, mu, b, resp, logProb);
}

/**
 * `out[i] = exp(input[i])` with the kernels' SIMD exp, for tests of its accuracy. Its domain is
 * y <= 0, -Infinity and NaN (the kernels only need exp(lp_k - max)); there it is fdlibm's exp,
 * bit-identical to V8's `Math.exp` (< 1 ulp from the true value). Positive inputs give
 * unspecified results. Falls back to `Math.exp` when {@link wasmSimdAvailable} is false.
 */
export function expWasm(input: Float64Array, out: Float64Array): void {
  if (!wasmSimdAvailable()) {
    const n = Math.min(input.length, out.length);
    for (let i = 0; i < n; i++) out[i] = Math.exp(input[i]!);
    return;
  }
  const ex = kernel!;
  runExp(ex.expArray, ex, input, out);
}

/**
 * {@link expWasm} with the fast exp of {@link estep1dWasmFast} (same domain); without WebAssembly
 * SIMD, the TypeScript `expFast`, which gives the same bits.
 */
export function expWasmFast(input: Float64Array, out: Float64Array): void {
  if (!wasmSimdAvailable()) {
    const n = Math.min(input.length, out.length);
    for (let i = 0; i < n; i++) out[i] = expFast(input[i]!);
    return;
  }
  const ex = kernel!;
  runExp(ex.expFastArray, ex, input, out);
}

const TWO32 = 4294967296;

/** Outputs of {@link encodeSample1dWasm}, each indexed like `x`. */
export interface EncodedRows {
  alpha: Float64Array;
  /** The mode, or −1 for a row the caller must encode with the reference. */
  mode: Int32Array;
  /** x − decode(alpha) where that is needed for an exact round trip, else 0. */
  residual: Float64Array;
  /** 1 where there is no residual (0 stored), 0 where `residual` holds one. */
  residualNulls: Uint8Array;
}

/**
 * The WebAssembly part of the mixture-column encoder (`encodeArrays` in
 * src/encode/mixture-column.ts, float columns without transform, sampled modes): for rows
 * `[start, end)` of `x` (global rows `firstRow + i`), the posterior over the K modes (the
 * float32 exp `expF32` of `exp-fast.ts`, bit-identical), the mode drawn with `uniformAt(seed, stream,
 * row)` (Philox in integer arithmetic, identical), the admissible-mode rule, the exact alpha and
 * otherwise the exact residual, evaluated in the reference's order, so every output equals the
 * reference's bit for bit. `mode[i] = -1` marks rows the caller must encode with the reference
 * (non-finite values, rows with neither an exact alpha nor an exact residual). Constants:
 * a_k = log w_k − log σ_k, b_k = 1/(2σ_k²), mu_k, s_k = scale·σ_k.
 *
 * @returns the number of rows marked −1, or −1 (and nothing written) when WebAssembly SIMD is
 *   not available.
 */
export function encodeSample1dWasm(
  x: Float64Array,
  start: number,
  end: number,
  K: number,
  a: Float64Array,
  mu: Float64Array,
  b: Float64Array,
  s: Float64Array,
  seed: number,
  stream: number,
  firstRow: number,
  out: EncodedRows,
): number {
  if (!wasmSimdAvailable()) return -1;
  const ex = kernel!;
  // Byte layout: params 3K v128 | mu K f64 | s K f64 (16-aligned) | scratch 4K + 4 v128 | x |
  // alpha | residual | mode | residual flags.
  const params = base;
  const muOff = params + 48 * K;
  const sOff = muOff + 8 * K;
  const scr = (sOff + 8 * K + 15) & ~15;
  const xOff = scr + 16 * (4 * K + 4);
  const aOff = xOff + 8 * WASM_CHUNK_ROWS;
  const rOff = aOff + 8 * WASM_CHUNK_ROWS;
  const mOff = rOff + 8 * WASM_CHUNK_ROWS;
  const rnOff = mOff + 4 * WASM_CHUNK_ROWS;
  const f = memoryF64(ex, rnOff + WASM_CHUNK_ROWS);
  const m32 = new Int32Array(ex.memory.buffer);
  const u8 = new Uint8Array(ex.memory.buffer);
  writeParams(f, params / 8, K, a, mu, b);
  f.set(mu.subarray(0, K), muOff / 8);
  f.set(s.subarray(0, K), sOff / 8);
  const seedLo = seed >>> 0;
  const seedHi = Math.floor(seed / TWO32) >>> 0;
  const streamLo = stream >>> 0;
  const streamHi = Math.floor(stream / TWO32) >>> 0;
  let flagged = 0;
  for (let i = start; i < end; ) {
    const row = firstRow + i;
    const rowLo = row >>> 0;
    // A chunk never crosses a multiple of 2^32 rows: the kernel adds to the low word only.
    const c = Math.min(WASM_CHUNK_ROWS, end - i, TWO32 - rowLo);
    f.set(x.subarray(i, i + c), xOff / 8);
    flagged += ex.encodeSample(
      xOff,
      c,
      K,
      params,
      muOff,
      sOff,
      scr,
      seedLo,
      seedHi,
      streamLo,
      streamHi,
      rowLo,
      Math.floor(row / TWO32) >>> 0,
      aOff,
      mOff,
      rOff,
      rnOff,
    );
    out.alpha.set(f.subarray(aOff / 8, aOff / 8 + c), i);
    out.mode.set(m32.subarray(mOff / 4, mOff / 4 + c), i);
    out.residual.set(f.subarray(rOff / 8, rOff / 8 + c), i);
    out.residualNulls.set(u8.subarray(rnOff, rnOff + c), i);
    i += c;
  }
  return flagged;
}

/**
 * The encoder's single-precision exp over `input` (float32, each <= 0, −Infinity or NaN) into
 * `out`: the WebAssembly `expF32x4`, or without WebAssembly SIMD the TypeScript `expF32`, which
 * gives the same bits. For tests and benchmarks.
 */
export function expF32Wasm(input: Float32Array, out: Float32Array): void {
  const n = Math.min(input.length, out.length);
  if (!wasmSimdAvailable()) {
    for (let i = 0; i < n; i++) out[i] = expF32(input[i]!);
    return;
  }
  const ex = kernel!;
  const inOff = base;
  const outOff = inOff + 4 * WASM_CHUNK_ROWS + 16;
  memoryF64(ex, outOff + 4 * WASM_CHUNK_ROWS + 16);
  const f = new Float32Array(ex.memory.buffer);
  for (let i = 0; i < n; i += WASM_CHUNK_ROWS) {
    const c = Math.min(WASM_CHUNK_ROWS, n - i);
    const c4 = (c + 3) & ~3;
    f.set(input.subarray(i, i + c), inOff / 4);
    f.fill(0, inOff / 4 + c, inOff / 4 + c4);
    ex.expF32Array(inOff, outOff, c4);
    out.set(f.subarray(outOff / 4, outOff / 4 + c), i);
  }
}
