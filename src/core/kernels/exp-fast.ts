/**
 * A fast exp for x <= 0 without division, bit-identical to the WebAssembly kernels' `expFast`
 * (assembly/estep-1d.ts): the same operations in the same order, IEEE 754 double arithmetic
 * without fused multiply-add on both sides.
 *
 * exp(x) = 2^k · (1 + (r + r² q(r))), k = round-half-even(x / ln 2), r = x − k ln 2 (ln 2 split in
 * a high part exact in k·LN2_HI and a low part), q of degree 7 fitted to (exp(r) − 1 − r)/r² on
 * |r| <= ln2/2 (Chebyshev interpolation, truncation <= 8e-14 relative). Relative error <= 1e-13
 * (measured max 7.4e-14 against Math.exp). Results below 2^-1022 (x < −708.396…) are flushed to
 * 0; −Infinity gives 0 and NaN gives NaN. Arguments above 0 are outside the contract.
 */

const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
// biome-ignore lint/suspicious/noApproximativeNumericConstant: fdlibm's invln2 (== Math.LOG2E), kept literal as in the WebAssembly source.
const INV_LN2 = 1.4426950408889634;
const Q0 = 0.4999999999995511;
const Q1 = 0.16666666666662586;
const Q2 = 0.04166666678626573;
const Q3 = 0.00833333334420298;
const Q4 = 0.0013888839110572009;
const Q5 = 0.00019841224599656011;
const Q6 = 0.000024867870179687727;
const Q7 = 0.0000027617564785876086;
/** log(2^-1022): below, the result is flushed to 0. */
const EXP_FAST_MIN = -708.3964185322641;
/** 1.5 · 2^52: (y + MAGIC) − MAGIC rounds y half to even for |y| < 2^51. */
const MAGIC = 6755399441055744;

/** POW2_NEG[j] = 2^−j for j = 0…1022 (exact: repeated halving of a power of two). */
const POW2_NEG = (() => {
  const t = new Float64Array(1023);
  let v = 1;
  for (let j = 0; j < 1023; j++) {
    t[j] = v;
    v /= 2;
  }
  return t;
})();

/** exp(x) for x <= 0 (see the module comment). */
export function expFast(x: number): number {
  if (x < EXP_FAST_MIN) return 0;
  const kf = x * INV_LN2 + MAGIC - MAGIC;
  const r = x - kf * LN2_HI - kf * LN2_LO;
  let q = Q6 + r * Q7;
  q = Q5 + r * q;
  q = Q4 + r * q;
  q = Q3 + r * q;
  q = Q2 + r * q;
  q = Q1 + r * q;
  q = Q0 + r * q;
  const p = 1 + (r + r * r * q);
  // kf is an integer in [-1022, 0] here (or NaN, which indexes nothing and gives NaN).
  return p * (POW2_NEG[-kf] as number);
}

// Single-precision exp of the encoder's posterior (assembly/estep-1d.ts `expF32x4`): every step
// is one float32 operation, emulated here with Math.fround after each double operation (exact
// for +, −, ×: the double result rounded once to float32 is the float32 result).
const f32 = Math.fround;
const LOG2E_F = f32(Math.LOG2E);
const LN2_HI_F = 0.693145751953125; // 0x3f317200: k · LN2_HI_F is exact for |k| <= 2^7
const LN2_LO_F = f32(Math.LN2 - LN2_HI_F);
const P0_F = 0.5;
const P1_F = f32(1 / 6);
const P2_F = f32(1 / 24);
const P3_F = f32(1 / 120);
const P4_F = f32(1 / 720);
/** Below this float32, the single-precision exp flushes to 0 (2^k stays a normal float32). */
export const EXP_F32_MIN = f32(-87.33654);
/** 1.5 · 2^23: (y + MAGIC_F) − MAGIC_F rounds a float32 y half to even for |y| < 2^22. */
const MAGIC_F = 12582912;
const POW2_NEG_F = (() => {
  const t = new Float64Array(127);
  let v = 1;
  for (let j = 0; j < 127; j++) {
    t[j] = v;
    v /= 2;
  }
  return t;
})();

/**
 * exp(x) in float32 arithmetic for a float32 x <= 0: 2^k · (1 + r + r² q(r)), k = round-half-even
 * (x · log2 e), r = x − k ln 2 (ln 2 in two float32 parts), q the Taylor polynomial of degree 4 of
 * (e^r − 1 − r)/r². Relative error about 2e-7. Below {@link EXP_F32_MIN} the result is 0;
 * −Infinity gives 0 and NaN gives NaN. Bit-identical to the WebAssembly `expF32x4`.
 */
export function expF32(x: number): number {
  if (x < EXP_F32_MIN) return 0;
  const kf = f32(f32(f32(x * LOG2E_F) + MAGIC_F) - MAGIC_F);
  const r = f32(f32(x - f32(kf * LN2_HI_F)) - f32(kf * LN2_LO_F));
  let q = f32(P3_F + f32(r * P4_F));
  q = f32(P2_F + f32(r * q));
  q = f32(P1_F + f32(r * q));
  q = f32(P0_F + f32(r * q));
  const p = f32(1 + f32(r + f32(f32(r * r) * q)));
  // kf is an integer in [-126, 0] here (or NaN, which indexes nothing and gives NaN).
  return f32(p * (POW2_NEG_F[-kf] as number));
}
