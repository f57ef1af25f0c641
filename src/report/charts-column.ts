/**
 * Chart specs of one column: the density histogram with the mixture and its modes, the modes'
 * weights, the fit's bound per iteration, and category bars. Marks are named (`hist_bars`,
 * `mix_pdf`, `mode_pdf`, `mode_weights`, `bound_points`, `cat_bars`) so a test can count them:
 * Vega gives each mark group the class `mark-<type> role-mark <name>`.
 */
import type { Axis, Scale, Spec } from "vega";
import type { ModeSpec } from "../encode/spec.js";
import { type PlotAxis, round4 } from "./axis.js";
import { type CurvePoint, densityCurve } from "./density.js";
import { type DensityBar, densityBars, type Histogram } from "./histogram.js";
import { BAR_FILL, barsMark, chartSpec, dataMark, facetLines, lineMark, PALETTE } from "./vega.js";

/** Tick values of a symlog axis: 0 and ±powers of ten from the linear part's width outwards. */
export function symlogTicks(a: PlotAxis): number[] {
  const ticks = [0];
  const top = Math.max(Math.abs(a.lo), Math.abs(a.hi));
  for (let p = Math.ceil(Math.log10(a.constant)); 10 ** p <= top; p++) {
    if (10 ** p <= a.hi) ticks.push(10 ** p);
    if (-(10 ** p) >= a.lo) ticks.unshift(-(10 ** p));
  }
  return ticks.filter((t) => t >= a.lo && t <= a.hi);
}

/** The x scale and axis of a density chart on `a`. */
export function xScaleAxis(a: PlotAxis, title: string): { scale: Scale; axis: Axis } {
  const big = Math.max(Math.abs(a.lo), Math.abs(a.hi)) >= 1e5;
  const scale: Scale =
    a.kind === "log"
      ? { name: "x", type: "log", base: 10, domain: [a.lo, a.hi], range: "width", nice: false }
      : a.kind === "symlog"
        ? { name: "x", type: "symlog", constant: a.constant, domain: [a.lo, a.hi], range: "width" }
        : { name: "x", type: "linear", domain: [a.lo, a.hi], range: "width", zero: false };
  const axis: Axis = {
    orient: "bottom",
    scale: "x",
    title,
    labelOverlap: true,
    tickCount: 6,
    ...(a.kind === "symlog" ? { values: symlogTicks(a) } : {}),
    ...(big || a.kind !== "linear"
      ? { encode: { labels: { update: { text: { signal: SHORT_NUMBER } } } } }
      : {}),
  };
  return { scale, axis };
}

/**
 * A tick label per value (a format given to the axis would share one SI prefix across the
 * ticks, writing 1 as "0k" beside 10k): plain below 1000, SI prefixes above.
 */
const SHORT_NUMBER =
  "abs(datum.value) >= 1000 ? format(datum.value, '~s') : format(datum.value, '~g')";

/** Powers of ten in [lo, hi] (ticks of a log axis; at least the ends' decades). */
export function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let p = Math.ceil(Math.log10(lo)); p <= Math.floor(Math.log10(hi)); p++) out.push(10 ** p);
  return out.length > 0 ? out : [lo, hi];
}

/** What a density's y axis measures on `a`. */
export function densityTitle(a: PlotAxis): string {
  switch (a.kind) {
    case "linear":
      return "density";
    case "log":
      return "density per log10 unit";
    case "symlog":
      return "density per symlog unit";
  }
}

/** The data of a histogram chart: bars, the mixture's curve and each mode's. */
export interface HistogramChartData {
  bars: DensityBar[];
  mixture: CurvePoint[];
  modes: CurvePoint[];
}

/** Bars and curves of a column (no curves for `modes` empty, e.g. a minmax column). */
export function histogramChartData(h: Histogram, modes: readonly ModeSpec[]): HistogramChartData {
  const bars = densityBars(h);
  const mixture = modes.length === 0 ? [] : densityCurve(modes, h.axis);
  let top = 0;
  for (const p of [...bars.map((b) => ({ y: b.density })), ...mixture]) top = Math.max(top, p.y);
  return {
    bars,
    mixture,
    modes:
      modes.length < 2
        ? []
        : modes.flatMap((_, k) => trimTails(densityCurve(modes, h.axis, k), TRIM * top)),
  };
}

/** Mode curves are not drawn where they are below this share of the chart's height. */
export const TRIM = 2e-3;

/**
 * A mode's curve without its flat tails: points at or below `eps` are dropped unless next to a
 * point above (a narrow mode is 0 over most of the axis: its 256 points would cost bytes for a
 * line along the axis; below 1/500 of the chart's height it is within half a pixel of it).
 */
export function trimTails(points: CurvePoint[], eps: number): CurvePoint[] {
  let peak = 0;
  for (let i = 1; i < points.length; i++) if (points[i]!.y > points[peak]!.y) peak = i;
  // A mode too small to see keeps its peak, so every kept mode has a line.
  const cut = Math.min(eps, points[peak]!.y * 0.999);
  const high = (i: number) => i >= 0 && i < points.length && points[i]!.y > cut;
  const kept = points.filter((_, i) => high(i) || high(i - 1) || high(i + 1));
  return kept.length > 0 ? kept : points.slice(Math.max(0, peak - 1), peak + 2);
}

/** The histogram with the mixture density (black) and each kept mode's curve (colours). */
export function histogramSpec(d: HistogramChartData, a: PlotAxis, xTitle: string): Spec {
  const { scale, axis } = xScaleAxis(a, xTitle);
  let top = 0;
  for (const b of d.bars) top = Math.max(top, b.density);
  for (const p of d.mixture) top = Math.max(top, p.y);
  return chartSpec({
    data: [
      { name: "bars", values: d.bars },
      { name: "mixture", values: d.mixture },
      { name: "modes", values: d.modes },
    ],
    scales: [
      scale,
      { name: "y", type: "linear", domain: [0, top > 0 ? top : 1], range: "height", nice: true },
      { name: "color", type: "ordinal", domain: { data: "modes", field: "mode" }, range: PALETTE },
    ],
    axes: [axis, { orient: "left", scale: "y", title: densityTitle(a), tickCount: 5, grid: true }],
    marks: [
      dataMark("rect", "hist_bars", "bars", {
        x: { scale: "x", field: "x0" },
        x2: { scale: "x", field: "x1" },
        y: { scale: "y", field: "density" },
        y2: { scale: "y", value: 0 },
        fill: { value: BAR_FILL },
        fillOpacity: { value: 0.55 },
      }),
      facetLines("mode_pdf", "modes", "mode", { scale: "color", field: "mode" }),
      lineMark("mix_pdf", "mixture", { value: "currentColor" }, { strokeWidth: { value: 2 } }),
    ],
  });
}

/** Text of a number in a label: 4 significant figures. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? x.toExponential(3) : String(round4(x));
}

/** Horizontal bars of the kept modes' weights, labelled with mean and standard deviation. */
export function weightsSpec(modes: readonly ModeSpec[], space: string): Spec {
  const top = Math.min(1, 1.8 * Math.max(...modes.map((m) => m.weight)));
  const rows = modes.map((m, k) => ({
    mode: `mode ${k}`,
    k,
    weight: round4(m.weight),
    label: `${(m.weight * 100).toFixed(1)} %  μ ${num(m.mean)}  σ ${num(m.std)}${space}`,
  }));
  return chartSpec(
    {
      data: [{ name: "modes", values: rows }],
      scales: [
        { name: "x", type: "linear", domain: [0, top], range: "width", nice: true },
        {
          name: "y",
          type: "band",
          domain: { data: "modes", field: "mode" },
          range: "height",
          padding: 0.2,
        },
        { name: "color", type: "ordinal", domain: { data: "modes", field: "k" }, range: PALETTE },
      ],
      axes: [
        { orient: "bottom", scale: "x", title: "weight", format: "~%", tickCount: 5, grid: true },
        { orient: "left", scale: "y" },
      ],
      marks: [
        barsMark("mode_weights", "modes", "weight", "mode", { scale: "color", field: "k" }),
        dataMark("text", "mode_labels", "modes", {
          x: { scale: "x", field: "weight", offset: 4 },
          y: { scale: "y", field: "mode", band: 0.5 },
          baseline: { value: "middle" },
          text: { field: "label" },
        }),
      ],
    },
    { height: Math.max(40, 22 * modes.length) },
  );
}

/**
 * The fit's convergence: |Δ bound per value| after each iteration from the second (log axis),
 * and the tolerance it is compared with. A change of exactly 0 is drawn at 1e-16 (the axis
 * cannot hold 0).
 */
export function boundSpec(boundsPerValue: readonly number[], tol: number): Spec {
  // x: the iteration, y: the change of the bound since the one before.
  const points = boundsPerValue.slice(1).map((b, i) => ({
    x: i + 2,
    y: Math.max(round4(Math.abs(b - boundsPerValue[i]!)), 1e-16),
  }));
  let lo = tol;
  let hi = tol;
  for (const p of points) {
    lo = Math.min(lo, p.y);
    hi = Math.max(hi, p.y);
  }
  return chartSpec(
    {
      data: [
        { name: "points", values: points },
        { name: "tol", values: [{ tol }] },
      ],
      scales: [
        {
          name: "x",
          type: "linear",
          domain: [1, Math.max(2, boundsPerValue.length)],
          range: "width",
          zero: false,
        },
        { name: "y", type: "log", domain: [lo / 2, hi * 2], range: "height" },
      ],
      axes: [
        { orient: "bottom", scale: "x", title: "iteration", tickMinStep: 1, format: "d" },
        {
          orient: "left",
          scale: "y",
          title: "|Δ bound| per value",
          values: decades(lo / 2, hi * 2),
          format: "~e",
          grid: true,
        },
      ],
      marks: [
        dataMark("rule", "tol_rule", "tol", {
          x: { value: 0 },
          x2: { signal: "width" },
          y: { scale: "y", field: "tol" },
          stroke: { value: PALETTE[2]! },
          strokeDash: { value: [4, 3] },
        }),
        lineMark("bound_line", "points", { value: PALETTE[0]! }),
        dataMark("symbol", "bound_points", "points", {
          x: { scale: "x", field: "x" },
          y: { scale: "y", field: "y" },
          size: { value: 16 },
          fill: { value: PALETTE[0]! },
        }),
      ],
    },
    { height: 160 },
  );
}

/** Bars of the most frequent categories (and one for all others), largest first. */
export function categorySpec(bars: readonly { label: string; count: number }[]): Spec {
  const rows = bars.map((b, i) => ({ ...b, i, key: `${i}` }));
  return chartSpec(
    {
      data: [{ name: "cats", values: rows }],
      scales: [
        {
          name: "x",
          type: "linear",
          domain: { data: "cats", field: "count" },
          range: "width",
          nice: true,
        },
        {
          name: "y",
          type: "band",
          domain: { data: "cats", field: "key" },
          range: "height",
          padding: 0.15,
        },
      ],
      axes: [
        {
          orient: "bottom",
          scale: "x",
          title: "rows",
          grid: true,
          tickCount: 5,
          encode: { labels: { update: { text: { signal: SHORT_NUMBER } } } },
        },
        {
          orient: "left",
          scale: "y",
          encode: {
            labels: {
              update: {
                text: { signal: `${JSON.stringify(rows.map((r) => r.label))}[+datum.value]` },
              },
            },
          },
        },
      ],
      marks: [barsMark("cat_bars", "cats", "count", "key", { value: PALETTE[0]! })],
    },
    { height: Math.max(40, 18 * rows.length) },
  );
}
