/** Table summaries merge: the summaries of two row ranges, merged, give the model of the whole. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateMultimodal } from "../../src/core/synthetic.js";
import { copyRows, type Table } from "../../src/core/table.js";
import {
  addToTableSummary,
  createTableSummary,
  fitFromTableSummary,
  mergeTableSummaries,
  reviveTableSummary,
  type TableSummaryOptions,
  tableSummaryBuffers,
} from "../../src/encode/table-summary.js";

function table(n: number): Table {
  const x = generateMultimodal(n, 2, 0.001);
  const price = new Float64Array(n);
  const cat: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    price[i] = Math.round(((i * 7919) % 30000) ** 1.2) / 100;
    cat.push(i % 89 === 0 ? null : ["x", "y", "zz"][(i * 13) % 3]!);
  }
  return {
    rows: n,
    columns: [
      { name: "x", type: "float64", values: x, nulls: null },
      { name: "price", type: "float64", values: price, nulls: null },
      { name: "c", type: "string", values: cat },
    ],
  };
}

describe("mergeTableSummaries", () => {
  it("two row ranges merged give the same model as one summary of every row", () => {
    const t = table(60_000);
    const options: TableSummaryOptions = {
      seed: 3,
      kinds: { price: "minmax" },
      summary: { sampleSize: 5000, maxDistinct: 2000 },
    };
    const whole = createTableSummary(t, options);
    addToTableSummary(whole, t, 0);
    for (const cut of [1, 25_000, 59_999]) {
      const a = createTableSummary(t, options);
      addToTableSummary(a, copyRows(t.columns, 0, cut), 0);
      const b = createTableSummary(t, options);
      addToTableSummary(b, copyRows(t.columns, cut, t.rows), cut);
      const merged = mergeTableSummaries(a, b);
      assert.equal(merged.rows, t.rows);
      assert.equal(
        JSON.stringify(fitFromTableSummary(merged, options)),
        JSON.stringify(fitFromTableSummary(whole, options)),
        `cut at ${cut}`,
      );
    }
  });

  it("refuses summaries of different column kinds", () => {
    const t = table(100);
    const a = createTableSummary(t, { kinds: { price: "minmax" } });
    const b = createTableSummary(t, { kinds: { price: "continuous" } });
    assert.throws(() => mergeTableSummaries(a, b), /different column kinds/);
  });
});

describe("tableSummaryBuffers", () => {
  it("moves a summary to another thread whole: the same model, nothing left behind", () => {
    const t = table(60_000);
    // x keeps a sample (60,000 distinct values), price exact counts (30,000).
    const options: TableSummaryOptions = {
      seed: 5,
      summary: { sampleSize: 4000, maxDistinct: 40_000 },
    };
    const s = createTableSummary(t, options);
    addToTableSummary(s, t, 0);
    const mixture = s.columns.flatMap((c) => (c.type === "mixture" ? [c.summary] : []));
    assert.deepEqual(
      mixture.map((m) => m.counts === null),
      [true, false],
    );
    const expected = JSON.stringify(fitFromTableSummary(s, options));
    const buffers = tableSummaryBuffers(s);
    // Both samples (hashes, values; kept beside the counts too) and the counts of price (keys,
    // counts, used), each once.
    assert.equal(buffers.length, 7);
    assert.equal(new Set(buffers).size, 7);
    const moved = reviveTableSummary(structuredClone(s, { transfer: buffers }));
    for (const m of mixture) assert.equal(m.sampleValue.byteLength, 0, "transferred, not copied");
    assert.equal(JSON.stringify(fitFromTableSummary(moved, options)), expected);
  });
});
