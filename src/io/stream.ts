/**
 * Streaming input in fixed-size blocks: `openTableStream` reads one file, a directory of part
 * files, a glob or a list of files (or CSV on standard input) as blocks of exactly `blockRows`
 * rows, the last possibly shorter. Blocks are decided by row count only, never by file
 * boundaries, so a block's rows and `firstRow` do not depend on how the data is split into
 * parts: the unit of the deterministic, mergeable statistics (ARCHITECTURE §1).
 *
 * Memory is about one block (`blockRows` × row width) plus one read chunk (CSV, 4 MiB) or
 * DuckDB's working set (Parquet, read in vectors of 2,048 rows), whatever the size of the input.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { ArrayBin } from "../core/array-bin.js";
import { InvalidInputError } from "../core/errors.js";
import { type ColumnType, copyRows, type Table, type TimeUnit } from "../core/table.js";
import { type ColumnSpec, concatTables } from "./columns.js";
import { type CsvHeader, readCsvHeader } from "./csv-read.js";
import type { ByteSource } from "./csv-source.js";
import { errorMessage, IoError, TypeWidening } from "./errors.js";
import { formatOf } from "./format.js";
import { resolveInputs, STDIN_NAME } from "./glob.js";
import {
  DEFAULT_BLOCK_ROWS,
  type ReadTableOptions,
  type ResolvedReadOptions,
  resolveReadOptions,
} from "./options.js";
import {
  type ParquetRowRange,
  parquetColumnNames,
  planParquetParts,
  readParquetBatches,
} from "./parquet-read.js";
import {
  type CsvPart,
  checkSameHeader,
  csvBlocks,
  inferCsvSchema,
  partSource,
  ReplaySource,
  readPartHeader,
  STREAM_CHUNK_BYTES,
} from "./stream-csv.js";

/** Options of `openTableStream`: those of `readTable` and the block size. */
export interface TableStreamOptions extends ReadTableOptions {
  /** Rows per block, an integer ≥ 1. Default `DEFAULT_BLOCK_ROWS` (1,048,576). */
  blockRows?: number;
  /**
   * Called once with the column names of the input (of its first part) before any row is read;
   * the columns and types it returns replace `columns` and `types`. For choosing what to read
   * from what is there, e.g. which encoded layout a file holds, even on standard input.
   */
  select?: (names: string[]) => Pick<ReadTableOptions, "columns" | "types">;
  /**
   * Columns read as text from CSV, where the text is the value (`types` given for a column
   * wins); Parquet and Arrow columns keep the file's type. For columns fitted as categories.
   */
  textColumns?: string[];
  /**
   * Read every Parquet DECIMAL, UBIGINT and HUGEINT column as its exact text (for comparing what
   * the files hold); otherwise they are numbers, and a value a number type cannot hold exactly
   * is an error.
   */
  wideAsText?: boolean;
  /**
   * Parquet input only: read only rows [skip, skip + rows) of the parts taken as one table (row
   * groups outside are not read); blocks are counted from the range's first row.
   */
  rowRange?: ParquetRowRange;
}

/**
 * `options` with those `textColumns` the file has (`names`) added to the forced `types` (for
 * CSV); a column it does not have is left to the caller to report.
 */
function csvOptions(options: TableStreamOptions, names: readonly string[]): TableStreamOptions {
  if (options.textColumns === undefined || options.textColumns.length === 0) return options;
  const types: Record<string, ColumnType> = {};
  for (const n of options.textColumns) if (names.includes(n)) types[n] = "string";
  return { ...options, types: { ...types, ...options.types } };
}

/** One block of a stream. */
export interface TableBlock {
  /** Global index (0-based, over all parts) of the block's first row. */
  firstRow: number;
  table: Table;
  /**
   * The block's rows already formatted as CSV (no header) in the encoding of a sink that writes
   * CSV (see `TableSink.csv`), e.g. on a worker thread; the sink then writes these bytes, and
   * calls the write's `release` only once they are written (they may be reused then).
   */
  csv?: Uint8Array;
}

/** Name, type and (timestamps only) unit of a stream's column. */
export interface StreamColumn {
  name: string;
  type: ColumnType;
  unit?: TimeUnit;
}

/**
 * A pass over CSV files that can be read by byte ranges, for a reader other than the stream's
 * own (see `TableStream.readCsvWith`): what to read, and the stream's own reader of the same
 * pass, whose blocks and errors are the reference.
 */
export interface CsvReadJob {
  parts: { path: string; size: number; header: CsvHeader }[];
  /** File column of each selected column. */
  selected: readonly number[];
  /** The selected columns' types for this pass. */
  specs: readonly ColumnSpec[];
  opts: ResolvedReadOptions;
  blockRows: number;
  /** Where to take the blocks' arrays from (`TableStream.bin`), if anywhere. */
  bin: ArrayBin | undefined;
  /** The stream's own reader of this pass. */
  sequential(): AsyncGenerator<TableBlock>;
}

/** Reads the blocks of a {@link CsvReadJob}: exactly the blocks `job.sequential()` gives. */
export type CsvBlockReader = (job: CsvReadJob) => AsyncGenerator<TableBlock>;

/** A table read block by block. */
export interface TableStream {
  /** Column names and types, decided before the first block (the same for every block). */
  schema: StreamColumn[];
  /** The input files in reading order (`["-"]` for standard input). */
  files: string[];
  /** Total rows when cheaply known (Parquet metadata), else null (CSV). */
  totalRows: number | null;
  /** Rows of each file, in `files` order, when cheaply known (Parquet metadata). */
  partRows?: number[];
  /**
   * Blocks of exactly `blockRows` rows (the last may be shorter; an input with no rows gives no
   * block), with the global index of their first row. Each block owns its arrays. May be called
   * again for another pass over files (not over standard input, which can be read once).
   */
  blocks(): AsyncGenerator<TableBlock>;
  /** Ends a pass in progress and releases the input. */
  close(): Promise<void>;
  /**
   * Where the stream takes the arrays of its blocks from when it can (Parquet input): a consumer
   * done with a block may put its arrays here for a later block (see `ArrayBin`). Absent when
   * the stream allocates every block. A consumer may replace it before a pass (`blocks()`), e.g.
   * with `sharedBlockBin()` to have blocks in shared memory; the stream clears only its own bin.
   */
  bin?: ArrayBin;
  /**
   * CSV input only: reads later passes over plain files (not `.csv.gz`, not standard input) with
   * `reader` (e.g. byte ranges parsed on worker threads), or again with the stream's own reader
   * (null). Widening (see `openTableStream`) works the same either way.
   */
  readCsvWith?(reader: CsvBlockReader | null): void;
}

function checkBlockRows(what: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 2 ** 30) {
    throw new InvalidInputError(
      `${what}: option blockRows must be an integer from 1 to 2^30; got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function schemaOf(specs: readonly ColumnSpec[]): StreamColumn[] {
  return specs.map((s) =>
    s.type === "timestamp"
      ? { name: s.name, type: s.type, unit: s.unit }
      : { name: s.name, type: s.type },
  );
}

const describeSpec = (s: ColumnSpec) =>
  `${JSON.stringify(s.name)} ${s.type}${s.type === "timestamp" ? `[${s.unit}]` : ""}`;

/** Throws unless two parts have the same columns (names, types, units, in order). */
function checkSameSpecs(
  firstPath: string,
  first: readonly ColumnSpec[],
  path: string,
  other: readonly ColumnSpec[],
): void {
  const n = Math.min(first.length, other.length);
  for (let i = 0; i < n; i++) {
    const a = first[i]!;
    const b = other[i]!;
    if (a.name !== b.name || a.type !== b.type || (a.type === "timestamp" && a.unit !== b.unit)) {
      throw new InvalidInputError(
        `${path}: its schema differs from the first part ${firstPath}: column ${i + 1} is ${describeSpec(a)} in the first and ${describeSpec(b)} here; every part must have the same columns and types in the same order (select common columns with --columns)`,
      );
    }
  }
  if (first.length !== other.length) {
    throw new InvalidInputError(
      `${path}: its schema differs from the first part ${firstPath}: the first has ${first.length} columns, this one ${other.length}; every part must have the same columns in the same order`,
    );
  }
}

/**
 * Parquet parts: schemas and row counts from the metadata, then one scan over all parts (or over
 * `range`, their rows [skip, skip + rows)).
 */
async function openParquetStream(
  files: string[],
  opts: ResolvedReadOptions,
  blockRows: number,
  range: ParquetRowRange | null,
): Promise<TableStream> {
  const parts = await planParquetParts(files, opts, (path, plans, first) => {
    checkSameSpecs(
      files[0]!,
      first.map((p) => p.spec),
      path,
      plans.map((p) => p.spec),
    );
  });
  const specs = parts.plans.map((p) => p.spec);
  const own = new ArrayBin();
  let active: AsyncGenerator<TableBlock> | null = null;
  async function* blocks(bin: ArrayBin): AsyncGenerator<TableBlock> {
    let firstRow = 0;
    for await (const batch of readParquetBatches(files, parts, blockRows, bin, range)) {
      if (batch.rows === 0) continue;
      yield { firstRow, table: batch };
      firstRow += batch.rows;
    }
  }
  const stream: TableStream = {
    schema: schemaOf(specs),
    files,
    totalRows: range?.rows ?? parts.rows.reduce((a, b) => a + b, 0),
    ...(range === null ? { partRows: parts.rows } : {}),
    bin: own,
    blocks() {
      const bin = stream.bin ?? own;
      if (bin === own) own.open();
      active = blocks(bin);
      return active;
    },
    async close() {
      await active?.return(undefined);
      active = null;
      own.clear();
    },
  };
  return stream;
}

/** Re-cuts tables of any sizes into blocks of exactly `blockRows` rows (the last may be shorter). */
export async function* reblock(
  tables: AsyncIterable<Table>,
  blockRows: number,
): AsyncGenerator<TableBlock> {
  let pending: Table[] = [];
  let pendingRows = 0;
  let firstRow = 0;
  for await (const t of tables) {
    for (let start = 0; start < t.rows; ) {
      const take = Math.min(blockRows - pendingRows, t.rows - start);
      pending.push(start === 0 && take === t.rows ? t : copyRows(t.columns, start, start + take));
      pendingRows += take;
      start += take;
      if (pendingRows === blockRows) {
        yield { firstRow, table: concatTables(pending, pendingRows) };
        firstRow += pendingRows;
        pending = [];
        pendingRows = 0;
      }
    }
  }
  if (pendingRows > 0) yield { firstRow, table: concatTables(pending, pendingRows) };
}

/** Arrow IPC parts (files, or one standard-input stream read once). */
async function openArrowStream(
  files: string[],
  options: TableStreamOptions,
  blockRows: number,
  stdin: Readable | null,
): Promise<TableStream> {
  const what = files[0]!;
  // The Arrow library loads only for Arrow input (see `arrow-sink.ts`).
  const { openArrowReader, tableFromBatch } = await import("./arrow.js");
  const { selectArrowSpecs } = await import("./arrow-file.js");
  const open = (path: string) =>
    openArrowReader(path, path === STDIN_NAME ? stdin! : createReadStream(path));
  // The first part's reader is opened once for its schema, and read by the first pass.
  let head: Awaited<ReturnType<typeof open>> | null = await open(what);
  let opts = resolveReadOptions(what, options);
  if (options.select !== undefined) {
    opts = resolveReadOptions(what, {
      ...options,
      ...options.select(head.specs.map((c) => c.name)),
    });
  }
  const specs = selectArrowSpecs(what, head.specs, opts);
  let passes = 0;
  let active: AsyncGenerator<TableBlock> | null = null;
  async function* tables(): AsyncGenerator<Table> {
    for (const path of files) {
      const part = head ?? (await open(path));
      head = null;
      checkSameSpecs(what, specs, path, selectArrowSpecs(path, part.specs, opts));
      let firstRow = 0;
      for await (const batch of part.batches) {
        yield tableFromBatch(batch, specs, { path, firstRow });
        firstRow += batch.numRows;
      }
    }
  }
  return {
    schema: schemaOf(specs),
    files,
    totalRows: null,
    blocks() {
      if (passes > 0 && stdin !== null) {
        throw new InvalidInputError(
          "-: standard input can be read once; save it to a file for another pass",
        );
      }
      passes++;
      active = reblock(tables(), blockRows);
      return active;
    },
    async close() {
      await active?.return(undefined);
      active = null;
    },
  };
}

/**
 * Standard input, with its first bytes looked at: an Arrow IPC stream starts with the
 * continuation marker 0xFFFFFFFF (an IPC file with "ARROW1"), which no CSV text does.
 */
async function sniffStdin(): Promise<{ arrow: boolean; readable: Readable }> {
  const it = process.stdin[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true) return { arrow: false, readable: Readable.from([]) };
  const head = first.value as Buffer;
  const arrow =
    (head.length >= 4 && head.readUInt32LE(0) === 0xffffffff) ||
    head.subarray(0, 6).toString("latin1") === "ARROW1";
  async function* all(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const r = await it.next();
      if (r.done === true) return;
      yield r.value as Buffer;
    }
  }
  return { arrow, readable: Readable.from(all(), { objectMode: false }) };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    throw new IoError(`${path}: cannot read: ${errorMessage(err)}`, { cause: err });
  }
}

/** CSV parts (files, or one standard-input stream). */
async function openCsvStream(
  parts: CsvPart[],
  opts: ResolvedReadOptions,
  blockRows: number,
  replay: ReplaySource | null,
): Promise<TableStream> {
  for (let i = 1; i < parts.length; i++) checkSameHeader(parts[0]!, parts[i]!);
  const { selected, specs } = await inferCsvSchema(parts, opts, blockRows);
  let active: AsyncGenerator<TableBlock> | null = null;
  let passes = 0;
  let reader: CsvBlockReader | null = null;
  const schema = schemaOf(specs);
  // A column widened by a later block (see `csvBlocks`): the next pass reads it with the wider
  // type from the first row; `schema` changes in place.
  async function* widening(blocks: AsyncGenerator<TableBlock>): AsyncGenerator<TableBlock> {
    try {
      yield* blocks;
    } catch (err) {
      if (err instanceof TypeWidening && err.restartable) {
        const k = specs.findIndex((c) => c.name === err.column);
        specs[k] = { ...specs[k]!, type: err.to };
        schema[k]!.type = err.to;
      }
      throw err;
    }
  }
  const ranged = parts.flatMap((p) =>
    p.size === null ? [] : [{ path: p.path, size: p.size, header: p.header }],
  );
  const stream: TableStream = {
    schema,
    files: parts.map((p) => p.path),
    totalRows: null,
    blocks() {
      if (replay !== null) {
        if (passes > 0) {
          throw new InvalidInputError(
            "-: standard input can be read once; save it to a file for another pass",
          );
        }
        replay.finalPass();
      }
      passes++;
      const pass = specs.slice();
      const sequential = () => csvBlocks(parts, selected, pass, opts, blockRows, replay === null);
      active = widening(
        reader !== null && ranged.length === parts.length
          ? reader({
              parts: ranged,
              selected,
              specs: pass,
              opts,
              blockRows,
              bin: stream.bin,
              sequential,
            })
          : sequential(),
      );
      return active;
    },
    readCsvWith(r) {
      reader = r;
    },
    async close() {
      await active?.return(undefined);
      active = null;
      if (replay !== null && replay.readable !== process.stdin) replay.readable.destroy();
    },
  };
  return stream;
}

/**
 * CSV from a one-shot stream (`openTableStream("-")` uses standard input): the first block's
 * bytes are kept in memory to infer the types, then read again from memory.
 */
export async function openCsvReadableStream(
  name: string,
  readable: Readable,
  options: TableStreamOptions = {},
): Promise<TableStream> {
  return openOnePartCsv(name, options, () => {
    const replay = new ReplaySource(name, readable);
    return { source: replay.source, replay };
  });
}

/**
 * CSV held in memory (a request's body), read as a file is: header, types (forced or inferred
 * from the first block) and blocks, from the one buffer.
 */
export async function openCsvBytes(
  name: string,
  bytes: Buffer,
  options: TableStreamOptions = {},
): Promise<TableStream> {
  return openOnePartCsv(name, options, () => ({
    source: async function* () {
      yield bytes;
    },
    replay: null,
  }));
}

/** One CSV part with no file behind it: options checked first, then `open`ed and its header read. */
async function openOnePartCsv(
  name: string,
  options: TableStreamOptions,
  open: () => { source: ByteSource; replay: ReplaySource | null },
): Promise<TableStream> {
  const blockRows = checkBlockRows(name, options.blockRows ?? DEFAULT_BLOCK_ROWS);
  let opts = resolveReadOptions(name, options);
  const { source, replay } = open();
  const header = await readCsvHeader(name, source, opts);
  const select = options.select?.(header.names) ?? {};
  opts = resolveReadOptions(name, csvOptions({ ...options, ...select }, header.names));
  return openCsvStream([{ path: name, source, header, size: null }], opts, blockRows, replay);
}

/**
 * Opens a table for reading in blocks of `blockRows` rows.
 *
 * `input`: a `.parquet`, `.csv` or `.csv.gz` file; a directory (every part file in it ending in
 * those extensions, sorted by name; names starting with `.` or `_` are skipped); a glob with `*`
 * and `?` in the last path segment (`data/part-*.parquet`); an array of files (read in the
 * given order); or `-` for CSV on standard input (read once).
 *
 * Types: Parquet's come from the file schema (as `readTable`; `types` casts). CSV's are forced
 * by `types`, or inferred from the first `blockRows` rows and then forced on the rest: a later
 * field that does not fit is an error naming file, line, column and value (or null with
 * `nonNumeric: "null"` when it is not a number at all). An inferred int64 column meeting a
 * decimal that a double keeps, with every integer so far within ±2^53, throws a restartable
 * `TypeWidening` from `blocks()` (files only, not standard input): `schema` then says float64 and
 * the next `blocks()` reads the column so from the first row (`fitStream` and `compareTables`
 * start over by themselves).
 *
 * @throws IoError a file or directory is missing or unreadable.
 * @throws InvalidInputError bad options; an empty directory, a glob with no match, or mixed
 *   formats; parts whose columns (names, types, in order) differ (naming the first part and the
 *   differing one); a part that is not Parquet or is truncated (naming it); the errors of
 *   `readTable` for malformed CSV. Errors in later parts may surface from `blocks()`.
 */
export async function openTableStream(
  input: string | string[],
  options: TableStreamOptions = {},
): Promise<TableStream> {
  const what = Array.isArray(input) ? "input" : String(input);
  const blockRows = checkBlockRows(what, options.blockRows ?? DEFAULT_BLOCK_ROWS);
  const { files, family } = await resolveInputs(input);
  if (files.length === 1 && files[0] === STDIN_NAME) {
    const { arrow, readable } = await sniffStdin();
    if (arrow) return openArrowStream(files, options, blockRows, readable);
    return openCsvReadableStream(STDIN_NAME, readable, options);
  }
  if (family === "arrow") return openArrowStream(files, options, blockRows, null);
  let opts = resolveReadOptions(what, options);
  if (family === "parquet") {
    if (options.select !== undefined) {
      const all = resolveReadOptions(what, { ...options, columns: undefined, types: undefined });
      const names = await parquetColumnNames(files[0]!, all);
      opts = resolveReadOptions(what, { ...options, ...options.select(names) });
    }
    const wideAsText =
      options.wideAsText === true ? true : new Set(options.textColumns ?? ([] as string[]));
    return openParquetStream(files, { ...opts, wideAsText }, blockRows, options.rowRange ?? null);
  }
  const parts: CsvPart[] = [];
  for (const path of files) {
    const gzip = formatOf(path) === "csv.gz";
    const header = await readPartHeader(path, gzip, opts);
    const size = gzip ? null : await fileSize(path);
    parts.push({ path, source: partSource(path, gzip, STREAM_CHUNK_BYTES), header, size });
  }
  const names = parts[0]!.header.names;
  const select = options.select?.(names) ?? {};
  opts = resolveReadOptions(what, csvOptions({ ...options, ...select }, names));
  return openCsvStream(parts, opts, blockRows, null);
}
