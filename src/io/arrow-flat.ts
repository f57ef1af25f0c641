/**
 * Arrow IPC streams of flat columns, read from and written to memory in one go: the service's
 * small bodies, where the `apache-arrow` reader's and writer's per-call set-up (vectors, visitors,
 * promises) costs more than the rows' own work.
 *
 * The messages are Arrow's own flatbuffers (`apache-arrow/fb`, built and read with the
 * `flatbuffers` package). Read: little-endian streams (with or without the continuation marker)
 * of uncompressed record batches whose fields are FloatingPoint (single, double), signed Int 32
 * and 64, Bool, Utf8 and Timestamp, none dictionary-encoded or nested; anything else, and any
 * inconsistency, returns null, for the `apache-arrow` reader to read or to name what is wrong
 * (`io/arrow.ts`). What is read equals what `tableFromBatch` makes of the same batch (types,
 * nulls, the values under nulls). Write: any table, as one record batch per table.
 */

import { Bool } from "apache-arrow/fb/bool";
import { Buffer as FbBuffer } from "apache-arrow/fb/buffer";
import { Endianness } from "apache-arrow/fb/endianness";
import { Field } from "apache-arrow/fb/field";
import { FieldNode } from "apache-arrow/fb/field-node";
import { FloatingPoint } from "apache-arrow/fb/floating-point";
import { Int } from "apache-arrow/fb/int";
import { Message } from "apache-arrow/fb/message";
import { MessageHeader } from "apache-arrow/fb/message-header";
import { MetadataVersion } from "apache-arrow/fb/metadata-version";
import { Precision } from "apache-arrow/fb/precision";
import { RecordBatch } from "apache-arrow/fb/record-batch";
import { Schema } from "apache-arrow/fb/schema";
import { TimeUnit as FbTimeUnit } from "apache-arrow/fb/time-unit";
import { Timestamp } from "apache-arrow/fb/timestamp";
import { Type } from "apache-arrow/fb/type";
import { Utf8 } from "apache-arrow/fb/utf8";
import { Builder, ByteBuffer } from "flatbuffers";
import type { Column, Table, TimeUnit } from "../core/table.js";
import { allocateColumn, type ColumnSpec } from "./columns.js";

const UNITS: TimeUnit[] = ["s", "ms", "us", "ns"];
const FB_UNITS: Record<TimeUnit, FbTimeUnit> = {
  s: FbTimeUnit.SECOND,
  ms: FbTimeUnit.MILLISECOND,
  us: FbTimeUnit.MICROSECOND,
  ns: FbTimeUnit.NANOSECOND,
};
/** Bytes per value of the fixed-width column types. */
const WIDTH: Partial<Record<Column["type"], number>> = {
  float64: 8,
  float32: 4,
  int64: 8,
  int32: 4,
  timestamp: 8,
};

/** The column spec of a schema field, or null outside the subset read here. */
function specOf(f: Field): ColumnSpec | null {
  const name = f.name();
  if (name === null || f.dictionary() !== null || f.childrenLength() !== 0) return null;
  switch (f.typeType()) {
    case Type.FloatingPoint: {
      const p = (f.type(new FloatingPoint()) as FloatingPoint).precision();
      if (p === Precision.DOUBLE) return { name, type: "float64", unit: "us" };
      return p === Precision.SINGLE ? { name, type: "float32", unit: "us" } : null;
    }
    case Type.Int: {
      const t = f.type(new Int()) as Int;
      if (!t.isSigned()) return null;
      if (t.bitWidth() === 64) return { name, type: "int64", unit: "us" };
      return t.bitWidth() === 32 ? { name, type: "int32", unit: "us" } : null;
    }
    case Type.Bool:
      return { name, type: "bool", unit: "us" };
    case Type.Utf8:
      return { name, type: "string", unit: "us" };
    case Type.Timestamp: {
      const unit = UNITS[(f.type(new Timestamp()) as Timestamp).unit()];
      return unit === undefined ? null : { name, type: "timestamp", unit };
    }
    default:
      return null;
  }
}

const decoder = new TextDecoder();

/**
 * A column of `n` rows from its buffers in `body` (validity, then data; offsets before data for
 * Utf8), or null when they do not fit.
 */
function readColumn(
  spec: ColumnSpec,
  n: number,
  nullCount: number,
  bufs: { offset: number; length: number }[],
  body: Uint8Array,
): Column | null {
  const col = allocateColumn(spec, n);
  const validity = bufs[0]!;
  if (nullCount > 0 && validity.length * 8 < n) return null;
  const isNull = (i: number) =>
    nullCount > 0 && (body[validity.offset + (i >> 3)]! & (1 << (i & 7))) === 0;
  if (col.type === "string") {
    const offsets = bufs[1]!;
    const data = bufs[2]!;
    if (offsets.length < 4 * (n + 1)) return null;
    const at = new Int32Array(n + 1);
    new Uint8Array(at.buffer).set(body.subarray(offsets.offset, offsets.offset + 4 * (n + 1)));
    for (let i = 0; i < n; i++) {
      const s = at[i]!;
      const e = at[i + 1]!;
      if (s < 0 || e < s || e > data.length) return null;
      col.values[i] = isNull(i)
        ? null
        : decoder.decode(body.subarray(data.offset + s, data.offset + e));
    }
    return col;
  }
  const data = bufs[1]!;
  if (col.type === "bool") {
    if (data.length * 8 < n) return null;
    for (let i = 0; i < n; i++) col.values[i] = (body[data.offset + (i >> 3)]! >> (i & 7)) & 1;
  } else {
    const bytes = n * WIDTH[col.type]!;
    if (data.length < bytes) return null;
    new Uint8Array(col.values.buffer).set(body.subarray(data.offset, data.offset + bytes));
  }
  if (nullCount > 0) {
    const zero = (col.type === "int64" || col.type === "timestamp" ? 0n : 0) as never;
    for (let i = 0; i < n; i++) {
      if (!isNull(i)) continue;
      if (col.nulls === null) col.nulls = new Uint8Array(n);
      col.nulls[i] = 1;
      col.values[i] = zero;
    }
  }
  return col;
}

/**
 * The schema and the record batches (one table each) of an Arrow IPC stream in memory, or null
 * when the stream is outside what is read here (see the file's comment) or not well formed.
 */
export function readFlatStream(bytes: Uint8Array): { specs: ColumnSpec[]; tables: Table[] } | null {
  try {
    return readMessages(bytes);
  } catch {
    // Metadata that the flatbuffer accessors cannot read: apache-arrow's reader says what is wrong.
    return null;
  }
}

function readMessages(bytes: Uint8Array): { specs: ColumnSpec[]; tables: Table[] } | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let specs: ColumnSpec[] | null = null;
  const tables: Table[] = [];
  let pos = 0;
  for (;;) {
    if (pos + 4 > bytes.length) return null;
    let size = view.getInt32(pos, true);
    pos += 4;
    if (size === -1) {
      if (pos + 4 > bytes.length) return null;
      size = view.getInt32(pos, true);
      pos += 4;
    }
    if (size === 0) break;
    if (size < 0 || pos + size > bytes.length) return null;
    const message = Message.getRootAsMessage(new ByteBuffer(bytes.subarray(pos, pos + size)));
    pos += size;
    const bodyLength = Number(message.bodyLength());
    if (!(bodyLength >= 0) || pos + bodyLength > bytes.length) return null;
    const body = bytes.subarray(pos, pos + bodyLength);
    pos += bodyLength;
    if (message.headerType() === MessageHeader.Schema) {
      if (specs !== null) return null;
      const schema = message.header(new Schema()) as Schema;
      if (schema.endianness() !== Endianness.Little) return null;
      specs = [];
      for (let i = 0; i < schema.fieldsLength(); i++) {
        const s = specOf(schema.fields(i)!);
        if (s === null) return null;
        specs.push(s);
      }
    } else if (message.headerType() === MessageHeader.RecordBatch && specs !== null) {
      const batch = message.header(new RecordBatch()) as RecordBatch;
      if (batch.compression() !== null || batch.nodesLength() !== specs.length) return null;
      const n = Number(batch.length());
      const columns: Column[] = [];
      let b = 0;
      for (let k = 0; k < specs.length; k++) {
        const node = batch.nodes(k)!;
        if (Number(node.length()) !== n) return null;
        const count = specs[k]!.type === "string" ? 3 : 2;
        const bufs: { offset: number; length: number }[] = [];
        for (let j = 0; j < count; j++, b++) {
          const buf = b < batch.buffersLength() ? batch.buffers(b) : null;
          if (buf === null) return null;
          const offset = Number(buf.offset());
          const length = Number(buf.length());
          if (offset < 0 || length < 0 || offset + length > body.length) return null;
          bufs.push({ offset, length });
        }
        const col = readColumn(specs[k]!, n, Number(node.nullCount()), bufs, body);
        if (col === null) return null;
        columns.push(col);
      }
      if (b !== batch.buffersLength()) return null;
      tables.push({ rows: n, columns });
    } else {
      // Dictionary batches, tensors, a batch before its schema.
      return null;
    }
  }
  return specs === null ? null : { specs, tables };
}

/**
 * A column's Arrow buffers: its nulls' count and validity bitmap (1 = valid; empty without
 * nulls), and its data: bit-packed booleans, UTF-8 bytes with `offsets`, or the fixed-width typed
 * array's own bytes. `io/arrow.ts` builds apache-arrow's vectors from the same buffers.
 */
export function arrowBuffers(
  c: Column,
  n: number,
): { nulls: number; validity: Uint8Array; data: Uint8Array; offsets?: Int32Array } {
  // Nulls: text values that are null, or a mask's ones; the bitmap only when there are some.
  let nulls = 0;
  let validity = new Uint8Array(0);
  const mask = c.type === "string" ? null : c.nulls;
  if (c.type === "string" || mask !== null) {
    for (let i = 0; i < n; i++) {
      if (mask === null ? c.values[i] != null : mask[i] !== 1) continue;
      if (nulls++ === 0) validity = new Uint8Array(Math.ceil(n / 8)).fill(0xff);
      validity[i >> 3]! &= ~(1 << (i & 7));
    }
  }
  if (c.type === "string") {
    const encoder = new TextEncoder();
    const parts = new Array<Uint8Array>(n);
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) {
      const v = c.values[i];
      parts[i] = v === null || v === undefined ? new Uint8Array(0) : encoder.encode(v);
      offsets[i + 1] = offsets[i]! + parts[i]!.length;
    }
    const data = new Uint8Array(offsets[n]!);
    for (let i = 0; i < n; i++) data.set(parts[i]!, offsets[i]!);
    return { nulls, validity, data, offsets };
  }
  if (c.type === "bool") {
    const bits = new Uint8Array(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) if (c.values[i]) bits[i >> 3]! |= 1 << (i & 7);
    return { nulls, validity, data: bits };
  }
  const v = c.values;
  return { nulls, validity, data: new Uint8Array(v.buffer, v.byteOffset, n * WIDTH[c.type]!) };
}

/** The buffers of a column in IPC order: validity, then offsets and data, or data. */
function columnBuffers(c: Column, n: number): { nulls: number; buffers: Uint8Array[] } {
  const b = arrowBuffers(c, n);
  const buffers =
    b.offsets === undefined
      ? [b.validity, b.data]
      : [b.validity, new Uint8Array(b.offsets.buffer), b.data];
  return { nulls: b.nulls, buffers };
}

const pad8 = (n: number) => (n + 7) & ~7;

/** One framed message: continuation marker, padded metadata size, metadata, body. */
function frame(b: Builder, body: Uint8Array[], bodyBytes: number): Uint8Array[] {
  const meta = b.asUint8Array();
  const head = new Uint8Array(8 + pad8(meta.length));
  const view = new DataView(head.buffer);
  view.setInt32(0, -1, true);
  view.setInt32(4, pad8(meta.length), true);
  head.set(meta, 8);
  const parts: Uint8Array[] = [head];
  let at = 0;
  for (const p of body) {
    parts.push(p);
    at += p.length;
    if (pad8(at) !== at) {
      parts.push(new Uint8Array(pad8(at) - at));
      at = pad8(at);
    }
  }
  if (at !== bodyBytes) throw new Error("arrow-flat: body size mismatch");
  return parts;
}

function fieldType(b: Builder, c: Column): [Type, number] {
  switch (c.type) {
    case "float64":
      return [Type.FloatingPoint, FloatingPoint.createFloatingPoint(b, Precision.DOUBLE)];
    case "float32":
      return [Type.FloatingPoint, FloatingPoint.createFloatingPoint(b, Precision.SINGLE)];
    case "int64":
      return [Type.Int, Int.createInt(b, 64, true)];
    case "int32":
      return [Type.Int, Int.createInt(b, 32, true)];
    case "bool":
      Bool.startBool(b);
      return [Type.Bool, Bool.endBool(b)];
    case "string":
      Utf8.startUtf8(b);
      return [Type.Utf8, Utf8.endUtf8(b)];
    case "timestamp":
      return [Type.Timestamp, Timestamp.createTimestamp(b, FB_UNITS[c.unit], 0)];
  }
}

/** Schema messages by their columns' names and types (the service answers with a few). */
const schemas = new Map<string, Uint8Array[]>();

function schemaMessage(columns: readonly Column[]): Uint8Array[] {
  const key = JSON.stringify(
    columns.map((c) => [c.name, c.type, c.type === "timestamp" ? c.unit : ""]),
  );
  let message = schemas.get(key);
  if (message === undefined) {
    message = buildSchema(columns);
    if (schemas.size >= 1024) schemas.clear();
    schemas.set(key, message);
  }
  return message;
}

function buildSchema(columns: readonly Column[]): Uint8Array[] {
  const b = new Builder(256);
  const fields = columns.map((c) => {
    const name = b.createString(c.name);
    const [typeType, type] = fieldType(b, c);
    const children = Field.createChildrenVector(b, []);
    Field.startField(b);
    Field.addName(b, name);
    Field.addNullable(b, true);
    Field.addTypeType(b, typeType);
    Field.addType(b, type);
    Field.addChildren(b, children);
    return Field.endField(b);
  });
  const vector = Schema.createFieldsVector(b, fields);
  Schema.startSchema(b);
  Schema.addEndianness(b, Endianness.Little);
  Schema.addFields(b, vector);
  const schema = Schema.endSchema(b);
  b.finish(Message.createMessage(b, MetadataVersion.V5, MessageHeader.Schema, schema, 0n, 0));
  return frame(b, [], 0);
}

function batchMessage(t: Table): Uint8Array[] {
  const cols = t.columns.map((c) => columnBuffers(c, t.rows));
  const buffers = cols.flatMap((c) => c.buffers);
  const b = new Builder(256 + 32 * buffers.length);
  RecordBatch.startNodesVector(b, cols.length);
  for (let k = cols.length - 1; k >= 0; k--)
    FieldNode.createFieldNode(b, BigInt(t.rows), BigInt(cols[k]!.nulls));
  const nodes = b.endVector();
  const offsets: number[] = [];
  let at = 0;
  for (const p of buffers) {
    offsets.push(at);
    at = pad8(at + p.length);
  }
  RecordBatch.startBuffersVector(b, buffers.length);
  for (let j = buffers.length - 1; j >= 0; j--)
    FbBuffer.createBuffer(b, BigInt(offsets[j]!), BigInt(buffers[j]!.length));
  const bufs = b.endVector();
  RecordBatch.startRecordBatch(b);
  RecordBatch.addLength(b, BigInt(t.rows));
  RecordBatch.addNodes(b, nodes);
  RecordBatch.addBuffers(b, bufs);
  const batch = RecordBatch.endRecordBatch(b);
  b.finish(
    Message.createMessage(b, MetadataVersion.V5, MessageHeader.RecordBatch, batch, BigInt(at), 0),
  );
  return frame(b, buffers, at);
}

/** Tables (one or more, of the same columns) as an Arrow IPC stream, one record batch each. */
export function writeFlatStream(tables: readonly Table[]): Buffer {
  const parts = [...schemaMessage(tables[0]!.columns)];
  for (const t of tables) parts.push(...batchMessage(t));
  parts.push(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0));
  return Buffer.concat(parts);
}
