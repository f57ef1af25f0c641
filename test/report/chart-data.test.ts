/** The numbers behind the charts: densities, histograms, axes, ellipses and the scatter sample. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Random } from "../../src/core/rng.js";
import type { Column } from "../../src/core/table.js";
import type { ClusterModel } from "../../src/encode/cluster-model.js";
import type { MixtureColumnSpec, ModeSpec } from "../../src/encode/spec.js";
import { chooseAxis, type PlotAxis, toU } from "../../src/report/axis.js";
import { histogramChartData } from "../../src/report/charts-column.js";
import {
  addClusterBlock,
  createClusterPass,
  SCATTER_MIN_PER_CLUSTER,
  SCATTER_POINTS,
  scatterSample,
} from "../../src/report/cluster-pass.js";
import { densityCurve, mixtureAxis } from "../../src/report/density.js";
import { clusterEllipses, covariance2, ELLIPSE_POINTS, eigen2 } from "../../src/report/ellipse.js";
import {
  addMixtureRows,
  createHistogram,
  densityBars,
  HISTOGRAM_BINS,
  plottedValues,
} from "../../src/report/histogram.js";
import { continuousSpec } from "../helpers/data.js";

/** ∫ y du over the curve's points by the trapezoid rule, in the axis's u. */
function integrate(axis: PlotAxis, pts: { x: number; y: number }[]): number {
  let s = 0;
  for (let i = 1; i < pts.length; i++) {
    const du = toU(axis, pts[i]!.x) - toU(axis, pts[i - 1]!.x);
    s += (du * (pts[i]!.y + pts[i - 1]!.y)) / 2;
  }
  return s;
}

/** A continuous column whose fit data spanned [min, max] (the baseline's range). */
function spec(modes: ModeSpec[], min: number, max: number, extra: Partial<MixtureColumnSpec> = {}) {
  const baseline = { size: 1, min, max, occupancy: [], fitted: 1, lowCut: 0, lowShare: 0 };
  return continuousSpec(modes, {
    baseline: { ...baseline, clippedMean: 0, clippedStd: 0, cdf: [] },
    ...extra,
  });
}

/** n draws of the mixture. */
function draw(modes: ModeSpec[], n: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let u = rng.random();
    let k = 0;
    while (k < modes.length - 1 && u > modes[k]!.weight) u -= modes[k++]!.weight;
    const z = Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
    out[i] = modes[k]!.mean + modes[k]!.std * z;
  }
  return out;
}

const f64 = (values: Float64Array, nulls: Uint8Array | null = null): Column => ({
  name: "x",
  type: "float64",
  values,
  nulls,
});

describe("report chart data", () => {
  it("densityCurve integrates to about 1 over the histogram's range on linear, log and symlog axes", () => {
    const cases: [string, ModeSpec[], number, number][] = [
      [
        "linear",
        [
          { weight: 0.3, mean: -2, std: 0.5 },
          { weight: 0.7, mean: 3, std: 1 },
        ],
        -6,
        8,
      ],
      [
        "log",
        [
          { weight: 0.5, mean: 10, std: 2 },
          { weight: 0.5, mean: 3e4, std: 5e3 },
        ],
        1e-3,
        6e4,
      ],
      [
        "symlog",
        [
          { weight: 0.9, mean: 20, std: 10 },
          { weight: 0.1, mean: 2e5, std: 3e4 },
        ],
        -100,
        4e5,
      ],
    ];
    for (const [kind, modes, lo, hi] of cases) {
      const s = spec(modes, lo, hi);
      const axis = mixtureAxis(s);
      assert.equal(axis.kind, kind, `${kind}: the axis chosen from range and bulk`);
      const total = integrate(axis, densityCurve(modes, axis));
      assert.ok(Math.abs(total - 1) < 0.01, `${kind}: ∫ mixture = ${total}`);
      // Each mode's curve integrates to its weight.
      modes.forEach((m, k) => {
        const w = integrate(axis, densityCurve(modes, axis, k));
        assert.ok(Math.abs(w - m.weight) < 0.01, `${kind} mode ${k}: ∫ = ${w}, weight ${m.weight}`);
      });
    }
  });

  it("the histogram of draws of a mixture follows its plotted density, bin by bin", () => {
    const modes = [
      { weight: 0.4, mean: 0, std: 1 },
      { weight: 0.6, mean: 6, std: 0.5 },
    ];
    const xs = draw(modes, 200_000, 3);
    const s = spec(modes, -5, 9);
    const h = createHistogram(mixtureAxis(s));
    addMixtureRows(h, s, f64(xs));
    const d = histogramChartData(h, modes);
    assert.equal(d.bars.length, HISTOGRAM_BINS);
    // Each mode's curve without its flat tails (below 1/1000 of its peak).
    assert.ok(d.modes.length < d.mixture.length);
    for (const k of [0, 1]) assert.ok(d.modes.filter((p) => p.mode === k).length > 10);
    const peak = Math.max(...d.modes.filter((p) => p.mode === 1).map((p) => p.y));
    assert.ok(d.modes.filter((p) => p.mode === 1 && p.y < 1e-3 * peak).length <= 2);
    // Σ density · Δu = share of values in bins (all of them here).
    const mass = d.bars.reduce(
      (a, b) => a + b.density * (toU(h.axis, b.x1) - toU(h.axis, b.x0)),
      0,
    );
    assert.ok(Math.abs(mass - 1) < 1e-3, `Σ bars = ${mass}`);
    // Each bar is within 5 % (+ noise floor) of the curve's mean over the bar.
    let worst = 0;
    for (const b of d.bars) {
      const inBar = d.mixture.filter((p) => p.x >= b.x0 && p.x <= b.x1);
      if (inBar.length === 0) continue;
      const curve = inBar.reduce((a, p) => a + p.y, 0) / inBar.length;
      worst = Math.max(worst, Math.abs(b.density - curve) / (curve + 0.02));
    }
    assert.ok(worst < 0.25, `largest relative gap between bars and curve: ${worst}`);
  });

  it("histogram counts add up to the rows: bins, below, above, modal, not plotted, missing", () => {
    const s = spec([{ weight: 1, mean: 5, std: 2 }], 0, 10, {
      kind: "mixed",
      modalValues: [0, -9999],
    });
    const h = createHistogram(mixtureAxis(s));
    const values = Float64Array.of(
      1,
      2,
      3,
      0,
      -9999,
      -0,
      11,
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      10,
      0,
      7,
    );
    const nulls = new Uint8Array(values.length);
    nulls[12] = 1;
    addMixtureRows(h, s, f64(values, nulls));
    const binned = h.counts.reduce((a, b) => a + b, 0);
    assert.equal(h.rows, values.length);
    assert.equal(binned + h.below + h.above + h.modal + h.notPlotted + h.nulls, h.rows);
    assert.deepEqual(
      {
        binned,
        below: h.below,
        above: h.above,
        modal: h.modal,
        notPlotted: h.notPlotted,
        nulls: h.nulls,
      },
      // -0 is not the modal value 0 (Object.is): it is plotted at 0.
      { binned: 5, below: 1, above: 1, modal: 3, notPlotted: 2, nulls: 1 },
    );
    assert.equal(plottedValues(h), 7);
    // The range's ends fall in the first and last bins.
    assert.equal(h.counts[0], 1);
    assert.equal(h.counts[HISTOGRAM_BINS - 1], 1);
    assert.equal(densityBars(h).length, HISTOGRAM_BINS);
  });

  it("chooseAxis: log for a positive range over 3 decades, symlog for a long tail from 0, else linear; a constant gets a range", () => {
    assert.equal(chooseAxis(0.5, 5000, 1, 10).kind, "log");
    assert.equal(chooseAxis(0, 25_000, 5, 77).kind, "symlog");
    assert.equal(chooseAxis(0, 5_000, 5, 77).kind, "linear");
    assert.equal(chooseAxis(-1e6, 1e6, -1, 1).kind, "symlog");
    assert.equal(chooseAxis(1, 900, 100, 500).kind, "linear");
    const c = chooseAxis(3, 3, 3, 3);
    assert.ok(c.lo < 3 && c.hi > 3 && c.kind === "linear");
  });

  it("clusterEllipses: axes along the covariance's eigenvectors, half-lengths level·√λ, in the columns' units", () => {
    // A rotated covariance with eigenvalues 9 and 1 at 30°, in a standardised 3-column model.
    const th = Math.PI / 6;
    const [c, s] = [Math.cos(th), Math.sin(th)];
    const a = 9 * c * c + s * s;
    const b = (9 - 1) * c * s;
    const d = 9 * s * s + c * c;
    const cov = [a, 0.1, b, 0.1, 2, 0.3, b, 0.3, d];
    const m = {
      columns: ["x", "z", "y"],
      components: 1,
      covarianceType: "full",
      standardize: { center: [10, 0, -5], scale: [2, 1, 3] },
      means: [[1, 0, -1]],
      covariances: cov,
    } as unknown as ClusterModel;
    const [sxx, sxy, syy] = covariance2(m, 0, 0, 2);
    const close = (x: number, y: number) => Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(y));
    assert.ok(close(sxx, a * 4) && close(sxy, b * 6) && close(syy, d * 9), `${[sxx, sxy, syy]}`);
    const e = eigen2(sxx, sxy, syy);
    // Eigen-equations hold: Σv = λv for both.
    for (let i = 0; i < 2; i++) {
      const [vx, vy] = e.vectors[i]!;
      const l = e.values[i]!;
      assert.ok(Math.abs(sxx * vx + sxy * vy - l * vx) < 1e-9);
      assert.ok(Math.abs(sxy * vx + syy * vy - l * vy) < 1e-9);
    }
    assert.ok(e.values[0] >= e.values[1]);
    const pts = clusterEllipses(m, 0, 2);
    assert.equal(pts.length, 2 * ELLIPSE_POINTS);
    const mu = [1 * 2 + 10, -1 * 3 - 5];
    const det = sxx * syy - sxy * sxy;
    let far = 0;
    for (const p of pts) {
      const dx = p.x - mu[0]!;
      const dy = p.y - mu[1]!;
      // On the ellipse of Mahalanobis radius `level`.
      const r2 = (syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / det;
      assert.ok(Math.abs(r2 - p.level ** 2) < 1e-9, `r² ${r2} at level ${p.level}`);
      if (p.level === 1) far = Math.max(far, Math.hypot(dx, dy));
    }
    // The farthest point of the 1σ ellipse is √λ₁ along the first eigenvector.
    assert.ok(Math.abs(far - Math.sqrt(e.values[0])) < 1e-9);
    const first = pts[0]!;
    const [vx, vy] = e.vectors[0];
    assert.ok(Math.abs(first.x - mu[0]! - Math.sqrt(e.values[0]) * vx) < 1e-9);
    assert.ok(Math.abs(first.y - mu[1]! - Math.sqrt(e.values[0]) * vy) < 1e-9);
  });

  it("scatterSample: at most 5,000 points, every cluster min(rows, 200), the same for any block size", () => {
    // Two clusters on one column: x < 0 → 0 (most rows), x > 0 → 1 (150 rows).
    const m = {
      format: "modenorm.clustering",
      columns: ["x", "y"],
      components: 2,
      seed: 1,
      covarianceType: "spherical",
      standardize: null,
      weights: [0.9, 0.1],
      means: [
        [-5, 0],
        [5, 0],
      ],
      covariances: [1, 1],
      terms: {
        logConst: [0, 0],
        means: [-5, 0, 5, 0],
        precChol: [1, 1],
      },
    } as unknown as ClusterModel;
    const n = 30_000;
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = i % 200 === 0 ? 5 + (i % 7) / 10 : -5 - (i % 11) / 10;
      y[i] = i;
    }
    const table = (a: number, b: number) =>
      ({
        rows: b - a,
        columns: [
          { name: "x", type: "float64", values: x.slice(a, b), nulls: null },
          { name: "y", type: "float64", values: y.slice(a, b), nulls: null },
        ],
      }) as never;
    const sample = (block: number) => {
      const p = createClusterPass(m, "x", "y");
      for (let a = 0; a < n; a += block) addClusterBlock(p, table(a, Math.min(n, a + block)), a);
      return { p, s: scatterSample(p) };
    };
    const { p, s } = sample(4096);
    assert.deepEqual(p.counts, [n - 150, 150]);
    assert.equal(s.length, SCATTER_POINTS);
    const small = s.filter((q) => q.k === 1).length;
    assert.equal(small, Math.min(150, SCATTER_MIN_PER_CLUSTER));
    assert.deepEqual(sample(1000).s, s);
    // Row order, points of their own rows.
    for (let i = 1; i < s.length; i++) assert.ok(s[i]!.y > s[i - 1]!.y);
  });
});
