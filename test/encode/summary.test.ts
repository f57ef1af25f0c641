/** One-pass column summaries: exact merging, split-independent sampling, and fits from them. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { Random } from "../../src/core/rng.js";
import { generateMultimodal } from "../../src/core/synthetic.js";
import type { Column } from "../../src/core/table.js";
import {
  fitMixtureColumn,
  fitMixtureFromSummary,
  modesLogLikelihood,
} from "../../src/encode/mixture-column.js";
import {
  addToSummary,
  type ColumnSummary,
  createSummary,
  mergeSummaries,
  nthSmallest,
  rowHash,
  type SummaryOptions,
  summaryFitData,
} from "../../src/encode/summary.js";

function col(values: Float64Array, nulls: Uint8Array | null = null): Column {
  return { name: "x", type: "float64", values, nulls };
}

/** Summary of x built from blocks cut at `cuts`, merged in the given order. */
function summarize(
  x: Float64Array,
  cuts: number[],
  order: number[],
  o: SummaryOptions,
): ColumnSummary {
  const parts: ColumnSummary[] = [];
  for (let b = 0; b + 1 < cuts.length; b++) {
    const s = createSummary("x", o);
    addToSummary(s, col(x.subarray(cuts[b]!, cuts[b + 1]!)), cuts[b]!);
    parts.push(s);
  }
  let out = createSummary("x", o);
  for (const i of order) out = mergeSummaries(out, parts[i]!);
  return out;
}

/** Money-like values: few distinct values, heavy repetition. */
function money(n: number, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: n }, () => Math.round(Math.exp(3 + 1.5 * rng.normal())) / 4);
}

describe("column summaries", () => {
  it("rowHash depends only on (seed, row) and spreads rows", () => {
    assert.equal(rowHash(0, 12345), rowHash(0, 12345));
    assert.notEqual(rowHash(0, 12345), rowHash(1, 12345));
    assert.notEqual(rowHash(0, 2 ** 40), rowHash(0, 0));
    let below = 0;
    for (let i = 0; i < 100000; i++) if (rowHash(3, i) < 2 ** 31) below++;
    assert.ok(Math.abs(below - 50000) < 1000, `${below} of 100000 below the median`);
  });

  it("exact counts give the same fit data however the rows were split and merged", () => {
    const x = money(20000, 1);
    const a = summaryFitData(summarize(x, [0, 20000], [0], {}));
    const b = summaryFitData(summarize(x, [0, 3000, 3001, 12000, 20000], [3, 1, 0, 2], {}));
    assert.equal(a.exact, true);
    assert.deepEqual(a, b);
    let total = 0;
    for (const w of a.weights!) total += w;
    assert.equal(total, 20000);
  });

  it("the bottom-k sample is the same set however the rows were split and merged", () => {
    const x = generateMultimodal(30000, 2);
    const o = { maxDistinct: 100, sampleSize: 2000 };
    const a = summaryFitData(summarize(x, [0, 30000], [0], o));
    const b = summaryFitData(summarize(x, [0, 7000, 7001, 19999, 30000], [2, 0, 3, 1], o));
    assert.equal(a.exact, false);
    assert.equal(a.values.length, 2000);
    assert.deepEqual(a, b);
  });

  it("counts rows, missing values and the minimum", () => {
    const nulls = new Uint8Array(5);
    nulls[1] = 1;
    const s = createSummary("x");
    addToSummary(s, col(Float64Array.of(3, 0, -2, Number.NaN, Number.POSITIVE_INFINITY), nulls), 0);
    assert.equal(s.rows, 5);
    assert.equal(s.nulls, 1);
    assert.equal(s.min, -2);
    assert.deepEqual(summaryFitData(s).values, Float64Array.of(-2, 3));
  });
});

describe("nthSmallest (the sample's pruning threshold)", () => {
  it("is the value at index k of the sorted array, with duplicates and runs", () => {
    const rng = new Random(11);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + rng.integer(trial < 200 ? 50 : 5000);
      const spread = [2, 16, 2 ** 32][trial % 3]!;
      const a = Uint32Array.from({ length: n }, (_, i) =>
        trial % 7 === 0 ? i : Math.floor(rng.random() * spread),
      );
      const sorted = a.slice().sort();
      for (const k of [0, n - 1, rng.integer(n), n >> 1]) {
        assert.equal(nthSmallest(a.slice(), k), sorted[k], `n ${n}, k ${k}, trial ${trial}`);
      }
    }
  });
});

describe("fitting from a summary", () => {
  it("a fit on exact counts is as good as a fit on every row", () => {
    const x = money(200000, 4);
    const s = createSummary("x");
    addToSummary(s, col(x), 0);
    const { spec, fittedOn } = fitMixtureFromSummary(s, "continuous", "float64", undefined);
    assert.equal(fittedOn, "counts");
    const full = fitMixtureColumn(col(x), "continuous");
    const ours = modesLogLikelihood(spec.modes, x);
    const all = modesLogLikelihood(full.modes, x);
    // Same sufficient statistics, different summation order and quantile-bin ties: the fits land
    // on the same optimum to within 1e-3 nats per row.
    assert.ok(ours >= all - 1e-3, `summary fit ${ours} vs full fit ${all}`);
  });

  it("on the credit-card Amount column the summary fit is at least the full fit", (t) => {
    const path = new URL("../../../../shared/data/creditcard_amount.csv", import.meta.url);
    if (!existsSync(path)) return t.skip("../shared/data/creditcard_amount.csv is absent");
    const lines = readFileSync(path, "utf8").trim().split("\n").slice(1);
    const x = Float64Array.from(lines, (l) => Number(l.split(",")[1]));
    const s = createSummary("Amount");
    addToSummary(s, col(x), 0);
    const { spec } = fitMixtureFromSummary(s, "continuous", "float64", undefined);
    const full = fitMixtureColumn(col(x), "continuous");
    assert.ok(modesLogLikelihood(spec.modes, x) >= modesLogLikelihood(full.modes, x));
  });

  it("falls back to the sample for many distinct values, and keeps the fit's quality", () => {
    const x = generateMultimodal(100000, 6, 0);
    const s = createSummary("x", { maxDistinct: 1000, sampleSize: 20000 });
    addToSummary(s, col(x), 0);
    const { spec, fittedOn } = fitMixtureFromSummary(s, "continuous", "float64", undefined);
    assert.equal(fittedOn, "sample");
    const full = fitMixtureColumn(col(x), "continuous");
    const ours = modesLogLikelihood(spec.modes, x);
    const all = modesLogLikelihood(full.modes, x);
    assert.ok(ours >= all - 0.05, `sample fit ${ours} vs full fit ${all}`);
  });

  it("log and mixed columns take their offset and modal values into account", () => {
    const x = Float64Array.from(money(5000, 8), (v, i) => (i % 5 === 0 ? 0 : v + 1));
    const s = createSummary("x");
    addToSummary(s, col(x), 0);
    const log = fitMixtureFromSummary(s, "log", "float64", undefined).spec;
    assert.equal(log.offset, -1);
    const mixed = fitMixtureFromSummary(s, "mixed", "float64", undefined, {
      modalValues: [0],
    }).spec;
    assert.deepEqual(mixed.modalValues, [0]);
    for (const m of mixed.modes) assert.ok(m.mean > 0.5, "the modal 0 is not a mode");
  });

  it("a summary of only missing values cannot be fitted", () => {
    const s = createSummary("x");
    addToSummary(s, col(Float64Array.of(1, 2), Uint8Array.of(1, 1)), 0);
    assert.throws(
      () => fitMixtureFromSummary(s, "continuous", "float64", undefined),
      /column "x": all 2 values are missing/,
    );
  });
});
