/**
 * Drift detection from a fitted model's baseline: per-column statistics and verdicts for new
 * data, without the data the model was fitted on.
 */
import { InvalidInputError } from "../core/errors.js";
import type { Table } from "../core/table.js";
import type { ModelSpec } from "../encode/spec.js";
import { addToDriftTally, createDriftTally } from "./tally.js";
import {
  type DriftOptions,
  type DriftReport,
  driftReport,
  resolveDriftOptions,
} from "./verdict.js";

export * from "./psi.js";
export * from "./tally.js";
export * from "./verdict.js";

/**
 * Checks that `model` carries a drift baseline (model format version 2 or later).
 * @throws InvalidInputError naming `source` and how to refit, for a version 1 model.
 */
export function requireBaseline(model: ModelSpec, source = "the model"): void {
  if (model.version < 2) {
    throw new InvalidInputError(
      `${source} is a version ${model.version} model file, which has no drift baseline. Refit it with this modenorm (modenorm fit <data> -o model.json) on the data the model describes; the new file carries the baseline.`,
    );
  }
}

/**
 * The drift of `table`'s rows against `model`'s baseline: per column statistics and a verdict,
 * and the data set's verdict (see {@link driftReport}). `firstRow` labels the rows' place.
 * @throws InvalidInputError for a model without baseline, a table missing a model column or with
 *   a column of the wrong type, no rows, or bad options.
 */
export function driftTable(
  model: ModelSpec,
  table: Table,
  options: DriftOptions & { firstRow?: number } = {},
): DriftReport {
  requireBaseline(model);
  resolveDriftOptions(model, options);
  if (table.rows === 0)
    throw new InvalidInputError("the data has no rows; check drift on at least one row.");
  const tally = createDriftTally(model);
  addToDriftTally(model, tally, table);
  return driftReport(model, tally, options.firstRow ?? 0, options);
}
