/**
 * A Parquet writer for tables of fixed-width columns (float64, float32, int64, int32, bool), at
 * memory speed: the typed arrays go to the file as they are (PLAIN encoding, no compression), and
 * int32 columns of a small value range (modes, category indices) as dictionary indices packed into
 * a few bits. Strings and timestamps are written by DuckDB instead (see `parquet-write.ts`).
 *
 * Why not DuckDB here: for the encoded layout (alpha float64, mode int32, residual float64 mostly
 * null) DuckDB's appender + `COPY … (FORMAT parquet)` costs 80–120 ns a row on this machine, more
 * than reading and encoding together; this writer costs a few ns a row. The alpha column has close
 * to 8 random bytes a value, so compression saves little on it; the mode column shrinks from 4
 * bytes to its dictionary bit width (4 bits for up to 16 codes).
 *
 * Layout, in the terms of the Parquet format specification (parquet-format, `parquet.thrift`):
 * `PAR1`, row groups of {@link ROW_GROUP_ROWS} rows, each with one column chunk per column made of
 * an optional dictionary page (PLAIN) and one data page v1 (PLAIN or RLE_DICTIONARY values,
 * definition levels RLE / bit-packed with bit width 1: every column is OPTIONAL, as DuckDB
 * writes them), then the `FileMetaData` footer in the Thrift compact protocol, its length and
 * `PAR1`. No statistics are written.
 */
import type { Column, Table } from "../core/table.js";
import { createSequentialFile } from "./direct-write.js";

/** Rows per row group (and per data page). */
export const ROW_GROUP_ROWS = 131_072;

/** Widest value range (max − min + 1) of an int32 chunk written with a dictionary. */
const DICT_RANGE = 4096;

// parquet.thrift enums.
const TYPE_BOOLEAN = 0;
const TYPE_INT32 = 1;
const TYPE_INT64 = 2;
const TYPE_FLOAT = 4;
const TYPE_DOUBLE = 5;
const OPTIONAL = 1;
const ENC_PLAIN = 0;
const ENC_RLE = 3;
const ENC_RLE_DICTIONARY = 8;
const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;
const CODEC_UNCOMPRESSED = 0;

// Thrift compact protocol type codes.
const CT_TRUE = 1;
const CT_I32 = 5;
const CT_I64 = 6;
const CT_BINARY = 8;
const CT_LIST = 9;
const CT_STRUCT = 12;

/** A column type this writer takes. */
export type FixedColumn = Extract<
  Column,
  { type: "float64" | "float32" | "int64" | "int32" | "bool" }
>;

/** Whether every column of `table` is one this writer takes. */
export function isFixedWidthTable(table: Table): boolean {
  return table.columns.every(
    (c) =>
      c.type === "float64" ||
      c.type === "float32" ||
      c.type === "int64" ||
      c.type === "int32" ||
      c.type === "bool",
  );
}

/** A growable byte buffer with the Thrift compact protocol's encodings. */
class ThriftWriter {
  bytes = new Uint8Array(256);
  length = 0;
  private last: number[] = [0];

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.bytes.subarray(0, this.length));
    this.bytes = b;
  }

  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }

  /** Unsigned varint of a non-negative integer below 2^53. */
  varint(v: number): void {
    this.reserve(10);
    while (v >= 128) {
      this.bytes[this.length++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.bytes[this.length++] = v;
  }

  /** Zigzag varint of an integer of magnitude below 2^52. */
  zigzag(v: number): void {
    this.varint(v >= 0 ? 2 * v : -2 * v - 1);
  }

  private header(id: number, type: number): void {
    const top = this.last.length - 1;
    const delta = id - this.last[top]!;
    if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
    else {
      this.byte(type);
      this.zigzag(id);
    }
    this.last[top] = id;
  }

  i32(id: number, v: number): void {
    this.header(id, CT_I32);
    this.zigzag(v);
  }

  i64(id: number, v: number): void {
    this.header(id, CT_I64);
    this.zigzag(v);
  }

  boolTrue(id: number): void {
    this.header(id, CT_TRUE);
  }

  private rawString(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.varint(b.length);
    this.reserve(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  string(id: number, s: string): void {
    this.header(id, CT_BINARY);
    this.rawString(s);
  }

  private listHeader(id: number, size: number, elem: number): void {
    this.header(id, CT_LIST);
    if (size < 15) this.byte((size << 4) | elem);
    else {
      this.byte(0xf0 | elem);
      this.varint(size);
    }
  }

  i32List(id: number, values: readonly number[]): void {
    this.listHeader(id, values.length, CT_I32);
    for (const v of values) this.zigzag(v);
  }

  stringList(id: number, values: readonly string[]): void {
    this.listHeader(id, values.length, CT_BINARY);
    for (const v of values) this.rawString(v);
  }

  structList<T>(id: number, items: readonly T[], each: (item: T, index: number) => void): void {
    this.listHeader(id, items.length, CT_STRUCT);
    for (const [index, item] of items.entries()) {
      this.last.push(0);
      each(item, index);
      this.stop();
    }
  }

  /** A nested struct field: `body` writes its fields. */
  struct(id: number, body: () => void): void {
    this.header(id, CT_STRUCT);
    this.last.push(0);
    body();
    this.stop();
  }

  /** Ends the current struct. */
  stop(): void {
    this.byte(0);
    this.last.pop();
  }

  /** Starts a top-level struct (a page header or the file metadata). */
  begin(): void {
    this.last.push(0);
  }

  take(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

function physicalType(c: FixedColumn): number {
  switch (c.type) {
    case "float64":
      return TYPE_DOUBLE;
    case "float32":
      return TYPE_FLOAT;
    case "int64":
      return TYPE_INT64;
    case "int32":
      return TYPE_INT32;
    case "bool":
      return TYPE_BOOLEAN;
  }
}

/** Writes an unsigned varint into `out` at `o`; returns the new offset. */
function putVarint(out: Uint8Array, o: number, v: number): number {
  while (v >= 128) {
    out[o++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  out[o++] = v;
  return o;
}

/**
 * Byte buffers a file's column chunks are built in, reused from one chunk to the next (each
 * chunk is written before the next is built) and from one file to the next: a stream of shards
 * then allocates no new memory per chunk.
 */
class ChunkScratch {
  private readonly buffers = [new Uint8Array(0), new Uint8Array(0)];

  /** Buffer `k` (0: definition levels, 1: values) with at least `n` bytes, all zero. */
  zeroed(k: 0 | 1, n: number): Uint8Array {
    let b = this.buffers[k]!;
    if (b.length < n) {
      b = new Uint8Array(Math.max(n, 2 * b.length));
      this.buffers[k] = b;
      return b.subarray(0, n);
    }
    b.fill(0, 0, n);
    return b.subarray(0, n);
  }
}

/** Scratch of finished files, for the next (see {@link ChunkScratch}). */
const spareScratch: ChunkScratch[] = [];

/** One column chunk's pages, ready to write. */
interface ChunkPages {
  /** Buffers in file order: [dictionary header, dictionary], data header, levels + values. */
  parts: Uint8Array[];
  dictionary: boolean;
  /** Byte size of the dictionary page (header + body), 0 without one. */
  dictionaryBytes: number;
  bytes: number;
}

function pageHeader(
  type: number,
  size: number,
  body: (t: ThriftWriter) => void,
  bodyField: number,
): Uint8Array {
  const t = new ThriftWriter();
  t.begin();
  t.i32(1, type);
  t.i32(2, size);
  t.i32(3, size);
  t.struct(bodyField, () => body(t));
  t.stop();
  return t.take();
}

/** Definition levels (bit width 1) of rows [start, start + n), with their 4-byte length prefix. */
function definitionLevels(
  nulls: Uint8Array | null,
  start: number,
  n: number,
  nonNull: number,
  scratch: ChunkScratch,
): Uint8Array {
  if (nonNull === n || nonNull === 0) {
    // One RLE run of n levels, all 1 (present) or all 0 (null).
    const out = new Uint8Array(4 + 10 + 1);
    let o = putVarint(out, 4, n * 2);
    out[o++] = nonNull === n ? 1 : 0;
    new DataView(out.buffer).setUint32(0, o - 4, true);
    return out.subarray(0, o);
  }
  const groups = Math.ceil(n / 8);
  const out = scratch.zeroed(0, 4 + 10 + groups);
  let o = putVarint(out, 4, groups * 2 + 1);
  const m = nulls!;
  const full = Math.floor(n / 8);
  let g = 0;
  if ((m.byteOffset + start) % 4 === 0) {
    // Eight flags (bytes 0 or 1) are two 32-bit words; the product with 0x01020408 gathers a
    // word's four flags into bits 24–27 (flag j at bit 24 + j, no carries reach them).
    const w = new Uint32Array(m.buffer, m.byteOffset + start, 2 * full);
    for (; g < full; g++) {
      const lo = (Math.imul(w[2 * g]!, 0x01020408) >>> 24) & 15;
      const hi = (Math.imul(w[2 * g + 1]!, 0x01020408) >>> 24) & 15;
      out[o++] = ~(lo | (hi << 4)) & 255;
    }
  }
  for (; g < full; g++) {
    // Null flags are 0 or 1: level = 1 - flag, bit j of the byte for row 8g + j.
    const i = start + g * 8;
    out[o++] =
      (m[i]! ^ 1) |
      ((m[i + 1]! ^ 1) << 1) |
      ((m[i + 2]! ^ 1) << 2) |
      ((m[i + 3]! ^ 1) << 3) |
      ((m[i + 4]! ^ 1) << 4) |
      ((m[i + 5]! ^ 1) << 5) |
      ((m[i + 6]! ^ 1) << 6) |
      ((m[i + 7]! ^ 1) << 7);
  }
  if (full < groups) {
    let b = 0;
    for (let j = 0; j < n - full * 8; j++) b |= (m[start + full * 8 + j]! ^ 1) << j;
    out[o++] = b;
  }
  new DataView(out.buffer, out.byteOffset, 4).setUint32(0, o - 4, true);
  return out.subarray(0, o);
}

/** The bytes of values [start, start + n) of a typed array, as a view (no copy). */
function viewOf(
  values: ArrayBufferView & { BYTES_PER_ELEMENT: number },
  start: number,
  n: number,
): Uint8Array {
  const w = values.BYTES_PER_ELEMENT;
  return new Uint8Array(values.buffer, values.byteOffset + start * w, n * w);
}

/** Column chunk of rows [start, start + n) of `col`. */
/** The number of 1s among flags [start, start + n) (each 0 or 1), four bytes at a time. */
function countFlags(flags: Uint8Array, start: number, n: number): number {
  let c = 0;
  let i = start;
  const end = start + n;
  for (; i < end && (flags.byteOffset + i) % 4 !== 0; i++) c += flags[i]!;
  const quads = (end - i) >>> 2;
  const w =
    quads > 0 ? new Uint32Array(flags.buffer, flags.byteOffset + i, quads) : new Uint32Array(0);
  for (let k = 0; k < w.length; k++) {
    const v = w[k]!;
    // The four bytes (each 0 or 1) summed into the top byte.
    if (v !== 0) c += Math.imul(v, 0x01010101) >>> 24;
  }
  for (i += w.length * 4; i < end; i++) c += flags[i]!;
  return c;
}

/**
 * Copies the words of the present rows among rows [start, start + n) (`words` 32-bit words a row;
 * `from` holds those rows' words, `nulls` their flags from row `start`) to `to`, back to back.
 * Four rows at a time when their flags can be read as one word: all null, skipped; none null,
 * copied without looking at each.
 */
function packPresent(
  from: Int32Array,
  words: number,
  nulls: Uint8Array,
  start: number,
  n: number,
  to: Int32Array,
): void {
  let o = 0;
  let i = 0;
  if ((nulls.byteOffset + start) % 4 === 0) {
    const quads = n >>> 2;
    const flags = new Uint32Array(nulls.buffer, nulls.byteOffset + start, quads);
    for (let q = 0; q < quads; q++) {
      const f = flags[q]!;
      if (f === 0x01010101) continue;
      const w0 = 4 * q * words;
      if (f === 0) {
        for (let k = 0; k < 4 * words; k++) to[o + k] = from[w0 + k]!;
        o += 4 * words;
        continue;
      }
      for (let j = 0; j < 4; j++) {
        if (nulls[start + 4 * q + j] === 1) continue;
        to[o] = from[w0 + j * words]!;
        if (words === 2) to[o + 1] = from[w0 + j * words + 1]!;
        o += words;
      }
    }
    i = quads * 4;
  }
  for (; i < n; i++) {
    if (nulls[start + i] === 1) continue;
    to[o] = from[words * i]!;
    if (words === 2) to[o + 1] = from[2 * i + 1]!;
    o += words;
  }
}

function columnChunk(
  col: FixedColumn,
  start: number,
  n: number,
  scratch: ChunkScratch,
): ChunkPages {
  const nulls = col.nulls;
  const nonNull = nulls === null ? n : n - countFlags(nulls, start, n);
  const levels = definitionLevels(nulls, start, n, nonNull, scratch);
  const dictionary =
    col.type === "int32" && nonNull > 0 ? dictionaryEncoded(col, start, n, nonNull, scratch) : null;
  const dictPage = dictionary?.page ?? [];
  const encoding = dictionary !== null ? ENC_RLE_DICTIONARY : ENC_PLAIN;
  let values: Uint8Array;
  if (dictionary !== null) {
    values = dictionary.values;
  } else if (col.type === "bool") {
    values = scratch.zeroed(1, Math.ceil(nonNull / 8));
    let k = 0;
    for (let i = start; i < start + n; i++) {
      if (nulls !== null && nulls[i] === 1) continue;
      if (col.values[i] !== 0) values[k >>> 3]! |= 1 << (k & 7);
      k++;
    }
  } else if (nulls === null || nonNull === n) {
    values = viewOf(col.values, start, n);
  } else {
    // Only the present values are stored, copied as 32-bit words (bit for bit, NaN payloads too).
    const src = col.values;
    const words = src.BYTES_PER_ELEMENT / 4;
    const from = new Int32Array(
      src.buffer,
      src.byteOffset + start * src.BYTES_PER_ELEMENT,
      n * words,
    );
    const bytes = scratch.zeroed(1, nonNull * words * 4);
    const to = new Int32Array(bytes.buffer, bytes.byteOffset, nonNull * words);
    packPresent(from, words, nulls, start, n, to);
    values = bytes;
  }
  const size = levels.length + values.length;
  const header = pageHeader(
    PAGE_DATA,
    size,
    (t) => {
      t.i32(1, n);
      t.i32(2, encoding);
      t.i32(3, ENC_RLE);
      t.i32(4, ENC_RLE);
    },
    5,
  );
  const dictionaryBytes = dictPage.reduce((s, b) => s + b.length, 0);
  return {
    parts: [...dictPage, header, levels, values],
    dictionary: dictPage.length > 0,
    dictionaryBytes,
    bytes: dictionaryBytes + header.length + size,
  };
}

/**
 * Dictionary encoding of an int32 chunk whose present values lie in a range [min, max] of at most
 * DICT_RANGE integers: the dictionary is that whole range (entries no row uses are allowed), so a
 * value's index is v − min, bit-packed straight from the column in one run. Returns the
 * dictionary page and the data page's values (bit width byte + the run), or null when the range
 * is too wide.
 */
function dictionaryEncoded(
  col: Extract<Column, { type: "int32" }>,
  start: number,
  n: number,
  nonNull: number,
  scratch: ChunkScratch,
): { page: Uint8Array[]; values: Uint8Array } | null {
  const v = col.values;
  const nulls = col.nulls;
  const end = start + n;
  let min = 2147483647;
  let max = -2147483648;
  if (nulls === null) {
    for (let i = start; i < end; i++) {
      const x = v[i]!;
      min = x < min ? x : min;
      max = x > max ? x : max;
    }
  } else {
    for (let i = start; i < end; i++) {
      if (nulls[i] === 1) continue;
      const x = v[i]!;
      if (x < min) min = x;
      if (x > max) max = x;
    }
  }
  if (max - min >= DICT_RANGE) return null;
  const size = max - min + 1;
  let bw = 1;
  while (1 << bw < size) bw++;
  // One bit-packed run of groups of 8 indices; the last group is padded with index 0 (readers
  // stop at the page's value count).
  const groups = Math.ceil(nonNull / 8);
  const out = scratch.zeroed(1, 1 + 10 + groups * bw);
  out[0] = bw;
  const dataStart = putVarint(out, 1, groups * 2 + 1);
  let o = dataStart;
  if (nulls === null && bw === 4) {
    // The common case (modes): two indices a byte.
    let i = start;
    for (; i + 1 < end; i += 2) out[o++] = (v[i]! - min) | ((v[i + 1]! - min) << 4);
    if (i < end) out[o] = v[i]! - min;
  } else {
    let acc = 0;
    let bits = 0;
    for (let i = start; i < end; i++) {
      if (nulls !== null && nulls[i] === 1) continue;
      acc |= (v[i]! - min) << bits;
      bits += bw;
      while (bits >= 8) {
        out[o++] = acc & 255;
        acc >>>= 8;
        bits -= 8;
      }
    }
    if (bits > 0) out[o] = acc & 255;
  }
  // The rest of the last group is zero bytes (the array starts zeroed): bw bytes per 8 indices.
  const end8 = dataStart + groups * bw;
  const dict = new Int32Array(size);
  for (let k = 0; k < size; k++) dict[k] = min + k;
  const body = new Uint8Array(dict.buffer);
  const header = pageHeader(
    PAGE_DICTIONARY,
    body.length,
    (t) => {
      t.i32(1, size);
      t.i32(2, ENC_PLAIN);
    },
    7,
  );
  return { page: [header, body], values: out.subarray(0, end8) };
}

/** Where a column chunk landed, for the footer. */
interface ChunkMeta {
  offset: number;
  dataOffset: number;
  dictionaryOffset: number | null;
  bytes: number;
  rows: number;
}

function footer(
  table: Table,
  rows: number,
  groups: { rows: number; chunks: ChunkMeta[] }[],
  metadata: Readonly<Record<string, string>>,
): Uint8Array {
  const t = new ThriftWriter();
  const cols = table.columns as FixedColumn[];
  t.begin();
  t.i32(1, 1);
  t.structList(2, [null, ...cols], (c) => {
    if (c === null) {
      t.string(4, "schema");
      t.i32(5, cols.length);
      return;
    }
    t.i32(1, physicalType(c));
    t.i32(3, OPTIONAL);
    t.string(4, c.name);
  });
  t.i64(3, rows);
  t.structList(4, groups, (g) => {
    t.structList(1, g.chunks, (ch, j) => {
      const c = cols[j]!;
      t.i64(2, ch.offset);
      t.struct(3, () => {
        t.i32(1, physicalType(c));
        t.i32List(
          2,
          ch.dictionaryOffset !== null
            ? [ENC_PLAIN, ENC_RLE, ENC_RLE_DICTIONARY]
            : [ENC_PLAIN, ENC_RLE],
        );
        t.stringList(3, [c.name]);
        t.i32(4, CODEC_UNCOMPRESSED);
        t.i64(5, ch.rows);
        t.i64(6, ch.bytes);
        t.i64(7, ch.bytes);
        t.i64(9, ch.dataOffset);
        if (ch.dictionaryOffset !== null) t.i64(11, ch.dictionaryOffset);
      });
    });
    const bytes = g.chunks.reduce((s, ch) => s + ch.bytes, 0);
    t.i64(2, bytes);
    t.i64(3, g.rows);
    t.i64(5, g.chunks[0]!.offset);
    t.i64(6, bytes);
  });
  const kv = Object.entries(metadata);
  if (kv.length > 0) {
    t.structList(5, kv, ([key, value]) => {
      t.string(1, key);
      t.string(2, value);
    });
  }
  t.string(6, "modenorm");
  t.stop();
  return t.take();
}

const MAGIC = new Uint8Array([0x50, 0x41, 0x52, 0x31]); // "PAR1"

/** A Parquet file of fixed-width columns being written part by part ({@link openFixedParquet}). */
export interface FixedParquetWriter {
  /** Appends a part (the same columns as the first) as row groups that never span parts. */
  write(part: Table): Promise<void>;
  /** Writes the footer and closes the file. */
  close(): Promise<void>;
  /** Closes the file after a failure (it is left incomplete: the caller removes it). */
  abort(): Promise<void>;
}

/**
 * Starts an uncompressed Parquet file at `path`, which must not exist, for parts of fixed-width
 * columns (see {@link isFixedWidthTable}), in row groups of at most `rowGroupRows` rows. The file
 * is written past the page cache where the file system allows (see `direct-write.ts`;
 * `direct: false` never). Each part's bytes are copied or written by the time `write` resolves,
 * so the caller may then reuse its arrays.
 */
export async function openFixedParquet(
  path: string,
  options: {
    rowGroupRows?: number;
    direct?: boolean;
    /** Key-value metadata of the footer. */
    metadata?: Readonly<Record<string, string>>;
  } = {},
): Promise<FixedParquetWriter> {
  const rowGroupRows = options.rowGroupRows ?? ROW_GROUP_ROWS;
  const out = await createSequentialFile(path, { direct: options.direct });
  const scratch = spareScratch.pop() ?? new ChunkScratch();
  let first: Table | null = null;
  let offset = 0;
  let rows = 0;
  let done = false;
  const groups: { rows: number; chunks: ChunkMeta[] }[] = [];
  // The writer copies each piece into its staging buffer: pieces go to it as they are made.
  const push = async (b: Uint8Array) => {
    await out.write(b);
    offset += b.length;
  };
  const end = async (ok: boolean) => {
    if (done) return;
    done = true;
    spareScratch.push(scratch);
    if (ok) await out.close();
    else await out.close().catch(() => undefined);
  };
  try {
    await push(MAGIC);
  } catch (err) {
    await end(false);
    throw err;
  }
  return {
    async write(part) {
      first ??= part;
      const cols = part.columns as FixedColumn[];
      for (let start = 0; start < part.rows; start += rowGroupRows) {
        const n = Math.min(rowGroupRows, part.rows - start);
        const chunks: ChunkMeta[] = [];
        for (const c of cols) {
          const pages = columnChunk(c, start, n, scratch);
          chunks.push({
            offset,
            dataOffset: offset + pages.dictionaryBytes,
            dictionaryOffset: pages.dictionary ? offset : null,
            bytes: pages.bytes,
            rows: n,
          });
          for (const p of pages.parts) await push(p);
        }
        groups.push({ rows: n, chunks });
      }
      rows += part.rows;
    },
    async close() {
      if (first === null) throw new Error("a Parquet file needs at least one part");
      const meta = footer(first, rows, groups, options.metadata ?? {});
      await push(meta);
      const tail = new Uint8Array(8);
      new DataView(tail.buffer).setUint32(0, meta.length, true);
      tail.set(MAGIC, 4);
      await push(tail);
      await end(true);
    },
    abort: () => end(false),
  };
}

/**
 * Writes the table made of `parts` (consecutive rows, the same fixed-width columns, see
 * {@link isFixedWidthTable}) as an uncompressed Parquet file at `path`, which must not exist, in
 * row groups of at most `rowGroupRows` rows (a row group never spans two parts). The file is written
 * past the page cache where the file system allows (see `direct-write.ts`; `direct: false` never).
 */
export async function writeFixedParquet(
  path: string,
  parts: readonly Table[],
  options: { rowGroupRows?: number; direct?: boolean } = {},
): Promise<void> {
  await writeAllParts(await openFixedParquet(path, options), parts);
}

/**
 * Writes `parts` with `writer` and closes it; after a failure it aborts the writer and reports
 * the first error.
 */
export async function writeAllParts(
  writer: FixedParquetWriter,
  parts: readonly Table[],
): Promise<void> {
  try {
    for (const part of parts) await writer.write(part);
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
