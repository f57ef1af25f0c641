/**
 * Tables in JSON request and response bodies: `{"rows":[{col: value}]}` or the faster
 * `{"columns":{col:[values]}}`. Values are read into the column types the model expects, exactly
 * or refused with the row and column named (a 400): numbers must be finite (JSON's 1e309 parses
 * as Infinity and is refused), int64 values safe integers or decimal strings, timestamps integers
 * or ISO-8601 strings; null is a missing value.
 */
import type { Column, ColumnType, Table, TimeUnit } from "../core/table.js";
import { formatNumericRows, numericColumns } from "../io/ryu.js";

/** A request body that does not hold the expected table; `row`/`column` locate the value. */
export class BodyError extends Error {
  override name = "BodyError";
  constructor(
    message: string,
    readonly row?: number,
    readonly column?: string,
  ) {
    super(message);
  }
}

/** The shape of a JSON table body. */
export type JsonShape = "rows" | "columns";

/** The column a JSON body must hold: its name, type and (timestamps) unit. */
export interface Field {
  name: string;
  type: ColumnType;
  unit?: TimeUnit;
}

const UNIT_NS: Record<TimeUnit, bigint> = { s: 1_000_000_000n, ms: 1_000_000n, us: 1000n, ns: 1n };

function bad(row: number, column: string, v: unknown, expected: string): BodyError {
  const shown = JSON.stringify(v)?.slice(0, 60) ?? String(v);
  return new BodyError(`row ${row}, column "${column}": ${shown} is not ${expected}.`, row, column);
}

function int64Of(v: unknown, row: number, f: Field): bigint {
  if (typeof v === "number" && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === "string" && /^-?\d{1,19}$/.test(v)) {
    const b = BigInt(v);
    if (b >= -(2n ** 63n) && b < 2n ** 63n) return b;
  }
  throw bad(
    row,
    f.name,
    v,
    "a 64-bit integer (a safe integer, or a decimal string for larger values)",
  );
}

function timestampOf(v: unknown, row: number, f: Field): bigint {
  if (typeof v === "string" && !/^-?\d+$/.test(v)) {
    const ms = Date.parse(v);
    if (!Number.isFinite(ms)) throw bad(row, f.name, v, "an ISO-8601 timestamp or an integer");
    return (BigInt(ms) * 1_000_000n) / UNIT_NS[f.unit ?? "us"];
  }
  return int64Of(v, row, f);
}

/** A column of `f`'s type from JSON values (row numbers start at `firstRow`). */
function columnOf(f: Field, values: readonly unknown[], firstRow: number): Column {
  const n = values.length;
  const nulls = new Uint8Array(n);
  let anyNull = false;
  const each = (set: (v: unknown, i: number) => void) => {
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        nulls[i] = 1;
        anyNull = true;
      } else set(v, i);
    }
  };
  const mask = () => (anyNull ? nulls : null);
  switch (f.type) {
    case "string": {
      const out: (string | null)[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || v === undefined) out[i] = null;
        else if (typeof v === "string") out[i] = v;
        else throw bad(firstRow + i, f.name, v, "a string");
      }
      return { name: f.name, type: "string", values: out };
    }
    case "float64":
    case "float32": {
      const out = f.type === "float64" ? new Float64Array(n) : new Float32Array(n);
      each((v, i) => {
        if (typeof v === "number" && Number.isFinite(v)) out[i] = v;
        else if (v === "NaN" || v === "Infinity" || v === "-Infinity") out[i] = Number(v);
        else
          throw bad(
            firstRow + i,
            f.name,
            v,
            'a finite number (or the string "NaN", "Infinity" or "-Infinity"; 1e309 is out of range)',
          );
      });
      return { name: f.name, type: f.type, values: out, nulls: mask() } as Column;
    }
    case "int32": {
      const out = new Int32Array(n);
      each((v, i) => {
        if (typeof v !== "number" || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
          throw bad(firstRow + i, f.name, v, "a 32-bit integer");
        out[i] = v;
      });
      return { name: f.name, type: "int32", values: out, nulls: mask() };
    }
    case "int64": {
      const out = new BigInt64Array(n);
      each((v, i) => {
        out[i] = int64Of(v, firstRow + i, f);
      });
      return { name: f.name, type: "int64", values: out, nulls: mask() };
    }
    case "bool": {
      const out = new Uint8Array(n);
      each((v, i) => {
        if (typeof v !== "boolean") throw bad(firstRow + i, f.name, v, "true or false");
        out[i] = v ? 1 : 0;
      });
      return { name: f.name, type: "bool", values: out, nulls: mask() };
    }
    case "timestamp": {
      const out = new BigInt64Array(n);
      each((v, i) => {
        out[i] = timestampOf(v, firstRow + i, f);
      });
      return { name: f.name, type: "timestamp", unit: f.unit ?? "us", values: out, nulls: mask() };
    }
  }
}

/**
 * The table of a parsed JSON body holding `fields` (other keys are refused, so a misspelt column
 * is not silently ignored).
 */
export function tableFromJson(
  body: unknown,
  fields: readonly Field[],
  firstRow: number,
): { table: Table; shape: JsonShape } {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new BodyError('the body must be a JSON object {"rows": [...]} or {"columns": {...}}.');
  const b = body as Record<string, unknown>;
  const names = new Set(fields.map((f) => f.name));
  if (Array.isArray(b.rows)) {
    const rows = b.rows as unknown[];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (typeof r !== "object" || r === null || Array.isArray(r))
        throw new BodyError(
          `row ${firstRow + i} must be an object of column values.`,
          firstRow + i,
        );
      for (const f of fields) {
        if (!Object.hasOwn(r, f.name))
          throw new BodyError(
            `row ${firstRow + i} lacks column "${f.name}" (give null for a missing value).`,
            firstRow + i,
            f.name,
          );
      }
      // Every model column is there: a row with more keys has one the model does not.
      let keys = 0;
      for (const _ in r) keys++;
      if (keys === fields.length) continue;
      const k = Object.keys(r).find((x) => !names.has(x))!;
      throw new BodyError(
        `row ${firstRow + i} has column "${k.slice(0, 80)}", which the model does not have (its columns: ${[...names].join(", ")}).`,
        firstRow + i,
        k,
      );
    }
    const columns = fields.map((f) =>
      columnOf(
        f,
        rows.map((r) => (r as Record<string, unknown>)[f.name]),
        firstRow,
      ),
    );
    return { table: { rows: rows.length, columns }, shape: "rows" };
  }
  if (typeof b.columns === "object" && b.columns !== null && !Array.isArray(b.columns)) {
    const cols = b.columns as Record<string, unknown>;
    for (const k of Object.keys(cols)) {
      if (!names.has(k))
        throw new BodyError(
          `column "${k.slice(0, 80)}" is not one the model has (its columns: ${[...names].join(", ")}).`,
          undefined,
          k,
        );
    }
    let rows = -1;
    const columns = fields.map((f) => {
      const v = cols[f.name];
      if (!Array.isArray(v))
        throw new BodyError(`column "${f.name}" is missing or not an array.`, undefined, f.name);
      if (rows >= 0 && v.length !== rows)
        throw new BodyError(
          `column "${f.name}" has ${v.length} values, others ${rows}.`,
          undefined,
          f.name,
        );
      rows = v.length;
      return columnOf(f, v, firstRow);
    });
    return { table: { rows: Math.max(0, rows), columns }, shape: "columns" };
  }
  throw new BodyError(
    'the body must hold "rows" (an array of objects) or "columns" (an object of arrays).',
  );
}

/**
 * Row i of a column as JSON text: numbers in shortest round-trip form with −0 kept as `-0` (so a
 * JSON answer decodes bit for bit), int64 and timestamps beyond ±2^53 as decimal strings, NaN and
 * ±Infinity as the strings "NaN", "Infinity", "-Infinity" (accepted back in float columns).
 */
function jsonText(c: Column, i: number): string {
  if (c.type === "string") {
    const v = c.values[i];
    return v === null || v === undefined ? "null" : JSON.stringify(v);
  }
  if (c.nulls !== null && c.nulls[i] === 1) return "null";
  switch (c.type) {
    case "int64":
    case "timestamp": {
      const v = c.values[i]!;
      return v >= -(2n ** 53n) && v <= 2n ** 53n ? v.toString() : `"${v}"`;
    }
    case "bool":
      return c.values[i] === 1 ? "true" : "false";
    default: {
      const v = c.values[i]!;
      if (Object.is(v, -0)) return "-0";
      return Number.isFinite(v) ? String(v) : `"${v}"`;
    }
  }
}

/** A table as the text of a JSON body of the given shape. */
export function tableToJson(t: Table, shape: JsonShape): string {
  const parts: string[] = [];
  if (shape === "columns") {
    t.columns.forEach((c, j) => {
      const vals = new Array<string>(t.rows);
      for (let i = 0; i < t.rows; i++) vals[i] = jsonText(c, i);
      parts.push(`${j === 0 ? "" : ","}${JSON.stringify(c.name)}:[${vals.join(",")}]`);
    });
    return `{"columns":{${parts.join("")}}}`;
  }
  // Rows: one string grown by concatenation, cheaper here than a part per row joined.
  const keys = t.columns.map((c, j) => `${j === 0 ? "{" : ","}${JSON.stringify(c.name)}:`);
  const m = t.columns.length;
  let out = '{"rows":[';
  for (let i = 0; i < t.rows; i++) {
    if (i > 0) out += ",";
    if (m === 0) out += "{}";
    else {
      for (let j = 0; j < m; j++) out += keys[j]! + jsonText(t.columns[j]!, i);
      out += "}";
    }
  }
  return `${out}]}`;
}

/**
 * A table as the bytes of a JSON body of the given shape: those of {@link tableToJson}'s text.
 * Numeric columns are written by WebAssembly straight to bytes (`formatNumericRows`: about three
 * times faster than the text, which also had to be flattened and encoded to be sent); a table
 * with text columns, or without WebAssembly, gets the text.
 */
export function tableToJsonBytes(t: Table, shape: JsonShape): Uint8Array | string {
  if (t.columns.length === 0 || !numericColumns(t.columns)) return tableToJson(t, shape);
  // Each batch's bytes are copied at once: the WebAssembly memory serves the next batch.
  const parts: Uint8Array[] = [];
  const put = (b: Uint8Array) => parts.push(Buffer.from(b));
  if (shape === "rows") {
    if (t.rows === 0) return tableToJson(t, shape);
    const keys = t.columns.map((c, j) =>
      Buffer.from(`${j === 0 ? "{" : ","}${JSON.stringify(c.name)}:`),
    );
    parts.push(Buffer.from('{"rows":['));
    if (!formatNumericRows(t.columns, t.rows, put, { keys, close: 125 }))
      return tableToJson(t, shape);
    parts.push(Buffer.from("]}"));
    return Buffer.concat(parts);
  }
  parts.push(Buffer.from('{"columns":{'));
  for (let j = 0; j < t.columns.length; j++) {
    const c = t.columns[j]!;
    parts.push(Buffer.from(`${j === 0 ? "" : ","}${JSON.stringify(c.name)}:[`));
    if (!formatNumericRows([c], t.rows, put, { keys: [NO_KEY], close: -1 }))
      return tableToJson(t, shape);
    parts.push(Buffer.from("]"));
  }
  parts.push(Buffer.from("}}"));
  return Buffer.concat(parts);
}

const NO_KEY = new Uint8Array(0);

/** A JSON body kept as text, parsed (a 400 naming the problem when it is not JSON). */
export function parseJson(body: unknown): unknown {
  if (typeof body !== "string")
    throw new BodyError("the body must be JSON (Content-Type: application/json).");
  try {
    return JSON.parse(body);
  } catch (err) {
    throw new BodyError(`the body is not valid JSON: ${(err as Error).message}.`);
  }
}
