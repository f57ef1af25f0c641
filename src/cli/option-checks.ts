/**
 * Checks of option values at parse time (commander argument parsers, exit 2 with the option's
 * name and the valid range) and of options that contradict each other (exit 2 before any work).
 * The ranges are those the library checks later (so nothing it refuses gets past): a seed in
 * [0, 2^53), at least one mode, a positive prior and scale, blocks of 1 to 2^30 rows.
 */
import { availableParallelism } from "node:os";
import { InvalidArgumentError } from "commander";
import { InvalidInputError } from "../core/errors.js";
import { DEFAULT_BLOCK_ROWS } from "../io/options.js";

/** Options that contradict each other, or a value that breaks a rule involving another option. */
export class UsageError extends Error {
  override name = "UsageError";
}

const INTEGER = /^[+-]?\d+$/;

/**
 * A parser of a whole-number option in [min, max]; `maxText` shows the bound when it is clearer
 * than the number (e.g. "2^30").
 */
export function intInRange(
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  maxText?: string,
): (v: string) => number {
  const range =
    maxText !== undefined
      ? `from ${min} to ${maxText}`
      : max === Number.MAX_SAFE_INTEGER
        ? `>= ${min}`
        : `from ${min} to ${max}`;
  return (v: string) => {
    const s = v.trim();
    const x = Number(s);
    if (!INTEGER.test(s) || !Number.isSafeInteger(x) || x < min || x > max) {
      throw new InvalidArgumentError(
        `${name} must be a whole number ${range}, got ${JSON.stringify(v)}.`,
      );
    }
    return x;
  };
}

/** Bounds of a number option: `min < x` (or `<=` when `minIncluded`), `x < max` likewise. */
interface NumberRange {
  min: number;
  minIncluded: boolean;
  max?: number;
  maxIncluded?: boolean;
}

/** A parser of a finite number option within `range`. */
export function numberInRange(name: string, range: NumberRange): (v: string) => number {
  const lo = `${range.minIncluded ? ">=" : ">"} ${range.min}`;
  const hi = range.max === undefined ? "" : ` and ${range.maxIncluded ? "<=" : "<"} ${range.max}`;
  return (v: string) => {
    const x = Number(v);
    const ok =
      v.trim() !== "" &&
      Number.isFinite(x) &&
      (range.minIncluded ? x >= range.min : x > range.min) &&
      (range.max === undefined || (range.maxIncluded ? x <= range.max : x < range.max));
    if (!ok)
      throw new InvalidArgumentError(
        `${name} must be a number ${lo}${hi}, got ${JSON.stringify(v)}.`,
      );
    return x;
  };
}

/**
 * Most worker threads a command takes: 4 per core. The work is compute-bound and the output is the
 * same for any number, so threads beyond the cores only add memory (each holds a block in flight
 * and a V8 heap: 1000 threads took minutes and 9.5 GB before doing any work); 4× leaves room to
 * oversubscribe a machine whose reading waits on a slow disk.
 */
export const MAX_THREADS = 4 * availableParallelism();

/** Parser of `--threads`. */
export const threadsOption = (v: string): number => {
  const s = v.trim();
  const x = Number(s);
  if (!INTEGER.test(s) || !Number.isSafeInteger(x) || x < 1 || x > MAX_THREADS) {
    throw new InvalidArgumentError(
      `--threads must be a whole number from 1 to ${MAX_THREADS} (4 × the ${availableParallelism()} cores of this machine), got ${JSON.stringify(v)}.`,
    );
  }
  return x;
};

/** Largest block (the library's bound). */
const MAX_BLOCK_ROWS = 2 ** 30;
/** Parser of `--block-rows`. */
export const blockRowsOption = intInRange("--block-rows", 1, MAX_BLOCK_ROWS, "2^30 (1073741824)");
/** Parser of a seed: the generator takes integers in [0, 2^53). */
export const seedOption = intInRange("--seed", 0, Number.MAX_SAFE_INTEGER, "2^53 - 1");

/** Parser of `--escape-char`: one ASCII character other than the delimiter, quote, CR and LF. */
export function escapeCharOption(v: string): string {
  if (v.length !== 1 || v.charCodeAt(0) > 127 || ',"\r\n'.includes(v)) {
    throw new InvalidArgumentError(
      `--escape-char must be one ASCII character other than , " CR LF (e.g. '\\'), got ${JSON.stringify(v)}.`,
    );
  }
  return v;
}

/** Splits a comma-separated column list option; an empty list is refused. */
export function columnList(name: string) {
  return (value: string, previous: string[] = []): string[] => {
    const names = value
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (names.length === 0) {
      throw new InvalidArgumentError(
        `${name} needs at least one column name, got ${JSON.stringify(value)}.`,
      );
    }
    return [...previous, ...names];
  };
}

/** `--shard-rows` must be a whole number of blocks. */
export function checkShardRows(o: { shardRows?: number; blockRows?: number }): void {
  if (o.shardRows === undefined) return;
  const block = o.blockRows ?? DEFAULT_BLOCK_ROWS;
  if (o.shardRows % block !== 0) {
    const which =
      o.blockRows === undefined ? `the default --block-rows ${block}` : `--block-rows ${block}`;
    throw new UsageError(
      `--shard-rows ${o.shardRows} must be a multiple of ${which} (e.g. --shard-rows ${2 * block}), or leave --shard-rows out (default 2 blocks).`,
    );
  }
}

/**
 * The output options of transform and inverse agree: standard output carries CSV or an Arrow IPC
 * stream only (`--format csv|arrow`).
 */
export function checkSinkFormat(o: { output: string; format?: string }): void {
  if (o.output === "-" && o.format !== undefined && o.format !== "csv" && o.format !== "arrow") {
    throw new UsageError(
      `-o - (standard output) carries CSV or an Arrow IPC stream, not --format ${o.format}; use --format csv or arrow, or write ${o.format} shards into a directory (-o <dir>).`,
    );
  }
}

/** A parser of an output path: not empty. */
export function outputPathOption(value: string): string {
  if (value.trim() === "") {
    throw new InvalidArgumentError(
      "--output must name a file or directory (or - for standard output), got an empty path.",
    );
  }
  return value;
}

/** The kind options of `fit`, in the order messages name them. */
export const KIND_OPTIONS = [
  ["--categorical", "categorical"],
  ["--continuous", "continuous"],
  ["--integer", "integer"],
  ["--log", "log"],
  ["--minmax", "minmax"],
  ["--datetime", "datetime"],
] as const;

type KindKey = (typeof KIND_OPTIONS)[number][1];

/**
 * The column options of `fit` agree: no column in two kind options (or in a kind option and
 * `--mixed`), no column named twice in `--columns`, and with `--columns` every column a kind
 * option names is among them.
 */
export function checkFitColumns(
  o: Partial<Record<KindKey, string[]>> & {
    columns?: string[];
    mixed?: Record<string, number[]>;
  },
): void {
  if (o.columns !== undefined) {
    const seen = new Set<string>();
    for (const c of o.columns) {
      if (seen.has(c)) throw new UsageError(`--columns names column "${c}" twice.`);
      seen.add(c);
    }
  }
  const optionOf = new Map<string, string>();
  const named: [string, string][] = [];
  for (const [flag, key] of KIND_OPTIONS) for (const c of o[key] ?? []) named.push([flag, c]);
  for (const c of Object.keys(o.mixed ?? {})) named.push(["--mixed", c]);
  for (const [flag, c] of named) {
    const before = optionOf.get(c);
    if (before !== undefined && before !== flag) {
      throw new UsageError(
        `column "${c}" is in both ${before} and ${flag}; give each column one kind.`,
      );
    }
    optionOf.set(c, flag);
    if (o.columns !== undefined && !o.columns.includes(c)) {
      throw new UsageError(
        `${flag} names column "${c}", which is not among --columns (${o.columns.join(",")}); add it to --columns or leave it out of ${flag}.`,
      );
    }
  }
}

/**
 * Checks that every column the column options of `fit` name is in the input (`names`, its header):
 * a name it lacks is bad input for this file (exit 1), named with its option and the columns
 * there are.
 */
export function checkColumnsExist(
  o: Partial<Record<KindKey, string[]>> & {
    columns?: string[];
    mixed?: Record<string, number[]>;
  },
  names: readonly string[],
): void {
  const have = new Set(names);
  const named: [string, string][] = (o.columns ?? []).map((c) => ["--columns", c]);
  for (const [flag, key] of KIND_OPTIONS) for (const c of o[key] ?? []) named.push([flag, c]);
  for (const c of Object.keys(o.mixed ?? {})) named.push(["--mixed", c]);
  for (const [flag, c] of named) {
    if (!have.has(c)) {
      const shown = names.slice(0, 20).map((n) => JSON.stringify(n));
      throw new InvalidInputError(
        `${flag} names column "${c}", which the data does not have; its columns are: ${shown.join(", ")}${names.length > 20 ? ", …" : ""}.`,
      );
    }
  }
}

/**
 * `--datetime` columns must be timestamps. A column of another type is bad input for this file
 * (exit 1): the options agree with each other, the data does not match them.
 */
export function checkDatetimeColumns(
  datetime: readonly string[] | undefined,
  schema: readonly { name: string; type: string }[],
): void {
  for (const c of datetime ?? []) {
    const col = schema.find((s) => s.name === c);
    if (col !== undefined && col.type !== "timestamp") {
      throw new InvalidInputError(
        `--datetime names column "${c}", which holds ${col.type} values, not timestamps; leave it out of --datetime (its kind is then inferred) or give it another kind (--continuous, --integer, --categorical).`,
      );
    }
  }
}
