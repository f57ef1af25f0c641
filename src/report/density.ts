/**
 * A mixture column's density as plotted: the mixture and each kept mode on the column's axis
 * (per unit of u, see `axis.ts`), its quartiles, and the axis chosen for it.
 */
import { normalCdf } from "../core/special.js";
import type { MixtureColumnSpec, ModeSpec } from "../encode/spec.js";
import { chooseAxis, dxdu, fromU, type PlotAxis, round4, roundX, toU } from "./axis.js";

/** Points of the mixture's plotted curve. */
export const CURVE_POINTS = 256;
/** Points of each mode's curve (smooth bumps: half as many suffice, and they are many). */
export const MODE_CURVE_POINTS = 128;

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** The mixture's density at t (mode k alone when `only` is given). */
export function mixturePdf(modes: readonly ModeSpec[], t: number, only = -1): number {
  let f = 0;
  for (let k = 0; k < modes.length; k++) {
    if (only >= 0 && k !== only) continue;
    const m = modes[k]!;
    const z = (t - m.mean) / m.std;
    f += (m.weight * INV_SQRT_2PI * Math.exp(-0.5 * z * z)) / m.std;
  }
  return f;
}

/** The mixture's distribution function at t. */
export function mixtureCdf(modes: readonly ModeSpec[], t: number): number {
  let F = 0;
  for (const m of modes) F += m.weight * normalCdf((t - m.mean) / m.std);
  return F;
}

/** The mixture's q-quantile, by bisection between the modes' ±40σ. */
export function mixtureQuantile(modes: readonly ModeSpec[], q: number): number {
  let lo = Math.min(...modes.map((m) => m.mean - 40 * m.std));
  let hi = Math.max(...modes.map((m) => m.mean + 40 * m.std));
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, Math.abs(lo) + Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (mixtureCdf(modes, mid) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The plotted range of a mixture column in t (the modes' space): the fit data's finite range
 * from the baseline (through ln(x − offset) for log columns), else the modes' μ ± 4σ; and the
 * axis for it.
 */
export function mixtureAxis(spec: MixtureColumnSpec): PlotAxis {
  const modes = spec.modes;
  let lo = Math.min(...modes.map((m) => m.mean - 4 * m.std));
  let hi = Math.max(...modes.map((m) => m.mean + 4 * m.std));
  const b = spec.baseline;
  if (b !== undefined) {
    if (spec.kind === "log") {
      const off = spec.offset ?? 0;
      const l = Math.log(b.min - off);
      const h = Math.log(b.max - off);
      if (Number.isFinite(l) && Number.isFinite(h)) [lo, hi] = [l, h];
    } else [lo, hi] = [b.min, b.max];
  }
  return chooseAxis(lo, hi, mixtureQuantile(modes, 0.25), mixtureQuantile(modes, 0.75));
}

/** One point of a plotted curve; `mode` is the mode's index (absent for the mixture). */
export interface CurvePoint {
  x: number;
  y: number;
  mode?: number;
}

/**
 * The mixture's density (mode −1: all modes) on `axis`, at `points` points equally spaced in u
 * ({@link CURVE_POINTS} for the mixture, {@link MODE_CURVE_POINTS} for a mode), per unit of u and
 * times `share` (the share of plotted values the modes describe).
 */
export function densityCurve(
  modes: readonly ModeSpec[],
  axis: PlotAxis,
  mode = -1,
  share = 1,
  points = mode < 0 ? CURVE_POINTS : MODE_CURVE_POINTS,
): CurvePoint[] {
  const u0 = toU(axis, axis.lo);
  const u1 = toU(axis, axis.hi);
  const out: CurvePoint[] = [];
  for (let i = 0; i < points; i++) {
    const u = u0 + ((u1 - u0) * i) / (points - 1);
    const x = i === 0 ? axis.lo : i === points - 1 ? axis.hi : fromU(axis, u);
    const y = share * mixturePdf(modes, x, mode) * dxdu(axis, x);
    out.push(
      mode >= 0 ? { x: roundX(axis, x), y: round4(y), mode } : { x: roundX(axis, x), y: round4(y) },
    );
  }
  return out;
}
