/**
 * Drift statistics and verdicts from a tally of new data (`tally.ts`) and the model's baseline.
 *
 * Every statistic has two thresholds, each the larger of a practical floor (a change too small
 * to matter is never flagged, however many rows show it: large samples do not alarm) and a
 * sampling-error bound at the sizes of both samples (a change chance explains is never flagged:
 * small samples do not alarm). Shares use the two-sample standard error with the pooled share,
 * warn at 3 and drift at 4 standard errors; PSI uses the simulated no-drift 99th and 99.9th
 * percentiles at the sample's size (`psi.ts`); the CDF distance uses the Kolmogorov–Smirnov
 * bounds at levels 0.01 and 0.0001. Fewer than {@link MIN_ROWS} rows give `insufficient_data`.
 *
 * In every sampling bound the new data count as at most as many rows as the baseline
 * ({@link effectiveRows}): rows in production are often repeated or correlated (the same
 * customers, sessions, a file appended twice), so a row count far above the baseline's overstates
 * what the new data tell apart; capping it at most widens a bound by √2, only where it exceeds
 * the floor.
 */
import { InvalidInputError } from "../core/errors.js";
import type {
  CategoricalColumnSpec,
  ColumnSpec,
  MinMaxColumnSpec,
  MixtureColumnSpec,
  ModelSpec,
} from "../encode/spec.js";
import { psi, psiNull } from "./psi.js";
import type { CategoryDriftTally, DriftTally, MixtureTally, RangeTally } from "./tally.js";

/** Rows (and values, for the statistics of values) below which a column gets no verdict. */
export const MIN_ROWS = 100;

/** Practical floors of the thresholds: [warn, drift]. */
export const FLOORS = {
  nullRate: [0.02, 0.05],
  outOfRange: [0.01, 0.05],
  logLikelihood: [0.05, 0.125],
  lowTail: [0.01, 0.02],
  modePsi: [0.1, 0.25],
  cdfDistance: [0.015, 0.03],
  categoryPsi: [0.1, 0.25],
  categoryShare: [0.01, 0.025],
  unseen: [0.005, 0.01],
} as const;

export type StatisticName = keyof typeof FLOORS;
export type Level = "ok" | "warn" | "drift";
export type Verdict = Level | "insufficient_data";

/** One statistic of a column, with the thresholds it was judged by. */
export interface DriftStatistic {
  name: StatisticName;
  /** The new data's value (a share, a mean log-likelihood, a PSI or a distance). */
  value: number;
  /** The baseline's value (0 for PSI and the CDF distance). */
  baseline: number;
  /** What the thresholds are compared with: the change (absolute or upward), or the value. */
  score: number;
  warnAt: number;
  driftAt: number;
  level: Level;
  /** For categoryShare: the category (or "<unseen>") whose share changed most. */
  category?: string;
}

export interface ColumnDrift {
  name: string;
  kind: ColumnSpec["kind"];
  rows: number;
  /** Non-missing values. */
  values: number;
  verdict: Verdict;
  statistics: DriftStatistic[];
}

export interface DriftOptions {
  /** Share of judged columns that must drift for the data set to drift. Default 0.5. */
  share?: number;
  /** Columns whose drift alone makes the data set drift. */
  critical?: readonly string[];
}

export interface DriftReport {
  /** Global index of the first row checked, and rows checked. */
  firstRow: number;
  rows: number;
  verdict: Verdict;
  share: number;
  critical: string[];
  /** Columns that drift, and those that only warn. */
  drifting: string[];
  warning: string[];
  columns: ColumnDrift[];
}

/** The new data's row count as the sampling bounds use it: at most the baseline's. */
export function effectiveRows(n: number, baseline: number): number {
  return Math.min(n, baseline);
}

/** Levels in order of severity. */
const RANK: Record<Level, number> = { ok: 0, warn: 1, drift: 2 };

const level = (score: number, warnAt: number, driftAt: number): Level =>
  score >= driftAt ? "drift" : score >= warnAt ? "warn" : "ok";

function stat(
  name: StatisticName,
  value: number,
  baseline: number,
  score: number,
  warnAt: number,
  driftAt: number,
): DriftStatistic {
  return { name, value, baseline, score, warnAt, driftAt, level: level(score, warnAt, driftAt) };
}

/**
 * A share k/n against the baseline's p0 of a `size`-row sample: thresholds max(floor, z·se) with
 * z = 3 (warn) and 4 (drift). `upward`: only increases count.
 */
function shareStat(
  name: StatisticName,
  k: number,
  n: number,
  p0: number,
  size: number,
  upward = false,
): DriftStatistic {
  const value = k / n;
  const pooled = (k + p0 * size) / (n + size);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / effectiveRows(n, size) + 1 / size));
  const d = value - p0;
  const [fw, fd] = FLOORS[name];
  return stat(
    name,
    value,
    p0,
    upward ? Math.max(0, d) : Math.abs(d),
    Math.max(fw, 3 * se),
    Math.max(fd, 4 * se),
  );
}

function psiStat(
  name: "modePsi" | "categoryPsi",
  counts: readonly number[],
  base: readonly number[],
  size: number,
  n: number,
): DriftStatistic {
  const value = psi(counts, base, size);
  const nul = psiNull(base, size, effectiveRows(n, size));
  const [fw, fd] = FLOORS[name];
  return stat(name, value, 0, value, Math.max(fw, nul.p99), Math.max(fd, nul.p999));
}

function nullStat(spec: ColumnSpec, rows: number, nulls: number): DriftStatistic {
  return shareStat("nullRate", nulls, rows, spec.nullCount / spec.rows, spec.rows);
}

function mixtureStats(spec: MixtureColumnSpec, t: MixtureTally): DriftStatistic[] {
  const b = spec.baseline;
  const out = [nullStat(spec, t.rows, t.nulls)];
  if (b === undefined || t.values < MIN_ROWS) return out;
  out.push(shareStat("outOfRange", t.outOfRange, t.values, 0, b.size, true));
  out.push(psiStat("modePsi", t.slots, b.occupancy, b.size, t.values));
  if (t.fitted < MIN_ROWS) return out;
  const n = t.fitted;
  const mean = t.clippedSum / n;
  const se = b.clippedStd * Math.sqrt(1 / effectiveRows(n, b.fitted) + 1 / b.fitted);
  const [lw, ld] = FLOORS.logLikelihood;
  out.push(
    stat(
      "logLikelihood",
      mean,
      b.clippedMean,
      Math.abs(mean - b.clippedMean),
      Math.max(lw, 3 * se),
      Math.max(ld, 4 * se),
    ),
  );
  out.push(shareStat("lowTail", t.low, n, b.lowShare, b.fitted, true));
  let d = 0;
  let cNew = 0;
  let cBase = 0;
  for (let i = 0; i < b.cdf.length; i++) {
    cNew += t.cdf[i]! / n;
    cBase += b.cdf[i]!;
    d = Math.max(d, Math.abs(cNew - cBase));
  }
  const s = Math.sqrt(1 / effectiveRows(n, b.fitted) + 1 / b.fitted);
  const [cw, cd] = FLOORS.cdfDistance;
  out.push(stat("cdfDistance", d, 0, d, Math.max(cw, 1.63 * s), Math.max(cd, 2.23 * s)));
  return out;
}

/**
 * The baseline shares of a categorical column: its fit counts, with the Good–Turing estimate of
 * the unseen share (the share of fit rows whose category occurred once) as one more bin.
 */
export function categoryBaseline(spec: CategoricalColumnSpec): { shares: number[]; size: number } {
  const size = spec.rows - spec.nullCount;
  let once = 0;
  for (const c of spec.counts) if (c === 1) once++;
  const unseen = size > 0 ? once / size : 0;
  const shares = spec.counts.map((c) => (size > 0 ? (c / size) * (1 - unseen) : 0));
  shares.push(size > 0 ? unseen : 1);
  return { shares, size: Math.max(1, size) };
}

const baselineShares = new WeakMap<CategoricalColumnSpec, { shares: number[]; size: number }>();

function categoricalStats(spec: CategoricalColumnSpec, t: CategoryDriftTally): DriftStatistic[] {
  const out = [nullStat(spec, t.rows, t.nulls)];
  const n = t.rows - t.nulls;
  if (n < MIN_ROWS) return out;
  let base = baselineShares.get(spec);
  if (base === undefined) {
    base = categoryBaseline(spec);
    baselineShares.set(spec, base);
  }
  const { shares, size } = base;
  out.push(psiStat("categoryPsi", t.counts, shares, size, n));
  const C = spec.categories.length;
  let worst: DriftStatistic | null = null;
  for (let i = 0; i <= C; i++) {
    const s = shareStat("categoryShare", t.counts[i]!, n, shares[i]!, size);
    if (
      worst === null ||
      RANK[s.level] > RANK[worst.level] ||
      (s.level === worst.level && s.score > worst.score)
    ) {
      worst = { ...s, category: i < C ? spec.categories[i]! : "<unseen>" };
    }
  }
  out.push(worst!);
  out.push(shareStat("unseen", t.counts[C]!, n, shares[C]!, size, true));
  return out;
}

function rangeStats(spec: MinMaxColumnSpec, t: RangeTally): DriftStatistic[] {
  const out = [nullStat(spec, t.rows, t.nulls)];
  if (t.values >= MIN_ROWS)
    out.push(shareStat("outOfRange", t.outOfRange, t.values, 0, spec.rows - spec.nullCount, true));
  return out;
}

/** A column's statistics and verdict. */
export function columnDrift(spec: ColumnSpec, t: DriftTally["columns"][number]): ColumnDrift {
  let statistics: DriftStatistic[];
  if (t.kind === "categorical" && spec.kind === "categorical")
    statistics = categoricalStats(spec, t);
  else if (t.kind === "minmax" && spec.kind === "minmax") statistics = rangeStats(spec, t);
  else if (t.kind === "mixture" && spec.kind !== "categorical" && spec.kind !== "minmax")
    statistics = mixtureStats(spec, t);
  else
    throw new InvalidInputError(
      `column "${spec.name}": the tally does not match the model's kind.`,
    );
  const values = t.rows - t.nulls;
  let verdict: Verdict = "ok";
  if (t.rows < MIN_ROWS) verdict = "insufficient_data";
  else if (statistics.some((s) => s.level === "drift")) verdict = "drift";
  else if (statistics.some((s) => s.level === "warn")) verdict = "warn";
  else if (statistics.length === 1 && values < MIN_ROWS) verdict = "insufficient_data";
  return { name: spec.name, kind: spec.kind, rows: t.rows, values, verdict, statistics };
}

/**
 * The verdict of a data set: `drift` when at least `share` of the columns with a verdict drift
 * (and at least one does), or any critical column drifts; else `warn` when any column warns or
 * drifts; `insufficient_data` when no column has a verdict.
 * @throws InvalidInputError for a share outside (0, 1] or a critical column the model lacks.
 */
export function driftReport(
  model: ModelSpec,
  tally: DriftTally,
  firstRow = 0,
  options: DriftOptions = {},
): DriftReport {
  const { share, critical } = resolveDriftOptions(model, options);
  const columns = model.columns.map((spec, j) => columnDrift(spec, tally.columns[j]!));
  const judged = columns.filter((c) => c.verdict !== "insufficient_data");
  const drifting = columns.filter((c) => c.verdict === "drift").map((c) => c.name);
  const warning = columns.filter((c) => c.verdict === "warn").map((c) => c.name);
  let verdict: Verdict;
  if (judged.length === 0) verdict = "insufficient_data";
  else if (
    (drifting.length > 0 && drifting.length >= share * judged.length) ||
    critical.some((c) => drifting.includes(c))
  )
    verdict = "drift";
  else verdict = drifting.length + warning.length > 0 ? "warn" : "ok";
  return { firstRow, rows: tally.rows, verdict, share, critical, drifting, warning, columns };
}

/** The options with defaults, checked against the model. */
export function resolveDriftOptions(
  model: ModelSpec,
  options: DriftOptions,
): { share: number; critical: string[] } {
  const share = options.share ?? 0.5;
  if (!(share > 0 && share <= 1))
    throw new InvalidInputError(
      `share must be in (0, 1], got ${share}. Pass e.g. 0.5 (half the columns).`,
    );
  const critical = [...(options.critical ?? [])];
  for (const c of critical) {
    if (!model.columns.some((s) => s.name === c))
      throw new InvalidInputError(
        `critical column "${c}" is not in the model (its columns: ${model.columns.map((s) => s.name).join(", ")}). Name model columns.`,
      );
  }
  return { share, critical };
}
