/**
 * Value-by-value comparison of two tables read as streams (e.g. an inverse output and the
 * original input): same rows, same columns, and every value the same bit for bit (−0 differs from
 * 0, a NaN equals a NaN of the same payload, nulls must match). Memory: two blocks. What is
 * compared is what the files hold: every reader keeps values exactly or refuses them (CSV numbers
 * a double cannot hold are text); Parquet DECIMAL and wide integers are read as their text and
 * compared with a number column by exact decimal value. The first difference is shown so that
 * what differs is visible: −0, text JSON-quoted, int64 exactly, float bits in hex when the
 * decimals agree.
 */
import { InvalidInputError } from "../core/errors.js";
import { type Column, isNull } from "../core/table.js";
import { decimalKey } from "../io/csv-number.js";
import { formatFloat } from "../io/csv-write.js";
import { TypeWidening } from "../io/errors.js";
import type { ReadTableOptions, TextEncoding } from "../io/options.js";
import { openTableStream } from "../io/stream.js";
import { formatTimestamp } from "../io/timestamp.js";

/** What {@link compareTables} found. */
export interface TableComparison {
  rows: number;
  columns: string[];
  differences: number;
  firstDifference: { row: number; column: string; a: string; b: string } | null;
  seconds: number;
}

// A plain decimal number, without leading zeros: "00501" is an identifier, not the number 501.
const NUMBER_TEXT = /^[+-]?((0|[1-9]\d*)(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * The exact decimal value of a number or number text, as a comparable key (sign included, `-0`
 * apart from `0`); null for text that is not a plain decimal number.
 */
function valueKey(v: unknown): string | null {
  if (typeof v === "bigint") return v < 0n ? `-${decimalKey(String(-v))}` : decimalKey(String(v));
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    const key = decimalKey(String(Math.abs(v)));
    return v < 0 || Object.is(v, -0) ? `-${key}` : key;
  }
  if (typeof v !== "string" || !NUMBER_TEXT.test(v)) return null;
  const key = decimalKey(v);
  return v.startsWith("-") && key !== "0" ? `-${key}` : key;
}

/** The bits of float value `i` of `values`, as hex (NaN payloads and the sign of zero included). */
function floatBits(values: Float64Array | Float32Array, i: number): string {
  const bytes = values.BYTES_PER_ELEMENT;
  const view = new DataView(values.buffer, values.byteOffset + i * bytes, bytes);
  return bytes === 8
    ? `0x${view.getBigUint64(0, true).toString(16).padStart(16, "0")}`
    : `0x${view.getUint32(0, true).toString(16).padStart(8, "0")}`;
}

function same(a: Column, b: Column, i: number): boolean {
  const an = isNull(a, i);
  const bn = isNull(b, i);
  if (an || bn) return an === bn;
  const x = a.values[i];
  const y = b.values[i];
  if (typeof x === "number" && typeof y === "number") {
    // Bit for bit: Object.is tells -0 from 0; NaNs are told apart by their payload bits.
    if (
      Number.isNaN(x) &&
      Number.isNaN(y) &&
      (a.type === "float64" || a.type === "float32") &&
      a.type === b.type
    ) {
      return floatBits(a.values, i) === floatBits(b.values as typeof a.values, i);
    }
    return Object.is(x, y);
  }
  if (typeof x === typeof y) return x === y;
  // Number against text (e.g. a DECIMAL column read as its text): the same decimal value.
  const kx = valueKey(x);
  return kx !== null && kx === valueKey(y);
}

const NUMERIC = new Set(["float64", "float32", "int64", "int32"]);

/** Whether columns of types `a` and `b` can be compared: the same type, or number and text. */
function comparable(a: string, b: string): boolean {
  return a === b || (a === "string" && NUMERIC.has(b)) || (b === "string" && NUMERIC.has(a));
}

/** Row `i` of `c` as text that tells it from any other value of its type. */
function showValue(c: Column, i: number): string {
  if (isNull(c, i)) return "null";
  switch (c.type) {
    case "float64":
    case "float32":
      return formatFloat(c.values[i]!);
    case "int64":
    case "int32":
      return c.values[i]!.toString(); // exact (bigint for int64)
    case "bool":
      return c.values[i] ? "true" : "false";
    case "string":
      return JSON.stringify(c.values[i]);
    case "timestamp":
      return `${formatTimestamp(c.values[i]!, c.unit)} (${c.values[i]!.toString()} ${c.unit})`;
  }
}

/**
 * Two differing values as text: floats whose shortest decimals read the same (NaNs with other
 * payloads) are shown with their bits in hex as well.
 */
function showPair(a: Column, b: Column, i: number): { a: string; b: string } {
  const x = showValue(a, i);
  const y = showValue(b, i);
  if (x === y && (a.type === "float64" || a.type === "float32") && a.type === b.type) {
    return {
      a: `${x} (bits ${floatBits(a.values, i)})`,
      b: `${y} (bits ${floatBits(b.values as typeof a.values, i)})`,
    };
  }
  return { a: x, b: y };
}

/**
 * Compares `a` and `b` (files, directories, globs) block by block.
 * @throws InvalidInputError when the columns (names in order, types) or row counts differ.
 */
export async function compareTables(
  a: string,
  b: string,
  options: CompareOptions = {},
): Promise<TableComparison> {
  const t0 = performance.now();
  // A column that a later block widens (integers, then decimals) is read with the wider type on
  // both sides from the first row, and the comparison starts over.
  let types = { ...options.types };
  for (;;) {
    try {
      return await compareOnce(a, b, { ...options, types }, t0);
    } catch (err) {
      if (!(err instanceof TypeWidening && err.restartable) || err.column in types) throw err;
      types = { ...types, [err.column]: err.to };
    }
  }
}

/** Options of {@link compareTables}. */
export type CompareOptions = ReadTableOptions & {
  blockRows?: number;
  /** Text encoding of `b` when it is CSV (default: `encoding`, that of `a`). */
  encodingB?: TextEncoding;
  onProgress?: (rows: number) => void;
};

async function compareOnce(
  a: string,
  b: string,
  options: CompareOptions,
  t0: number,
): Promise<TableComparison> {
  // Parquet DECIMAL and wide integers as their exact text, compared by decimal value.
  const sa = await openTableStream(a, { ...options, wideAsText: true });
  const sb = await openTableStream(b, {
    ...options,
    encoding: options.encodingB ?? options.encoding,
    wideAsText: true,
  });
  const names = sa.schema.map((c) => c.name);
  const describe = (s: typeof sa) => s.schema.map((c) => `${c.name}:${c.type}`).join(", ");
  const matching =
    sa.schema.length === sb.schema.length &&
    sa.schema.every(
      (c, j) => c.name === sb.schema[j]!.name && comparable(c.type, sb.schema[j]!.type),
    );
  if (!matching) {
    await sa.close();
    await sb.close();
    throw new InvalidInputError(
      `${b}: its columns (${describe(sb)}) differ from those of ${a} (${describe(sa)})`,
    );
  }
  let rows = 0;
  let differences = 0;
  let firstDifference: TableComparison["firstDifference"] = null;
  const ib = sb.blocks();
  try {
    for await (const x of sa.blocks()) {
      const next = await ib.next();
      if (next.done === true || next.value.table.rows !== x.table.rows) {
        throw new InvalidInputError(
          `${b}: has ${next.done === true ? rows : rows + next.value.table.rows}${next.done === true ? "" : " or more"} rows where ${a} has at least ${rows + x.table.rows}`,
        );
      }
      const y = next.value.table;
      for (let j = 0; j < names.length; j++) {
        const cx = x.table.columns[j]!;
        const cy = y.columns[j]!;
        for (let i = 0; i < x.table.rows; i++) {
          if (same(cx, cy, i)) continue;
          differences++;
          firstDifference ??= { row: rows + i, column: names[j]!, ...showPair(cx, cy, i) };
        }
      }
      rows += x.table.rows;
      options.onProgress?.(rows);
    }
    if ((await ib.next()).done !== true) {
      throw new InvalidInputError(`${b}: has more rows than ${a} (${rows})`);
    }
  } finally {
    await sa.close();
    await sb.close();
  }
  return {
    rows,
    columns: names,
    differences,
    firstDifference,
    seconds: (performance.now() - t0) / 1000,
  };
}
