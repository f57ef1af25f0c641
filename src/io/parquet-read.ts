/**
 * Reading Parquet parts as one table in batches: files this library wrote in the fixed-width
 * layout (and other plain numeric files, see `parquet-fixed-read.ts`) directly, everything else
 * through DuckDB (`parquet-scan-duckdb.ts`). DuckDB loads only for a file that needs it: planning
 * and reading fixed-width files needs no DuckDB at all. Types map as in `parquet-plan-duckdb.ts`.
 */
import { type ArrayBin, nullMaskFor } from "../core/array-bin.js";
import { InvalidInputError } from "../core/errors.js";
import type { Column, Table } from "../core/table.js";
import { allocateColumnFrom } from "./columns.js";
import { sqlIdent } from "./duckdb.js";
import type { ResolvedReadOptions } from "./options.js";
import { type FixedParquetFile, openFixedParquet, readFixedChunk } from "./parquet-fixed-read.js";
import {
  type ColumnPlan,
  fixedColumnNames,
  type ParquetParts,
  planFixedParts,
} from "./parquet-plan.js";

/**
 * Plans reading `files` as one table: from the files' footers when the direct reader takes them
 * all ({@link planFixedParts}), else through DuckDB (the first file planned in full, the others
 * checked against it; a file whose schema differs is passed to `onDiffers` with its plans and the
 * first file's, to say how they differ: it throws when they do).
 * @throws InvalidInputError a file that is not Parquet or truncated (naming it).
 */
export async function planParquetParts(
  files: readonly string[],
  opts: ResolvedReadOptions,
  onDiffers: (path: string, plans: ColumnPlan[], firstPlans: ColumnPlan[]) => void,
): Promise<ParquetParts> {
  const fixed = await planFixedParts(files, opts);
  if (fixed !== null) return fixed;
  const { planDuckDbParts } = await import("./parquet-plan-duckdb.js");
  return planDuckDbParts(files, opts, onDiffers);
}

/** The names of every column of Parquet file `path` (`opts` without columns or types). */
export async function parquetColumnNames(
  path: string,
  opts: ResolvedReadOptions,
): Promise<string[]> {
  const names = await fixedColumnNames(path);
  if (names !== null) return names;
  const { duckDbColumnNames } = await import("./parquet-plan-duckdb.js");
  return duckDbColumnNames(path, opts);
}

/** Rows [skip, skip + rows) of the files read as one table. */
export interface ParquetRowRange {
  skip: number;
  rows: number;
}

/**
 * Reads the planned columns of Parquet `files` (all with the same schema, see
 * {@link planParquetParts}) as one table, in batches of exactly `batchRows` rows (the last may be
 * shorter; no rows at all gives one empty batch). With `range`, only those rows: row groups
 * before and after them are not read.
 * @throws InvalidInputError a file that is truncated, corrupt or holds more or fewer rows than its
 *   metadata says (naming it when it can, else the files of the DuckDB query).
 */
export async function* readParquetBatches(
  files: readonly string[],
  parts: ParquetParts,
  batchRows: number,
  bin: ArrayBin | null = null,
  range: ParquetRowRange | null = null,
): AsyncGenerator<Table> {
  let fixed: FixedParquetFile | null = null;
  try {
    const { plans } = parts;
    // Rows [from, to) of each file.
    const spans: [number, number][] = [];
    for (let f = 0, at = 0; f < files.length; at += parts.rows[f]!, f++) {
      const n = parts.rows[f]!;
      if (range === null) spans.push([0, n]);
      else {
        const from = Math.min(n, Math.max(0, range.skip - at));
        const to = Math.max(from, Math.min(n, range.skip + range.rows - at));
        spans.push([from, to]);
      }
    }
    const rows = spans.reduce((a, [from, to]) => a + to - from, 0);
    const specs = plans.map((p) => p.spec);
    let emitted = 0;
    let capacity = Math.min(batchRows, rows);
    let columns = specs.map((s) => allocateColumnFrom(bin, s, capacity));
    let filled = 0;
    if (rows === 0) {
      yield { rows: 0, columns };
      return;
    }
    /** Puts `n` rows into the batches: `copy(j, from, take, col, offset)` fills column j. */
    function* put(
      n: number,
      what: string,
      copy: (j: number, from: number, take: number, col: Column, offset: number) => void,
    ): Generator<Table> {
      let used = 0;
      while (used < n) {
        if (capacity === 0) {
          throw new InvalidInputError(`${what}: has more rows than its metadata says (${rows})`);
        }
        const take = Math.min(n - used, capacity - filled);
        for (let j = 0; j < columns.length; j++) copy(j, used, take, columns[j]!, filled);
        used += take;
        filled += take;
        if (filled === capacity) {
          const batch = { rows: filled, columns };
          emitted += filled;
          filled = 0;
          capacity = Math.min(batchRows, rows - emitted);
          if (capacity > 0) columns = specs.map((s) => allocateColumnFrom(bin, s, capacity));
          yield batch;
        }
      }
    }
    // Files this library wrote in the fixed-width layout are read without DuckDB, when every
    // selected column is read as it is stored (tried when the first file is one).
    const identity = plans.every((p) => p.expr === sqlIdent(p.spec.name));
    let tryFixed = identity && files.length > 0;
    let f = 0;
    let opened = false;
    while (f < files.length) {
      const [from, to] = spans[f]!;
      if (to <= from) {
        f++;
        continue;
      }
      fixed = tryFixed ? await openFixedParquet(files[f]!) : null;
      if (!opened && fixed === null) tryFixed = false;
      opened = true;
      if (fixed !== null) {
        const file = fixed;
        const index = specs.map((s) =>
          file.columns.findIndex((c) => c.name === s.name && c.type === s.type),
        );
        if (index.every((k) => k >= 0) && file.rows === parts.rows[f]) {
          for (let g = 0, at = 0; g < file.groups.length; at += file.groups[g]!.rows, g++) {
            const n = file.groups[g]!.rows;
            // The group's rows within the file's span: none, all, or a piece.
            const lo = Math.max(from, at);
            const hi = Math.min(to, at + n);
            if (hi <= lo) continue;
            if (hi - lo < n) {
              const piece = specs.map((s) => allocateColumnFrom(bin, s, n));
              for (let j = 0; j < piece.length; j++)
                await readFixedChunk(file, g, index[j]!, piece[j]!, 0);
              yield* put(hi - lo, file.path, (j, from, take, col, offset) =>
                copyColumnRange(piece[j]!, lo - at + from, take, col, offset),
              );
              for (const c of piece) bin?.putColumn(c);
              continue;
            }
            if (n <= capacity - filled) {
              // The row group fits in the batch being filled: read it in place.
              for (let j = 0; j < columns.length; j++)
                await readFixedChunk(file, g, index[j]!, columns[j]!, filled);
              yield* put(n, file.path, () => undefined);
              continue;
            }
            const piece = specs.map((s) => allocateColumnFrom(bin, s, n));
            for (let j = 0; j < piece.length; j++)
              await readFixedChunk(file, g, index[j]!, piece[j]!, 0);
            yield* put(n, file.path, (j, from, take, col, offset) =>
              copyColumnRange(piece[j]!, from, take, col, offset),
            );
            for (const c of piece) bin?.putColumn(c);
          }
          await file.handle.close();
          fixed = null;
          f++;
          continue;
        }
        await file.handle.close();
        fixed = null;
      }
      // DuckDB: this file, and (when no file is read directly) every file after it.
      const upto = tryFixed ? f + 1 : files.length;
      const { scanParquet } = await import("./parquet-scan-duckdb.js");
      for await (const chunk of scanParquet(
        files.slice(f, upto),
        parts.rows.slice(f, upto),
        plans,
        range === null ? null : spans.slice(f, upto),
      )) {
        yield* put(chunk.rows, chunk.what, chunk.copy);
      }
      f = upto;
    }
  } finally {
    await fixed?.handle.close();
  }
}

/** Copies rows [from, from + take) of `src` into `dst` at `offset` (same fixed-width type). */
function copyColumnRange(
  src: Column,
  from: number,
  take: number,
  dst: Column,
  offset: number,
): void {
  if (src.type === "string" || dst.type === "string") return;
  (dst.values as Float64Array).set(
    (src.values as Float64Array).subarray(from, from + take),
    offset,
  );
  if (src.nulls !== null) {
    if (dst.nulls === null) dst.nulls = nullMaskFor(dst.values, dst.values.length);
    dst.nulls.set(src.nulls.subarray(from, from + take), offset);
  }
}

/** Reads the selected columns of a whole Parquet file into memory. */
export async function readParquet(path: string, opts: ResolvedReadOptions): Promise<Table> {
  const parts = await planParquetParts([path], opts, () => undefined);
  let table: Table | null = null;
  for await (const batch of readParquetBatches([path], parts, Number.MAX_SAFE_INTEGER)) {
    table = batch;
  }
  return table!;
}
