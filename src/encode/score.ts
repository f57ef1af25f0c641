/**
 * Per-row log-likelihood of a table under a model: for a mixture column the log-density of the
 * value's transformed form t under the kept modes (the drift baseline's ℓ, see `baseline.ts`);
 * for a categorical column the log of the category's fit share. Missing values, modal values,
 * literals (values outside the modes' domain), unseen categories and minmax columns score null.
 * `total` sums a row's non-null scores.
 */
import { isNull, numericValue, type Table } from "../core/table.js";
import { probeOf } from "./baseline.js";
import { categoryIndices } from "./categorical.js";
import type { ModelSpec } from "./spec.js";
import { checkDtype, findColumn } from "./table-codec.js";

/** One float64 column of scores per model column, then `total`. */
export function scoreTable(model: ModelSpec, table: Table): Table {
  const n = table.rows;
  const total = new Float64Array(n);
  const columns = model.columns.map((spec) => {
    const col = findColumn(table, spec.name, "the data (the model has this column)");
    checkDtype(spec, col);
    const values = new Float64Array(n);
    const nulls = new Uint8Array(n).fill(1);
    if (spec.kind === "categorical") {
      const N = spec.rows - spec.nullCount;
      const logShare = spec.counts.map((c) => Math.log(c / N));
      const idx = categoryIndices(spec, col);
      for (let i = 0; i < n; i++) {
        const k = idx[i]!;
        if (k >= 0 && k < logShare.length) {
          values[i] = logShare[k]!;
          nulls[i] = 0;
        }
      }
    } else if (spec.kind !== "minmax") {
      const probe = probeOf(spec);
      for (let i = 0; i < n; i++) {
        if (isNull(col, i)) continue;
        const x = numericValue(col, i);
        if (!Number.isFinite(x) || probe.at(x) >= probe.modes) continue;
        values[i] = probe.logDensity;
        nulls[i] = 0;
      }
    }
    for (let i = 0; i < n; i++) if (nulls[i] === 0) total[i]! += values[i]!;
    return { name: spec.name, type: "float64" as const, values, nulls };
  });
  columns.push({ name: "total", type: "float64", values: total, nulls: new Uint8Array(n) });
  return { rows: n, columns };
}
