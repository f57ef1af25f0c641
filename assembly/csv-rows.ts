/**
 * AssemblyScript source of CSV rows of numeric columns written as bytes, a batch of rows per call:
 * the bytes `src/io/csv-bytes.ts` writes for float64, float32, int32, int64 and bool columns and
 * their nulls. A double is written as `formatFloat` writes it: a short decimal (at most 6 fraction
 * digits) by the same floating-point steps as `shortDecimal`, anything else by Ryū (`ryu.ts`),
 * NaN and the infinities as `String(x)` spells them. `test/io/csv-write.test.ts` compares the
 * bytes with the text writer's.
 *
 * The caller lays out, from `base()`, one 16-byte descriptor per column (kind, address of the
 * values, address of the null mask or 0: a byte of 1 is a null), the columns' values and masks,
 * and room for the output, after making the memory large enough with `reserve(bytes)`.
 * `formatRows` writes the rows (fields separated by commas, each row ended by a line feed) and
 * returns the address after the last byte; `formatJsonRows` writes them as the JSON objects of
 * the service's rows answers (`tableToJson` in `src/serve/json-table.ts`).
 */
import { d2sAt } from "./ryu";

export { base, reserve } from "./memory";
export { d2s, tables, text } from "./ryu";

/** Column kinds of a descriptor. */
const F64: i32 = 0;
const F32: i32 = 1;
const I32: i32 = 2;
const I64: i32 = 3;
const BOOL: i32 = 4;

/** ECMAScript's Math.round for x ≥ 0: the nearest integer, halves up. */
function round(x: f64): f64 {
  const f = Math.floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

/** `shortDecimal` of csv-write.ts: for a > 0 (or NaN, ∞), the fraction digits d ≤ 6, or -1. */
function shortDecimal(a: f64): i32 {
  const y = a * 1e6;
  const dy = y - round(y);
  if (!(a < 1e15) || (dy < 0 ? -dy : dy) > y * 1.8e-15) return -1;
  let p: f64 = 1;
  for (let d = 0; d <= 6; d++) {
    const m = round(a * p);
    if (m < 1e15 && m / p === a) return d;
    p *= 10;
  }
  return -1;
}

/** Writes the decimal digits of v at `at`; returns the end. */
function writeUint(at: usize, v: u64): usize {
  let len: usize = 1;
  for (let t = v; t >= 10; t /= 10) len++;
  let i = at + len;
  do {
    i--;
    store<u8>(i, (48 + (v % 10)) as u8);
    v /= 10;
  } while (v > 0);
  return at + len;
}

/** Writes a signed integer at `at`; returns the end. */
function writeInt(at: usize, v: i64): usize {
  if (v < 0) {
    store<u8>(at, 45);
    return writeUint(at + 1, (~v as u64) + 1);
  }
  return writeUint(at, v as u64);
}

/**
 * Writes an ASCII word of `len` ≤ 8 bytes packed little-endian in `lo` (bytes 0-3) and `hi`
 * (bytes 4-7); returns the end. Eight bytes are stored: those past `len` are overwritten later.
 */
function writeWord(at: usize, lo: u32, hi: u32, len: usize): usize {
  store<u32>(at, lo);
  store<u32>(at, hi, 4);
  return at + len;
}

/** Writes a double as `formatFloat` does; returns the end. */
function writeFloat(at: usize, x: f64): usize {
  if (x === 0) {
    if (1 / x < 0) {
      store<u8>(at, 45);
      at++;
    }
    store<u8>(at, 48);
    return at + 1;
  }
  const a = x < 0 ? -x : x;
  const d = shortDecimal(a);
  if (d < 0) {
    if (!(a <= Infinity)) return writeWord(at, 0x4e614e, 0, 3); // NaN (no comparison holds)
    if (a === Infinity) {
      if (x < 0) {
        store<u8>(at, 45);
        at++;
      }
      return writeWord(at, 0x69666e49, 0x7974696e, 8); // Infinity
    }
    return d2sAt(x, at);
  }
  if (x < 0) {
    store<u8>(at, 45);
    at++;
  }
  let p: f64 = 1;
  for (let i = 0; i < d; i++) p *= 10;
  const m = round(a * p);
  const whole = Math.floor(m / p);
  at = writeUint(at, whole as u64);
  if (d > 0) {
    store<u8>(at, 46);
    at++;
    let f = (m - whole * p) as u64;
    for (let i = d - 1; i >= 0; i--) {
      store<u8>(at + (i as usize), (48 + (f % 10)) as u8);
      f /= 10;
    }
    at += d as usize;
  }
  return at;
}

/** Writes a double as `tableToJson` does: NaN and ±Infinity as JSON strings; returns the end. */
function writeJsonFloat(at: usize, x: f64): usize {
  if (x - x === 0) return writeFloat(at, x);
  store<u8>(at, 34);
  at = writeFloat(at + 1, x);
  store<u8>(at, 34);
  return at + 1;
}

/** ±2^53: int64 values beyond it are JSON strings (a JSON reader's doubles would round them). */
const SAFE: i64 = 9007199254740992;

/**
 * Writes value `r` of a column of `kind` whose values are at `values`; returns the end. As CSV
 * (`formatFloat`'s text, integers, true / false), or with `json` as `tableToJson` writes it: the
 * same, but NaN, ±Infinity and int64 beyond ±2^53 as JSON strings.
 */
function writeValue(at: usize, kind: i32, values: usize, r: i32, json: bool): usize {
  switch (kind) {
    case F64: {
      const x = load<f64>(values + ((r as usize) << 3));
      return json ? writeJsonFloat(at, x) : writeFloat(at, x);
    }
    case F32: {
      const x = load<f32>(values + ((r as usize) << 2)) as f64;
      return json ? writeJsonFloat(at, x) : writeFloat(at, x);
    }
    case I32:
      return writeInt(at, load<i32>(values + ((r as usize) << 2)) as i64);
    case I64: {
      const v = load<i64>(values + ((r as usize) << 3));
      if (!json || (v >= -SAFE && v <= SAFE)) return writeInt(at, v);
      store<u8>(at, 34);
      at = writeInt(at + 1, v);
      store<u8>(at, 34);
      return at + 1;
    }
    case BOOL:
      return load<u8>(values + (r as usize)) !== 0
        ? writeWord(at, 0x65757274, 0, 4) // true
        : writeWord(at, 0x736c6166, 0x65, 5); // false
  }
  return at;
}

/**
 * Writes rows [0, rows) of the `m` columns described at `desc` as CSV at `out`; returns the end.
 */
export function formatRows(desc: usize, m: i32, rows: i32, out: usize): usize {
  let at = out;
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < m; k++) {
      const d = desc + ((k as usize) << 4);
      if (k > 0) {
        store<u8>(at, 44);
        at++;
      }
      const nulls = load<u32>(d, 8) as usize;
      if (nulls !== 0 && load<u8>(nulls + (r as usize)) === 1) continue;
      at = writeValue(at, load<i32>(d), load<u32>(d, 4) as usize, r, false);
    }
    store<u8>(at, 10);
    at++;
  }
  return at;
}

/**
 * Writes rows [0, rows) of the `m` columns described at `desc` as the JSON objects of
 * `tableToJson`'s rows shape at `out`, separated by commas; returns the end. `keys` lists each
 * column's key as written before its value (`{"name":` for the first, `,"name":` for the others):
 * a u32 length and the bytes, padded to 4; `close` is the byte after each row (`}`), or -1 for
 * none (one column with an empty key: the values of a JSON array). Values as `writeValue` writes
 * them for JSON, and null for a null.
 */
export function formatJsonRows(
  desc: usize,
  m: i32,
  rows: i32,
  out: usize,
  keys: usize,
  close: i32,
): usize {
  let at = out;
  for (let r = 0; r < rows; r++) {
    if (r > 0) {
      store<u8>(at, 44);
      at++;
    }
    let key = keys;
    for (let k = 0; k < m; k++) {
      const len = load<u32>(key) as usize;
      memory.copy(at, key + 4, len);
      at += len;
      key += 4 + ((len + 3) & ~(3 as usize));
      const d = desc + ((k as usize) << 4);
      const nulls = load<u32>(d, 8) as usize;
      if (nulls !== 0 && load<u8>(nulls + (r as usize)) === 1) {
        at = writeWord(at, 0x6c6c756e, 0, 4); // null
        continue;
      }
      at = writeValue(at, load<i32>(d), load<u32>(d, 4) as usize, r, true);
    }
    if (close >= 0) {
      store<u8>(at, close as u8);
      at++;
    }
  }
  return at;
}
