/** Whole tables: fit every kind, round-trip both layouts, detect layouts, report mismatches. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Random } from "../../src/core/rng.js";
import { generateMultimodal } from "../../src/core/synthetic.js";
import type { Column, Table } from "../../src/core/table.js";
import { evaluateTable } from "../../src/encode/evaluate.js";
import { modelFromJson, modelToJson } from "../../src/encode/model-file.js";
import {
  denseSpans,
  detectLayout,
  fitTable,
  inverseTable,
  layoutFields,
  transformTable,
} from "../../src/encode/table-codec.js";

/** A table with every column kind, missing values in each, and edge values. */
function mixedTable(n: number): Table {
  const rng = new Random(5);
  const amount = generateMultimodal(n, 3);
  const nulls = (every: number) => {
    const m = new Uint8Array(n);
    for (let i = 0; i < n; i += every) m[i] = 1;
    return m;
  };
  amount[1] = -0;
  amount[2] = 1.7976931348623157e308;
  amount[3] = 5e-324;
  amount[4] = Number.NaN;
  const count = new BigInt64Array(n);
  for (let i = 0; i < n; i++) count[i] = BigInt(Math.floor(rng.random() * 5000));
  count[5] = 9223372036854775807n;
  const ts = new BigInt64Array(n);
  for (let i = 0; i < n; i++)
    ts[i] = 1_600_000_000_000_000n + BigInt(Math.floor(rng.random() * 1e12));
  const balance = new Float64Array(n);
  for (let i = 0; i < n; i++)
    balance[i] = rng.random() < 0.3 ? 0 : rng.random() < 0.1 ? -9999 : 100 * rng.normal() + 500;
  const income = new Float64Array(n);
  for (let i = 0; i < n; i++) income[i] = Math.exp(10 + rng.normal());
  const job: (string | null)[] = [];
  for (let i = 0; i < n; i++)
    job.push(
      i % 17 === 0
        ? null
        : ["admin", "técnico", "blue-collar", "日本"][Math.floor(rng.random() * 4)]!,
    );
  const flag = new Uint8Array(n);
  for (let i = 0; i < n; i++) flag[i] = rng.random() < 0.4 ? 1 : 0;
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) score[i] = rng.random() * 10;
  const columns: Column[] = [
    { name: "amount", type: "float64", values: amount, nulls: nulls(23) },
    { name: "count", type: "int64", values: count, nulls: nulls(31) },
    { name: "when", type: "timestamp", unit: "us", values: ts, nulls: null },
    { name: "balance", type: "float64", values: balance, nulls: null },
    { name: "income", type: "float64", values: income, nulls: null },
    { name: "job", type: "string", values: job },
    { name: "flag", type: "bool", values: flag, nulls: null },
    { name: "score", type: "float64", values: score, nulls: null },
  ];
  return { rows: n, columns };
}

const OPTIONS = {
  mixed: { balance: [0, -9999] },
  kinds: { income: "log" as const, score: "minmax" as const, count: "integer" as const },
  seed: 3,
};

describe("fitTable / transformTable / inverseTable", () => {
  const table = mixedTable(3000);
  const model = fitTable(table, OPTIONS);

  it("infers and overrides kinds", () => {
    assert.deepEqual(
      model.columns.map((c) => [c.name, c.kind]),
      [
        ["amount", "continuous"],
        ["count", "integer"],
        ["when", "datetime"],
        ["balance", "mixed"],
        ["income", "log"],
        ["job", "categorical"],
        ["flag", "categorical"],
        ["score", "minmax"],
      ],
    );
  });

  it("the compact layout round-trips every value of every column bit for bit", () => {
    const enc = transformTable(model, table, { layout: "compact" });
    assert.equal(detectLayout(model, enc), "compact");
    const dec = inverseTable(model, enc);
    const ev = evaluateTable(model, table);
    for (const c of ev.columns)
      assert.equal(c.compact.exact, c.rows, `${c.name}: ${c.rows - c.compact.exact} inexact`);
    assert.deepEqual(
      dec.columns.map((c) => c.type),
      table.columns.map((c) => c.type),
    );
  });

  it("the model survives a trip through its JSON file", () => {
    const again = modelFromJson(modelToJson(model), "memory");
    assert.deepEqual(transformTable(again, table), transformTable(model, table));
  });

  it("the dense layout has CTGAN's spans, float32 outputs, and decodes", () => {
    const spans = denseSpans(model);
    assert.equal(spans[0]!.activation, "tanh");
    assert.equal(spans[1]!.activation, "softmax");
    const enc = transformTable(model, table, { layout: "dense" });
    assert.equal(detectLayout(model, enc), "dense");
    assert.equal(
      enc.columns.length,
      spans.reduce((s, sp) => s + sp.outputs.length, 0),
    );
    for (const c of enc.columns) assert.equal(c.type, "float32");
    const dec = inverseTable(model, enc);
    assert.equal(dec.rows, table.rows);
    // Categorical columns are exact in the dense layout too.
    const job = dec.columns.find((c) => c.name === "job")!;
    assert.deepEqual(job.values, table.columns.find((c) => c.name === "job")!.values);
  });

  it("output is byte-identical across runs and independent of chunking", () => {
    const a = transformTable(model, table);
    const b = transformTable(model, table);
    assert.deepEqual(a, b);
    const head: Table = {
      rows: 1000,
      columns: table.columns.map(
        (c) =>
          ({
            ...c,
            values: c.values.slice(0, 1000),
            ...("nulls" in c && c.nulls ? { nulls: c.nulls.slice(0, 1000) } : {}),
          }) as Column,
      ),
    };
    const tail: Table = {
      rows: 2000,
      columns: table.columns.map(
        (c) =>
          ({
            ...c,
            values: c.values.slice(1000),
            ...("nulls" in c && c.nulls ? { nulls: c.nulls.slice(1000) } : {}),
          }) as Column,
      ),
    };
    const p1 = transformTable(model, head, { firstRow: 0 });
    const p2 = transformTable(model, tail, { firstRow: 1000 });
    a.columns.forEach((col, j) => {
      assert.deepEqual(
        [
          ...Array.from(p1.columns[j]!.values as ArrayLike<unknown>),
          ...Array.from(p2.columns[j]!.values as ArrayLike<unknown>),
        ],
        Array.from(col.values as ArrayLike<unknown>),
        col.name,
      );
    });
  });

  it("layoutFields lists the compact columns with their types", () => {
    const f = layoutFields(model, "compact");
    assert.deepEqual(f.slice(0, 3), [
      { name: "amount.alpha", type: "float64" },
      { name: "amount.mode", type: "int32" },
      { name: "amount.residual", type: "float64" },
    ]);
  });
});

describe("table-level bad input", () => {
  const table = mixedTable(200);

  it("an unknown column names the columns that exist", () => {
    assert.throws(
      () => fitTable(table, { columns: ["amount", "nope"] }),
      /column "nope" does not exist.*"amount", "count"/,
    );
  });

  it("an empty table is rejected", () => {
    assert.throws(() => fitTable({ rows: 0, columns: [] }), /no rows/);
  });

  it("a model column missing from the data is named", () => {
    const model = fitTable(table, { columns: ["amount", "job"] });
    const other: Table = { rows: 200, columns: [table.columns[0]!] };
    assert.throws(
      () => transformTable(model, other),
      /column "job" does not exist in the data \(the model has this column\)/,
    );
  });

  it("a numeric model column given text is reported", () => {
    const model = fitTable(table, { columns: ["amount"] });
    const text: Table = { rows: 1, columns: [{ name: "amount", type: "string", values: ["12"] }] };
    assert.throws(
      () => transformTable(model, text),
      /column "amount" is string in the data but was float64/,
    );
  });

  it("encoded data of another model matches neither layout", () => {
    const model = fitTable(table, { columns: ["amount"] });
    assert.throws(
      () => inverseTable(model, { rows: 1, columns: [] }),
      /matches neither layout.*amount\.alpha/,
    );
  });
});
