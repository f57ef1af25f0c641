/**
 * The direct Arrow IPC stream reader and writer (`io/arrow-flat.ts`) against apache-arrow's:
 * a stream apache-arrow writes reads as `tableFromBatch` reads it, bit for bit; a stream written
 * here reads back through apache-arrow as the table written; streams outside the subset, and
 * every truncation of a stream, read as null (so the caller falls back), never as other data.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Table as ArrowTable,
  Dictionary,
  Int16,
  Int32,
  makeVector,
  RecordBatchReader,
  RecordBatchStreamWriter,
  Uint64,
  Utf8,
  vectorFromArray,
} from "apache-arrow";
import type { Column, Table } from "../../src/core/table.js";
import { batchOfTable, specOfField, tableFromBatch } from "../../src/io/arrow.js";
import { readFlatStream, writeFlatStream } from "../../src/io/arrow-flat.js";

/** A table of every column type, nulls in every nullable one, awkward values included. */
function everyType(rows: number, seed: number, zeroUnderNulls = true): Table {
  const nulls = (k: number) =>
    Uint8Array.from({ length: rows }, (_, i) => ((i * 7 + seed + k) % 5 === 0 ? 1 : 0));
  const f64 = Float64Array.from(
    { length: rows },
    (_, i) => [-0, Number.NaN, 1e308, 5e-324, Math.sin(i + seed)][i % 5]!,
  );
  const text = ["", "ü", "a,b", "日本", "x"];
  const columns: Column[] = [
    { name: "f64", type: "float64", values: f64, nulls: null },
    {
      name: "f64 null",
      type: "float64",
      values: f64.map((x, i) => (nulls(0)[i] ? 0 : x)),
      nulls: nulls(0),
    },
    {
      name: "f32",
      type: "float32",
      values: Float32Array.from({ length: rows }, (_, i) => i / 3),
      nulls: nulls(1),
    },
    {
      name: "i32",
      type: "int32",
      values: Int32Array.from({ length: rows }, (_, i) => (i % 2 ? -2147483648 : 2147483647 - i)),
      nulls: null,
    },
    {
      name: "i64",
      type: "int64",
      values: BigInt64Array.from({ length: rows }, (_, i) =>
        i % 2 ? -(2n ** 63n) : 2n ** 62n + BigInt(i),
      ),
      nulls: nulls(2),
    },
    {
      name: "bool",
      type: "bool",
      values: Uint8Array.from({ length: rows }, (_, i) => (i % 3) & 1),
      nulls: nulls(3),
    },
    {
      name: "text",
      type: "string",
      values: Array.from({ length: rows }, (_, i) => (nulls(4)[i] ? null : text[i % 5]!)),
    },
  ];
  for (const unit of ["s", "ms", "us", "ns"] as const) {
    columns.push({
      name: `ts ${unit}`,
      type: "timestamp",
      unit,
      values: BigInt64Array.from({ length: rows }, (_, i) => BigInt(i) * 86_400n - 5n),
      nulls: unit === "ms" ? nulls(5) : null,
    });
  }
  // The values under nulls are 0, and a mask without nulls is none, as tableFromBatch leaves them.
  for (const c of columns) {
    if (c.type === "string" || c.nulls === null) continue;
    if (!c.nulls.includes(1)) c.nulls = null;
    if (c.nulls === null || !zeroUnderNulls) continue;
    for (let i = 0; i < rows; i++)
      if (c.nulls[i]) c.values[i] = (typeof c.values[0] === "bigint" ? 0n : 0) as never;
  }
  return { rows, columns };
}

/** What apache-arrow's reader and tableFromBatch make of a stream. */
function viaArrow(bytes: Uint8Array): Table[] {
  const reader = RecordBatchReader.from(bytes).open();
  const specs = reader.schema.fields.map((f) => specOfField(f)!);
  return reader.readAll().map((b) => tableFromBatch(b, specs));
}

function arrowStream(tables: Table[], legacy = false): Uint8Array {
  const w = new RecordBatchStreamWriter({ writeLegacyIpcFormat: legacy });
  for (const t of tables) w.write(batchOfTable(t));
  w.finish();
  return w.toUint8Array(true);
}

describe("Arrow IPC streams of flat columns", () => {
  it("reads what apache-arrow writes as tableFromBatch does, bit for bit (legacy framing too)", () => {
    // Values under nulls as written: the readers read them as 0.
    const tables = [everyType(1000, 0, false), everyType(0, 1), everyType(13, 2, false)];
    for (const legacy of [false, true]) {
      const bytes = arrowStream(tables, legacy);
      const got = readFlatStream(bytes);
      assert.notEqual(got, null);
      assert.deepEqual(got!.tables, viaArrow(bytes));
      assert.deepEqual(
        got!.specs.map((s) => [s.name, s.type]),
        tables[0]!.columns.map((c) => [c.name, c.type]),
      );
    }
  });

  it("writes streams that apache-arrow reads back as the tables written", () => {
    const tables = [everyType(1000, 3), everyType(7, 4), everyType(0, 5)];
    const bytes = writeFlatStream(tables);
    assert.deepEqual(viaArrow(bytes), tables);
    // And its own reader agrees.
    assert.deepEqual(readFlatStream(bytes)!.tables, tables);
    const t = new ArrowTable(RecordBatchReader.from(bytes).open().readAll());
    assert.equal(t.numRows, 1007);
  });

  it("leaves to apache-arrow what it does not read: other types, dictionaries, truncations", () => {
    const other = (vector: ReturnType<typeof makeVector>) => {
      const w = RecordBatchStreamWriter.writeAll(new ArrowTable({ x: vector }));
      return w.toUint8Array(true);
    };
    assert.equal(readFlatStream(other(makeVector(Int16Array.of(1, 2)))), null, "Int16");
    assert.equal(readFlatStream(other(makeVector(BigUint64Array.of(1n, 2n)))), null, "UInt64");
    const dict = vectorFromArray(["a", "b", "a"], new Dictionary(new Utf8(), new Int32()));
    assert.equal(readFlatStream(other(dict)), null, "dictionary-encoded strings");
    assert.ok(new Int16() && new Uint64(), "types exist");
    const bytes = arrowStream([everyType(50, 6), everyType(20, 7)]);
    for (let cut = 0; cut < bytes.length; cut++) {
      assert.equal(readFlatStream(bytes.subarray(0, cut)), null, `cut at ${cut}`);
    }
    assert.equal(readFlatStream(new TextEncoder().encode("not arrow at all")), null);
  });
});
