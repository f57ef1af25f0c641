/**
 * The 1-D E-step kernel: the hot loop of fitting one mixture per column.
 *
 * Every variant of the model (EM or variational) reduces, in one dimension, to per-component
 * constants so that the (expected) weighted log density of component k at x is
 *
 *   lp_k(x) = a_k - b_k (x - mu_k)^2
 *
 * (EM: a_k = log w_k - ½ log 2π + log L_k, b_k = ½ L_k², with L_k the precision Cholesky factor
 * 1/σ_k; the variational model adds its digamma terms to a_k). The kernel then forms the
 * responsibilities r_k = exp(lp_k - logp), logp = log Σ_j exp(lp_j), and accumulates for rows
 * [start, end), each row weighted by its sample weight w (1 when `sampleWeight` is null):
 *
 *   out[0]          Σ w                      (the block's weight)
 *   out[1]          Σ w logp                 (log-likelihood, or its variational analogue)
 *   out[2]          Σ w Σ_k r_k log r_k      (the entropy term of the variational bound, <= 0)
 *   out[3 + k]      N_k = Σ w r_k
 *   out[3 + K + k]  S_k = Σ w r_k (x - μ_k)
 *   out[3 + 2K + k] Q_k = Σ w r_k (x - μ_k)^2
 *
 * `out` (length 3 + 3K) is overwritten. Sums run in two lanes (even and odd rows from `start`,
 * each in row order, added at the end), so the result for a block is a deterministic function of
 * its rows, and identical to the WebAssembly kernel's.
 *
 * r_k log r_k is computed as r_k (lp_k - logp): no extra log per component. NaN input rows
 * propagate NaN into the sums; validation happens at the API boundary, never here.
 *
 * The scratch buffer must have length >= 4K + 3; nothing is allocated inside the loop.
 */
export function estep1d(
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
  const K = nComponents;
  const len = 3 + 3 * K;
  // Two lanes, as the WebAssembly SIMD kernel sums: rows start, start+2, … in lane 0 (out),
  // rows start+1, start+3, … in lane 1 (scratch[K…]); out = lane0 + lane1 at the end. The same
  // order in both kernels makes their results identical bit for bit.
  const l1 = K;
  out.fill(0, 0, len);
  scratch.fill(0, l1, l1 + len);
  for (let i = start; i < end; i++) {
    const xi = x[i]!;
    const w = sampleWeight === null ? 1 : sampleWeight[i]!;
    const base = ((i - start) & 1) === 0 ? -1 : l1;
    const acc = base < 0 ? out : scratch;
    const o = base < 0 ? 0 : l1;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      const d = xi - mu[k]!;
      const lp = a[k]! - b[k]! * d * d;
      scratch[k] = lp;
      if (lp > max) max = lp;
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(scratch[k]! - max);
    const logp = max + Math.log(s);
    const inv = 1 / s;
    let ent = 0;
    for (let k = 0; k < K; k++) {
      const lp = scratch[k]!;
      // Moments about each component's own mean μ_k (the E-step's current means): the sums stay
      // centred, so Q_k does not cancel however far the component sits from the others.
      const dx = xi - mu[k]!;
      const r = Math.exp(lp - max) * inv;
      // r log r -> 0 as r -> 0; guard 0 * -Infinity.
      if (r > 0) ent += r * (lp - logp);
      const wr = w * r;
      acc[o + 3 + k]! += wr;
      acc[o + 3 + K + k]! += wr * dx;
      acc[o + 3 + 2 * K + k]! += wr * dx * dx;
    }
    acc[o]! += w;
    acc[o + 1]! += w * logp;
    acc[o + 2]! += w * ent;
  }
  for (let q = 0; q < len; q++) out[q]! += scratch[l1 + q]!;
}

/**
 * Responsibilities (posterior probabilities) of rows [start, end) under the same per-component
 * constants as {@link estep1d}: `resp[(i - start)·K + k] = r_k(x_i)`, and, when `logProb` is not
 * null, `logProb[i - start] = log Σ_k exp(lp_k(x_i))`.
 */
export function posterior1d(
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
  const K = nComponents;
  for (let i = start; i < end; i++) {
    const xi = x[i]!;
    const o = (i - start) * K;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      const d = xi - mu[k]!;
      const lp = a[k]! - b[k]! * d * d;
      if (resp !== null) resp[o + k] = lp;
      if (lp > max) max = lp;
    }
    let s = 0;
    if (resp !== null) {
      for (let k = 0; k < K; k++) {
        const e = Math.exp(resp[o + k]! - max);
        resp[o + k] = e;
        s += e;
      }
      const inv = 1 / s;
      for (let k = 0; k < K; k++) resp[o + k]! *= inv;
    } else {
      for (let k = 0; k < K; k++) {
        const d = xi - mu[k]!;
        s += Math.exp(a[k]! - b[k]! * d * d - max);
      }
    }
    if (logProb !== null) logProb[i - start] = max + Math.log(s);
  }
}
