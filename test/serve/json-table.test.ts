/**
 * JSON answers as bytes (`tableToJsonBytes`, WebAssembly for rows of numeric columns) against
 * the text writer (`tableToJson`): the same bytes for every numeric column type, nulls, −0, NaN,
 * ±Infinity, int64 at and beyond ±2^53, keys that need escaping, and more rows than one batch.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Random } from "../../src/core/rng.js";
import type { Column, Table } from "../../src/core/table.js";
import { tableToJson, tableToJsonBytes } from "../../src/serve/json-table.js";
import { randomDouble } from "../helpers/data.js";

/** A double of any kind, often a special one. */
function anyDouble(rng: Random): number {
  const pick = rng.random();
  if (pick < 0.05)
    return [0, -0, Number.NaN, Infinity, -Infinity, 1e21, 1e-7, 0.1][Math.floor(rng.random() * 8)]!;
  if (pick < 0.3) return Math.round((rng.random() - 0.5) * 1e6) / 100;
  return randomDouble(rng);
}

function nullsOf(rng: Random, rows: number): Uint8Array | null {
  if (rng.random() < 0.3) return null;
  const n = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) n[i] = rng.random() < 0.1 ? 1 : 0;
  return n;
}

function randomTable(rng: Random, rows: number): Table {
  const f64 = new Float64Array(rows);
  const f32 = new Float32Array(rows);
  const i32 = new Int32Array(rows);
  const i64 = new BigInt64Array(rows);
  const bool = new Uint8Array(rows);
  const edges = [
    2n ** 53n,
    -(2n ** 53n),
    2n ** 53n + 1n,
    -(2n ** 53n) - 1n,
    2n ** 63n - 1n,
    -(2n ** 63n),
    0n,
  ];
  for (let i = 0; i < rows; i++) {
    f64[i] = anyDouble(rng);
    f32[i] = anyDouble(rng);
    i32[i] = Math.floor((rng.random() - 0.5) * 2 ** 32);
    i64[i] =
      rng.random() < 0.2
        ? edges[Math.floor(rng.random() * edges.length)]!
        : BigInt(Math.floor((rng.random() - 0.5) * 2 ** 62)) * (rng.random() < 0.5 ? 1n : 3n);
    bool[i] = rng.random() < 0.5 ? 1 : 0;
  }
  const columns: Column[] = [
    { name: "x", type: "float64", values: f64, nulls: nullsOf(rng, rows) },
    { name: 'q"uote\\d é', type: "float32", values: f32, nulls: nullsOf(rng, rows) },
    { name: "k.mode", type: "int32", values: i32, nulls: nullsOf(rng, rows) },
    { name: "n", type: "int64", values: i64, nulls: nullsOf(rng, rows) },
    { name: "b", type: "bool", values: bool, nulls: nullsOf(rng, rows) },
  ];
  return { rows, columns };
}

describe("JSON answers as bytes", () => {
  it("rows and columns: the text writer's bytes, over several batches", () => {
    const rng = new Random(31);
    for (const rows of [1, 7, 1000, 20_000]) {
      const t = randomTable(rng, rows);
      for (const shape of ["rows", "columns"] as const) {
        const bytes = tableToJsonBytes(t, shape);
        assert.ok(bytes instanceof Uint8Array, "numeric columns are written as bytes");
        const text = tableToJson(t, shape);
        assert.equal(Buffer.from(bytes).toString("utf8"), text, `${shape}, ${rows} rows`);
        // And it is JSON.
        const parsed = JSON.parse(text) as {
          rows?: unknown[];
          columns?: Record<string, unknown[]>;
        };
        assert.equal(parsed.rows?.length ?? parsed.columns?.x?.length, rows);
      }
    }
  });

  it("one column of each type alone, no rows, and text columns through the text writer", () => {
    const rng = new Random(32);
    const t = randomTable(rng, 500);
    const text = (b: Uint8Array | string) =>
      typeof b === "string" ? b : Buffer.from(b).toString("utf8");
    for (const c of t.columns) {
      const one: Table = { rows: t.rows, columns: [c] };
      for (const shape of ["rows", "columns"] as const)
        assert.equal(text(tableToJsonBytes(one, shape)), tableToJson(one, shape));
    }
    const withText: Table = {
      rows: 2,
      columns: [
        { name: "x", type: "float64", values: new Float64Array([1.5, -0]), nulls: null },
        { name: "s", type: "string", values: ["a", null] },
      ],
    };
    assert.equal(tableToJsonBytes(withText, "rows"), tableToJson(withText, "rows"));
    const empty: Table = { rows: 0, columns: [t.columns[0]!] };
    assert.equal(tableToJsonBytes(empty, "rows"), '{"rows":[]}');
    assert.equal(text(tableToJsonBytes(empty, "columns")), '{"columns":{"x":[]}}');
  });
});
