/**
 * Options of `readTable` / `writeTable`: one interface each, one defaults object, one resolver
 * that validates every value once, at the API boundary.
 */
import { InvalidInputError } from "../core/errors.js";
import type { ColumnType } from "../core/table.js";

/** Default rows per block: 2^20. */
export const DEFAULT_BLOCK_ROWS = 1_048_576;

/** Text encoding of a CSV file. `latin1` is ISO-8859-1: every byte is one character. */
export type TextEncoding = "utf8" | "latin1";
export const TEXT_ENCODINGS: readonly TextEncoding[] = ["utf8", "latin1"];

/** What a field that is not a number does under a forced numeric (or bool/timestamp) type. */
export type NonNumericPolicy = "error" | "null";
export const NON_NUMERIC_POLICIES: readonly NonNumericPolicy[] = ["error", "null"];

export const COLUMN_TYPES: readonly ColumnType[] = [
  "float64",
  "float32",
  "int64",
  "int32",
  "bool",
  "string",
  "timestamp",
];

/** Options of `readTable`. */
export interface ReadTableOptions {
  /**
   * Columns to read, in this order. Default: every column of the file, in file order. An unknown
   * name is an `InvalidInputError` listing the columns that exist.
   */
  columns?: string[];
  /**
   * Forces the type of the named columns instead of inferring it (CSV) or taking the file's type
   * (Parquet, where DuckDB casts). A `timestamp` column's unit is still chosen from the data.
   */
  types?: Record<string, ColumnType>;
  /** CSV text encoding. Default `utf8` (a leading byte-order mark is skipped). */
  encoding?: TextEncoding;
  /**
   * CSV fields that mean "missing", compared with the whole field, case-sensitively. Default
   * `["", "NA", "null", "NULL"]`. In a string column a *quoted* field is always the literal text
   * (so `""` is the empty string and `"NA"` the two letters); elsewhere quoting does not matter.
   */
  nullValues?: string[];
  /**
   * Under a forced numeric, bool or timestamp type (`types`): `error` (default) rejects a field
   * that does not parse, naming file, column, line and value; `null` reads it as missing. A number
   * that does not fit a forced integer type (a fraction, out of range) is always an error.
   */
  nonNumeric?: NonNumericPolicy;
  /**
   * CSV escape character: it makes the next character literal, inside or outside quotes
   * (pandas' `escapechar`). Default none (RFC 4180). The shared IMDb file needs `"\\"`: it
   * writes commas inside titles as `\,`.
   */
  escapeChar?: string | null;
}

/**
 * Compression of Parquet output. `none` (the default) writes tables of fixed-width columns at
 * memory speed (`parquet-fixed.ts`); `zstd` writes smaller files through DuckDB, several times
 * slower. Tables with string or timestamp columns always go through DuckDB, with this codec.
 */
export type ParquetCompression = "none" | "zstd";

/** Options of `writeTable`. */
export interface WriteTableOptions {
  /** Replace an existing file. Default false: an existing path is an `IoError`. */
  overwrite?: boolean;
  /** Parquet compression (default `none`). */
  compression?: ParquetCompression;
  /** Text encoding of CSV output (default `utf8`). */
  encoding?: TextEncoding;
}

export const DEFAULT_NULL_VALUES: readonly string[] = ["", "NA", "null", "NULL"];

export const READ_TABLE_DEFAULTS = {
  encoding: "utf8" as TextEncoding,
  nullValues: DEFAULT_NULL_VALUES,
  nonNumeric: "error" as NonNumericPolicy,
  escapeChar: null as string | null,
};

/** Read options with defaults filled in and every value checked. */
export interface ResolvedReadOptions {
  columns: readonly string[] | null;
  types: ReadonlyMap<string, ColumnType>;
  encoding: TextEncoding;
  nullValues: readonly string[];
  nonNumeric: NonNumericPolicy;
  escapeChar: string | null;
  /**
   * Parquet columns of DECIMAL, UBIGINT or HUGEINT type to read as text (exact) instead of as
   * numbers (refused when a value does not fit exactly); `true` for every such column.
   */
  wideAsText?: ReadonlySet<string> | true;
}

function oneOf<T extends string>(what: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value))
    return value as T;
  throw new InvalidInputError(
    `${what} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}; got ${JSON.stringify(value)}`,
  );
}

function stringList(what: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new InvalidInputError(
      `${what} must be an array of strings; got ${JSON.stringify(value)}`,
    );
  }
  return value as string[];
}

/** Fills defaults and validates; `path` prefixes every message. */
export function resolveReadOptions(
  path: string,
  options: ReadTableOptions = {},
): ResolvedReadOptions {
  let columns: string[] | null = null;
  if (options.columns !== undefined) {
    columns = stringList(`${path}: option columns`, options.columns);
    if (columns.length === 0) {
      throw new InvalidInputError(
        `${path}: option columns is empty; name at least one column or omit it`,
      );
    }
    const seen = new Set<string>();
    for (const c of columns) {
      if (seen.has(c)) throw new InvalidInputError(`${path}: option columns names "${c}" twice`);
      seen.add(c);
    }
  }
  const types = new Map<string, ColumnType>();
  if (options.types !== undefined) {
    if (typeof options.types !== "object" || options.types === null) {
      throw new InvalidInputError(`${path}: option types must be an object { column: type }`);
    }
    for (const [name, t] of Object.entries(options.types)) {
      types.set(name, oneOf(`${path}: option types["${name}"]`, t, COLUMN_TYPES));
    }
  }
  const encoding = oneOf(
    `${path}: option encoding`,
    options.encoding ?? READ_TABLE_DEFAULTS.encoding,
    TEXT_ENCODINGS,
  );
  const nullValues =
    options.nullValues === undefined
      ? READ_TABLE_DEFAULTS.nullValues
      : stringList(`${path}: option nullValues`, options.nullValues);
  const nonNumeric = oneOf(
    `${path}: option nonNumeric`,
    options.nonNumeric ?? READ_TABLE_DEFAULTS.nonNumeric,
    NON_NUMERIC_POLICIES,
  );
  const escapeChar = options.escapeChar ?? READ_TABLE_DEFAULTS.escapeChar;
  if (
    escapeChar !== null &&
    (typeof escapeChar !== "string" ||
      escapeChar.length !== 1 ||
      escapeChar.charCodeAt(0) > 127 ||
      ',"\r\n'.includes(escapeChar))
  ) {
    throw new InvalidInputError(
      `${path}: option escapeChar must be one ASCII character other than , " CR LF (e.g. "\\"); got ${JSON.stringify(escapeChar)}`,
    );
  }
  return { columns, types, encoding, nullValues, nonNumeric, escapeChar };
}

/**
 * Indices of the selected columns in `available` (file order), in the order asked for. Checks
 * `columns` and the keys of `types` against the file's columns.
 */
export function selectColumns(
  path: string,
  available: readonly string[],
  opts: ResolvedReadOptions,
): number[] {
  const index = new Map<string, number>();
  available.forEach((name, i) => {
    index.set(name, i);
  });
  const listAvailable = () => available.map((a) => JSON.stringify(a)).join(", ");
  const wanted = opts.columns ?? available;
  const out: number[] = [];
  for (const name of wanted) {
    const i = index.get(name);
    if (i === undefined) {
      throw new InvalidInputError(
        `${path}: no column "${name}"; the file has ${available.length} columns: ${listAvailable()}`,
      );
    }
    out.push(i);
  }
  for (const name of opts.types.keys()) {
    if (!index.has(name)) {
      throw new InvalidInputError(
        `${path}: option types names column "${name}", which the file does not have; it has: ${listAvailable()}`,
      );
    }
  }
  return out;
}
