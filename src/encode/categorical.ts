/**
 * Categorical columns: one index per row into the categories seen at fit time (RDT's
 * `OneHotEncoder` / `LabelEncoder`; CTGAN's discrete columns, one softmax span each).
 *
 * Categories are identified by their canonical text (see {@link categoryText}), so the model file
 * stores them as strings whatever the column's type, and decode rebuilds the original type from
 * `spec.dtype`: int64 values exactly (BigInt text), floats bit for bit (−0 and NaN are categories
 * of their own; every NaN payload becomes the canonical NaN).
 */
import { InvalidInputError } from "../core/errors.js";
import { type Column, type ColumnType, isNull } from "../core/table.js";
import type { ColumnCodec, DenseSpan, EncodeContext, OutputField } from "./codec.js";
import { type CategoricalColumnSpec, MODE_NULL, type UnseenPolicy } from "./spec.js";

/** Category order of {@link fitCategorical}. */
export type CategoryOrder = CategoricalColumnSpec["order"];

/** Options of {@link fitCategorical}. */
export interface CategoricalFitOptions {
  /**
   * `frequency` (default): most frequent first, ties broken by first appearance.
   * `first-seen`: in order of first appearance.
   */
  order?: CategoryOrder;
  /**
   * What transform does with a value not seen at fit time. `error` (default): throw
   * InvalidInputError. `other`: encode it into an extra "other" slot (which decodes to null).
   */
  unseen?: UnseenPolicy;
}

export const CATEGORICAL_DEFAULTS: Required<CategoricalFitOptions> = {
  order: "frequency",
  unseen: "error",
};

const ORDERS: readonly CategoryOrder[] = ["frequency", "first-seen"];
const UNSEEN: readonly UnseenPolicy[] = ["error", "other"];

/** Column types a categorical column can hold (timestamps are datetime or minmax columns). */
export const CATEGORICAL_DTYPES: readonly ColumnType[] = [
  "string",
  "bool",
  "int32",
  "int64",
  "float64",
  "float32",
];

/**
 * Options with defaults filled in.
 * @throws InvalidInputError for an unknown `order` or `unseen` value.
 */
export function resolveCategoricalOptions(
  options: CategoricalFitOptions = {},
): Required<CategoricalFitOptions> {
  const r = { ...CATEGORICAL_DEFAULTS };
  if (options.order !== undefined) r.order = options.order;
  if (options.unseen !== undefined) r.unseen = options.unseen;
  if (!ORDERS.includes(r.order)) {
    throw new InvalidInputError(
      `order must be one of ${ORDERS.map((o) => `"${o}"`).join(", ")}, got ${JSON.stringify(r.order)}.`,
    );
  }
  if (!UNSEEN.includes(r.unseen)) {
    throw new InvalidInputError(
      `unseen must be one of ${UNSEEN.map((o) => `"${o}"`).join(", ")}, got ${JSON.stringify(r.unseen)}.`,
    );
  }
  return r;
}

/**
 * A category's identity inside a Map: the string itself, the number (NaN is one key; −0 gets the
 * key "-0" because Map treats −0 and +0 as equal), or the BigInt.
 */
type Key = string | number | bigint;

function keyAt(col: Column, i: number): Key {
  switch (col.type) {
    case "string":
      return col.values[i]!;
    case "float64":
    case "float32": {
      const x = col.values[i]!;
      return x === 0 && Object.is(x, -0) ? "-0" : x;
    }
    case "int32":
      return col.values[i]!;
    case "bool":
      return col.values[i]! === 0 ? 0 : 1;
    case "int64":
    case "timestamp":
      return col.values[i]!;
  }
}

function keyText(dtype: ColumnType, k: Key): string {
  if (dtype === "bool") return k === 0 ? "false" : "true";
  return typeof k === "string" ? k : String(k);
}

function textKey(dtype: ColumnType, text: string): Key {
  switch (dtype) {
    case "string":
      return text;
    case "float64":
    case "float32":
      return text === "-0" ? "-0" : Number(text);
    case "int32":
      return Number(text);
    case "bool":
      return text === "true" ? 1 : 0;
    case "int64":
    case "timestamp":
      return BigInt(text);
  }
}

/**
 * The canonical text of row i (which must not be missing): strings as they are; numbers as
 * `String(x)` (shortest round-trip form, "NaN", "Infinity", and "-0" for −0); int64 and timestamp
 * values as BigInt decimal text; booleans as "true" / "false".
 */
export function categoryText(col: Column, i: number): string {
  return keyText(col.type, keyAt(col, i));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Whether `text` is the canonical text ({@link categoryText}) of some value of type `dtype`, so
 * that decode rebuilds that value exactly. Used to validate model files.
 */
export function isCanonicalCategory(dtype: ColumnType, text: string): boolean {
  switch (dtype) {
    case "string":
      return true;
    case "bool":
      return text === "true" || text === "false";
    case "float64":
    case "float32": {
      if (text === "-0") return true;
      const x = Number(text);
      if (String(x) !== text) return false;
      return dtype === "float64" || Number.isNaN(x) || Math.fround(x) === x;
    }
    case "int32": {
      const x = Number(text);
      return String(x) === text && x === (x | 0);
    }
    case "int64":
    case "timestamp": {
      if (!/^-?\d+$/.test(text)) return false;
      const b = BigInt(text);
      return b.toString() === text && b >= INT64_MIN && b <= INT64_MAX;
    }
  }
}

/**
 * Running counts of a categorical column's values over consecutive row ranges: the mergeable
 * summary behind {@link fitCategorical} and streaming fits. Categories keep the order of their
 * first appearance, so {@link mergeCategoryTallies}(a, b) with a's rows before b's gives the tally
 * of all rows, and {@link categoricalFromTally} the same spec as a fit on all rows at once.
 */
export interface CategoryTally {
  name: string;
  dtype: ColumnType;
  index: Map<Key, number>;
  keys: Key[];
  counts: number[];
  rows: number;
  nulls: number;
}

/**
 * An empty tally for a column of type `dtype`.
 * @throws InvalidInputError for a timestamp column (fit timestamps as datetime or minmax).
 */
export function createCategoryTally(name: string, dtype: ColumnType): CategoryTally {
  if (dtype === "timestamp") {
    throw new InvalidInputError(
      `column "${name}" holds timestamps, which categorical columns do not support. Fit it as datetime or minmax, or convert it to strings first.`,
    );
  }
  return { name, dtype, index: new Map(), keys: [], counts: [], rows: 0, nulls: 0 };
}

/** Counts the rows of `col` (of the tally's type) into the tally. */
export function addToCategoryTally(t: CategoryTally, col: Column): void {
  const n = col.values.length;
  t.rows += n;
  for (let i = 0; i < n; i++) {
    if (isNull(col, i)) {
      t.nulls++;
      continue;
    }
    const k = keyAt(col, i);
    const j = t.index.get(k);
    if (j === undefined) {
      t.index.set(k, t.keys.length);
      t.keys.push(k);
      t.counts.push(1);
    } else t.counts[j]!++;
  }
}

/** The tally of a's rows followed by b's (a is left unchanged). */
export function mergeCategoryTallies(a: CategoryTally, b: CategoryTally): CategoryTally {
  const out: CategoryTally = {
    ...a,
    index: new Map(a.index),
    keys: [...a.keys],
    counts: [...a.counts],
    rows: a.rows + b.rows,
    nulls: a.nulls + b.nulls,
  };
  b.keys.forEach((k, jb) => {
    const j = out.index.get(k);
    if (j === undefined) {
      out.index.set(k, out.keys.length);
      out.keys.push(k);
      out.counts.push(b.counts[jb]!);
    } else out.counts[j]! += b.counts[jb]!;
  });
  return out;
}

/** The spec of a tally (see {@link fitCategorical}). */
export function categoricalFromTally(
  t: CategoryTally,
  options: CategoricalFitOptions = {},
): CategoricalColumnSpec {
  const o = resolveCategoricalOptions(options);
  const perm = t.keys.map((_, j) => j);
  // Array.prototype.sort is stable, and the tie-break on j makes that explicit anyway.
  if (o.order === "frequency") perm.sort((a, b) => t.counts[b]! - t.counts[a]! || a - b);
  return {
    name: t.name,
    kind: "categorical",
    dtype: t.dtype,
    categories: perm.map((j) => keyText(t.dtype, t.keys[j]!)),
    order: o.order,
    counts: perm.map((j) => t.counts[j]!),
    unseen: o.unseen,
    nullable: t.nulls > 0,
    rows: t.rows,
    nullCount: t.nulls,
  };
}

/**
 * Fits a categorical column: the distinct non-missing values, their counts, and their order.
 *
 * @param col any column type but `timestamp` (fit timestamps as datetime or minmax).
 * @param options see {@link CategoricalFitOptions}; defaults in {@link CATEGORICAL_DEFAULTS}.
 * @returns the spec; `nullable` is true when the column has missing values. An empty or all-missing
 *   column gives an empty category list (every later value is then unseen).
 * @throws InvalidInputError for a timestamp column or an invalid option.
 */
export function fitCategorical(
  col: Column,
  options: CategoricalFitOptions = {},
): CategoricalColumnSpec {
  resolveCategoricalOptions(options);
  const t = createCategoryTally(col.name, col.type);
  addToCategoryTally(t, col);
  return categoricalFromTally(t, options);
}

/** Per-spec lookup tables, built once per spec object (specs are treated as immutable). */
interface Prepared {
  /** Category key (of `spec.dtype`) → index. */
  byKey: Map<Key, number>;
  /** Canonical text → index, for input columns whose type differs from `spec.dtype`. */
  byText: Map<string, number>;
}

const prepared = new WeakMap<CategoricalColumnSpec, Prepared>();

function prepare(spec: CategoricalColumnSpec): Prepared {
  let p = prepared.get(spec);
  if (p === undefined) {
    const byKey = new Map<Key, number>();
    const byText = new Map<string, number>();
    spec.categories.forEach((text, j) => {
      byKey.set(textKey(spec.dtype, text), j);
      byText.set(text, j);
    });
    p = { byKey, byText };
    prepared.set(spec, p);
  }
  return p;
}

/**
 * Index of every row: 0…C−1 a category, C the "other" slot (unseen "other"), MODE_NULL missing.
 * A column of another type than `spec.dtype` is matched through canonical text (an int64 5 finds
 * the int32 category "5", a string "5" too).
 */
function encodeIndices(
  spec: CategoricalColumnSpec,
  col: Column,
  ctx: EncodeContext,
  unseen: UnseenPolicy = spec.unseen,
): Int32Array {
  const p = prepare(spec);
  const n = col.values.length;
  const out = new Int32Array(n);
  const C = spec.categories.length;
  const sameType = col.type === spec.dtype;
  for (let i = 0; i < n; i++) {
    if (isNull(col, i)) {
      out[i] = MODE_NULL;
      continue;
    }
    const j = sameType ? p.byKey.get(keyAt(col, i)) : p.byText.get(categoryText(col, i));
    if (j !== undefined) out[i] = j;
    else if (unseen === "other") out[i] = C;
    else {
      const shown = col.type === "string" ? JSON.stringify(col.values[i]) : categoryText(col, i);
      throw new InvalidInputError(
        `column "${spec.name}": row ${ctx.firstRow + i} has the value ${shown}, which is not one of the ${C} categories seen at fit time. Refit on data that includes it, or fit with unseen "other" (--unseen other) to encode unseen values into an "other" slot.`,
      );
    }
  }
  return out;
}

/**
 * Each row's category index: 0…C−1 a category, C a value unseen at fit time (whatever the spec's
 * unseen policy), MODE_NULL missing.
 */
export function categoryIndices(spec: CategoricalColumnSpec, col: Column): Int32Array {
  return encodeIndices(spec, col, { seed: 0, columnIndex: 0, firstRow: 0 }, "other");
}

function nullError(spec: CategoricalColumnSpec, row: number): InvalidInputError {
  return new InvalidInputError(
    `column "${spec.name}": row ${row} is missing, but the model was fitted without missing values, so the dense layout has no null slot. Refit on data that includes missing values, or use the compact layout.`,
  );
}

/** A name for a special slot that no category's output name takes. */
function slotName(spec: CategoricalColumnSpec, base: string): string {
  let label = `<${base}>`;
  while (spec.categories.includes(label)) label = `<${label}>`;
  return `${spec.name}=${label}`;
}

function softmaxOutputs(spec: CategoricalColumnSpec): string[] {
  const o = spec.categories.map((c) => `${spec.name}=${c}`);
  if (spec.unseen === "other") o.push(slotName(spec, "other"));
  if (spec.nullable) o.push(slotName(spec, "null"));
  return o;
}

/** The decoded column of `spec.dtype`, from per-row indices (−1 = null). */
function buildColumn(spec: CategoricalColumnSpec, idx: Int32Array): Column {
  const n = idx.length;
  const cats = spec.categories;
  let anyNull = false;
  for (let i = 0; i < n; i++) if (idx[i]! < 0) anyNull = true;
  const nulls = anyNull ? new Uint8Array(n) : null;
  if (nulls !== null) for (let i = 0; i < n; i++) if (idx[i]! < 0) nulls[i] = 1;
  const name = spec.name;
  switch (spec.dtype) {
    case "string": {
      const values: (string | null)[] = new Array(n);
      for (let i = 0; i < n; i++) values[i] = idx[i]! < 0 ? null : cats[idx[i]!]!;
      return { name, type: "string", values };
    }
    case "float64":
    case "float32": {
      const table = Float64Array.from(cats, (t) => Number(t));
      const values = spec.dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
      for (let i = 0; i < n; i++) if (idx[i]! >= 0) values[i] = table[idx[i]!]!;
      return spec.dtype === "float64"
        ? { name, type: "float64", values: values as Float64Array, nulls }
        : { name, type: "float32", values: values as Float32Array, nulls };
    }
    case "int32": {
      const table = Int32Array.from(cats, (t) => Number(t));
      const values = new Int32Array(n);
      for (let i = 0; i < n; i++) if (idx[i]! >= 0) values[i] = table[idx[i]!]!;
      return { name, type: "int32", values, nulls };
    }
    case "bool": {
      const values = new Uint8Array(n);
      for (let i = 0; i < n; i++) if (idx[i]! >= 0) values[i] = cats[idx[i]!] === "true" ? 1 : 0;
      return { name, type: "bool", values, nulls };
    }
    case "int64": {
      const table = BigInt64Array.from(cats, (t) => BigInt(t));
      const values = new BigInt64Array(n);
      for (let i = 0; i < n; i++) if (idx[i]! >= 0) values[i] = table[idx[i]!]!;
      return { name, type: "int64", values, nulls };
    }
    case "timestamp":
      throw new InvalidInputError(
        `column "${name}": a categorical spec cannot have dtype "timestamp"; the model is corrupted. Refit it.`,
      );
  }
}

/**
 * The codec of categorical columns.
 *
 * - Compact: one int32 column `<name>.index`: 0…C−1 the category (in `spec.categories` order), C
 *   the "other" slot (only with unseen "other"), {@link MODE_NULL} (−2) a missing value. Missing
 *   values are encoded even when the fit saw none.
 * - Dense: one softmax span with outputs `<name>=<category>` per category, then `<name>=<other>`
 *   (unseen "other"), then `<name>=<null>` (when `spec.nullable`). Should a category literally be
 *   "<other>" or "<null>", the special slot takes more angle brackets ("<<null>>") so names stay
 *   unique. Decode takes the argmax of the span, the first maximum on ties; NaN never wins.
 * - The "other" slot decodes to null, for every dtype: no value of the column's type stands for
 *   "some value unseen at fit time", and a marker string such as "<other>" could collide with a
 *   real category and would behave differently per dtype. The compact index still tells the two
 *   apart (C vs −2) for callers who need to.
 *
 * Errors (InvalidInputError): an unseen value with unseen "error" (names column, global row, value,
 * category count, fix); a missing value in the dense layout of a spec fitted without missing values;
 * a compact index out of range at decode.
 */
export const categoricalCodec: ColumnCodec<CategoricalColumnSpec> = {
  compactFields(spec): OutputField[] {
    return [{ name: `${spec.name}.index`, type: "int32" }];
  },

  encodeCompact(spec, col, ctx): Column[] {
    const values = encodeIndices(spec, col, ctx);
    return [{ name: `${spec.name}.index`, type: "int32", values, nulls: null }];
  },

  decodeCompact(spec, cols, _into, firstRow = 0): Column {
    const c = cols[0];
    if (c === undefined || (c.type !== "int32" && c.type !== "int64")) {
      throw new InvalidInputError(
        `column "${spec.name}": the compact encoding needs an integer column "${spec.name}.index", got ${c === undefined ? "none" : `a ${c.type} column "${c.name}"`}.`,
      );
    }
    const C = spec.categories.length;
    const top = spec.unseen === "other" ? C : C - 1;
    const n = c.values.length;
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (c.nulls !== null && c.nulls[i] === 1) {
        idx[i] = -1;
        continue;
      }
      const v = Number(c.values[i]!);
      if (v === MODE_NULL || (v === C && spec.unseen === "other")) idx[i] = -1;
      else if (v >= 0 && v < C) idx[i] = v;
      else {
        throw new InvalidInputError(
          `column "${spec.name}.index": row ${firstRow + i} is ${v}, but the model has ${C} categories (valid codes: −2 null, 0…${top}${top === C ? `, where ${C} is "other"` : ""}). Was it encoded with another model?`,
        );
      }
    }
    return buildColumn(spec, idx);
  },

  denseSpans(spec): DenseSpan[] {
    const outputs = softmaxOutputs(spec);
    return outputs.length === 0 ? [] : [{ column: spec.name, activation: "softmax", outputs }];
  },

  encodeDense(spec, col, ctx): Float32Array[] {
    const idx = encodeIndices(spec, col, ctx);
    const n = idx.length;
    const width = softmaxOutputs(spec).length;
    const slots = Array.from({ length: width }, () => new Float32Array(n));
    const nullSlot = spec.nullable ? width - 1 : -1;
    for (let i = 0; i < n; i++) {
      const j = idx[i]!;
      if (j === MODE_NULL) {
        if (nullSlot < 0) throw nullError(spec, ctx.firstRow + i);
        slots[nullSlot]![i] = 1;
      } else slots[j]![i] = 1;
    }
    return slots;
  },

  decodeDense(spec, outputs): Column {
    const width = softmaxOutputs(spec).length;
    if (outputs.length !== width) {
      throw new InvalidInputError(
        `column "${spec.name}": the dense layout has ${width} outputs for this column, got ${outputs.length}. Pass the outputs of denseSpans(spec) in order.`,
      );
    }
    const n = width === 0 ? 0 : outputs[0]!.length;
    const C = spec.categories.length;
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestValue = outputs[0]![i]!;
      for (let j = 1; j < width; j++) {
        const v = outputs[j]![i]!;
        // A number replaces a NaN leader; a NaN never wins.
        if (v > bestValue || (Number.isNaN(bestValue) && !Number.isNaN(v))) {
          best = j;
          bestValue = v;
        }
      }
      idx[i] = best < C ? best : -1; // "other" and null slots both decode to null
    }
    return buildColumn(spec, idx);
  },
};
