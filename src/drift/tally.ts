/**
 * What `modenorm drift` counts in new data, per model column, in one streaming pass: additive
 * tallies that merge across blocks, threads and chunks (merged in block order, so the sums are
 * the same for any thread count). The statistics and verdicts come from a tally and the model's
 * baseline (`verdict.ts`).
 */
import { assertUnreachable, InvalidInputError } from "../core/errors.js";
import { type Column, isNull, numericValue, type Table } from "../core/table.js";
import { CDF_BINS, probeOf } from "../encode/baseline.js";
import { categoryIndices } from "../encode/categorical.js";
import type {
  CategoricalColumnSpec,
  ColumnSpec,
  MixtureColumnSpec,
  ModelSpec,
} from "../encode/spec.js";
import { checkDtype, findColumn } from "../encode/table-codec.js";

/** Counts of a mixture column (continuous, integer, datetime, log, mixed). */
export interface MixtureTally {
  kind: "mixture";
  name: string;
  rows: number;
  nulls: number;
  /** Non-missing values, and those outside the baseline's [min, max] or not finite. */
  values: number;
  outOfRange: number;
  /** Per slot (kept modes by argmax, modal values, literal), as in the baseline. */
  slots: number[];
  /** Values in the modes' domain, Σ max(ℓ, lowCut) over them, and how many had ℓ < lowCut. */
  fitted: number;
  clippedSum: number;
  low: number;
  /** Fitted values per bin of F(t). */
  cdf: number[];
}

/** Counts of a categorical column: per category, then the unseen values. */
export interface CategoryDriftTally {
  kind: "categorical";
  name: string;
  rows: number;
  nulls: number;
  counts: number[];
}

/** Counts of a minmax column. */
export interface RangeTally {
  kind: "minmax";
  name: string;
  rows: number;
  nulls: number;
  values: number;
  outOfRange: number;
}

export type ColumnDriftTally = MixtureTally | CategoryDriftTally | RangeTally;

/** The tallies of a model's columns over some rows. */
export interface DriftTally {
  rows: number;
  columns: ColumnDriftTally[];
}

/** An empty tally for `model` (checked to have a baseline: see `requireBaseline`). */
export function createDriftTally(model: ModelSpec): DriftTally {
  return {
    rows: 0,
    columns: model.columns.map((c): ColumnDriftTally => {
      const base = { name: c.name, rows: 0, nulls: 0 };
      switch (c.kind) {
        case "categorical":
          return {
            kind: "categorical",
            ...base,
            counts: new Array(c.categories.length + 1).fill(0),
          };
        case "minmax":
          return { kind: "minmax", ...base, values: 0, outOfRange: 0 };
        default: {
          const slots =
            c.modes.length + (c.kind === "mixed" ? (c.modalValues ?? []).length : 0) + 1;
          return {
            kind: "mixture",
            ...base,
            values: 0,
            outOfRange: 0,
            slots: new Array(slots).fill(0),
            fitted: 0,
            clippedSum: 0,
            low: 0,
            cdf: new Array(CDF_BINS).fill(0),
          };
        }
      }
    }),
  };
}

/**
 * Adds rows [start, end) of `table` (default: all) to the tally.
 * @throws InvalidInputError when the table lacks a model column or holds text where the model
 *   has numbers (or numbers where it has text).
 */
export function addToDriftTally(
  model: ModelSpec,
  tally: DriftTally,
  table: Table,
  start = 0,
  end = table.rows,
): void {
  model.columns.forEach((spec, j) => {
    const col = findColumn(table, spec.name);
    checkDtype(spec, col);
    addColumn(spec, tally.columns[j]!, col, start, end);
  });
  tally.rows += end - start;
}

function addColumn(
  spec: ColumnSpec,
  t: ColumnDriftTally,
  col: Column,
  start: number,
  end: number,
): void {
  t.rows += end - start;
  switch (t.kind) {
    case "categorical": {
      if (spec.kind !== "categorical") throw mismatch(spec);
      const idx = indicesOf(spec, col);
      for (let i = start; i < end; i++) {
        const k = idx[i]!;
        if (k < 0) t.nulls++;
        else t.counts[k]!++;
      }
      return;
    }
    case "minmax": {
      if (spec.kind !== "minmax") throw mismatch(spec);
      countValues(t, col, start, end, spec.min, spec.max, null);
      return;
    }
    case "mixture": {
      if (spec.kind === "categorical" || spec.kind === "minmax") throw mismatch(spec);
      addMixture(spec, t, col, start, end);
      return;
    }
    default:
      assertUnreachable(t);
  }
}

/**
 * Category indices of a block's column, computed once per column object: a block split into many
 * chunks asks for them once per chunk.
 */
const indexCache = new WeakMap<Column, { spec: ColumnSpec; idx: Int32Array }>();

function indicesOf(spec: CategoricalColumnSpec, col: Column): Int32Array {
  const hit = indexCache.get(col);
  if (hit !== undefined && hit.spec === spec) return hit.idx;
  const idx = categoryIndices(spec, col);
  indexCache.set(col, { spec, idx });
  return idx;
}

function addMixture(
  spec: MixtureColumnSpec,
  t: MixtureTally,
  col: Column,
  start: number,
  end: number,
): void {
  const b = spec.baseline;
  const probe = probeOf(spec);
  const literal = probe.slots - 1;
  const min = b?.min ?? Number.NEGATIVE_INFINITY;
  const max = b?.max ?? Number.POSITIVE_INFINITY;
  const cut = b?.lowCut ?? Number.NEGATIVE_INFINITY;
  let sum = 0;
  countValues(t, col, start, end, min, max, (x) => {
    if (!Number.isFinite(x)) {
      t.slots[literal]!++;
      return;
    }
    const slot = probe.at(x);
    t.slots[slot]!++;
    if (slot >= probe.modes) return;
    t.fitted++;
    const l = probe.logDensity;
    if (l < cut) {
      t.low++;
      sum += cut;
    } else sum += l;
    t.cdf[probe.cdfBin]!++;
  });
  t.clippedSum += sum;
}

/**
 * Counts rows [start, end) of a numeric column: missing values, values, and values outside
 * [min, max] (or not finite); `each` sees every non-missing value.
 */
function countValues(
  t: { nulls: number; values: number; outOfRange: number },
  col: Column,
  start: number,
  end: number,
  min: number,
  max: number,
  each: ((x: number) => void) | null,
): void {
  for (let i = start; i < end; i++) {
    if (isNull(col, i)) {
      t.nulls++;
      continue;
    }
    t.values++;
    const x = numericValue(col, i);
    if (!(x >= min && x <= max)) t.outOfRange++;
    each?.(x);
  }
}

function mismatch(spec: ColumnSpec): InvalidInputError {
  return new InvalidInputError(`column "${spec.name}": the tally does not match the model's kind.`);
}

/** The tally of a block's rows that fall in one chunk (chunk c holds rows [c·size, (c+1)·size)). */
export interface ChunkTally {
  chunk: number;
  tally: DriftTally;
}

/**
 * The tallies of `table`'s rows (global indices firstRow…) per chunk of `chunkRows` rows (null:
 * one chunk, numbered 0), in row order.
 */
export function chunkTallies(
  model: ModelSpec,
  table: Table,
  firstRow: number,
  chunkRows: number | null,
): ChunkTally[] {
  const out: ChunkTally[] = [];
  let start = 0;
  while (start < table.rows || out.length === 0) {
    const chunk = chunkRows === null ? 0 : Math.floor((firstRow + start) / chunkRows);
    const end =
      chunkRows === null ? table.rows : Math.min(table.rows, (chunk + 1) * chunkRows - firstRow);
    const tally = createDriftTally(model);
    addToDriftTally(model, tally, table, start, end);
    out.push({ chunk, tally });
    start = end;
  }
  return out;
}

/** The tally of a's rows followed by b's (both of the same model). */
export function mergeDriftTallies(a: DriftTally, b: DriftTally): DriftTally {
  const add = (x: number[], y: number[]) => x.map((v, i) => v + y[i]!);
  return {
    rows: a.rows + b.rows,
    columns: a.columns.map((ca, j): ColumnDriftTally => {
      const cb = b.columns[j]!;
      const base = { name: ca.name, rows: ca.rows + cb.rows, nulls: ca.nulls + cb.nulls };
      if (ca.kind === "categorical" && cb.kind === "categorical")
        return { ...ca, ...base, counts: add(ca.counts, cb.counts) };
      if (ca.kind === "minmax" && cb.kind === "minmax")
        return {
          ...ca,
          ...base,
          values: ca.values + cb.values,
          outOfRange: ca.outOfRange + cb.outOfRange,
        };
      if (ca.kind === "mixture" && cb.kind === "mixture")
        return {
          ...ca,
          ...base,
          values: ca.values + cb.values,
          outOfRange: ca.outOfRange + cb.outOfRange,
          slots: add(ca.slots, cb.slots),
          fitted: ca.fitted + cb.fitted,
          clippedSum: ca.clippedSum + cb.clippedSum,
          low: ca.low + cb.low,
          cdf: add(ca.cdf, cb.cdf),
        };
      throw new InvalidInputError("drift tallies of different models cannot be merged.");
    }),
  };
}
