/**
 * Round-trip evaluation: encode, decode, and compare every value with the input, for both layouts.
 */
import { InvalidInputError } from "../core/errors.js";
import { type Column, isNull, nullCount, type Table } from "../core/table.js";
import { CLIP, modesLogLikelihood } from "./mixture-column.js";
import { MODE_LITERAL, type ModelSpec } from "./spec.js";
import { checkDtype, codecOf, findColumn } from "./table-codec.js";

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
  /** Compact-layout rows whose alpha alone does not decode exactly, so a residual is stored. */
  residuals: number;
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
  /** How many values `meanLogLikelihood` averages (0 for other kinds). */
  logLikelihoodValues: number;
}

/** The evaluation of a table (or of a range of its rows). */
export interface TableEvaluation {
  rows: number;
  columns: ColumnEvaluation[];
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

/** Rows [start, end) of a column (views, not copies, for typed arrays). */
function sliceColumn(c: Column, start: number, end: number): Column {
  if (c.type === "string") return { ...c, values: c.values.slice(start, end) };
  const nulls = c.nulls === null ? null : c.nulls.subarray(start, end);
  return { ...c, values: c.values.subarray(start, end), nulls } as Column;
}

function mergeErrors(into: LayoutErrors, e: LayoutErrors): void {
  into.exact += e.exact;
  into.lost += e.lost;
  if (!(e.maxAbsError <= into.maxAbsError)) into.maxAbsError = e.maxAbsError;
  if (!(e.maxRelError <= into.maxRelError)) into.maxRelError = e.maxRelError;
}

/** Dense-layout values held at once while evaluating (4 MiB of float32). */
const DENSE_CHUNK_VALUES = 1 << 20;

/**
 * Encodes `table` with `model` in both layouts, decodes, and compares every value. Works one
 * column at a time, and through the dense layout in row chunks, so memory stays near the size of
 * the data even for categorical columns with thousands of categories.
 * @throws InvalidInputError when the table lacks a model column or has the wrong type.
 */
export function evaluateTable(
  model: ModelSpec,
  table: Table,
  options: { firstRow?: number } = {},
): TableEvaluation {
  const firstRow = options.firstRow ?? 0;
  const columns = model.columns.map((spec, j) => {
    const input = findColumn(table, spec.name, "the data (the model has this column)");
    checkDtype(spec, input);
    const codec = codecOf(spec);
    const n = input.values.length;
    const enc = codec.encodeCompact(spec, input, { seed: model.seed, columnIndex: j, firstRow });
    const compact = compare(input, codec.decodeCompact(spec, enc));
    const alphaCol = enc.find((c) => c.name === `${spec.name}.alpha`);
    const modeCol = enc.find((c) => c.name === `${spec.name}.mode`);
    const residualCol = enc.find((c) => c.name === `${spec.name}.residual`);
    const residuals =
      residualCol === undefined ? 0 : residualCol.values.length - nullCount(residualCol);
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
    const width = codec.denseSpans(spec).reduce((w, sp) => w + sp.outputs.length, 0);
    const chunk = Math.max(1, Math.floor(DENSE_CHUNK_VALUES / Math.max(1, width)));
    let dense: LayoutErrors = { exact: 0, lost: 0, maxAbsError: 0, maxRelError: 0 };
    try {
      for (let s = 0; s < n; s += chunk) {
        const part = sliceColumn(input, s, Math.min(n, s + chunk));
        const outs = codec.encodeDense(spec, part, {
          seed: model.seed,
          columnIndex: j,
          firstRow: firstRow + s,
        });
        mergeErrors(dense, compare(part, codec.decodeDense(spec, outs)));
      }
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      // The dense layout cannot hold missing values of a column fitted without any; the compact
      // layout can. Report the dense layout as unavailable rather than failing the evaluation.
      dense = { exact: 0, lost: n, maxAbsError: Number.NaN, maxRelError: Number.NaN };
    }
    let meanLogLikelihood: number | null = null;
    let logLikelihoodValues = 0;
    if ("modes" in spec && input.type !== "string") {
      const vals = new Float64Array(n);
      const modal = spec.modalValues ?? [];
      let m = 0;
      for (let i = 0; i < n; i++) {
        if (isNull(input, i)) continue;
        const x = Number(input.values[i]!);
        if (modal.length > 0 && modal.some((v) => Object.is(v, x))) continue;
        const t = spec.kind === "log" ? Math.log(x - (spec.offset ?? 0)) : x;
        if (Number.isFinite(t)) vals[m++] = t;
      }
      logLikelihoodValues = m;
      meanLogLikelihood = m > 0 ? modesLogLikelihood(spec.modes, vals.subarray(0, m)) : null;
    }
    const nulls = nullCount(input);
    return {
      name: spec.name,
      kind: spec.kind,
      rows: n,
      nulls,
      literals,
      residuals,
      clipped,
      compact,
      dense,
      meanLogLikelihood,
      logLikelihoodValues,
    };
  });
  return { rows: table.rows, columns };
}

/** The evaluation of two disjoint row ranges of the same table and model. */
export function mergeEvaluations(a: TableEvaluation, b: TableEvaluation): TableEvaluation {
  return {
    rows: a.rows + b.rows,
    columns: a.columns.map((ca, j) => {
      const cb = b.columns[j]!;
      const compact = { ...ca.compact };
      const dense = { ...ca.dense };
      mergeErrors(compact, cb.compact);
      mergeErrors(dense, cb.dense);
      const n = ca.logLikelihoodValues + cb.logLikelihoodValues;
      const meanLogLikelihood =
        n === 0
          ? null
          : ((ca.meanLogLikelihood ?? 0) * ca.logLikelihoodValues +
              (cb.meanLogLikelihood ?? 0) * cb.logLikelihoodValues) /
            n;
      return {
        ...ca,
        rows: ca.rows + cb.rows,
        nulls: ca.nulls + cb.nulls,
        literals: ca.literals + cb.literals,
        residuals: ca.residuals + cb.residuals,
        clipped: ca.clipped + cb.clipped,
        compact,
        dense,
        meanLogLikelihood,
        logLikelihoodValues: n,
      };
    }),
  };
}
