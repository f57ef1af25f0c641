/**
 * Numbers as CSV bytes from WebAssembly (`assembly/csv-rows.ts`, `assembly/ryu.ts`): the
 * shortest round-trip text of a double as `String(x)` writes it (Ryū; about five times faster
 * than `String(x)` for full-precision doubles, and written as bytes, not as a string), and whole
 * rows of numeric columns a batch at a time. Where WebAssembly is missing, `writeDouble` falls
 * back to `String(x)` and `formatNumericRows` declines.
 */

import { instantiateWasm } from "../core/kernels/wasm.js";
import type { Column } from "../core/table.js";
import { RYU_WASM_BASE64 } from "./generated/ryu-wasm.js";

interface RyuExports {
  memory: { buffer: ArrayBuffer };
  tables(): number;
  text(): number;
  d2s(x: number): number;
  base(): number;
  reserve(bytes: number): boolean;
  formatRows(desc: number, m: number, rows: number, out: number): number;
  formatJsonRows(
    desc: number,
    m: number,
    rows: number,
    out: number,
    keys: number,
    close: number,
  ): number;
}

let computed: BigUint64Array | null = null;

/**
 * Ryū's tables, for each module that prints with `assembly/ryu.ts` (written at its `tables()`),
 * computed once: pairs (low, high 64 bits) of ⌊2^(bits(5^q) − 1 + 125) / 5^q⌋ + 1 for q < 342,
 * then of the top 125 bits of 5^i for i < 326.
 */
export function ryuTables(): BigUint64Array {
  if (computed !== null) return computed;
  const out = new BigUint64Array(2 * (342 + 326));
  const mask = (1n << 64n) - 1n;
  const put = (k: number, v: bigint) => {
    out[2 * k] = v & mask;
    out[2 * k + 1] = v >> 64n;
  };
  for (let q = 0; q < 342; q++) {
    const pow = 5n ** BigInt(q);
    const j = pow.toString(2).length - 1 + 125;
    put(q, (1n << BigInt(j)) / pow + 1n);
  }
  for (let i = 0; i < 326; i++) {
    const pow = 5n ** BigInt(i);
    const shift = pow.toString(2).length - 125;
    put(342 + i, shift >= 0 ? pow >> BigInt(shift) : pow << BigInt(-shift));
  }
  computed = out;
  return out;
}

let ryu: RyuExports | null | undefined;
let bytes = new Uint8Array(0);
let text = 0;

function instantiate(): RyuExports | null {
  const r = instantiateWasm<RyuExports>(RYU_WASM_BASE64);
  if (r === null) return null;
  new BigUint64Array(r.memory.buffer, r.tables(), 2 * (342 + 326)).set(ryuTables());
  bytes = new Uint8Array(r.memory.buffer);
  text = r.text();
  return r;
}

/**
 * Writes the text `String(x)` gives for a finite, non-zero double into `out` at `at`; returns the
 * position after it. `out` must have 25 bytes of room.
 */
export function writeDouble(x: number, out: Uint8Array, at: number): number {
  if (ryu === undefined) ryu = instantiate();
  if (ryu === null) {
    const s = String(x);
    for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i);
    return at;
  }
  const n = ryu.d2s(x);
  for (let i = 0; i < n; i++) out[at++] = bytes[text + i]!;
  return at;
}

/** Descriptor kinds of `formatRows` and the bytes of a value, by column type. */
const KIND: Record<string, number> = { float64: 0, float32: 1, int32: 2, int64: 3, bool: 4 };
const SIZE: Record<string, number> = { float64: 8, float32: 4, int32: 4, int64: 8, bool: 1 };
/** Output bytes a field may take: `-1.2345678901234567e-308` and a comma. */
const FIELD_BYTES = 26;

/** Most bytes of a field by column type (`-1.2345678901234567e-308`, `-2147483648`, …). */
const WIDTH: Record<string, number> = { float64: 24, float32: 24, int32: 11, int64: 20, bool: 5 };

/** Most bytes {@link formatNumericRows} writes for a row of `columns` (separators included). */
export function maxNumericRowBytes(columns: readonly Column[]): number {
  return columns.reduce((n, c) => n + WIDTH[c.type]! + 1, 0);
}

/** True when every column is of a type {@link formatNumericRows} writes. */
export function numericColumns(columns: readonly Column[]): boolean {
  return columns.every((c) => KIND[c.type] !== undefined);
}

const COMMA = new Uint8Array([44]);

/**
 * Writes rows [0, rows) of numeric columns (see {@link numericColumns}) as CSV rows, the bytes
 * `csv-bytes.ts`'s row loop writes, a batch of rows per WebAssembly call; each batch's bytes go
 * to `put` (valid until it returns). With `json`, the rows are JSON values separated by commas
 * instead, as `tableToJson` writes them: each column's value after its key (`{"name":` for the
 * first, `,"name":` for the others; empty for one column's values) and each row ended by the
 * byte `close` (`}`; -1: none). False, having written nothing, where WebAssembly is missing.
 */
export function formatNumericRows(
  columns: readonly Column[],
  rows: number,
  put: (bytes: Uint8Array) => void,
  json: { keys: readonly Uint8Array[]; close: number } | null = null,
): boolean {
  if (ryu === undefined) ryu = instantiate();
  if (ryu === null) return false;
  const m = columns.length;
  const keyBytes = json?.keys.reduce((n, k) => n + k.length, 0) ?? 0;
  const rowBytes = m * (FIELD_BYTES + 2) + keyBytes + 2;
  // About 2 MB of WebAssembly memory whatever the width.
  const batch = Math.max(16, Math.min(rows, 65536, Math.floor(2 ** 21 / (rowBytes + 9 * m))));
  const base = ryu.base();
  let at = base + 16 * m;
  const keysAt = at;
  if (json !== null) for (const k of json.keys) at += 4 + Math.ceil(k.length / 4) * 4;
  at = Math.ceil(at / 8) * 8;
  const places = columns.map((c) => {
    const values = at;
    at += Math.ceil((batch * SIZE[c.type]!) / 8) * 8;
    const nulls = c.type !== "string" && c.nulls !== null ? at : 0;
    if (nulls !== 0) at += Math.ceil(batch / 8) * 8;
    return { values, nulls };
  });
  const outAt = at;
  const end = outAt + batch * rowBytes + 16;
  if (!ryu.reserve(end - base)) return false;
  // The memory may have grown: new views of it.
  const memory = ryu.memory.buffer;
  bytes = new Uint8Array(memory);
  if (json !== null) {
    let k = keysAt;
    for (const key of json.keys) {
      new DataView(memory).setUint32(k, key.length, true);
      bytes.set(key, k + 4);
      k += 4 + Math.ceil(key.length / 4) * 4;
    }
  }
  const desc = new Int32Array(memory, base, 4 * m);
  const views = columns.map((c, k) => {
    const { values, nulls } = places[k]!;
    desc[4 * k] = KIND[c.type]!;
    desc[4 * k + 1] = values;
    desc[4 * k + 2] = nulls;
    const into =
      c.type === "float64"
        ? new Float64Array(memory, values, batch)
        : c.type === "float32"
          ? new Float32Array(memory, values, batch)
          : c.type === "int32"
            ? new Int32Array(memory, values, batch)
            : c.type === "int64"
              ? new BigInt64Array(memory, values, batch)
              : new Uint8Array(memory, values, batch);
    return { into, mask: nulls === 0 ? null : new Uint8Array(memory, nulls, batch) };
  });
  for (let start = 0; start < rows; start += batch) {
    const n = Math.min(batch, rows - start);
    columns.forEach((c, k) => {
      const v = views[k]!;
      if (c.type === "string") return;
      (v.into as Float64Array).set((c.values as Float64Array).subarray(start, start + n));
      if (v.mask !== null) v.mask.set(c.nulls!.subarray(start, start + n));
    });
    if (json === null) put(bytes.subarray(outAt, ryu.formatRows(base, m, n, outAt)));
    else {
      if (start > 0) put(COMMA);
      put(bytes.subarray(outAt, ryu.formatJsonRows(base, m, n, outAt, keysAt, json.close)));
    }
  }
  return true;
}
