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
  type TableSummaryOptions,
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
