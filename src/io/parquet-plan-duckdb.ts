/**
 * Planning the reading of Parquet files through DuckDB: each selected column's type, the SQL
 * expression that reads it and the check that every value reads exactly.
 *
 * Type mapping (DuckDB type of the Parquet column → `ColumnType`):
 * DOUBLE → float64; FLOAT → float32; BIGINT → int64 (bit-exact); INTEGER, SMALLINT, TINYINT,
 * UTINYINT, USMALLINT → int32; UINTEGER → int64; UBIGINT, HUGEINT, UHUGEINT and DECIMAL(p, 0) →
 * int64 (an error naming row and value if one does not fit); DECIMAL(p, s > 0) → float64 when
 * every value is the shortest decimal of its double (`0.10` is, `0.1234567890123456789` is not;
 * else an error naming row and value); with `wideAsText`, those wide types are read as their
 * exact text instead. A forced type is checked the same way (an integer type takes only whole
 * numbers, float64 only values it holds exactly). BOOLEAN → bool; VARCHAR, ENUM →
 * string; TIMESTAMP_S/_MS/TIMESTAMP/_NS → timestamp s/ms/us/ns; TIMESTAMPTZ → timestamp us (UTC);
 * DATE → timestamp s (midnight UTC). Parquet has no seconds unit, so `writeTable` stores a
 * seconds column as microseconds and records the unit in the file's key-value metadata
 * (`modenorm.timestamp_units`), which restores it here. Anything else (TIME, INTERVAL, BLOB,
 * LIST, STRUCT, …) is an `InvalidInputError`.
 */

import { type DuckDBConnection, type DuckDBDecimalType, DuckDBTypeId } from "@duckdb/node-api";
import { InvalidInputError } from "../core/errors.js";
import type { ColumnType, TimeUnit } from "../core/table.js";
import type { ColumnSpec } from "./columns.js";
import { connectDuckDb, duckDbMessage, sqlIdent, sqlPathLiteral } from "./duckdb.js";
import { type ResolvedReadOptions, selectColumns } from "./options.js";
import {
  type ColumnPlan,
  filesOf,
  fixedSignatures,
  type ParquetParts,
  TIMESTAMP_UNITS_KEY,
} from "./parquet-plan.js";

const SQL_TYPE: Record<Exclude<ColumnType, "timestamp">, string> = {
  float64: "DOUBLE",
  float32: "FLOAT",
  int64: "BIGINT",
  int32: "INTEGER",
  bool: "BOOLEAN",
  string: "VARCHAR",
};
const TIMESTAMP_SQL: Record<TimeUnit, string> = {
  s: "TIMESTAMP_S",
  ms: "TIMESTAMP_MS",
  us: "TIMESTAMP",
  ns: "TIMESTAMP_NS",
};

/** The natural `ColumnType` of a DuckDB type, or null if modenorm cannot read it. */
function naturalType(
  typeId: DuckDBTypeId,
  scale: number,
): { type: ColumnType; unit: TimeUnit } | null {
  switch (typeId) {
    case DuckDBTypeId.DECIMAL:
      return { type: scale === 0 ? "int64" : "float64", unit: "us" };
    case DuckDBTypeId.DOUBLE:
      return { type: "float64", unit: "us" };
    case DuckDBTypeId.FLOAT:
      return { type: "float32", unit: "us" };
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return { type: "int64", unit: "us" };
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UTINYINT:
      return { type: "int32", unit: "us" };
    case DuckDBTypeId.BOOLEAN:
      return { type: "bool", unit: "us" };
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
      return { type: "string", unit: "us" };
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.DATE:
      return { type: "timestamp", unit: "s" };
    case DuckDBTypeId.TIMESTAMP_MS:
      return { type: "timestamp", unit: "ms" };
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return { type: "timestamp", unit: "us" };
    case DuckDBTypeId.TIMESTAMP_NS:
      return { type: "timestamp", unit: "ns" };
    default:
      return null;
  }
}

const WIDE = new Set([
  DuckDBTypeId.DECIMAL,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);
const INTEGERS = new Set([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
]);
const INT64_RANGE = "9223372036854775807";

/**
 * The check that reading a column of DuckDB type `typeId` (DECIMAL: `scale`) as `type` keeps
 * every value, as a SQL condition on `ident` true for a value it would not keep; null when the
 * conversion is always exact (or fails loudly by itself).
 */
function exactCheck(
  ident: string,
  name: string,
  typeId: DuckDBTypeId,
  scale: number,
  type: ColumnType,
): Omit<NonNullable<ColumnPlan["check"]>, "type"> | null {
  const text = `fit with --categorical ${JSON.stringify(name)} to read it as text`;
  if (type === "float64") {
    if (typeId === DuckDBTypeId.DECIMAL) {
      // The double's shortest decimal (DuckDB prints doubles so) must be the value itself.
      return {
        cond: `TRY_CAST(CAST(CAST(${ident} AS DOUBLE) AS VARCHAR) AS DECIMAL(38, ${scale})) IS DISTINCT FROM ${ident}`,
        what: "cannot be held exactly by float64",
        fix: text,
      };
    }
    if (INTEGERS.has(typeId)) {
      return {
        cond: `TRY_CAST(CAST(${ident} AS DOUBLE) AS HUGEINT) IS DISTINCT FROM ${ident}`,
        what: "cannot be held exactly by float64",
        fix: text,
      };
    }
    return null;
  }
  if (type === "int64" || type === "int32") {
    const whole =
      typeId === DuckDBTypeId.DOUBLE ||
      typeId === DuckDBTypeId.FLOAT ||
      typeId === DuckDBTypeId.DECIMAL;
    if (whole && (typeId !== DuckDBTypeId.DECIMAL || scale > 0)) {
      return {
        cond: `isfinite(${ident}) AND ${ident} <> trunc(${ident})`,
        what: `is not an integer (read as ${type})`,
        fix: `read it as float64 (fit with --continuous ${JSON.stringify(name)})`,
      };
    }
    if (type === "int64" && WIDE.has(typeId)) {
      return {
        cond: `${ident} > ${INT64_RANGE} OR ${ident} < -${INT64_RANGE} - 1`,
        what: "is beyond the int64 range",
        fix: text,
      };
    }
  }
  return null;
}

/** The DuckDB type id a column's vectors have after the plan's expression. */
function vectorTypeId(spec: ColumnSpec): DuckDBTypeId {
  switch (spec.type) {
    case "float64":
      return DuckDBTypeId.DOUBLE;
    case "float32":
      return DuckDBTypeId.FLOAT;
    case "int64":
      return DuckDBTypeId.BIGINT;
    case "int32":
      return DuckDBTypeId.INTEGER;
    case "bool":
      return DuckDBTypeId.BOOLEAN;
    case "string":
      return DuckDBTypeId.VARCHAR;
    case "timestamp":
      return spec.unit === "s"
        ? DuckDBTypeId.TIMESTAMP_S
        : spec.unit === "ms"
          ? DuckDBTypeId.TIMESTAMP_MS
          : spec.unit === "ns"
            ? DuckDBTypeId.TIMESTAMP_NS
            : DuckDBTypeId.TIMESTAMP;
  }
}

export function notParquet(path: string, err: unknown): InvalidInputError {
  return new InvalidInputError(
    `${path}: not a valid Parquet file, or truncated (DuckDB: ${duckDbMessage(err)})`,
    { cause: err },
  );
}

/** Rows, column names and types of a Parquet file, and how to read the selected columns. */
async function planParquet(
  con: DuckDBConnection,
  path: string,
  opts: ResolvedReadOptions,
): Promise<{ rows: number; plans: ColumnPlan[]; from: string }> {
  const from = `read_parquet(${sqlPathLiteral(path)})`;
  let rows: number;
  let names: string[];
  let typeIds: DuckDBTypeId[];
  let typeNames: string[];
  let scales: number[];
  const units = new Map<string, TimeUnit>();
  try {
    const meta = await con.runAndReadAll(
      `SELECT num_rows FROM parquet_file_metadata(${sqlPathLiteral(path)})`,
    );
    rows = Number(meta.getRows()[0]![0]);
    const schema = await con.run(`SELECT * FROM ${from} LIMIT 0`);
    names = schema.columnNames();
    const types = schema.columnTypes();
    typeIds = types.map((t) => t.typeId);
    scales = types.map((t) =>
      t.typeId === DuckDBTypeId.DECIMAL ? (t as DuckDBDecimalType).scale : 0,
    );
    typeNames = types.map((t) => t.toString());
    // DuckDB reads Parquet TIMESTAMP(MILLIS) as microseconds; the schema says it was millis.
    const schemaRows = await con.runAndReadAll(
      `SELECT name, converted_type, logical_type FROM parquet_schema(${sqlPathLiteral(path)})`,
    );
    for (const [name, converted, logical] of schemaRows.getRows()) {
      if (converted === "TIMESTAMP_MILLIS" || String(logical).includes("MILLIS=MilliSeconds")) {
        units.set(String(name), "ms");
      }
    }
    const kv = await con.runAndReadAll(
      `SELECT decode(value) FROM parquet_kv_metadata(${sqlPathLiteral(path)}) WHERE key = '${TIMESTAMP_UNITS_KEY}'::BLOB`,
    );
    for (const [json] of kv.getRows()) {
      const parsed: unknown = JSON.parse(String(json));
      if (typeof parsed === "object" && parsed !== null) {
        for (const [name, unit] of Object.entries(parsed)) {
          if (unit === "s" || unit === "ms" || unit === "us" || unit === "ns")
            units.set(name, unit);
        }
      }
    }
  } catch (err) {
    throw notParquet(path, err);
  }
  const selected = selectColumns(path, names, opts);
  const plans = selected.map((i): ColumnPlan => {
    const name = names[i]!;
    const natural = naturalType(typeIds[i]!, scales[i]!);
    if (natural === null) {
      throw new InvalidInputError(
        `${path}: column "${name}" has type ${typeNames[i]}, which modenorm cannot read; readable: floating point, integers, DECIMAL, BOOLEAN, VARCHAR, ENUM, TIMESTAMP (any unit or time zone), DATE. Leave the column out with the columns option`,
      );
    }
    const ident = sqlIdent(name);
    const forced = opts.types.get(name);
    const cast = opts.nonNumeric === "null" ? "TRY_CAST" : "CAST";
    // Units Parquet or DuckDB lose: millis read as micros, and seconds (written by modenorm as
    // micros, with the unit in the key-value metadata). The cast back divides exactly.
    const stored = units.get(name);
    if (natural.type === "timestamp" && natural.unit === "us" && stored !== undefined) {
      if (stored === "ms" || stored === "s") natural.unit = stored;
    }
    const asText =
      forced === undefined &&
      WIDE.has(typeIds[i]!) &&
      (opts.wideAsText === true || opts.wideAsText?.has(name) === true);
    const type = forced ?? (asText ? "string" : natural.type);
    const unit = type === "timestamp" ? (natural.type === "timestamp" ? natural.unit : "us") : "us";
    const spec: ColumnSpec = { name, type, unit };
    const target = vectorTypeId(spec);
    if (target === typeIds[i]) return { spec, expr: ident };
    const sqlType = type === "timestamp" ? TIMESTAMP_SQL[unit] : SQL_TYPE[type];
    const check = exactCheck(ident, name, typeIds[i]!, scales[i]!, type);
    return {
      spec,
      expr: `${forced === undefined ? "CAST" : cast}(${ident} AS ${sqlType})`,
      ...(check === null ? {} : { check: { ...check, type: typeNames[i]! } }),
    };
  });
  return { rows, plans, from };
}

/**
 * The schema of each file as DuckDB's `parquet_schema` sees it (names, physical, converted and
 * logical types, root element excluded), in one query over all files: cheap even for thousands of
 * parts. Null when the query fails (a file that is not Parquet): the caller then plans files one
 * by one to name it.
 */
async function schemaSignatures(
  con: DuckDBConnection,
  files: readonly string[],
): Promise<Map<string, { signature: string; rows: number }> | null> {
  const list = `[${files.map(sqlPathLiteral).join(", ")}]`;
  try {
    const out = new Map<string, { signature: string; rows: number }>();
    const meta = await con.runAndReadAll(
      `SELECT file_name, num_rows FROM parquet_file_metadata(${list})`,
    );
    for (const [file, rows] of meta.getRows()) {
      out.set(String(file), { signature: "", rows: Number(rows) });
    }
    const schema = await con.runAndReadAll(
      `SELECT file_name, name, type, converted_type, logical_type, num_children FROM parquet_schema(${list})`,
    );
    const seenRoot = new Set<string>();
    for (const [file, name, type, converted, logical] of schema.getRows()) {
      const f = String(file);
      if (!seenRoot.has(f)) {
        seenRoot.add(f); // the first element of each file is the schema root
        continue;
      }
      const e = out.get(f);
      if (e !== undefined) e.signature += `${String(name)}:${type}:${converted}:${logical};`;
    }
    return out.size === files.length ? out : null;
  } catch {
    return null;
  }
}

/**
 * Checks that every value of `files` reads exactly under `plans` (see `ColumnPlan.check`): one
 * query per checked column over all the files.
 * @throws InvalidInputError naming the file, column, row (1-based) and value of the first that
 *   does not, what is wrong and the option that reads it exactly.
 */
async function checkExactReads(
  con: DuckDBConnection,
  files: readonly string[],
  plans: readonly ColumnPlan[],
): Promise<void> {
  const list =
    files.length === 1 ? sqlPathLiteral(files[0]!) : `[${files.map(sqlPathLiteral).join(", ")}]`;
  for (const { spec, check } of plans) {
    if (check === undefined) continue;
    const ident = sqlIdent(spec.name);
    let found: unknown[] | undefined;
    try {
      const r = await con.runAndReadAll(
        `SELECT filename, file_row_number, CAST(${ident} AS VARCHAR) FROM read_parquet(${list}, filename = true, file_row_number = true) WHERE ${check.cond} LIMIT 1`,
      );
      found = r.getRows()[0];
    } catch (err) {
      throw new InvalidInputError(
        `${filesOf(files)}: cannot check column "${spec.name}" (DuckDB: ${duckDbMessage(err)})`,
        { cause: err },
      );
    }
    if (found === undefined) continue;
    const [file, row, value] = found;
    throw new InvalidInputError(
      `${String(file)}: row ${Number(row) + 1}, column "${spec.name}": ${String(value)} (${check.type}) ${check.what}; ${check.fix}`,
    );
  }
}

/**
 * Plans reading `files` as one table: the first file is planned in full ({@link planParquet}), the
 * others are checked against it in two queries over all of them (row counts and schemas). A file
 * whose schema differs is planned alone and passed to `onDiffers` with the first file's plans, to
 * say how they differ (it throws when they do).
 * @throws InvalidInputError a file that is not Parquet or truncated (naming it).
 */
export async function planDuckDbParts(
  files: readonly string[],
  opts: ResolvedReadOptions,
  onDiffers: (path: string, plans: ColumnPlan[], firstPlans: ColumnPlan[]) => void,
): Promise<ParquetParts> {
  const con = await connectDuckDb();
  try {
    const first = await planParquet(con, files[0]!, opts);
    const sigs =
      files.length > 1
        ? ((await fixedSignatures(files)) ?? (await schemaSignatures(con, files)))
        : null;
    const rows = [first.rows];
    if (sigs === null) {
      // One file, or the batched query failed: plan each file (naming the bad one).
      for (let i = 1; i < files.length; i++) {
        const plan = await planParquet(con, files[i]!, opts);
        onDiffers(files[i]!, plan.plans, first.plans);
        rows.push(plan.rows);
      }
    } else {
      const base = sigs.get(files[0]!)?.signature;
      for (let i = 1; i < files.length; i++) {
        const f = files[i]!;
        const e = sigs.get(f)!;
        if (e.signature !== base)
          onDiffers(f, (await planParquet(con, f, opts)).plans, first.plans);
        rows.push(e.rows);
      }
    }
    await checkExactReads(con, files, first.plans);
    return { plans: first.plans, rows };
  } finally {
    con.closeSync();
  }
}

/** The names of every column of Parquet file `path`, as DuckDB reads them. */
export async function duckDbColumnNames(
  path: string,
  opts: ResolvedReadOptions,
): Promise<string[]> {
  const con = await connectDuckDb();
  try {
    return (await planParquet(con, path, opts)).plans.map((p) => p.spec.name);
  } finally {
    con.closeSync();
  }
}
