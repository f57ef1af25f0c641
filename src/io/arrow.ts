/**
 * Arrow IPC in and out (the official `apache-arrow` package): files (`.arrow`, the IPC file
 * format, also called Feather v2) and streams (`.arrows`, and standard input / output).
 *
 * Types: Float64/Float32 → float64/float32, Int64/UInt32/UInt64 → int64 (a UInt64 value beyond
 * int64 is an error naming row and value), Int32/Int16/Int8/UInt16/UInt8 → int32, Bool → bool, Utf8/LargeUtf8 → string, Timestamp → timestamp (its unit; the time zone is
 * dropped: values are UTC), Dictionary of strings → string. Fixed-width values are copied from
 * the batch's buffers in one `set` per chunk. Writing maps back the other way (timestamps without
 * a time zone). Nulls follow Arrow's validity bitmaps.
 */
import type { Readable } from "node:stream";
import {
  TimeUnit as ArrowTimeUnit,
  Bool,
  type Data,
  DataType,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Timestamp,
  Utf8,
  type Vector,
} from "apache-arrow";
import { InvalidInputError } from "../core/errors.js";
import type { Column, Table, TimeUnit } from "../core/table.js";
import { arrowBuffers } from "./arrow-flat.js";
import { allocateColumn, type ColumnSpec } from "./columns.js";

const UNITS: Record<number, TimeUnit> = {
  [ArrowTimeUnit.SECOND]: "s",
  [ArrowTimeUnit.MILLISECOND]: "ms",
  [ArrowTimeUnit.MICROSECOND]: "us",
  [ArrowTimeUnit.NANOSECOND]: "ns",
};
const ARROW_UNITS: Record<TimeUnit, ArrowTimeUnit> = {
  s: ArrowTimeUnit.SECOND,
  ms: ArrowTimeUnit.MILLISECOND,
  us: ArrowTimeUnit.MICROSECOND,
  ns: ArrowTimeUnit.NANOSECOND,
};

/** The modenorm column spec an Arrow field reads as, or null when unsupported. */
export function specOfField(field: Field): ColumnSpec | null {
  const t = field.type as DataType;
  const name = field.name;
  if (DataType.isFloat(t)) {
    return { name, type: (t as Float64).precision === 2 ? "float64" : "float32", unit: "us" };
  }
  if (DataType.isInt(t)) {
    const bits: number = (t as unknown as { bitWidth: number }).bitWidth;
    const signed: boolean = (t as unknown as { isSigned: boolean }).isSigned;
    if (bits === 64 || (bits === 32 && !signed)) return { name, type: "int64", unit: "us" };
    return { name, type: "int32", unit: "us" };
  }
  if (DataType.isBool(t)) return { name, type: "bool", unit: "us" };
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t)) return { name, type: "string", unit: "us" };
  if (DataType.isDictionary(t)) return { name, type: "string", unit: "us" };
  if (DataType.isTimestamp(t)) {
    return { name, type: "timestamp", unit: UNITS[(t as Timestamp).unit] ?? "us" };
  }
  return null;
}

const INT64_MAX = 2n ** 63n - 1n;

/** Where a batch is, for messages: its file and the 0-based index of its first row. */
export interface BatchPlace {
  path: string;
  firstRow: number;
}

/**
 * A value converted to another type (a forced type, or uint64 to int64), checked to be kept
 * exactly: the value to store, or a message saying why it cannot be.
 */
function convertExactly(v: number | bigint, type: Column["type"]): number | bigint | string {
  switch (type) {
    case "int64":
    case "timestamp":
      if (typeof v === "bigint") return v > INT64_MAX ? "is beyond the int64 range" : v;
      return Number.isInteger(v) ? BigInt(v) : `is not an integer (read as ${type})`;
    case "int32":
      if (typeof v === "bigint") {
        return v >= -2147483648n && v <= 2147483647n ? Number(v) : "is beyond the int32 range";
      }
      if (Number.isNaN(v) || Number.isInteger(v)) {
        return v >= -2147483648 && v <= 2147483647 ? v : "is beyond the int32 range";
      }
      return "is not an integer (read as int32)";
    case "float64":
      if (typeof v === "bigint" && BigInt(Number(v)) !== v) {
        return "cannot be held exactly by float64";
      }
      return Number(v);
    default:
      return Number(v);
  }
}

/** Copies `vector` (any chunking) into `col` from row `offset`. */
function copyVector(vector: Vector, col: Column, offset: number, place?: BatchPlace): void {
  let at = offset;
  for (const data of vector.data as Data[]) {
    const n = data.length;
    const bitmap = data.nullBitmap as Uint8Array | undefined;
    const hasNulls = data.nullCount > 0 && bitmap !== undefined && bitmap.length > 0;
    const valid = (i: number) => {
      const bit = data.offset + i;
      return !hasNulls || (bitmap![bit >> 3]! & (1 << (bit & 7))) !== 0;
    };
    const values = data.values as ArrayLike<number | bigint> & { subarray?: unknown };
    // A value of another type: kept exactly, or an error (a null's slot holds anything).
    const store = (i: number, v: number | bigint) => {
      if (!valid(i)) return;
      const x = convertExactly(v, col.type);
      if (typeof x !== "string") {
        (col.values as unknown as (number | bigint)[])[at + i] = x;
        return;
      }
      const where =
        place === undefined
          ? `column "${col.name}"`
          : `${place.path}: row ${place.firstRow + at - offset + i + 1}, column "${col.name}"`;
      const name = JSON.stringify(col.name);
      const fix = x.startsWith("is not")
        ? `read it as float64 (fit with --continuous ${name})`
        : x.startsWith("cannot")
          ? `keep its integer type (fit with --integer ${name} or --categorical ${name})`
          : "leave the column out with --columns, or store it as text";
      throw new InvalidInputError(`${where}: ${String(v)} ${x}; ${fix}`);
    };
    switch (col.type) {
      case "float64":
      case "float32":
      case "int32":
        if (values instanceof col.values.constructor) {
          (col.values as Float64Array).set(
            (values as Float64Array).subarray(data.offset, data.offset + n),
            at,
          );
        } else {
          for (let i = 0; i < n; i++) store(i, values[data.offset + i]!);
        }
        break;
      case "int64":
      case "timestamp":
        if (values instanceof BigInt64Array) {
          col.values.set(values.subarray(data.offset, data.offset + n), at);
        } else {
          for (let i = 0; i < n; i++) store(i, values[data.offset + i]!);
        }
        break;
      case "bool":
        for (let i = 0; i < n; i++) {
          const bit = data.offset + i;
          col.values[at + i] = ((values as Uint8Array)[bit >> 3]! >> (bit & 7)) & 1;
        }
        break;
      case "string": {
        // Utf8 through the vector's own decoding (dictionaries included).
        const v = vector;
        for (let i = 0; i < n; i++) {
          const s = v.get(at - offset + i) as string | null;
          col.values[at + i] = s ?? null;
        }
        break;
      }
    }
    if (hasNulls && col.type !== "string") {
      for (let i = 0; i < n; i++) {
        if (valid(i)) continue;
        if (col.nulls === null) col.nulls = new Uint8Array(col.values.length);
        col.nulls[at + i] = 1;
        col.values[at + i] = (col.type === "int64" || col.type === "timestamp" ? 0n : 0) as never;
      }
    }
    at += n;
  }
}

/** The selected columns of a record batch as a Table. */
export function tableFromBatch(
  batch: RecordBatch,
  specs: readonly ColumnSpec[],
  place?: BatchPlace,
): Table {
  const columns = specs.map((s) => {
    const col = allocateColumn(s, batch.numRows);
    const vector = batch.getChild(s.name);
    if (vector === null) throw new InvalidInputError(`column "${s.name}" is missing in a batch`);
    copyVector(vector, col, 0, place);
    return col;
  });
  return { rows: batch.numRows, columns };
}

function arrowType(c: Column): DataType {
  switch (c.type) {
    case "float64":
      return new Float64();
    case "float32":
      return new Float32();
    case "int64":
      return new Int64();
    case "int32":
      return new Int32();
    case "bool":
      return new Bool();
    case "string":
      return new Utf8();
    case "timestamp":
      return new Timestamp(ARROW_UNITS[c.unit]);
  }
}

function dataOf(c: Column, n: number): Data {
  const type = arrowType(c);
  const b = arrowBuffers(c, n);
  const nulls = { nullCount: b.nulls, nullBitmap: b.nulls > 0 ? b.validity : undefined };
  if (c.type === "string")
    return makeData({
      type: type as Utf8,
      length: n,
      ...nulls,
      valueOffsets: b.offsets!,
      data: b.data,
    });
  if (c.type === "bool") return makeData({ type: type as Bool, length: n, ...nulls, data: b.data });
  // Fixed-width columns: the typed array is the Arrow data buffer as it is (no copy).
  return (makeData as (p: unknown) => Data)({ type, length: n, ...nulls, data: c.values });
}

/** A Table as one Arrow record batch. */
export function batchOfTable(table: Table): RecordBatch {
  const datas = table.columns.map((c) => dataOf(c, table.rows));
  const fields = table.columns.map((c, j) => new Field(c.name, datas[j]!.type, true));
  const struct = makeData({
    type: new Struct(fields),
    length: table.rows,
    nullCount: 0,
    children: datas,
  });
  return new RecordBatch(new Schema(fields), struct);
}

/** The reader's batches, with a failure while reading them reported as bad input naming `what`. */
async function* namedErrors(
  what: string,
  reader: AsyncIterable<RecordBatch>,
): AsyncGenerator<RecordBatch> {
  try {
    yield* reader;
  } catch (err) {
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError(
      `${what}: truncated or corrupt Arrow IPC data (${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
}

/** An Arrow IPC reader over a file's or stream's bytes (file or stream format, detected). */
export async function openArrowReader(
  what: string,
  source: Readable | AsyncIterable<Uint8Array>,
): Promise<{ specs: ColumnSpec[]; batches: AsyncIterableIterator<RecordBatch> }> {
  let reader: {
    schema: Schema;
    open(): unknown;
    [Symbol.asyncIterator](): AsyncIterableIterator<RecordBatch>;
  };
  try {
    reader = (await RecordBatchReader.from(
      source as AsyncIterable<Uint8Array>,
    )) as unknown as typeof reader;
    await reader.open();
  } catch (err) {
    throw new InvalidInputError(
      `${what}: not an Arrow IPC file or stream (${err instanceof Error ? err.message : String(err)})`,
      { cause: err },
    );
  }
  const specs: ColumnSpec[] = [];
  for (const f of reader.schema.fields) {
    const s = specOfField(f);
    if (s === null) {
      throw new InvalidInputError(
        `${what}: column "${f.name}" has Arrow type ${String(f.type)}, which modenorm cannot read; readable: floating point, integers, Bool, Utf8, dictionary-encoded strings, Timestamp`,
      );
    }
    specs.push(s);
  }
  return { specs, batches: namedErrors(what, reader) };
}

/** A writer of an Arrow IPC stream of batches to a Node stream (standard output). */
export function arrowStreamWriter() {
  return new RecordBatchStreamWriter();
}
