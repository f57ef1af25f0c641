/** Shared helpers of the I/O tests: temp dirs, table comparison, an edge-value table. */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import type { Column, Table } from "../../src/core/table.js";

/** Repo root: tests run from dist/test/io, sources live in test/io. */
const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(
  here,
  here.includes(`${join("dist", "test")}`) ? "../../.." : "../..",
);
/** The shared data folder beside the project (`../shared/data`). */
export const SHARED_DATA = resolve(REPO_ROOT, "../shared/data");
/** Hand-made fixtures of the I/O tests. */
export const FIXTURES = resolve(REPO_ROOT, "test/fixtures/io");

/** Path of a shared data file, or null (and the test skipped with a message) if absent. */
export function sharedFile(t: { skip: (msg: string) => void }, name: string): string | null {
  const path = join(SHARED_DATA, name);
  if (!existsSync(path)) {
    t.skip(`${path} absent: the shared data folder is not beside the project`);
    return null;
  }
  return path;
}

/** Rows `[from, from + rows)` as a float64 column `x` of thirds (row i holds i / 3). */
export function thirds(from: number, rows: number): Column {
  return {
    name: "x",
    type: "float64",
    values: Float64Array.from({ length: rows }, (_, i) => (from + i) / 3),
    nulls: null,
  };
}

/** A fresh temp dir, removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "modenorm-io-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Whether row i of a column is null. */
function nullAt(c: Column, i: number): boolean {
  return c.type === "string" ? c.values[i] === null : c.nulls !== null && c.nulls[i] === 1;
}

/**
 * Asserts two tables are equal: names, types, units, rows, nulls, and every non-null value
 * bit for bit (NaN equals NaN, -0 differs from 0).
 */
export function assertTablesEqual(actual: Table, expected: Table, what = "table"): void {
  assert.equal(actual.rows, expected.rows, `${what}: rows`);
  assert.deepEqual(
    actual.columns.map((c) => `${c.name}:${c.type}${c.type === "timestamp" ? `[${c.unit}]` : ""}`),
    expected.columns.map(
      (c) => `${c.name}:${c.type}${c.type === "timestamp" ? `[${c.unit}]` : ""}`,
    ),
    `${what}: columns`,
  );
  for (let j = 0; j < expected.columns.length; j++) {
    const a = actual.columns[j]!;
    const e = expected.columns[j]!;
    assert.equal(a.values.length, actual.rows, `${what}: ${a.name} length`);
    for (let i = 0; i < expected.rows; i++) {
      const an = nullAt(a, i);
      assert.equal(an, nullAt(e, i), `${what}: ${a.name}[${i}] null`);
      if (an) continue;
      const av = a.values[i];
      const ev = e.values[i];
      assert.ok(Object.is(av, ev), `${what}: ${a.name}[${i}]: ${String(av)} !== ${String(ev)}`);
    }
  }
}

const mask = (...rows: number[]) => {
  const m = new Uint8Array(8);
  for (const r of rows) m[r] = 1;
  return m;
};

/** Eight rows of edge values in every column type, with nulls in every column. */
export function edgeTable(): Table {
  return {
    rows: 8,
    columns: [
      {
        name: "f64",
        type: "float64",
        values: Float64Array.from([
          1.7976931348623157e308,
          -1.7976931348623157e308,
          5e-324,
          -0,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          0,
        ]),
        nulls: mask(7),
      },
      {
        name: "f32",
        type: "float32",
        values: Float32Array.from([
          3.4028234663852886e38,
          -1.401298464324817e-45,
          -0,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          Number.NEGATIVE_INFINITY,
          0.1,
          0,
        ]),
        nulls: mask(7),
      },
      {
        name: "i64",
        type: "int64",
        values: BigInt64Array.from([
          2n ** 63n - 1n,
          -(2n ** 63n - 1n),
          -(2n ** 63n),
          2n ** 53n + 1n,
          -(2n ** 53n + 1n),
          0n,
          0n,
          42n,
        ]),
        nulls: mask(6),
      },
      {
        name: "i32",
        type: "int32",
        values: Int32Array.from([2147483647, -2147483648, 0, -1, 0, 1, 2, 3]),
        nulls: mask(4),
      },
      {
        name: "flag",
        type: "bool",
        values: Uint8Array.from([1, 0, 0, 1, 0, 1, 0, 1]),
        nulls: mask(2),
      },
      {
        name: "text",
        type: "string",
        values: [
          "plain",
          "",
          null,
          'with "quotes"',
          "comma, newline\nand\r\nCRLF",
          "üñíçødé 😀 日本",
          "NA",
          "  spaced  ",
        ],
      },
      {
        name: "t_ns",
        type: "timestamp",
        unit: "ns",
        values: BigInt64Array.from([
          1704164645123456789n,
          -1n,
          0n,
          0n,
          9000000000000000000n,
          -9000000000000000000n,
          1n,
          999999999n,
        ]),
        nulls: mask(3),
      },
      {
        name: "t_us",
        type: "timestamp",
        unit: "us",
        values: BigInt64Array.from([
          1704164645123456n,
          -1n,
          0n,
          0n,
          253402300799999999n,
          -62135596800000000n,
          1n,
          0n,
        ]),
        nulls: mask(3),
      },
      {
        name: "t_ms",
        type: "timestamp",
        unit: "ms",
        values: BigInt64Array.from([1704164645123n, -1n, 0n, 0n, 1n, 86400000n, 951782400000n, 0n]),
        nulls: mask(3),
      },
      {
        name: "t_s",
        type: "timestamp",
        unit: "s",
        values: BigInt64Array.from([
          1704164645n,
          -1n,
          0n,
          0n,
          1n,
          86400n,
          951782400n,
          -2208988800n,
        ]),
        nulls: mask(3),
      },
    ],
  };
}

/** Runs SQL on a private DuckDB instance (independent of the library's), returning row objects. */
export async function sql(query: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(query)).getRowObjects() as Record<string, unknown>[];
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
