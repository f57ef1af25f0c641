/**
 * Reading flat Parquet columns of fixed-width values at memory speed, without DuckDB: footer and
 * page headers in the Thrift compact protocol, definition levels and dictionary indices in the
 * RLE / bit-packed hybrid, PLAIN values copied as bytes, pages uncompressed, zstd (the
 * `zstddec` WebAssembly decoder) or gzip (node:zlib).
 *
 * Taken ({@link openFixedParquet}): files whose columns are all flat (REQUIRED or OPTIONAL, no
 * nesting) of the physical types DOUBLE, FLOAT, INT64, INT32 or BOOLEAN with no converted or
 * logical type (but the one a signed 32- or 64-bit integer may carry), in column chunks inside the file, compressed with none, zstd or gzip, with only
 * the encodings PLAIN, PLAIN_DICTIONARY / RLE_DICTIONARY and RLE / BIT_PACKED (levels), in data
 * pages of version 1 or 2. That covers what `parquet-fixed.ts` writes (encoded shards, decoded
 * outputs) and the plain numeric files other tools write (DuckDB, Arrow, Spark). Anything else
 * gives null, and DuckDB reads the file. Through DuckDB a column of zstd pages costs about 65 ns
 * of CPU a row here (decompression, a materialized result, a chunk copied out of it, a buffer
 * copied per vector, fresh memory for each); read here, a few.
 */
import { type FileHandle, open } from "node:fs/promises";
import { gunzipSync } from "node:zlib";
import { ZSTDDecoder } from "zstddec";
import { nullMaskFor } from "../core/array-bin.js";
import { InvalidInputError } from "../core/errors.js";
import type { Column, ColumnType } from "../core/table.js";

// parquet.thrift values (see parquet-fixed.ts).
const TYPE_BOOLEAN = 0;
const TYPE_INT32 = 1;
const TYPE_INT64 = 2;
const TYPE_FLOAT = 4;
const TYPE_DOUBLE = 5;
const ENC_PLAIN = 0;
const ENC_PLAIN_DICTIONARY = 2;
const ENC_RLE = 3;
const ENC_BIT_PACKED = 4;
const ENC_RLE_DICTIONARY = 8;
const PAGE_DATA = 0;
const PAGE_INDEX = 1;
const PAGE_DICTIONARY = 2;
const PAGE_DATA_V2 = 3;
const CODEC_NONE = 0;
const CODEC_GZIP = 2;
const CODEC_ZSTD = 6;
const REQUIRED = 0;
const OPTIONAL = 1;
/** Encodings a column chunk may list. */
const KNOWN_ENCODINGS = new Set([
  ENC_PLAIN,
  ENC_PLAIN_DICTIONARY,
  ENC_RLE,
  ENC_BIT_PACKED,
  ENC_RLE_DICTIONARY,
]);

/** A Thrift compact struct: field id → value (numbers, booleans, bytes, lists, structs). */
type TStruct = Map<number, unknown>;

/** Thrift compact protocol reader over a byte array (only what Parquet metadata uses). */
class ThriftReader {
  pos: number;
  constructor(
    private readonly b: Uint8Array,
    pos = 0,
  ) {
    this.pos = pos;
  }

  private byte(): number {
    if (this.pos >= this.b.length) throw new Error("metadata ends early");
    return this.b[this.pos++]!;
  }

  private varint(): number {
    let v = 0;
    let mul = 1;
    for (;;) {
      const c = this.byte();
      v += (c & 127) * mul;
      if (c < 128) return v;
      mul *= 128;
      if (mul > 2 ** 63) throw new Error("varint too long");
    }
  }

  private zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  private value(type: number): unknown {
    switch (type) {
      case 1:
        return true;
      case 2:
        return false;
      case 3:
        return this.byte();
      case 4:
      case 5:
      case 6:
        return this.zigzag();
      case 7:
        this.pos += 8;
        return 0;
      case 8: {
        const n = this.varint();
        if (this.pos + n > this.b.length) throw new Error("metadata ends early");
        const v = this.b.subarray(this.pos, this.pos + n);
        this.pos += n;
        return v;
      }
      case 9:
      case 10: {
        const h = this.byte();
        const size = h >> 4 === 15 ? this.varint() : h >> 4;
        const elem = h & 15;
        const out: unknown[] = [];
        for (let i = 0; i < size; i++)
          out.push(elem === 1 || elem === 2 ? this.byte() === 1 : this.value(elem));
        return out;
      }
      case 12:
        return this.struct();
      default:
        throw new Error(`unsupported Thrift type ${type}`);
    }
  }

  struct(): TStruct {
    const out: TStruct = new Map();
    let last = 0;
    for (;;) {
      const h = this.byte();
      if (h === 0) return out;
      const delta = h >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      out.set(id, this.value(h & 15));
      last = id;
    }
  }
}

const text = new TextDecoder();
const str = (v: unknown) => (v instanceof Uint8Array ? text.decode(v) : "");
const num = (s: TStruct, id: number) => {
  const v = s.get(id);
  if (typeof v !== "number") throw new Error(`field ${id} missing`);
  return v;
};

const TYPE_OF: Record<number, ColumnType> = {
  [TYPE_DOUBLE]: "float64",
  [TYPE_FLOAT]: "float32",
  [TYPE_INT64]: "int64",
  [TYPE_INT32]: "int32",
  [TYPE_BOOLEAN]: "bool",
};

/** A column chunk's place in the file and its compression. */
interface ChunkPlace {
  start: number;
  bytes: number;
  codec: number;
}

/** A file of flat fixed-width columns (see the module comment), opened. */
export interface FixedParquetFile {
  path: string;
  rows: number;
  columns: { name: string; type: ColumnType; required: boolean }[];
  /** Per row group: its rows and one chunk place per column. */
  groups: { rows: number; chunks: ChunkPlace[] }[];
  handle: FileHandle;
  /**
   * The file's chunk buffer, reused from chunk to chunk. Per file, not per module: readers of
   * several files in one thread (a queue worker's concurrent jobs) interleave at the read's
   * await, and a shared buffer would be filled by one while another decodes it.
   */
  scratch: Uint8Array;
}

/**
 * Whether a schema element has no converted or logical type, or only the one that says what its
 * physical type is already: a signed integer of 32 (INT32) or 64 (INT64) bits.
 */
function plainIntegerOrNone(e: TStruct): boolean {
  const physical = num(e, 1);
  const bits = physical === TYPE_INT32 ? 32 : physical === TYPE_INT64 ? 64 : 0;
  const converted = e.get(6);
  if (
    converted !== undefined &&
    !(bits === 32 && converted === 17) &&
    !(bits === 64 && converted === 18)
  )
    return false;
  const logical = e.get(10) as TStruct | undefined;
  if (logical === undefined) return true;
  const int = logical.get(10) as TStruct | undefined;
  return logical.size === 1 && int !== undefined && int.get(1) === bits && int.get(2) === true;
}

/** The zstd decoder, instantiated once per thread on first use. */
let zstd: Promise<ZSTDDecoder> | null = null;

function zstdDecoder(): Promise<ZSTDDecoder> {
  if (zstd === null) {
    const d = new ZSTDDecoder();
    zstd = d.init().then(() => d);
  }
  return zstd;
}

/**
 * The FileMetaData of an open Parquet file (its footer) and the file's size.
 * @throws Error a file too short, without the magic, or whose footer does not parse.
 */
async function readFileMetaData(handle: FileHandle): Promise<{ size: number; fm: TStruct }> {
  const size = (await handle.stat()).size;
  if (size < 12) throw new Error("too short");
  const tail = new Uint8Array(8);
  await handle.read(tail, 0, 8, size - 8);
  if (text.decode(tail.subarray(4)) !== "PAR1") throw new Error("no magic");
  const metaLen = new DataView(tail.buffer).getUint32(0, true);
  if (metaLen + 12 > size) throw new Error("bad footer length");
  const meta = new Uint8Array(metaLen);
  await handle.read(meta, 0, metaLen, size - 8 - metaLen);
  return { size, fm: new ThriftReader(meta).struct() };
}

/**
 * Opens `path` when its columns can be read here (see the module comment), else returns null
 * (also for a file too short or damaged to say).
 */
export async function openFixedParquet(path: string): Promise<FixedParquetFile | null> {
  const handle = await open(path, "r");
  try {
    const { size, fm } = await readFileMetaData(handle);
    const schema = fm.get(2) as TStruct[];
    const columns = schema.slice(1).map((e) => {
      const type = TYPE_OF[num(e, 1)];
      const repetition = e.get(3);
      if (type === undefined || (repetition !== REQUIRED && repetition !== OPTIONAL))
        throw new Error("unsupported column");
      // Nested, or a converted / logical type other than a signed integer of the physical
      // type's width (dates, decimals, unsigned, small integers, …): DuckDB's reading.
      if (e.has(5) || !plainIntegerOrNone(e)) throw new Error("unsupported column");
      return { name: str(e.get(4)), type, required: repetition === REQUIRED };
    });
    if (num(schema[0]!, 5) !== columns.length) throw new Error("nested schema");
    let zstdUsed = false;
    const groups = (fm.get(4) as TStruct[]).map((g) => {
      const rows = num(g, 3);
      const chunks = (g.get(1) as TStruct[]).map((c, j) => {
        if (c.has(1)) throw new Error("column chunk in another file");
        const m = c.get(3) as TStruct;
        const codec = num(m, 4);
        if (codec !== CODEC_NONE && codec !== CODEC_ZSTD && codec !== CODEC_GZIP)
          throw new Error("codec");
        zstdUsed ||= codec === CODEC_ZSTD;
        if (TYPE_OF[num(m, 1)] !== columns[j]!.type || num(m, 5) !== rows)
          throw new Error("column chunk");
        const encodings = m.get(2);
        if (!Array.isArray(encodings) || encodings.some((x) => !KNOWN_ENCODINGS.has(x as number)))
          throw new Error("encoding");
        const data = num(m, 9);
        const dict = m.get(11);
        const start = typeof dict === "number" && dict > 0 && dict < data ? dict : data;
        const bytes = num(m, 7);
        if (start + bytes > size) throw new Error("column chunk past the end");
        return { start, bytes, codec };
      });
      if (chunks.length !== columns.length) throw new Error("column count");
      return { rows, chunks };
    });
    if (zstdUsed) await zstdDecoder();
    return { path, rows: num(fm, 3), columns, groups, handle, scratch: new Uint8Array(0) };
  } catch {
    await handle.close();
    return null;
  }
}

/**
 * The key-value metadata of a Parquet file's footer (any writer's), or null when `path` is not a
 * readable Parquet file. Reads only the footer.
 */
export async function readParquetKeyValues(path: string): Promise<Map<string, string> | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch {
    return null;
  }
  try {
    const { fm } = await readFileMetaData(handle);
    const kv = new Map<string, string>();
    const list = fm.get(5);
    if (Array.isArray(list))
      for (const e of list as TStruct[]) kv.set(str(e.get(1)), str(e.get(2)));
    return kv;
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}

/** Where the last {@link runHeader} ended. */
let headerEnd = 0;

/** The varint header of a hybrid run at b[pos] (its end goes to `headerEnd`). */
function runHeader(b: Uint8Array, pos: number): number {
  let h = 0;
  let mul = 1;
  for (;;) {
    const c = b[pos++]!;
    h += (c & 127) * mul;
    if (c < 128) break;
    mul *= 128;
    if (mul > 2 ** 49) throw new Error("run header too long");
  }
  headerEnd = pos;
  return h;
}

/** The value of an RLE run: `bytes` little-endian bytes at b[pos]. */
function rleValue(b: Uint8Array, pos: number, bytes: number): number {
  let v = 0;
  for (let i = 0; i < bytes; i++) v |= b[pos + i]! << (8 * i);
  return v;
}

/** Decodes an RLE / bit-packed hybrid run sequence of `count` values of width `bw` into `out`. */
function decodeHybrid(
  b: Uint8Array,
  pos: number,
  end: number,
  bw: number,
  count: number,
  out: Int32Array,
): void {
  if (bw < 0 || bw > 24) throw new Error(`bit width ${bw}`);
  let k = 0;
  const bytesPerValue = (bw + 7) >> 3;
  while (k < count) {
    if (pos >= end) throw new Error("levels end early");
    const h = runHeader(b, pos);
    pos = headerEnd;
    if (h % 2 === 0) {
      // RLE run: h/2 repeats of one value in bytesPerValue bytes.
      const v = rleValue(b, pos, bytesPerValue);
      pos += bytesPerValue;
      const n = Math.min(h / 2, count - k);
      out.fill(v, k, k + n);
      k += n;
    } else {
      // Bit-packed run of (h >> 1) groups of 8 values, LSB first: bw bytes a group.
      const groups = (h - 1) / 2;
      const runEnd = pos + groups * bw;
      if (runEnd > end) throw new Error("levels end early");
      const mask = bw === 32 ? -1 : (1 << bw) - 1;
      let acc = 0;
      let bits = 0;
      const stop = Math.min(groups * 8, count - k);
      for (let i = 0; i < stop; i++) {
        while (bits < bw) {
          acc |= b[pos++]! << bits;
          bits += 8;
        }
        out[k++] = acc & mask;
        acc >>>= bw;
        bits -= bw;
      }
      pos = runEnd;
    }
  }
}

/**
 * Scratch memory of the decoding, which runs without an await (so it is never shared by two
 * chunks at once; the chunk's bytes, read with an await, are in `FixedParquetFile.scratch`).
 */
let ids: Int32Array = new Int32Array(0);
let nullScratch = new Uint8Array(0);

/** Set bits of each byte value. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, v) => {
  let c = 0;
  for (let x = v; x > 0; x >>>= 1) c += x & 1;
  return c;
});

/**
 * Definition levels of bit width 1 (hybrid runs from `pos` to `end`) for `n` rows, written as
 * null flags (1 − level) into `nulls` at `offset` when given. Returns the number of present rows.
 */
function decodeLevels(
  b: Uint8Array,
  pos: number,
  end: number,
  n: number,
  nulls: Uint8Array | null,
  offset: number,
): number {
  let k = 0;
  let present = 0;
  while (k < n) {
    if (pos >= end) throw new Error("levels end early");
    const h = runHeader(b, pos);
    pos = headerEnd;
    if (h % 2 === 0) {
      const v = b[pos++]! & 1;
      const m = Math.min(h / 2, n - k);
      nulls?.fill(v ^ 1, offset + k, offset + k + m);
      present += v * m;
      k += m;
    } else {
      const groups = (h - 1) / 2;
      if (pos + groups > end) throw new Error("levels end early");
      const m = Math.min(groups * 8, n - k);
      const o = offset + k;
      const full = m >>> 3;
      for (let g = 0; g < full; g++) {
        const v = b[pos + g]!;
        present += POPCOUNT[v]!;
        if (nulls !== null) {
          const at = o + g * 8;
          nulls[at] = (v & 1) ^ 1;
          nulls[at + 1] = ((v >>> 1) & 1) ^ 1;
          nulls[at + 2] = ((v >>> 2) & 1) ^ 1;
          nulls[at + 3] = ((v >>> 3) & 1) ^ 1;
          nulls[at + 4] = ((v >>> 4) & 1) ^ 1;
          nulls[at + 5] = ((v >>> 5) & 1) ^ 1;
          nulls[at + 6] = ((v >>> 6) & 1) ^ 1;
          nulls[at + 7] = ((v >>> 7) & 1) ^ 1;
        }
      }
      for (let i = full * 8; i < m; i++) {
        const level = (b[pos + (i >>> 3)]! >>> (i & 7)) & 1;
        present += level;
        if (nulls !== null) nulls[o + i] = level ^ 1;
      }
      pos += groups;
      k += m;
    }
  }
  return present;
}

/** Bytes per value of each fixed-width type (bool: bit-packed). */
const WIDTH: Partial<Record<ColumnType, number>> = {
  float64: 8,
  float32: 4,
  int64: 8,
  int32: 4,
};

/** A dictionary page's values, as an array of the column's type. */
type Dictionary = Float64Array | Float32Array | Int32Array | BigInt64Array;

/** The values of a PLAIN dictionary page of `count` entries (a copy: `bytes` is scratch). */
function dictionaryOf(type: ColumnType, bytes: Uint8Array, count: number): Dictionary {
  const w = WIDTH[type];
  if (w === undefined) throw new Error("dictionary page for a boolean column");
  if (count * w > bytes.length) throw new Error("dictionary page ends early");
  const copy = bytes.slice(0, count * w).buffer;
  switch (type) {
    case "float64":
      return new Float64Array(copy);
    case "float32":
      return new Float32Array(copy);
    case "int64":
      return new BigInt64Array(copy);
    default:
      return new Int32Array(copy);
  }
}

/** A page's bytes uncompressed (`size` of them). */
function inflate(codec: number, body: Uint8Array, size: number, zstdDec: ZSTDDecoder | null) {
  let out: Uint8Array;
  if (codec === CODEC_NONE) out = body;
  else if (codec === CODEC_ZSTD) out = zstdDec!.decode(body, size);
  else out = gunzipSync(body);
  if (out.length !== size) throw new Error("page size differs from its header");
  return out;
}

/**
 * Reads column `j` of row group `g` into `col` at row `offset` (`col` has the column's type and
 * room for the group's rows there). Null slots are set to 0.
 * @throws InvalidInputError a chunk that is damaged (naming the file, row group and column).
 */
export async function readFixedChunk(
  file: FixedParquetFile,
  g: number,
  j: number,
  col: Column,
  offset: number,
): Promise<void> {
  const group = file.groups[g]!;
  const place = group.chunks[j]!;
  const n = group.rows;
  const zstdDec = place.codec === CODEC_ZSTD ? await zstdDecoder() : null;
  if (file.scratch.length < place.bytes) file.scratch = new Uint8Array(place.bytes);
  const b = file.scratch;
  // Asynchronous: shards written past the page cache are read from the device, and the thread
  // goes on with other blocks meanwhile (a synchronous read measured no faster from the cache).
  const { bytesRead } = await file.handle.read(b, 0, place.bytes, place.start);
  try {
    if (bytesRead !== place.bytes) throw new Error("file ends early");
    if (col.type === "string" || col.type === "timestamp") throw new Error("type");
    const required = file.columns[j]!.required;
    let pos = 0;
    let dict: Dictionary | null = null;
    let done = 0;
    while (done < n) {
      if (pos >= place.bytes) throw new Error("pages end early");
      const page = new ThriftReader(b, pos);
      const header = page.struct();
      pos = page.pos;
      const type = num(header, 1);
      const size = num(header, 2);
      const stored = num(header, 3);
      if (pos + stored > place.bytes) throw new Error("page ends early");
      const body = b.subarray(pos, pos + stored);
      pos += stored;
      if (type === PAGE_INDEX) continue;
      if (type === PAGE_DICTIONARY) {
        const dh = header.get(7) as TStruct;
        const e = num(dh, 2);
        if (e !== ENC_PLAIN && e !== ENC_PLAIN_DICTIONARY) throw new Error("dictionary encoding");
        dict = dictionaryOf(col.type, inflate(place.codec, body, size, zstdDec), num(dh, 1));
        continue;
      }
      let m: number;
      let encoding: number;
      let levels: Uint8Array | null = null;
      let values: Uint8Array;
      if (type === PAGE_DATA) {
        const dph = header.get(5) as TStruct;
        m = num(dph, 1);
        encoding = num(dph, 2);
        const data = inflate(place.codec, body, size, zstdDec);
        if (required) values = data;
        else {
          if (num(dph, 3) !== ENC_RLE) throw new Error("definition level encoding");
          if (data.length < 4) throw new Error("levels end early");
          const levelBytes = new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true);
          if (4 + levelBytes > data.length) throw new Error("levels end early");
          levels = data.subarray(4, 4 + levelBytes);
          values = data.subarray(4 + levelBytes);
        }
      } else if (type === PAGE_DATA_V2) {
        const dph = header.get(8) as TStruct;
        m = num(dph, 1);
        encoding = num(dph, 4);
        const levelBytes = num(dph, 5);
        if (num(dph, 6) !== 0 || levelBytes > stored) throw new Error("data page v2 levels");
        if (!required) levels = body.subarray(0, levelBytes);
        const rest = body.subarray(levelBytes);
        values =
          dph.get(7) === false ? rest : inflate(place.codec, rest, size - levelBytes, zstdDec);
      } else {
        throw new Error(`page type ${type}`);
      }
      if (m > n - done) throw new Error("more values than the row group's rows");
      decodePage(col, offset + done, m, levels, values, encoding, dict);
      done += m;
    }
  } catch (err) {
    throw new InvalidInputError(
      `${file.path}: corrupt Parquet file (row group ${g}, column "${file.columns[j]!.name}"): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/**
 * {@link decodeHybrid} of `count` dictionary indices, each replaced by its entry of `dict`, into
 * `out` from `at`: one pass, no index array. A bit-packed value is read from the (up to) four
 * bytes holding it at once while they lie inside `b`, which they do for all but the last few.
 */
function decodeHybridLookup(
  b: Uint8Array,
  pos: number,
  end: number,
  bw: number,
  count: number,
  dict: Float64Array,
  out: Float64Array,
  at: number,
): void {
  if (bw < 0 || bw > 24) throw new Error(`bit width ${bw}`);
  const size = dict.length;
  const mask = (1 << bw) - 1;
  const bytesPerValue = (bw + 7) >> 3;
  let k = 0;
  while (k < count) {
    if (pos >= end) throw new Error("indices end early");
    const h = runHeader(b, pos);
    pos = headerEnd;
    if (h % 2 === 0) {
      const v = rleValue(b, pos, bytesPerValue);
      pos += bytesPerValue;
      if (v >= size) throw new Error("dictionary index out of range");
      const n = Math.min(h / 2, count - k);
      out.fill(dict[v]!, at + k, at + k + n);
      k += n;
      continue;
    }
    const groups = (h - 1) / 2;
    const runEnd = pos + groups * bw;
    if (runEnd > end) throw new Error("indices end early");
    const stop = Math.min(groups * 8, count - k);
    // Values whose four bytes from their first lie inside b: bit offset i * bw, 4 + 1 bytes.
    const fast = Math.max(0, Math.min(stop, Math.floor(((b.length - 4 - pos) * 8) / bw)));
    let bit = 0;
    let i = 0;
    for (; i < fast; i++) {
      const p = pos + (bit >>> 3);
      const word = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
      const v = (word >>> (bit & 7)) & mask;
      if (v >= size) throw new Error("dictionary index out of range");
      out[at + k + i] = dict[v]!;
      bit += bw;
    }
    for (; i < stop; i++) {
      let v = 0;
      for (let j = 0; j < bw; j++) {
        const q = bit + j;
        v |= ((b[pos + (q >>> 3)]! >>> (q & 7)) & 1) << j;
      }
      if (v >= size) throw new Error("dictionary index out of range");
      out[at + k + i] = dict[v]!;
      bit += bw;
    }
    k += stop;
    pos = runEnd;
  }
}

/**
 * Decodes one data page of `n` rows into `col` at row `at`: definition levels (null for a
 * REQUIRED column), then values PLAIN or as dictionary indices. Null slots are set to 0.
 */
function decodePage(
  col: Exclude<Column, { type: "string" | "timestamp" }>,
  at: number,
  n: number,
  levels: Uint8Array | null,
  b: Uint8Array,
  encoding: number,
  dict: Dictionary | null,
): void {
  // Levels go to the column's null flags when it has them already, else to scratch first (a
  // column without nulls gets no flags).
  let present = n;
  let nulls: Uint8Array | null = null;
  if (levels !== null) {
    if (nullScratch.length < n) nullScratch = new Uint8Array(n);
    present =
      col.nulls !== null
        ? decodeLevels(levels, 0, levels.length, n, col.nulls, at)
        : decodeLevels(levels, 0, levels.length, n, nullScratch, 0);
    if (present < n) {
      if (col.nulls === null) {
        col.nulls = nullMaskFor(col.values, col.values.length);
        col.nulls.set(nullScratch.subarray(0, n), at);
      }
      nulls = col.nulls;
    }
  } else if (col.nulls !== null) {
    col.nulls.fill(0, at, at + n);
  }
  if (encoding === ENC_RLE_DICTIONARY || encoding === ENC_PLAIN_DICTIONARY) {
    if (dict === null) throw new Error("dictionary page missing");
    if (b.length < 1) throw new Error("dictionary indices missing");
    const bw = b[0]!;
    const out = col.values as Dictionary;
    if (nulls === null && dict instanceof Float64Array && out instanceof Float64Array) {
      // The common case (a double column without nulls): indices straight to values.
      decodeHybridLookup(b, 1, b.length, bw, n, dict, out, at);
      return;
    }
    if (ids.length < present) ids = new Int32Array(present);
    decodeHybrid(b, 1, b.length, bw, present, ids);
    const size = dict.length;
    let k = 0;
    if (nulls === null) {
      for (let i = 0; i < n; i++) {
        const id = ids[i]!;
        if (id >= size) throw new Error("dictionary index out of range");
        out[at + i] = dict[id]!;
      }
      return;
    }
    const zero = out instanceof BigInt64Array ? 0n : 0;
    for (let i = 0; i < n; i++) {
      if (nulls[at + i] === 1) {
        out[at + i] = zero;
        continue;
      }
      const id = ids[k++]!;
      if (id >= size) throw new Error("dictionary index out of range");
      out[at + i] = dict[id]!;
    }
    return;
  }
  if (encoding !== ENC_PLAIN) throw new Error(`value encoding ${encoding}`);
  if (col.type === "bool") {
    const out = col.values;
    if (present > b.length * 8) throw new Error("values end early");
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (nulls !== null && nulls[at + i] === 1) {
        out[at + i] = 0;
        continue;
      }
      out[at + i] = (b[k >>> 3]! >>> (k & 7)) & 1;
      k++;
    }
    return;
  }
  const w = WIDTH[col.type]!;
  if (present * w > b.length) throw new Error("values end early");
  const target = new Uint8Array(col.values.buffer, col.values.byteOffset + at * w, n * w);
  if (present === n) {
    target.set(b.subarray(0, n * w));
    return;
  }
  // Present values are stored back to back: place each at its row as 32-bit words (bit for
  // bit), zero the null slots.
  target.fill(0);
  const src = new Int32Array(b.slice(0, present * w).buffer);
  const words = w / 4;
  const dst = new Int32Array(col.values.buffer, col.values.byteOffset + at * w, n * words);
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (nulls![at + i] === 1) continue;
    dst[i * words] = src[k * words]!;
    if (words === 2) dst[i * 2 + 1] = src[k * 2 + 1]!;
    k++;
  }
}
