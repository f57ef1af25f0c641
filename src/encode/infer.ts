/**
 * The default column kind of a column, from its type and (for numbers) its number of distinct
 * values — the choice the incumbents leave to the user's metadata.
 */
import { InvalidInputError } from "../core/errors.js";
import type { Column, StringColumn } from "../core/table.js";
import type { ColumnKind } from "./spec.js";

/** Options of {@link inferKind}. */
export interface InferOptions {
  /** Integer columns with at most this many distinct non-missing values are categorical. Default 10. */
  maxIntegerCategories?: number;
  /** Float columns with at most this many distinct non-missing values are categorical. Default 2. */
  maxFloatCategories?: number;
}

export const INFER_DEFAULTS: Required<InferOptions> = {
  maxIntegerCategories: 10,
  maxFloatCategories: 2,
};

/**
 * Whether the column has more than `limit` distinct non-missing values. Stops as soon as it has
 * seen limit + 1 of them. Values are told apart as categorical columns tell them apart: −0 differs
 * from 0, and NaN is one value.
 */
function moreDistinctThan(col: Exclude<Column, StringColumn>, limit: number): boolean {
  const seen = new Set<number | bigint | string>();
  const { values, nulls } = col;
  for (let i = 0; i < values.length; i++) {
    if (nulls !== null && nulls[i] === 1) continue;
    const x = values[i]!;
    seen.add(x === 0 && Object.is(x, -0) ? "-0" : x);
    if (seen.size > limit) return true;
  }
  return false;
}

function checkLimit(name: string, v: number): void {
  if (!(Number.isInteger(v) && v >= 0)) {
    throw new InvalidInputError(`${name} must be a non-negative integer, got ${v}.`);
  }
}

/**
 * The default kind of a column:
 * - `string`, `bool` → `categorical`;
 * - `timestamp` → `datetime`;
 * - `int32`, `int64`: at most 10 distinct non-missing values (`maxIntegerCategories`) →
 *   `categorical` (codes, ratings), else `integer`;
 * - `float64`, `float32`: at most 2 distinct non-missing values (`maxFloatCategories`) →
 *   `categorical` (flags stored as floats, e.g. 0.0 / 1.0), else `continuous`.
 *
 * An empty or all-missing numeric column has 0 distinct values, so it is categorical. Distinct
 * counting stops early, so the cost is one pass at most, usually much less.
 *
 * @throws InvalidInputError for a limit that is not a non-negative integer.
 */
export function inferKind(col: Column, options: InferOptions = {}): ColumnKind {
  const o = { ...INFER_DEFAULTS, ...options };
  checkLimit("maxIntegerCategories", o.maxIntegerCategories);
  checkLimit("maxFloatCategories", o.maxFloatCategories);
  switch (col.type) {
    case "string":
    case "bool":
      return "categorical";
    case "timestamp":
      return "datetime";
    case "int32":
    case "int64":
      return moreDistinctThan(col, o.maxIntegerCategories) ? "integer" : "categorical";
    case "float64":
    case "float32":
      return moreDistinctThan(col, o.maxFloatCategories) ? "continuous" : "categorical";
  }
}
