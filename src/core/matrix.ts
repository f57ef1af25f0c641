/**
 * Dense row-major matrices of float64 and the few linear-algebra routines the mixtures need
 * (Cholesky factorisation and triangular inversion of small d×d blocks).
 */
import { InvalidInputError } from "./errors.js";

/** A dense row-major matrix: element (i, j) is `data[i·cols + j]`. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/**
 * What the API accepts as a data matrix: nested arrays (n × d), a `Matrix`, or a flat
 * `number[]` / `Float64Array` that is read as a single column (n × 1) — the common 1-D case.
 */
export type MatrixInput = Matrix | ArrayLike<number> | ReadonlyArray<ArrayLike<number>>;

function isMatrix(x: unknown): x is Matrix {
  return (
    typeof x === "object" &&
    x !== null &&
    (x as Matrix).data instanceof Float64Array &&
    typeof (x as Matrix).rows === "number" &&
    typeof (x as Matrix).cols === "number"
  );
}

/**
 * Converts API input into a `Matrix` without copying when it already is one.
 *
 * @param name - the argument's name, used in error messages.
 * @throws InvalidInputError when the input is not rectangular, has no rows or columns, or holds
 *   something other than numbers. Finiteness is checked separately ({@link checkFinite}).
 */
export function toMatrix(input: MatrixInput, name = "X"): Matrix {
  if (isMatrix(input)) {
    if (input.rows * input.cols !== input.data.length) {
      throw new InvalidInputError(
        `${name}: rows × cols = ${input.rows} × ${input.cols} does not match data.length ${input.data.length}.`,
      );
    }
    return input;
  }
  if (input instanceof Float64Array) return { data: input, rows: input.length, cols: 1 };
  if (input === null || typeof input !== "object" || typeof input.length !== "number") {
    throw new InvalidInputError(
      `${name}: expected a 2-D array (n rows × d columns), a Float64Array or a {data, rows, cols} matrix, got ${typeof input}.`,
    );
  }
  const n = input.length;
  if (n === 0) return { data: new Float64Array(0), rows: 0, cols: 0 };
  const first = (input as ArrayLike<unknown>)[0];
  if (typeof first === "number") {
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = (input as ArrayLike<unknown>)[i];
      if (typeof v !== "number") {
        throw new InvalidInputError(
          `${name}: row ${i} is ${describe(v)}, expected a number (a flat array is read as one column).`,
        );
      }
      data[i] = v;
    }
    return { data, rows: n, cols: 1 };
  }
  const rows = input as ReadonlyArray<ArrayLike<number>>;
  const cols = typeof rows[0] === "object" && rows[0] !== null ? rows[0].length : undefined;
  if (typeof cols !== "number") {
    throw new InvalidInputError(
      `${name}: row 0 is ${describe(rows[0])}, expected an array of numbers.`,
    );
  }
  const data = new Float64Array(n * cols);
  for (let i = 0; i < n; i++) {
    const row = rows[i];
    if (row === null || typeof row !== "object" || typeof row.length !== "number") {
      throw new InvalidInputError(
        `${name}: row ${i} is ${describe(row)}, expected an array of numbers (or pass a flat array of numbers for one column).`,
      );
    }
    if (row.length !== cols) {
      throw new InvalidInputError(
        `${name}: row ${i} has ${row.length} values but row 0 has ${cols}; every row needs the same number of columns.`,
      );
    }
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== "number") {
        throw new InvalidInputError(
          `${name}: row ${i}, column ${j} is ${describe(v)}, expected a number.`,
        );
      }
      data[i * cols + j] = v;
    }
  }
  return { data, rows: n, cols };
}

function describe(v: unknown): string {
  if (typeof v === "string")
    return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (v === null) return "null";
  return typeof v;
}

/**
 * Largest |value| a mixture accepts: squares stay below 1e200, so sums of squares over 10¹² rows
 * cannot overflow float64.
 */
export const MAX_ABS_VALUE = 1e100;

/**
 * Throws when any value is NaN, ±Infinity or beyond ±{@link MAX_ABS_VALUE}, naming the first offending row and column.
 * @throws InvalidInputError
 */
export function checkFinite(m: Matrix, name = "X"): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v)) {
      const row = Math.floor(i / cols);
      throw new InvalidInputError(
        `${name}: row ${row}, column ${i - row * cols} is ${v}. Mixtures are fitted on finite values only: drop or impute such rows first.`,
      );
    }
    if (Math.abs(v) > MAX_ABS_VALUE) {
      const row = Math.floor(i / cols);
      throw new InvalidInputError(
        `${name}: row ${row}, column ${i - row * cols} is ${v}; values beyond ±${MAX_ABS_VALUE} would overflow the mixture's second moments. Rescale the column first (e.g. divide it by a power of 10).`,
      );
    }
  }
}

/**
 * In-place lower Cholesky factorisation of the symmetric d×d block of `a` starting at `offset`
 * (row-major): on success the lower triangle holds L with A = L Lᵀ and the strict upper triangle
 * is zeroed. Returns false (leaving `a` partly overwritten) when A is not positive definite.
 */
export function choleskyLower(a: Float64Array, offset: number, d: number): boolean {
  for (let j = 0; j < d; j++) {
    let s = a[offset + j * d + j]!;
    for (let p = 0; p < j; p++) {
      const l = a[offset + j * d + p]!;
      s -= l * l;
    }
    // `!(s > 0)` also rejects NaN.
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    a[offset + j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[offset + i * d + j]!;
      for (let p = 0; p < j; p++) t -= a[offset + i * d + p]! * a[offset + j * d + p]!;
      a[offset + i * d + j] = t / ljj;
    }
    for (let i = 0; i < j; i++) a[offset + i * d + j] = 0;
  }
  return true;
}

/**
 * Writes (L⁻¹)ᵀ — upper triangular — for the lower-triangular d×d block L at `offset` of `l`
 * into `out` at `outOffset`. This is scikit-learn's precision Cholesky factor: if Σ = L Lᵀ then
 * Σ⁻¹ = P Pᵀ with P = (L⁻¹)ᵀ.
 */
export function invLowerTransposed(
  l: Float64Array,
  offset: number,
  d: number,
  out: Float64Array,
  outOffset: number,
): void {
  // Solve L y = e_c column by column (forward substitution); y is column c of L⁻¹, i.e. row c of P.
  for (let c = 0; c < d; c++) {
    for (let i = 0; i < d; i++) {
      if (i < c) {
        out[outOffset + c * d + i] = 0;
        continue;
      }
      let s = i === c ? 1 : 0;
      for (let p = c; p < i; p++) s -= l[offset + i * d + p]! * out[outOffset + c * d + p]!;
      out[outOffset + c * d + i] = s / l[offset + i * d + i]!;
    }
  }
}

/** out (d×d at outOffset) = P Pᵀ for the d×d block P at `offset`. */
export function multiplyByTranspose(
  p: Float64Array,
  offset: number,
  d: number,
  out: Float64Array,
  outOffset: number,
): void {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let q = 0; q < d; q++) s += p[offset + i * d + q]! * p[offset + j * d + q]!;
      out[outOffset + i * d + j] = s;
    }
  }
}

/**
 * Flattens a number or nested arrays of numbers of any depth into a Float64Array (row-major), for
 * parameters given as nested arrays (precisions K×d×d, priors d×d, …).
 * @param name - the parameter's name, used in error messages.
 * @throws InvalidInputError for anything but numbers, and for non-finite values.
 */
export function flatNumbers(name: string, x: unknown): Float64Array {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "number") out.push(v);
    else if (
      v !== null &&
      typeof v === "object" &&
      typeof (v as ArrayLike<unknown>).length === "number"
    ) {
      const a = v as ArrayLike<unknown>;
      for (let i = 0; i < a.length; i++) walk(a[i]);
    } else {
      throw new InvalidInputError(`${name}: expected numbers, got ${describe(v)}.`);
    }
  };
  walk(x);
  for (const v of out) {
    if (!Number.isFinite(v))
      throw new InvalidInputError(`${name}: values must be finite, got ${v}.`);
  }
  return Float64Array.from(out);
}
