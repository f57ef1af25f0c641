/**
 * The WebAssembly encoder of mixture columns gives the TypeScript reference's output bit for bit:
 * alpha, mode and residual of every row, for any K, seed, column and first row (across 2^32).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { encodeSample1dWasm, wasmSimdAvailable } from "../../src/core/kernels/estep-1d-wasm.js";
import type { Column } from "../../src/core/table.js";
import type { EncodeContext } from "../../src/encode/codec.js";
import { mixtureCodec } from "../../src/encode/mixture-column.js";
import type { MixtureColumnSpec, ModeSpec } from "../../src/encode/spec.js";
import { continuousSpec } from "../helpers/data.js";

function spec(modes: ModeSpec[], nullable = true): MixtureColumnSpec {
  return continuousSpec(modes, { nullable });
}

/** Asserts the two encodings of `values` agree bit for bit. */
function assertSame(
  s: MixtureColumnSpec,
  values: Float64Array,
  ctx: EncodeContext,
  nulls?: Uint8Array,
) {
  const col: Column = { name: "x", type: "float64", values, nulls: nulls ?? null };
  const ref = mixtureCodec.encodeCompact(s, col, { ...ctx, kernel: "js" });
  const got = mixtureCodec.encodeCompact(s, col, { ...ctx, kernel: "auto" });
  for (let j = 0; j < ref.length; j++) {
    const r = ref[j]!;
    const g = got[j]!;
    assert.equal(g.name, r.name);
    assert.deepEqual(
      (g as { nulls: Uint8Array | null }).nulls,
      (r as { nulls: Uint8Array | null }).nulls,
      `${r.name} nulls`,
    );
    const rv = r.values as Float64Array | Int32Array;
    const gv = g.values as Float64Array | Int32Array;
    for (let i = 0; i < rv.length; i++) {
      if (!Object.is(rv[i], gv[i])) {
        assert.fail(
          `${r.name}[${i}] (x = ${values[i]}, row ${ctx.firstRow + i}): ${gv[i]} vs reference ${rv[i]}`,
        );
      }
    }
  }
}

const CREDIT_LIKE: ModeSpec[] = [
  { weight: 0.0945, mean: 0.937, std: 0.0965 },
  { weight: 0.0491, mean: 1.843, std: 0.311 },
  { weight: 0.1421, mean: 3.976, std: 2.252 },
  { weight: 0.0879, mean: 9.899, std: 1.398 },
  { weight: 0.1075, mean: 15.6, std: 3.596 },
  { weight: 0.0948, mean: 26.77, std: 6.015 },
  { weight: 0.1039, mean: 45.47, std: 10.9 },
  { weight: 0.1342, mean: 84.18, std: 27.68 },
  { weight: 0.1433, mean: 203.6, std: 104.0 },
  { weight: 0.0427, mean: 858.7, std: 765.6 },
];

const EDGES = [
  0,
  -0,
  5e-324,
  -5e-324,
  2.2250738585072014e-308,
  1e-300,
  1,
  -1,
  0.99,
  1.7e308,
  -1.7e308,
  1e100,
  -1e100,
  1e9,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  0.1,
  0.2,
  0.3,
  12.34,
  1234.5678,
  25691.16,
  0.01,
];

describe("WebAssembly encoder of mixture columns", () => {
  it("is available here (Node >= 16.4 has WebAssembly SIMD)", () => {
    assert.ok(wasmSimdAvailable());
  });

  it("takes almost every ordinary row itself (so the comparisons below test it)", () => {
    const n = 10000;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = (i * 0.37) % 900;
    const K = CREDIT_LIKE.length;
    const alpha = new Float64Array(n);
    const mode = new Int32Array(n);
    const f = (g: (m: ModeSpec) => number) => Float64Array.from(CREDIT_LIKE, g);
    const flagged = encodeSample1dWasm(
      x,
      0,
      n,
      K,
      f((m) => Math.log(m.weight) - Math.log(m.std)),
      f((m) => m.mean),
      f((m) => 0.5 / (m.std * m.std)),
      f((m) => 4 * m.std),
      0,
      0,
      0,
      { alpha, mode, residual: new Float64Array(n), residualNulls: new Uint8Array(n) },
    );
    const handled = mode.filter((m) => m >= 0).length;
    assert.equal(flagged, n - handled, "the count of rows left to the reference");
    assert.ok(handled > 0.99 * n, `${handled} of ${n} rows`);
    const ref = mixtureCodec.encodeCompact(
      spec(CREDIT_LIKE),
      { name: "x", type: "float64", values: x, nulls: null },
      { seed: 0, columnIndex: 0, firstRow: 0, kernel: "js" },
    );
    const refMode = ref[1]!.values as Int32Array;
    for (let i = 0; i < n; i++) if (mode[i]! >= 0) assert.equal(mode[i], refMode[i], `row ${i}`);
  });

  it("matches the reference on credit-like modes, edge values, nulls and odd lengths", () => {
    const n = 20011;
    const x = new Float64Array(n);
    const nulls = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const u = Math.abs(Math.sin(i * 12.9898) * 43758.5453) % 1;
      x[i] = i % 97 === 0 ? EDGES[i % EDGES.length]! : Math.round(u ** 3 * 200000) / 100;
      nulls[i] = i % 101 === 0 ? 1 : 0;
    }
    assertSame(spec(CREDIT_LIKE), x, { seed: 0, columnIndex: 0, firstRow: 0 }, nulls);
    for (const n2 of [1, 2, 3, 5]) {
      assertSame(spec(CREDIT_LIKE), x.slice(0, n2), { seed: 9, columnIndex: 2, firstRow: 7 });
    }
  });

  it("keys the randomness by the global row across 2^32, large seeds and columns", () => {
    const x = new Float64Array(5000);
    for (let i = 0; i < x.length; i++) x[i] = (i * 7.31) % 1000;
    for (const firstRow of [2 ** 32 - 2500, 2 ** 40 + 3, 2 ** 52]) {
      assertSame(spec(CREDIT_LIKE), x, { seed: 2 ** 33 + 5, columnIndex: 2 ** 32 + 1, firstRow });
    }
  });

  it("matches the reference for random modes and values (property)", () => {
    const mode = fc.record({
      weight: fc.double({ min: 1e-3, max: 1, noNaN: true }),
      mean: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      std: fc.double({ min: 1e-6, max: 1e5, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(mode, { minLength: 1, maxLength: 12 }),
        fc.array(fc.oneof(fc.double(), fc.double({ min: -2e6, max: 2e6 })), {
          minLength: 1,
          maxLength: 300,
        }),
        fc.nat(),
        fc.nat(100),
        fc.nat(2 ** 40),
        (modes, xs, seed, columnIndex, firstRow) => {
          assertSame(spec(modes), Float64Array.from(xs), { seed, columnIndex, firstRow });
        },
      ),
      { numRuns: 300 },
    );
  });
});
