/**
 * Pass 2 of the CSV reader: converts one tape slot into a column at a row offset. Typed values
 * are parsed from bytes (see `csv-number.ts`); only string fields become JS strings.
 */
import { InvalidInputError } from "../core/errors.js";
import type { Column, TimeUnit } from "../core/table.js";
import { nullsOf } from "./columns.js";
import { NullMatcher, trimEnd, trimStart } from "./csv-infer.js";
import {
  NUM_FLOAT,
  NUM_INEXACT,
  NUM_INT,
  NUM_NONE,
  scanBool,
  scanNumber,
  scanned,
} from "./csv-number.js";
import {
  type CsvTape,
  FLAG_ESCAPED,
  FLAG_QUOTED,
  FLAG_RAW,
  unescapeField,
} from "./csv-tokenizer.js";
import type { NonNumericPolicy, ResolvedReadOptions, TextEncoding } from "./options.js";
import { parsedTime, parsedTimeIn, parseIsoTimestamp, secondsFitUnit } from "./timestamp.js";

/** What the converter needs besides the tape: for messages and for forced types. */
export interface ConvertContext {
  path: string;
  encoding: TextEncoding;
  escapeChar: string | null;
  nulls: NullMatcher;
  /** True when the type came from `options.types`: fields may then fail to parse. */
  forced: boolean;
  nonNumeric: NonNumericPolicy;
  /**
   * Set by int64 conversion at the first integer beyond ±2^53 (which a double cannot hold): where
   * it is, as `path: line N` and its text. Kept across calls (and parts) of one column.
   */
  beyond53?: { where: string; text: string } | null;
}

/**
 * A field the column's type cannot hold: an `InvalidInputError` with the field's line, text and
 * what `scanNumber` made of it (`kind`, `NUM_*`), so that a block reader can widen the column.
 */
/**
 * The contexts in which the columns `specs` of one stream are converted: one null matcher, the
 * types forced by `opts`, and the tracking of integers beyond ±2^53 for inferred int64 columns.
 */
export function convertContexts(
  path: string,
  specs: readonly { name: string; type: string }[],
  opts: ResolvedReadOptions,
): ConvertContext[] {
  const nulls = new NullMatcher(opts.nullValues, opts.encoding);
  return specs.map((s) => ({
    path,
    encoding: opts.encoding,
    escapeChar: opts.escapeChar,
    nulls,
    forced: opts.types.has(s.name),
    nonNumeric: opts.nonNumeric,
    beyond53: s.type === "int64" && !opts.types.has(s.name) ? null : undefined,
  }));
}

export class FieldError extends InvalidInputError {
  constructor(
    message: string,
    readonly line: number,
    readonly text: string,
    readonly kind: number,
  ) {
    super(message);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO32 = 4294967296;
const TWO53 = 2n ** 53n;

/** Int32 words of a BigInt64Array (little-endian), to store safe integers without a bigint. */
function wordsOf(values: BigInt64Array): Int32Array | null {
  return LITTLE_ENDIAN ? new Int32Array(values.buffer, values.byteOffset, values.length * 2) : null;
}

function decode(buf: Uint8Array, s: number, e: number, encoding: TextEncoding): string {
  return (buf as Buffer).toString(encoding, s, e);
}

function fieldText(buf: Uint8Array, s: number, e: number, encoding: TextEncoding): string {
  const t = decode(buf, s, e, encoding);
  return t.length > 80 ? `${JSON.stringify(t.slice(0, 80))}…` : JSON.stringify(t);
}

/** Throws the "does not parse" error, or returns normally when the policy reads it as null. */
function unparseable(
  ctx: ConvertContext,
  col: Column,
  line: number,
  buf: Uint8Array,
  s: number,
  e: number,
  what: string,
): void {
  if (ctx.nonNumeric === "null") return;
  throw new InvalidInputError(
    `${ctx.path}: line ${line}, column "${col.name}": ${fieldText(buf, s, e, ctx.encoding)} is not ${what} (forced type ${col.type}); fix the value, or pass nonNumeric: "null" (--non-numeric null) to read such fields as missing`,
  );
}

function misfit(
  ctx: ConvertContext,
  col: Column,
  line: number,
  buf: Uint8Array,
  s: number,
  e: number,
  what: string,
  kind: number = NUM_NONE,
): never {
  const wider =
    (col.type === "int32" || col.type === "int64") && kind !== NUM_INEXACT
      ? `read the column as float64 (fit with --continuous "${col.name}") or as text (--categorical "${col.name}")`
      : `read the column as text (fit with --categorical "${col.name}")`;
  throw new FieldError(
    `${ctx.path}: line ${line}, column "${col.name}": ${fieldText(buf, s, e, ctx.encoding)} is not ${what} (forced type ${col.type}); fix the value, or ${wider}`,
    line,
    decode(buf, s, e, ctx.encoding),
    kind,
  );
}

/** Refuses a number that a double cannot hold exactly (never rounded, never read as missing). */
function inexact(
  ctx: ConvertContext,
  col: Column,
  line: number,
  buf: Uint8Array,
  s: number,
  e: number,
): never {
  throw new FieldError(
    `${ctx.path}: line ${line}, column "${col.name}": ${fieldText(buf, s, e, ctx.encoding)} cannot be held exactly by float64 (it would read as ${String(scanned.value)}); to keep such values exactly, read the column as text (fit with --categorical "${col.name}"), or round the values in the file`,
    line,
    decode(buf, s, e, ctx.encoding),
    NUM_INEXACT,
  );
}

/** Converts slot `k` of the tape's records into `col` starting at row `offset`. */
export function convertTape(
  tape: CsvTape,
  k: number,
  buf: Uint8Array,
  col: Column,
  offset: number,
  ctx: ConvertContext,
): void {
  switch (col.type) {
    case "string":
      convertString(tape, k, buf, col.values, offset, ctx);
      return;
    case "float64":
    case "float32":
      convertFloat(tape, k, buf, col, offset, ctx);
      return;
    case "int64":
      convertInt64(tape, k, buf, col, offset, ctx);
      return;
    case "int32":
      convertInt32(tape, k, buf, col, offset, ctx);
      return;
    case "bool":
      convertBool(tape, k, buf, col, offset, ctx);
      return;
    case "timestamp":
      convertTimestamp(tape, k, buf, col, offset, ctx);
      return;
  }
}

function convertString(
  tape: CsvTape,
  k: number,
  buf: Uint8Array,
  out: (string | null)[],
  offset: number,
  ctx: ConvertContext,
): void {
  const { starts, ends, flags, width, count } = tape;
  const enc = ctx.encoding;
  for (let r = 0, idx = k; r < count; r++, idx += width) {
    const s = starts[idx]!;
    const e = ends[idx]!;
    const f = flags[idx]!;
    // A quoted field is always text: "" is the empty string, "NA" the two letters.
    if ((f & (FLAG_QUOTED | FLAG_RAW)) === 0 && ctx.nulls.matches(buf, s, e)) {
      out[offset + r] = null;
      continue;
    }
    const t = decode(buf, s, e, enc);
    out[offset + r] =
      (f & FLAG_RAW) !== 0
        ? unescapeField(t, ctx.escapeChar)
        : (f & FLAG_ESCAPED) !== 0
          ? t.replaceAll('""', '"')
          : t;
  }
}

function convertFloat(
  tape: CsvTape,
  k: number,
  buf: Uint8Array,
  col: Extract<Column, { type: "float64" | "float32" }>,
  offset: number,
  ctx: ConvertContext,
): void {
  const { starts, ends, flags, width, count, lines } = tape;
  const values = col.values;
  // float32 is asked for explicitly (library option), rounding included.
  const exact64 = col.type === "float64";
  for (let r = 0, idx = k; r < count; r++, idx += width) {
    const s0 = starts[idx]!;
    const e0 = ends[idx]!;
    if ((flags[idx]! & FLAG_RAW) !== 0) {
      unparseable(ctx, col, lines[r]!, buf, s0, e0, "a plain value (it has escapes or quotes)");
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    if (ctx.nulls.matches(buf, s0, e0)) {
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    const s = trimStart(buf, s0, e0);
    const e = trimEnd(buf, s, e0);
    const kind = s === e ? NUM_NONE : scanNumber(buf, s, e, true);
    if (kind === NUM_NONE) {
      unparseable(ctx, col, lines[r]!, buf, s0, e0, "a number");
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    if ((kind === NUM_INEXACT || (kind === NUM_INT && !scanned.exact)) && exact64) {
      inexact(ctx, col, lines[r]!, buf, s, e);
    }
    values[offset + r] = scanned.value;
  }
}

function convertInt64(
  tape: CsvTape,
  k: number,
  buf: Uint8Array,
  col: Extract<Column, { type: "int64" }>,
  offset: number,
  ctx: ConvertContext,
): void {
  const { starts, ends, flags, width, count, lines } = tape;
  const values = col.values;
  const words = wordsOf(values);
  for (let r = 0, idx = k; r < count; r++, idx += width) {
    const s0 = starts[idx]!;
    const e0 = ends[idx]!;
    const row = offset + r;
    if ((flags[idx]! & FLAG_RAW) !== 0) {
      unparseable(ctx, col, lines[r]!, buf, s0, e0, "a plain value (it has escapes or quotes)");
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    if (ctx.nulls.matches(buf, s0, e0)) {
      nullsOf(col)[row] = 1;
      continue;
    }
    const s = trimStart(buf, s0, e0);
    const e = trimEnd(buf, s, e0);
    const kind = s === e ? NUM_NONE : scanNumber(buf, s, e, false);
    if (kind !== NUM_INT) {
      if (kind === NUM_FLOAT) {
        // Classify again with the value: whether a double holds it decides widening.
        misfit(
          ctx,
          col,
          lines[r]!,
          buf,
          s,
          e,
          "an integer in int64 range",
          scanNumber(buf, s, e, true),
        );
      }
      unparseable(ctx, col, lines[r]!, buf, s0, e0, "a number");
      nullsOf(col)[row] = 1;
      continue;
    }
    if (scanned.sig <= 15 && words !== null) {
      const v = scanned.value;
      words[2 * row] = v % TWO32;
      words[2 * row + 1] = Math.floor(v / TWO32);
    } else {
      // Beyond 2^53 (or big-endian): exact through BigInt, never through a double.
      const v = BigInt((buf as Buffer).toString("latin1", s, e));
      values[row] = v;
      if (ctx.beyond53 === null && (v > TWO53 || v < -TWO53)) {
        ctx.beyond53 = {
          where: `${ctx.path}: line ${lines[r]}`,
          text: decode(buf, s, e, "latin1"),
        };
      }
    }
  }
}

function convertInt32(
  tape: CsvTape,
  k: number,
  buf: Uint8Array,
  col: Extract<Column, { type: "int32" }>,
  offset: number,
  ctx: ConvertContext,
): void {
  const { starts, ends, flags, width, count, lines } = tape;
  const values = col.values;
  for (let r = 0, idx = k; r < count; r++, idx += width) {
    const s0 = starts[idx]!;
    const e0 = ends[idx]!;
    if ((flags[idx]! & FLAG_RAW) !== 0) {
      unparseable(ctx, col, lines[r]!, buf, s0, e0, "a plain value (it has escapes or quotes)");
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    if (ctx.nulls.matches(buf, s0, e0)) {
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    const s = trimStart(buf, s0, e0);
    const e = trimEnd(buf, s, e0);
    const kind = s === e ? NUM_NONE : scanNumber(buf, s, e, false);
    if (kind === NUM_NONE) {
      unparseable(ctx, col, lines[r]!, buf, s0, e0, "a number");
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    const v = scanned.value;
    if (kind !== NUM_INT || scanned.sig > 10 || v < -2147483648 || v > 2147483647) {
      misfit(ctx, col, lines[r]!, buf, s0, e0, "an integer in int32 range");
    }
    values[offset + r] = v;
  }
}

function convertBool(
  tape: CsvTape,
  k: number,
  buf: Uint8Array,
  col: Extract<Column, { type: "bool" }>,
  offset: number,
  ctx: ConvertContext,
): void {
  const { starts, ends, flags, width, count, lines } = tape;
  const values = col.values;
  for (let r = 0, idx = k; r < count; r++, idx += width) {
    const s0 = starts[idx]!;
    const e0 = ends[idx]!;
    if ((flags[idx]! & FLAG_RAW) !== 0) {
      unparseable(ctx, col, lines[r]!, buf, s0, e0, "a plain value (it has escapes or quotes)");
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    if (ctx.nulls.matches(buf, s0, e0)) {
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    const s = trimStart(buf, s0, e0);
    const e = trimEnd(buf, s, e0);
    let b = scanBool(buf, s, e);
    // A forced bool also takes 0 and 1.
    if (b < 0 && ctx.forced && e - s === 1 && (buf[s] === 48 || buf[s] === 49)) b = buf[s]! - 48;
    if (b < 0) {
      unparseable(ctx, col, lines[r]!, buf, s0, e0, "true, false, 0 or 1");
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    values[offset + r] = b;
  }
}

function convertTimestamp(
  tape: CsvTape,
  k: number,
  buf: Uint8Array,
  col: Extract<Column, { type: "timestamp" }>,
  offset: number,
  ctx: ConvertContext,
): void {
  const { starts, ends, flags, width, count, lines } = tape;
  const values = col.values;
  const unit: TimeUnit = col.unit;
  for (let r = 0, idx = k; r < count; r++, idx += width) {
    const s0 = starts[idx]!;
    const e0 = ends[idx]!;
    if ((flags[idx]! & FLAG_RAW) !== 0) {
      unparseable(ctx, col, lines[r]!, buf, s0, e0, "a plain value (it has escapes or quotes)");
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    if (ctx.nulls.matches(buf, s0, e0)) {
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    const s = trimStart(buf, s0, e0);
    const e = trimEnd(buf, s, e0);
    if (!parseIsoTimestamp(buf, s, e)) {
      unparseable(ctx, col, lines[r]!, buf, s0, e0, "an ISO-8601 date or date-time");
      nullsOf(col)[offset + r] = 1;
      continue;
    }
    if (!secondsFitUnit(parsedTime.seconds, parsedTime.seconds, unit)) {
      misfit(ctx, col, lines[r]!, buf, s0, e0, `within the int64 range of unit ${unit}`);
    }
    values[offset + r] = parsedTimeIn(unit);
  }
}
