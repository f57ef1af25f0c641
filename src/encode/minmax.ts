/**
 * Min–max columns ("general" columns of CTAB-GAN, Zhao et al. 2021): v = 2(x − min)/(max − min) − 1
 * maps the fitted range onto [−1, 1], with an exact inverse in the compact layout. Evaluated as
 * v = (x − centre)/half, x = v·half + centre (see {@link decodeMinMax} for why).
 *
 * Exactness: one function, {@link decodeMinMax}, is the decoder, and the encoder accepts v only
 * when that very function gives x back (bit for bit for float64, −0 included; after rounding to
 * float32 / to an integer for those dtypes). Starting from the formula's v it steps v one ulp at a
 * time towards x, at most {@link MAX_ULP_STEPS} steps; when no v works (NaN, ±∞, −0, values whose
 * ulp is finer than v's grid near ±1, e.g. x ≈ 0 when min = 0) the row is a literal: mode −1 and
 * alpha = x. int64 and timestamp values cannot be literals in a float64 alpha, so those dtypes get a
 * third column `<name>.residual` (int64, null where 0) and decode as round(decoded) + residual,
 * exact for every int64.
 */
import { InvalidInputError } from "../core/errors.js";
import {
  type Column,
  type ColumnType,
  isNull,
  numericValue,
  type TimeUnit,
} from "../core/table.js";
import type { ColumnCodec, DenseSpan, EncodeContext, OutputField } from "./codec.js";
import { MAX_ULP_STEPS, nextDown, nextUp } from "./exact.js";
import { type MinMaxColumnSpec, MODE_LITERAL, MODE_NULL } from "./spec.js";

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** Code of `<name>.mode` for a row whose alpha is v (not a literal, not missing). */
export const MODE_NORMAL = 0;

/**
 * Running bounds of a min–max column over row ranges (mergeable in any order): finite bounds, and
 * whether any value was finite at all.
 */
export interface MinMaxTally {
  name: string;
  dtype: ColumnType;
  unit?: TimeUnit;
  min: number;
  max: number;
  rows: number;
  nulls: number;
}

/**
 * An empty tally.
 * @throws InvalidInputError for a string column.
 */
export function createMinMaxTally(name: string, dtype: ColumnType, unit?: TimeUnit): MinMaxTally {
  if (dtype === "string") {
    throw new InvalidInputError(
      `column "${name}" holds text, so it cannot be fitted as minmax. Fit it as categorical, or convert it to numbers first.`,
    );
  }
  const t: MinMaxTally = {
    name,
    dtype,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    rows: 0,
    nulls: 0,
  };
  if (unit !== undefined) t.unit = unit;
  return t;
}

/** Adds the rows of `col` to the tally: ±∞ and NaN never become bounds. */
export function addToMinMaxTally(t: MinMaxTally, col: Column): void {
  const n = col.values.length;
  t.rows += n;
  let { min, max } = t;
  for (let i = 0; i < n; i++) {
    if (isNull(col, i)) {
      t.nulls++;
      continue;
    }
    const x = numericValue(col, i);
    if (!Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  t.min = min;
  t.max = max;
}

/** The tally of both row ranges. */
export function mergeMinMaxTallies(a: MinMaxTally, b: MinMaxTally): MinMaxTally {
  return {
    ...a,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
    rows: a.rows + b.rows,
    nulls: a.nulls + b.nulls,
  };
}

/** The spec of a tally (see {@link fitMinMax}). */
export function minMaxFromTally(t: MinMaxTally): MinMaxColumnSpec {
  const empty = t.min > t.max;
  const spec: MinMaxColumnSpec = {
    name: t.name,
    kind: "minmax",
    dtype: t.dtype,
    min: empty ? 0 : t.min + 0, // −0 → 0: JSON-stable, and a −0 bound never helps exactness
    max: empty ? 0 : t.max + 0,
    nullable: t.nulls > 0,
    rows: t.rows,
    nullCount: t.nulls,
  };
  if (t.dtype === "timestamp") spec.unit = t.unit;
  return spec;
}

/**
 * Fits a min–max column: min and max over the finite, non-missing values (int64 and timestamps
 * through `Number()`; exactness is restored by the residual column). −0 is stored as 0. A column
 * with no finite value gets min = max = 0 (its values are then stored as literals).
 * @throws InvalidInputError for a string column.
 */
export function fitMinMax(col: Column): MinMaxColumnSpec {
  const t = createMinMaxTally(col.name, col.type, col.type === "timestamp" ? col.unit : undefined);
  addToMinMaxTally(t, col);
  return minMaxFromTally(t);
}

/** Constants of the affine map, computed once per spec. */
export interface MinMaxScale {
  /** Half the range, max/2 − min/2 (never overflows, unlike max − min). */
  half: number;
  /** The centre, max/2 + min/2 rounded to a multiple of ulp(max(|min|, |max|)). */
  center: number;
}

/** The spacing of float64 values at |x| (the gap above, or below for the largest finite value). */
function ulpOf(x: number): number {
  const a = Math.abs(x);
  const up = nextUp(a);
  return Number.isFinite(up) ? up - a : a - nextDown(a);
}

/**
 * The constants of {@link decodeMinMax} for a spec. The centre is rounded to a multiple of the ulp
 * of max(|min|, |max|): then adding it is exact on the grid of the largest values, where an odd
 * multiple of half an ulp would make every sum a tie (rounded to even) and leave half the values
 * without an exact v. The shift is below one ulp of the data, so v moves by a negligible amount.
 */
export function minMaxScale(spec: Pick<MinMaxColumnSpec, "min" | "max">): MinMaxScale {
  const u = ulpOf(Math.max(Math.abs(spec.min), Math.abs(spec.max)));
  // c / u ≤ 2^53 and u is a power of two, so both steps are exact.
  const center = Math.round((spec.max / 2 + spec.min / 2) / u) * u;
  return { half: spec.max / 2 - spec.min / 2, center: center + 0 };
}

/**
 * The decoder, x = v · (max − min)/2 + (max + min)/2, mathematically the same map as
 * ((v + 1)/2)(max − min) + min, and the one formula both directions use.
 *
 * Why this evaluation order: it is the mixture columns' α·s + μ, and it leaves far fewer values
 * without an exact v. Literal fractions measured on 200k rows with the column's own min and max
 * (this form vs ((v + 1)/2)·(max − min) + min): N(0, 1) 14% vs 79%, N(50, 10) 1% vs 8%,
 * U[0, 10] 3% vs 25%, sin(i) 0% vs 44%, prices 1000.00…10000.00 9% vs 11%, U[−5, 5] 12% vs 10%,
 * log-uniform on [1, 1e6] 85% vs 86%. The rounding of v + 1 is what costs the other form. Values
 * much closer to 0 than to the centre (|x| ≪ |x − centre|) have no exact v in either form: v's
 * grid is coarser than x's there, so they are stored literally (still exact).
 *
 * Halving is exact except in the subnormal range; there the literal fallback keeps the encoding
 * exact.
 */
export function decodeMinMax(v: number, s: MinMaxScale): number {
  return v * s.half + s.center;
}

/** The formula's v = (x − centre) / half for x, before the exactness search; 0 when max = min. */
export function scaleMinMax(x: number, s: MinMaxScale): number {
  if (s.half === 0) return 0;
  return (x - s.center) / s.half;
}

/** How a decoded float64 becomes a value of the column's type, as a float64. */
type Restore = (d: number) => number;
const RESTORE: Record<"float" | "float32" | "integer", Restore> = {
  float: (d) => d,
  float32: Math.fround,
  integer: Math.round,
};

/**
 * A v with `restore(decodeMinMax(v)) === target` (same bits, −0 told from +0), or NaN. Walks from
 * the formula's v towards the target; decode is monotone in v, so stepping over it means no v
 * reaches it.
 */
function exactV(target: number, s: MinMaxScale, restore: Restore): number {
  let v = scaleMinMax(target, s);
  if (!Number.isFinite(v)) return Number.NaN;
  let dir = 0;
  for (let step = 0; step <= MAX_ULP_STEPS; step++) {
    const d = restore(decodeMinMax(v, s));
    if (d === target) return d !== 0 || Object.is(d, target) ? v : Number.NaN;
    if (Number.isNaN(d)) return Number.NaN;
    const want = d < target ? 1 : -1;
    if (dir !== 0 && want !== dir) return Number.NaN;
    dir = want;
    v = dir > 0 ? nextUp(v) : nextDown(v);
  }
  return Number.NaN;
}

function isBig(dtype: MinMaxColumnSpec["dtype"]): boolean {
  return dtype === "int64" || dtype === "timestamp";
}

function restoreOf(dtype: MinMaxColumnSpec["dtype"]): Restore {
  if (dtype === "float64") return RESTORE.float;
  if (dtype === "float32") return RESTORE.float32;
  return RESTORE.integer;
}

interface CompactArrays {
  alpha: Float64Array;
  mode: Int32Array;
  residual: BigInt64Array | null;
  residualNulls: Uint8Array | null;
}

function checkType(spec: MinMaxColumnSpec, col: Column): void {
  if (col.type === "string") {
    throw new InvalidInputError(
      `column "${spec.name}" holds text, but the model fitted it as minmax (${spec.dtype}). Convert it to numbers, or refit.`,
    );
  }
}

/** Whether x (from a column of another type) is a value of the spec's dtype. */
function representable(dtype: MinMaxColumnSpec["dtype"], x: number): boolean {
  switch (dtype) {
    case "int32":
      return Number.isInteger(x) && x >= -2147483648 && x <= 2147483647;
    case "bool":
      return x === 0 || x === 1;
    case "int64":
    case "timestamp":
      return Number.isInteger(x);
    default:
      return true; // float64 holds every number; float32 rounds (documented)
  }
}

function encodeArrays(spec: MinMaxColumnSpec, col: Column, firstRow: number): CompactArrays {
  checkType(spec, col);
  const s = minMaxScale(spec);
  const restore = restoreOf(spec.dtype);
  const n = col.values.length;
  const alpha = new Float64Array(n);
  const mode = new Int32Array(n);
  const big = isBig(spec.dtype);
  const bigInput = col.type === "int64" || col.type === "timestamp";
  const convert = col.type !== spec.dtype && !(big && bigInput);
  const residual = big ? new BigInt64Array(n) : null;
  const residualNulls = big ? new Uint8Array(n).fill(1) : null;
  for (let i = 0; i < n; i++) {
    if (isNull(col, i)) {
      mode[i] = MODE_NULL;
      continue;
    }
    let x = numericValue(col, i);
    if (convert) {
      if (!representable(spec.dtype, x)) {
        throw new InvalidInputError(
          `column "${spec.name}": row ${firstRow + i} is ${x}, which the model's ${spec.dtype} column cannot hold (the model was fitted on ${spec.dtype} data, this column is ${col.type}). Refit on this data, or convert the column to ${spec.dtype}.`,
        );
      }
      if (spec.dtype === "float32") x = Math.fround(x);
    }
    const v = Number.isFinite(x) ? exactV(x, s, restore) : Number.NaN;
    if (big) {
      // Every int64 is exact through the residual: round(decode(v)) need only be close.
      const b = bigInput ? (col.values[i] as bigint) : BigInt(x);
      const a = Number.isNaN(v) ? scaleMinMax(x, s) : v;
      let d = Math.round(decodeMinMax(a, s));
      if (Number.isFinite(d)) alpha[i] = a;
      else {
        // Unreachable for int64 values (|x| < 2^63 keeps every step finite); kept as a guard.
        mode[i] = MODE_LITERAL;
        alpha[i] = d = x;
      }
      const r = b - BigInt(d);
      if (r !== 0n) {
        residual![i] = r;
        residualNulls![i] = 0;
      }
    } else if (Number.isNaN(v)) {
      mode[i] = MODE_LITERAL;
      alpha[i] = x;
    } else alpha[i] = v;
  }
  return { alpha, mode, residual, residualNulls };
}

function outputColumn(spec: MinMaxColumnSpec, n: number): Column {
  const nulls = new Uint8Array(n);
  const name = spec.name;
  switch (spec.dtype) {
    case "int64":
      return { name, type: "int64", values: new BigInt64Array(n), nulls };
    case "timestamp":
      return {
        name,
        type: "timestamp",
        unit: spec.unit ?? "ms",
        values: new BigInt64Array(n),
        nulls,
      };
    case "int32":
      return { name, type: "int32", values: new Int32Array(n), nulls };
    case "float32":
      return { name, type: "float32", values: new Float32Array(n), nulls };
    case "bool":
      return { name, type: "bool", values: new Uint8Array(n), nulls };
    case "float64":
      return { name, type: "float64", values: new Float64Array(n), nulls };
    case "string":
      throw new InvalidInputError(
        `column "${name}": a minmax spec cannot have dtype "string"; the model is corrupted. Refit it.`,
      );
  }
}

function finishNulls(out: Column): Column {
  if (out.type !== "string" && out.nulls !== null && !out.nulls.includes(1)) out.nulls = null;
  return out;
}

function nullError(spec: MinMaxColumnSpec, row: number): InvalidInputError {
  return new InvalidInputError(
    `column "${spec.name}": row ${row} is missing, but the model was fitted without missing values, so the dense layout has no null slot. Refit on data that includes missing values, or use the compact layout.`,
  );
}

/** Writes a decoded (already restored) value into row i; BigInt columns add the residual. */
function store(out: Column, i: number, x: number, residual: bigint): void {
  switch (out.type) {
    case "int64":
    case "timestamp": {
      // Clamped: the dense layout's v = 1 at max ≈ 2^63 rounds just past the int64 range.
      const b = BigInt(x) + residual;
      out.values[i] = b > INT64_MAX ? INT64_MAX : b < INT64_MIN ? INT64_MIN : b;
      break;
    }
    case "bool":
      out.values[i] = x >= 0.5 ? 1 : 0;
      break;
    case "int32":
      out.values[i] = Math.max(-2147483648, Math.min(2147483647, x));
      break;
    case "string":
      break;
    default:
      out.values[i] = x;
  }
}

/**
 * The codec of min–max columns.
 *
 * - Compact: `<name>.alpha` float64 (v, or the value itself for literals; v leaves [−1, 1] for
 *   values outside the fitted range), `<name>.mode` int32 ({@link MODE_NORMAL} 0,
 *   {@link MODE_LITERAL} −1, {@link MODE_NULL} −2), and for int64 / timestamp dtypes
 *   `<name>.residual` int64 (null where 0). Exact for every value (NaN decodes as the canonical
 *   NaN).
 * - Dense: a `tanh` span `[<name>.value]` (float32, v clipped to [−1, 1]; NaN gives 0, ±∞ give ±1),
 *   plus, when `spec.nullable`, a softmax span `[<name>.present, <name>.null]`. Decode clips the
 *   value to [−1, 1] (NaN → 0), and rounds for integer dtypes.
 *
 * @throws InvalidInputError for a string column, a missing value in the dense layout of a spec
 *   fitted without missing values, or malformed compact columns at decode.
 */
export const minMaxCodec: ColumnCodec<MinMaxColumnSpec> = {
  compactFields(spec): OutputField[] {
    const f: OutputField[] = [
      { name: `${spec.name}.alpha`, type: "float64" },
      { name: `${spec.name}.mode`, type: "int32" },
    ];
    if (isBig(spec.dtype)) f.push({ name: `${spec.name}.residual`, type: "int64" });
    return f;
  },

  encodeCompact(spec, col, ctx: EncodeContext): Column[] {
    const a = encodeArrays(spec, col, ctx.firstRow);
    const out: Column[] = [
      { name: `${spec.name}.alpha`, type: "float64", values: a.alpha, nulls: null },
      { name: `${spec.name}.mode`, type: "int32", values: a.mode, nulls: null },
    ];
    if (a.residual !== null) {
      out.push({
        name: `${spec.name}.residual`,
        type: "int64",
        values: a.residual,
        nulls: a.residualNulls,
      });
    }
    return out;
  },

  decodeCompact(spec, cols, _into, firstRow = 0): Column {
    const alphaCol = cols[0];
    const modeCol = cols[1];
    const resCol = cols[2];
    const big = isBig(spec.dtype);
    if (
      alphaCol?.type !== "float64" ||
      (modeCol?.type !== "int32" && modeCol?.type !== "int64") ||
      (big && resCol?.type !== "int64")
    ) {
      throw new InvalidInputError(
        `column "${spec.name}": the compact encoding needs "${spec.name}.alpha" (float64) and "${spec.name}.mode" (integer)${big ? ` and "${spec.name}.residual" (int64)` : ""} columns, in that order.`,
      );
    }
    const n = alphaCol.values.length;
    if (modeCol.values.length !== n || (resCol !== undefined && resCol.values.length !== n)) {
      throw new InvalidInputError(
        `column "${spec.name}": the compact columns have different lengths (alpha ${n}, mode ${modeCol.values.length}${resCol !== undefined ? `, residual ${resCol.values.length}` : ""}); they must come from one encode.`,
      );
    }
    const s = minMaxScale(spec);
    const restore = restoreOf(spec.dtype);
    const out = outputColumn(spec, n);
    const nulls = (out as { nulls: Uint8Array }).nulls;
    const res = big && resCol?.type === "int64" ? resCol : null;
    for (let i = 0; i < n; i++) {
      const m = Number(modeCol.values[i]!);
      if (m === MODE_NULL || (modeCol.nulls !== null && modeCol.nulls[i] === 1)) {
        nulls[i] = 1;
        continue;
      }
      const a = alphaCol.values[i]!;
      let x: number;
      if (m === MODE_NORMAL) x = restore(decodeMinMax(a, s));
      else if (m === MODE_LITERAL) x = big ? Math.round(a) : a;
      else {
        throw new InvalidInputError(
          `column "${spec.name}.mode": row ${firstRow + i} is ${m}, but a minmax column only has codes 0 (value), −1 (literal) and −2 (null). Was it encoded with another model?`,
        );
      }
      let r = 0n;
      if (res !== null && !(res.nulls !== null && res.nulls[i] === 1)) r = res.values[i]!;
      if (big && !Number.isFinite(x)) {
        throw new InvalidInputError(
          `column "${spec.name}.alpha": row ${firstRow + i} decodes to ${x}, which an ${spec.dtype} column cannot hold. Was it encoded with another model?`,
        );
      }
      store(out, i, x, r);
    }
    return finishNulls(out);
  },

  denseSpans(spec): DenseSpan[] {
    const spans: DenseSpan[] = [
      { column: spec.name, activation: "tanh", outputs: [`${spec.name}.value`] },
    ];
    if (spec.nullable) {
      spans.push({
        column: spec.name,
        activation: "softmax",
        outputs: [`${spec.name}.present`, `${spec.name}.null`],
      });
    }
    return spans;
  },

  encodeDense(spec, col, ctx): Float32Array[] {
    checkType(spec, col);
    const s = minMaxScale(spec);
    const n = col.values.length;
    const value = new Float32Array(n);
    const present = spec.nullable ? new Float32Array(n) : null;
    const isNullSlot = spec.nullable ? new Float32Array(n) : null;
    for (let i = 0; i < n; i++) {
      if (isNull(col, i)) {
        if (isNullSlot === null) throw nullError(spec, ctx.firstRow + i);
        isNullSlot[i] = 1;
        continue;
      }
      if (present !== null) present[i] = 1;
      const x = numericValue(col, i);
      // The dense layout is lossy by design: the formula's v, clipped, no exactness search.
      const v = Number.isNaN(x) ? 0 : scaleMinMax(x, s);
      value[i] = Number.isNaN(v) ? 0 : Math.max(-1, Math.min(1, v));
    }
    return present === null ? [value] : [value, present, isNullSlot!];
  },

  decodeDense(spec, outputs): Column {
    const want = spec.nullable ? 3 : 1;
    if (outputs.length !== want) {
      throw new InvalidInputError(
        `column "${spec.name}": the dense layout has ${want} outputs for this column, got ${outputs.length}. Pass the outputs of denseSpans(spec) in order.`,
      );
    }
    const s = minMaxScale(spec);
    const restore = restoreOf(spec.dtype);
    const value = outputs[0]!;
    const present = spec.nullable ? outputs[1]! : null;
    const nullSlot = spec.nullable ? outputs[2]! : null;
    const n = value.length;
    const out = outputColumn(spec, n);
    const nulls = (out as { nulls: Uint8Array }).nulls;
    for (let i = 0; i < n; i++) {
      // argmax of [present, null], the first on ties; a NaN never wins.
      if (
        present !== null &&
        (nullSlot![i]! > present[i]! || (Number.isNaN(present[i]!) && !Number.isNaN(nullSlot![i]!)))
      ) {
        nulls[i] = 1;
        continue;
      }
      const raw = value[i]!;
      const v = Number.isNaN(raw) ? 0 : Math.max(-1, Math.min(1, raw));
      store(out, i, restore(decodeMinMax(v, s)), 0n);
    }
    return finishNulls(out);
  },
};
