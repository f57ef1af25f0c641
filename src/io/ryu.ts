/**
 * Shortest round-trip text of doubles, as `String(x)` writes it, from WebAssembly (Ryū, see
 * `assembly/ryu.ts`): about five times faster than `String(x)` for full-precision doubles, and
 * written as bytes, not as a string. Falls back to `String(x)` where WebAssembly is missing.
 */
import { RYU_WASM_BASE64 } from "./generated/ryu-wasm.js";

interface RyuExports {
  memory: { buffer: ArrayBuffer };
  tables(): number;
  text(): number;
  d2s(x: number): number;
}

/** Pairs (low, high 64 bits) of ⌊2^(bits(5^q) − 1 + 125) / 5^q⌋ + 1 for q < 342, then of the top 125 bits of 5^i for i < 326. */
function tables(): BigUint64Array {
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
  return out;
}

let ryu: RyuExports | null | undefined;
let bytes = new Uint8Array(0);
let text = 0;

// The repository compiles without the DOM lib; these are the WebAssembly APIs used.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

function instantiate(): RyuExports | null {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return null;
  try {
    const module = new api.Module(Buffer.from(RYU_WASM_BASE64, "base64"));
    const r = new api.Instance(module, {}).exports as RyuExports;
    new BigUint64Array(r.memory.buffer, r.tables(), 2 * (342 + 326)).set(tables());
    bytes = new Uint8Array(r.memory.buffer);
    text = r.text();
    return r;
  } catch {
    return null;
  }
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
