/**
 * CSV tokenizer over bytes: finds field boundaries of whole records and writes them to a
 * `CsvTape`, without decoding text. Delimiters (`,` `"` CR LF and the escape character) are
 * ASCII, so the same code serves UTF-8 and Latin-1. Records are tokenized in batches
 * (`tape.capacity` records), and a record cut by the end of a buffer is left for the next call
 * with more bytes: the unit a block-wise reader builds on.
 *
 * Dialect: RFC 4180 (fields separated by `,`, records by LF, CRLF or a lone CR; a field starting
 * with `"` is quoted, may hold `,` CR LF, and writes `"` as `""`), read leniently the way
 * Python's `csv` module and pandas do: text after a closing quote continues the field
 * (`"a" b` is `a b`), and a `"` inside an unquoted field is kept as text. With an escape
 * character (e.g. `\`), it makes the next character literal, inside or outside quotes
 * (pandas' `escapechar`). A line with no bytes at all is skipped when there is more than one
 * column (pandas' `skip_blank_lines`); with one column it is a record with one empty field.
 * Every record must have as many fields as the header.
 */
import { InvalidInputError } from "../core/errors.js";

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

/** Field `starts`/`ends` (byte offsets) of `count` records, `width` selected columns each. */
export interface CsvTape {
  readonly capacity: number;
  readonly width: number;
  /** Field k of record r is at index r·width + k. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** `FLAG_*` bits. */
  readonly flags: Uint8Array;
  /** 1-based line where each record starts. */
  readonly lines: Float64Array;
  count: number;
}

/** The field was quoted; its bounds exclude the quotes. */
export const FLAG_QUOTED = 1;
/** The quoted field holds `""` (to be read as `"`). */
export const FLAG_ESCAPED = 2;
/**
 * The field has escape characters or text after its closing quote: its bounds are the raw
 * bytes, quotes included, and `unescapeField` gives its text. Never a number or a null.
 */
export const FLAG_RAW = 4;

export function createTape(width: number, capacity: number): CsvTape {
  const n = width * capacity;
  return {
    capacity,
    width,
    starts: new Int32Array(n),
    ends: new Int32Array(n),
    flags: new Uint8Array(n),
    lines: new Float64Array(capacity),
    count: 0,
  };
}

/**
 * The text of a `FLAG_RAW` field from its raw text (quotes included), as Python's csv reader
 * reads it: an opening quote starts a quoted part that a lone quote ends, `""` inside it is `"`,
 * and the escape character makes the next character literal.
 */
export function unescapeField(raw: string, escapeChar: string | null): string {
  let out = "";
  let quoted = raw.charCodeAt(0) === QUOTE;
  let i = quoted ? 1 : 0;
  const n = raw.length;
  while (i < n) {
    const ch = raw[i]!;
    if (ch === escapeChar) {
      if (i + 1 < n) out += raw[i + 1];
      i += 2;
    } else if (quoted && ch === '"') {
      if (raw[i + 1] === '"') {
        out += '"';
        i += 2;
      } else {
        quoted = false;
        i++;
      }
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** A record cut off by the end of its buffer (an open quote), and no bytes: see the constructor. */
const CUT_RECORD = new Uint8Array([QUOTE]);
const NO_BYTES = new Uint8Array(0);
let warmedUp = false;

/** Most columns a header may have. */
export const MAX_COLUMNS = 1 << 16;

/** Slot maps of large selections by their array (never changed once built). */
const slotMaps = new WeakMap<readonly number[], Int32Array>();

/** Tokenizes records of a file with `fileColumns` columns into a tape of the selected ones. */
export class CsvTokenizer {
  /** Line number (1-based) of the next unread byte. */
  line: number;
  /** Set by `tokenize` when it stopped because the buffer ran out (not because the tape filled). */
  atEnd = false;
  /** Fields in the last record read (equals `fileColumns` unless `anyCount`). */
  lastFieldCount = 0;
  private readonly slotOf: Int32Array;
  /** 0 for ordinary bytes, 1 for `,` CR LF, 2 for the escape character. */
  private readonly stop: Uint8Array;
  private readonly esc: number;

  /**
   * @param path for messages.
   * @param fileColumns number of columns in the header.
   * @param selected file column index of each tape slot.
   * @param firstLine line number of the first record.
   * @param escapeChar an ASCII escape character, or null.
   * @param anyCount accept records of any field count (for reading the header).
   */
  constructor(
    private readonly path: string,
    private readonly fileColumns: number,
    selected: readonly number[],
    readonly tape: CsvTape,
    firstLine: number,
    escapeChar: string | null,
    private readonly anyCount = false,
  ) {
    const known = slotMaps.get(selected);
    if (known !== undefined && known.length === fileColumns) this.slotOf = known;
    else {
      this.slotOf = new Int32Array(fileColumns).fill(-1);
      selected.forEach((col, slot) => {
        this.slotOf[col] = slot;
      });
      // The header reader passes the same 65,536 slots for every file: build their map once.
      if (fileColumns >= 4096) slotMaps.set(selected, this.slotOf);
    }
    this.line = firstLine;
    this.stop = new Uint8Array(256);
    this.stop[COMMA] = this.stop[LF] = this.stop[CR] = 1;
    this.esc = escapeChar === null ? -1 : escapeChar.charCodeAt(0);
    if (this.esc >= 0) this.stop[this.esc] = 2;
    if (!warmedUp) {
      // Short calls first (an empty buffer, a cut record), so that the statements after the
      // loop have type feedback before the loop gets hot: V8 (Node 20) otherwise compiles the
      // loop on the stack without it and drops out of that code at every return, running at
      // half speed (measured: 140 against 70 ms for 8 MiB of `int,decimal` rows). Feedback is
      // kept only once the function has run a while, hence the many calls.
      warmedUp = true;
      for (let i = 0; i < 64; i++) this.tokenize(i % 2 === 0 ? CUT_RECORD : NO_BYTES, 0, false);
      this.line = firstLine;
      tape.count = 0;
    }
  }

  /**
   * Tokenizes records of `buf` from `pos` until the tape is full or the buffer ends; returns the
   * position after the last whole record. Without `eof`, a record the buffer cuts off is left
   * unread (and `atEnd` set) so that the caller can retry it with more bytes. A record (or blank
   * line) starting at or after `limit` is not read: the caller then gets a position ≥ `limit`.
   * At most `most` records are read (the tape's capacity by default).
   */
  tokenize(
    buf: Uint8Array,
    pos: number,
    eof: boolean,
    limit = Number.POSITIVE_INFINITY,
    most = this.tape.capacity,
  ): number {
    const len = buf.length;
    const tape = this.tape;
    const { starts, ends, flags, lines, width } = tape;
    const capacity = Math.min(most, tape.capacity);
    const nfile = this.fileColumns;
    const slotOf = this.slotOf;
    const stop = this.stop;
    const esc = this.esc;
    let line = this.line;
    let count = 0;
    let recStart = pos;
    let recLine = line;
    let cut = false;
    this.atEnd = false;
    records: while (count < capacity) {
      if (pos >= len) {
        this.atEnd = true;
        break;
      }
      if (pos >= limit) break;
      recStart = pos;
      recLine = line;
      const c0 = buf[pos];
      if ((c0 === LF || c0 === CR) && nfile > 1) {
        // blank line: skip
        if (c0 === CR) {
          if (pos + 1 >= len && !eof) {
            cut = true;
            break;
          }
          pos += buf[pos + 1] === LF ? 2 : 1;
        } else {
          pos++;
        }
        line++;
        continue;
      }
      const base = count * width;
      let col = 0;
      for (;;) {
        let s = pos;
        let e = pos;
        let f = 0;
        let scan = true;
        if (pos < len && buf[pos] === QUOTE) {
          f = FLAG_QUOTED;
          const fieldLine = line;
          pos++;
          s = pos;
          for (;;) {
            if (pos >= len) {
              if (!eof) {
                cut = true;
                break records;
              }
              throw new InvalidInputError(
                `${this.path}: line ${fieldLine}: quoted field never closed (a field starting with " must end with "; write a literal " as "")`,
              );
            }
            const c = buf[pos];
            if (c === QUOTE) {
              if (pos + 1 >= len && !eof) {
                cut = true;
                break records;
              }
              if (buf[pos + 1] === QUOTE) {
                f |= FLAG_ESCAPED;
                pos += 2;
                continue;
              }
              break;
            }
            if (c === esc) {
              if (pos + 1 >= len && !eof) {
                cut = true;
                break records;
              }
              f |= FLAG_RAW;
              pos++;
            }
            const d = buf[pos];
            if (d === LF || (d === CR && buf[pos + 1] !== LF)) line++;
            pos++;
          }
          // pos is at the closing quote
          e = pos;
          pos++;
          if (pos < len && stop[buf[pos]!] !== 1) f |= FLAG_RAW;
          else scan = false;
          if ((f & FLAG_RAW) !== 0) {
            // raw bounds: from the opening quote to the end of the field
            s -= 1;
            e = pos;
          }
        }
        if (scan) {
          while (pos < len) {
            const t = stop[buf[pos]!]!;
            if (t === 0) {
              pos++;
            } else if (t === 1) {
              break;
            } else {
              if (pos + 1 >= len && !eof) {
                cut = true;
                break records;
              }
              f |= FLAG_RAW;
              const d = buf[pos + 1];
              if (d === LF || (d === CR && buf[pos + 2] !== LF)) line++;
              pos += 2;
            }
          }
          if (pos > len) pos = len;
          e = pos;
        }
        if (col < nfile) {
          const k = slotOf[col]!;
          if (k >= 0) {
            starts[base + k] = s;
            ends[base + k] = e;
            flags[base + k] = f;
          }
        }
        col++;
        if (pos >= len) {
          if (!eof) {
            cut = true;
            break records;
          }
          break;
        }
        const c = buf[pos];
        if (c === COMMA) {
          pos++;
          continue;
        }
        if (c === CR) {
          if (pos + 1 >= len && !eof) {
            cut = true;
            break records;
          }
          pos += buf[pos + 1] === LF ? 2 : 1;
        } else {
          pos++;
        }
        line++;
        break;
      }
      if (col !== nfile && !this.anyCount) {
        throw new InvalidInputError(
          `${this.path}: line ${recLine}: expected ${nfile} fields (as in the header), got ${col}. Fix that line; if the file escapes delimiters with a backslash (\\,), read it with escapeChar "\\" (CLI: --escape-char '\\').`,
        );
      }
      this.lastFieldCount = col;
      lines[count] = recLine;
      count++;
    }
    if (cut) {
      // The buffer ended inside a record: leave it for a call with more bytes.
      pos = recStart;
      line = recLine;
      this.atEnd = true;
    }
    tape.count = count;
    this.line = line;
    return pos;
  }
}
