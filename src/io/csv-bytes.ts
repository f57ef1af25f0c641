/**
 * A table's rows as CSV bytes, written straight into one buffer (no text per field, line or
 * block): what a worker thread does for a sink that writes CSV. Tables of numeric columns only
 * are written by WebAssembly a batch of rows at a time (`ryu.ts`); the others by the row loop
 * here. Doubles are printed by `formatFloat`'s short-decimal path or by Ryū, both giving
 * `String(x)`'s text. The bytes are exactly those of
 * `csvBlocks(table, false)` encoded (`test/io/csv-write.test.ts`): numbers, booleans and
 * timestamps are ASCII, text is written as UTF-8 after `csvQuote`. Latin-1 output goes through
 * `csvBlocks` and `encodeCsvText`, which refuse characters Latin-1 does not have.
 */
import { newSharedArray } from "../core/array-bin.js";
import type { Column, Table } from "../core/table.js";
import { csvBlocks, csvQuote, encodeCsvText, shortDecimal } from "./csv-write.js";
import type { TextEncoding } from "./options.js";
import { formatNumericRows, maxNumericRowBytes, numericColumns, writeDouble } from "./ryu.js";
import { formatTimestamp } from "./timestamp.js";

const COMMA = 44;
const LF = 10;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const TWO32 = 4294967296;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Column kinds of the row loop. */
const F64 = 0;
const F32 = 1;
const I32 = 2;
const I64 = 3;
const OTHER = 4;
const NO_F64 = new Float64Array(0);
const NO_F32 = new Float32Array(0);
const NO_I32 = new Int32Array(0);
const NO_U8 = new Uint8Array(0);

/** The buffer rows are written into (kept between calls: new memory is slow to touch). */
let out = Buffer.allocUnsafe(1 << 20);
let pos = 0;

/** Makes room for `n` more bytes. */
function room(n: number): void {
  if (pos + n <= out.length) return;
  const grown = Buffer.allocUnsafe(Math.max(2 * out.length, pos + n));
  out.copy(grown, 0, 0, pos);
  out = grown;
}

/** An ASCII string's bytes (room made by the caller for `s.length`). */
function ascii(s: string): void {
  room(s.length);
  for (let i = 0; i < s.length; i++) out[pos++] = s.charCodeAt(i);
}

/** The decimal digits of an integer 0 ≤ n < 2^53. */
function digits(n: number): void {
  let len = 1;
  for (let t = n; t >= 10; t = Math.floor(t / 10)) len++;
  let at = pos + len;
  pos = at;
  do {
    const q = Math.floor(n / 10);
    out[--at] = ZERO + (n - 10 * q);
    n = q;
  } while (n > 0);
}

/** `d` fraction digits of 0 ≤ f < 10^d, zero-padded. */
function fraction(f: number, d: number): void {
  for (let i = d - 1; i >= 0; i--) {
    const q = Math.floor(f / 10);
    out[pos + i] = ZERO + (f - 10 * q);
    f = q;
  }
  pos += d;
}

/** A double as `formatFloat` writes it. */
function float(x: number): void {
  if (x === 0) {
    if (1 / x < 0) out[pos++] = MINUS;
    out[pos++] = ZERO;
    return;
  }
  const d = shortDecimal(x < 0 ? -x : x);
  if (d < 0) {
    if (Number.isFinite(x)) pos = writeDouble(x, out, pos);
    else ascii(String(x));
    return;
  }
  if (x < 0) out[pos++] = MINUS;
  const p = 10 ** d;
  const m = Math.round((x < 0 ? -x : x) * p);
  const whole = Math.floor(m / p);
  digits(whole);
  if (d > 0) {
    out[pos++] = DOT;
    fraction(m - whole * p, d);
  }
}

/** An integer −2^53 < v < 2^53. */
function integer(v: number): void {
  if (v < 0) {
    out[pos++] = MINUS;
    v = -v;
  }
  digits(v);
}

/** Row `r` of a column (not null). */
function field(c: Column, r: number): void {
  switch (c.type) {
    case "float64":
    case "float32":
      float(c.values[r]!);
      return;
    case "int32":
      integer(c.values[r]!);
      return;
    case "bool":
      ascii(c.values[r] ? "true" : "false");
      return;
    case "int64":
      ascii(c.values[r]!.toString());
      return;
    case "timestamp":
      ascii(formatTimestamp(c.values[r]!, c.unit));
      return;
    case "string": {
      const v = c.values[r];
      if (v === null || v === undefined) return;
      const q = csvQuote(v);
      room(3 * q.length + 2);
      pos += out.write(q, pos, "utf8");
      return;
    }
  }
}

/**
 * A table's rows (no header) as CSV bytes in `encoding`, in shared memory of their own (which
 * other threads see without a copy) or at the start of `into` when they fit there: the bytes
 * `csvBlocks(table, false)` encodes to.
 * @throws InvalidInputError Latin-1 output of text Latin-1 does not have (see `encodeCsvText`).
 */
export function csvRowBytes(
  table: Table,
  encoding: TextEncoding,
  name: string,
  into?: Uint8Array | null,
): Uint8Array {
  const { columns } = table;
  pos = 0;
  // Numbers only (ASCII in either encoding): whole batches of rows in WebAssembly, straight into
  // `into` while it has room, or into shared memory as large as the rows can take (only the
  // pages written are touched).
  if (numericColumns(columns)) {
    let direct: Uint8Array | null =
      into ?? newSharedArray(Uint8Array, Math.max(1, table.rows * maxNumericRowBytes(columns)));
    let at = 0;
    const numeric = formatNumericRows(columns, table.rows, (b) => {
      if (direct !== null && at + b.length <= direct.length) {
        direct.set(b, at);
        at += b.length;
        return;
      }
      if (direct !== null) {
        room(at);
        out.set(direct.subarray(0, at), 0);
        pos = at;
        direct = null;
      }
      room(b.length);
      out.set(b, pos);
      pos += b.length;
    });
    if (numeric) return direct !== null ? direct.subarray(0, at) : taken(into);
  }
  if (encoding !== "utf8") return latin1Rows(table, name);
  const m = columns.length;
  // Per column, its kind and its values in an array of one type (empty where it is another),
  // so that every load in the row loop is of one array type.
  const kinds = new Int8Array(m);
  const f64 = columns.map((c) => (c.type === "float64" ? c.values : NO_F64));
  const f32 = columns.map((c) => (c.type === "float32" ? c.values : NO_F32));
  const i32 = columns.map((c) => (c.type === "int32" ? c.values : NO_I32));
  const words = columns.map((c) =>
    c.type === "int64" && LITTLE_ENDIAN
      ? new Int32Array(c.values.buffer, c.values.byteOffset, 2 * c.values.length)
      : NO_I32,
  );
  const nulls = columns.map((c) => (c.type === "string" || c.nulls === null ? NO_U8 : c.nulls));
  columns.forEach((c, k) => {
    kinds[k] =
      c.type === "float64"
        ? F64
        : c.type === "float32"
          ? F32
          : c.type === "int32"
            ? I32
            : c.type === "int64" && LITTLE_ENDIAN
              ? I64
              : OTHER;
  });
  for (let r = 0; r < table.rows; r++) {
    for (let k = 0; k < m; k++) {
      // A number takes at most 25 bytes (`-1.2345678901234567e-308`); text makes its own room.
      room(32);
      if (k > 0) out[pos++] = COMMA;
      const nl = nulls[k]!;
      if (nl.length > 0 && nl[r] === 1) continue;
      switch (kinds[k]) {
        case F64:
          float(f64[k]![r]!);
          break;
        case F32:
          float(f32[k]![r]!);
          break;
        case I32:
          integer(i32[k]![r]!);
          break;
        case I64: {
          // Safe integers without a bigint; the rest exactly through BigInt.
          const w = words[k]!;
          const hi = w[2 * r + 1]!;
          if (hi >= -2097152 && hi < 2097152) integer(hi * TWO32 + (w[2 * r]! >>> 0));
          else ascii((columns[k]!.values as BigInt64Array)[r]!.toString());
          break;
        }
        default:
          field(columns[k]!, r);
      }
    }
    out[pos++] = LF;
  }
  return taken(into);
}

/**
 * The bytes written (`out[0, pos)`), copied into the caller's buffer when it has room (memory
 * used before: new memory is slow to touch), else into shared memory of their own of a size
 * class, which the caller's shared bin can keep for later blocks.
 */
function taken(into: Uint8Array | null | undefined): Uint8Array {
  const bytes =
    into !== undefined && into !== null && into.length >= pos
      ? into
      : newSharedArray(Uint8Array, pos);
  bytes.set(out.subarray(0, pos));
  return bytes.subarray(0, pos);
}

/** {@link csvRowBytes} in Latin-1, through the text of `csvBlocks`. */
function latin1Rows(table: Table, name: string): Uint8Array {
  const pieces: Buffer[] = [];
  let total = 0;
  for (const text of csvBlocks(table, false)) {
    const b = encodeCsvText(text, "latin1", name) as Buffer;
    pieces.push(b);
    total += b.length;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const b of pieces) {
    bytes.set(b, at);
    at += b.length;
  }
  return bytes;
}
