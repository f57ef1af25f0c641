/**
 * Bit-exact inverses. The decoder computes `alpha · s + μ` in float64; the encoder looks for an
 * alpha whose decode gives back the input bit for bit. Starting from alpha₀ = (x − μ) / s, which
 * is within an ulp or two of such an alpha when one exists, it steps alpha one ulp at a time
 * towards x. The map alpha ↦ fl(fl(alpha·s) + μ) is monotone, so the walk either lands on x or
 * steps over it; in the second case no alpha reaches x through this mode (e.g. x ≈ 0 next to a
 * mode far away, where fl(alpha·s) + μ only produces multiples of ulp(μ)) and the caller tries
 * another mode or stores the value literally.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Typed arrays use the platform's byte order; every platform Node runs on is little-endian,
// but check rather than assume.
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** The next float64 above x (x itself for +∞ and NaN). */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) return x;
  if (x === 0) return Number.MIN_VALUE; // from +0 and −0 alike
  f64[0] = x;
  if (x > 0) {
    u32[LO] = (u32[LO]! + 1) >>> 0;
    if (u32[LO] === 0) u32[HI] = (u32[HI]! + 1) >>> 0;
  } else {
    if (u32[LO] === 0) u32[HI] = (u32[HI]! - 1) >>> 0;
    u32[LO] = (u32[LO]! - 1) >>> 0;
  }
  return f64[0]!;
}

/** The next float64 below x (x itself for −∞ and NaN). */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/** True when a and b are the same float64 value, telling −0 from +0 (NaN equals NaN). */
export function sameValue(a: number, b: number): boolean {
  return Object.is(a, b);
}

/** How many ulps the search may step alpha. Measured: 1 step suffices almost always. */
export const MAX_ULP_STEPS = 4;

/**
 * An alpha with `alpha * s + mu === x` (same bits, −0 included), or NaN when there is none within
 * {@link MAX_ULP_STEPS} ulps of (x − μ)/s.
 */
export function exactAlpha(x: number, mu: number, s: number): number {
  let a = (x - mu) / s;
  if (!Number.isFinite(a)) return Number.NaN;
  let dir = 0;
  for (let step = 0; step <= MAX_ULP_STEPS; step++) {
    const d = a * s + mu;
    if (d === x) {
      if (d !== 0 || Object.is(d, x)) return a;
      return Number.NaN; // ±0 mismatch: no alpha flips the sign of a zero sum
    }
    const want = d < x ? 1 : -1;
    if (dir !== 0 && want !== dir) return Number.NaN; // stepped over x: unreachable
    dir = want;
    a = dir > 0 ? nextUp(a) : nextDown(a);
  }
  return Number.NaN;
}

/**
 * As {@link exactAlpha} for a decode through a monotone increasing function g:
 * `g(alpha * s + mu) === x`. Used by log columns (g(t) = exp(t) + offset); `t0` is the transformed
 * value g⁻¹(x).
 */
export function exactAlphaThrough(
  x: number,
  t0: number,
  mu: number,
  s: number,
  g: (t: number) => number,
): number {
  let a = (t0 - mu) / s;
  if (!Number.isFinite(a)) return Number.NaN;
  let dir = 0;
  for (let step = 0; step <= MAX_ULP_STEPS; step++) {
    const d = g(a * s + mu);
    if (Object.is(d, x)) return a;
    const want = d < x ? 1 : -1;
    if (Number.isNaN(d) || (dir !== 0 && want !== dir)) return Number.NaN;
    dir = want;
    a = dir > 0 ? nextUp(a) : nextDown(a);
  }
  return Number.NaN;
}
