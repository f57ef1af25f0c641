/**
 * Round-trip evaluation: encode, decode, and compare every value with the input, for both layouts.
 */
import { type Column, isNull, type Table } from "../core/table.js";
import { CLIP, modesLogLikelihood } from "./mixture-column.js";
import { MODE_LITERAL, type ModelSpec } from "./spec.js";
import { findColumn, inverseTable, transformTable } from "./table-codec.js";

/** A relative error above this counts as a lost value (the peer's definition). */
export const LOSS_REL_TOL = 1e-9;

/** Round-trip errors of one layout. */
export interface LayoutErrors {
  /** Rows whose decoded value is the input bit for bit (nulls included). */
  exact: number;
  /** Rows with relative error > 1e-9 (|x'−x| / |x|, or / 1 when x = 0), or a wrong null/text. */
  lost: number;
  maxAbsError: number;
  maxRelError: number;
}

/** Evaluation of one column. */
export interface ColumnEvaluation {
  name: string;
  kind: string;
  rows: number;
  nulls: number;
  /** Compact-layout rows stored literally (no mode reproduces them). */
  literals: number;
  /**
   * Rows the dense (GAN) layout cannot represent beyond float32 rounding: mixture rows whose value
   * is more than 0.99 · scale · σ from every kept mode (α clipped) or literal (NaN, ±∞, …).
   * The peer's "clipped" count is the same quantity for its sampled mode.
   */
  clipped: number;
  compact: LayoutErrors;
  dense: LayoutErrors;
  /** Mixture kinds: mean log-likelihood per fitted-domain value under the kept modes. */
  meanLogLikelihood: number | null;
}

function numberOrNull(c: Column, i: number): number | bigint | string | null {
  if (isNull(c, i)) return null;
  return c.values[i]!;
}

function compare(input: Column, output: Column): LayoutErrors {
  const n = input.values.length;
  const e: LayoutErrors = { exact: 0, lost: 0, maxAbsError: 0, maxRelError: 0 };
  for (let i = 0; i < n; i++) {
    const a = numberOrNull(input, i);
    const b = numberOrNull(output, i);
    if (a === null || b === null || typeof a === "string" || typeof b === "string") {
      if (a === b) e.exact++;
      else e.lost++;
      continue;
    }
    if (typeof a === "bigint" || typeof b === "bigint") {
      if (a === b) {
        e.exact++;
        continue;
      }
      const abs = Math.abs(Number(BigInt(a) - BigInt(b)));
      const rel = abs / (a === 0n ? 1 : Math.abs(Number(a)));
      e.maxAbsError = Math.max(e.maxAbsError, abs);
      e.maxRelError = Math.max(e.maxRelError, rel);
      if (rel > LOSS_REL_TOL) e.lost++;
      continue;
    }
    if (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b))) {
      e.exact++;
      continue;
    }
    const abs = Math.abs(a - b);
    const rel = abs / (a === 0 ? 1 : Math.abs(a));
    if (!(abs <= e.maxAbsError)) e.maxAbsError = abs;
    if (!(rel <= e.maxRelError)) e.maxRelError = rel;
    if (!(rel <= LOSS_REL_TOL)) e.lost++;
  }
  return e;
}

/**
 * Encodes `table` with `model` in both layouts, decodes, and compares every value.
 * @throws InvalidInputError when the table lacks a model column or has the wrong type.
 */
export function evaluateTable(
  model: ModelSpec,
  table: Table,
): { rows: number; columns: ColumnEvaluation[] } {
  const compactEnc = transformTable(model, table, { layout: "compact" });
  const compactDec = inverseTable(model, compactEnc);
  let denseDec: Table | null = null;
  try {
    denseDec = inverseTable(model, transformTable(model, table, { layout: "dense" }));
  } catch {
    // The dense layout cannot hold missing values of a column fitted without any; the compact
    // layout can. Report the dense layout as unavailable rather than failing the evaluation.
    denseDec = null;
  }
  const columns = model.columns.map((spec, j) => {
    const input = findColumn(table, spec.name);
    const modeCol = compactEnc.columns.find((c) => c.name === `${spec.name}.mode`);
    const alphaCol = compactEnc.columns.find((c) => c.name === `${spec.name}.alpha`);
    let literals = 0;
    let clipped = 0;
    if (modeCol !== undefined && modeCol.type === "int32") {
      const modes = "modes" in spec ? spec.modes.length : 0;
      for (let i = 0; i < modeCol.values.length; i++) {
        const m = modeCol.values[i]!;
        if (m === MODE_LITERAL) {
          literals++;
          clipped++;
        } else if (
          m >= 0 &&
          m < modes &&
          alphaCol?.type === "float64" &&
          Math.abs(alphaCol.values[i]!) > CLIP
        ) {
          clipped++;
        }
      }
    }
    let meanLogLikelihood: number | null = null;
    if ("modes" in spec && input.type !== "string") {
      const vals: number[] = [];
      for (let i = 0; i < input.values.length; i++) {
        if (isNull(input, i)) continue;
        const x = Number(input.values[i]!);
        if (spec.modalValues?.some((v) => Object.is(v, x))) continue;
        const t = spec.kind === "log" ? Math.log(x - (spec.offset ?? 0)) : x;
        if (Number.isFinite(t)) vals.push(t);
      }
      meanLogLikelihood =
        vals.length > 0 ? modesLogLikelihood(spec.modes, Float64Array.from(vals)) : null;
    }
    let nulls = 0;
    for (let i = 0; i < input.values.length; i++) if (isNull(input, i)) nulls++;
    const unavailable: LayoutErrors = {
      exact: 0,
      lost: input.values.length,
      maxAbsError: Number.NaN,
      maxRelError: Number.NaN,
    };
    return {
      name: spec.name,
      kind: spec.kind,
      rows: input.values.length,
      nulls,
      literals,
      clipped,
      compact: compare(input, compactDec.columns[j]!),
      dense: denseDec === null ? unavailable : compare(input, denseDec.columns[j]!),
      meanLogLikelihood,
    };
  });
  return { rows: table.rows, columns };
}
