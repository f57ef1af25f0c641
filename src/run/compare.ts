/**
 * Value-by-value comparison of two tables read as streams (e.g. an inverse output and the
 * original input): same rows, same columns, and every value the same bit for bit (−0 differs from
 * 0, NaN equals NaN, nulls must match). Memory: two blocks.
 */
import { InvalidInputError } from "../core/errors.js";
import { type Column, isNull } from "../core/table.js";
import { TypeWidening } from "../io/errors.js";
import type { ReadTableOptions } from "../io/options.js";
import { openTableStream } from "../io/stream.js";

/** What {@link compareTables} found. */
export interface TableComparison {
  rows: number;
  columns: string[];
  differences: number;
  firstDifference: { row: number; column: string; a: string; b: string } | null;
  seconds: number;
}

function same(a: Column, b: Column, i: number): boolean {
  const an = isNull(a, i);
  const bn = isNull(b, i);
  if (an || bn) return an === bn;
  const x = a.values[i];
  const y = b.values[i];
  return typeof x === "number" && typeof y === "number" ? Object.is(x, y) : x === y;
}

const show = (c: Column, i: number) => (isNull(c, i) ? "null" : String(c.values[i]));

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
  onProgress?: (rows: number) => void;
};

async function compareOnce(
  a: string,
  b: string,
  options: CompareOptions,
  t0: number,
): Promise<TableComparison> {
  const sa = await openTableStream(a, options);
  const sb = await openTableStream(b, options);
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
          firstDifference ??= { row: rows + i, column: names[j]!, a: show(cx, i), b: show(cy, i) };
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
