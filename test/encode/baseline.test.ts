import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Table } from "../../src/core/table.js";
import { CDF_BINS, LOW_TAIL, mixtureBaseline } from "../../src/encode/baseline.js";
import { fitMixtureColumn } from "../../src/encode/mixture-column.js";
import { modelFromJson, modelToJson } from "../../src/encode/model-file.js";
import type { MixtureColumnSpec, ModelSpec } from "../../src/encode/spec.js";
import { fitTable } from "../../src/encode/table-codec.js";
import {
  addToTableSummary,
  createTableSummary,
  fitFromTableSummary,
  mergeTableSummaries,
} from "../../src/encode/table-summary.js";
import { mixtureTable } from "../helpers/data.js";

function summaryFit(t: Table, parts: number, options = {}): ModelSpec {
  const step = Math.ceil(t.rows / parts);
  let s = null;
  for (let start = 0; start < t.rows; start += step) {
    const end = Math.min(t.rows, start + step);
    const part: Table = {
      rows: end - start,
      columns: t.columns.map((c) =>
        c.type === "string"
          ? { ...c, values: c.values.slice(start, end) }
          : ({
              ...c,
              values: c.values.slice(start, end),
              nulls: c.nulls?.slice(start, end) ?? null,
            } as typeof c),
      ),
    };
    const one = createTableSummary(part, options);
    addToTableSummary(one, part, start);
    s = s === null ? one : mergeTableSummaries(s, one);
  }
  return fitFromTableSummary(s!, options).model;
}

const mixture = (m: ModelSpec) => m.columns[0] as MixtureColumnSpec;

describe("mixtureBaseline", () => {
  it("mixtureBaseline describes the fit data: shares sum to 1, about 1 % in the low tail, a flat CDF histogram", () => {
    const spec = fitMixtureColumn(mixtureTable(20_000, 1).columns[0]!, "continuous");
    const b = spec.baseline!;
    assert.ok(b, "the fit writes a baseline");
    assert.equal(b.size, 20_000 - spec.nullCount);
    assert.equal(b.fitted, b.size);
    assert.ok(Math.abs(b.occupancy.reduce((s, x) => s + x, 0) - 1) < 1e-12);
    assert.equal(b.cdf.length, CDF_BINS);
    assert.ok(Math.abs(b.cdf.reduce((s, x) => s + x, 0) - 1) < 1e-12);
    // The model fits these data, so F(x) is close to uniform: each bin near 1 %.
    for (const [i, share] of b.cdf.entries())
      assert.ok(Math.abs(share - 0.01) < 0.004, `cdf bin ${i}: ${share}`);
    assert.ok(b.lowShare <= LOW_TAIL && b.lowShare > 0.009, `lowShare ${b.lowShare}`);
    // Clipping the tail raises the mean; the clipped spread is finite and positive.
    assert.ok(b.clippedMean > spec.meanLogLikelihood!);
    assert.ok(b.clippedStd > 0 && Number.isFinite(b.clippedStd));
    assert.ok(b.min < 8 && b.max > 40);
  });

  it("mixtureBaseline gives weighted values the same baseline as the rows they count", () => {
    const spec = fitMixtureColumn(mixtureTable(2_000, 2).columns[0]!, "continuous");
    const values = Float64Array.of(9, 10, 11, 20, 41, 1e9);
    const counts = Float64Array.of(3, 1, 2, 5, 1, 1);
    const rows = Float64Array.from(Array.from(values).flatMap((v, i) => Array(counts[i]).fill(v)));
    assert.deepEqual(mixtureBaseline(spec, values, counts), mixtureBaseline(spec, rows, null));
  });

  it("mixtureBaseline puts modal values and values outside the modes' domain in their own slots", () => {
    const t = mixtureTable(5_000, 3);
    const x = t.columns[0]!.values as Float64Array;
    let zeros = 0;
    for (let i = 0; i < 500; i++) {
      x[i] = 0;
      if (t.columns[0]!.type !== "string" && t.columns[0]!.nulls?.[i] !== 1) zeros++;
    }
    const spec = fitMixtureColumn({ ...t.columns[0]!, values: x } as never, "mixed", {
      modalValues: [0],
    });
    const b = spec.baseline!;
    assert.equal(b.occupancy.length, spec.modes.length + 2);
    const modal = b.occupancy[spec.modes.length]!;
    assert.equal(modal, zeros / b.size);
    assert.equal(b.fitted + zeros, b.size);
    const log = fitMixtureColumn({ ...t.columns[0]!, values: x } as never, "log", { offset: 5 });
    // Values ≤ 5 (the zeros) have no log: the literal slot.
    assert.ok(log.baseline!.occupancy.at(-1)! > 0.09);
  });

  it("every fit path writes the baseline, the same however the rows were split", () => {
    const t = mixtureTable(30_000, 4);
    const one = mixture(summaryFit(t, 1));
    for (const parts of [2, 7]) {
      assert.deepEqual(mixture(summaryFit(t, parts)).baseline, one.baseline, `${parts} parts`);
    }
    const inMemory = mixture(fitTable(t));
    assert.ok(inMemory.baseline, "in-memory fit");
    // In memory the fit sums rows in their order, a summary in value order: equal up to rounding.
    assert.equal(inMemory.baseline.size, one.baseline!.size);
    assert.ok(Math.abs(inMemory.baseline.clippedMean - one.baseline!.clippedMean) < 1e-9);
    // A sampled summary (more distinct values than counted exactly) also gets one.
    const sampled = mixture(summaryFit(t, 3, { summary: { maxDistinct: 100, sampleSize: 4096 } }));
    assert.equal(sampled.baseline!.size, 4096);
  });

  it("the model file keeps the baseline bit for bit, reads version 1 files, and checks the baseline", () => {
    const m = fitTable(mixtureTable(3_000, 5));
    assert.equal(m.version, 3);
    assert.deepEqual(modelFromJson(modelToJson(m)), m);
    const v1 = JSON.parse(modelToJson(m));
    v1.version = 1;
    delete v1.columns[0].baseline;
    delete v1.columns[0].fit;
    assert.equal(modelFromJson(JSON.stringify(v1)).version, 1);
    // biome-ignore lint/suspicious/noExplicitAny: the test edits parsed JSON freely.
    const bad = (edit: (c: Record<string, any>) => void, message: RegExp) => {
      const j = JSON.parse(modelToJson(m));
      edit(j.columns[0]);
      assert.throws(() => modelFromJson(JSON.stringify(j), "m.json"), message);
    };
    bad(
      (c) => c.baseline.occupancy.pop(),
      /columns\[0\]\.baseline\.occupancy has \d+ entries, but the column has \d+ slots/,
    );
    bad((c) => c.baseline.cdf.push(0), /baseline\.cdf has 101 entries, not 100/);
    bad((c) => (c.baseline.lowShare = 2), /baseline\.lowShare must be a number in \[0, 1\]/);
    bad((c) => delete c.baseline.clippedStd, /baseline\.clippedStd is missing/);
    bad((c) => (c.baseline.fitted = c.baseline.size + 1), /baseline\.fitted is .*, more than size/);
    // The fit trace (version 3): one bound per iteration, and only in version 3 files.
    const fit = m.columns[0]! as { fit?: { iterations: number; bounds: number[]; tol: number } };
    assert.ok(fit.fit !== undefined && fit.fit.iterations >= 1 && fit.fit.tol === 1e-3);
    assert.equal(fit.fit.bounds.length, fit.fit.iterations);
    bad(
      (c) => c.fit.bounds.pop(),
      /columns\[0\]\.fit\.bounds has \d+ entries, but fit\.iterations is \d+/,
    );
    bad((c) => (c.fit.converged = "yes"), /columns\[0\]\.fit\.converged must be true or false/);
    const v2 = JSON.parse(modelToJson(m));
    v2.version = 2;
    assert.throws(
      () => modelFromJson(JSON.stringify(v2)),
      /columns\[0\]\.fit is set, but version 2 files have no fit trace/,
    );
    delete v2.columns[0].fit;
    assert.equal(modelFromJson(JSON.stringify(v2)).version, 2);
    const v1WithBaseline = JSON.parse(modelToJson(m));
    v1WithBaseline.version = 1;
    assert.throws(
      () => modelFromJson(JSON.stringify(v1WithBaseline)),
      /columns\[0\]\.baseline is set, but version 1 files have no baseline/,
    );
  });
});
