/**
 * In-memory tables: named, typed columns with explicit missing values. The common currency of
 * the I/O layer (which fills them from CSV / Parquet) and the encoders (which read and write them).
 * Plain data, no Node APIs.
 */
import { InvalidInputError } from "./errors.js";

/** Timestamp resolution of a `timestamp` column's int64 values (since the Unix epoch, UTC). */
export type TimeUnit = "s" | "ms" | "us" | "ns";

/** `nulls[i] === 1` marks row i as missing (null); the value slot is then meaningless. */
export type NullMask = Uint8Array | null;

export interface Float64Column {
  name: string;
  type: "float64";
  values: Float64Array;
  nulls: NullMask;
}
export interface Int64Column {
  name: string;
  type: "int64";
  values: BigInt64Array;
  nulls: NullMask;
}
export interface Int32Column {
  name: string;
  type: "int32";
  values: Int32Array;
  nulls: NullMask;
}
export interface Float32Column {
  name: string;
  type: "float32";
  values: Float32Array;
  nulls: NullMask;
}
export interface BoolColumn {
  name: string;
  type: "bool";
  /** 0 or 1. */
  values: Uint8Array;
  nulls: NullMask;
}
export interface StringColumn {
  name: string;
  type: "string";
  /** null marks a missing value. */
  values: (string | null)[];
}
export interface TimestampColumn {
  name: string;
  type: "timestamp";
  unit: TimeUnit;
  /** Time since the epoch in `unit`. */
  values: BigInt64Array;
  nulls: NullMask;
}

export type Column =
  | Float64Column
  | Float32Column
  | Int64Column
  | Int32Column
  | BoolColumn
  | StringColumn
  | TimestampColumn;

export type ColumnType = Column["type"];

/** A table: columns of equal length. */
export interface Table {
  rows: number;
  columns: Column[];
}

/**
 * Row i of a numeric column as a float64 (int64 and timestamps through Number, so rounded past
 * 2^53; booleans as 0/1).
 * @throws InvalidInputError for a text column, naming the column, row and value.
 */
export function numericValue(col: Column, i: number): number {
  switch (col.type) {
    case "int64":
    case "timestamp":
      return Number(col.values[i]!);
    case "string":
      throw new InvalidInputError(
        `column "${col.name}": row ${i} is the string ${JSON.stringify(col.values[i])}, but a numeric column was expected. Fit it as categorical, or convert it to numbers first.`,
      );
    default:
      return col.values[i]!;
  }
}

/** Length of a column. */
export function columnLength(c: Column): number {
  return c.values.length;
}

/** Whether row i of a column is missing. */
export function isNull(c: Column, i: number): boolean {
  if (c.type === "string") return c.values[i] === null;
  return c.nulls !== null && c.nulls[i] === 1;
}

/** Number of missing values in a column. */
export function nullCount(c: Column): number {
  let n = 0;
  if (c.type === "string") {
    for (const v of c.values) if (v === null) n++;
    return n;
  }
  if (c.nulls === null) return 0;
  for (let i = 0; i < c.nulls.length; i++) n += c.nulls[i]!;
  return n;
}

/** Rows [start, end) of a typed column as views of its arrays (no copy). */
export function viewRows<C extends Exclude<Column, { type: "string" }>>(
  c: C,
  start: number,
  end: number,
): C {
  return {
    ...c,
    values: c.values.subarray(start, end),
    nulls: c.nulls === null ? null : c.nulls.subarray(start, end),
  };
}

/**
 * Rows [start, end) of the given columns, each copied into a buffer of its own (so it can be
 * transferred to another thread or kept after the source is dropped).
 */
export function copyRows(columns: readonly Column[], start: number, end: number): Table {
  return {
    rows: end - start,
    columns: columns.map((c): Column => {
      if (c.type === "string") return { ...c, values: c.values.slice(start, end) };
      const nulls = c.nulls === null ? null : c.nulls.slice(start, end);
      return { ...c, values: c.values.slice(start, end), nulls } as Column;
    }),
  };
}
