/**
 * Writing a `Table` as RFC 4180 CSV (UTF-8 or Latin-1, LF line ends, header row), optionally
 * gzip-compressed.
 *
 * Values: float64/float32 in the shortest text that reads back to the same double
 * (`String(x)`, with `-0`, `NaN`, `Infinity`, `-Infinity`); int64 exactly; bool `true`/`false`;
 * timestamps as ISO-8601 UTC with all the unit's fraction digits; nulls as empty fields. Strings
 * are quoted when they hold `,` `"` CR or LF, or are empty or a default null token (`NA`,
 * `null`, `NULL`), so they read back as the same text rather than as null.
 */
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { InvalidInputError } from "../core/errors.js";
import type { Column, Table } from "../core/table.js";
import { DEFAULT_NULL_VALUES, type TextEncoding } from "./options.js";
import { formatTimestamp } from "./timestamp.js";

/** Rows formatted per block: bounds the strings alive at once. */
const BLOCK_ROWS = 16384;
const NEEDS_QUOTES = /[",\r\n]/;
const NULL_TOKENS = new Set(DEFAULT_NULL_VALUES);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO32 = 4294967296;

/** A string field as CSV text: quoted (with `"` doubled) when needed. */
export function csvQuote(s: string): string {
  if (NEEDS_QUOTES.test(s)) return `"${s.replaceAll('"', '""')}"`;
  if (NULL_TOKENS.has(s)) return `"${s}"`;
  return s;
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6];
const ZEROS = ["", "0", "00", "000", "0000", "00000", "000000"];

/**
 * A double as the shortest text `Number()` reads back bit for bit (keeps -0's sign): the text
 * `String(x)` gives, faster for the common decimals.
 *
 * Fast path: a double nearest to a decimal m·10^-d with m < 10^15 (at most 15 significant
 * digits) and d ≤ 6 fraction digits. Two different decimals of at most 15 significant digits
 * never share a nearest double (doubles are closer together than such decimals), so that decimal,
 * with the fewest fraction digits, is the shortest text that reads back as `x`, the one
 * `String(x)` prints (plain notation: 10^-6 ≤ |x| < 10^15). `Math.round(|x|·10^d)` finds m: the
 * product is within |x|·10^d·2^-52 < 0.25 of it. The test before the loop skips it when
 * |x|·10^6 is not within its rounding error (< 2^-51 relative) of an integer, as it must be for
 * such a decimal. Checked against `String` on millions of values (`test/io/csv-write.test.ts`).
 */
export function formatFloat(x: number): string {
  if (x === 0) return 1 / x < 0 ? "-0" : "0";
  const a = x < 0 ? -x : x;
  const d = shortDecimal(a);
  if (d < 0) return String(x);
  const p = POW10[d]!;
  const m = Math.round(a * p);
  let t: string;
  if (d === 0) {
    t = `${m}`;
  } else {
    const whole = Math.floor(m / p);
    const frac = `${m - whole * p}`;
    t = `${whole}.${ZEROS[d - frac.length]}${frac}`;
  }
  return x < 0 ? `-${t}` : t;
}

/**
 * For a > 0 (or NaN, ∞): the fewest fraction digits d ≤ 6 of a decimal m·10^-d (m < 10^15) whose
 * nearest double is `a` (`formatFloat`'s fast path; m is `Math.round(a · 10^d)`), or -1.
 */
export function shortDecimal(a: number): number {
  const y = a * 1e6;
  const dy = y - Math.round(y);
  if (!(a < 1e15) || (dy < 0 ? -dy : dy) > y * 1.8e-15) return -1;
  for (let d = 0; d <= 6; d++) {
    const p = POW10[d]!;
    const m = Math.round(a * p);
    if (m < 1e15 && m / p === a) return d;
  }
  return -1;
}

/** Fills `cells[0, end - start)` with the CSV text of `col` rows `[start, end)`. */
function formatColumn(col: Column, start: number, end: number, cells: string[]): void {
  const n = end - start;
  if (col.type === "string") {
    for (let r = 0; r < n; r++) {
      const v = col.values[start + r];
      cells[r] = v === null || v === undefined ? "" : csvQuote(v);
    }
    return;
  }
  const nulls = col.nulls;
  switch (col.type) {
    case "float64":
    case "float32": {
      const values = col.values;
      for (let r = 0; r < n; r++) cells[r] = formatFloat(values[start + r]!);
      break;
    }
    case "int32": {
      const values = col.values;
      for (let r = 0; r < n; r++) cells[r] = String(values[start + r]);
      break;
    }
    case "bool": {
      const values = col.values;
      for (let r = 0; r < n; r++) cells[r] = values[start + r] ? "true" : "false";
      break;
    }
    case "int64": {
      const values = col.values;
      if (LITTLE_ENDIAN) {
        // Safe integers without allocating a bigint; the rest exactly via BigInt.
        const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2);
        for (let r = 0; r < n; r++) {
          const i = start + r;
          const hi = words[2 * i + 1]!;
          if (hi >= -2097152 && hi < 2097152) cells[r] = String(hi * TWO32 + (words[2 * i]! >>> 0));
          else cells[r] = values[i]!.toString();
        }
      } else {
        for (let r = 0; r < n; r++) cells[r] = values[start + r]!.toString();
      }
      break;
    }
    case "timestamp": {
      const values = col.values;
      for (let r = 0; r < n; r++) cells[r] = formatTimestamp(values[start + r]!, col.unit);
      break;
    }
  }
  if (nulls !== null) for (let r = 0; r < n; r++) if (nulls[start + r] === 1) cells[r] = "";
}

/** The header line of a table: its column names. */
export function csvHeader(table: Table): string {
  return `${table.columns.map((c) => csvQuote(c.name)).join(",")}\n`;
}

/**
 * The CSV text of a table, in blocks of `BLOCK_ROWS` rows, after the header line unless `header`
 * is false (e.g. for the later blocks of one stream).
 */
export function* csvBlocks(table: Table, header = true): Generator<string> {
  const { columns } = table;
  if (header) yield csvHeader(table);
  const cells = columns.map(() => new Array<string>(Math.min(BLOCK_ROWS, table.rows)));
  const m = columns.length;
  for (let start = 0; start < table.rows; start += BLOCK_ROWS) {
    const end = Math.min(table.rows, start + BLOCK_ROWS);
    for (let c = 0; c < m; c++) formatColumn(columns[c]!, start, end, cells[c]!);
    let out = "";
    const first = cells[0]!;
    for (let r = 0; r < end - start; r++) {
      let line = first[r]!;
      for (let c = 1; c < m; c++) line += `,${cells[c]![r]}`;
      out += `${line}\n`;
    }
    yield out;
  }
}

const NOT_LATIN1 = /[\u0100-\u{10ffff}]/u;

/**
 * CSV text as the bytes of `encoding`: UTF-8 as it is (a string), Latin-1 (ISO-8859-1) one byte a
 * character.
 * @throws InvalidInputError text with a character Latin-1 does not have, naming `path`, the
 *   character and its code point.
 */
export function encodeCsvText(text: string, encoding: TextEncoding, path: string): string | Buffer {
  if (encoding === "utf8") return text;
  const bad = NOT_LATIN1.exec(text);
  if (bad !== null) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
    const line = text
      .slice(Math.max(0, text.lastIndexOf("\n", bad.index) + 1), bad.index + 20)
      .split("\n")[0];
    throw new InvalidInputError(
      `${path}: cannot be written in Latin-1 (ISO-8859-1): the text holds ${JSON.stringify(bad[0])} (U+${code}) in ${JSON.stringify(line)}, which Latin-1 does not have; write UTF-8 instead (--output-encoding utf8)`,
    );
  }
  return Buffer.from(text, "latin1");
}

/** Writes `table` as CSV to `path` (a new file; it must not exist). */
export async function writeCsv(
  path: string,
  table: Table,
  gzip: boolean,
  encoding: TextEncoding = "utf8",
  name = path,
): Promise<void> {
  const source = Readable.from(
    (function* () {
      for (const text of csvBlocks(table)) yield encodeCsvText(text, encoding, name);
    })(),
  );
  const sink = createWriteStream(path, { flags: "wx" });
  if (gzip) await pipeline(source, createGzip(), sink);
  else await pipeline(source, sink);
}
