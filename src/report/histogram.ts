/**
 * Histograms binned while the rows stream by: fixed edges (equal in the axis's u, see `axis.ts`)
 * decided before the first row, additive counts, and counters for everything that is not in a
 * bin, so that bins + below + above + modal + notPlotted + nulls = rows.
 */
import { type Column, isNull, numericValue } from "../core/table.js";
import { fittedValue, isModal } from "../encode/mixture-domain.js";
import type { MixtureColumnSpec } from "../encode/spec.js";
import { type PlotAxis, round4, roundX, toU } from "./axis.js";

/** Bins of a column's histogram (40–80 keeps a chart small and its shape readable). */
export const HISTOGRAM_BINS = 60;

/** Counts of one column's values on a fixed axis. */
export interface Histogram {
  axis: PlotAxis;
  /** u of the first edge and the bins' width in u. */
  u0: number;
  du: number;
  counts: Float64Array;
  /** Plotted values below the first edge / above the last. */
  below: number;
  above: number;
  /** Modal values of a mixed column (their own slots, not part of the modes' density). */
  modal: number;
  /** Values outside the modes' domain: NaN, ±∞, log columns' values ≤ offset. */
  notPlotted: number;
  nulls: number;
  rows: number;
}

/** An empty histogram of `bins` bins on `axis`. */
export function createHistogram(axis: PlotAxis, bins = HISTOGRAM_BINS): Histogram {
  const u0 = toU(axis, axis.lo);
  return {
    axis,
    u0,
    du: (toU(axis, axis.hi) - u0) / bins,
    counts: new Float64Array(bins),
    below: 0,
    above: 0,
    modal: 0,
    notPlotted: 0,
    nulls: 0,
    rows: 0,
  };
}

/**
 * Calls `each(x, i)` with every non-missing value of rows [start, end) of a numeric column, as a
 * number; returns how many rows were missing.
 */
export function eachValue(
  col: Column,
  start: number,
  end: number,
  each: (x: number, i: number) => void,
): number {
  let nulls = 0;
  for (let i = start; i < end; i++) {
    if (isNull(col, i)) nulls++;
    else each(numericValue(col, i), i);
  }
  return nulls;
}

/** Adds one plotted value p (finite). */
export function addPlotted(h: Histogram, p: number): void {
  const b = Math.floor((toU(h.axis, p) - h.u0) / h.du);
  const n = h.counts.length;
  if (b < 0) {
    // Rounding of u can put lo itself a hair below the first edge.
    if (p >= h.axis.lo) h.counts[0]!++;
    else h.below++;
  } else if (b >= n) {
    if (p <= h.axis.hi) h.counts[n - 1]!++;
    else h.above++;
  } else h.counts[b]!++;
}

/**
 * Adds rows [start, end) of a mixture column: each value is plotted at t(x) (x, or ln(x − offset)
 * for log columns), the space the modes live in.
 */
export function addMixtureRows(
  h: Histogram,
  spec: MixtureColumnSpec,
  col: Column,
  start = 0,
  end = col.values.length,
): void {
  const modal = spec.modalValues ?? [];
  const offset = spec.kind === "log" ? (spec.offset ?? 0) : undefined;
  h.rows += end - start;
  h.nulls += eachValue(col, start, end, (x) => {
    if (modal.length > 0 && isModal(x, modal) >= 0) {
      h.modal++;
      return;
    }
    const t = fittedValue(x, offset);
    if (Number.isNaN(t)) h.notPlotted++;
    else addPlotted(h, t);
  });
}

/** Values counted in bins or beyond the edges: the N the densities are divided by. */
export function plottedValues(h: Histogram): number {
  let n = h.below + h.above;
  for (const c of h.counts) n += c;
  return n;
}

/** One bar of a density histogram: [x0, x1) and count / (N · Δu). */
export interface DensityBar {
  x0: number;
  x1: number;
  density: number;
}

/** The bars of a histogram as densities per unit of u (zero-height bars included). */
export function densityBars(h: Histogram): DensityBar[] {
  const n = plottedValues(h);
  const bars: DensityBar[] = [];
  for (let b = 0; b < h.counts.length; b++) {
    bars.push({
      x0: edgeAt(h, b),
      x1: edgeAt(h, b + 1),
      density: n > 0 ? round4(h.counts[b]! / (n * h.du)) : 0,
    });
  }
  return bars;
}

/** Edge b of the histogram in x (the ends exactly lo and hi). */
export function edgeAt(h: Histogram, b: number): number {
  if (b === 0) return h.axis.lo;
  if (b === h.counts.length) return h.axis.hi;
  const u = h.u0 + b * h.du;
  switch (h.axis.kind) {
    case "linear":
      return roundX(h.axis, u);
    case "log":
      return round4(10 ** u);
    case "symlog":
      return round4(Math.sign(u) * h.axis.constant * Math.expm1(Math.abs(u)));
  }
}
