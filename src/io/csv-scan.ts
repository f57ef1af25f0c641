/**
 * The CSV reader's fast path (`assembly/csv-scan.ts`): plain records whose selected columns are
 * all float64, int64 or int32 are read by WebAssembly straight from the file's bytes into typed
 * arrays, about four times faster than tokenizing and converting them in JavaScript. The fast
 * path takes a record only where the JavaScript reader has no choice to make (numbers of at most
 * 15 digits, or 16 and 17 that are a double's shortest decimal; null tokens; no quotes, escapes,
 * spaces or blank lines) and gives each value the double the JavaScript reader gives, so the
 * values are the same; every other record, and every error, is the JavaScript reader's.
 *
 * The bytes must be in the module's memory: {@link CsvScanner.window} gives a Buffer there, which
 * the range reader reads the file into. One module per thread, laid out anew for each file.
 */
import { isUtf8 } from "node:buffer";
import { closeSync, openSync, readSync } from "node:fs";
import { valuesClass } from "../core/array-bin.js";
import { instantiateWasm, type WasmMemory } from "../core/kernels/wasm.js";
import type { Column, ColumnType } from "../core/table.js";
import { type ColumnSpec, nullsOf } from "./columns.js";
import { NUM_NONE, scanNumber } from "./csv-number.js";
import { CSV_SCAN_WASM_BASE64 } from "./generated/csv-scan-wasm.js";
import type { ResolvedReadOptions } from "./options.js";
import { ryuTables } from "./ryu.js";

interface ScanExports {
  readonly memory: WasmMemory;
  base(): number;
  reserve(bytes: number): boolean;
  /** Where Ryū's tables go (`ryuTables`), for 16- and 17-digit decimals. */
  tables(): number;
  scan(
    buf: number,
    pos: number,
    len: number,
    limit: number,
    eof: boolean,
    nfile: number,
    maxRows: number,
    tokens: number,
  ): number;
  scanEnd(): number;
  scanRefused(): number;
  scanNulls(): number;
}

/** Descriptor kinds, by column type (the types the fast path reads). */
const KIND: Record<string, number> = { float64: 1, int64: 2, int32: 3 };

/** Bytes of a value of a column type the fast path reads. */
function sizeOf(type: ColumnType): number {
  if (type === "string") throw new Error("csv-scan: text columns are not read by the fast path");
  return valuesClass(type).BYTES_PER_ELEMENT;
}
/** Bytes of the window type inference reads the file through. */
const INFER_WINDOW_BYTES = 1 << 20;
/** Output rows per call: about 4 MB of output arrays whatever the width. */
const MAX_OUTPUT_BYTES = 1 << 22;

let wasm: ScanExports | null | undefined;
let current: CsvScanner | null = null;
let enabled = true;
let scanned = 0;

/**
 * Turns the fast path on or off in this thread (on by default): off, every record goes through
 * the JavaScript reader. For comparing the two.
 */
export function setCsvFastPath(on: boolean): void {
  enabled = on;
}

/** Records the fast path has read in this thread. */
export function fastPathRecords(): number {
  return scanned;
}

/** What the fast path needs to know of a file: its columns and how its text is read. */
export interface ScanPlan {
  fileColumns: number;
  /** File column of each selected column. */
  selected: readonly number[];
  specs: readonly ColumnSpec[];
  opts: ResolvedReadOptions;
}

/** Whether the fast path reads `plan`'s records (WebAssembly aside). */
export function scannable(plan: ScanPlan): boolean {
  const { specs, opts } = plan;
  if (specs.length === 0 || !specs.every((s) => KIND[s.type] !== undefined)) return false;
  if (opts.escapeChar !== null && opts.escapeChar.charCodeAt(0) > 127) return false;
  // A null token that reads as a number would be taken as that number.
  return opts.nullValues.every((v) => {
    const b = Buffer.from(v, opts.encoding);
    return b.length === 0 || scanNumber(b, 0, b.length, false) === NUM_NONE;
  });
}

/**
 * The thread's scanner laid out for `plan`, or null when the fast path does not read its records
 * or WebAssembly is missing. A scanner laid out for another file is no longer valid afterwards.
 */
export function scannerFor(plan: ScanPlan): CsvScanner | null {
  if (!enabled || !scannable(plan)) return null;
  if (wasm === undefined) wasm = newInstance();
  if (wasm === null) return null;
  if (current === null || !current.serves(plan)) current = new CsvScanner(wasm, plan);
  return current;
}

/**
 * A scanner of its own for `plan` (its own module instance and memory), or null as
 * {@link scannerFor}: for a reader that yields between batches, while other readers of the same
 * thread may scan.
 */
export function ownScanner(plan: ScanPlan): CsvScanner | null {
  if (!enabled || !scannable(plan)) return null;
  const instance = spare.pop() ?? newInstance();
  return instance === null ? null : new CsvScanner(instance, plan);
}

/** Module instances that finished passes left for the next ones (a service reads many bodies). */
const spare: ScanExports[] = [];

/** Gives an {@link ownScanner}'s module instance back once its pass is over (never used again). */
export function releaseScanner(s: CsvScanner): void {
  if (spare.length < 4) spare.push(s.instance);
}

function newInstance(): ScanExports | null {
  const w = instantiateWasm<ScanExports>(CSV_SCAN_WASM_BASE64);
  if (w !== null) {
    const t = ryuTables();
    new BigUint64Array(w.memory.buffer, w.tables(), t.length).set(t);
  }
  return w;
}

/** Reads plain records of one file's layout (see the module comment). */
export class CsvScanner {
  /** Most records per `scan`. */
  readonly maxRows: number;
  /** The module instance it scans with. */
  get instance(): ScanExports {
    return this.wasm;
  }
  /** Where the last `scan` stopped, and whether at a record it does not take. */
  end = 0;
  refused = false;
  private readonly key: string;
  private readonly outAt: number[];
  private readonly nullsAt: number[];
  private readonly tokensAt: number;
  private readonly input: number;
  private lastNulls = 0;
  private windowBytes = 0;
  private memory: ArrayBuffer | null = null;

  constructor(
    private readonly wasm: ScanExports,
    private readonly plan: ScanPlan,
  ) {
    const { fileColumns, selected, specs, opts } = plan;
    this.key = keyOf(plan);
    const rowBytes = specs.reduce((n, s) => n + sizeOf(s.type), 0);
    this.maxRows = Math.max(16, Math.min(65536, Math.floor(MAX_OUTPUT_BYTES / rowBytes)));
    const base = wasm.base();
    let at = base + 256 + 16 * fileColumns;
    this.outAt = specs.map((s) => {
      const out = (at + 7) & ~7;
      at = out + this.maxRows * sizeOf(s.type);
      return out;
    });
    this.nullsAt = specs.map(() => {
      const out = at;
      at += this.maxRows;
      return out;
    });
    const tokens = opts.nullValues.map((v) => Buffer.from(v, opts.encoding));
    this.tokensAt = (at + 3) & ~3;
    at = this.tokensAt + tokens.reduce((n, t) => n + 4 + ((t.length + 3) & ~3), 4);
    this.input = (at + 15) & ~15;
    if (!wasm.reserve(this.input - base)) throw new Error("csv-scan: out of WebAssembly memory");
    const mem = new Uint8Array(wasm.memory.buffer);
    const cls = mem.subarray(base, base + 256);
    cls.fill(0);
    cls[44] = 1;
    cls[10] = 2;
    cls[13] = 3;
    cls[34] = 4;
    if (opts.escapeChar !== null) cls[opts.escapeChar.charCodeAt(0)] = 4;
    const desc = new Int32Array(wasm.memory.buffer, base + 256, 4 * fileColumns);
    desc.fill(0);
    selected.forEach((col, k) => {
      desc[4 * col] = KIND[specs[k]!.type]!;
      desc[4 * col + 1] = this.outAt[k]!;
      desc[4 * col + 3] = this.nullsAt[k]!;
    });
    const view = new DataView(wasm.memory.buffer);
    let t = this.tokensAt;
    for (const token of tokens) {
      view.setUint32(t, token.length, true);
      mem.set(token, t + 4);
      t += 4 + ((token.length + 3) & ~3);
    }
    view.setUint32(t, 0xffffffff, true);
  }

  /**
   * The number syntax seen in selected column `k` since the last {@link clearSyntax}: whether a
   * field had a fraction, an exponent or was `-0` (`fraction`), and whether one had a leading
   * zero before another digit (`leadingZero`, `007`).
   */
  syntax(k: number): { fraction: boolean; leadingZero: boolean; value: boolean } {
    const bits = new Int32Array(this.wasm.memory.buffer)[this.flagsIndex(k)]!;
    return { fraction: (bits & 1) !== 0, leadingZero: (bits & 2) !== 0, value: (bits & 4) !== 0 };
  }

  clearSyntax(): void {
    const words = new Int32Array(this.wasm.memory.buffer);
    for (let k = 0; k < this.plan.selected.length; k++) words[this.flagsIndex(k)] = 0;
  }

  private flagsIndex(k: number): number {
    return (this.wasm.base() + 256 + 16 * this.plan.selected[k]! + 8) >> 2;
  }

  serves(plan: ScanPlan): boolean {
    return plan === this.plan || keyOf(plan) === this.key;
  }

  /**
   * A Buffer of `bytes` bytes in the module's memory, for the input. Its first bytes are those
   * of the last window given (the memory grows in place); earlier windows are no longer valid.
   */
  window(bytes: number): Buffer {
    if (bytes > this.windowBytes || this.memory !== this.wasm.memory.buffer) {
      const base = this.wasm.base();
      if (!this.wasm.reserve(this.input - base + bytes)) {
        throw new Error("csv-scan: out of WebAssembly memory");
      }
      this.windowBytes = Math.max(bytes, this.windowBytes);
      this.memory = this.wasm.memory.buffer;
    }
    return Buffer.from(this.memory!, this.input, bytes);
  }

  /**
   * Reads records of `window` (the last one {@link window} gave, `len` bytes of it valid) from
   * `pos` into the output arrays; returns the number read (at most `maxRows`). Stops before a
   * record starting at or after `limit`, before one the bytes cut off (unless `eof`), and before
   * one it does not take (`refused`); `end` is the position after the last record read.
   */
  scan(pos: number, len: number, limit: number, eof: boolean, maxRows = this.maxRows): number {
    const n = this.wasm.scan(
      this.input,
      pos,
      len,
      Math.min(limit, len),
      eof,
      this.plan.fileColumns,
      Math.min(maxRows, this.maxRows),
      this.tokensAt,
    );
    this.lastNulls = this.wasm.scanNulls();
    this.end = this.wasm.scanEnd();
    this.refused = this.wasm.scanRefused() === 1;
    scanned += n;
    return n;
  }

  /**
   * Copies `rows` values of selected column `k` from the last scan (from its row `skip`) into
   * `col` from row `at`, and marks its nulls (a null's value is 0).
   */
  copy(k: number, col: Column, at: number, rows: number, skip = 0): void {
    const memory = this.wasm.memory.buffer;
    if (col.type === "string")
      throw new Error("csv-scan: text columns are not read by the fast path");
    const from = this.outAt[k]! + skip * sizeOf(col.type);
    if (this.lastNulls > 0) {
      const flags = new Uint8Array(memory, this.nullsAt[k]! + skip, rows);
      if (flags.includes(1)) {
        const mask = nullsOf(col);
        for (let i = 0; i < rows; i++) if (flags[i] === 1) mask[at + i] = 1;
      }
    }
    // A view of the output of the column's own array type (float64, int64 or int32).
    const Values = valuesClass(col.type);
    (col.values as Float64Array).set(new Values(memory, from, rows) as Float64Array, at);
  }
}

function keyOf(plan: ScanPlan): string {
  return JSON.stringify([
    plan.fileColumns,
    plan.selected,
    plan.specs.map((s) => s.type),
    plan.opts.escapeChar,
  ]);
}

/**
 * The types inference (`csv-infer.ts`) gives the selected columns of a CSV file from its first
 * `rows` records, found by the fast path: int64 for a column of integers, float64 for one with a
 * fraction, an exponent or `-0`; a forced type as given. Null when the fast path does not take
 * every one of those records (a null, text, a quote, a leading zero, invalid UTF-8, …) or when
 * the file ends first and `more` files follow: the caller then infers in JavaScript, which
 * decides those cases. Data start at byte `dataStart` of the file of `size` bytes.
 */
export function inferNumericTypes(
  path: string,
  size: number,
  dataStart: number,
  plan: Omit<ScanPlan, "specs"> & { forced: readonly (ColumnType | undefined)[] },
  rows: number,
  more: boolean,
): ColumnType[] | null {
  const { forced, fileColumns, selected, opts } = plan;
  const specs = forced.map((t) => ({ name: "", type: t ?? "float64", unit: "s" as const }));
  const scanner = scannerFor({ fileColumns, selected, specs, opts });
  if (scanner === null || size <= dataStart) return null;
  scanner.clearSyntax();
  const fd = openSync(path, "r");
  try {
    // A window that slides over the file (records it has read move out), grown only for a
    // record longer than it: little new memory, which is slow to touch the first time.
    let room = Math.min(size - dataStart, INFER_WINDOW_BYTES);
    let buf = scanner.window(room);
    let offset = dataStart;
    let length = 0;
    let pos = 0;
    let got = 0;
    for (;;) {
      while (length < room && offset + length < size) {
        const n = readSync(fd, buf, length, room - length, offset + length);
        if (n === 0) return null; // the file changed: the JavaScript reader reports it
        length += n;
      }
      const eof = offset + length >= size;
      const ask = Math.min(rows - got, scanner.maxRows);
      const n = scanner.scan(pos, length, length, eof, ask);
      got += n;
      pos = scanner.end;
      if (scanner.refused) return null;
      if (got >= rows) break;
      if (n === ask) continue;
      if (eof) {
        if (more || got === 0) return null;
        break;
      }
      if (!readable(buf, pos, opts)) return null;
      if (pos === 0) {
        room *= 2;
        buf = scanner.window(room);
      } else {
        buf.copyWithin(0, pos, length);
        offset += pos;
        length -= pos;
        pos = 0;
      }
    }
    if (!readable(buf, pos, opts)) return null;
    const types: ColumnType[] = [];
    for (let k = 0; k < selected.length; k++) {
      const syntax = scanner.syntax(k);
      if (forced[k] === undefined && syntax.leadingZero) return null;
      // A column of nulls only is float64, as the JavaScript inference decides.
      types.push(forced[k] ?? (syntax.fraction || !syntax.value ? "float64" : "int64"));
    }
    return types;
  } finally {
    closeSync(fd);
  }
}

/** Whether the first `end` bytes of `buf` are valid text in the file's encoding. */
function readable(buf: Buffer, end: number, opts: ResolvedReadOptions): boolean {
  return opts.encoding !== "utf8" || isUtf8(buf.subarray(0, end));
}
