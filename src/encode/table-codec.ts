/**
 * Whole tables: fit a model over chosen columns, encode into the compact or dense layout, decode
 * either layout back, and evaluate the round trip.
 */
import { assertUnreachable, InvalidInputError } from "../core/errors.js";
import { type Column, type ColumnType, nullCount, type Table, viewRows } from "../core/table.js";
import { categoricalCodec, fitCategorical } from "./categorical.js";
import type { ColumnCodec, DenseSpan, EncodeContext, OutputField } from "./codec.js";
import { inferKind } from "./infer.js";
import { fitMinMax, minMaxCodec } from "./minmax.js";
import { fitMixtureColumn, type MixtureFitOptions, mixtureCodec } from "./mixture-column.js";
import {
  type ColumnKind,
  type ColumnSpec,
  MODEL_FORMAT,
  MODEL_VERSION,
  type ModelSpec,
  type UnseenPolicy,
} from "./spec.js";

/** Options of {@link fitTable}. */
export interface FitTableOptions {
  /** Columns to fit, in this order. Default: every column of the table. */
  columns?: string[];
  /** Kind per column; the others are inferred ({@link inferKind}). */
  kinds?: Record<string, ColumnKind>;
  /** Mixed columns and their modal values (implies kind `mixed`). */
  mixed?: Record<string, number[]>;
  /** Seed of per-row mode sampling and of the fits. Default 0. */
  seed?: number;
  /** Options of every mixture column. */
  mixture?: Omit<MixtureFitOptions, "modalValues" | "seed">;
  /** Category order; default `frequency`. */
  categoryOrder?: "frequency" | "first-seen";
  /** Unseen categories at transform time; default `error`. */
  unseen?: UnseenPolicy;
}

/** The encoding layouts. */
export type Layout = "compact" | "dense";

/** The codec of a spec's kind. */
export function codecOf(spec: ColumnSpec): ColumnCodec<ColumnSpec> {
  switch (spec.kind) {
    case "continuous":
    case "integer":
    case "datetime":
    case "log":
    case "mixed":
      return mixtureCodec as ColumnCodec<ColumnSpec>;
    case "categorical":
      return categoricalCodec as ColumnCodec<ColumnSpec>;
    case "minmax":
      return minMaxCodec as ColumnCodec<ColumnSpec>;
    default:
      return assertUnreachable(spec);
  }
}

/** The column named `name`, or an error listing the columns that exist. */
export function findColumn(table: Table, name: string, where = "the data"): Column {
  const c = table.columns.find((col) => col.name === name);
  if (c === undefined) {
    const names = table.columns.map((col) => JSON.stringify(col.name)).join(", ");
    throw new InvalidInputError(
      `column "${name}" does not exist in ${where}; the columns are: ${names}.`,
    );
  }
  return c;
}

/** A column chosen for fitting, with its kind. */
export interface FitColumn {
  name: string;
  column: Column;
  kind: ColumnKind;
}

/**
 * The columns to fit and their kinds (given, or inferred from `table`'s rows), after checking the
 * options against the table.
 * @throws InvalidInputError for an empty table, no columns, a column listed twice, an unknown
 *   column, or an option on a column that is not fitted.
 */
export function resolveFitColumns(table: Table, options: FitTableOptions = {}): FitColumn[] {
  if (table.rows === 0) {
    throw new InvalidInputError("the data has no rows; fit on a table with at least one row.");
  }
  const names = options.columns ?? table.columns.map((c) => c.name);
  if (names.length === 0) throw new InvalidInputError("no columns to fit.");
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new InvalidInputError(`column "${n}" is listed twice.`);
    seen.add(n);
  }
  for (const n of [...Object.keys(options.kinds ?? {}), ...Object.keys(options.mixed ?? {})]) {
    if (!seen.has(n)) findColumn(table, n); // an error listing the columns when n does not exist
    if (!seen.has(n))
      throw new InvalidInputError(
        `column "${n}" has an option but is not among the fitted columns.`,
      );
  }
  return names.map((name) => {
    const column = findColumn(table, name);
    const kind: ColumnKind =
      options.mixed?.[name] !== undefined ? "mixed" : (options.kinds?.[name] ?? inferKind(column));
    return { name, column, kind };
  });
}

/** Throws when every one of a column's `rows` values is missing. */
export function checkNotAllMissing(name: string, rows: number, missing: number): void {
  if (missing === rows) {
    throw new InvalidInputError(
      `column "${name}": all ${missing} values are missing, so there is nothing to fit. Leave the column out (--columns) or fill it.`,
    );
  }
}

/**
 * Fits one spec per chosen column.
 * @throws InvalidInputError for unknown columns, an empty table, a column of only missing values,
 *   or a kind that does not fit the column's type.
 */
export function fitTable(table: Table, options: FitTableOptions = {}): ModelSpec {
  const seed = options.seed ?? 0;
  const columns = resolveFitColumns(table, options).map(({ name, column: col, kind }) => {
    checkNotAllMissing(name, table.rows, nullCount(col));
    switch (kind) {
      case "categorical":
        return fitCategorical(col, {
          order: options.categoryOrder ?? "frequency",
          unseen: options.unseen ?? "error",
        });
      case "minmax":
        return fitMinMax(col);
      case "continuous":
      case "integer":
      case "datetime":
      case "log":
      case "mixed":
        return fitMixtureColumn(col, kind, {
          ...options.mixture,
          seed,
          modalValues: options.mixed?.[name],
        });
      default:
        return assertUnreachable(kind);
    }
  });
  return { format: MODEL_FORMAT, version: MODEL_VERSION, seed, columns };
}

/** The output columns of a layout, in order. */
export function layoutFields(model: ModelSpec, layout: Layout): OutputField[] {
  if (layout === "compact") return model.columns.flatMap((s) => codecOf(s).compactFields(s));
  return denseSpans(model).flatMap((sp) =>
    sp.outputs.map((name) => ({ name, type: "float32" as ColumnType })),
  );
}

/** The dense layout's spans (CTGAN's output info), in column order. */
export function denseSpans(model: ModelSpec): DenseSpan[] {
  return model.columns.flatMap((s) => codecOf(s).denseSpans(s));
}

/** Rejects a data column whose type cannot be encoded by `spec`. */
export function checkDtype(spec: ColumnSpec, col: Column): void {
  const numeric = (t: ColumnType) => t !== "string";
  if (numeric(spec.dtype) !== numeric(col.type)) {
    throw new InvalidInputError(
      `column "${spec.name}" is ${col.type} in the data but was ${spec.dtype} when the model was fitted. Use the model fitted on this kind of data, or refit.`,
    );
  }
}

/**
 * Output columns `transformTable` may write into (compact layout): whole columns in the layout's
 * order, the table's rows going to rows [offset, offset + rows); null for a column to allocate.
 * The result's columns are views of them where a codec used them (compare the buffers).
 */
export interface TransformInto {
  columns: readonly (Column | null)[];
  offset: number;
}

/**
 * Encodes the model's columns of `table`. `firstRow` is the global index of the table's first row
 * (for chunked data), so that per-row randomness does not depend on chunking.
 */
export function transformTable(
  model: ModelSpec,
  table: Table,
  options: { layout?: Layout; firstRow?: number; into?: TransformInto } = {},
): Table {
  const layout = options.layout ?? "compact";
  const out: Column[] = [];
  let field = 0;
  model.columns.forEach((spec, columnIndex) => {
    const col = findColumn(table, spec.name, "the data (the model has this column)");
    checkDtype(spec, col);
    const ctx: EncodeContext = { seed: model.seed, columnIndex, firstRow: options.firstRow ?? 0 };
    const codec = codecOf(spec);
    if (layout === "compact") {
      const into = options.into;
      if (into !== undefined) {
        const n = codec.compactFields(spec).length;
        ctx.outputs = into.columns
          .slice(field, field + n)
          .map((c) =>
            c === null || c.type === "string"
              ? null
              : viewRows(c, into.offset, into.offset + table.rows),
          );
        field += n;
      }
      out.push(...codec.encodeCompact(spec, col, ctx));
    } else {
      const arrays = codec.encodeDense(spec, col, ctx);
      const names = codec.denseSpans(spec).flatMap((sp) => sp.outputs);
      arrays.forEach((values, j) => {
        out.push({ name: names[j]!, type: "float32", values, nulls: null });
      });
    }
  });
  return { rows: table.rows, columns: out };
}

/** Which layout an encoded table is in, by its column names. */
export function detectLayout(model: ModelSpec, encoded: Table): Layout {
  const have = new Set(encoded.columns.map((c) => c.name));
  const missing = (layout: Layout) =>
    layoutFields(model, layout)
      .filter((f) => !f.name.endsWith(".residual") && !have.has(f.name))
      .map((f) => f.name);
  const compactMissing = missing("compact");
  if (compactMissing.length === 0) return "compact";
  const denseMissing = missing("dense");
  if (denseMissing.length === 0) return "dense";
  throw new InvalidInputError(
    `the encoded data matches neither layout of this model: the compact layout lacks ${compactMissing.slice(0, 5).join(", ")}${compactMissing.length > 5 ? ", …" : ""}; the dense layout lacks ${denseMissing.slice(0, 5).join(", ")}${denseMissing.length > 5 ? ", …" : ""}. Was it encoded with another model?`,
  );
}

function toFloat32(c: Column): Float32Array {
  if (c.type === "float32") return c.values;
  if (c.type === "float64" || c.type === "int32") return Float32Array.from(c.values);
  throw new InvalidInputError(
    `column "${c.name}" must be numeric in the dense layout, got ${c.type}.`,
  );
}

/**
 * Decodes an encoded table (either layout, detected by its column names). `into`: output columns
 * (in the model's order; null for one to allocate) of exactly the table's rows, values and null
 * masks all zero, that the compact layout's codecs may write into; the result's columns are them
 * where a codec used them (compare the buffers). `firstRow`: the global index of the table's first
 * row (default 0), so that messages name a row of the whole input.
 */
export function inverseTable(
  model: ModelSpec,
  encoded: Table,
  options: { into?: readonly (Column | null)[]; firstRow?: number } = {},
): Table {
  const layout = detectLayout(model, encoded);
  const byName = new Map(encoded.columns.map((c) => [c.name, c]));
  const columns = model.columns.map((spec, j) => {
    const codec = codecOf(spec);
    if (layout === "compact") {
      const cols = codec
        .compactFields(spec)
        .map((f) => byName.get(f.name))
        .filter((c): c is Column => c !== undefined);
      return codec.decodeCompact(spec, cols, options.into?.[j] ?? null, options.firstRow ?? 0);
    }
    const outputs = codec
      .denseSpans(spec)
      .flatMap((sp) => sp.outputs)
      .map((name) => toFloat32(byName.get(name)!));
    return codec.decodeDense(spec, outputs);
  });
  return { rows: encoded.rows, columns };
}
