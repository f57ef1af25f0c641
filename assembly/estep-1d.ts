/**
 * AssemblyScript source of the WebAssembly SIMD (f64x2) 1-D E-step kernels.
 *
 * Compiled by `scripts/build-wasm.mjs` into `src/core/kernels/generated/estep-1d-wasm.ts`; the
 * loader is `src/core/kernels/estep-1d-wasm.ts`, the contract is the TypeScript reference
 * `src/core/kernels/estep-1d.ts`. One f64x2 vector holds two rows; the main loops take two
 * vectors (four rows) at a time so that the CPU can overlap their long dependency chains.
 *
 * Exactness. `expNonPos` is a branch-free f64x2 port of fdlibm's `__ieee754_exp` and `logv` of
 * fdlibm's `__ieee754_log` (scalar port `logFd` for unusual arguments), the algorithms V8 uses for
 * `Math.exp` / `Math.log`; WebAssembly f64 arithmetic is IEEE 754 without fused multiply-add, and
 * every expression below is evaluated in the same order as in the reference. So every per-row
 * quantity (lp_k, max, e_k, s, logp, r_k, r_k log r_k, w r_k (x - mu_k)^2) is bit-identical to
 * the TypeScript kernel; only the order of the sums over rows differs (two lanes, see `estep`).
 * The `…Fast` exports use `expFast` instead (relative error <= 1e-13, no division).
 *
 * Memory layout (byte pointers, chosen by the loader, all 16-byte aligned):
 *   params: 3K v128 = [a_0, a_0], …, [a_{K-1}, a_{K-1}], [mu_0, mu_0], …, [b_0, b_0], …
 *   acc:    (3 + 3K) v128 accumulators, lane 0 and lane 1 (the loader zeroes them and adds the
 *           two lanes at the end), quantity q in the order of the reference's `out`.
 *   scr:    2 x (2K + 2) v128 scratch, per row pair: lp_k, e_k = exp(lp_k - max), s, max.
 *
 * No imports, no allocation, no traps: NaN propagates exactly as in the reference.
 */

// fdlibm constants (e_exp.c, e_log.c).
const LN2_HI: f64 = 0.6931471803691238; // 0x3fe62e42 fee00000
const LN2_LO: f64 = 1.9082149292705877e-10; // 0x3dea39ef 35793c76
// biome-ignore lint/suspicious/noApproximativeNumericConstant: fdlibm's invln2 (== Math.LOG2E), kept literal.
const INV_LN2: f64 = 1.4426950408889634; // 0x3ff71547 652b82fe
const P1: f64 = 0.16666666666666602;
const P2: f64 = -0.0027777777777015593;
const P3: f64 = 0.00006613756321437934;
const P4: f64 = -0.0000016533902205465252;
const P5: f64 = 4.1381367970572385e-8;
const U_THRESHOLD: f64 = -745.1332191019411; // below: exp underflows to 0
// |x| <= HALF_LN2_HW (high word 0x3fd62e42 and anything below) takes the k = 0 path of fdlibm.
const HALF_LN2_HW: f64 = 0.3465735912322998; // 0x3fd62e43 00000000, first double with k != 0
const TINY: f64 = 3.725290298461914e-9; // 2^-28: below, fdlibm returns 1 + x
const TWO_M1000: f64 = 9.332636185032189e-302; // 2^-1000
const MAGIC: f64 = 6755399441055744; // 1.5 * 2^52: integral doubles -> low bits

const LG1: f64 = 0.6666666666666735;
const LG2: f64 = 0.3999999999940942;
const LG3: f64 = 0.2857142874366239;
const LG4: f64 = 0.22222198432149784;
const LG5: f64 = 0.1818357216161805;
const LG6: f64 = 0.15313837699209373;
const LG7: f64 = 0.14798198605116586;
const TWO54: f64 = 18014398509481984;

// Fast exp (`estepFast`): exp(r) = 1 + (r + r^2 q(r)) on |r| <= ln2/2, q of degree 7 fitted to
// (exp(r) - 1 - r) / r^2 by Chebyshev interpolation (mpmath.chebyfit), truncation <= 8e-14 relative.
const Q0: f64 = 0.4999999999995511;
const Q1: f64 = 0.16666666666662586;
const Q2: f64 = 0.04166666678626573;
const Q3: f64 = 0.00833333334420298;
const Q4: f64 = 0.0013888839110572009;
const Q5: f64 = 0.00019841224599656011;
const Q6: f64 = 0.000024867870179687727;
const Q7: f64 = 0.0000027617564785876086;
const FAST_MIN: f64 = -708.3964185322641; // log(2^-1022): below, the fast exp flushes to 0

// Splatted constants in linear memory (byte offsets below): V8 rebuilds a v128.const at every use
// (3-4 instructions), a load from memory is one.
/** i32 lanes 0, 1, 2, 3 (the row offsets of `philoxUniform4`). */
const LANES = memory.data<i32>([0, 1, 2, 3], 16);
/** The four uniforms of a row quad. */
const UNIFORMS = memory.data(32, 16);
/** The four drawn modes of a row quad. */
const DRAWN = memory.data(16, 16);
/** The second row pair's max of `M.lp2`. */
const MAX_B = memory.data(16, 16);
/** x of the last, partial row quad, padded by repeating its last row. */
const XPAD = memory.data(32, 16);

// The encoder's single-precision exp (`expF32x4`, TypeScript `expF32` in exp-fast.ts): float32
// constants, each splatted to 4 lanes.
const F_LOG2E: f32 = 1.4426950216293335;
const F_LN2_HI: f32 = 0.693145751953125;
const F_LN2_LO: f32 = 0.000001428606765330187;
const F_P0: f32 = 0.5;
const F_P1: f32 = 0.1666666716337204;
const F_P2: f32 = 0.0416666679084301;
const F_P3: f32 = 0.008333333767950535;
const F_P4: f32 = 0.0013888889225199819;
const F_MIN: f32 = -87.33654022216797;
const FCONSTS = memory.data<f32>(
  [
    F_LOG2E,
    F_LOG2E,
    F_LOG2E,
    F_LOG2E,
    F_LN2_HI,
    F_LN2_HI,
    F_LN2_HI,
    F_LN2_HI,
    F_LN2_LO,
    F_LN2_LO,
    F_LN2_LO,
    F_LN2_LO,
    F_P0,
    F_P0,
    F_P0,
    F_P0,
    F_P1,
    F_P1,
    F_P1,
    F_P1,
    F_P2,
    F_P2,
    F_P2,
    F_P2,
    F_P3,
    F_P3,
    F_P3,
    F_P3,
    F_P4,
    F_P4,
    F_P4,
    F_P4,
    F_MIN,
    F_MIN,
    F_MIN,
    F_MIN,
    1.0,
    1.0,
    1.0,
    1.0,
  ],
  16,
);
const FC_LOG2E: usize = 0;
const FC_LN2_HI: usize = 16;
const FC_LN2_LO: usize = 32;
const FC_P0: usize = 48;
const FC_P1: usize = 64;
const FC_P2: usize = 80;
const FC_P3: usize = 96;
const FC_P4: usize = 112;
const FC_MIN: usize = 128;
const FC_ONE: usize = 144;

const CONSTS = memory.data<f64>(
  [
    0.0,
    0.0,
    INV_LN2,
    INV_LN2,
    0.5,
    0.5,
    -HALF_LN2_HW,
    -HALF_LN2_HW,
    LN2_HI,
    LN2_HI,
    LN2_LO,
    LN2_LO,
    P5,
    P5,
    P4,
    P4,
    P3,
    P3,
    P2,
    P2,
    P1,
    P1,
    2.0,
    2.0,
    1.0,
    1.0,
    -1021.0,
    -1021.0,
    1000.0,
    1000.0,
    MAGIC,
    MAGIC,
    TWO_M1000,
    TWO_M1000,
    -TINY,
    -TINY,
    U_THRESHOLD,
    U_THRESHOLD,
    Q0,
    Q0,
    Q1,
    Q1,
    Q2,
    Q2,
    Q3,
    Q3,
    Q4,
    Q4,
    Q5,
    Q5,
    Q6,
    Q6,
    Q7,
    Q7,
    FAST_MIN,
    FAST_MIN,
    MAGIC + 1023.0,
    MAGIC + 1023.0,
  ],
  16,
);
const C_INV_LN2: usize = 16;
const C_HALF: usize = 32;
const C_NEG_HALF_LN2: usize = 48;
const C_LN2_HI: usize = 64;
const C_LN2_LO: usize = 80;
const C_P5: usize = 96;
const C_P4: usize = 112;
const C_P3: usize = 128;
const C_P2: usize = 144;
const C_P1: usize = 160;
const C_TWO: usize = 176;
const C_ONE: usize = 192;
const C_KMIN: usize = 208;
const C_THOUSAND: usize = 224;
const C_MAGIC: usize = 240;
const C_TWO_M1000: usize = 256;
const C_NEG_TINY: usize = 272;
const C_UNDERFLOW: usize = 288;
const C_Q0: usize = 304;
const C_Q1: usize = 320;
const C_Q2: usize = 336;
const C_Q3: usize = 352;
const C_Q4: usize = 368;
const C_Q5: usize = 384;
const C_Q6: usize = 400;
const C_Q7: usize = 416;
const C_FAST_MIN: usize = 432;
const C_MAGIC_BIAS: usize = 448;

// biome-ignore lint/complexity/noStaticOnlyClass: AssemblyScript accepts @inline only on methods here.
class M {
  /**
   * exp(x) for both lanes, x <= 0, -Infinity or NaN (the kernel's lp_k - max). Bit-identical to
   * fdlibm (hence V8's Math.exp) on that domain, subnormal results included. Branch-free: the
   * branches of fdlibm become lane masks.
   */
  @inline static expNonPos(x: v128): v128 {
    // Constants are loaded from linear memory: V8 would rebuild each v128.const at every use.
    const C = CONSTS;
    // x < -745.13… (also -Infinity) gives 0. Those lanes compute exp(0) instead and are masked at
    // the end: running the formula on them would underflow, and subnormal arithmetic is ~4x slower.
    const under = f64x2.lt(x, v128.load(C, C_UNDERFLOW));
    const xc = v128.andnot(x, under); // NaN kept
    // k = (int)(invln2 * x - 0.5), forced to 0 where fdlibm takes its |x| <= 0.5 ln2 path (and NaN).
    let kf = f64x2.trunc(f64x2.sub(f64x2.mul(xc, v128.load(C, C_INV_LN2)), v128.load(C, C_HALF)));
    kf = v128.and(kf, f64x2.le(xc, v128.load(C, C_NEG_HALF_LN2)));
    const hi = f64x2.sub(xc, f64x2.mul(kf, v128.load(C, C_LN2_HI))); // kf * LN2_HI is exact
    const lo = f64x2.mul(kf, v128.load(C, C_LN2_LO));
    const r = f64x2.sub(hi, lo);
    const t = f64x2.mul(r, r);
    let p = f64x2.add(v128.load(C, C_P4), f64x2.mul(t, v128.load(C, C_P5)));
    p = f64x2.add(v128.load(C, C_P3), f64x2.mul(t, p));
    p = f64x2.add(v128.load(C, C_P2), f64x2.mul(t, p));
    p = f64x2.add(v128.load(C, C_P1), f64x2.mul(t, p));
    const c = f64x2.sub(r, f64x2.mul(t, p));
    // fdlibm's k == 0 formula 1 - ((x c)/(c - 2) - x) equals this one with hi = x, lo = 0.
    const q = f64x2.div(f64x2.mul(r, c), f64x2.sub(v128.load(C, C_TWO), c));
    const one = v128.load(C, C_ONE);
    const y = f64x2.sub(one, f64x2.sub(f64x2.sub(lo, q), hi));
    // y * 2^k; for k < -1021 as fdlibm: (y * 2^(k + 1000)) * 2^-1000, one rounding into subnormals.
    const small = f64x2.lt(kf, v128.load(C, C_KMIN));
    const kadj = f64x2.add(kf, v128.and(v128.load(C, C_THOUSAND), small));
    const kbits = i64x2.shl(f64x2.add(kadj, v128.load(C, C_MAGIC)), 52);
    const scale = v128.bitselect(v128.load(C, C_TWO_M1000), one, small);
    let e = f64x2.mul(i64x2.add(y, kbits), scale);
    // |x| < 2^-28: 1 + x, as fdlibm.
    e = v128.bitselect(f64x2.add(one, xc), e, f64x2.gt(xc, v128.load(C, C_NEG_TINY)));
    return v128.andnot(e, under);
  }

  /**
   * Faster exp for x <= 0, -Infinity or NaN, without division: relative error <= 1e-13 (measured
   * max 7.4e-14 against Math.exp); results below 2^-1022 (x < -708.396…) are flushed to 0.
   */
  @inline static expFast(x: v128): v128 {
    const C = CONSTS;
    const under = f64x2.lt(x, v128.load(C, C_FAST_MIN));
    const xc = v128.andnot(x, under); // NaN kept
    const kf = f64x2.nearest(f64x2.mul(xc, v128.load(C, C_INV_LN2)));
    const r = f64x2.sub(
      f64x2.sub(xc, f64x2.mul(kf, v128.load(C, C_LN2_HI))),
      f64x2.mul(kf, v128.load(C, C_LN2_LO)),
    );
    let q = f64x2.add(v128.load(C, C_Q6), f64x2.mul(r, v128.load(C, C_Q7)));
    q = f64x2.add(v128.load(C, C_Q5), f64x2.mul(r, q));
    q = f64x2.add(v128.load(C, C_Q4), f64x2.mul(r, q));
    q = f64x2.add(v128.load(C, C_Q3), f64x2.mul(r, q));
    q = f64x2.add(v128.load(C, C_Q2), f64x2.mul(r, q));
    q = f64x2.add(v128.load(C, C_Q1), f64x2.mul(r, q));
    q = f64x2.add(v128.load(C, C_Q0), f64x2.mul(r, q));
    const p = f64x2.add(v128.load(C, C_ONE), f64x2.add(r, f64x2.mul(f64x2.mul(r, r), q)));
    // 2^k from the low bits of k + 1023 + 1.5 * 2^52 (k >= -1022 here, so 2^k is normal).
    const twopk = i64x2.shl(f64x2.add(kf, v128.load(C, C_MAGIC_BIAS)), 52);
    return v128.andnot(f64x2.mul(p, twopk), under);
  }

  /** Scalar port of fdlibm's __ieee754_log (bit-identical to V8's Math.log). */
  @inline static logFd(x: f64): f64 {
    let bits = reinterpret<u64>(x);
    let hx = <i32>(bits >> 32);
    const lx = <u32>bits;
    let k: i32 = 0;
    if (hx < 0x00100000) {
      if (((hx & 0x7fffffff) | lx) === 0) return -Infinity;
      if (hx < 0) return NaN;
      k -= 54;
      x *= TWO54;
      bits = reinterpret<u64>(x);
      hx = <i32>(bits >> 32);
    }
    if (hx >= 0x7ff00000) return x + x;
    k += (hx >> 20) - 1023;
    hx &= 0x000fffff;
    let i = (hx + 0x95f64) & 0x100000;
    x = reinterpret<f64>(((<u64>(hx | (i ^ 0x3ff00000))) << 32) | (bits & 0xffffffff));
    k += i >> 20;
    const f = x - 1.0;
    const dk = <f64>k;
    if ((0x000fffff & (2 + hx)) < 3) {
      if (f === 0.0) {
        if (k === 0) return 0.0;
        return dk * LN2_HI + dk * LN2_LO;
      }
      const R0 = f * f * (0.5 - 0.3333333333333333 * f);
      if (k === 0) return f - R0;
      return dk * LN2_HI - (R0 - dk * LN2_LO - f);
    }
    const s = f / (2.0 + f);
    const z = s * s;
    i = hx - 0x6147a;
    const w = z * z;
    const j = 0x6b851 - hx;
    const t1 = w * (LG2 + w * (LG4 + w * LG6));
    const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    i |= j;
    const R = t2 + t1;
    if (i > 0) {
      const hfsq = 0.5 * f * f;
      if (k === 0) return f - (hfsq - s * (hfsq + R));
      return dk * LN2_HI - (hfsq - (s * (hfsq + R) + dk * LN2_LO) - f);
    }
    if (k === 0) return f - s * (f - R);
    return dk * LN2_HI - (s * (f - R) - dk * LN2_LO - f);
  }

  /**
   * log of both lanes, bit-identical to fdlibm. Lanes that are positive normal finite numbers (the
   * kernels' s lies in [1, K]) take a branch-free f64x2 port in which fdlibm's branches become lane
   * selects (its k = 0 shortcuts equal the general formulas with dk = 0, exactly); anything else
   * (0, subnormal, negative, Infinity, NaN) falls back to the scalar port.
   */
  @inline static logv(xv: v128): v128 {
    // s = 1 in both rows (K = 1, or one component takes everything): log 1 = +0, as fdlibm.
    if (i64x2.all_true(f64x2.eq(xv, v128.load(CONSTS, C_ONE)))) return f64x2.splat(0.0);
    const normal = v128.and(
      f64x2.ge(xv, f64x2.splat(2.2250738585072014e-308)),
      f64x2.lt(xv, f64x2.splat(Infinity)),
    );
    if (!i64x2.all_true(normal)) {
      const l0 = M.logFd(f64x2.extract_lane(xv, 0));
      const l1 = M.logFd(f64x2.extract_lane(xv, 1));
      return f64x2.replace_lane(f64x2.splat(l0), 1, l1);
    }
    const lowWord = i64x2.splat(0xffffffff);
    // k = (hx >> 20) - 1023; hx = mantissa bits of the high word; i picks x or x/2 in [√2/2, √2).
    let k = i64x2.sub(i64x2.shr_u(xv, 52), i64x2.splat(1023));
    const hx = v128.and(i64x2.shr_u(xv, 32), i64x2.splat(0x000fffff));
    const i = v128.and(i64x2.add(hx, i64x2.splat(0x95f64)), i64x2.splat(0x100000));
    const hiWord = v128.or(hx, v128.xor(i, i64x2.splat(0x3ff00000)));
    const xn = v128.or(i64x2.shl(hiWord, 32), v128.and(xv, lowWord));
    k = i64x2.add(k, i64x2.shr_u(i, 20));
    const f = f64x2.sub(xn, f64x2.splat(1.0));
    const dk = f64x2.sub(i64x2.add(k, f64x2.splat(MAGIC)), f64x2.splat(MAGIC)); // (double)k
    const dkHi = f64x2.mul(dk, f64x2.splat(LN2_HI));
    const dkLo = f64x2.mul(dk, f64x2.splat(LN2_LO));
    // |f| < 2^-20: R = f f (0.5 - f/3); dk ln2_hi - ((R - dk ln2_lo) - f).
    const tiny = i64x2.lt_s(
      v128.and(i64x2.add(hx, i64x2.splat(2)), i64x2.splat(0x000fffff)),
      i64x2.splat(3),
    );
    const ff = f64x2.mul(f, f);
    const ra = f64x2.mul(
      ff,
      f64x2.sub(f64x2.splat(0.5), f64x2.mul(f64x2.splat(0.3333333333333333), f)),
    );
    const resA = f64x2.sub(dkHi, f64x2.sub(f64x2.sub(ra, dkLo), f));
    // Otherwise s = f / (2 + f) and the Lg polynomial.
    const s = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
    const z = f64x2.mul(s, s);
    const w = f64x2.mul(z, z);
    let t1 = f64x2.add(f64x2.splat(LG4), f64x2.mul(w, f64x2.splat(LG6)));
    t1 = f64x2.mul(w, f64x2.add(f64x2.splat(LG2), f64x2.mul(w, t1)));
    let t2 = f64x2.add(f64x2.splat(LG5), f64x2.mul(w, f64x2.splat(LG7)));
    t2 = f64x2.add(f64x2.splat(LG3), f64x2.mul(w, t2));
    t2 = f64x2.mul(z, f64x2.add(f64x2.splat(LG1), f64x2.mul(w, t2)));
    const R = f64x2.add(t2, t1);
    const upper = i64x2.gt_s(
      v128.or(i64x2.sub(hx, i64x2.splat(0x6147a)), i64x2.sub(i64x2.splat(0x6b851), hx)),
      i64x2.splat(0),
    );
    const hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
    const resB = f64x2.sub(
      dkHi,
      f64x2.sub(f64x2.sub(hfsq, f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), dkLo)), f),
    );
    const resC = f64x2.sub(dkHi, f64x2.sub(f64x2.sub(f64x2.mul(s, f64x2.sub(f, R)), dkLo), f));
    return v128.bitselect(resA, v128.bitselect(resB, resC, upper), tiny);
  }

  /**
   * Passes 1 and 2 of a row pair: lp_k (stored at scr), max (returned) and e_k = exp(lp_k - max)
   * (stored at scr + 16K); their sum s goes to `sOut` and max to `sOut + 16` (callers pass
   * scr + 32K). `fast` (a constant) picks the exp.
   */
  @inline static lpExp(xv: v128, K: i32, params: usize, scr: usize, sOut: usize, fast: bool): v128 {
    const K16 = (<usize>K) << 4;
    let maxv = f64x2.splat(-Infinity);
    for (let k: usize = 0; k < K16; k += 16) {
      const d = f64x2.sub(xv, v128.load(params + K16 + k));
      // a - (b d) d, the reference's `a[k] - b[k] * d * d`.
      const lp = f64x2.sub(
        v128.load(params + k),
        f64x2.mul(f64x2.mul(v128.load(params + K16 + K16 + k), d), d),
      );
      v128.store(scr + k, lp);
      // pmax(m, lp) = m < lp ? lp : m, i.e. the reference's `if (lp > max) max = lp` (NaN skipped).
      maxv = f64x2.pmax(maxv, lp);
    }
    let s = f64x2.splat(0.0);
    for (let k: usize = 0; k < K16; k += 16) {
      const arg = f64x2.sub(v128.load(scr + k), maxv);
      const e = fast ? M.expFast(arg) : M.expNonPos(arg);
      v128.store(scr + K16 + k, e);
      s = f64x2.add(s, e);
    }
    v128.store(sOut, s);
    v128.store(sOut, maxv, 16);
    return maxv;
  }

  /**
   * lp_k = a_k - (b_k d) d, d = x - mu_k, of two row pairs (A = xa, B = xb) for every k, stored at
   * scrA + 16k and scrB + 16k; returns max_k of A's and writes B's to MAX_B.
   */
  @inline static lp2(xa: v128, xb: v128, K: i32, params: usize, scrA: usize, scrB: usize): v128 {
    const K16 = (<usize>K) << 4;
    let maxa = f64x2.splat(-Infinity);
    let maxb = maxa;
    for (let k: usize = 0; k < K16; k += 16) {
      const m = v128.load(params + K16 + k);
      const a = v128.load(params + k);
      const b = v128.load(params + K16 + K16 + k);
      const da = f64x2.sub(xa, m);
      const db = f64x2.sub(xb, m);
      const lpa = f64x2.sub(a, f64x2.mul(f64x2.mul(b, da), da));
      const lpb = f64x2.sub(a, f64x2.mul(f64x2.mul(b, db), db));
      v128.store(scrA + k, lpa);
      v128.store(scrB + k, lpb);
      maxa = f64x2.pmax(maxa, lpa);
      maxb = f64x2.pmax(maxb, lpb);
    }
    v128.store(MAX_B, maxb);
    return maxa;
  }

  /**
   * `lpExp` for two row pairs at once (rows A = i, i + 1 and B = i + 2, i + 3): independent
   * dependency chains side by side let the CPU overlap them (one pair alone is latency-bound).
   * Scratch of pair B starts at scrB; each pair's s and max go to its scratch + 32K and + 32K + 16.
   */
  @inline static lpExp2(
    xa: v128,
    xb: v128,
    K: i32,
    params: usize,
    scrA: usize,
    scrB: usize,
    fast: bool,
  ): void {
    const K16 = (<usize>K) << 4;
    const maxa = M.lp2(xa, xb, K, params, scrA, scrB);
    const maxb = v128.load(MAX_B);
    let sa = f64x2.splat(0.0);
    let sb = sa;
    for (let k: usize = 0; k < K16; k += 16) {
      const ga = f64x2.sub(v128.load(scrA + k), maxa);
      const gb = f64x2.sub(v128.load(scrB + k), maxb);
      const ea = fast ? M.expFast(ga) : M.expNonPos(ga);
      const eb = fast ? M.expFast(gb) : M.expNonPos(gb);
      v128.store(scrA + K16 + k, ea);
      v128.store(scrB + K16 + k, eb);
      sa = f64x2.add(sa, ea);
      sb = f64x2.add(sb, eb);
    }
    v128.store(scrA + K16 + K16, sa);
    v128.store(scrA + K16 + K16 + 16, maxa);
    v128.store(scrB + K16 + K16, sb);
    v128.store(scrB + K16 + K16 + 16, maxb);
  }

  /**
   * Two row pairs of the E-step (rows i..i+3), accumulated in row order per lane exactly as two
   * `estepPair` calls would: A's contribution, then B's, into each accumulator.
   */
  @inline static estepQuad(
    xa: v128,
    xb: v128,
    wa: v128,
    wb: v128,
    K: i32,
    params: usize,
    acc: usize,
    scrA: usize,
    scrB: usize,
    weighted: bool,
    fast: bool,
  ): void {
    const K16 = (<usize>K) << 4;
    M.lpExp2(xa, xb, K, params, scrA, scrB, fast);
    const sa = v128.load(scrA + K16 + K16);
    const sb = v128.load(scrB + K16 + K16);
    const logpa = f64x2.add(v128.load(scrA + K16 + K16 + 16), M.logv(sa));
    const logpb = f64x2.add(v128.load(scrB + K16 + K16 + 16), M.logv(sb));
    const one = v128.load(CONSTS, C_ONE);
    const inva = f64x2.div(one, sa);
    const invb = f64x2.div(one, sb);
    const zero = f64x2.splat(0.0);
    let enta = zero;
    let entb = zero;
    const accN = acc + 48;
    for (let k: usize = 0; k < K16; k += 16) {
      const ra = f64x2.mul(v128.load(scrA + K16 + k), inva);
      const rb = f64x2.mul(v128.load(scrB + K16 + k), invb);
      const ta = f64x2.mul(ra, f64x2.sub(v128.load(scrA + k), logpa));
      const tb = f64x2.mul(rb, f64x2.sub(v128.load(scrB + k), logpb));
      enta = f64x2.add(enta, v128.and(ta, f64x2.gt(ra, zero)));
      entb = f64x2.add(entb, v128.and(tb, f64x2.gt(rb, zero)));
      const wra = weighted ? f64x2.mul(wa, ra) : ra;
      const wrb = weighted ? f64x2.mul(wb, rb) : rb;
      // Moments about each component's own mean (the E-step's μ_k): no cancellation.
      const muk = v128.load(params + K16 + k);
      const dxa = f64x2.sub(xa, muk);
      const dxb = f64x2.sub(xb, muk);
      const wrdxa = f64x2.mul(wra, dxa);
      const wrdxb = f64x2.mul(wrb, dxb);
      const pN = accN + k;
      v128.store(pN, f64x2.add(f64x2.add(v128.load(pN), wra), wrb));
      v128.store(pN + K16, f64x2.add(f64x2.add(v128.load(pN + K16), wrdxa), wrdxb));
      const pQ = pN + K16 + K16;
      v128.store(
        pQ,
        f64x2.add(f64x2.add(v128.load(pQ), f64x2.mul(wrdxa, dxa)), f64x2.mul(wrdxb, dxb)),
      );
    }
    v128.store(acc, f64x2.add(f64x2.add(v128.load(acc), wa), wb));
    const la = weighted ? f64x2.mul(wa, logpa) : logpa;
    const lb = weighted ? f64x2.mul(wb, logpb) : logpb;
    v128.store(acc + 16, f64x2.add(f64x2.add(v128.load(acc + 16), la), lb));
    const ea = weighted ? f64x2.mul(wa, enta) : enta;
    const eb = weighted ? f64x2.mul(wb, entb) : entb;
    v128.store(acc + 32, f64x2.add(f64x2.add(v128.load(acc + 32), ea), eb));
  }

  /**
   * One row pair of the E-step. Constants: `weighted` (else w = 1 and w r = r exactly, so the
   * product is skipped), `masked` (keep lane 0 only: the odd last row), `fast` (the exp).
   */
  @inline static estepPair(
    xv: v128,
    wv: v128,
    K: i32,
    params: usize,
    acc: usize,
    scr: usize,
    weighted: bool,
    masked: bool,
    fast: bool,
  ): void {
    const K16 = (<usize>K) << 4;
    const sPtr = scr + K16 + K16;
    const maxv = M.lpExp(xv, K, params, scr, sPtr, fast);
    const s = v128.load(sPtr);
    const logp = f64x2.add(maxv, M.logv(s));
    const inv = f64x2.div(v128.load(CONSTS, C_ONE), s);
    const keep = i64x2(-1, 0);
    const zero = f64x2.splat(0.0);
    let ent = zero;
    const accN = acc + 48;
    for (let k: usize = 0; k < K16; k += 16) {
      const lp = v128.load(scr + k);
      const r = f64x2.mul(v128.load(scr + K16 + k), inv);
      // r log r as r (lp - logp), skipped unless r > 0 (guards 0 * -Infinity and NaN rows).
      ent = f64x2.add(ent, v128.and(f64x2.mul(r, f64x2.sub(lp, logp)), f64x2.gt(r, zero)));
      let wr = weighted ? f64x2.mul(wv, r) : r;
      // Moments about each component's own mean (the E-step's μ_k): no cancellation.
      const dx = f64x2.sub(xv, v128.load(params + K16 + k));
      let wrdx = f64x2.mul(wr, dx);
      let wrdx2 = f64x2.mul(wrdx, dx);
      if (masked) {
        wr = v128.and(wr, keep);
        wrdx = v128.and(wrdx, keep);
        wrdx2 = v128.and(wrdx2, keep);
      }
      const pN = accN + k;
      v128.store(pN, f64x2.add(v128.load(pN), wr));
      v128.store(pN + K16, f64x2.add(v128.load(pN + K16), wrdx));
      v128.store(pN + K16 + K16, f64x2.add(v128.load(pN + K16 + K16), wrdx2));
    }
    let w0 = wv;
    let w1 = weighted ? f64x2.mul(wv, logp) : logp;
    let w2 = weighted ? f64x2.mul(wv, ent) : ent;
    if (masked) {
      w0 = v128.and(w0, keep);
      w1 = v128.and(w1, keep);
      w2 = v128.and(w2, keep);
    }
    v128.store(acc, f64x2.add(v128.load(acc), w0));
    v128.store(acc + 16, f64x2.add(v128.load(acc + 16), w1));
    v128.store(acc + 32, f64x2.add(v128.load(acc + 32), w2));
  }

  /** The E-step over a chunk; see the exported `estep`. */
  @inline static estep(
    xPtr: usize,
    wPtr: usize,
    n: i32,
    K: i32,
    params: usize,
    acc: usize,
    scr: usize,
    fast: bool,
  ): void {
    const one = v128.load(CONSTS, C_ONE);
    const end = xPtr + ((<usize>n >> 1) << 4);
    const end4 = xPtr + ((<usize>n >> 2) << 5);
    const scrB = scr + (((<usize>K) << 5) + 32);
    let xp = xPtr;
    if (wPtr === 0) {
      for (; xp < end4; xp += 32) {
        const xa = v128.load(xp);
        const xb = v128.load(xp, 16);
        M.estepQuad(xa, xb, one, one, K, params, acc, scr, scrB, false, fast);
      }
      if (xp < end) M.estepPair(v128.load(xp), one, K, params, acc, scr, false, false, fast);
    } else {
      const dw = wPtr - xPtr;
      for (; xp < end4; xp += 32) {
        const xa = v128.load(xp);
        const xb = v128.load(xp, 16);
        const wa = v128.load(xp + dw);
        const wb = v128.load(xp + dw, 16);
        M.estepQuad(xa, xb, wa, wb, K, params, acc, scr, scrB, true, fast);
      }
      if (xp < end) {
        const wv = v128.load(xp + dw);
        M.estepPair(v128.load(xp), wv, K, params, acc, scr, true, false, fast);
      }
    }
    if (n & 1) {
      const wv = wPtr === 0 ? one : v128.load64_splat(wPtr + (end - xPtr));
      M.estepPair(v128.load64_splat(end), wv, K, params, acc, scr, true, true, fast);
    }
  }

  /** Stores r_k = e_k / s of one row pair (rows at r0 and r0 + 8K; the second only if `pair`). */
  @inline static storeResp(scr: usize, K: i32, r0: usize, pair: bool): void {
    const K16 = (<usize>K) << 4;
    const K8 = K16 >> 1;
    const inv = f64x2.div(v128.load(CONSTS, C_ONE), v128.load(scr + K16 + K16));
    for (let k: usize = 0; k < K16; k += 16) {
      const r = f64x2.mul(v128.load(scr + K16 + k), inv);
      v128.store64_lane(r0 + (k >> 1), r, 0);
      if (pair) v128.store64_lane(r0 + K8 + (k >> 1), r, 1);
    }
  }

  /** Stores log p = max + log s of one row pair (the second row only if `pair`). */
  @inline static storeLogp(scr: usize, K: i32, lp: usize, pair: bool): void {
    const K16 = (<usize>K) << 4;
    const s = v128.load(scr + K16 + K16);
    const logp = f64x2.add(v128.load(scr + K16 + K16 + 16), M.logv(s));
    v128.store64_lane(lp, logp, 0);
    if (pair) v128.store64_lane(lp, logp, 1, 8);
  }

  /** Responsibilities over a chunk; see the exported `posterior`. */
  @inline static posterior(
    xPtr: usize,
    n: i32,
    K: i32,
    params: usize,
    scr: usize,
    respPtr: usize,
    logPtr: usize,
    fast: bool,
  ): void {
    const K8 = (<usize>K) << 3;
    const scrB = scr + (((<usize>K) << 5) + 32);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const xp = xPtr + ((<usize>i) << 3);
      M.lpExp2(v128.load(xp), v128.load(xp, 16), K, params, scr, scrB, fast);
      if (respPtr !== 0) {
        const r0 = respPtr + <usize>i * K8;
        M.storeResp(scr, K, r0, true);
        M.storeResp(scrB, K, r0 + K8 + K8, true);
      }
      if (logPtr !== 0) {
        const lp = logPtr + ((<usize>i) << 3);
        M.storeLogp(scr, K, lp, true);
        M.storeLogp(scrB, K, lp + 16, true);
      }
    }
    for (; i < n; i += 2) {
      const xp = xPtr + ((<usize>i) << 3);
      const pair = i + 1 < n;
      const xv = pair ? v128.load(xp) : v128.load64_splat(xp);
      M.lpExp(xv, K, params, scr, scr + ((<usize>K) << 5), fast);
      if (respPtr !== 0) M.storeResp(scr, K, respPtr + <usize>i * K8, pair);
      if (logPtr !== 0) M.storeLogp(scr, K, logPtr + ((<usize>i) << 3), pair);
    }
  }

  /** out[i] = exp(in[i]) for i < n with the accurate or the fast exp. */
  @inline static expArray(inPtr: usize, outPtr: usize, n: i32, fast: bool): void {
    for (let i = 0; i < n; i += 2) {
      const off = (<usize>i) << 3;
      const x = v128.load(inPtr + off);
      const e = fast ? M.expFast(x) : M.expNonPos(x);
      v128.store64_lane(outPtr + off, e, 0);
      if (i + 1 < n) v128.store64_lane(outPtr + off + 8, e, 1);
    }
  }
}

/** First free byte after the module's static data; the loader lays its buffers out from here. */
export function heapBase(): usize {
  return __heap_base;
}

/**
 * Accumulates rows [0, n) of `x` (f64 at xPtr) into `acc`. Row 2j goes to lane 0 and row 2j + 1
 * to lane 1; an odd last row goes to lane 0 alone. Weights are f64 at wPtr, or 1 when wPtr is 0.
 * The loader calls this once per chunk (even lengths except the last) and adds the lanes at the end.
 */
export function estep(
  xPtr: usize,
  wPtr: usize,
  n: i32,
  K: i32,
  params: usize,
  acc: usize,
  scr: usize,
): void {
  M.estep(xPtr, wPtr, n, K, params, acc, scr, false);
}

/** `estep` with the fast exp (relative error <= ~1e-13, results below 2^-1022 flushed to 0). */
export function estepFast(
  xPtr: usize,
  wPtr: usize,
  n: i32,
  K: i32,
  params: usize,
  acc: usize,
  scr: usize,
): void {
  M.estep(xPtr, wPtr, n, K, params, acc, scr, true);
}

/**
 * Responsibilities of rows [0, n): resp (f64 at respPtr, row-major n x K) unless respPtr is 0,
 * and log p (f64 at logPtr) unless logPtr is 0.
 */
export function posterior(
  xPtr: usize,
  n: i32,
  K: i32,
  params: usize,
  scr: usize,
  respPtr: usize,
  logPtr: usize,
): void {
  M.posterior(xPtr, n, K, params, scr, respPtr, logPtr, false);
}

/** `posterior` with the fast exp. */
export function posteriorFast(
  xPtr: usize,
  n: i32,
  K: i32,
  params: usize,
  scr: usize,
  respPtr: usize,
  logPtr: usize,
): void {
  M.posterior(xPtr, n, K, params, scr, respPtr, logPtr, true);
}

/** out[i] = exp(in[i]) with the kernels' exp (domain x <= 0, -Infinity, NaN), for tests. */
export function expArray(inPtr: usize, outPtr: usize, n: i32): void {
  M.expArray(inPtr, outPtr, n, false);
}

/** out[i] = exp(in[i]) with the fast exp (domain x <= 0, -Infinity, NaN), for tests. */
export function expFastArray(inPtr: usize, outPtr: usize, n: i32): void {
  M.expArray(inPtr, outPtr, n, true);
}

/** out[i] = expF32x4 of in[i] (float32; n a multiple of 4, 16-byte aligned pointers), for tests. */
export function expF32Array(inPtr: usize, outPtr: usize, n: i32): void {
  for (let i = 0; i < n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(outPtr + o, E.expF32x4(v128.load(inPtr + o)));
  }
}

// ---------------------------------------------------------------------------------------------
// Encoder of 1-D mixture columns: the reference is the float, no-transform path of
// `encodeArrays` in src/encode/mixture-column.ts (mode sampled from the posterior, then the most
// probable admissible mode, then an alpha that decodes back bit for bit).

const M0: u64 = 0xd2511f53;
const M1: u64 = 0xcd9e8d57;
const W0: u32 = 0x9e3779b9;
const W1: u32 = 0xbb67ae85;
const PROB_FLOOR: f64 = 1e-6;
const CLIP: f64 = 0.99;
const MAX_ULP_STEPS: i32 = 4;

// biome-ignore lint/complexity/noStaticOnlyClass: AssemblyScript accepts @inline only on methods here.
class E {
  /**
   * The uniform of `uniformAt(seed, stream, row)` (src/core/rng.ts): Philox4x32-10 with key = seed
   * and counter = (row, stream) as 64-bit words, first two output words joined into 53 bits.
   * Integer arithmetic only, so identical to the TypeScript version on every input.
   */
  @inline static philoxUniform(key0: u32, key1: u32, c0: u32, c1: u32, c2: u32, c3: u32): f64 {
    let k0 = key0;
    let k1 = key1;
    let x0 = c0;
    let x1 = c1;
    let x2 = c2;
    let x3 = c3;
    for (let round = 0; round < 10; round++) {
      const p0 = M0 * <u64>x0;
      const p1 = M1 * <u64>x2;
      x0 = <u32>(p1 >> 32) ^ x1 ^ k0;
      x1 = <u32>p1;
      x2 = <u32>(p0 >> 32) ^ x3 ^ k1;
      x3 = <u32>p0;
      k0 += W0;
      k1 += W1;
    }
    return (<f64>(x0 >>> 5) * 67108864.0 + <f64>(x1 >>> 6)) / 9007199254740992.0;
  }

  /**
   * exp of four float32 x <= 0 in float32 arithmetic (the TypeScript `expF32`, bit for bit):
   * 2^k (1 + r + r^2 q(r)), k = nearest(x log2 e), r = x - k ln2 (two parts), q of degree 4;
   * below F_MIN the result is 0.
   */
  @inline static expF32x4(x: v128): v128 {
    const C = FCONSTS;
    const under = f32x4.lt(x, v128.load(C, FC_MIN));
    const kf = f32x4.nearest(f32x4.mul(x, v128.load(C, FC_LOG2E)));
    const r = f32x4.sub(
      f32x4.sub(x, f32x4.mul(kf, v128.load(C, FC_LN2_HI))),
      f32x4.mul(kf, v128.load(C, FC_LN2_LO)),
    );
    let q = f32x4.add(v128.load(C, FC_P3), f32x4.mul(r, v128.load(C, FC_P4)));
    q = f32x4.add(v128.load(C, FC_P2), f32x4.mul(r, q));
    q = f32x4.add(v128.load(C, FC_P1), f32x4.mul(r, q));
    q = f32x4.add(v128.load(C, FC_P0), f32x4.mul(r, q));
    const p = f32x4.add(v128.load(C, FC_ONE), f32x4.add(r, f32x4.mul(f32x4.mul(r, r), q)));
    // 2^k: k + 127 in the exponent field (k >= -126 here; NaN lanes give NaN through p).
    const twopk = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(kf), i32x4.splat(127)), 23);
    return v128.andnot(f32x4.mul(p, twopk), under);
  }

  /**
   * The posterior terms of four rows (x0, x1 in xa; x2, x3 in xb): lp_k in float64 as the
   * reference, max over k, then e_k = expF32(f32(lp_k - max)) as float32 for the four rows in one
   * vector at e + 16k (row j at + 4j), and their float32 sums at s (row j at s + 4j).
   */
  @inline static posteriorQuad(
    xa: v128,
    xb: v128,
    K: i32,
    params: usize,
    lp: usize,
    e: usize,
    s: usize,
  ): void {
    const K16 = (<usize>K) << 4;
    const maxa = M.lp2(xa, xb, K, params, lp, lp + K16);
    const maxb = v128.load(MAX_B);
    let sum = f32x4.splat(0.0);
    for (let k: usize = 0; k < K16; k += 16) {
      const ga = f32x4.demote_f64x2_zero(f64x2.sub(v128.load(lp + k), maxa));
      const gb = f32x4.demote_f64x2_zero(f64x2.sub(v128.load(lp + K16 + k), maxb));
      const ev = E.expF32x4(i32x4.shuffle(ga, gb, 0, 1, 4, 5));
      v128.store(e + k, ev);
      sum = f32x4.add(sum, ev);
    }
    v128.store(s, sum);
  }

  /**
   * `philoxUniform` for the four counters (c0 + j, c1, c2, c3), j = 0…3, at once: Philox's 32 x 32
   * -> 64-bit products four lanes at a time (i64x2.extmul), the same integer arithmetic, so the
   * same four uniforms. Writes them as f64 at out, out + 8, out + 16, out + 24.
   */
  @inline static philoxUniform4(
    key0: u32,
    key1: u32,
    c0: u32,
    c1: u32,
    c2: u32,
    c3: u32,
    out: usize,
  ): void {
    let x0 = i32x4.add(i32x4.splat(c0), v128.load(LANES));
    let x1 = i32x4.splat(c1);
    let x2 = i32x4.splat(c2);
    let x3 = i32x4.splat(c3);
    let k0 = key0;
    let k1 = key1;
    const m0 = i32x4.splat(<i32>M0);
    const m1 = i32x4.splat(<i32>M1);
    for (let round = 0; round < 10; round++) {
      const p0a = i64x2.extmul_low_i32x4_u(x0, m0);
      const p0b = i64x2.extmul_high_i32x4_u(x0, m0);
      const p1a = i64x2.extmul_low_i32x4_u(x2, m1);
      const p1b = i64x2.extmul_high_i32x4_u(x2, m1);
      // Low and high 32-bit halves of the four 64-bit products, back in row order.
      const lo0 = i32x4.shuffle(p0a, p0b, 0, 2, 4, 6);
      const hi0 = i32x4.shuffle(p0a, p0b, 1, 3, 5, 7);
      const lo1 = i32x4.shuffle(p1a, p1b, 0, 2, 4, 6);
      const hi1 = i32x4.shuffle(p1a, p1b, 1, 3, 5, 7);
      x0 = v128.xor(v128.xor(hi1, x1), i32x4.splat(k0));
      x1 = lo1;
      x2 = v128.xor(v128.xor(hi0, x3), i32x4.splat(k1));
      x3 = lo0;
      k0 += W0;
      k1 += W1;
    }
    // (x0 >>> 5) * 2^26 + (x1 >>> 6), exact in f64, times 2^-53 (exact: the reference's division).
    const a = i32x4.shr_u(x0, 5);
    const b = i32x4.shr_u(x1, 6);
    const two26 = f64x2.splat(67108864.0);
    const inv53 = f64x2.splat(1.1102230246251565e-16);
    const u01 = f64x2.mul(
      f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(a), two26), f64x2.convert_low_i32x4_u(b)),
      inv53,
    );
    const a23 = i32x4.shuffle(a, a, 2, 3, 0, 1);
    const b23 = i32x4.shuffle(b, b, 2, 3, 0, 1);
    const u23 = f64x2.mul(
      f64x2.add(f64x2.mul(f64x2.convert_low_i32x4_u(a23), two26), f64x2.convert_low_i32x4_u(b23)),
      inv53,
    );
    v128.store(out, u01);
    v128.store(out, u23, 16);
  }

  /** The next double above x (x for NaN and +Infinity), as `nextUp` in src/encode/exact.ts. */
  @inline static nextUpF(x: f64): f64 {
    // biome-ignore lint/suspicious/noGlobalIsNan: AssemblyScript's isNaN<f64> is typed, no coercion.
    if (isNaN(x) || x === Infinity) return x;
    if (x === 0.0) return 5e-324;
    const b = reinterpret<i64>(x);
    return reinterpret<f64>(x > 0.0 ? b + 1 : b - 1);
  }

  /** `exactAlpha` of src/encode/exact.ts: an alpha with alpha * s + mu === x bit for bit, or NaN. */
  @inline static exactAlphaF(x: f64, mu: f64, s: f64): f64 {
    let a = (x - mu) / s;
    if (!(a - a === 0.0)) return NaN;
    let dir = 0;
    for (let step = 0; step <= MAX_ULP_STEPS; step++) {
      const d = a * s + mu;
      if (d === x) {
        if (d !== 0.0 || reinterpret<u64>(d) === reinterpret<u64>(x)) return a;
        return NaN;
      }
      const want = d < x ? 1 : -1;
      if (dir !== 0 && want !== dir) return NaN;
      dir = want;
      a = dir > 0 ? E.nextUpF(a) : -E.nextUpF(-a);
    }
    return NaN;
  }

  /**
   * The drawn modes of a quad: for each row the first k with
   * u (1 + K floor) s < sum_{j <= k} (e_j + floor s) (K - 1 when there is none), with u at
   * UNIFORMS and e_k, s as `posteriorQuad` left them. The running sums never decrease (every
   * term is >= 0), so that first k is the count of k whose sum is not above the threshold,
   * counted here for four rows at once without a branch; a NaN sum (all lp_k infinite) counts
   * every k, as the scalar walk ends at K - 1. Writes the four i32 modes at DRAWN.
   */
  @inline static drawQuad(e: usize, s: usize, K: i32): void {
    const s4 = v128.load(s);
    const sLo = f64x2.promote_low_f32x4(s4);
    const sHi = f64x2.promote_low_f32x4(i32x4.shuffle(s4, s4, 2, 3, 0, 1));
    const c = f64x2.splat(1.0 + <f64>K * PROB_FLOOR);
    const pf = f64x2.splat(PROB_FLOOR);
    const tLo = f64x2.mul(f64x2.mul(v128.load(UNIFORMS), c), sLo);
    const tHi = f64x2.mul(f64x2.mul(v128.load(UNIFORMS, 16), c), sHi);
    const fLo = f64x2.mul(sLo, pf);
    const fHi = f64x2.mul(sHi, pf);
    let accLo = f64x2.splat(0.0);
    let accHi = accLo;
    let aboveLo = i64x2.splat(0);
    let aboveHi = aboveLo;
    const K16 = (<usize>K) << 4;
    for (let k: usize = 0; k < K16; k += 16) {
      const e4 = v128.load(e + k);
      accLo = f64x2.add(accLo, f64x2.add(f64x2.promote_low_f32x4(e4), fLo));
      accHi = f64x2.add(
        accHi,
        f64x2.add(f64x2.promote_low_f32x4(i32x4.shuffle(e4, e4, 2, 3, 0, 1)), fHi),
      );
      // Lanes where threshold < sum are all ones (-1): subtracting counts them.
      aboveLo = i64x2.sub(aboveLo, f64x2.lt(tLo, accLo));
      aboveHi = i64x2.sub(aboveHi, f64x2.lt(tHi, accHi));
    }
    const last = <i64>(K - 1);
    store<i32>(DRAWN, <i32>min(last, <i64>K - i64x2.extract_lane(aboveLo, 0)));
    store<i32>(DRAWN, <i32>min(last, <i64>K - i64x2.extract_lane(aboveLo, 1)), 4);
    store<i32>(DRAWN, <i32>min(last, <i64>K - i64x2.extract_lane(aboveHi, 0)), 8);
    store<i32>(DRAWN, <i32>min(last, <i64>K - i64x2.extract_lane(aboveHi, 1)), 12);
  }

  /**
   * One row after its posterior and draw: e_k (float32) at e + 16k (one lane of a quad's vectors)
   * and the drawn mode k0 (see `drawQuad`).
   * Writes alpha, the mode and the residual (r, and rn = 1 when there is none); returns 1 for a
   * row the reference path must take (mode -1: non-finite x, or neither an exact alpha nor an
   * exact residual), else 0.
   */
  @inline static encodeRow(
    x: f64,
    e: usize,
    k0: i32,
    K: i32,
    muPtr: usize,
    sPtr: usize,
    aOut: usize,
    mOut: usize,
    rOut: usize,
    rnOut: usize,
  ): i32 {
    store<f64>(rOut, 0.0);
    store<u8>(rnOut, 1);
    if (!(x - x === 0.0)) {
      store<i32>(mOut, -1);
      return 1;
    }
    let k = k0;
    const m0 = load<f64>(muPtr + ((<usize>k0) << 3));
    const s0 = load<f64>(sPtr + ((<usize>k0) << 3));
    if (!(Math.abs(x - m0) <= CLIP * s0)) {
      let best = -1;
      for (let c = 0; c < K; c++) {
        const mc = load<f64>(muPtr + ((<usize>c) << 3));
        const sc = load<f64>(sPtr + ((<usize>c) << 3));
        if (
          Math.abs(x - mc) <= CLIP * sc &&
          (best < 0 || load<f32>(e + ((<usize>c) << 4)) > load<f32>(e + ((<usize>best) << 4)))
        ) {
          best = c;
        }
      }
      if (best >= 0) k = best;
    }
    const mu = load<f64>(muPtr + ((<usize>k) << 3));
    const sk = load<f64>(sPtr + ((<usize>k) << 3));
    let a = E.exactAlphaF(x, mu, sk);
    // biome-ignore lint/suspicious/noGlobalIsNan: AssemblyScript's isNaN<f64> is typed, no coercion.
    if (isNaN(a)) {
      // The plain alpha and the residual x - decode(alpha), when the two sum back to x exactly.
      a = (x - mu) / sk;
      const d = a * sk + mu;
      const r = x - d;
      if (a - a === 0.0 && r !== 0.0 && reinterpret<u64>(d + r) === reinterpret<u64>(x)) {
        store<f64>(rOut, r);
        store<u8>(rnOut, 0);
      } else {
        store<i32>(mOut, -1);
        return 1;
      }
    }
    store<f64>(aOut, a);
    store<i32>(mOut, k);
    return 0;
  }
}

/**
 * Encodes rows [0, n) of x (f64 at xPtr; rows rowLo/rowHi … of the column): alpha (f64 at aPtr),
 * mode (i32 at mPtr; -1: the caller's reference path must encode the row), residual (f64 at rPtr)
 * and its null flag (u8 at rnPtr, 1: no residual). params as for `posterior` with
 * a = log w_k - log sigma_k, b = 1 / (2 sigma_k^2); mu and s = scale sigma as plain f64 arrays at
 * muPtr and sPtr; scr: 2 x (2K + 2) v128 of scratch. The row counter (rowLo, rowHi) must not wrap
 * within the call (the caller keeps chunks inside 2^32 rows). Returns the number of rows marked -1.
 */
export function encodeSample(
  xPtr: usize,
  n: i32,
  K: i32,
  params: usize,
  muPtr: usize,
  sPtr: usize,
  scr: usize,
  seedLo: u32,
  seedHi: u32,
  streamLo: u32,
  streamHi: u32,
  rowLo: u32,
  rowHi: u32,
  aPtr: usize,
  mPtr: usize,
  rPtr: usize,
  rnPtr: usize,
): i32 {
  const K16 = (<usize>K) << 4;
  // Scratch: lp_k of the quad (2 v128 a mode), e_k (1 v128 a mode), the four sums.
  const eScr = scr + (K16 << 1);
  const sScr = eScr + K16;
  let flagged = 0;
  for (let i = 0; i < n; i += 4) {
    const rows = min(4, n - i);
    let xp = xPtr + ((<usize>i) << 3);
    if (rows < 4) {
      // The last, partial quad: its rows padded with the last one (the padding is not written).
      for (let j = 0; j < 4; j++) {
        store<f64>(XPAD + ((<usize>j) << 3), load<f64>(xp + ((<usize>min(j, rows - 1)) << 3)));
      }
      xp = XPAD;
    }
    E.posteriorQuad(v128.load(xp), v128.load(xp, 16), K, params, scr, eScr, sScr);
    E.philoxUniform4(seedLo, seedHi, rowLo + <u32>i, rowHi, streamLo, streamHi, UNIFORMS);
    E.drawQuad(eScr, sScr, K);
    for (let j = 0; j < rows; j++) {
      const row = i + j;
      const lane = (<usize>j) << 2;
      flagged += E.encodeRow(
        load<f64>(xp + ((<usize>j) << 3)),
        eScr + lane,
        load<i32>(DRAWN + lane),
        K,
        muPtr,
        sPtr,
        aPtr + ((<usize>row) << 3),
        mPtr + ((<usize>row) << 2),
        rPtr + ((<usize>row) << 3),
        rnPtr + <usize>row,
      );
    }
  }
  return flagged;
}
