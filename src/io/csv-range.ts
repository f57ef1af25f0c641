/**
 * One byte range of a CSV file read on its own, for reading a file on several threads
 * (`run/csv-parallel.ts` plans the ranges, checks them and puts the rows into blocks).
 *
 * A range is given by two byte offsets, `from` and `to`. Its records are those that start at or
 * after the first line start at `from` and before the first line start at `to` (a line start is
 * the byte after a line feed, or the end of the file); the last one may run past `to`. Where a
 * range really starts is known only to a reader that has read everything before it (a line feed
 * inside a quoted field, or after an escape character, is not a record end), so the range is
 * read *speculatively* from its first line start, and the caller accepts it only when the range
 * before it ended its last record exactly there (`next` of the one is `start` of the other):
 * the byte after a whole record is a record start, and a tokenizer started at a record start reads
 * what one that began at the file's first record reads. A range whose start turns out wrong is
 * read again from the right one (`trusted`).
 *
 * The records go through the same fast path, tokenizer and conversions as the one-thread reader
 * (`stream-csv.ts`), with the schema decided before the first block, so the values are the same.
 * With the fast path (`csv-scan.ts`: numeric columns), the range is read straight into its
 * WebAssembly memory.
 * Errors are not raised here: a range that the reader would reject (or that was read from a
 * wrong start) reports `error`, and the caller, once it knows the range is real, reads the file
 * again with the one-thread reader, which raises its exact error (file, line, column, value).
 */
import { isUtf8 } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";
import type { Column, Table } from "../core/table.js";
import { allocateColumn, type ColumnSpec } from "./columns.js";
import { convertContexts, convertTape } from "./csv-convert.js";
import { recordBatches } from "./csv-read.js";
import { scannerFor } from "./csv-scan.js";
import { CsvTokenizer, createTape } from "./csv-tokenizer.js";
import { errorMessage } from "./errors.js";
import type { ResolvedReadOptions } from "./options.js";
import { checkTimestampDigits } from "./stream-csv.js";

/** What a range reader needs: the file, the range, and how to read its records. */
export interface CsvRange {
  path: string;
  /** The file's size when the read began. */
  size: number;
  /** Start offset: where the first record starts (`trusted`), else its first line start is. */
  from: number;
  trusted: boolean;
  /** End offset: records from its first line start on belong to the next range. */
  to: number;
  /** Columns in the header. */
  fileColumns: number;
  /** File column of each selected column. */
  selected: readonly number[];
  /** The selected columns' types (decided before the first block). */
  specs: readonly ColumnSpec[];
  opts: ResolvedReadOptions;
  /** For messages only. */
  blockRows: number;
  /**
   * Columns to convert the first rows into (typed ones in shared memory, reused from range to
   * range, all of one length; null for a text column, which gets a column of that length), or
   * null; rows beyond that length go to new parts.
   */
  into: (Column | null)[] | null;
}

/** The records of a range, or why they could not be read. */
export interface CsvRangeResult {
  /** Where the first record was taken to start. */
  start: number;
  /** The byte after the last record read (≥ the end's line start, or the end of the file). */
  next: number;
  rows: number;
  /** The rows, in consecutive parts (the selected columns). */
  parts: Table[];
  /** Why the range cannot be read (any error of the reader), else null. */
  error: string | null;
}

/** First read beyond `to`: room for the record that crosses it. */
const SLACK_BYTES = 64 * 1024;
/** Fields per tape batch. */
const TAPE_FIELDS = 1 << 16;

/**
 * What a thread keeps from one range to the next: the byte buffer (when the fast path does not
 * hold the bytes), and the tokenizer and its tape with what they were made for. New memory is costly where first touching a page is (measured
 * here: 8 MiB of new memory took 24 ms to fill, the same memory again 0.5 ms), and new tapes made
 * V8 compile the tokenizer again.
 */
const kept: { bytes: Buffer | null; key: string; tok: CsvTokenizer | null } = {
  bytes: null,
  key: "",
  tok: null,
};

/**
 * Room for a window's bytes: a buffer of at least `n` bytes whose first `used` bytes are those of
 * `old` (null for the first).
 */
type Room = (n: number, old: Buffer | null, used: number) => Buffer;

/** Room on the heap: the kept byte buffer when it holds `n` bytes, else a new one (kept). */
const heapRoom: Room = (n, old, used) => {
  if (old === null && kept.bytes !== null && kept.bytes.length >= n) return kept.bytes;
  const grown = Buffer.allocUnsafe(n);
  if (old !== null) old.copy(grown, 0, 0, used);
  kept.bytes = grown;
  return grown;
};

/** The bytes of a file from `base` on, read as far as asked (never beyond `size`). */
class FileWindow {
  buf: Buffer;
  /** Bytes read: the window is [base, base + length). */
  length = 0;

  constructor(
    private readonly fd: number,
    readonly base: number,
    readonly size: number,
    end: number,
    private readonly room: Room,
  ) {
    this.buf = room(Math.max(0, Math.min(size, end) - base), null, 0);
    this.extend(end);
  }

  get end(): number {
    return this.base + this.length;
  }

  /** Reads up to file offset `end` (at least doubling the window, at most to the end). */
  extend(end: number): void {
    const want = Math.min(this.size, Math.max(end, this.base + 2 * this.length)) - this.base;
    if (want <= this.length) return;
    if (want > this.buf.length) this.buf = this.room(want, this.buf, this.length);
    while (this.length < want) {
      const n = readSync(this.fd, this.buf, this.length, want - this.length, this.end);
      if (n === 0)
        throw new Error(
          `${this.base + this.length}: the file ended early (it changed while it was read)`,
        );
      this.length += n;
    }
  }

  /** The first line start at or after file offset `at` (the end of the file if none). */
  lineStart(at: number): number {
    if (at >= this.size) return this.size;
    if (at <= this.base) return at;
    for (let from = at - 1; ; ) {
      const lf = this.buf.indexOf(10, from - this.base);
      if (lf >= 0 && lf < this.length) return this.base + lf + 1;
      if (this.end >= this.size) return this.size;
      from = this.end;
      this.extend(this.end + SLACK_BYTES);
    }
  }
}

/** A tokenizer for the range's file and columns: the one the last range used when it fits. */
function tokenizerFor(r: CsvRange): CsvTokenizer {
  const key = JSON.stringify([r.path, r.fileColumns, r.selected, r.opts.escapeChar]);
  if (kept.tok === null || kept.key !== key) {
    const width = Math.max(1, r.selected.length);
    const tape = createTape(r.selected.length, Math.max(1, Math.floor(TAPE_FIELDS / width)));
    kept.key = key;
    kept.tok = new CsvTokenizer(r.path, r.fileColumns, r.selected, tape, 1, r.opts.escapeChar);
  }
  kept.tok.line = 1;
  return kept.tok;
}

/** Sets the values of the null rows among [from, to) of a typed column to 0. */
function zeroNullRows(c: Column, from: number, to: number): void {
  if (c.type === "string" || c.nulls === null) return;
  const { nulls, values } = c;
  for (let r = from; r < to; r++) {
    if (nulls[r] !== 1) continue;
    if (values instanceof BigInt64Array) values[r] = 0n;
    else values[r] = 0;
  }
}

/** Reads one range (see the module comment); never throws. */
export function readCsvRange(r: CsvRange): CsvRangeResult {
  const result: CsvRangeResult = { start: r.from, next: r.from, rows: 0, parts: [], error: null };
  let fd = -1;
  try {
    fd = openSync(r.path, "r");
    const scanner = scannerFor(r);
    const room: Room = scanner === null ? heapRoom : (n) => scanner.window(n);
    const base = r.trusted ? r.from : Math.max(0, r.from - 1);
    const win = new FileWindow(fd, base, r.size, r.to + SLACK_BYTES, room);
    const start = r.trusted ? r.from : win.lineStart(r.from);
    const stop = Math.max(start, win.lineStart(r.to));
    result.start = start;
    const { opts, specs } = r;
    const tok = tokenizerFor(r);
    const tape = tok.tape;
    const ctx = convertContexts(r.path, specs, opts);
    const capacity = r.into?.find((c) => c !== null)?.values.length ?? 0;
    const first: Table | null =
      r.into === null
        ? null
        : {
            rows: 0,
            columns: specs.map((s, k) => r.into![k] ?? allocateColumn(s, capacity)),
          };
    if (first !== null) result.parts.push(first);
    /** Puts `count` rows, converted by `fill` into a column from a row, after those read. */
    /**
     * Puts `count` rows, converted by `fill` into a column from a row, after those read; `reused`:
     * the column is one of the given ones, whose memory an earlier range used.
     */
    const put = (
      count: number,
      fill: (c: Column, k: number, at: number, reused: boolean) => void,
    ): void => {
      // Into the given columns while they have room, else into columns of the batch's own
      // (never into an array that must then be replaced: V8 compiles for one object shape).
      const fits = first !== null && first.rows + count <= capacity;
      const at = fits ? first!.rows : 0;
      const columns = fits ? first!.columns : specs.map((s) => allocateColumn(s, count));
      for (let k = 0; k < specs.length; k++) fill(columns[k]!, k, at, fits);
      if (fits) first!.rows += count;
      else result.parts.push({ rows: count, columns });
      result.rows += count;
    };
    let pos = start - base;
    for (;;) {
      const eof = win.end >= r.size;
      const bytes = win.buf.subarray(0, win.length);
      const batches = recordBatches(bytes, pos, eof, stop - base, tok, scanner);
      for (let b = batches.next(); ; b = batches.next()) {
        if (b.done === true) {
          pos = b.value;
          break;
        }
        const n = b.value.fast;
        if (n > 0) {
          put(n, (c, k, at) => scanner!.copy(k, c, at, n));
          continue;
        }
        put(tape.count, (c, k, at, reused) => {
          const spec = specs[k]!;
          if (spec.type === "timestamp") {
            checkTimestampDigits(r.path, tape, k, bytes, spec, r.blockRows);
          }
          convertTape(tape, k, bytes, c, at, ctx[k]!);
          // Reused memory: a null row gets 0, as in a new array (a conversion leaves it alone).
          if (reused) zeroNullRows(c, at, at + tape.count);
        });
      }
      if (pos >= stop - base) break;
      if (tok.atEnd) {
        if (eof) break;
        win.extend(win.end + SLACK_BYTES);
      }
    }
    result.next = base + pos;
    if (opts.encoding === "utf8" && !isUtf8(win.buf.subarray(start - base, pos))) {
      throw new Error("not valid UTF-8");
    }
  } catch (err) {
    result.error = errorMessage(err);
    result.parts = [];
    result.rows = 0;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
  return result;
}
