/**
 * Reading a CSV file into a `Table` in two passes over its bytes: pass 1 tokenizes every record
 * and infers each column's type (over all rows, not a sample) and counts rows; pass 2 tokenizes
 * again and converts into typed arrays allocated once. Both passes walk the file batch by batch
 * (`scanRecords`), so memory beyond the table is one read chunk plus one tape.
 */
import { isUtf8 } from "node:buffer";
import { InvalidInputError } from "../core/errors.js";
import type { Column, Table } from "../core/table.js";
import { allocateColumn, type ColumnSpec } from "./columns.js";
import { type ConvertContext, convertTape } from "./csv-convert.js";
import { ColumnInference, inferTape, NullMatcher, scanTimestampDigits } from "./csv-infer.js";
import type { CsvScanner } from "./csv-scan.js";
import { type ByteSource, fileSource, gzipSource } from "./csv-source.js";
import {
  type CsvTape,
  CsvTokenizer,
  createTape,
  FLAG_ESCAPED,
  FLAG_RAW,
  MAX_COLUMNS,
  unescapeField,
} from "./csv-tokenizer.js";
import { type ResolvedReadOptions, selectColumns } from "./options.js";

/** Records the tokenizer reads after one the scanner does not take. */
const JS_RECORDS_AFTER_REFUSAL = 16;
/** Fields per tape: enough to amortise the per-batch work, small enough to stay in cache-ish. */
const TAPE_FIELDS = 1 << 18;

/** The header of a CSV file: column names and the byte offset where the records start. */
export interface CsvHeader {
  names: string[];
  /** Offset in the (decompressed) bytes of the first record. */
  dataStart: number;
  /** Line number of the first record. */
  firstLine: number;
}

/**
 * Column names from the header: empty names become `column<i>` (1-based), and a repeated name
 * gets a suffix `.1`, `.2`, … as pandas does, so every name is unique.
 */
export function uniqueNames(raw: readonly string[]): string[] {
  const named = raw.map((n, i) => (n === "" ? `column${i + 1}` : n));
  const taken = new Set(named);
  const seen = new Set<string>();
  return named.map((n) => {
    if (!seen.has(n)) {
      seen.add(n);
      return n;
    }
    let k = 1;
    while (taken.has(`${n}.${k}`)) k++;
    const renamed = `${n}.${k}`;
    taken.add(renamed);
    seen.add(renamed);
    return renamed;
  });
}

function utf8Error(path: string, line?: number): InvalidInputError {
  const where = line === undefined ? "" : ` (line ${line})`;
  return new InvalidInputError(
    `${path}: not valid UTF-8${where}; if the file is Latin-1 (ISO-8859-1), pass encoding: "latin1" (--encoding latin1)`,
  );
}

/**
 * Validates the UTF-8 of `buf` up to its last line feed (all of it at `eof`), before tokenizing,
 * so that a Latin-1 file gets this message rather than a confusing one about its fields. A
 * multi-byte character never contains a line feed byte, so cutting there is safe. `firstLine`
 * is the line number of `buf[0]`, for the message.
 */
function checkUtf8Lines(path: string, buf: Buffer, eof: boolean, firstLine: number): void {
  const end = eof ? buf.length : buf.lastIndexOf(10) + 1;
  if (end <= 0 || isUtf8(buf.subarray(0, end))) return;
  let line = firstLine;
  for (let s = 0; s < end; line++) {
    const lf = buf.indexOf(10, s);
    const e = lf < 0 || lf >= end ? end : lf + 1;
    if (!isUtf8(buf.subarray(s, e))) throw utf8Error(path, line);
    s = e;
  }
  throw utf8Error(path);
}

/** The text of a tape field: quotes removed, `""` and escapes resolved. */
export function fieldString(
  buf: Buffer,
  s: number,
  e: number,
  flags: number,
  opts: ResolvedReadOptions,
): string {
  const t = buf.toString(opts.encoding, s, e);
  if ((flags & FLAG_RAW) !== 0) return unescapeField(t, opts.escapeChar);
  return (flags & FLAG_ESCAPED) !== 0 ? t.replaceAll('""', '"') : t;
}

/** Scratch for reading headers, allocated once. */
let headerTape: CsvTape | null = null;
let headerSlots: number[] | null = null;

/** Reads the header record from the first bytes of the source. */
export async function readCsvHeader(
  path: string,
  source: ByteSource,
  opts: ResolvedReadOptions,
): Promise<CsvHeader> {
  let buf: Buffer = Buffer.alloc(0);
  const it = source();
  headerTape ??= createTape(MAX_COLUMNS, 1);
  headerSlots ??= Array.from({ length: MAX_COLUMNS }, (_, i) => i);
  const tape = headerTape;
  const all = headerSlots;
  try {
    for (;;) {
      const next = await it.next();
      const eof = next.done === true;
      if (!eof) buf = buf.length === 0 ? next.value! : Buffer.concat([buf, next.value!]);
      const start =
        opts.encoding === "utf8" && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
      const tok = new CsvTokenizer(path, MAX_COLUMNS, all, tape, 1, opts.escapeChar, true);
      const end = tok.tokenize(buf, start, eof);
      if (tape.count === 1) {
        if (tok.lastFieldCount > MAX_COLUMNS) {
          throw new InvalidInputError(`${path}: more than ${MAX_COLUMNS} columns`);
        }
        const raw: string[] = [];
        for (let i = 0; i < tok.lastFieldCount; i++) {
          const s = tape.starts[i]!;
          const e = tape.ends[i]!;
          if (opts.encoding === "utf8" && !isUtf8(buf.subarray(s, e))) throw utf8Error(path);
          raw.push(fieldString(buf, s, e, tape.flags[i]!, opts));
        }
        return { names: uniqueNames(raw), dataStart: end, firstLine: tok.line };
      }
      if (eof) {
        throw new InvalidInputError(
          `${path}: empty file; a CSV file needs a header row naming its columns`,
        );
      }
    }
  } finally {
    await it.return(undefined);
  }
}

/** What {@link scanRecords} yields: a tape of records, or `fast` records read by the scanner. */
export interface RecordBatch {
  /** Tokenized records (none when `fast` > 0). */
  tape: CsvTape;
  /** The bytes the tape's offsets point into (valid until the next batch). */
  buf: Buffer;
  /** Records the scanner read (its output holds them until the next batch), or 0. */
  fast: number;
}

/**
 * The records of `buf` from `pos` (a record start) on, as batches: those the scanner reads while
 * it takes them (`fast`; its input must hold `buf`'s bytes), then one batch of the tokenizer
 * (a few records only after one the scanner left), and so on. Returns the position after the
 * last record read once the tokenizer stops at the end of the bytes (`tok.atEnd`) or at `limit`
 * (no record starting at or after it is read).
 */
export function* recordBatches(
  buf: Buffer,
  pos: number,
  eof: boolean,
  limit: number,
  tok: CsvTokenizer,
  scanner: CsvScanner | null,
): Generator<RecordBatch, number> {
  const tape = tok.tape;
  for (;;) {
    while (scanner !== null) {
      const n = scanner.scan(pos, buf.length, limit, eof);
      pos = scanner.end;
      if (n > 0) {
        tok.line += n;
        tape.count = 0;
        yield { tape, buf, fast: n };
      }
      if (n < scanner.maxRows) break;
    }
    const most = scanner?.refused === true ? JS_RECORDS_AFTER_REFUSAL : tape.capacity;
    pos = tok.tokenize(buf, pos, eof, limit, most);
    if (tape.count > 0) yield { tape, buf, fast: 0 };
    if (tok.atEnd || pos >= limit) return pos;
  }
}

/**
 * Tokenizes every record after the header, yielding the tape after each batch together with the
 * buffer its offsets point into (valid until the next iteration). With `checkUtf8`, each batch's
 * bytes are validated first. With a `scanner` (`csv-scan.ts`, one of the reader's own), plain
 * records go through it and are yielded as `fast` batches, the others as tapes, in file order.
 */
export async function* scanRecords(
  path: string,
  source: ByteSource,
  header: CsvHeader,
  selected: readonly number[],
  opts: ResolvedReadOptions,
  checkUtf8: boolean,
  scanner: CsvScanner | null = null,
): AsyncGenerator<RecordBatch> {
  const tape = takeTape(selected.length);
  try {
    const tok = new CsvTokenizer(
      path,
      header.names.length,
      selected,
      tape,
      header.firstLine,
      opts.escapeChar,
    );
    let skip = header.dataStart;
    let carry: Buffer | null = null;
    const run = function* (chunk: Buffer, eof: boolean): Generator<RecordBatch, number> {
      if (checkUtf8) checkUtf8Lines(path, chunk, eof, tok.line);
      // The scanner reads from its own memory: the chunk is copied there.
      const buf = scanner === null ? chunk : scanner.window(chunk.length);
      if (buf !== chunk) chunk.copy(buf);
      return yield* recordBatches(buf, 0, eof, Number.POSITIVE_INFINITY, tok, scanner);
    };
    for await (let chunk of source()) {
      if (skip > 0) {
        if (chunk.length <= skip) {
          skip -= chunk.length;
          continue;
        }
        chunk = chunk.subarray(skip);
        skip = 0;
      }
      const buf: Buffer = carry === null ? chunk : Buffer.concat([carry, chunk]);
      const pos = yield* run(buf, false);
      carry = pos < buf.length ? buf.subarray(pos) : null;
    }
    if (carry !== null) {
      const pos = yield* run(carry, true);
      if (pos < carry.length)
        throw new Error(`${path}: internal error: unread bytes at end of file`);
    }
  } finally {
    if (spareTapes.length < 4) spareTapes.push(tape);
  }
}

/**
 * Tapes of passes that ended, for the next ones: a tape is a few MB, and a service reads many
 * small bodies (one pass each).
 */
const spareTapes: CsvTape[] = [];

function takeTape(columns: number): CsvTape {
  const i = spareTapes.findIndex((t) => t.width === columns);
  if (i < 0)
    return createTape(columns, Math.max(1, Math.floor(TAPE_FIELDS / Math.max(1, columns))));
  const t = spareTapes.splice(i, 1)[0]!;
  t.count = 0;
  return t;
}

/** Reads a whole CSV (or gzip-compressed CSV) file into memory. */
export async function readCsv(
  path: string,
  size: number,
  gzip: boolean,
  opts: ResolvedReadOptions,
): Promise<Table> {
  const source = gzip ? gzipSource(path, size) : fileSource(path, size);
  const header = await readCsvHeader(path, source, opts);
  const selected = selectColumns(path, header.names, opts);
  const names = selected.map((i) => header.names[i]!);
  const nullMatcher = new NullMatcher(opts.nullValues, opts.encoding);

  // Pass 1: count rows, infer types, parse what may be numbers.
  const inference = names.map(() => new ColumnInference());
  const forcedTypes = names.map((n) => opts.types.get(n));
  let rows = 0;
  for await (const { tape, buf } of scanRecords(
    path,
    source,
    header,
    selected,
    opts,
    opts.encoding === "utf8",
  )) {
    for (let k = 0; k < names.length; k++) {
      const forced = forcedTypes[k];
      if (forced === undefined) inferTape(tape, k, buf, inference[k]!, nullMatcher, rows);
      else if (forced === "timestamp") scanTimestampDigits(tape, k, buf, inference[k]!);
    }
    rows += tape.count;
  }

  const columns: Column[] = [];
  const pending: number[] = [];
  for (let k = 0; k < names.length; k++) {
    const st = inference[k]!;
    const decided = st.decide();
    const forced = forcedTypes[k];
    const spec: ColumnSpec = { name: names[k]!, type: forced ?? decided.type, unit: decided.unit };
    const done = forced === undefined ? fromSpeculative(spec, st, rows) : null;
    if (done !== null) {
      columns.push(done);
    } else {
      columns.push(allocateColumn(spec, rows));
      pending.push(k);
    }
    st.values = st.nullMask = null;
  }
  if (pending.length === 0 || rows === 0) return { rows, columns };

  // Pass 2: convert the columns pass 1 could not finish.
  const contexts: ConvertContext[] = names.map((name) => ({
    path,
    encoding: opts.encoding,
    escapeChar: opts.escapeChar,
    nulls: nullMatcher,
    forced: opts.types.has(name),
    nonNumeric: opts.nonNumeric,
  }));
  let offset = 0;
  for await (const { tape, buf } of scanRecords(path, source, header, selected, opts, false)) {
    for (const k of pending) convertTape(tape, k, buf, columns[k]!, offset, contexts[k]!);
    offset += tape.count;
  }
  if (offset !== rows) {
    throw new InvalidInputError(
      `${path}: the file changed while it was read (${rows} rows, then ${offset})`,
    );
  }
  return { rows, columns };
}

const TWO32 = 4294967296;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The column from pass 1's parsed numbers when they are final: float64, or int64 whose integers
 * all have at most 15 digits (exact in a double). Null when pass 2 must convert the column.
 */
function fromSpeculative(spec: ColumnSpec, st: ColumnInference, rows: number): Column | null {
  const v = st.values;
  if (v === null || (spec.type !== "float64" && spec.type !== "int64")) return null;
  const mask = st.nullMask;
  const nulls = mask === null ? null : mask.length === rows ? mask : mask.slice(0, rows);
  if (spec.type === "float64") {
    return {
      name: spec.name,
      type: "float64",
      values: v.length === rows ? v : v.slice(0, rows),
      nulls,
    };
  }
  if (st.maxSig > 15 || !LITTLE_ENDIAN) return null;
  const values = new BigInt64Array(rows);
  const words = new Int32Array(values.buffer, 0, rows * 2);
  for (let i = 0; i < rows; i++) {
    const x = v[i]!;
    if (x >= 0 && x < 2147483648) {
      words[2 * i] = x;
    } else {
      const hi = Math.floor(x / TWO32);
      words[2 * i] = x - hi * TWO32;
      words[2 * i + 1] = hi;
    }
  }
  return { name: spec.name, type: "int64", values, nulls };
}
