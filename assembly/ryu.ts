/**
 * AssemblyScript source of the shortest round-trip printing of doubles (Ulf Adams' Ryū, "Ryū:
 * fast float-to-string conversion", PLDI 2018), in the notation of ECMAScript's
 * Number::toString: the text `String(x)` gives.
 *
 * Compiled by `scripts/build-wasm.mjs` into `src/io/generated/ryu-wasm.ts`; the loader is
 * `src/io/ryu.ts`, which writes the two tables of 5^±q (computed exactly with BigInt) at
 * `tables()` before the first call. `d2s(x)` writes the text of a finite, non-zero double at
 * `text()` and returns its length; `d2sAt(x, at)` writes it at `at` (`csv-rows.ts`).
 *
 * Shortest and closest: the digits are the fewest whose decimal rounds (to nearest, ties to
 * even: the interval's bounds count when the mantissa is even) back to x, and among those the
 * closest to x, ties to even; ECMAScript asks for the same. `test/io/ryu.test.ts` compares with
 * `String(x)` on millions of doubles.
 */

const POW5_INV_BITCOUNT: i32 = 125;
const POW5_BITCOUNT: i32 = 125;
/** Entries of the tables: 5^-q for q < 342 (inverse), 5^i for i < 326. */
const INV_ENTRIES: i32 = 342;
const POW_ENTRIES: i32 = 326;

/** The tables: INV_ENTRIES pairs (low, high) of u64, then POW_ENTRIES pairs. */
const TABLES = memory.data((INV_ENTRIES + POW_ENTRIES) * 16, 16);
/** The text written by d2s (at most 25 bytes). */
const TEXT = memory.data(32, 16);

export function tables(): usize {
  return TABLES;
}

export function text(): usize {
  return TEXT;
}

function pow5bits(e: i32): i32 {
  return ((e * 1217359) >>> 19) + 1;
}

function log10Pow2(e: i32): i32 {
  return (e * 78913) >>> 18;
}

function log10Pow5(e: i32): i32 {
  return (e * 732923) >>> 20;
}

function pow5Factor(value: u64): i32 {
  let count = 0;
  for (;;) {
    const q = value / 5;
    if (value - 5 * q !== 0) break;
    value = q;
    count++;
  }
  return count;
}

function multipleOfPowerOf5(value: u64, p: i32): bool {
  return pow5Factor(value) >= p;
}

function multipleOfPowerOf2(value: u64, p: i32): bool {
  return (value & ((1 << (p as u64)) - 1)) === 0;
}

/** High 64 bits of the 128-bit product a·b (low bits in `lo128`). */
let lo128: u64 = 0;
function umul128(a: u64, b: u64): u64 {
  const aLo = a & 0xffffffff;
  const aHi = a >> 32;
  const bLo = b & 0xffffffff;
  const bHi = b >> 32;
  const b00 = aLo * bLo;
  const b01 = aLo * bHi;
  const b10 = aHi * bLo;
  const b11 = aHi * bHi;
  const b00Hi = b00 >> 32;
  const mid1 = b10 + b00Hi;
  const mid1Lo = mid1 & 0xffffffff;
  const mid1Hi = mid1 >> 32;
  const mid2 = b01 + mid1Lo;
  const mid2Lo = mid2 & 0xffffffff;
  const mid2Hi = mid2 >> 32;
  lo128 = (mid2Lo << 32) | (b00 & 0xffffffff);
  return b11 + mid1Hi + mid2Hi;
}

/** (lo, hi) >> dist for 0 < dist < 64: the low 64 bits. */
function shiftRight128(lo: u64, hi: u64, dist: u64): u64 {
  return (hi << (64 - dist)) | (lo >> dist);
}

/** The bounds of `mulShiftAll64`, besides the `vr` it returns. */
let outVp: u64 = 0;
let outVm: u64 = 0;

/**
 * (4m · mul) >> j, and into `outVp` and `outVm` ((4m + 2) · mul) >> j and
 * ((4m − 1 − mmShift) · mul) >> j, from one 192-bit product 2m · mul (two 128-bit products
 * instead of six): the bounds differ from it by ± mul.
 */
function mulShiftAll64(m: u64, entry: usize, j: i32, mmShift: u64): u64 {
  const mul0 = load<u64>(entry);
  const mul1 = load<u64>(entry, 8);
  const m2 = m << 1;
  const tmp0 = umul128(m2, mul0);
  const lo = lo128;
  let hi = umul128(m2, mul1);
  const mid = tmp0 + lo128;
  if (mid < tmp0) hi++;
  const lo2 = lo + mul0;
  const mid2 = mid + mul1 + (lo2 < lo ? 1 : 0);
  const hi2 = hi + (mid2 < mid ? 1 : 0);
  outVp = shiftRight128(mid2, hi2, (j - 64 - 1) as u64);
  if (mmShift === 1) {
    const lo3 = lo - mul0;
    const mid3 = mid - mul1 - (lo3 > lo ? 1 : 0);
    const hi3 = hi - (mid3 > mid ? 1 : 0);
    outVm = shiftRight128(mid3, hi3, (j - 64 - 1) as u64);
  } else {
    const lo3 = lo + lo;
    const mid3 = mid + mid + (lo3 < lo ? 1 : 0);
    const hi3 = hi + hi + (mid3 < mid ? 1 : 0);
    const lo4 = lo3 - mul0;
    const mid4 = mid3 - mul1 - (lo4 > lo3 ? 1 : 0);
    const hi4 = hi3 - (mid4 > mid3 ? 1 : 0);
    outVm = shiftRight128(mid4, hi4, (j - 64) as u64);
  }
  return shiftRight128(mid, hi, (j - 64 - 1) as u64);
}

function decimalLength17(v: u64): i32 {
  if (v >= 10000000000000000) return 17;
  if (v >= 1000000000000000) return 16;
  if (v >= 100000000000000) return 15;
  if (v >= 10000000000000) return 14;
  if (v >= 1000000000000) return 13;
  if (v >= 100000000000) return 12;
  if (v >= 10000000000) return 11;
  if (v >= 1000000000) return 10;
  if (v >= 100000000) return 9;
  if (v >= 10000000) return 8;
  if (v >= 1000000) return 7;
  if (v >= 100000) return 6;
  if (v >= 10000) return 5;
  if (v >= 1000) return 4;
  if (v >= 100) return 3;
  if (v >= 10) return 2;
  return 1;
}

/** The shortest decimal of a finite, non-zero |x|: digits in `outDigits`, exponent returned. */
let outDigits: u64 = 0;
function d2d(ieeeMantissa: u64, ieeeExponent: i32): i32 {
  let e2: i32;
  let m2: u64;
  if (ieeeExponent === 0) {
    e2 = 1 - 1023 - 52 - 2;
    m2 = ieeeMantissa;
  } else {
    e2 = ieeeExponent - 1023 - 52 - 2;
    m2 = (1 << 52) | ieeeMantissa;
  }
  const acceptBounds = (m2 & 1) === 0;
  const mv = 4 * m2;
  const mmShift: u64 = ieeeMantissa !== 0 || ieeeExponent <= 1 ? 1 : 0;
  let vr: u64;
  let vp: u64;
  let vm: u64;
  let e10: i32;
  let vmIsTrailingZeros = false;
  let vrIsTrailingZeros = false;
  if (e2 >= 0) {
    const q = log10Pow2(e2) - (e2 > 3 ? 1 : 0);
    e10 = q;
    const k = POW5_INV_BITCOUNT + pow5bits(q) - 1;
    const i = -e2 + q + k;
    const entry = TABLES + (q as usize) * 16;
    vr = mulShiftAll64(m2, entry, i, mmShift);
    vp = outVp;
    vm = outVm;
    if (q <= 21) {
      if (mv % 5 === 0) vrIsTrailingZeros = multipleOfPowerOf5(mv, q);
      else if (acceptBounds) vmIsTrailingZeros = multipleOfPowerOf5(mv - 1 - mmShift, q);
      else if (multipleOfPowerOf5(mv + 2, q)) vp--;
    }
  } else {
    const q = log10Pow5(-e2) - (-e2 > 1 ? 1 : 0);
    e10 = q + e2;
    const i = -e2 - q;
    const k = pow5bits(i) - POW5_BITCOUNT;
    const j = q - k;
    const entry = TABLES + ((INV_ENTRIES + i) as usize) * 16;
    vr = mulShiftAll64(m2, entry, j, mmShift);
    vp = outVp;
    vm = outVm;
    if (q <= 1) {
      vrIsTrailingZeros = true;
      if (acceptBounds) vmIsTrailingZeros = mmShift === 1;
      else vp--;
    } else if (q < 63) {
      vrIsTrailingZeros = multipleOfPowerOf2(mv, q);
    }
  }
  let removed: i32 = 0;
  let lastRemovedDigit: u64 = 0;
  let output: u64;
  if (vmIsTrailingZeros || vrIsTrailingZeros) {
    for (;;) {
      const vpDiv10 = vp / 10;
      const vmDiv10 = vm / 10;
      if (vpDiv10 <= vmDiv10) break;
      const vmMod10 = vm - 10 * vmDiv10;
      const vrDiv10 = vr / 10;
      const vrMod10 = vr - 10 * vrDiv10;
      vmIsTrailingZeros = vmIsTrailingZeros && vmMod10 === 0;
      vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit === 0;
      lastRemovedDigit = vrMod10;
      vr = vrDiv10;
      vp = vpDiv10;
      vm = vmDiv10;
      removed++;
    }
    if (vmIsTrailingZeros) {
      for (;;) {
        const vmDiv10 = vm / 10;
        const vmMod10 = vm - 10 * vmDiv10;
        if (vmMod10 !== 0) break;
        const vpDiv10 = vp / 10;
        const vrDiv10 = vr / 10;
        const vrMod10 = vr - 10 * vrDiv10;
        vrIsTrailingZeros = vrIsTrailingZeros && lastRemovedDigit === 0;
        lastRemovedDigit = vrMod10;
        vr = vrDiv10;
        vp = vpDiv10;
        vm = vmDiv10;
        removed++;
      }
    }
    // Round to even when the exact number is …50…0.
    if (vrIsTrailingZeros && lastRemovedDigit === 5 && vr % 2 === 0) lastRemovedDigit = 4;
    output =
      vr + ((vr === vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5 ? 1 : 0);
  } else {
    let roundUp = false;
    const vpDiv100 = vp / 100;
    const vmDiv100 = vm / 100;
    if (vpDiv100 > vmDiv100) {
      const vrDiv100 = vr / 100;
      const vrMod100 = vr - 100 * vrDiv100;
      roundUp = vrMod100 >= 50;
      vr = vrDiv100;
      vp = vpDiv100;
      vm = vmDiv100;
      removed += 2;
    }
    for (;;) {
      const vpDiv10 = vp / 10;
      const vmDiv10 = vm / 10;
      if (vpDiv10 <= vmDiv10) break;
      const vrDiv10 = vr / 10;
      const vrMod10 = vr - 10 * vrDiv10;
      roundUp = vrMod10 >= 5;
      vr = vrDiv10;
      vp = vpDiv10;
      vm = vmDiv10;
      removed++;
    }
    output = vr + (vr === vm || roundUp ? 1 : 0);
  }
  outDigits = output;
  return e10 + removed;
}

/** The two digits of each number below 100, `00` to `99`. */
const DIGIT_PAIRS = memory.data<u8>([
  48, 48, 48, 49, 48, 50, 48, 51, 48, 52, 48, 53, 48, 54, 48, 55, 48, 56, 48, 57, 49, 48, 49, 49,
  49, 50, 49, 51, 49, 52, 49, 53, 49, 54, 49, 55, 49, 56, 49, 57, 50, 48, 50, 49, 50, 50, 50, 51,
  50, 52, 50, 53, 50, 54, 50, 55, 50, 56, 50, 57, 51, 48, 51, 49, 51, 50, 51, 51, 51, 52, 51, 53,
  51, 54, 51, 55, 51, 56, 51, 57, 52, 48, 52, 49, 52, 50, 52, 51, 52, 52, 52, 53, 52, 54, 52, 55,
  52, 56, 52, 57, 53, 48, 53, 49, 53, 50, 53, 51, 53, 52, 53, 53, 53, 54, 53, 55, 53, 56, 53, 57,
  54, 48, 54, 49, 54, 50, 54, 51, 54, 52, 54, 53, 54, 54, 54, 55, 54, 56, 54, 57, 55, 48, 55, 49,
  55, 50, 55, 51, 55, 52, 55, 53, 55, 54, 55, 55, 55, 56, 55, 57, 56, 48, 56, 49, 56, 50, 56, 51,
  56, 52, 56, 53, 56, 54, 56, 55, 56, 56, 56, 57, 57, 48, 57, 49, 57, 50, 57, 51, 57, 52, 57, 53,
  57, 54, 57, 55, 57, 56, 57, 57,
]);

/** Stores the two digits of c < 100 at `at`. */
function writePair(at: usize, c: u32): void {
  store<u16>(at, load<u16>(DIGIT_PAIRS + ((c as usize) << 1)));
}

/**
 * Writes the `len` digits of v (`len` its number of digits) at `at`: two at a time from a table,
 * the low eight in 32-bit arithmetic when v needs more than 32 bits.
 */
function writeDigits(at: usize, v: u64, len: i32): void {
  let end = at + (len as usize);
  if (v >> 32 !== 0) {
    const q = v / 100000000;
    let low = (v - q * 100000000) as u32;
    v = q;
    const c = low % 10000;
    low /= 10000;
    writePair(end - 2, c % 100);
    writePair(end - 4, c / 100);
    writePair(end - 6, low % 100);
    writePair(end - 8, low / 100);
    end -= 8;
  }
  let w = v as u32;
  while (w >= 10000) {
    const c = w % 10000;
    w /= 10000;
    writePair(end - 2, c % 100);
    writePair(end - 4, c / 100);
    end -= 4;
  }
  if (w >= 100) {
    writePair(end - 2, w % 100);
    w /= 100;
    end -= 2;
  }
  if (w >= 10) writePair(end - 2, w);
  else store<u8>(end - 1, (48 + w) as u8);
}

/** Writes the exponent part `e±n` at `at`; returns its length. */
function writeExponent(at: usize, e: i32): i32 {
  store<u8>(at, 101); // e
  store<u8>(at + 1, e < 0 ? 45 : 43); // - or +
  const a = e < 0 ? -e : e;
  const len = a >= 100 ? 3 : a >= 10 ? 2 : 1;
  writeDigits(at + 2, a as u64, len);
  return 2 + len;
}

/**
 * The shortest decimal of a finite, non-zero double's magnitude (the digits `String(x)` shows):
 * returns its power of ten; the digits, as an integer, are then `shortestDigits()` (it may end
 * in zeros, when rounding the last digit up carried).
 */
export function shortestDecimal(x: f64): i32 {
  const bits = reinterpret<u64>(x);
  return d2d(bits & ((1 << 52) - 1), ((bits >> 52) & 0x7ff) as i32);
}

/** The digits of the last `shortestDecimal`. */
export function shortestDigits(): u64 {
  return outDigits;
}

/**
 * Writes `String(x)` for a finite, non-zero double at `text()`; returns its length in bytes.
 */
export function d2s(x: f64): i32 {
  return (d2sAt(x, TEXT) - TEXT) as i32;
}

/** Writes `String(x)` for a finite, non-zero double at `start`; returns the end. */
export function d2sAt(x: f64, start: usize): usize {
  const bits = reinterpret<u64>(x);
  const sign = bits >> 63 !== 0;
  const mantissa = bits & ((1 << 52) - 1);
  const exponent = ((bits >> 52) & 0x7ff) as i32;
  const exp10 = d2d(mantissa, exponent);
  const digits = outDigits;
  const k = decimalLength17(digits);
  const n = exp10 + k; // the decimal point is after the n-th digit
  let at = start;
  if (sign) {
    store<u8>(at, 45);
    at++;
  }
  if (k <= n && n <= 21) {
    writeDigits(at, digits, k);
    for (let i = k; i < n; i++) store<u8>(at + (i as usize), 48);
    at += n as usize;
  } else if (0 < n && n <= 21) {
    // digits[0, n) "." digits[n, k)
    writeDigits(at + 1, digits, k);
    for (let i = 0; i < n; i++) store<u8>(at + (i as usize), load<u8>(at + (i as usize) + 1));
    store<u8>(at + (n as usize), 46);
    at += (k + 1) as usize;
  } else if (-6 < n && n <= 0) {
    store<u8>(at, 48);
    store<u8>(at + 1, 46);
    for (let i = 0; i < -n; i++) store<u8>(at + 2 + (i as usize), 48);
    writeDigits(at + 2 + (-n as usize), digits, k);
    at += (2 - n + k) as usize;
  } else if (k === 1) {
    writeDigits(at, digits, 1);
    at += 1 + (writeExponent(at + 1, n - 1) as usize);
  } else {
    writeDigits(at + 1, digits, k);
    store<u8>(at, load<u8>(at + 1));
    store<u8>(at + 1, 46);
    at += (k + 1) as usize;
    at += writeExponent(at, n - 1) as usize;
  }
  return at;
}
