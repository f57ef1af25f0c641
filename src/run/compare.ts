/**
 * Value-by-value comparison of two tables read as streams (e.g. an inverse output and the
 * original input): same rows, same columns, and every value the same bit for bit (−0 differs from
 * 0, a NaN equals a NaN of the same payload, nulls must match). The first difference is shown so
 * that what differs is visible: −0, text JSON-quoted, int64 exactly, float bits in hex when the
 * decimals agree. Memory: two blocks.
 */
import { InvalidInputError } from "../core/errors.js";
import { type Column, isNull } from "../core/table.js";
import { formatFloat } from "../io/csv-write.js";
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
  if (typeof x !== "number" || typeof y !== "number") return x === y;
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
  options: ReadTableOptions & {
    blockRows?: number;
    /** Text encoding of `b` when it is CSV (default: `encoding`, that of `a`). */
    encodingB?: TextEncoding;
    onProgress?: (rows: number) => void;
  } = {},
): Promise<TableComparison> {
  const t0 = performance.now();
  const sa = await openTableStream(a, options);
  const sb = await openTableStream(b, {
    ...options,
    encoding: options.encodingB ?? options.encoding,
  });
  const names = sa.schema.map((c) => c.name);
  const describe = (s: typeof sa) => s.schema.map((c) => `${c.name}:${c.type}`).join(", ");
  if (describe(sa) !== describe(sb)) {
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
