/** Allocating table columns and checking tables handed to the writers. */
import { type ArrayBin, nullMaskFor, valuesClass } from "../core/array-bin.js";
import { InvalidInputError } from "../core/errors.js";
import type { Column, ColumnType, Table, TimeUnit } from "../core/table.js";
import { COLUMN_TYPES } from "./options.js";

/** Name, type and (for timestamps) unit of a column, before it has values. */
export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** Meaningful for `timestamp` only. */
  unit: TimeUnit;
}

export const TIME_UNITS: readonly TimeUnit[] = ["s", "ms", "us", "ns"];

/** A zero-filled column of `rows` values with no null mask (`nulls: null`). */
export function allocateColumn(spec: ColumnSpec, rows: number): Column {
  const { name } = spec;
  switch (spec.type) {
    case "float64":
      return { name, type: "float64", values: new Float64Array(rows), nulls: null };
    case "float32":
      return { name, type: "float32", values: new Float32Array(rows), nulls: null };
    case "int64":
      return { name, type: "int64", values: new BigInt64Array(rows), nulls: null };
    case "int32":
      return { name, type: "int32", values: new Int32Array(rows), nulls: null };
    case "bool":
      return { name, type: "bool", values: new Uint8Array(rows), nulls: null };
    case "string":
      return { name, type: "string", values: new Array<string | null>(rows).fill(null) };
    case "timestamp":
      return {
        name,
        type: "timestamp",
        unit: spec.unit,
        values: new BigInt64Array(rows),
        nulls: null,
      };
  }
}

/**
 * A column of `rows` values as {@link allocateColumn}, with the values array from `bin`
 * (`ArrayBin.alloc`: a kept array holds what its last owner left in it, for readers that write
 * every row; a shared bin gives shared memory).
 */
export function allocateColumnFrom(bin: ArrayBin | null, spec: ColumnSpec, rows: number): Column {
  if (bin === null || spec.type === "string") return allocateColumn(spec, rows);
  const values = bin.alloc(valuesClass(spec.type), rows);
  const { name } = spec;
  return (
    spec.type === "timestamp"
      ? { name, type: spec.type, unit: spec.unit, values, nulls: null }
      : { name, type: spec.type, values, nulls: null }
  ) as Column;
}

/** The null mask of a non-string column, allocated (all zero) on first use. */
export function nullsOf(col: Exclude<Column, { type: "string" }>): Uint8Array {
  if (col.nulls === null) col.nulls = nullMaskFor(col.values, col.values.length);
  return col.nulls;
}

const ARRAY_OF: Record<ColumnType, string> = {
  float64: "Float64Array",
  float32: "Float32Array",
  int64: "BigInt64Array",
  int32: "Int32Array",
  bool: "Uint8Array",
  string: "Array",
  timestamp: "BigInt64Array",
};

function valuesMatch(c: Column): boolean {
  switch (c.type) {
    case "float64":
      return c.values instanceof Float64Array;
    case "float32":
      return c.values instanceof Float32Array;
    case "int64":
    case "timestamp":
      return c.values instanceof BigInt64Array;
    case "int32":
      return c.values instanceof Int32Array;
    case "bool":
      return c.values instanceof Uint8Array;
    case "string":
      return Array.isArray(c.values);
  }
}

/**
 * Checks a table before writing: at least one column, unique non-empty names, known types,
 * values arrays of the right class and length, null masks of the right length.
 */
export function checkTable(path: string, table: Table): void {
  if (typeof table !== "object" || table === null || !Array.isArray(table.columns)) {
    throw new InvalidInputError(`${path}: not a table ({ rows, columns: Column[] })`);
  }
  if (!Number.isInteger(table.rows) || table.rows < 0) {
    throw new InvalidInputError(`${path}: table.rows must be an integer >= 0; got ${table.rows}`);
  }
  if (table.columns.length === 0) {
    throw new InvalidInputError(`${path}: the table has no columns; nothing to write`);
  }
  const seen = new Set<string>();
  for (const c of table.columns) {
    if (typeof c.name !== "string" || c.name === "") {
      throw new InvalidInputError(`${path}: every column needs a non-empty name`);
    }
    if (seen.has(c.name)) {
      throw new InvalidInputError(`${path}: two columns are named "${c.name}"; rename one`);
    }
    seen.add(c.name);
    const what = `${path}: column "${c.name}"`;
    if (!COLUMN_TYPES.includes(c.type)) {
      throw new InvalidInputError(`${what}: unknown type ${JSON.stringify(c.type)}`);
    }
    if (!valuesMatch(c)) {
      throw new InvalidInputError(`${what}: type ${c.type} needs values in a ${ARRAY_OF[c.type]}`);
    }
    if (c.values.length !== table.rows) {
      throw new InvalidInputError(
        `${what}: has ${c.values.length} values but the table has ${table.rows} rows`,
      );
    }
    if (c.type !== "string" && c.nulls !== null) {
      if (!(c.nulls instanceof Uint8Array) || c.nulls.length !== table.rows) {
        throw new InvalidInputError(`${what}: nulls must be null or a Uint8Array of ${table.rows}`);
      }
    }
    if (c.type === "timestamp" && !TIME_UNITS.includes(c.unit)) {
      throw new InvalidInputError(
        `${what}: unknown time unit ${JSON.stringify(c.unit)}; use one of ${TIME_UNITS.join(", ")}`,
      );
    }
  }
}

/** Concatenates tables of the same columns into one of `rows` rows. */
export function concatTables(parts: readonly Table[], rows: number): Table {
  if (parts.length === 1) return parts[0]!;
  const columns = parts[0]!.columns.map((c0, j): Column => {
    if (c0.type === "string") {
      const values: (string | null)[] = [];
      for (const p of parts) for (const v of (p.columns[j] as typeof c0).values) values.push(v);
      return { ...c0, values };
    }
    const values = new (c0.values.constructor as new (n: number) => typeof c0.values)(rows);
    const anyNulls = parts.some((p) => (p.columns[j] as typeof c0).nulls !== null);
    const nulls = anyNulls ? new Uint8Array(rows) : null;
    let at = 0;
    for (const p of parts) {
      const c = p.columns[j] as typeof c0;
      (values as { set(a: ArrayLike<unknown>, o: number): void }).set(c.values, at);
      if (nulls !== null && c.nulls !== null) nulls.set(c.nulls, at);
      at += c.values.length;
    }
    return { ...c0, values, nulls } as Column;
  });
  return { rows, columns };
}
