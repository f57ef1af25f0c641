/**
 * Fitting a whole model in one streaming pass: a mergeable summary per column, built block by
 * block, then the specs fitted from the summaries. Memory is bounded by the summaries (for a
 * mixture column at most `maxDistinct` counted values or a `sampleSize`-row sample; for a
 * categorical column its distinct values), not by the number of rows.
 *
 * - mixture kinds (continuous, integer, datetime, log, mixed): {@link ColumnSummary}. While a column
 *   has at most `maxDistinct` distinct values the fit uses the exact (value, count) pairs as
 *   weighted data, which is the fit on every row up to summation order; beyond that, a uniform
 *   sample of `sampleSize` rows chosen by a hash of the row index.
 * - categorical: exact counts per category ({@link CategoryTally}).
 * - minmax: the finite bounds ({@link MinMaxTally}).
 *
 * Kinds not given in the options are inferred from the first block (`inferKind`), so a stream
 * and an in-memory table of the same rows give the same kinds when the first block holds the
 * whole table.
 */
import { assertUnreachable, InvalidInputError } from "../core/errors.js";
import type { ColumnType, Table, TimeUnit } from "../core/table.js";
import {
  addToCategoryTally,
  type CategoryTally,
  categoricalFromTally,
  createCategoryTally,
  mergeCategoryTallies,
} from "./categorical.js";
import {
  addToMinMaxTally,
  createMinMaxTally,
  type MinMaxTally,
  mergeMinMaxTallies,
  minMaxFromTally,
} from "./minmax.js";
import { fitMixtureFromSummary, type MixtureKind } from "./mixture-column.js";
import { MODEL_FORMAT, MODEL_VERSION, type ModelSpec } from "./spec.js";
import {
  addToSummary,
  type ColumnSummary,
  createSummary,
  mergeSummaries,
  type SummaryOptions,
  ValueCounts,
} from "./summary.js";
import {
  checkNotAllMissing,
  type FitTableOptions,
  findColumn,
  resolveFitColumns,
} from "./table-codec.js";

/** The summary of one fitted column. */
export type ColumnTally =
  | {
      type: "mixture";
      kind: MixtureKind;
      dtype: ColumnType;
      unit?: TimeUnit;
      summary: ColumnSummary;
    }
  | { type: "categorical"; tally: CategoryTally }
  | { type: "minmax"; tally: MinMaxTally };

/** A mergeable summary of the fitted columns of a table. */
export interface TableSummary {
  rows: number;
  columns: ColumnTally[];
}

/** Options of {@link createTableSummary}: the fit's, and those of the mixture summaries. */
export interface TableSummaryOptions extends FitTableOptions {
  /** Summary options of mixture columns (`seed` defaults to the fit's seed). */
  summary?: SummaryOptions;
  /** Summary options of single mixture columns, over `summary`'s. */
  columnSummary?: Record<string, SummaryOptions>;
}

/** How each mixture column was fitted: on exact value counts or on a uniform sample. */
export type FittedOn = Record<string, "counts" | "sample">;

/**
 * Mixture columns where no mode weighed more than the weight threshold, so the heaviest mode was
 * kept alone: column name → that mode's fitted weight.
 */
export type HeaviestOnly = Record<string, number>;

/**
 * An empty summary for the columns `options` choose in `first`, the first block of the data (its
 * rows decide the kinds not given; they are not added — pass the block to
 * {@link addToTableSummary} as well).
 * @throws InvalidInputError as `fitTable` for bad options or columns, or a kind that does not fit
 *   the column's type.
 */
export function createTableSummary(first: Table, options: TableSummaryOptions = {}): TableSummary {
  const seed = options.seed ?? 0;
  const columns = resolveFitColumns(first, options).map(({ name, column, kind }): ColumnTally => {
    const unit = column.type === "timestamp" ? column.unit : undefined;
    switch (kind) {
      case "categorical":
        return { type: "categorical", tally: createCategoryTally(name, column.type) };
      case "minmax":
        return { type: "minmax", tally: createMinMaxTally(name, column.type, unit) };
      case "continuous":
      case "integer":
      case "datetime":
      case "log":
      case "mixed":
        if (column.type === "string") {
          throw new InvalidInputError(
            `column "${name}" holds text, so it cannot be fitted as ${kind}. Fit it as categorical (the default for text), or convert it to numbers first.`,
          );
        }
        return {
          type: "mixture",
          kind,
          dtype: column.type,
          ...(unit === undefined ? {} : { unit }),
          summary: createSummary(name, {
            seed,
            ...options.summary,
            ...options.columnSummary?.[name],
          }),
        };
      default:
        return assertUnreachable(kind);
    }
  });
  return { rows: 0, columns };
}

/** Adds a block of rows (global indices `firstRow`…) to the summary. */
export function addToTableSummary(s: TableSummary, block: Table, firstRow: number): void {
  for (const c of s.columns) {
    const name = c.type === "mixture" ? c.summary.name : c.tally.name;
    const col = findColumn(block, name);
    switch (c.type) {
      case "mixture":
        addToSummary(c.summary, col, firstRow);
        break;
      case "categorical":
        addToCategoryTally(c.tally, col);
        break;
      case "minmax":
        addToMinMaxTally(c.tally, col);
        break;
      default:
        assertUnreachable(c);
    }
  }
  s.rows += block.rows;
}

/** The summary of a's rows followed by b's (made with the same options). */
export function mergeTableSummaries(a: TableSummary, b: TableSummary): TableSummary {
  return {
    rows: a.rows + b.rows,
    columns: a.columns.map((ca, j): ColumnTally => {
      const cb = b.columns[j]!;
      if (ca.type === "mixture" && cb.type === "mixture")
        return { ...ca, summary: mergeSummaries(ca.summary, cb.summary) };
      if (ca.type === "categorical" && cb.type === "categorical")
        return { ...ca, tally: mergeCategoryTallies(ca.tally, cb.tally) };
      if (ca.type === "minmax" && cb.type === "minmax")
        return { ...ca, tally: mergeMinMaxTallies(ca.tally, cb.tally) };
      throw new InvalidInputError("summaries of different column kinds cannot be merged.");
    }),
  };
}

/**
 * Fits the model from a summary.
 * @throws InvalidInputError when no rows were summarized or a column's values are all missing.
 */
export function fitFromTableSummary(
  s: TableSummary,
  options: TableSummaryOptions = {},
): { model: ModelSpec; fittedOn: FittedOn; heaviestOnly: HeaviestOnly } {
  if (s.rows === 0) {
    throw new InvalidInputError("the data has no rows; fit on a table with at least one row.");
  }
  const seed = options.seed ?? 0;
  const fittedOn: FittedOn = {};
  const heaviestOnly: HeaviestOnly = {};
  const columns = s.columns.map((c) => {
    switch (c.type) {
      case "categorical":
        checkNotAllMissing(c.tally.name, c.tally.rows, c.tally.nulls);
        return categoricalFromTally(c.tally, {
          order: options.categoryOrder ?? "frequency",
          unseen: options.unseen ?? "error",
        });
      case "minmax":
        checkNotAllMissing(c.tally.name, c.tally.rows, c.tally.nulls);
        return minMaxFromTally(c.tally);
      case "mixture": {
        const { name } = c.summary;
        checkNotAllMissing(name, c.summary.rows, c.summary.nulls);
        const fit = fitMixtureFromSummary(c.summary, c.kind, c.dtype, c.unit, {
          ...options.mixture,
          seed,
          modalValues: options.mixed?.[name],
        });
        fittedOn[name] = fit.fittedOn;
        if (fit.heaviestOnly !== null) heaviestOnly[name] = fit.heaviestOnly;
        return fit.spec;
      }
      default:
        return assertUnreachable(c);
    }
  });
  return {
    model: { format: MODEL_FORMAT, version: MODEL_VERSION, seed, columns },
    fittedOn,
    heaviestOnly,
  };
}

/**
 * The buffers a summary's mixture columns hold (value counts and sample), to transfer it to
 * another thread instead of copying it: a 2^22-row sample and 2^20 exact counts make up about
 * 135 MB per column. Sliced views are left out (only whole buffers move).
 */
export function tableSummaryBuffers(s: TableSummary): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView) => {
    if (
      a.buffer instanceof ArrayBuffer &&
      a.byteOffset === 0 &&
      a.byteLength === a.buffer.byteLength
    ) {
      out.add(a.buffer);
    }
  };
  for (const c of s.columns) {
    if (c.type !== "mixture") continue;
    const m = c.summary;
    add(m.sampleHash);
    add(m.sampleValue);
    if (m.counts !== null) {
      add(m.counts.keys);
      add(m.counts.counts);
      add(m.counts.used);
    }
  }
  return [...out];
}

/**
 * A summary that crossed a thread boundary (structured clone keeps the data but not the class of
 * the value-count tables) made usable again, in place.
 */
export function reviveTableSummary(s: TableSummary): TableSummary {
  for (const c of s.columns) {
    if (c.type === "mixture" && c.summary.counts !== null) {
      Object.setPrototypeOf(c.summary.counts, ValueCounts.prototype);
    }
  }
  return s;
}
