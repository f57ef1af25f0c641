/**
 * The fitting loop, written once for both models and every place the data can live:
 *
 *   state = init(stats of initial responsibilities)
 *   repeat
 *     stats = summarize(terms(state))          // E-step: in-process, threads, distributed
 *     state = mStep(stats)                     // EM or VB: tiny, the same everywhere
 *   until |Δ bound| < tol
 *
 * The loop is a generator of E-step requests ({@link FitSteps}): it yields what it needs
 * summarised and is resumed with the statistics. {@link runSteps} drives it synchronously for rows
 * in this thread's memory; {@link runStepsAsync} drives it against a {@link FitSource}, whose
 * `summarize` is a promise (worker threads, a job queue). Both run the same steps, so a fit does
 * not depend on where its rows live. The models plug in through {@link ModelHooks}.
 */
import type { Matrix } from "./matrix.js";
import type { ConvergenceCriterion } from "./options.js";
import {
  createStats,
  type MixtureStats,
  type MomentKind,
  STATS_WEIGHT,
  statsOffsetQ,
} from "./stats.js";
import { BLOCK_ROWS, type ComponentTerms, summarize } from "./terms.js";

/** What the loop asks of the rows: one E-step over every row under `terms`. */
export interface SummarizeRequest {
  readonly terms: ComponentTerms;
  readonly moment: MomentKind;
}

/**
 * A fit, or part of one, as a sequence of E-step requests: each `yield` hands a request to the
 * driver, which resumes the generator with the statistics; the return value is the result.
 */
export type FitSteps<T> = Generator<SummarizeRequest, T, MixtureStats>;

/** An E-step run on the calling thread. */
export type SummarizeSync = (terms: ComponentTerms, moment: MomentKind) => MixtureStats;

/** Where the rows of a fit live. */
export interface FitSource {
  readonly nFeatures: number;
  /** Rows used to initialise (for an in-memory source: all of them). */
  initSample(): { X: Matrix; sampleWeight: Float64Array | null };
  /**
   * The E-step over every row, folded in block order, with moments about the terms' means
   * (see {@link MixtureStats}). The answer must not depend on how the source shares out its
   * blocks: statistics are folded in global block order ({@link foldStats}).
   */
  summarize(terms: ComponentTerms, moment: MomentKind): Promise<MixtureStats>;
}

/** Runs `steps` to its end, answering each request with `summarize` on this thread. */
export function runSteps<T>(steps: FitSteps<T>, summarizeRows: SummarizeSync): T {
  let r = steps.next();
  while (r.done !== true) r = steps.next(summarizeRows(r.value.terms, r.value.moment));
  return r.value;
}

/** Runs `steps` to its end, awaiting each request's statistics from `source`. */
export async function runStepsAsync<T>(steps: FitSteps<T>, source: FitSource): Promise<T> {
  let r = steps.next();
  while (r.done !== true) r = steps.next(await source.summarize(r.value.terms, r.value.moment));
  return r.value;
}

/** The E-step over an in-memory matrix in fixed blocks of `blockRows` rows, on this thread. */
export function matrixSummarize(
  X: Matrix,
  sampleWeight: Float64Array | null,
  blockRows = BLOCK_ROWS,
): SummarizeSync {
  return (terms, moment) => summarize(X, sampleWeight, terms, moment, blockRows);
}

/**
 * A source over an in-memory matrix, summarised in fixed blocks of `blockRows` rows (default
 * {@link BLOCK_ROWS}) on the calling thread.
 */
export function matrixSource(
  X: Matrix,
  sampleWeight: Float64Array | null,
  blockRows = BLOCK_ROWS,
): FitSource {
  const run = matrixSummarize(X, sampleWeight, blockRows);
  return {
    nFeatures: X.cols,
    initSample: () => ({ X, sampleWeight }),
    summarize: async (terms, moment) => run(terms, moment),
  };
}

/**
 * Weighted count, mean and second moments of every row about `shift` (one component with
 * responsibility 1), through the driver's own E-step, so it works wherever the rows live.
 */
export function* dataMoments(d: number, shift: Float64Array): FitSteps<MixtureStats> {
  const terms: ComponentTerms = {
    nComponents: 1,
    nFeatures: d,
    covarianceType: "full",
    logConst: new Float64Array(1),
    // The single component's "mean" is the shift the moments are taken about.
    means: Float64Array.from(shift),
    // A zero precision factor makes every row's log density 0, so r = 1 for every row.
    precChol: new Float64Array(d * d),
  };
  return yield { terms, moment: "full" };
}

/** Weighted mean of the columns of a matrix: the shift that keeps moments well conditioned. */
export function columnMeans(X: Matrix, sampleWeight: Float64Array | null): Float64Array {
  const d = X.cols;
  const out = new Float64Array(d);
  let wsum = 0;
  for (let i = 0; i < X.rows; i++) {
    const w = sampleWeight === null ? 1 : sampleWeight[i]!;
    wsum += w;
    for (let j = 0; j < d; j++) out[j]! += w * X.data[i * d + j]!;
  }
  for (let j = 0; j < d; j++) {
    const m = out[j]! / wsum;
    // A finite shift, whatever the magnitudes: fall back to 0 if the sum overflowed.
    out[j] = Number.isFinite(m) ? m : 0;
  }
  return out;
}

/** The model-specific parts of the loop. */
export interface ModelHooks<State> {
  readonly moment: MomentKind;
  /**
   * True when the bound is a sum over rows (the variational bound), false when it is already a
   * per-row mean (EM's mean log-likelihood). The per-row criterion divides only the former.
   */
  readonly summedBound: boolean;
  /** The parameters implied by initial responsibilities' statistics. */
  initialize(stats: MixtureStats): State;
  /** One M-step. */
  mStep(stats: MixtureStats): State;
  /** The constants of the next E-step. */
  terms(state: State): ComponentTerms;
  /** The bound after an M-step, given the E-step's statistics that produced `state`. */
  lowerBound(state: State, stats: MixtureStats): number;
}

/** Outcome of one initialisation's iterations. */
export interface RunResult<State> {
  state: State;
  converged: boolean;
  nIter: number;
  lowerBound: number;
  /** The bound after every iteration. */
  lowerBounds: number[];
}

/** Controls of {@link iterate}. */
export interface IterateOptions {
  tol: number;
  maxIter: number;
  convergence: ConvergenceCriterion;
  /** Bound to compare the first iteration with (−∞ on a fresh start; the last bound on a warm start). */
  startBound: number;
}

/**
 * Alternates E- and M-steps from `state` until the change of the bound is below `tol` (per row
 * or as scikit-learn, see {@link ConvergenceCriterion}) or `maxIter` iterations ran.
 * Non-convergence is reported in the result, never thrown.
 */
export function* iterate<State>(
  hooks: ModelHooks<State>,
  state: State,
  o: IterateOptions,
): FitSteps<RunResult<State>> {
  let bound = o.startBound;
  const lowerBounds: number[] = [];
  let converged = false;
  let nIter = 0;
  for (let it = 1; it <= o.maxIter; it++) {
    nIter = it;
    const prev = bound;
    const stats: MixtureStats = yield { terms: hooks.terms(state), moment: hooks.moment };
    state = hooks.mStep(stats);
    bound = hooks.lowerBound(state, stats);
    lowerBounds.push(bound);
    let change = bound - prev;
    if (o.convergence === "per-row" && hooks.summedBound) change /= stats.buffer[STATS_WEIGHT]!;
    if (Math.abs(change) < o.tol) {
      converged = true;
      break;
    }
  }
  return { state, converged, nIter, lowerBound: bound, lowerBounds };
}

/**
 * Statistics of hard assignments: row i has responsibility 1 for component `labels[i]` (a
 * negative label: none). Two passes: the components' weighted means first, then the moments about
 * them, so the statistics are centred. `buffer[weightSum]` is the data's total weight.
 */
export function statsFromLabels(
  X: Matrix,
  sampleWeight: Float64Array | null,
  labels: Int32Array,
  k: number,
  moment: MomentKind,
): MixtureStats {
  const resp = (i: number, c: number) => (labels[i] === c ? 1 : 0);
  return statsFromAssignments(X, sampleWeight, k, moment, resp, (i) => labels[i]!);
}

/** Statistics of given responsibilities (n·K row-major), centred as {@link statsFromLabels}. */
export function statsFromResponsibilities(
  X: Matrix,
  sampleWeight: Float64Array | null,
  resp: Float64Array,
  k: number,
  moment: MomentKind,
): MixtureStats {
  return statsFromAssignments(X, sampleWeight, k, moment, (i, c) => resp[i * k + c]!, null);
}

function statsFromAssignments(
  X: Matrix,
  sampleWeight: Float64Array | null,
  k: number,
  moment: MomentKind,
  resp: (i: number, c: number) => number,
  label: ((i: number) => number) | null,
): MixtureStats {
  const d = X.cols;
  const n = X.rows;
  // Pass 1: weighted means per component (the shifts).
  const shift = new Float64Array(k * d);
  const wk = new Float64Array(k);
  const each = (i: number, f: (c: number, r: number) => void) => {
    if (label !== null) {
      const c = label(i);
      if (c >= 0) f(c, 1);
    } else {
      for (let c = 0; c < k; c++) {
        const r = resp(i, c);
        if (r !== 0) f(c, r);
      }
    }
  };
  for (let i = 0; i < n; i++) {
    const w = sampleWeight === null ? 1 : sampleWeight[i]!;
    each(i, (c, r) => {
      wk[c]! += w * r;
      for (let j = 0; j < d; j++) shift[c * d + j]! += w * r * X.data[i * d + j]!;
    });
  }
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) {
      const m = wk[c]! > 0 ? shift[c * d + j]! / wk[c]! : 0;
      shift[c * d + j] = Number.isFinite(m) ? m : 0;
    }
  }
  // Pass 2: moments about them.
  const out = createStats(k, d, moment, shift);
  const buf = out.buffer;
  const oS = 3 + k;
  const oQ = statsOffsetQ(k, d);
  const dx = new Float64Array(d);
  let wsum = 0;
  for (let i = 0; i < n; i++) {
    const w = sampleWeight === null ? 1 : sampleWeight[i]!;
    wsum += w;
    each(i, (c, r) => {
      for (let j = 0; j < d; j++) dx[j] = X.data[i * d + j]! - shift[c * d + j]!;
      accumulate(buf, c, w * r, dx, d, oS, oQ, moment);
    });
  }
  buf[STATS_WEIGHT] = wsum;
  return out;
}

function accumulate(
  buf: Float64Array,
  c: number,
  wr: number,
  dx: Float64Array,
  d: number,
  oS: number,
  oQ: number,
  moment: MomentKind,
): void {
  buf[3 + c]! += wr;
  for (let j = 0; j < d; j++) buf[oS + c * d + j]! += wr * dx[j]!;
  if (moment === "full") {
    for (let p = 0; p < d; p++) {
      for (let q = 0; q < d; q++) buf[oQ + c * d * d + p * d + q]! += wr * dx[p]! * dx[q]!;
    }
  } else {
    for (let j = 0; j < d; j++) buf[oQ + c * d + j]! += wr * dx[j]! * dx[j]!;
  }
}
