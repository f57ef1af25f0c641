/**
 * CSV in fixed-size blocks: the bytes of each part are read in `STREAM_CHUNK_BYTES` pieces and
 * tokenized batch by batch (`scanRecords`); each batch's records are converted straight into the
 * current block's columns. Memory is one block plus one chunk, whatever the size of the input.
 *
 * Types are decided once, before the first block: forced by `types`, else inferred (as
 * `readTable` infers, see `csv-infer.ts`) from the first `blockRows` rows of the stream (which
 * may span parts), and then forced on every later row. A later field that does not fit is an
 * `InvalidInputError` naming the part, line, column and value and the CLI options that read it
 * (a `TypeWidening` when an inferred int64 column meets a decimal a double keeps and every
 * integer so far is within ±2^53: the stream then reads the column as float64 on its next pass,
 * see `openTableStream`); a timestamp with more fraction digits than the unit chosen from the
 * first block is one too, never silently truncated.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { InvalidInputError } from "../core/errors.js";
import type { Column, Table, TimeUnit } from "../core/table.js";
import { allocateColumn, type ColumnSpec } from "./columns.js";
import { type ConvertContext, convertContexts, convertTape, FieldError } from "./csv-convert.js";
import {
  ColumnInference,
  inferTape,
  NullMatcher,
  scanTimestampDigits,
  trimEnd,
  trimStart,
} from "./csv-infer.js";
import { NUM_FLOAT, NUM_NONE } from "./csv-number.js";
import { type CsvHeader, readCsvHeader, scanRecords } from "./csv-read.js";
import { inferNumericTypes, ownScanner, releaseScanner } from "./csv-scan.js";
import type { ByteSource } from "./csv-source.js";
import { type CsvTape, FLAG_RAW } from "./csv-tokenizer.js";
import { errorCode, errorMessage, IoError, TypeWidening } from "./errors.js";
import { type ResolvedReadOptions, selectColumns } from "./options.js";
import { parsedTime, parseIsoTimestamp, unitForFractionDigits } from "./timestamp.js";

/** Size of the pieces a part is read in (decompressed bytes for `.csv.gz`). */
export const STREAM_CHUNK_BYTES = 4 * 1024 * 1024;
/** Read size for headers only. */
const HEADER_CHUNK_BYTES = 64 * 1024;

/** Coalesces a stream's buffers into pieces of about `target` bytes. */
async function* coalesce(chunks: AsyncIterable<Buffer>, target: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let bytes = 0;
  for await (const c of chunks) {
    const b = typeof c === "string" ? Buffer.from(c) : c;
    if (bytes === 0 && b.length >= target) {
      yield b;
      continue;
    }
    pending.push(b);
    bytes += b.length;
    if (bytes >= target) {
      yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, bytes);
      pending = [];
      bytes = 0;
    }
  }
  if (bytes > 0) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, bytes);
}

/** Maps the errors of reading a part to `IoError` (file system) or `InvalidInputError` (gzip). */
async function* mapErrors(path: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } catch (err) {
    if (err instanceof InvalidInputError || err instanceof IoError) throw err;
    const code = errorCode(err);
    if (code?.startsWith("Z_") === true || code === "ERR_ZLIB_INITIALIZATION_FAILED") {
      throw new InvalidInputError(
        `${path}: not a valid gzip file, or truncated: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    throw new IoError(`${path}: cannot read: ${errorMessage(err)}`, { cause: err });
  }
}

/** A fresh byte source over a part file, read in pieces of `chunkBytes` (never whole). */
export function partSource(path: string, gzip: boolean, chunkBytes: number): ByteSource {
  return () => {
    const file = createReadStream(path, { highWaterMark: chunkBytes });
    if (!gzip) return mapErrors(path, file);
    const gunzip = createGunzip({ chunkSize: Math.min(chunkBytes, 1 << 20) });
    file.on("error", (err) => gunzip.destroy(err));
    file.pipe(gunzip);
    return mapErrors(path, coalesce(gunzip, chunkBytes));
  };
}

/**
 * A source over a one-shot stream (standard input) that can be read from the start again: while
 * recording, the pieces read are kept and replayed by the next call; `finalPass()` makes the
 * next call the last one, which releases the kept pieces as it replays them.
 */
export class ReplaySource {
  private kept: Buffer[] = [];
  private recording = true;
  private readonly it: AsyncIterator<Buffer>;

  constructor(
    name: string,
    readonly readable: Readable,
  ) {
    this.it = mapErrors(name, coalesce(readable, STREAM_CHUNK_BYTES))[Symbol.asyncIterator]();
  }

  finalPass(): void {
    this.recording = false;
  }

  readonly source: ByteSource = async function* (this: ReplaySource) {
    let i = 0;
    for (;;) {
      if (this.recording) {
        if (i < this.kept.length) {
          yield this.kept[i++]!;
          continue;
        }
      } else if (this.kept.length > 0) {
        yield this.kept.shift()!;
        continue;
      }
      const next = await this.it.next();
      if (next.done === true) return;
      if (this.recording) {
        this.kept.push(next.value);
        i++;
      }
      yield next.value;
    }
  }.bind(this);
}

/** One CSV part: its name (for messages), how to read it, and its header once read. */
export interface CsvPart {
  path: string;
  /** A source from the start of the part. */
  source: ByteSource;
  header: CsvHeader;
  /** Its size in bytes when it can be read by byte ranges (a plain file), else null. */
  size: number | null;
}

/** Records `[from, from + n)` of a tape as a tape of their own (views, no copy). */
function subTape(tape: CsvTape, from: number, n: number): CsvTape {
  if (from === 0 && n === tape.count) return tape;
  const w = tape.width;
  return {
    capacity: n,
    width: w,
    starts: tape.starts.subarray(from * w),
    ends: tape.ends.subarray(from * w),
    flags: tape.flags.subarray(from * w),
    lines: tape.lines.subarray(from),
    count: n,
  };
}

const UNIT_RANK: Record<TimeUnit, number> = { s: 0, ms: 1, us: 2, ns: 3 };

/** Rejects a timestamp whose fraction digits the column's unit (chosen earlier) would cut. */
export function checkTimestampDigits(
  path: string,
  tape: CsvTape,
  k: number,
  buf: Buffer,
  spec: ColumnSpec,
  blockRows: number,
): void {
  const { starts, ends, flags, width, count, lines } = tape;
  const rank = UNIT_RANK[spec.unit];
  if (rank === UNIT_RANK.ns) return;
  for (let r = 0, idx = k; r < count; r++, idx += width) {
    if ((flags[idx]! & FLAG_RAW) !== 0) continue;
    const s = trimStart(buf, starts[idx]!, ends[idx]!);
    const e = trimEnd(buf, s, ends[idx]!);
    if (!parseIsoTimestamp(buf, s, e)) continue;
    const needed = unitForFractionDigits(parsedTime.digits);
    if (UNIT_RANK[needed] > rank) {
      throw new InvalidInputError(
        `${path}: line ${lines[r]}, column "${spec.name}": ${JSON.stringify(buf.toString("utf8", s, e))} has ${parsedTime.digits} fraction digits, but the column's unit ${spec.unit} was chosen from the first ${blockRows} rows; read with a larger blockRows, or round the values`,
      );
    }
  }
}

/** Decides the selected columns' specs from the first `blockRows` rows of the parts. */
export async function inferCsvSchema(
  parts: readonly CsvPart[],
  opts: ResolvedReadOptions,
  blockRows: number,
): Promise<{ selected: number[]; specs: ColumnSpec[] }> {
  const first = parts[0]!;
  const selected = selectColumns(first.path, first.header.names, opts);
  const names = selected.map((i) => first.header.names[i]!);
  const forced = names.map((n) => opts.types.get(n));
  const inference = names.map(() => new ColumnInference());
  const nulls = new NullMatcher(opts.nullValues, opts.encoding);
  const needInference = forced.some((t) => t === undefined || t === "timestamp");
  // Numeric columns of a plain file: the fast path reads the first rows (or says it cannot).
  const fast =
    needInference && first.size !== null
      ? inferNumericTypes(
          first.path,
          first.size,
          first.header.dataStart,
          { fileColumns: first.header.names.length, selected, forced, opts },
          blockRows,
          parts.length > 1,
        )
      : null;
  if (fast !== null) {
    const unit = unitForFractionDigits(0);
    return { selected, specs: names.map((name, k) => ({ name, type: fast[k]!, unit })) };
  }
  let rows = 0;
  for (const part of parts) {
    if (!needInference || rows >= blockRows) break;
    const scan = scanRecords(
      part.path,
      part.source,
      part.header,
      selected,
      opts,
      opts.encoding === "utf8",
    );
    for await (const { tape: whole, buf } of scan) {
      const tape = subTape(whole, 0, Math.min(whole.count, blockRows - rows));
      for (let k = 0; k < names.length; k++) {
        const f = forced[k];
        // Offset 0: the speculative values inferTape keeps are not used here, and writing every
        // batch at row 0 keeps them one tape long instead of one block long.
        if (f === undefined) inferTape(tape, k, buf, inference[k]!, nulls, 0);
        else if (f === "timestamp") scanTimestampDigits(tape, k, buf, inference[k]!);
      }
      rows += tape.count;
      if (rows >= blockRows) break;
    }
  }
  const specs = names.map((name, k): ColumnSpec => {
    const decided = inference[k]!.decide();
    return { name, type: forced[k] ?? decided.type, unit: decided.unit };
  });
  return { selected, specs };
}

/** Rewords a conversion error of a column whose type was inferred, and says how to force it. */
function inferredTypeError(
  err: InvalidInputError,
  spec: ColumnSpec,
  blockRows: number,
): InvalidInputError {
  const msg = err.message
    .replace(
      `(forced type ${spec.type})`,
      `(type ${spec.type}, inferred from the first ${blockRows} rows)`,
    )
    .replace(/; (fix the value, or )?(read|to keep).*$/, "");
  const name = JSON.stringify(spec.name);
  const numeric = err instanceof FieldError && err.kind !== NUM_NONE;
  const fix =
    numeric && (spec.type === "int64" || spec.type === "int32")
      ? `read it as float64 from the start (fit with --continuous ${name}) or as text (--categorical ${name})`
      : `read it as text from the start (fit with --categorical ${name})`;
  return new InvalidInputError(`${msg}; ${fix}, or infer types from more rows (--block-rows)`, {
    cause: err,
  });
}

/**
 * The error for an inferred int64 column meeting a number that is not an integer: a
 * `TypeWidening` to float64 when a double holds that number and every integer read so far
 * (|v| <= 2^53), else the reworded error with the options that fix it.
 */
function widenOrFail(
  err: FieldError,
  spec: ColumnSpec,
  ctx: ConvertContext,
  blockRows: number,
  restartable: boolean,
): InvalidInputError {
  if (spec.type !== "int64" || err.kind !== NUM_FLOAT)
    return inferredTypeError(err, spec, blockRows);
  const name = JSON.stringify(spec.name);
  const big = ctx.beyond53;
  if (big !== null && big !== undefined) {
    return new InvalidInputError(
      `${ctx.path}: line ${err.line}, column ${name}: ${JSON.stringify(err.text)} is not an integer, and the column (int64, inferred from the first ${blockRows} rows) holds integers float64 cannot hold exactly (${big.where}: ${big.text}); read the column as text (fit with --categorical ${name}), or round the values in the file`,
      { cause: err },
    );
  }
  return new TypeWidening(
    `${ctx.path}: line ${err.line}, column ${name}: ${JSON.stringify(err.text)} is not an integer, but the column's type int64 was inferred from the first ${blockRows} rows; read it as float64 from the start (fit with --continuous ${name}), or infer types from more rows (--block-rows)`,
    spec.name,
    "float64",
    restartable,
  );
}

/**
 * Blocks of exactly `blockRows` rows (the last may be shorter; none for no rows) over the parts
 * in order, a block spanning parts where they end inside it. An inferred int64 column that
 * meets a decimal throws a `TypeWidening` (see `widenOrFail`).
 */
export async function* csvBlocks(
  parts: readonly CsvPart[],
  selected: readonly number[],
  specs: readonly ColumnSpec[],
  opts: ResolvedReadOptions,
  blockRows: number,
  restartable = false,
): AsyncGenerator<{ firstRow: number; table: Table }> {
  const userForced = specs.map((s) => opts.types.has(s.name));
  const ctx = convertContexts("", specs, opts);
  let columns: Column[] = specs.map((s) => allocateColumn(s, blockRows));
  let filled = 0;
  let firstRow = 0;
  // A scanner of the pass's own (the pass yields blocks between batches); every part has the
  // first one's columns.
  const fileColumns = parts[0]?.header.names.length ?? 0;
  const scanner = parts.length === 0 ? null : ownScanner({ fileColumns, selected, specs, opts });
  try {
    for (const part of parts) {
      for (const c of ctx) c.path = part.path;
      const scan = scanRecords(
        part.path,
        part.source,
        part.header,
        selected,
        opts,
        opts.encoding === "utf8",
        scanner,
      );
      for await (const { tape, buf, fast } of scan) {
        if (fast > 0) {
          // Every record of the batch is copied before a block is handed on.
          const full: Table[] = [];
          for (let used = 0; used < fast; ) {
            const take = Math.min(fast - used, blockRows - filled);
            for (let k = 0; k < specs.length; k++) {
              scanner!.copy(k, columns[k]!, filled, take, used);
            }
            used += take;
            filled += take;
            if (filled === blockRows) {
              full.push({ rows: filled, columns });
              filled = 0;
              columns = specs.map((s) => allocateColumn(s, blockRows));
            }
          }
          for (const table of full) {
            yield { firstRow, table };
            firstRow += table.rows;
          }
          continue;
        }
        let used = 0;
        while (used < tape.count) {
          const take = Math.min(tape.count - used, blockRows - filled);
          const sub = subTape(tape, used, take);
          for (let k = 0; k < specs.length; k++) {
            const spec = specs[k]!;
            if (spec.type === "timestamp") {
              checkTimestampDigits(part.path, sub, k, buf, spec, blockRows);
            }
            try {
              convertTape(sub, k, buf, columns[k]!, filled, ctx[k]!);
            } catch (err) {
              if (err instanceof FieldError && !userForced[k]) {
                throw widenOrFail(err, spec, ctx[k]!, blockRows, restartable);
              }
              if (err instanceof InvalidInputError && !userForced[k]) {
                throw inferredTypeError(err, spec, blockRows);
              }
              throw err;
            }
          }
          used += take;
          filled += take;
          if (filled === blockRows) {
            yield { firstRow, table: { rows: filled, columns } };
            firstRow += filled;
            filled = 0;
            columns = specs.map((s) => allocateColumn(s, blockRows));
          }
        }
      }
    }
    if (filled > 0)
      yield { firstRow, table: { rows: filled, columns: columns.map((c) => truncate(c, filled)) } };
  } finally {
    if (scanner !== null) releaseScanner(scanner);
  }
}

/** The first `n` rows of a column, copied (so the block owns right-sized arrays). */
function truncate(c: Column, n: number): Column {
  if (c.type === "string") return { ...c, values: c.values.slice(0, n) };
  const nulls = c.nulls === null ? null : c.nulls.slice(0, n);
  return { ...c, values: c.values.slice(0, n), nulls } as Column;
}

/** Reads a part's header through a small-chunk source (so a header costs ~64 KiB of reading). */
export async function readPartHeader(
  path: string,
  gzip: boolean,
  opts: ResolvedReadOptions,
): Promise<CsvHeader> {
  return readCsvHeader(path, partSource(path, gzip, HEADER_CHUNK_BYTES), opts);
}

/** Checks that a part's header names the same columns, in order, as the first part's. */
export function checkSameHeader(first: CsvPart, part: CsvPart): void {
  const a = first.header.names;
  const b = part.header.names;
  if (a.length === b.length && a.every((n, i) => n === b[i])) return;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const what =
    i < a.length && i < b.length
      ? `column ${i + 1} is ${JSON.stringify(a[i])} in the first and ${JSON.stringify(b[i])} in the other`
      : `the first has ${a.length} columns, the other ${b.length}`;
  throw new InvalidInputError(
    `${part.path}: its header differs from the first part ${first.path}: ${what}; every part must have the same columns in the same order`,
  );
}
