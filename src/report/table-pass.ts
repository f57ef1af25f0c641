/**
 * What a report counts in one streaming pass over a table, per model column, on the reading
 * thread while the worker pool evaluates the round trip of the same blocks: histograms on fixed
 * axes, the extreme values, and the drift module's tallies (category counts, mode occupancy).
 * Everything is additive or order-independent, so memory stays bounded whatever the row count.
 */
import type { Table } from "../core/table.js";
import { addToDriftTally, createDriftTally, type DriftTally } from "../drift/tally.js";
import type { ColumnSpec, ModelSpec } from "../encode/spec.js";
import { findColumn } from "../encode/table-codec.js";
import { chooseAxis } from "./axis.js";
import { mixtureAxis } from "./density.js";
import { addExtremes, createExtremes, type ExtremeTracker } from "./extremes.js";
import {
  addMixtureRows,
  addPlotted,
  createHistogram,
  eachValue,
  type Histogram,
} from "./histogram.js";

/** The counts of one shown column. */
export interface ColumnPass {
  spec: ColumnSpec;
  /** The column's index in the model (it keys the per-row randomness). */
  index: number;
  /** Mixture and minmax columns. */
  histogram: Histogram | null;
  /** Mixture columns. */
  extremes: ExtremeTracker | null;
}

/** A pass over a table: the shown columns' counts and the drift tallies of every model column. */
export interface TablePass {
  model: ModelSpec;
  rows: number;
  columns: ColumnPass[];
  /** The drift tallies (null when another pass computes them, e.g. driftStream). */
  tally: DriftTally | null;
}

/** The axis of a column's histogram (shared by the data and the data compared with it). */
export function columnAxis(spec: ColumnSpec) {
  switch (spec.kind) {
    case "categorical":
      return null;
    case "minmax":
      return chooseAxis(spec.min, spec.max, spec.min, spec.max);
    default:
      return mixtureAxis(spec);
  }
}

/** An empty pass showing the model columns named in `shown` (in the model's order). */
export function createTablePass(
  model: ModelSpec,
  shown: readonly string[],
  withTally = true,
): TablePass {
  const want = new Set(shown);
  const columns: ColumnPass[] = [];
  model.columns.forEach((spec, index) => {
    if (!want.has(spec.name)) return;
    const axis = columnAxis(spec);
    columns.push({
      spec,
      index,
      histogram: axis === null ? null : createHistogram(axis),
      extremes: spec.kind === "categorical" || spec.kind === "minmax" ? null : createExtremes(),
    });
  });
  return { model, rows: 0, columns, tally: withTally ? createDriftTally(model) : null };
}

/**
 * Adds a block whose first row has global index `firstRow`.
 * @throws InvalidInputError when the block lacks a model column or holds the wrong type.
 */
export function addTableBlock(pass: TablePass, table: Table, firstRow: number): void {
  if (pass.tally !== null) addToDriftTally(pass.model, pass.tally, table);
  for (const c of pass.columns) {
    const col = findColumn(table, c.spec.name);
    if (c.histogram !== null) {
      if (c.spec.kind === "minmax") {
        const h = c.histogram;
        h.rows += col.values.length;
        h.nulls += eachValue(col, 0, col.values.length, (x) => {
          if (Number.isFinite(x)) addPlotted(h, x);
          else h.notPlotted++;
        });
      } else if (c.spec.kind !== "categorical") addMixtureRows(c.histogram, c.spec, col);
    }
    if (c.extremes !== null) addExtremes(c.extremes, col, firstRow);
  }
  pass.rows += table.rows;
}
