/**
 * Pass 1 of the CSV reader: per-column type inference over all rows, and the null-token test.
 *
 * A column is, in this order of preference (nulls ignored):
 * `int64` if every field is an integer within int64 range (not `-0`); `float64` if every field
 * is a number that a double holds exactly (`NaN`, `inf`, `Infinity`, exponents, `-0`, integers
 * beyond int64 included; see `exactInFloat64`: `0.1` and `1e23` are, `99999999999999999999999`
 * and `0.123456789012345678901` are not);
 * `bool` if every field is `true` or `false` (any case); `timestamp` if every field is an
 * ISO-8601 date or date-time (unit: the coarsest that keeps every fraction digit, `s` for plain
 * dates); otherwise `string`. So a column with a number no double keeps is read as text,
 * exactly (as a column with any other text is), never rounded; so is a column with a number
 * written with leading zeros (`00501`, a ZIP code), whose zeros a number would drop. A column with no non-null field
 * is `float64` (all null), as in pandas. Numbers, booleans and date-times may have spaces or tabs around them.
 */
import type { ColumnType, TimeUnit } from "../core/table.js";
import { NUM_FLOAT, NUM_INT, scanBool, scanNumber, scanned } from "./csv-number.js";
import { type CsvTape, FLAG_ESCAPED, FLAG_RAW } from "./csv-tokenizer.js";
import type { TextEncoding } from "./options.js";
import {
  parsedTime,
  parseIsoTimestamp,
  secondsFitUnit,
  unitForFractionDigits,
} from "./timestamp.js";

/** Tests whether a field's bytes equal one of the null tokens. */
export class NullMatcher {
  private readonly tokens: Uint8Array[];
  private readonly byLength: Uint8Array;
  private readonly empty: boolean;

  constructor(values: readonly string[], encoding: TextEncoding) {
    this.tokens = values.filter((v) => v !== "").map((v) => Buffer.from(v, encoding));
    this.empty = values.includes("");
    const maxLen = this.tokens.reduce((m, t) => Math.max(m, t.length), 0);
    this.byLength = new Uint8Array(maxLen + 1);
    for (const t of this.tokens) this.byLength[t.length] = 1;
  }

  matches(buf: Uint8Array, s: number, e: number): boolean {
    const n = e - s;
    if (n === 0) return this.empty;
    if (n >= this.byLength.length || this.byLength[n] === 0) return false;
    outer: for (const t of this.tokens) {
      if (t.length !== n) continue;
      for (let k = 0; k < n; k++) if (buf[s + k] !== t[k]) continue outer;
      return true;
    }
    return false;
  }
}

/** Moves `s` forward past spaces and tabs; see `trimEnd`. */
export function trimStart(buf: Uint8Array, s: number, e: number): number {
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  return s;
}
export function trimEnd(buf: Uint8Array, s: number, e: number): number {
  while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
  return e;
}

/** What pass 1 learned about one column. */
export class ColumnInference {
  /** Fields that matched a null token (quoted or not). */
  nulls = 0;
  /** Whether any field was not null. */
  any = false;
  canInt = true;
  canFloat = true;
  canBool = true;
  canTs = true;
  /** Most fraction-of-second digits seen in a timestamp. */
  digits = 0;
  minSeconds = Number.POSITIVE_INFINITY;
  maxSeconds = Number.NEGATIVE_INFINITY;
  /**
   * While the column may still be numeric: every value parsed so far (row-indexed, nulls 0), so
   * that a float64 column, or an int64 column of integers below 2^53, needs no second parse.
   */
  values: Float64Array | null = new Float64Array(1024);
  /** Null mask matching `values` (allocated at the first null). */
  nullMask: Uint8Array | null = null;
  /** Most significant digits of an integer seen (beyond 15, int64 values need BigInt). */
  maxSig = 0;

  /** Makes `values` (and `nullMask`) hold at least `rows` rows. */
  reserve(rows: number): void {
    const v = this.values;
    if (v === null || v.length >= rows) return;
    const n = Math.max(rows, v.length * 2);
    const grown = new Float64Array(n);
    grown.set(v);
    this.values = grown;
    if (this.nullMask !== null) {
      const m = new Uint8Array(n);
      m.set(this.nullMask);
      this.nullMask = m;
    }
  }

  /** Marks row `row` null in the speculative values. */
  setNull(row: number): void {
    if (this.values === null) return;
    if (this.nullMask === null) this.nullMask = new Uint8Array(this.values.length);
    this.nullMask[row] = 1;
  }

  /** Inferred type and, for timestamps, unit. */
  decide(): { type: ColumnType; unit: TimeUnit } {
    const unit = unitForFractionDigits(this.digits);
    if (!this.any) return { type: "float64", unit };
    if (this.canInt) return { type: "int64", unit };
    if (this.canFloat) return { type: "float64", unit };
    if (this.canBool) return { type: "bool", unit };
    if (this.canTs && secondsFitUnit(this.minSeconds, this.maxSeconds, unit)) {
      return { type: "timestamp", unit };
    }
    return { type: "string", unit };
  }
}

/**
 * Feeds slot `k` of every record in the tape (rows `offset…`) to the column's inference, and
 * while the column may be numeric, parses the numbers into `st.values`.
 */
/**
 * Whether the number text at buf[s, e) has a leading zero before another digit (`00501`, `-007`):
 * an identifier such as a ZIP code, whose zeros a number would drop, so the column is read as text.
 */
function leadingZero(buf: Uint8Array, s: number, e: number): boolean {
  const i = buf[s] === 0x2b || buf[s] === 0x2d ? s + 1 : s; // + or -
  return i + 1 < e && buf[i] === 0x30 && buf[i + 1]! >= 0x30 && buf[i + 1]! <= 0x39;
}

export function inferTape(
  tape: CsvTape,
  k: number,
  buf: Uint8Array,
  st: ColumnInference,
  nulls: NullMatcher,
  offset: number,
): void {
  const { starts, ends, flags, width, count } = tape;
  let open = st.canInt || st.canFloat || st.canBool || st.canTs;
  st.reserve(offset + count);
  let values = st.values;
  for (let r = 0, idx = k; r < count; r++, idx += width) {
    const s0 = starts[idx]!;
    const e0 = ends[idx]!;
    const fl = flags[idx]!;
    if ((fl & FLAG_RAW) === 0 && nulls.matches(buf, s0, e0)) {
      st.nulls++;
      if (values !== null) st.setNull(offset + r);
      continue;
    }
    st.any = true;
    if (!open) continue;
    const s = trimStart(buf, s0, e0);
    const e = trimEnd(buf, s, e0);
    if (s === e || (fl & (FLAG_ESCAPED | FLAG_RAW)) !== 0) {
      st.canInt = st.canFloat = st.canBool = st.canTs = open = false;
      st.values = values = null;
      st.nullMask = null;
      continue;
    }
    if (values !== null) {
      const kind = scanNumber(buf, s, e, true);
      if (kind === NUM_INT && !leadingZero(buf, s, e)) {
        st.canBool = st.canTs = false;
        values[offset + r] = scanned.value;
        if (scanned.sig > st.maxSig) st.maxSig = scanned.sig;
        // int64 keeps it, a double would not: the column may be int64, not float64.
        if (!scanned.exact) st.canFloat = false;
        continue;
      }
      if (kind === NUM_FLOAT && !leadingZero(buf, s, e)) {
        st.canInt = st.canBool = st.canTs = false;
        values[offset + r] = scanned.value;
        continue;
      }
      st.canInt = st.canFloat = false;
      st.values = values = null;
      st.nullMask = null;
    }
    if (st.canBool) {
      if (scanBool(buf, s, e) >= 0) {
        st.canTs = false;
        continue;
      }
      st.canBool = false;
    }
    if (st.canTs && parseIsoTimestamp(buf, s, e)) {
      if (parsedTime.digits > st.digits) st.digits = parsedTime.digits;
      if (parsedTime.seconds < st.minSeconds) st.minSeconds = parsedTime.seconds;
      if (parsedTime.seconds > st.maxSeconds) st.maxSeconds = parsedTime.seconds;
      continue;
    }
    st.canTs = open = false;
  }
}

/**
 * For a column forced to `timestamp`: the most fraction digits and the range over every field
 * that parses (the others are errors or nulls in pass 2), so that the unit keeps them all.
 */
export function scanTimestampDigits(
  tape: CsvTape,
  k: number,
  buf: Uint8Array,
  st: ColumnInference,
): void {
  const { starts, ends, flags, width, count } = tape;
  for (let r = 0, idx = k; r < count; r++, idx += width) {
    if ((flags[idx]! & FLAG_RAW) !== 0) continue;
    const s = trimStart(buf, starts[idx]!, ends[idx]!);
    const e = trimEnd(buf, s, ends[idx]!);
    if (s < e && parseIsoTimestamp(buf, s, e) && parsedTime.digits > st.digits) {
      st.digits = parsedTime.digits;
    }
  }
}
