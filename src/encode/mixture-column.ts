/**
 * Mixture columns: mode-specific normalization (Xu et al. 2019, CTGAN; Zhao et al. 2021,
 * CTAB-GAN) of continuous, integer, datetime, log-scaled and mixed columns, with an exact inverse.
 *
 * Fit: a Bayesian Gaussian mixture (Dirichlet-process prior) on the column's transformed values
 * t(x); modes with weight > `weightThreshold` are kept. Encode row i:
 *
 *   p_k ∝ w_k N(t | μ_k, σ_k²)            posterior over the kept modes
 *   k   = sampled from (p_k + 1e-6) / Σ (as the incumbents) with u = uniformAt(seed, column, row)
 *         — a pure function of the row, so chunking and threads never change the output —
 *         or argmax_k p_k
 *   α   = (t − μ_k) / (scale · σ_k)
 *
 * Exactness: α is taken from {@link exactAlpha}, so that the decoder's `α · s_k + μ_k` (through
 * exp for log columns) returns x bit for bit. A mode is *admissible* for a row when such an α
 * exists and |α| ≤ 0.99 (inside the GAN layout's tanh range). The sampled mode is used when
 * admissible, else the most probable admissible mode, else the most probable mode with an exact α
 * of any size; when no mode reproduces x (NaN, ±∞, x ≈ 0 next to far modes, −0, values ≤ the
 * log offset) the row is a *literal*: mode code −1 and α = x itself. Integer and datetime
 * columns never need literals: they decode as round(α · s + μ) plus an int64 residual column
 * (null where 0), exact for every int64 including values beyond 2^53.
 */
import { BayesianGaussianMixture } from "../core/bayesian-gaussian-mixture.js";
import { InvalidInputError } from "../core/errors.js";
import { encodeSample1dWasm, estep1dWasm } from "../core/kernels/estep-1d-wasm.js";
import { expF32 } from "../core/kernels/exp-fast.js";
import { uniformAt } from "../core/rng.js";
import {
  type Column,
  type ColumnType,
  isNull,
  nullCount,
  numericValue,
  type TimeUnit,
} from "../core/table.js";
import { mixtureBaseline } from "./baseline.js";
import type { ColumnCodec, DenseSpan, EncodeContext, OutputField } from "./codec.js";
import { exactAlpha, exactAlphaThrough } from "./exact.js";
import { FIT_LIMIT, isModal } from "./mixture-domain.js";
import {
  type MixtureColumnSpec,
  type MixtureFitTrace,
  MODE_LITERAL,
  MODE_NULL,
  type ModeChoice,
  type ModeSpec,
  type PruneRule,
} from "./spec.js";
import { type ColumnSummary, summaryFitData, transformFitData } from "./summary.js";

export { FIT_LIMIT } from "./mixture-domain.js";

/** α is kept inside ±CLIP for admissible modes, as the incumbents clip the GAN value. */
export const CLIP = 0.99;
/** Probability floor added to every mode before sampling (RDT, CTGAN). */
export const PROB_FLOOR = 1e-6;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

export type MixtureKind = MixtureColumnSpec["kind"];

/** Options of {@link fitMixtureColumn}. */
export interface MixtureFitOptions {
  /** Components of the mixture before pruning. Default 10. */
  maxModes?: number;
  /** Modes with weight ≤ this are dropped. Default 0.005. */
  weightThreshold?: number;
  /** The Dirichlet-process concentration γ₀. Default 0.001. */
  weightConcentrationPrior?: number;
  /** α's σ multiplier. Default 4. */
  scale?: number;
  /** Default `sample`. */
  modeChoice?: ModeChoice;
  /** Default `weight`; `weight-and-argmax` also drops modes that are no row's most likely mode. */
  prune?: PruneRule;
  /**
   * `weak` (default): near-zero mean precision and covariance priors, so narrow modes far from
   * the data mean are resolved (see the README's measurements); `sklearn`: scikit-learn's
   * defaults (data mean and covariance), as the incumbents use.
   */
  priors?: "weak" | "sklearn";
  /** VB iterations. Default 100. */
  maxIter?: number;
  /** Seed of the mixture fit (its initialisation is deterministic anyway). Default 0. */
  seed?: number;
  /** mixed: the modal values. */
  modalValues?: number[];
  /** log: the offset (default: 0 when every value is > 0, else min − 1). */
  offset?: number;
  /**
   * Whether a column fitted on a summary's sample gets its drift baseline now (default true).
   * False when refinement moves its modes next and computes the baseline then.
   */
  baselineOnSample?: boolean;
}

function isIntegerKind(kind: MixtureKind): boolean {
  return kind === "integer" || kind === "datetime";
}

/**
 * Fits a mixture column.
 * @throws InvalidInputError when the column is string-typed or every value is missing.
 */
export function fitMixtureColumn(
  col: Column,
  kind: MixtureKind,
  options: MixtureFitOptions = {},
): MixtureColumnSpec {
  if (col.type === "string") {
    throw new InvalidInputError(
      `column "${col.name}" holds text, so it cannot be fitted as ${kind}. Fit it as categorical (the default for text), or convert it to numbers first.`,
    );
  }
  const n = col.values.length;
  const minOf = () => {
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (isNull(col, i)) continue;
      const x = numericValue(col, i);
      if (Number.isFinite(x) && x < min) min = x;
    }
    return min;
  };
  const meta = {
    name: col.name,
    dtype: col.type,
    unit: col.type === "timestamp" ? col.unit : undefined,
    rows: n,
    nulls: nullCount(col),
  };
  const finite = () => {
    const raw = new Float64Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (isNull(col, i)) continue;
      const x = numericValue(col, i);
      if (Number.isFinite(x)) raw[m++] = x;
    }
    return { values: raw.subarray(0, m), weights: null };
  };
  return mixtureSpec(
    meta,
    kind,
    minOf,
    options,
    (modalValues, offset) => {
      const t = new Float64Array(n);
      const m = fittedValues(col, modalValues, offset, t);
      return { values: t.subarray(0, m), weights: null };
    },
    finite,
  ).spec;
}

/**
 * The values of `col` a mixture fit sees, written to `out` (length ≥ the column's): rows that are
 * not missing and not modal, through t = log(x − offset) when `offset` is given (log columns),
 * kept when t is finite and |t| <= FIT_LIMIT.
 * @returns how many values were written.
 */
export function fittedValues(
  col: Column,
  modalValues: readonly number[],
  offset: number | undefined,
  out: Float64Array,
): number {
  const n = col.values.length;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (isNull(col, i)) continue;
    const x = numericValue(col, i);
    if (modalValues.length > 0 && isModal(x, modalValues) >= 0) continue;
    const v = offset === undefined ? x : Math.log(x - offset);
    if (Number.isFinite(v) && Math.abs(v) <= FIT_LIMIT) out[m++] = v;
  }
  return m;
}

/**
 * What both ways of fitting a mixture column share: the checks, the modal values and log offset,
 * the fit of the transformed values `valuesOf` returns, and the spec; `heaviestOnly` as
 * {@link fitModes} returns it.
 */
function mixtureSpec(
  meta: {
    name: string;
    dtype: ColumnType;
    unit: TimeUnit | undefined;
    rows: number;
    nulls: number;
  },
  kind: MixtureKind,
  minOf: () => number,
  options: MixtureFitOptions,
  valuesOf: (
    modalValues: number[],
    offset: number | undefined,
  ) => { values: Float64Array; weights: Float64Array | null },
  finiteOf: () => { values: Float64Array; weights: Float64Array | null },
): { spec: MixtureColumnSpec; heaviestOnly: number | null } {
  const { name, rows, nulls } = meta;
  if (rows === 0)
    throw new InvalidInputError(`column "${name}" has no rows; fit on a non-empty table.`);
  if (nulls === rows) {
    throw new InvalidInputError(
      `column "${name}": all ${rows} values are missing, so there is nothing to fit. Leave the column out (--columns) or fill it.`,
    );
  }
  const modalValues = kind === "mixed" ? [...(options.modalValues ?? [0])] : [];
  let offset: number | undefined;
  if (kind === "log") {
    const min = minOf();
    offset = options.offset ?? (min > 0 ? 0 : min - 1);
    if (!Number.isFinite(offset)) offset = 0;
  }
  const scale = options.scale ?? 4;
  if (!(scale > 0 && Number.isFinite(scale)))
    throw new InvalidInputError(`scale must be a positive number, got ${scale}.`);
  const { values, weights } = valuesOf(modalValues, offset);
  const { modes, meanLogLikelihood, heaviestOnly, fit } = fitModes(values, weights, options);
  const spec: MixtureColumnSpec = {
    name,
    kind,
    dtype: meta.dtype,
    modes,
    scale,
    modeChoice: options.modeChoice ?? "sample",
    nullable: nulls > 0,
    rows,
    nullCount: nulls,
    meanLogLikelihood,
  };
  if (meta.unit !== undefined) spec.unit = meta.unit;
  if (offset !== undefined) spec.offset = offset;
  if (kind === "mixed") spec.modalValues = modalValues;
  const finite = finiteOf();
  const later = options.baselineOnSample === false && finite.weights === null;
  const baseline = later ? null : mixtureBaseline(spec, finite.values, finite.weights);
  if (baseline !== null) spec.baseline = baseline;
  if (fit !== null) spec.fit = fit;
  return { spec, heaviestOnly };
}

/**
 * Fits the mixture of a mixture column on its transformed values (optionally weighted, e.g. by
 * the counts of distinct values) and returns the kept modes, renormalised, with their mean
 * log-likelihood (weighted). With no values, one unit mode keeps the layout well formed.
 * When no mode weighs more than `weightThreshold`, the heaviest mode is kept alone (a column
 * needs at least one mode) and `heaviestOnly` is its fitted weight; otherwise it is null.
 */
export function fitModes(
  values: Float64Array,
  weights: Float64Array | null,
  options: MixtureFitOptions = {},
): {
  modes: ModeSpec[];
  meanLogLikelihood: number | null;
  heaviestOnly: number | null;
  /** How the VB fit went; null when there was nothing to fit. */
  fit: MixtureFitTrace | null;
} {
  const threshold = options.weightThreshold ?? 0.005;
  if (values.length === 0) {
    // Nothing continuous to fit (every value is modal or non-finite): such values decode through
    // their modal slots or as literals.
    return {
      modes: [{ weight: 1, mean: 0, std: 1 }],
      meanLogLikelihood: null,
      heaviestOnly: null,
      fit: null,
    };
  }
  if (values.length === 1) {
    values = Float64Array.of(values[0]!, values[0]!);
    if (weights !== null) weights = Float64Array.of(weights[0]!, weights[0]!);
  }
  const K = Math.min(options.maxModes ?? 10, values.length);
  let covariancePrior: number | null = null;
  let meanPrecisionPrior: number | null = null;
  if ((options.priors ?? "weak") === "weak") {
    let wsum = 0;
    let mean = 0;
    for (let i = 0; i < values.length; i++) {
      const w = weights === null ? 1 : weights[i]!;
      wsum += w;
      mean += w * values[i]!;
    }
    mean /= wsum;
    let v = 0;
    for (let i = 0; i < values.length; i++) {
      v += (weights === null ? 1 : weights[i]!) * (values[i]! - mean) ** 2;
    }
    v /= Math.max(1, wsum - 1);
    covariancePrior = 1e-12 * v + Number.MIN_VALUE;
    meanPrecisionPrior = 1e-9;
  }
  const bgm = new BayesianGaussianMixture({
    nComponents: K,
    weightConcentrationPrior: options.weightConcentrationPrior ?? 0.001,
    maxIter: options.maxIter ?? 100,
    randomState: options.seed ?? 0,
    covariancePrior,
    meanPrecisionPrior,
  }).fit(values, { sampleWeight: weights });
  let keep = Array.from(bgm.weights, (w) => w > threshold);
  if ((options.prune ?? "weight") === "weight-and-argmax") {
    const labels = bgm.predict(values);
    const used = new Uint8Array(K);
    for (const l of labels) used[l] = 1;
    const both = keep.map((k, c) => k && used[c] === 1);
    if (both.some((b) => b)) keep = both;
  }
  let heaviestOnly: number | null = null;
  if (!keep.some((k) => k)) {
    let top = 0;
    for (let c = 1; c < K; c++) if (bgm.weights[c]! > bgm.weights[top]!) top = c;
    keep = keep.map((_, c) => c === top);
    heaviestOnly = bgm.weights[top]!;
  }
  const modes: ModeSpec[] = [];
  let wsum = 0;
  for (let c = 0; c < K; c++) {
    if (!keep[c]) continue;
    modes.push({
      weight: bgm.weights[c]!,
      mean: bgm.means[c]!,
      std: Math.sqrt(bgm.covariances[c]!),
    });
    wsum += bgm.weights[c]!;
  }
  for (const md of modes) md.weight /= wsum;
  // The bound per fitted value: the quantity whose change the per-row convergence rule compares
  // with tol (the VB bound itself is summed over the values' weights).
  let total = 0;
  for (let i = 0; i < values.length; i++) total += weights === null ? 1 : weights[i]!;
  const fit: MixtureFitTrace = {
    iterations: bgm.nIter,
    converged: bgm.converged,
    tol: bgm.options.tol,
    bounds: bgm.lowerBounds.map((b) => b / total),
  };
  return {
    modes,
    meanLogLikelihood: modesLogLikelihood(modes, values, weights),
    heaviestOnly,
    fit,
  };
}

/**
 * (Weighted) mean log-likelihood of finite values under the modes' plain mixture density;
 * -Infinity when a value's log-density is below the smallest double (never NaN for finite values).
 */
export function modesLogLikelihood(
  modes: readonly ModeSpec[],
  values: Float64Array,
  weights: Float64Array | null = null,
): number {
  const K = modes.length;
  const a = Float64Array.from(modes, (m) => Math.log(m.weight) - Math.log(m.std) - HALF_LOG_2PI);
  const mu = Float64Array.from(modes, (m) => m.mean);
  const b = Float64Array.from(modes, (m) => 0.5 / (m.std * m.std));
  const out = new Float64Array(3 + 3 * K);
  // The E-step kernel's Σ w log p is exactly the mixture's log density summed (WebAssembly SIMD).
  estep1dWasm(values, 0, values.length, weights, K, a, mu, b, out, new Float64Array(7 * K + 3));
  const mean = out[1]! / out[0]!;
  // The kernel's log-sum-exp gives NaN for a row whose every term is -Infinity: a value so far
  // from every mode (e.g. 1e308 against modes of std 1e-3) that (x - mean)² / 2σ² overflows. Its
  // true log-density is below -1.8e308, so the mean is honestly -Infinity; the exact loop says so.
  if (!Number.isNaN(mean)) return mean;
  const std = Float64Array.from(modes, (m) => m.std);
  return logLikelihoodExact(values, weights, a, mu, std);
}

/**
 * {@link modesLogLikelihood} row by row with exact math: a row whose log-density is below the
 * smallest double counts as -Infinity (and so does the mean), never NaN. Finite values only.
 */
function logLikelihoodExact(
  values: Float64Array,
  weights: Float64Array | null,
  a: Float64Array,
  mu: Float64Array,
  std: Float64Array,
): number {
  const K = a.length;
  const t = new Float64Array(K);
  let sum = 0;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const w = weights === null ? 1 : weights[i]!;
    if (w === 0) continue;
    const x = values[i]!;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      // z = (x - mean) / σ, formed so that no step overflows unless z itself does.
      const d = x - mu[k]!;
      const z = Number.isFinite(d) ? d / std[k]! : 2 * ((0.5 * x - 0.5 * mu[k]!) / std[k]!);
      t[k] = a[k]! - 0.5 * z * z;
      if (t[k]! > max) max = t[k]!;
    }
    total += w;
    if (max === Number.NEGATIVE_INFINITY) {
      sum = Number.NEGATIVE_INFINITY;
      continue;
    }
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(t[k]! - max);
    sum += w * (max + Math.log(s));
  }
  return sum / total;
}

/** Per-spec constants of the encode and decode loops. */
interface Prepared {
  K: number;
  mu: Float64Array;
  s: Float64Array;
  logConst: Float64Array;
  halfPrec: Float64Array;
  modal: number[];
  g: ((t: number) => number) | null;
  offset: number;
  integer: boolean;
}

function prepare(spec: MixtureColumnSpec): Prepared {
  const K = spec.modes.length;
  const mu = new Float64Array(K);
  const s = new Float64Array(K);
  const logConst = new Float64Array(K);
  const halfPrec = new Float64Array(K);
  spec.modes.forEach((m, k) => {
    mu[k] = m.mean;
    s[k] = spec.scale * m.std;
    logConst[k] = Math.log(m.weight) - Math.log(m.std);
    halfPrec[k] = 0.5 / (m.std * m.std);
  });
  const offset = spec.offset ?? 0;
  const g = spec.kind === "log" ? (t: number) => Math.exp(t) + offset : null;
  return {
    K,
    mu,
    s,
    logConst,
    halfPrec,
    modal: spec.modalValues ?? [],
    g,
    offset,
    integer: isIntegerKind(spec.kind),
  };
}

/** Decoded value of α under mode k (before integer rounding and residual). */
function decodeAlpha(p: Prepared, k: number, alpha: number): number {
  const t = alpha * p.s[k]! + p.mu[k]!;
  return p.g === null ? t : p.g(t);
}

/** Compact arrays of a mixture column. */
interface CompactArrays {
  alpha: Float64Array;
  mode: Int32Array;
  /** float kinds: x − decode(α) where not 0; integer kinds: the int64 residual. */
  residual: Float64Array | BigInt64Array;
  /** 1 where the residual is 0 (stored as null). */
  residualNulls: Uint8Array;
  /**
   * For literal rows: the mode the dense layout uses (−1 when x has no posterior); null when no
   * row is literal (all −1).
   */
  fallback: Int32Array | null;
}

/** `ctx.outputs[j]` when it is a column of `type` with exactly `n` rows, else null. */
function givenOutput<T extends Column["type"]>(
  ctx: EncodeContext,
  j: number,
  type: T,
  n: number,
): Extract<Column, { type: T }> | null {
  const c = ctx.outputs?.[j];
  if (c === null || c === undefined || c.type !== type || c.values.length !== n) return null;
  return c as Extract<Column, { type: T }>;
}

function encodeArrays(spec: MixtureColumnSpec, col: Column, ctx: EncodeContext): CompactArrays {
  const p = prepare(spec);
  const { K } = p;
  const n = col.values.length;
  const alpha = givenOutput(ctx, 0, "float64", n)?.values ?? new Float64Array(n);
  const mode = givenOutput(ctx, 1, "int32", n)?.values ?? new Int32Array(n);
  let fallback: Int32Array | null = null;
  const bigDtype = col.type === "int64" || col.type === "timestamp";
  const given = givenOutput(ctx, 2, p.integer ? "int64" : "float64", n);
  const residual = given?.values ?? (p.integer ? new BigInt64Array(n) : new Float64Array(n));
  const residualNulls = (given?.nulls?.length === n ? given.nulls : new Uint8Array(n)).fill(1);
  const prob = new Float64Array(K);
  if (col.type === "string") numericValue(col, 0); // throws the typed-column error
  // The common case at scale runs in WebAssembly with the same result bit for bit; rows it marks
  // with mode −1 (non-finite, no exact alpha or residual) take the loop below like every row
  // otherwise, and so do null rows. With neither, the loop is skipped.
  const flagged =
    ctx.kernel !== "js" &&
    col.type === "float64" &&
    spec.kind === "continuous" &&
    spec.modeChoice === "sample" &&
    p.modal.length === 0 &&
    p.g === null
      ? encodeSample1dWasm(
          col.values,
          0,
          n,
          K,
          p.logConst,
          p.mu,
          p.halfPrec,
          p.s,
          ctx.seed,
          ctx.columnIndex,
          ctx.firstRow,
          { alpha, mode, residual: residual as Float64Array, residualNulls },
        )
      : -1;
  const fast = flagged >= 0;
  // Given arrays may hold an earlier chunk: the loop below leaves some slots as they are (alpha of
  // modal rows, residuals of rows without one), which must read 0 as in fresh arrays.
  if (!fast && ctx.outputs !== undefined) {
    alpha.fill(0);
    if (residual instanceof BigInt64Array) residual.fill(0n);
    else residual.fill(0);
  }
  if (fast && flagged === 0 && col.type !== "string" && col.nulls === null)
    return { alpha, mode, residual, residualNulls, fallback };
  for (let i = 0; i < n; i++) {
    if (isNull(col, i)) {
      mode[i] = MODE_NULL;
      alpha[i] = 0;
      if (fast) {
        residual[i] = 0;
        residualNulls[i] = 1;
      }
      continue;
    }
    if (fast && mode[i]! >= 0) continue;
    const x = numericValue(col, i);
    if (p.modal.length > 0) {
      const j = isModal(x, p.modal);
      if (j >= 0) {
        mode[i] = K + j;
        continue;
      }
    }
    const t = p.g === null ? x : Math.log(x - p.offset);
    if (!Number.isFinite(t)) {
      if (p.integer) {
        throw new InvalidInputError(
          `column "${spec.name}": row ${ctx.firstRow + i} is ${x}, which an integer column cannot hold.`,
        );
      }
      mode[i] = MODE_LITERAL;
      alpha[i] = x;
      continue;
    }
    // Posterior over the kept modes.
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) {
      const d = t - p.mu[k]!;
      const lp = p.logConst[k]! - p.halfPrec[k]! * d * d;
      prob[k] = lp;
      if (lp > max) max = lp;
    }
    // e_k = exp(lp_k − max) and their sum in float32 (relative error about 2e-7, far below the
    // 1e-6 floor of every mode's probability), as the WebAssembly kernel computes them.
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = expF32(Math.fround(prob[k]! - max));
      prob[k] = e;
      sum = Math.fround(sum + e);
    }
    let k0 = 0;
    if (spec.modeChoice === "sample") {
      // The first k with u (1 + K floor) < Σ_{j<=k} (e_j / sum + floor), multiplied through by
      // sum so that no division is needed: threshold u (1 + K floor) · sum, steps e_j + floor · sum.
      const threshold =
        uniformAt(ctx.seed, ctx.columnIndex, ctx.firstRow + i) * (1 + K * PROB_FLOOR) * sum;
      const floor = sum * PROB_FLOOR;
      let acc = 0;
      k0 = K - 1;
      for (let k = 0; k < K; k++) {
        acc += prob[k]! + floor;
        if (threshold < acc) {
          k0 = k;
          break;
        }
      }
    } else {
      for (let k = 1; k < K; k++) if (prob[k]! > prob[k0]!) k0 = k;
    }
    // Admissible: |α| <= CLIP, inside the GAN layout's tanh range. The sampled mode when it is,
    // else the most probable admissible mode, else the sampled mode all the same.
    let k = k0;
    if (!(Math.abs(t - p.mu[k0]!) <= CLIP * p.s[k0]!)) {
      let best = -1;
      for (let c = 0; c < K; c++) {
        if (Math.abs(t - p.mu[c]!) <= CLIP * p.s[c]! && (best < 0 || prob[c]! > prob[best]!)) {
          best = c;
        }
      }
      if (best >= 0) k = best;
    }
    mode[i] = k;
    if (p.integer) {
      const a = (t - p.mu[k]!) / p.s[k]!;
      alpha[i] = a;
      if (!bigDtype && (!Number.isInteger(x) || Object.is(x, -0))) {
        // A non-integral or −0 value in an integer column cannot be rebuilt from a rounded one.
        mode[i] = MODE_LITERAL;
        alpha[i] = x;
        fallback ??= new Int32Array(n).fill(-1);
        fallback[i] = k;
        continue;
      }
      const approx = Math.round(decodeAlpha(p, k, a));
      const r = bigDtype ? (col.values[i] as bigint) - BigInt(approx) : BigInt(x - approx);
      if (r !== 0n) {
        (residual as BigInt64Array)[i] = r;
        residualNulls[i] = 0;
      }
      continue;
    }
    // Float kinds: an α that decodes to x bit for bit; else the plain α plus a residual
    // r = x − decode(α), exact when the two are close (Sterbenz); else a literal.
    let a =
      p.g === null
        ? exactAlpha(x, p.mu[k]!, p.s[k]!)
        : exactAlphaThrough(x, t, p.mu[k]!, p.s[k]!, p.g);
    if (!Number.isNaN(a)) {
      alpha[i] = a;
      continue;
    }
    a = (t - p.mu[k]!) / p.s[k]!;
    const d = decodeAlpha(p, k, a);
    const r = x - d;
    if (Number.isFinite(a) && r !== 0 && Object.is(d + r, x)) {
      alpha[i] = a;
      (residual as Float64Array)[i] = r;
      residualNulls[i] = 0;
    } else {
      mode[i] = MODE_LITERAL;
      alpha[i] = x;
      fallback ??= new Int32Array(n).fill(-1);
      fallback[i] = k;
    }
  }
  return { alpha, mode, residual, residualNulls, fallback };
}

/** The decoded column of `spec`: `into` when it fits (zeroed, `n` rows, a null mask), else new. */
function outputColumn(spec: MixtureColumnSpec, n: number, into: Column | null = null): Column {
  if (
    into !== null &&
    into.type === spec.dtype &&
    into.type !== "string" &&
    into.values.length === n &&
    into.nulls?.length === n
  ) {
    return into.type === "timestamp"
      ? { ...into, name: spec.name, unit: spec.unit ?? "ms" }
      : { ...into, name: spec.name };
  }
  const nulls = new Uint8Array(n);
  switch (spec.dtype) {
    case "int64":
      return { name: spec.name, type: "int64", values: new BigInt64Array(n), nulls };
    case "timestamp":
      return {
        name: spec.name,
        type: "timestamp",
        unit: spec.unit ?? "ms",
        values: new BigInt64Array(n),
        nulls,
      };
    case "int32":
      return { name: spec.name, type: "int32", values: new Int32Array(n), nulls };
    case "float32":
      return { name: spec.name, type: "float32", values: new Float32Array(n), nulls };
    case "bool":
      return { name: spec.name, type: "bool", values: new Uint8Array(n), nulls };
    default:
      return { name: spec.name, type: "float64", values: new Float64Array(n), nulls };
  }
}

/** Writes decoded value x (and integer residual) into row i of out. */
function store(out: Column, i: number, x: number, residual: bigint): void {
  switch (out.type) {
    case "int64":
    case "timestamp":
      out.values[i] = BigInt(x) + residual;
      break;
    case "string":
      break;
    default:
      out.values[i] = residual === 0n ? x : x + Number(residual);
  }
}

function finishNulls(out: Column): Column {
  if (out.type !== "string" && out.nulls !== null && !out.nulls.includes(1)) out.nulls = null;
  return out;
}

function softmaxOutputs(spec: MixtureColumnSpec): string[] {
  const o = spec.modes.map((_, k) => `${spec.name}.mode${k}`);
  for (const [j, v] of (spec.modalValues ?? []).entries())
    o.push(`${spec.name}.modal${j}=${String(v)}`);
  if (spec.nullable) o.push(`${spec.name}.null`);
  return o;
}

/** The codec of mixture columns (continuous, integer, datetime, log, mixed). */
export const mixtureCodec: ColumnCodec<MixtureColumnSpec> = {
  compactFields(spec): OutputField[] {
    const f: OutputField[] = [
      { name: `${spec.name}.alpha`, type: "float64" },
      { name: `${spec.name}.mode`, type: "int32" },
    ];
    f.push({ name: `${spec.name}.residual`, type: isIntegerKind(spec.kind) ? "int64" : "float64" });
    return f;
  },

  encodeCompact(spec, col, ctx): Column[] {
    const a = encodeArrays(spec, col, ctx);
    const out: Column[] = [
      { name: `${spec.name}.alpha`, type: "float64", values: a.alpha, nulls: null },
      { name: `${spec.name}.mode`, type: "int32", values: a.mode, nulls: null },
    ];
    const residual: Column =
      a.residual instanceof BigInt64Array
        ? {
            name: `${spec.name}.residual`,
            type: "int64",
            values: a.residual,
            nulls: a.residualNulls,
          }
        : {
            name: `${spec.name}.residual`,
            type: "float64",
            values: a.residual,
            nulls: a.residualNulls,
          };
    out.push(finishNulls(residual));
    return out;
  },

  decodeCompact(spec, cols, into = null, firstRow = 0): Column {
    const p = prepare(spec);
    const alphaCol = cols[0];
    const modeCol = cols[1];
    if (
      alphaCol?.type !== "float64" ||
      modeCol === undefined ||
      (modeCol.type !== "int32" && modeCol.type !== "int64")
    ) {
      throw new InvalidInputError(
        `column "${spec.name}": the compact encoding needs "${spec.name}.alpha" (float64) and "${spec.name}.mode" (integer) columns.`,
      );
    }
    const resCol = cols[2];
    const n = alphaCol.values.length;
    const out = outputColumn(spec, n, into);
    const nulls = (out as { nulls: Uint8Array }).nulls;
    const decodeRow = (i: number): void => {
      const m = Number(modeCol.values[i]!);
      const a = alphaCol.values[i]!;
      if (m === MODE_NULL || (modeCol.nulls !== null && modeCol.nulls[i] === 1)) {
        nulls[i] = 1;
        return;
      }
      if (m === MODE_LITERAL) {
        store(out, i, a, 0n);
        return;
      }
      if (m >= p.K && m < p.K + p.modal.length) {
        store(out, i, p.modal[m - p.K]!, 0n);
        return;
      }
      if (!(m >= 0 && m < p.K)) {
        throw new InvalidInputError(
          `column "${spec.name}.mode": row ${firstRow + i} is ${m}, but the model has ${p.K} modes and ${p.modal.length} modal values (valid codes: −2 null, −1 literal, 0…${p.K + p.modal.length - 1}). Was it encoded with another model?`,
        );
      }
      let x = decodeAlpha(p, m, a);
      let r = 0n;
      const hasResidual = resCol !== undefined && !isNull(resCol, i);
      if (p.integer) {
        x = Math.round(x);
        if (hasResidual && resCol.type === "int64") r = resCol.values[i]!;
      } else if (hasResidual && resCol.type === "float64") {
        x += resCol.values[i]!;
      }
      store(out, i, x, r);
    };
    if (
      out.type === "float64" &&
      p.g === null &&
      !p.integer &&
      modeCol.type === "int32" &&
      (resCol === undefined || resCol.type === "float64")
    ) {
      // The common case at scale (float columns, no transform): rows in a kept mode decode in a
      // tight loop, the same arithmetic as decodeRow; every other row takes decodeRow.
      const ov = out.values;
      const av = alphaCol.values;
      const mv = modeCol.values;
      const mn = modeCol.nulls;
      const rv = resCol?.values as Float64Array | undefined;
      const rn = resCol?.nulls ?? null;
      const { K, s: sv, mu } = p;
      for (let i = 0; i < n; i++) {
        const m = mv[i]!;
        if (m >= 0 && m < K && (mn === null || mn[i] === 0)) {
          let x = av[i]! * sv[m]! + mu[m]!;
          if (rv !== undefined && (rn === null || rn[i] === 0)) x += rv[i]!;
          ov[i] = x;
        } else {
          decodeRow(i);
        }
      }
    } else {
      for (let i = 0; i < n; i++) decodeRow(i);
    }
    return finishNulls(out);
  },

  denseSpans(spec): DenseSpan[] {
    return [
      { column: spec.name, activation: "tanh", outputs: [`${spec.name}.value`] },
      { column: spec.name, activation: "softmax", outputs: softmaxOutputs(spec) },
    ];
  },

  encodeDense(spec, col, ctx): Float32Array[] {
    const a = encodeArrays(spec, col, ctx);
    const n = col.values.length;
    const K = spec.modes.length;
    const M = spec.modalValues?.length ?? 0;
    const value = new Float32Array(n);
    const slots = softmaxOutputs(spec).map(() => new Float32Array(n));
    const p = prepare(spec);
    for (let i = 0; i < n; i++) {
      const m = a.mode[i]!;
      if (m === MODE_NULL) {
        if (!spec.nullable) {
          throw new InvalidInputError(
            `column "${spec.name}": row ${ctx.firstRow + i} is missing, but the model was fitted without missing values, so the dense layout has no null slot. Refit on data that includes missing values, or use --layout compact.`,
          );
        }
        slots[K + M]![i] = 1;
      } else if (m === MODE_LITERAL) {
        // Not representable in the GAN layout: nearest mode, α clipped (documented loss).
        const k = a.fallback === null ? 0 : Math.max(a.fallback[i]!, 0);
        const t = p.g === null ? a.alpha[i]! : Math.log(a.alpha[i]! - p.offset);
        const al = Number.isFinite(t) ? (t - p.mu[k]!) / p.s[k]! : 0;
        value[i] = Math.max(-CLIP, Math.min(CLIP, al));
        slots[k]![i] = 1;
      } else {
        value[i] = m >= K ? 0 : Math.max(-CLIP, Math.min(CLIP, a.alpha[i]!));
        slots[m]![i] = 1;
      }
    }
    return [value, ...slots];
  },

  decodeDense(spec, outputs): Column {
    const p = prepare(spec);
    const value = outputs[0]!;
    const slots = outputs.slice(1);
    const n = value.length;
    const out = outputColumn(spec, n);
    const nulls = (out as { nulls: Uint8Array }).nulls;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < slots.length; j++) if (slots[j]![i]! > slots[best]![i]!) best = j;
      if (best >= p.K + p.modal.length) {
        nulls[i] = 1;
        continue;
      }
      if (best >= p.K) {
        store(out, i, p.modal[best - p.K]!, 0n);
        continue;
      }
      // CTGAN clips the generator's value to [−1, 1] before decoding.
      const al = Math.max(-1, Math.min(1, value[i]!));
      let x = decodeAlpha(p, best, al);
      if (p.integer) x = Math.round(x);
      store(out, i, x, 0n);
    }
    return finishNulls(out);
  },
};

/**
 * Fits a mixture column from a one-pass summary ({@link ColumnSummary}) instead of its rows: the
 * exact distinct-value counts as sample weights when the column has few distinct values (the same
 * fit as on every row), else the summary's uniform sample.
 * @throws InvalidInputError when every value was missing.
 */
export function fitMixtureFromSummary(
  summary: ColumnSummary,
  kind: MixtureKind,
  dtype: ColumnType,
  unit: TimeUnit | undefined,
  options: MixtureFitOptions = {},
): { spec: MixtureColumnSpec; fittedOn: "counts" | "sample"; heaviestOnly: number | null } {
  const meta = { name: summary.name, dtype, unit, rows: summary.rows, nulls: summary.nulls };
  let data: ReturnType<typeof summaryFitData> | null = null;
  const fitData = () => {
    data ??= summaryFitData(summary);
    return data;
  };
  const { spec, heaviestOnly } = mixtureSpec(
    meta,
    kind,
    () => summary.min,
    options,
    (modalValues, offset) => transformFitData(fitData(), kind, modalValues, offset, FIT_LIMIT),
    fitData,
  );
  return { spec, fittedOn: fitData().exact ? "counts" : "sample", heaviestOnly };
}
