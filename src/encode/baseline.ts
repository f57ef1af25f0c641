/**
 * The drift baseline of a mixture column ({@link MixtureBaseline}) and the per-value probe that
 * both the baseline and `modenorm drift` measure values with, so the two use the same arithmetic.
 *
 * The probe gives a value's slot (argmax mode, modal value or literal), its log-density ℓ under
 * the kept modes (floored at {@link LOG_DENSITY_FLOOR}), and its bin of F(t), the mixture's
 * distribution function, among {@link CDF_BINS} equal bins. The baseline is computed from the fit
 * data, in their order (sorted values for a summary, so it is the same however the rows were split
 * or threaded): it costs the fit one pass over those data and a sort of their log-densities.
 */
import { normalCdf } from "../core/special.js";
import { fittedValue, isModal } from "./mixture-domain.js";
import type { MixtureBaseline, MixtureColumnSpec } from "./spec.js";

/** Equal bins of F(t) in the baseline's CDF histogram. */
export const CDF_BINS = 100;
/** The baseline's low-tail cut is the largest ℓ with at most this share of values below it. */
export const LOW_TAIL = 0.01;
/** Most unweighted rows a baseline is computed from (more are thinned evenly). */
export const BASELINE_ROWS = 1 << 20;

/** Log-densities below this count as this (a value absurdly far from every mode). */
export const LOG_DENSITY_FLOOR = -1e6;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Measures values of one mixture column; the results of the last {@link at} are its fields. */
export class ModeProbe {
  /** Slots: K kept modes, then M modal values, then the literal slot. */
  readonly slots: number;
  readonly modes: number;
  /** ℓ and CDF bin of the last value measured (meaningful when its slot is a mode's). */
  logDensity = 0;
  cdfBin = 0;
  private readonly logW: Float64Array;
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  private readonly half: Float64Array;
  private readonly weight: Float64Array;
  private readonly modal: readonly number[];
  private readonly offset: number | undefined;

  constructor(spec: MixtureColumnSpec) {
    const K = spec.modes.length;
    this.modes = K;
    this.modal = spec.kind === "mixed" ? (spec.modalValues ?? []) : [];
    this.slots = K + this.modal.length + 1;
    this.offset = spec.kind === "log" ? spec.offset : undefined;
    this.weight = Float64Array.from(spec.modes, (m) => m.weight);
    this.mean = Float64Array.from(spec.modes, (m) => m.mean);
    this.std = Float64Array.from(spec.modes, (m) => m.std);
    this.logW = Float64Array.from(
      spec.modes,
      (m) => Math.log(m.weight) - Math.log(m.std) - HALF_LOG_2PI,
    );
    this.half = Float64Array.from(spec.modes, (m) => 0.5 / (m.std * m.std));
  }

  /** The slot of finite value x; for a mode's slot also sets `logDensity` and `cdfBin`. */
  at(x: number): number {
    const K = this.modes;
    if (this.modal.length > 0) {
      const j = isModal(x, this.modal);
      if (j >= 0) return K + j;
    }
    const t = fittedValue(x, this.offset);
    if (Number.isNaN(t)) return this.slots - 1;
    let best = 0;
    let top = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      const d = t - this.mean[k]!;
      const term = this.logW[k]! - this.half[k]! * d * d;
      if (term > top) {
        top = term;
        best = k;
      }
    }
    let sum = 0;
    let cdf = 0;
    for (let k = 0; k < K; k++) {
      const d = t - this.mean[k]!;
      const e = this.logW[k]! - this.half[k]! * d * d - top;
      // Terms below e^-40 (relative) change neither the sum nor the CDF bin in double precision
      // that matters here; modes more than 8σ away contribute 0 or their whole weight to F(t).
      if (e > -40) sum += Math.exp(e);
      const z = d / this.std[k]!;
      cdf += z <= -8 ? 0 : z >= 8 ? this.weight[k]! : this.weight[k]! * normalCdf(z);
    }
    const l = top + Math.log(sum);
    // top is -Infinity only when (t − μ)² overflowed for every mode.
    this.logDensity = l > LOG_DENSITY_FLOOR ? l : LOG_DENSITY_FLOOR;
    const bin = Math.floor(cdf * CDF_BINS);
    this.cdfBin = bin < 0 ? 0 : bin >= CDF_BINS ? CDF_BINS - 1 : bin;
    return best;
  }
}

/** Probes of mixture columns, made once per spec (they precompute per-mode terms). */
const probes = new WeakMap<MixtureColumnSpec, ModeProbe>();

/** The probe of a spec, shared by every caller that measures values of that column. */
export function probeOf(spec: MixtureColumnSpec): ModeProbe {
  let p = probes.get(spec);
  if (p === undefined) {
    p = new ModeProbe(spec);
    probes.set(spec, p);
  }
  return p;
}

/**
 * The baseline of a fitted mixture column from its fit data: finite values (before the log
 * transform, modal values included) with their counts, or unweighted rows (`weights` null).
 * Null when there is no finite value or none in the modes' domain.
 */
export function mixtureBaseline(
  spec: MixtureColumnSpec,
  all: Float64Array,
  weights: Float64Array | null,
): MixtureBaseline | null {
  // Unweighted rows (a sample, or a table in memory) beyond 2^20: every k-th of them, in their
  // order (sorted for a summary's sample, so a systematic sample of the values).
  const stride = weights === null ? Math.ceil(all.length / BASELINE_ROWS) : 1;
  let values = all;
  if (stride > 1) {
    values = new Float64Array(Math.ceil(all.length / stride));
    for (let i = 0, j = 0; i < all.length; i += stride) values[j++] = all[i]!;
  }
  const probe = new ModeProbe(spec);
  const n = values.length;
  const occupancy = new Float64Array(probe.slots);
  const cdf = new Float64Array(CDF_BINS);
  const ell = new Float64Array(n).fill(Number.NaN);
  let size = 0;
  let fitted = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) continue;
    const w = weights === null ? 1 : weights[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
    size += w;
    const slot = probe.at(x);
    occupancy[slot]! += w;
    if (slot < probe.modes) {
      fitted += w;
      ell[i] = probe.logDensity;
      cdf[probe.cdfBin]! += w;
    }
  }
  if (fitted === 0) return null;
  const lowCut = lowTailCut(ell, weights, fitted);
  let below = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const l = ell[i]!;
    if (Number.isNaN(l)) continue;
    const w = weights === null ? 1 : weights[i]!;
    if (l < lowCut) below += w;
    sum += w * (l < lowCut ? lowCut : l);
  }
  const clippedMean = sum / fitted;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const l = ell[i]!;
    if (Number.isNaN(l)) continue;
    const d = (l < lowCut ? lowCut : l) - clippedMean;
    ss += (weights === null ? 1 : weights[i]!) * d * d;
  }
  return {
    size,
    min,
    max,
    occupancy: Array.from(occupancy, (c) => c / size),
    fitted,
    lowCut,
    lowShare: below / fitted,
    clippedMean,
    clippedStd: Math.sqrt(ss / fitted),
    cdf: Array.from(cdf, (c) => c / fitted),
  };
}

/**
 * The largest log-density c among the values with weight below c at most LOW_TAIL of `total`
 * (the smallest ℓ when even that has more below it, which cannot happen: nothing is below it).
 */
function lowTailCut(ell: Float64Array, weights: Float64Array | null, total: number): number {
  let m = 0;
  for (let i = 0; i < ell.length; i++) if (!Number.isNaN(ell[i]!)) m++;
  const sorted = new Float64Array(m);
  for (let i = 0, j = 0; i < ell.length; i++) if (!Number.isNaN(ell[i]!)) sorted[j++] = ell[i]!;
  sorted.sort();
  const shareBelow = (c: number) => {
    let s = 0;
    for (let i = 0; i < ell.length; i++) {
      if (ell[i]! < c) s += weights === null ? 1 : weights[i]!;
    }
    return s / total;
  };
  // Binary search over positions: shareBelow(sorted[p]) is non-decreasing in p.
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (shareBelow(sorted[mid]!) <= LOW_TAIL) lo = mid;
    else hi = mid - 1;
  }
  return sorted[lo]!;
}
