/**
 * Numbers and booleans in CSV text, parsed from bytes without allocating a string.
 *
 * Exactness: a decimal with at most 15 significant digits and a power-of-ten exponent within
 * ±22 is an exact double `m` times or divided by an exact double `10^k`; one IEEE operation
 * rounds that correctly (Clinger 1990, "How to read floating point numbers accurately"). Every
 * other number goes through `Number(text)`, which is correctly rounded. So the result is always
 * the double `Number()` gives for the text.
 *
 * Whether the double keeps the text: a number is read as float64 only when the double's shortest
 * round-trip decimal (`String(x)`) has the text's decimal value, so that writing the double back
 * gives the same number (`1.10` is 1.1; `0.30000000000000004` is kept; `0.10000000000000001`
 * and `99999999999999999999999` are not). A text of at most 15 significant digits whose
 * magnitude lies well inside the normal range always is (DBL_DIG = 15); only longer or extreme
 * texts are checked, on the slow path: first against the shortest text's bytes from Ryū (`ryu.ts`,
 * the common case of a text written by JavaScript, Python or modenorm), then numerically.
 */
import { writeDouble } from "./ryu.js";

/** `scanNumber` results. */
export const NUM_NONE = 0;
/** An integer (optional sign, digits only) within int64 range, not `-0`. */
export const NUM_INT = 1;
/**
 * Any other number that a double holds exactly (see {@link exactInFloat64}): fraction, exponent,
 * `-0`, NaN, ±Infinity, integers beyond int64.
 */
export const NUM_FLOAT = 2;
/**
 * A number that no double holds exactly, e.g. `99999999999999999999999` or
 * `0.123456789012345678901` (returned only when the value was asked for; `scanned.value` is
 * then the nearest double, for messages).
 */
export const NUM_INEXACT = 3;

/**
 * Details of the last `scanNumber` call: `value` (when asked for), `sig`, the count of
 * significant digits (integers with `sig <= 15` are exact in `value`), and for `NUM_INT` with
 * the value asked for, `exact`: whether `value` (a double) holds the integer exactly.
 */
export const scanned = { value: 0, sig: 0, exact: true };

const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22,
];
const INT64_MAX_DIGITS = "9223372036854775807";

/** ASCII text of `buf[s, e)` (the caller has checked it is ASCII). */
export function asciiText(buf: Uint8Array, s: number, e: number): string {
  return String.fromCharCode.apply(null, buf.subarray(s, e) as unknown as number[]);
}

/** Compares the 19 digits at `buf[i…]` with 2^63 − 1 (`limit` 1 more for negative numbers). */
function int64DigitsFit(buf: Uint8Array, i: number, e: number, negative: boolean): boolean {
  // skip leading zeros: sig counted only significant digits
  while (buf[i] === 48) i++;
  for (let k = 0; k < 19; k++) {
    const c = buf[i + k]!;
    let lim = INT64_MAX_DIGITS.charCodeAt(k);
    if (k === 18 && negative) lim += 1;
    if (c < lim) return true;
    if (c > lim) return false;
  }
  return i + 19 === e;
}

/**
 * The decimal value of number text as `digits` `e` `exponent` (value = 0.digits × 10^exponent),
 * without sign, leading or trailing zeros; `"0"` for zero. Accepts what `scanNumber` accepts and
 * what `String(x)` gives for a finite double.
 */
export function decimalKey(t: string): string {
  let i = t.charCodeAt(0) === 45 || t.charCodeAt(0) === 43 ? 1 : 0;
  let digits = "";
  let point = -1;
  let exp = 0;
  for (; i < t.length; i++) {
    const c = t[i]!;
    if (c === ".") point = digits.length;
    else if (c === "e" || c === "E") {
      exp = Number(t.slice(i + 1));
      break;
    } else digits += c;
  }
  if (point < 0) point = digits.length;
  let lead = 0;
  while (lead < digits.length && digits.charCodeAt(lead) === 48) lead++;
  let end = digits.length;
  while (end > lead && digits.charCodeAt(end - 1) === 48) end--;
  if (lead === end) return "0";
  return `${digits.slice(lead, end)}e${point - lead + exp}`;
}

/**
 * Whether the double `x` (read from `text`) keeps the text's value exactly: `x` is finite and
 * its shortest round-trip decimal equals the text numerically.
 */
export function exactInFloat64(text: string, x: number): boolean {
  if (!Number.isFinite(x)) return false;
  const shortest = String(x);
  // The common case: the text is the shortest decimal itself (as JavaScript and Python print).
  if (text === shortest) return true;
  return decimalKey(text) === decimalKey(shortest);
}

/** Room for the shortest text of a double (`-1.2345678901234567e-308`). */
const shortest = new Uint8Array(32);

/**
 * Whether `buf[s, e)` is byte for byte the shortest round-trip text of `x` (finite, non-zero):
 * then `x` keeps it. False says nothing (`1.10` keeps its value but is not the shortest text).
 */
function isShortestText(buf: Uint8Array, s: number, e: number, x: number): boolean {
  if (x === 0 || !Number.isFinite(x) || e - s > 25) return false;
  const n = writeDouble(x, shortest, 0);
  if (n !== e - s) return false;
  for (let i = 0; i < n; i++) if (shortest[i] !== buf[s + i]) return false;
  return true;
}

const near = new Float64Array(1);
const nearWords = new Uint32Array(near.buffer);

/**
 * The double next to `x` away from zero (`step` 1) or towards it (−1): its bits as an integer
 * moved by one, which crosses into the next binade where the mantissa overflows; `x` finite and
 * non-zero.
 */
function neighbour(x: number, step: number): number {
  near[0] = x;
  // Little-endian words: the low word first; the carry or borrow goes to the high word.
  const low = nearWords[0]! + step;
  nearWords[0] = low;
  if (low < 0 || low > 0xffffffff) nearWords[1] = nearWords[1]! + step;
  return near[0]!;
}

/**
 * The double among `y` and its two neighbours whose shortest text is `buf[s, e)` byte for byte
 * (that text then reads back as that double: it is `Number(text)`), or null.
 */
function shortestNear(buf: Uint8Array, s: number, e: number, y: number): number | null {
  if (isShortestText(buf, s, e, y)) return y;
  const up = neighbour(y, 1);
  if (isShortestText(buf, s, e, up)) return up;
  const down = neighbour(y, -1);
  return isShortestText(buf, s, e, down) ? down : null;
}

/** Whether the double `x` read from `buf[s, e)` (its text `t`) keeps the text's value. */
function keeps(buf: Uint8Array, s: number, e: number, t: string, x: number): boolean {
  return isShortestText(buf, s, e, x) || exactInFloat64(t, x);
}

/** `nan`, `inf`, `infinity` (any case) at `buf[i, e)`; NUM_NONE otherwise. */
function scanSpecial(buf: Uint8Array, i: number, e: number, negative: boolean): number {
  const n = e - i;
  const c0 = buf[i]! | 0x20;
  if (n === 3 && c0 === 110 && (buf[i + 1]! | 0x20) === 97 && (buf[i + 2]! | 0x20) === 110) {
    scanned.value = Number.NaN;
    scanned.sig = 0;
    return NUM_FLOAT;
  }
  if (c0 !== 105 || (n !== 3 && n !== 8)) return NUM_NONE;
  const word = "infinity";
  for (let k = 1; k < n; k++) if ((buf[i + k]! | 0x20) !== word.charCodeAt(k)) return NUM_NONE;
  scanned.value = negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  scanned.sig = 0;
  return NUM_FLOAT;
}

/**
 * Classifies `buf[s, e)` (already trimmed, non-empty) as a number:
 * `[+-]?(d+(\.d*)?|\.d+)([eE][+-]?d+)?`, or `nan` / `inf` / `infinity` with an optional sign.
 * With `wantValue`, `scanned.value` is the double `Number(text)` gives; without, the slow path
 * is skipped (classification only).
 */
export function scanNumber(buf: Uint8Array, s: number, e: number, wantValue: boolean): number {
  let i = s;
  let c = buf[i]!;
  let negative = false;
  if (c === 45 || c === 43) {
    negative = c === 45;
    if (++i === e) return NUM_NONE;
    c = buf[i]!;
  }
  if (c > 57) return scanSpecial(buf, i, e, negative);
  const digitsStart = i;
  let mant = 0;
  // Significant digits 16 and 17, for the candidate of a 16- or 17-digit decimal.
  let tail = 0;
  let tailDigits = 0;
  let sig = 0;
  let exp10 = 0;
  let digits = 0;
  let isInt = true;
  while (i < e) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) break;
    digits++;
    if (sig > 0 || d !== 0) {
      sig++;
      if (sig <= 15) mant = mant * 10 + d;
      else {
        exp10++;
        if (sig <= 17) {
          tail = tail * 10 + d;
          tailDigits++;
        }
      }
    }
    i++;
  }
  if (i < e && buf[i] === 46) {
    isInt = false;
    i++;
    while (i < e) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) break;
      digits++;
      if (sig > 0 || d !== 0) {
        sig++;
        if (sig <= 15) {
          mant = mant * 10 + d;
          exp10--;
        } else if (sig <= 17) {
          tail = tail * 10 + d;
          tailDigits++;
        }
      } else {
        exp10--;
      }
      i++;
    }
  }
  if (digits === 0) return NUM_NONE;
  if (i < e && (buf[i]! | 0x20) === 101) {
    isInt = false;
    i++;
    let expNegative = false;
    if (i < e && (buf[i] === 45 || buf[i] === 43)) {
      expNegative = buf[i] === 45;
      i++;
    }
    const expStart = i;
    let exp = 0;
    while (i < e) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) break;
      if (exp < 1e6) exp = exp * 10 + d;
      i++;
    }
    if (i === expStart) return NUM_NONE;
    exp10 += expNegative ? -exp : exp;
  }
  if (i !== e) return NUM_NONE;
  scanned.sig = sig;
  if (isInt) {
    // Integer syntax. -0 is a float: an int64 column cannot keep its sign.
    if (negative && sig === 0) {
      scanned.value = -0;
      return NUM_FLOAT;
    }
    const fits = sig < 19 || (sig === 19 && int64DigitsFit(buf, digitsStart, e, negative));
    if (sig <= 15) {
      scanned.value = negative ? -mant : mant;
      scanned.exact = true;
      return fits ? NUM_INT : NUM_FLOAT;
    }
    if (fits) {
      if (wantValue) {
        const t = asciiText(buf, s, e);
        scanned.value = Number(t);
        scanned.exact = keeps(buf, s, e, t, scanned.value);
      }
      return NUM_INT;
    }
    if (!wantValue) return NUM_FLOAT;
    const t = asciiText(buf, s, e);
    scanned.value = Number(t);
    return keeps(buf, s, e, t, scanned.value) ? NUM_FLOAT : NUM_INEXACT;
  }
  if (!wantValue) return NUM_FLOAT;
  if (sig <= 15 && exp10 >= -22 && exp10 <= 22) {
    const v = exp10 >= 0 ? mant * POW10[exp10]! : mant / POW10[-exp10]!;
    scanned.value = negative ? -v : v;
  } else if (sig === 0) {
    scanned.value = negative ? -0 : 0;
  } else {
    if (sig <= 17 && exp10 - tailDigits >= -22 && exp10 - tailDigits <= 22) {
      // 16 or 17 digits, the text of JavaScript's and Python's shortest round trip: a double
      // within an ulp of it, and the text is that double's (or a neighbour's) shortest text.
      const m = mant * POW10[tailDigits]! + tail;
      const k = exp10 - tailDigits;
      const y = k >= 0 ? m * POW10[k]! : m / POW10[-k]!;
      const x = shortestNear(buf, s, e, negative ? -y : y);
      if (x !== null) {
        scanned.value = x;
        return NUM_FLOAT;
      }
    }
    const t = asciiText(buf, s, e);
    scanned.value = Number(t);
    // At most 15 digits between 1e-290 and 1e290: a double keeps it (DBL_DIG).
    if ((sig > 15 || exp10 < -290 || exp10 > 275) && !keeps(buf, s, e, t, scanned.value)) {
      return NUM_INEXACT;
    }
  }
  return NUM_FLOAT;
}

/** 1 for `true`, 0 for `false` (any case), -1 otherwise. */
export function scanBool(buf: Uint8Array, s: number, e: number): number {
  const n = e - s;
  if (n === 4) {
    if (
      (buf[s]! | 0x20) === 116 &&
      (buf[s + 1]! | 0x20) === 114 &&
      (buf[s + 2]! | 0x20) === 117 &&
      (buf[s + 3]! | 0x20) === 101
    )
      return 1;
  } else if (n === 5) {
    if (
      (buf[s]! | 0x20) === 102 &&
      (buf[s + 1]! | 0x20) === 97 &&
      (buf[s + 2]! | 0x20) === 108 &&
      (buf[s + 3]! | 0x20) === 115 &&
      (buf[s + 4]! | 0x20) === 101
    )
      return 0;
  }
  return -1;
}
