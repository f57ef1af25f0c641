import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Random } from "../../src/core/rng.js";
import type { Table } from "../../src/core/table.js";
import {
  addToDriftTally,
  chunkTallies,
  createDriftTally,
  type DriftReport,
  driftReport,
  driftTable,
  mergeDriftTallies,
  psi,
  psiNull,
} from "../../src/drift/index.js";
import type { MixtureColumnSpec, ModelSpec } from "../../src/encode/spec.js";
import { fitTable } from "../../src/encode/table-codec.js";

const CATS = ["a", "b", "c", "d", "e"];
const SHARES = [0.4, 0.25, 0.15, 0.12, 0.08];

interface Change {
  /** x + shift·σ (σ ≈ 11.9, the mixture's standard deviation). */
  shift?: number;
  /** x scaled about the mean 19.5 by √variance. */
  variance?: number;
  nullRate?: number;
  /** Share of rows replaced by N(70, 1). */
  newMode?: number;
  /** Each mode's spread halved (the column's variance falls, the likelihood rises). */
  narrow?: boolean;
  /** Share of rows given the unseen category "z". */
  unseen?: number;
  /** Rows moved to category "d" so its share doubles. */
  doubleD?: boolean;
}

/** A mixture column x (three modes) and a categorical column c. */
function sample(n: number, seed: number, ch: Change = {}): Table {
  const rng = new Random(seed);
  const x = new Float64Array(n);
  const nulls = new Uint8Array(n);
  const c: (string | null)[] = [];
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    const z = rng.normal() * (ch.narrow ? 0.5 : 1);
    let v = u < 0.5 ? 10 + z : u < 0.8 ? 20 + 2 * z : 40 + 0.5 * z;
    v += (ch.shift ?? 0) * 11.9;
    v = 19.5 + Math.sqrt(ch.variance ?? 1) * (v - 19.5);
    if (rng.random() < (ch.newMode ?? 0)) v = 70 + rng.normal();
    x[i] = v;
    if (rng.random() < 0.02 + (ch.nullRate ?? 0)) nulls[i] = 1;
    let w = rng.random();
    let k = 0;
    while (k < 4 && w >= SHARES[k]!) w -= SHARES[k++]!;
    let cat = CATS[k]!;
    if (ch.doubleD && rng.random() < 0.12 / 0.88) cat = "d";
    if (rng.random() < (ch.unseen ?? 0)) cat = "z";
    c.push(rng.random() < 0.01 + (ch.nullRate ?? 0) ? null : cat);
  }
  return {
    rows: n,
    columns: [
      { name: "x", type: "float64", values: x, nulls },
      { name: "c", type: "string", values: c },
    ],
  };
}

const model: ModelSpec = fitTable(sample(40_000, 1), { kinds: { c: "categorical" } });
const verdicts = (r: DriftReport) => Object.fromEntries(r.columns.map((c) => [c.name, c.verdict]));
const levelOf = (r: DriftReport, col: string, stat: string) =>
  r.columns.find((c) => c.name === col)!.statistics.find((s) => s.name === stat)!.level;

describe("driftTable", () => {
  it("driftTable finds no drift in new samples of the fitted distribution, small or large", () => {
    for (const [n, seed] of [
      [1_000, 2],
      [20_000, 3],
      [200_000, 4],
    ] as const) {
      const r = driftTable(model, sample(n, seed));
      assert.equal(
        r.verdict,
        "ok",
        `${n} rows: ${JSON.stringify(r.columns.map((c) => c.statistics.filter((s) => s.level !== "ok")))}`,
      );
      assert.equal(r.rows, n);
    }
  });

  it("driftTable flags each kind of change on the statistic made for it", () => {
    const cases: [Change, string, string][] = [
      [{ shift: 0.5 }, "x", "cdfDistance"],
      [{ shift: 0.5 }, "x", "logLikelihood"],
      [{ variance: 1.5 }, "x", "logLikelihood"],
      [{ variance: 0.5 }, "x", "logLikelihood"],
      [{ newMode: 0.05 }, "x", "lowTail"],
      [{ newMode: 0.05 }, "x", "outOfRange"],
      [{ nullRate: 0.1 }, "x", "nullRate"],
      [{ nullRate: 0.1 }, "c", "nullRate"],
      [{ unseen: 0.02 }, "c", "unseen"],
      [{ doubleD: true }, "c", "categoryShare"],
    ];
    for (const [change, col, stat] of cases) {
      const r = driftTable(model, sample(20_000, 5, change));
      assert.equal(levelOf(r, col, stat), "drift", `${JSON.stringify(change)}: ${col} ${stat}`);
      assert.equal(verdicts(r)[col], "drift");
    }
    // Narrower modes raise the likelihood: the change is two-sided.
    const collapsed = driftTable(model, sample(20_000, 5, { narrow: true }));
    assert.equal(levelOf(collapsed, "x", "logLikelihood"), "drift");
    const dl = collapsed.columns[0]!.statistics.find((s) => s.name === "logLikelihood")!;
    assert.ok(dl.value > dl.baseline, `Δℓ ${dl.value - dl.baseline}`);
  });

  it("driftTable does not flag a tiny change on a million rows (practical floors)", () => {
    // As if the baseline held a billion rows: sampling error then no longer hides a 0.004 σ shift.
    const big = structuredClone(model);
    const b = (big.columns[0] as MixtureColumnSpec).baseline!;
    b.size = b.fitted = 1e9;
    const r = driftTable(big, sample(1_000_000, 6, { shift: 0.004 }));
    const x = r.columns[0]!;
    assert.equal(x.verdict, "ok", JSON.stringify(x.statistics));
    const cdf = x.statistics.find((s) => s.name === "cdfDistance")!;
    // The change is twice the Kolmogorov–Smirnov bound at level 1e-4: only the floor keeps it quiet.
    assert.ok(cdf.score > 2 * 2.23 * Math.sqrt(1 / 1e6 + 1 / 1e9), `cdf ${cdf.score}`);
    assert.ok(cdf.score < cdf.warnAt, `cdf ${cdf.score} < ${cdf.warnAt}`);
  });

  it("driftTable gives insufficient_data below 100 rows, and judges what it can", () => {
    const r = driftTable(model, sample(60, 7));
    assert.equal(r.verdict, "insufficient_data");
    assert.deepEqual(verdicts(r), { x: "insufficient_data", c: "insufficient_data" });
    const m = sample(500, 8);
    const x = m.columns[0]!;
    if (x.type !== "string") x.nulls!.fill(1, 0, 450);
    const mostlyMissing = driftTable(model, m);
    assert.equal(verdicts(mostlyMissing).x, "drift", "90 % missing is a null-rate drift");
  });

  it("driftTable applies the share and critical rules", () => {
    const t = sample(20_000, 9, { unseen: 0.05 });
    assert.deepEqual(verdicts(driftTable(model, t)), { x: "ok", c: "drift" });
    assert.equal(driftTable(model, t).verdict, "drift", "1 of 2 columns = the default share 0.5");
    assert.equal(driftTable(model, t, { share: 0.75 }).verdict, "warn");
    assert.equal(driftTable(model, t, { share: 0.75, critical: ["c"] }).verdict, "drift");
    assert.throws(
      () => driftTable(model, t, { critical: ["nope"] }),
      /critical column "nope" is not in the model \(its columns: x, c\)/,
    );
    assert.throws(() => driftTable(model, t, { share: 0 }), /share must be in \(0, 1\]/);
  });

  it("driftTable refuses a version 1 model, missing columns, wrong types and no rows", () => {
    assert.throws(
      () => driftTable({ ...model, version: 1 }, sample(200, 1)),
      /version 1 model file, which has no drift baseline\. Refit it/,
    );
    const noC: Table = { rows: 200, columns: [sample(200, 1).columns[0]!] };
    assert.throws(() => driftTable(model, noC), /"c"/);
    const textX: Table = {
      rows: 1,
      columns: [{ name: "x", type: "string", values: ["1"] }, sample(1, 1).columns[1]!],
    };
    assert.throws(
      () => driftTable(model, textX),
      /column "x" is string in the data but was float64/,
    );
    assert.throws(() => driftTable(model, sample(0, 1)), /no rows/);
  });
});

describe("drift tallies", () => {
  const table = sample(5_000, 11, { shift: 0.1 });

  it("mergeDriftTallies of any split equals the tally of all rows (counts exactly)", () => {
    const whole = createDriftTally(model);
    addToDriftTally(model, whole, table);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 4_999 }), { maxLength: 6 }), (cuts) => {
        const ends = [0, ...cuts.sort((a, b) => a - b), 5_000];
        let merged = createDriftTally(model);
        for (let i = 1; i < ends.length; i++) {
          const part = createDriftTally(model);
          addToDriftTally(model, part, table, ends[i - 1]!, ends[i]!);
          merged = mergeDriftTallies(merged, part);
        }
        const strip = (t: typeof whole) =>
          JSON.stringify(t, (k, v) => (k === "clippedSum" ? Math.round(v * 1e6) : v));
        assert.equal(strip(merged), strip(whole));
        assert.deepEqual(
          driftReport(model, merged).columns.map((c) => c.verdict),
          driftReport(model, whole).columns.map((c) => c.verdict),
        );
      }),
      { numRuns: 30 },
    );
  });

  it("chunkTallies splits a block at chunk boundaries of the global row index", () => {
    const parts = chunkTallies(model, table, 1_500, 1_000);
    assert.deepEqual(
      parts.map((p) => [p.chunk, p.tally.rows]),
      [
        [1, 500],
        [2, 1000],
        [3, 1000],
        [4, 1000],
        [5, 1000],
        [6, 500],
      ],
    );
    assert.deepEqual(
      chunkTallies(model, table, 0, null).map((p) => [p.chunk, p.tally.rows]),
      [[0, 5_000]],
    );
  });
});

describe("psi", () => {
  it("psi is 0 for equal shares and finite for empty bins", () => {
    assert.equal(psi([40, 60], [0.4, 0.6], 1e9), psi([40, 60], [0.4, 0.6], 1e9));
    assert.ok(psi([400, 600], [0.4, 0.6], 1e6) < 1e-5);
    assert.ok(Number.isFinite(psi([0, 100], [1, 0], 100)));
  });

  it("psiNull raises the threshold for small samples over many rare bins, where a fixed 0.25 alarms", () => {
    const B = 200;
    const base = new Array(B).fill(1 / B);
    const rng = new Random(3);
    const counts = new Array(B).fill(0);
    for (let i = 0; i < 300; i++) counts[rng.integer(B)]++;
    const value = psi(counts, base, 100_000);
    const nul = psiNull(base, 100_000, 300);
    assert.ok(value > 0.25, `PSI of a no-drift sample of 300 rows over 200 bins: ${value}`);
    assert.ok(nul.p99 > value, `its no-drift 99th percentile ${nul.p99}`);
    assert.deepEqual(psiNull(base, 100_000, 300), nul, "deterministic (fixed seed)");
    // Large samples: the percentiles fall far below the conventional floors.
    assert.ok(psiNull([0.5, 0.3, 0.2], 1e5, 1e5).p999 < 0.01);
  });
});
