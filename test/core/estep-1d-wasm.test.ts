/**
 * The WebAssembly SIMD 1-D kernels against the TypeScript reference (src/core/kernels/estep-1d.ts).
 *
 * - exp: the SIMD exp equals Math.exp bit for bit on [-745, 0] (both are fdlibm's algorithm), so
 *   its measured relative error against Math.exp is 0; the fast exp stays within 2e-13.
 * - posterior1dWasm: resp and logProb equal the reference's bit for bit (hence the same modes).
 * - estep1dWasm: every per-row term is the reference's, summed in two lanes (even / odd rows
 *   relative to `start`, lane 0 + lane 1 at the end): the result equals that two-lane sum of the
 *   reference's one-row outputs exactly — which is also how the reference sums, so the two
 *   kernels agree bit for bit — and (kept as a bound on the lane split's rounding) the sums within
 *   RTOL = 1e-13 relative for sums of terms of one sign (Σw, N_k, Q_k, Σ w r log r) and within
 *   RTOL × Σ|term| absolute for the mixed-sign sums (Σ w log p, S_k). NaN exactly where the
 *   reference has NaN.
 * - The fast variants: stats within 1e-11 relative (plus 1e-300 absolute), resp within 1e-12.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { estep1d, posterior1d } from "../../src/core/kernels/estep-1d.js";
import {
  estep1dWasm,
  estep1dWasmFast,
  expF32Wasm,
  expWasm,
  expWasmFast,
  posterior1dWasm,
  posterior1dWasmFast,
  WASM_CHUNK_ROWS,
  wasmSimdAvailable,
} from "../../src/core/kernels/estep-1d-wasm.js";
import { EXP_F32_MIN, expF32, expFast } from "../../src/core/kernels/exp-fast.js";

const RTOL = 1e-13;
const FAST_RTOL = 1e-11;
const TINY = 1e-300;

/** mulberry32: small deterministic uniform generator in [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Params {
  a: Float64Array;
  mu: Float64Array;
  b: Float64Array;
}

/** EM-style constants a_k = log w_k - ½ log 2π - log σ_k, b_k = 1 / (2 σ_k²). */
function randomParams(K: number, u: () => number, spread: number): Params {
  const a = new Float64Array(K);
  const mu = new Float64Array(K);
  const b = new Float64Array(K);
  let wsum = 0;
  const w = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    w[k] = 0.05 + u();
    wsum += w[k]!;
  }
  for (let k = 0; k < K; k++) {
    const sigma = 0.2 + 2 * u();
    mu[k] = spread * (u() - 0.5);
    a[k] = Math.log(w[k]! / wsum) - 0.5 * Math.log(2 * Math.PI) - Math.log(sigma);
    b[k] = 0.5 / (sigma * sigma);
  }
  return { a, mu, b };
}

function randomX(n: number, u: () => number, p: Params): Float64Array {
  const x = new Float64Array(n);
  const K = p.mu.length;
  for (let i = 0; i < n; i++) {
    const k = Math.floor(u() * K);
    const z = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
    x[i] = p.mu[k]! + z / Math.sqrt(2 * p.b[k]!);
  }
  return x;
}

function sameOrBothNaN(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

interface Case {
  x: Float64Array;
  start: number;
  end: number;
  w: Float64Array | null;
  K: number;
  p: Params;
}

function runRef(c: Case, start = c.start, end = c.end): Float64Array {
  const out = new Float64Array(3 + 3 * c.K);
  const scratch = new Float64Array(4 * c.K + 3);
  estep1d(c.x, start, end, c.w, c.K, c.p.a, c.p.mu, c.p.b, out, scratch);
  return out;
}

function runWasm(c: Case, fast = false): Float64Array {
  const out = new Float64Array(3 + 3 * c.K).fill(12345); // must be overwritten
  const scratch = new Float64Array(4 * c.K + 3);
  const kernel = fast ? estep1dWasmFast : estep1dWasm;
  kernel(c.x, c.start, c.end, c.w, c.K, c.p.a, c.p.mu, c.p.b, out, scratch);
  return out;
}

/** The documented WASM summation: the reference's one-row outputs summed in two lanes. */
function twoLaneSum(c: Case): Float64Array {
  const nq = 3 + 3 * c.K;
  const lanes = [new Float64Array(nq), new Float64Array(nq)];
  for (let i = c.start; i < c.end; i++) {
    const row = runRef(c, i, i + 1);
    const lane = lanes[(i - c.start) % 2]!;
    for (let q = 0; q < nq; q++) lane[q]! += row[q]!;
  }
  const out = new Float64Array(nq);
  for (let q = 0; q < nq; q++) out[q] = lanes[0]![q]! + lanes[1]![q]!;
  return out;
}

/** Σ |term| per output: the scale of the rounding error of a sum in any order. */
function absSums(c: Case): Float64Array {
  const nq = 3 + 3 * c.K;
  const out = new Float64Array(nq);
  for (let i = c.start; i < c.end; i++) {
    const row = runRef(c, i, i + 1);
    for (let q = 0; q < nq; q++) out[q]! += Math.abs(row[q]!);
  }
  return out;
}

function assertStatsClose(
  got: Float64Array,
  want: Float64Array,
  scale: Float64Array,
  rtol: number,
  label: string,
): void {
  for (let q = 0; q < want.length; q++) {
    const g = got[q]!;
    const e = want[q]!;
    if (Number.isNaN(e) || Number.isNaN(g)) {
      assert.ok(Number.isNaN(e) && Number.isNaN(g), `${label}: out[${q}] = ${g}, reference ${e}`);
      continue;
    }
    if (!Number.isFinite(e)) {
      assert.equal(g, e, `${label}: out[${q}]`);
      continue;
    }
    const tol = rtol * scale[q]! + TINY;
    assert.ok(
      Math.abs(g - e) <= tol,
      `${label}: out[${q}] = ${g}, reference ${e}, |diff| ${Math.abs(g - e)} > ${tol}`,
    );
  }
}

function argmax(r: Float64Array, o: number, K: number): number {
  let best = 0;
  for (let k = 1; k < K; k++) if (r[o + k]! > r[o + best]!) best = k;
  return best;
}

describe("estep-1d-wasm", () => {
  it("wasmSimdAvailable is true on Node 20", () => {
    assert.equal(wasmSimdAvailable(), true);
  });

  it("expWasm equals Math.exp bit for bit on [-745, 0] (max relative error 0)", () => {
    const u = rng(1);
    const n = 200_000;
    const y = new Float64Array(n);
    const specials = [
      0,
      -0,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      -745.2,
      -745.1332191019411,
      -745.1332191019412,
      -745,
      -744.44,
      -708.3964185322641,
      -708.4,
      -708,
      -1021 * Math.LN2,
      -1022 * Math.LN2,
      -0.5 * Math.LN2,
      -0.3465735912322998,
      -0.34657359123229975, // high word 0x3fd62e42: the last k = 0 value
      -0.3465735903,
      -1.5 * Math.LN2,
      -1.0397205352783203,
      -(2 ** -28),
      -(2 ** -28) * 0.999,
      -(2 ** -29),
      -1e-300,
      -5e-324,
      -1,
    ];
    y.set(specials);
    for (let i = specials.length; i < n; i++) {
      const r = u();
      // Whole range, [-1, 0], the k = 0 band and the tiny and subnormal-result zones.
      y[i] = [-745 * r, -r, -0.34657359 - 1e-9 * r, -(2 ** -27) * r, -708 - 37.2 * r][i % 5]!;
    }
    const got = new Float64Array(n);
    expWasm(y, got);
    let maxRel = 0;
    for (let i = 0; i < n; i++) {
      const want = Math.exp(y[i]!);
      assert.ok(sameOrBothNaN(got[i]!, want), `exp(${y[i]}) = ${got[i]}, Math.exp ${want}`);
      if (want > 0) maxRel = Math.max(maxRel, Math.abs(got[i]! - want) / want);
    }
    assert.equal(maxRel, 0);
  });

  it("expWasmFast is within 2e-13 relative of Math.exp on [-708.39, 0] and flushes below", () => {
    const u = rng(2);
    const n = 200_000;
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) y[i] = i % 2 === 0 ? -708.39 * u() : -u();
    y.set([0, -0, -1e-300, -708.3964185322641, -708.396418532264]);
    const got = new Float64Array(n);
    expWasmFast(y, got);
    let maxRel = 0;
    for (let i = 0; i < n; i++) {
      const want = Math.exp(y[i]!);
      maxRel = Math.max(maxRel, Math.abs(got[i]! - want) / want);
    }
    assert.ok(maxRel <= 2e-13, `max relative error ${maxRel}`);
    const edge = new Float64Array([-708.4, -745, -746, Number.NEGATIVE_INFINITY, Number.NaN]);
    const e = new Float64Array(edge.length);
    expWasmFast(edge, e);
    assert.deepEqual(Array.from(e.subarray(0, 4)), [0, 0, 0, 0]);
    assert.ok(Number.isNaN(e[4]!));
  });

  it("the TypeScript expFast gives the WebAssembly fast exp's bits on every input", () => {
    const u = rng(7);
    const n = 300_000;
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const r = u();
      // Uniform over the domain, near 0, and at the half-integer multiples of ln 2 where k rounds.
      y[i] =
        i % 3 === 0
          ? -710 * r
          : i % 3 === 1
            ? -r * 1e-3
            : -(Math.floor(r * 1022) + 0.5) / Math.LOG2E;
    }
    y.set([
      0,
      -0,
      -1e-300,
      -5e-324,
      -708.3964185322641,
      -708.396418532264,
      -708.4,
      -745,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
    ]);
    const got = new Float64Array(n);
    expWasmFast(y, got);
    for (let i = 0; i < n; i++) {
      const want = expFast(y[i]!);
      if (!Object.is(got[i], want))
        assert.fail(`expFast(${y[i]}) = ${want}, WebAssembly ${got[i]}`);
    }
  });

  it("the TypeScript expF32 gives the WebAssembly float32 exp's bits, within 3e-7 of Math.exp", () => {
    const u = rng(8);
    const n = 300_000;
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const r = u();
      y[i] =
        i % 3 === 0 ? -90 * r : i % 3 === 1 ? -r * 1e-3 : -(Math.floor(r * 126) + 0.5) / Math.LOG2E;
    }
    y.set([
      0,
      -0,
      -1e-30,
      -1e-45,
      EXP_F32_MIN,
      -87.3365,
      -87.34,
      -100,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
    ]);
    const got = new Float32Array(n);
    expF32Wasm(y, got);
    let maxRel = 0;
    for (let i = 0; i < n; i++) {
      const want = expF32(y[i]!);
      if (!Object.is(got[i], want)) assert.fail(`expF32(${y[i]}) = ${want}, WebAssembly ${got[i]}`);
      if (y[i]! >= EXP_F32_MIN)
        maxRel = Math.max(maxRel, Math.abs(want - Math.exp(y[i]!)) / Math.exp(y[i]!));
    }
    assert.ok(maxRel <= 3e-7, `max relative error ${maxRel}`);
    assert.equal(expF32(-87.34), 0);
    assert.equal(expF32(Number.NEGATIVE_INFINITY), 0);
    assert.ok(Number.isNaN(expF32(Number.NaN)));
  });

  it("estep1dWasm equals the two-lane sum of the reference's rows and its sums within 1e-13", () => {
    const u = rng(3);
    for (const K of [1, 2, 3, 5, 10, 16]) {
      for (const n of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1000, 1001, 1003]) {
        for (const weighted of [false, true]) {
          const p = randomParams(K, u, 20);
          const pad = Math.floor(u() * 3);
          const x = randomX(n + 2 * pad, u, p);
          const w = weighted ? x.map(() => 0.5 + 2 * u()) : null;
          const c: Case = { x, start: pad, end: pad + n, w, K, p };
          const label = `K=${K} n=${n} start=${pad} weighted=${weighted}`;
          const got = runWasm(c);
          const exact = twoLaneSum(c);
          for (let q = 0; q < got.length; q++) {
            assert.ok(sameOrBothNaN(got[q]!, exact[q]!), `${label}: out[${q}] two-lane`);
          }
          assertStatsClose(got, runRef(c), absSums(c), RTOL, label);
          // The reference sums in the same two lanes, so the kernels agree bit for bit.
          const ref = runRef(c);
          for (let q = 0; q < got.length; q++) {
            assert.ok(sameOrBothNaN(got[q]!, ref[q]!), `${label}: out[${q}] equals the reference`);
          }
        }
      }
    }
  });

  it("estep1dWasm handles extreme rows like the reference", () => {
    const K = 3;
    const p: Params = {
      a: new Float64Array([-1, -2, Number.NEGATIVE_INFINITY]), // a weight-0 component
      mu: new Float64Array([0, 1, 2]),
      b: new Float64Array([0.5, 0.5, 0.5]),
    };
    const tie: Params = {
      a: new Float64Array([-1, -1, -1]),
      mu: new Float64Array([-1, 1, 3]),
      b: new Float64Array([0.5, 0.5, 0.5]),
    };
    // Under p, lp_0 - lp_1 = 1.5 - x: rows 721.5 … 746.5 put r_0 in the subnormal range (exp of
    // -720 … -745); ±1e300 make every lp -Infinity (NaN rows, as in the reference).
    const subn = new Float64Array([721.5, 731.5, 741.5, 746.5, 746.6, -0.25]);
    const r = new Float64Array(subn.length * K);
    posterior1d(subn, 0, subn.length, K, p.a, p.mu, p.b, r, null);
    assert.ok(r[3]! > 0 && r[3]! < 2.2250738585072014e-308, "a subnormal responsibility");
    const cases: [string, Float64Array, Params][] = [
      ["finite far rows", new Float64Array([1e6, -1e6, 1e150, 37.5, -37.5, 5, 0.5, 1]), p],
      ["subnormal responsibilities", subn, p],
      ["exact ties", new Float64Array([0, 2, 1, 0, 2, 1, -1]), tie],
      ["±1e300 (NaN rows)", new Float64Array([0.1, 1e300, -1e300, 0.2, 0.3]), p],
      ["NaN and ±Infinity x", new Float64Array([0.1, Number.NaN, 0.2, Infinity, -Infinity]), p],
    ];
    for (const [name, x, params] of cases) {
      for (const w of [null, x.map((_, i) => 1 + i)]) {
        for (const [start, end] of [
          [0, x.length],
          [1, x.length],
          [0, x.length - 1],
        ] as const) {
          const c: Case = { x, start, end, w, K, p: params };
          const label = `${name} [${start}, ${end}) weighted=${w !== null}`;
          const got = runWasm(c);
          const exact = twoLaneSum(c);
          for (let q = 0; q < got.length; q++) {
            assert.ok(sameOrBothNaN(got[q]!, exact[q]!), `${label}: out[${q}] two-lane`);
          }
          assertStatsClose(got, runRef(c), absSums(c), RTOL, label);
        }
      }
    }
  });

  it("estep1dWasm keeps the lane order across chunks", () => {
    const u = rng(4);
    const K = 2;
    const p = randomParams(K, u, 10);
    const n = 2 * WASM_CHUNK_ROWS + 7;
    const x = randomX(n + 1, u, p);
    const w = x.map(() => u());
    const c: Case = { x, start: 1, end: n + 1, w, K, p };
    const got = runWasm(c);
    const exact = twoLaneSum(c);
    for (let q = 0; q < got.length; q++) assert.ok(sameOrBothNaN(got[q]!, exact[q]!), `out[${q}]`);
  });

  it("posterior1dWasm equals posterior1d bit for bit, so modes agree", () => {
    const u = rng(5);
    for (const K of [1, 2, 3, 5, 10, 16]) {
      for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 999, 1000]) {
        const p = randomParams(K, u, 20);
        const pad = Math.floor(u() * 3);
        const x = randomX(n + 2 * pad, u, p);
        if (n > 4) x.set([1e300, -1e300, Number.NaN, 1e6], pad);
        const want = new Float64Array(n * K);
        const wantLp = new Float64Array(n);
        posterior1d(x, pad, pad + n, K, p.a, p.mu, p.b, want, wantLp);
        const got = new Float64Array(n * K);
        const gotLp = new Float64Array(n);
        posterior1dWasm(x, pad, pad + n, K, p.a, p.mu, p.b, got, gotLp);
        const label = `K=${K} n=${n}`;
        for (let i = 0; i < n * K; i++)
          assert.ok(sameOrBothNaN(got[i]!, want[i]!), `${label} resp`);
        for (let i = 0; i < n; i++) {
          assert.ok(sameOrBothNaN(gotLp[i]!, wantLp[i]!), `${label} logProb[${i}]`);
          assert.equal(argmax(got, i * K, K), argmax(want, i * K, K), `${label} mode of row ${i}`);
        }
        // Either output alone.
        const lpOnly = new Float64Array(n);
        posterior1dWasm(x, pad, pad + n, K, p.a, p.mu, p.b, null, lpOnly);
        for (let i = 0; i < n; i++) assert.ok(sameOrBothNaN(lpOnly[i]!, wantLp[i]!), label);
        const respOnly = new Float64Array(n * K);
        posterior1dWasm(x, pad, pad + n, K, p.a, p.mu, p.b, respOnly, null);
        for (let i = 0; i < n * K; i++) assert.ok(sameOrBothNaN(respOnly[i]!, want[i]!), label);
      }
    }
  });

  it("the fast variants agree with the reference within their bounds", () => {
    const u = rng(6);
    for (const K of [1, 3, 10]) {
      for (const n of [1, 4, 1001]) {
        const p = randomParams(K, u, 10);
        const x = randomX(n, u, p);
        const c: Case = { x, start: 0, end: n, w: null, K, p };
        assertStatsClose(runWasm(c, true), runRef(c), absSums(c), FAST_RTOL, `fast K=${K} n=${n}`);
        const want = new Float64Array(n * K);
        posterior1d(x, 0, n, K, p.a, p.mu, p.b, want, null);
        const got = new Float64Array(n * K);
        posterior1dWasmFast(x, 0, n, K, p.a, p.mu, p.b, got, null);
        for (let i = 0; i < n * K; i++) {
          assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-12, `fast resp K=${K} [${i}]`);
        }
      }
    }
  });
});
