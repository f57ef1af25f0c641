/**
 * AssemblyScript source of the CSV reader's fast path: plain records of numeric columns read
 * straight from bytes into typed arrays. It takes only what the JavaScript reader would read the
 * same way with no choice to make, and stops at the first record it does not take, which the
 * JavaScript reader then reads (`src/io/csv-scan.ts`); so the values, the errors and the lines
 * are those of `csv-tokenizer.ts` and `csv-convert.ts` by construction.
 *
 * A record is taken when it has exactly the header's number of fields, ends with LF, CRLF or the
 * end of the file, holds no quote, escape character or lone CR, and each selected field is a
 * number, with no spaces, that its column's type holds:
 * - float64: `[+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?` of at most 15 significant digits (trailing
 *   zeros aside) with a power-of-ten exponent within ±22 (or the value zero): one IEEE
 *   multiplication or division of two exact doubles, the steps of `scanNumber`'s fast path
 *   (correctly rounded, Clinger 1990); or of 16 or 17 digits that are the shortest decimal of a
 *   double (`decimal`, with Ryū from `ryu.ts`: the loader writes its tables at `tables()`);
 * - int64: integer syntax of at most 15 digits, not `-0`; int32: the same within int32 range.
 * Anything else (`nan`, a long number, spaces, a blank line) stops it.
 *
 * A field that is not such a number but one of the null tokens is a null (value 0, null byte 1),
 * as the JavaScript reader tests for nulls before numbers (no null token is a number there).
 *
 * Layout, from `base()`: a 256-byte class table (0 ordinary, 1 `,`, 2 LF, 3 CR, 4 stop: `"` and
 * the escape character), then one 16-byte descriptor per file column: kind (0 skipped, 1 float64,
 * 2 int64, 3 int32), the address of its output array, the syntax seen in the column (bits
 * `FRACTION`, `LEADING_ZERO`, `VALUE`, or-ed in by every field read, for type inference), and the
 * address of its null bytes (one per row). The caller places the output arrays, the null tokens
 * (each a u32 length and its bytes, padded to 4 bytes; a length of 0xffffffff ends the list) and
 * the input bytes after them, having made the memory large enough with `reserve(bytes)`.
 */

import { base } from "./memory";
import { shortestDecimal, shortestDigits } from "./ryu";

export { base, reserve } from "./memory";
export { tables } from "./ryu";

const COMMA: u8 = 1;
const LF: u8 = 2;
const CR: u8 = 3;

/** Syntax bits: a fraction, an exponent or `-0` (not an integer); a leading zero (`007`). */
const FRACTION: i32 = 1;
const LEADING_ZERO: i32 = 2;
/** A field held a number (not a null). */
const VALUE: i32 = 4;

/** Results of `number` and `record` other than a position. */
const REFUSED: i32 = -1;
const CUT: i32 = -2;

const F64: i32 = 1;
const I64: i32 = 2;
const I32: i32 = 3;

const POW10 = memory.data<f64>([
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22,
]);

/** Where the last `scan` stopped, and whether at a record it does not take (1) or not (0). */
let stopAt: i32 = 0;
let refused: i32 = 0;
/** Null fields the last `scan` read, and where the null tokens are listed. */
let nulls: i32 = 0;
let tokensAt: usize = 0;

export function scanNulls(): i32 {
  return nulls;
}

export function scanEnd(): i32 {
  return stopAt;
}

export function scanRefused(): i32 {
  return refused;
}

/** The digits `readDigits` has read: as an integer (significant ones), counted, significant. */
let mant: u64 = 0;
let digits = 0;
let sig = 0;

/** Reads the decimal digits at `buf + p` into `mant`, `digits` and `sig`; returns the end. */
function readDigits(buf: usize, p: i32, len: i32): i32 {
  while (p < len) {
    const d = (load<u8>(buf + (p as usize)) as u32) - 48;
    if (d > 9) break;
    digits++;
    if (sig > 0 || d !== 0) {
      sig++;
      mant = mant * 10 + (d as u64);
    }
    p++;
  }
  return p;
}

/** 10^15 and 10^17: the bounds of 16- and 17-digit integers. */
const E15: u64 = 1_000_000_000_000_000;
const E17: u64 = 100_000_000_000_000_000;

/**
 * The double of the decimal `m` × 10^`e` (`m` > 0, at most 19 digits), or -1 when the fast path
 * does not take it. At most 15 significant digits with a power of ten within ±22: one IEEE
 * multiplication or division of two exact doubles, the steps of `scanNumber`'s fast path
 * (correctly rounded, Clinger 1990). A `long` decimal (more than 15 digits) first loses its
 * trailing zeros; one of 16 or 17 digits left (the shortest round-trip text of a full-precision
 * double, as JavaScript, Python and modenorm write them) is taken when it is the shortest decimal
 * of the double computed the same way (within an ulp of it) or of one of its two neighbours: then
 * `Number(text)` is that double and keeps the text's value. Anything else (18 or more digits, a
 * decimal that no double keeps, a power of ten beyond ±22) goes to the JavaScript reader, which
 * says why.
 */
function decimal(m: u64, e: i32, long: bool): f64 {
  if (long) {
    while (m % 10 === 0) {
      m /= 10;
      e++;
    }
  }
  if (e < -22 || e > 22 || m >= E17) return -1;
  const p10 = load<f64>(POW10 + (((e >= 0 ? e : -e) as usize) << 3));
  const y = e >= 0 ? (m as f64) * p10 : (m as f64) / p10;
  if (m < E15 || isShortestOf(y, m, e)) return y;
  const up = reinterpret<f64>(reinterpret<u64>(y) + 1);
  if (isShortestOf(up, m, e)) return up;
  const down = reinterpret<f64>(reinterpret<u64>(y) - 1);
  return isShortestOf(down, m, e) ? down : -1;
}

/**
 * Whether the shortest decimal of `x` (finite, positive) is `m` × 10^`e` (`m` without trailing
 * zeros).
 */
function isShortestOf(x: f64, m: u64, e: i32): bool {
  let e10 = shortestDecimal(x);
  let d = shortestDigits();
  while (d % 10 === 0) {
    d /= 10;
    e10++;
  }
  return d === m && e10 === e;
}

/**
 * Reads the number at `buf + p` (the buffer ends at `len`) for the column of descriptor `d`,
 * stores it at `out`; returns the position after it, `REFUSED` when the field is not taken, or
 * `CUT` when it may be a number that the buffer cuts off.
 */
function number(buf: usize, p: i32, len: i32, d: usize, out: usize): i32 {
  const kind = load<i32>(d);
  let negative = false;
  if (p < len) {
    const c = load<u8>(buf + (p as usize));
    if (c === 45 || c === 43) {
      negative = c === 45;
      p++;
    }
  }
  let syntax =
    p + 1 < len &&
    load<u8>(buf + (p as usize)) === 48 &&
    (load<u8>(buf + ((p + 1) as usize)) as u32) - 48 <= 9
      ? LEADING_ZERO
      : 0;
  mant = 0;
  sig = 0;
  digits = 0;
  let exp10 = 0;
  let isInt = true;
  p = readDigits(buf, p, len);
  if (p < len && load<u8>(buf + (p as usize)) === 46) {
    isInt = false;
    const q = readDigits(buf, p + 1, len);
    exp10 -= q - p - 1;
    p = q;
  }
  // Up to 19 significant digits fit `mant`; more than 15 only for a float64 column (below).
  if (digits === 0 || sig > 19) return p >= len ? CUT : REFUSED;
  if (p < len && (load<u8>(buf + (p as usize)) | 0x20) === 101) {
    isInt = false;
    p++;
    let expNegative = false;
    if (p < len) {
      const c = load<u8>(buf + (p as usize));
      if (c === 45 || c === 43) {
        expNegative = c === 45;
        p++;
      }
    }
    const expStart = p;
    let exp = 0;
    while (p < len) {
      const d = (load<u8>(buf + (p as usize)) as u32) - 48;
      if (d > 9) break;
      if (exp < 100000) exp = exp * 10 + (d as i32);
      p++;
    }
    if (p === expStart) return p >= len ? CUT : REFUSED;
    exp10 += expNegative ? -exp : exp;
  }
  if (sig > 15 && kind !== F64) return p >= len ? CUT : REFUSED;
  syntax |= VALUE;
  if (!isInt || (negative && sig === 0)) syntax |= FRACTION;
  store<i32>(d, load<i32>(d, 8) | syntax, 8);
  if (kind === F64) {
    let v: f64 = 0;
    if (sig > 0) {
      v = decimal(mant, exp10, sig > 15);
      if (v < 0) return REFUSED;
    }
    store<f64>(out, negative ? -v : v);
    return p;
  }
  // Integer columns: integer syntax only; -0 is a float (an integer cannot keep its sign).
  if ((syntax & FRACTION) !== 0) return REFUSED;
  const v: i64 = negative ? -(mant as i64) : (mant as i64);
  if (kind === I64) {
    store<i64>(out, v);
    return p;
  }
  if (kind !== I32 || v < -2147483648 || v > 2147483647) return REFUSED;
  store<i32>(out, v as i32);
  return p;
}

/** Whether `buf[p, e)` is one of the null tokens (listed at `tokensAt`). */
function nullToken(buf: usize, p: i32, e: i32): bool {
  const n = (e - p) as u32;
  let t = tokensAt;
  let len = load<u32>(t);
  while (len !== 0xffffffff) {
    if (len === n) {
      let k: u32 = 0;
      while (
        k < n &&
        load<u8>(t + 4 + (k as usize)) === load<u8>(buf + (p as usize) + (k as usize))
      )
        k++;
      if (k === n) return true;
    }
    t += 4 + (((len + 3) & ~3) as usize);
    len = load<u32>(t);
  }
  return false;
}

/**
 * Reads the record at `pos` into row `row` of the output arrays; returns the position after it,
 * `REFUSED`, or `CUT` when the buffer (not at the end of the file) ends inside it.
 */
function record(buf: usize, pos: i32, len: i32, eof: bool, nfile: i32, row: i32): i32 {
  const cls = base();
  const desc = cls + 256;
  let p = pos;
  let col = 0;
  for (;;) {
    const d = desc + ((col as usize) << 4);
    const kind = load<i32>(d);
    if (kind === 0) {
      while (p < len && load<u8>(cls + (load<u8>(buf + (p as usize)) as usize)) === 0) p++;
    } else {
      const out = (load<u32>(d, 4) as usize) + ((row as usize) << (kind === I32 ? 2 : 3));
      const nullAt = (load<u32>(d, 12) as usize) + (row as usize);
      const q = number(buf, p, len, d, out);
      if (q >= 0) {
        store<u8>(nullAt, 0);
        p = q;
      } else {
        if (q === CUT && !eof) return CUT;
        // Not a number: a null token, or a record for the JavaScript reader.
        let e = p;
        while (e < len && load<u8>(cls + (load<u8>(buf + (e as usize)) as usize)) === 0) e++;
        if (e >= len && !eof) return CUT;
        if (!nullToken(buf, p, e)) return REFUSED;
        if (kind === I32) store<i32>(out, 0);
        else store<i64>(out, 0);
        store<u8>(nullAt, 1);
        nulls++;
        p = e;
      }
    }
    if (p >= len) {
      if (!eof) return CUT;
      return col === nfile - 1 ? len : REFUSED;
    }
    const c = load<u8>(cls + (load<u8>(buf + (p as usize)) as usize));
    if (c === COMMA) {
      if (++col >= nfile) return REFUSED;
      p++;
      continue;
    }
    if (col !== nfile - 1) return REFUSED;
    if (c === LF) return p + 1;
    if (c === CR) {
      if (p + 1 >= len) return eof ? REFUSED : CUT;
      if (load<u8>(buf + ((p + 1) as usize)) === 10) return p + 2;
    }
    return REFUSED; // a quote, an escape character, a lone CR, or text after a number
  }
}

/**
 * Reads records of the buffer `[buf, buf + len)` from `pos`, at most `maxRows`, into the output
 * arrays at rows 0, 1, …; returns the number read. Stops before a record starting at or after
 * `limit`, before a record the buffer cuts off (unless `eof`, where the end of the buffer ends
 * the last record), and before a record it does not take (`scanRefused()` is then 1).
 * `scanEnd()` is the position after the last record read.
 */
export function scan(
  buf: usize,
  pos: i32,
  len: i32,
  limit: i32,
  eof: bool,
  nfile: i32,
  maxRows: i32,
  tokens: usize,
): i32 {
  let rows = 0;
  refused = 0;
  nulls = 0;
  tokensAt = tokens;
  while (rows < maxRows && pos < limit && pos < len) {
    const next = record(buf, pos, len, eof, nfile, rows);
    if (next < 0) {
      refused = next === REFUSED ? 1 : 0;
      break;
    }
    pos = next;
    rows++;
  }
  stopAt = pos;
  return rows;
}
