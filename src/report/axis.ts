/**
 * The x axis of a column's density chart: linear, log or symmetric log, chosen from the plotted
 * range, and the map u(x) in which histogram bins are equal and densities are per unit.
 *
 * A density plotted on a log or symlog axis is per unit of u, not of x: a histogram bin holds
 * count / (N · Δu) and a curve f(x) is drawn as f(x) · dx/du, so areas on the page are
 * probabilities whatever the axis.
 */

/** `log`: u = log10 x (x > 0); `symlog`: u = sign(x) · ln(1 + |x| / C), Vega's symlog scale. */
export type AxisKind = "linear" | "log" | "symlog";

export interface PlotAxis {
  kind: AxisKind;
  /** C of the symlog axis (the half-width of its linear part); 1 for the others. */
  constant: number;
  /** Plotted range in x, lo < hi. */
  lo: number;
  hi: number;
}

/** A positive range whose ends differ by more than this factor gets a log axis. */
export const LOG_AXIS_RATIO = 1e3;
/** A range wider than this many times the bulk's (interquartile) width gets a symlog axis. */
export const SYMLOG_AXIS_RATIO = 100;

/**
 * The axis for values in [lo, hi] whose bulk (quartiles) lies in [q1, q3]: log when lo > 0 and
 * hi / lo > {@link LOG_AXIS_RATIO}; symlog when the range is more than
 * {@link SYMLOG_AXIS_RATIO} times wider than the bulk (e.g. amounts from 0 with a long right
 * tail: most of a linear axis would be empty); else linear. An
 * empty range is widened to ±1 (or ±1 % of the value) so a constant column still has an axis.
 */
export function chooseAxis(lo: number, hi: number, q1: number, q3: number): PlotAxis {
  if (!(hi > lo)) {
    const pad = lo === 0 || !Number.isFinite(lo) ? 1 : Math.abs(lo) * 0.01;
    const c = Number.isFinite(lo) ? lo : 0;
    return { kind: "linear", constant: 1, lo: c - pad, hi: c + pad };
  }
  if (lo > 0 && hi / lo > LOG_AXIS_RATIO) return { kind: "log", constant: 1, lo, hi };
  const bulk = q3 - q1;
  const span = hi - lo;
  if (bulk > 0 && span / bulk > SYMLOG_AXIS_RATIO) {
    // The linear part of the axis a tenth of the bulk's scale: the bulk spreads over the page
    // and the tail is compressed logarithmically.
    const scale = Math.max(bulk, Math.abs(q1 + q3) / 2);
    return { kind: "symlog", constant: scale / 10, lo, hi };
  }
  return { kind: "linear", constant: 1, lo, hi };
}

/** u(x). */
export function toU(a: PlotAxis, x: number): number {
  switch (a.kind) {
    case "linear":
      return x;
    case "log":
      return Math.log10(x);
    case "symlog":
      return Math.sign(x) * Math.log1p(Math.abs(x) / a.constant);
  }
}

/** x(u), the inverse of {@link toU}. */
export function fromU(a: PlotAxis, u: number): number {
  switch (a.kind) {
    case "linear":
      return u;
    case "log":
      return 10 ** u;
    case "symlog":
      return Math.sign(u) * a.constant * Math.expm1(Math.abs(u));
  }
}

/** dx/du at x: a density per unit of x times this is the density per unit of u. */
export function dxdu(a: PlotAxis, x: number): number {
  switch (a.kind) {
    case "linear":
      return 1;
    case "log":
      return x * Math.LN10;
    case "symlog":
      return a.constant + Math.abs(x);
  }
}

/** `x` rounded to 4 significant figures (chart data need no more; it keeps the HTML small). */
export function round4(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(4));
}

/**
 * `x` rounded for a chart on axis `a`: to 1/10⁵ of the range on a linear axis (4 significant
 * figures would merge the points of, say, timestamps in nanoseconds), to 4 significant figures on
 * the others. The ends of the range are kept as they are.
 */
export function roundX(a: PlotAxis, x: number): number {
  if (x === a.lo || x === a.hi) return x;
  if (a.kind !== "linear") return round4(x);
  const step = 10 ** Math.floor(Math.log10((a.hi - a.lo) / 1e5));
  return Number.isFinite(step) && step > 0 ? Math.round(x / step) * step : x;
}
