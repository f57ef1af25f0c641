/**
 * Reading back, at memory speed, the Parquet files `parquet-fixed.ts` writes (encoded shards,
 * decoded outputs): footer and page headers in the Thrift compact protocol, definition levels
 * and dictionary indices in the RLE / bit-packed hybrid, PLAIN values copied as bytes.
 *
 * Only files whose footer says they were written by modenorm, uncompressed, with flat OPTIONAL
 * columns of the physical types that writer uses are taken ({@link openFixedParquet} returns
 * null for anything else, and DuckDB reads it). Through DuckDB such a file costs about 30 ns a
 * row and column here (a materialized chunk copied, then two external buffers a vector); read
 * here, a few.
 */
import { type FileHandle, open } from "node:fs/promises";
import { InvalidInputError } from "../core/errors.js";
import type { Column, ColumnType } from "../core/table.js";

// parquet.thrift values (see parquet-fixed.ts).
const TYPE_BOOLEAN = 0;
const TYPE_INT32 = 1;
const TYPE_INT64 = 2;
const TYPE_FLOAT = 4;
const TYPE_DOUBLE = 5;
const ENC_PLAIN = 0;
const ENC_RLE = 3;
const ENC_RLE_DICTIONARY = 8;
const PAGE_DATA = 0;
const PAGE_DICTIONARY = 2;
const CREATED_BY = "modenorm";

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

/** A column chunk's place in the file. */
interface ChunkPlace {
  start: number;
  bytes: number;
}

/** A file of the fixed-width layout, opened. */
export interface FixedParquetFile {
  path: string;
  rows: number;
  columns: { name: string; type: ColumnType }[];
  /** Per row group: its rows and one chunk place per column. */
  groups: { rows: number; chunks: ChunkPlace[] }[];
  handle: FileHandle;
}

/**
 * Opens `path` when it is a file of the fixed-width layout (see the module comment), else
 * returns null (also for a file too short or damaged to say).
 */
export async function openFixedParquet(path: string): Promise<FixedParquetFile | null> {
  const handle = await open(path, "r");
  try {
    const size = (await handle.stat()).size;
    if (size < 12) throw new Error("too short");
    const tail = new Uint8Array(8);
    await handle.read(tail, 0, 8, size - 8);
    if (text.decode(tail.subarray(4)) !== "PAR1") throw new Error("no magic");
    const metaLen = new DataView(tail.buffer).getUint32(0, true);
    if (metaLen + 12 > size) throw new Error("bad footer length");
    const meta = new Uint8Array(metaLen);
    await handle.read(meta, 0, metaLen, size - 8 - metaLen);
    const fm = new ThriftReader(meta).struct();
    if (str(fm.get(6)) !== CREATED_BY) throw new Error("another writer");
    const schema = fm.get(2) as TStruct[];
    const columns = schema.slice(1).map((e) => {
      const type = TYPE_OF[num(e, 1)];
      if (type === undefined || e.get(3) !== 1 || e.has(5)) throw new Error("unsupported column");
      return { name: str(e.get(4)), type };
    });
    if (num(schema[0]!, 5) !== columns.length) throw new Error("nested schema");
    const groups = (fm.get(4) as TStruct[]).map((g) => {
      const chunks = (g.get(1) as TStruct[]).map((c, j) => {
        const m = c.get(3) as TStruct;
        if (num(m, 4) !== 0 || TYPE_OF[num(m, 1)] !== columns[j]!.type) throw new Error("codec");
        const start = m.has(11) ? num(m, 11) : num(m, 9);
        return { start, bytes: num(m, 7) };
      });
      if (chunks.length !== columns.length) throw new Error("column count");
      return { rows: num(g, 3), chunks };
    });
    return { path, rows: num(fm, 3), columns, groups, handle };
  } catch {
    await handle.close();
    return null;
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
      let v = 0;
      for (let i = 0; i < bytesPerValue; i++) v |= b[pos++]! << (8 * i);
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

/** Scratch memory reused across chunks (one reader at a time per thread: calls are awaited). */
let chunkBytes = new Uint8Array(0);
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
  if (chunkBytes.length < place.bytes) chunkBytes = new Uint8Array(place.bytes);
  const b = chunkBytes;
  const { bytesRead } = await file.handle.read(b, 0, place.bytes, place.start);
  try {
    if (bytesRead !== place.bytes) throw new Error("file ends early");
    if (col.type === "string" || col.type === "timestamp") throw new Error("type");
    let pos = 0;
    let dict: Int32Array | null = null;
    let page = new ThriftReader(b, pos);
    let header = page.struct();
    pos = page.pos;
    if (num(header, 1) === PAGE_DICTIONARY) {
      const size = num(header, 3);
      const dh = header.get(7) as TStruct;
      if (num(dh, 2) !== ENC_PLAIN || pos + size > place.bytes) throw new Error("dictionary page");
      dict = new Int32Array(b.slice(pos, pos + size).buffer);
      pos += size;
      page = new ThriftReader(b, pos);
      header = page.struct();
      pos = page.pos;
    }
    if (num(header, 1) !== PAGE_DATA) throw new Error("no data page");
    const end = pos + num(header, 3);
    if (end > place.bytes) throw new Error("page ends early");
    const dph = header.get(5) as TStruct;
    if (num(dph, 1) !== n || num(dph, 3) !== ENC_RLE) throw new Error("data page header");
    const encoding = num(dph, 2);
    // Definition levels: 4-byte length, then the hybrid runs (bit width 1).
    const levelBytes = new DataView(b.buffer, pos, 4).getUint32(0, true);
    const levelsEnd = pos + 4 + levelBytes;
    if (levelsEnd > end) throw new Error("levels end early");
    // Levels go to the column's null flags when it has them already, else to scratch first (a
    // column without nulls gets no flags).
    if (nullScratch.length < n) nullScratch = new Uint8Array(n);
    const present =
      col.nulls !== null
        ? decodeLevels(b, pos + 4, levelsEnd, n, col.nulls, offset)
        : decodeLevels(b, pos + 4, levelsEnd, n, nullScratch, 0);
    let nulls: Uint8Array | null = null;
    if (present < n) {
      if (col.nulls === null) {
        col.nulls = new Uint8Array(col.values.length);
        col.nulls.set(nullScratch.subarray(0, n), offset);
      }
      nulls = col.nulls;
    }
    pos = levelsEnd;
    if (encoding === ENC_RLE_DICTIONARY) {
      if (dict === null || col.type !== "int32") throw new Error("dictionary page missing");
      const bw = b[pos]!;
      if (ids.length < present) ids = new Int32Array(present);
      decodeHybrid(b, pos + 1, end, bw, present, ids);
      const out = col.values;
      let k = 0;
      for (let i = 0; i < n; i++) {
        if (nulls !== null && nulls[offset + i] === 1) {
          out[offset + i] = 0;
          continue;
        }
        const v = dict[ids[k++]!];
        if (v === undefined) throw new Error("dictionary index out of range");
        out[offset + i] = v;
      }
      return;
    }
    if (encoding !== ENC_PLAIN) throw new Error("value encoding");
    if (col.type === "bool") {
      const out = col.values;
      let k = 0;
      for (let i = 0; i < n; i++) {
        if (nulls !== null && nulls[offset + i] === 1) {
          out[offset + i] = 0;
          continue;
        }
        out[offset + i] = (b[pos + (k >>> 3)]! >>> (k & 7)) & 1;
        k++;
      }
      return;
    }
    const w = WIDTH[col.type]!;
    if (pos + present * w > end) throw new Error("values end early");
    const target = new Uint8Array(col.values.buffer, col.values.byteOffset + offset * w, n * w);
    if (present === n) {
      target.set(b.subarray(pos, pos + n * w));
      return;
    }
    // Present values are stored back to back: place each at its row as 32-bit words (bit for
    // bit), zero the null slots.
    target.fill(0);
    const src = new Int32Array(b.slice(pos, pos + present * w).buffer);
    const words = w / 4;
    const dst = new Int32Array(col.values.buffer, col.values.byteOffset + offset * w, n * words);
    let k = 0;
    for (let i = 0; i < n; i++) {
      if (nulls![offset + i] === 1) continue;
      dst[i * words] = src[k * words]!;
      if (words === 2) dst[i * 2 + 1] = src[k * 2 + 1]!;
      k++;
    }
  } catch (err) {
    throw new InvalidInputError(
      `${file.path}: corrupt Parquet file (row group ${g}, column "${file.columns[j]!.name}"): ${(err as Error).message}`,
      { cause: err },
    );
  }
}
