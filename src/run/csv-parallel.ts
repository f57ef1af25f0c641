/**
 * CSV files read on the worker pool: each part is cut into byte ranges of `RANGE_BYTES`, the
 * ranges are read on the workers (`io/csv-range.ts`: tokenized and converted straight into typed
 * arrays), and this thread checks that each range starts where the one before it ended, and
 * copies the rows into blocks of exactly `blockRows` rows: the blocks of the one-thread reader,
 * value for value, whatever the number of workers.
 *
 * - A range read from a wrong start (its first line start was inside a quoted field) is read
 *   again from the right one: correct, only slower, for files with many line breaks in fields.
 * - A range the reader rejects (or any error in reading one): the file is read again by the
 *   stream's own one-thread reader up to the error, which then raises exactly the error it always
 *   raises (file, line, column, value; or the restartable widening of an inferred int64 column).
 *   Rows of earlier blocks have gone on meanwhile, as with that reader.
 * - A file without a line feed (lone CR line ends) is one range: read by one worker.
 *
 * Memory: at most `2 × workers` ranges in flight (each about `RANGE_BYTES` of text and its
 * columns) plus the block being filled.
 */
import { type ArrayBin, nullMaskFor, sharedBlockBin } from "../core/array-bin.js";
import { type Column, copyRows, type Table } from "../core/table.js";
import { allocateColumnFrom, type ColumnSpec } from "../io/columns.js";
import type { CsvRange, CsvRangeResult } from "../io/csv-range.js";
import type { CsvBlockReader, CsvReadJob, TableBlock } from "../io/stream.js";
import { quiet } from "./errors.js";
import type { WorkerPool } from "./pool.js";

/**
 * Bytes of text per range: 4 MiB ranges made a 10M-row CSV transform about 8 % faster than 8 MiB
 * ones (the first block is ready sooner, less new memory to touch), 2 MiB no faster again.
 */
export const RANGE_BYTES = 4 * 1024 * 1024;

/** A reader of CSV passes on `pool` (for `TableStream.readCsvWith`). */
export function parallelCsvReader(pool: WorkerPool, rangeBytes = RANGE_BYTES): CsvBlockReader {
  return (job) => parallelBlocks(job, pool, rangeBytes);
}

/** Rows copied into blocks of exactly `blockRows` rows. */
class BlockFiller {
  private columns: Column[];
  private filled = 0;
  private firstRow = 0;

  constructor(
    private readonly specs: readonly ColumnSpec[],
    private readonly blockRows: number,
    private readonly bin: ArrayBin | undefined,
  ) {
    this.columns = this.fresh();
  }

  private fresh(): Column[] {
    return this.specs.map((s) => allocateColumnFrom(this.bin ?? null, s, this.blockRows));
  }

  /** Adds rows; yields each block it fills. */
  *add(t: Table): Generator<TableBlock> {
    let from = 0;
    while (from < t.rows) {
      const take = Math.min(t.rows - from, this.blockRows - this.filled);
      for (let k = 0; k < this.columns.length; k++) {
        copyInto(t.columns[k]!, from, take, this.columns[k]!, this.filled);
      }
      from += take;
      this.filled += take;
      if (this.filled === this.blockRows) {
        yield { firstRow: this.firstRow, table: { rows: this.filled, columns: this.columns } };
        this.firstRow += this.filled;
        this.filled = 0;
        this.columns = this.fresh();
      }
    }
  }

  /** The last block (shorter), if any rows are left. */
  *finish(): Generator<TableBlock> {
    const n = this.filled;
    if (n === 0) return;
    // Arrays of its own size (the block's may be larger, from the bin).
    const table = copyRows(this.columns, 0, n);
    for (const c of this.columns) this.bin?.putColumn(c);
    yield { firstRow: this.firstRow, table };
  }
}

/** Copies rows [from, from + n) of `src` to row `at` of `dst` (same type), null masks included. */
function copyInto(src: Column, from: number, n: number, dst: Column, at: number): void {
  if (src.type === "string" || dst.type === "string") {
    const s = src.values as (string | null)[];
    const d = dst.values as (string | null)[];
    for (let i = 0; i < n; i++) d[at + i] = s[from + i]!;
    return;
  }
  (dst.values as Float64Array).set((src.values as Float64Array).subarray(from, from + n), at);
  const flags = src.nulls?.subarray(from, from + n);
  // A mask only for a block with nulls, as the one-thread reader makes them.
  if (flags !== undefined && (dst.nulls !== null || flags.includes(1))) {
    dst.nulls ??= nullMaskFor(dst.values, dst.values.length);
    dst.nulls.set(flags, at);
  } else if (dst.nulls !== null) {
    dst.nulls.fill(0, at, at + n);
  }
}

/**
 * Shared columns of `rows` rows for a range's first rows (null for text columns), or null when
 * there is no typed column.
 */
function intoColumns(
  bin: ArrayBin,
  specs: readonly ColumnSpec[],
  rows: number,
): (Column | null)[] | null {
  if (specs.every((s) => s.type === "string")) return null;
  return specs.map((s) => (s.type === "string" ? null : allocateColumnFrom(bin, s, rows)));
}

/** Puts a range's shared arrays back in the bin (the rows have been copied). */
function giveBack(bin: ArrayBin, r: CsvRangeResult): void {
  for (const t of r.parts) bin.putTable(t);
}

/** The ranges of a part: [from, to) offsets, the first one from its first record. */
function rangesOf(
  dataStart: number,
  size: number,
  rangeBytes: number,
): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  for (let from = dataStart; from < size || out.length === 0; from += rangeBytes) {
    out.push({ from, to: Math.min(size, from + rangeBytes) });
  }
  return out;
}

async function* parallelBlocks(
  job: CsvReadJob,
  pool: WorkerPool,
  rangeBytes: number,
): AsyncGenerator<TableBlock> {
  const filler = new BlockFiller(job.specs, job.blockRows, job.bin);
  const inFlight = 2 * pool.size;
  // Ranges are read into shared columns that come back here for the next ones.
  const bin = sharedBlockBin();
  let rowsPerByte = 0;
  for (const part of job.parts) {
    const ranges = rangesOf(part.header.dataStart, part.size, rangeBytes);
    rowsPerByte ||= 1 / (4 * Math.max(1, part.header.names.length));
    const task = (from: number, to: number, trusted: boolean): CsvRange => ({
      into: intoColumns(bin, job.specs, Math.ceil((to - from) * rowsPerByte * 1.2) + 1024),
      path: part.path,
      size: part.size,
      from,
      to,
      trusted,
      fileColumns: part.header.names.length,
      selected: job.selected,
      specs: job.specs,
      opts: job.opts,
      blockRows: job.blockRows,
    });
    const queue: Promise<CsvRangeResult>[] = [];
    let next = 0;
    let expected = part.header.dataStart;
    try {
      for (let i = 0; i < ranges.length; i++) {
        while (next < ranges.length && queue.length < inFlight) {
          const r = ranges[next]!;
          queue.push(quiet(pool.run({ kind: "csv-range", range: task(r.from, r.to, next === 0) })));
          next++;
        }
        let got = await queue.shift()!;
        if (got.start !== expected) {
          // Its first line start was not a record start: read it from the one that is.
          giveBack(bin, got);
          got = await pool.run({
            kind: "csv-range",
            range: task(expected, ranges[i]!.to, true),
          });
        }
        if (got.error !== null) {
          return await failLikeSequential(job, part.path, got.error);
        }
        if (got.rows > 0) rowsPerByte = got.rows / (got.next - got.start);
        expected = got.next;
        for (const t of got.parts) yield* filler.add(t);
        giveBack(bin, got);
      }
    } finally {
      for (const r of await Promise.allSettled(queue)) {
        if (r.status === "fulfilled") giveBack(bin, r.value);
      }
    }
    if (expected !== part.size) {
      return await failLikeSequential(job, part.path, `read to byte ${expected} of ${part.size}`);
    }
  }
  yield* filler.finish();
}

/**
 * Reads the pass again with the stream's own reader, which raises its error for the range a
 * worker could not read; never returns normally.
 */
async function failLikeSequential(job: CsvReadJob, path: string, why: string): Promise<never> {
  for await (const b of job.sequential()) job.bin?.putTable(b.table);
  throw new Error(
    `${path}: internal error: reading it in ranges failed (${why}), but reading it in one pass did not`,
  );
}
