/**
 * Mixture columns: exact round trip for every kind and edge value, determinism, chunking
 * independence, and the dense (GAN) layout's contract.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { generateMultimodal } from "../../src/core/synthetic.js";
import type { Column } from "../../src/core/table.js";
import type { EncodeContext } from "../../src/encode/codec.js";
import { exactAlpha, nextDown, nextUp } from "../../src/encode/exact.js";
import {
  CLIP,
  fitMixtureColumn,
  fitModes,
  type MixtureKind,
  mixtureCodec,
} from "../../src/encode/mixture-column.js";
import { MODE_LITERAL, MODE_NULL } from "../../src/encode/spec.js";

const CTX: EncodeContext = { seed: 7, columnIndex: 0, firstRow: 0 };

const EDGE = [
  0,
  -0,
  5e-324,
  -5e-324,
  2.2250738585072014e-308,
  -2.2250738585072014e-308,
  1.7976931348623157e308,
  -1.7976931348623157e308,
  1.7e308,
  -1.7e308,
  1e-300,
  0.1,
  0.2,
  0.3,
  1 / 3,
  123456.789,
  2 ** 53 + 2,
  -(2 ** 60),
  1e15 + 0.5,
  Math.PI,
  Number.EPSILON,
];

function f64(name: string, values: ArrayLike<number>, nulls: number[] = []): Column {
  const mask = new Uint8Array(values.length);
  for (const i of nulls) mask[i] = 1;
  return {
    name,
    type: "float64",
    values: Float64Array.from(values),
    nulls: nulls.length ? mask : null,
  };
}

function roundTrip(col: Column, kind: MixtureKind, options = {}, ctx = CTX) {
  const spec = fitMixtureColumn(col, kind, options);
  const enc = mixtureCodec.encodeCompact(spec, col, ctx);
  const dec = mixtureCodec.decodeCompact(spec, enc);
  return { spec, enc, dec };
}

/** Indices whose decoded value differs from the input (bits, nulls). */
function mismatches(a: Column, b: Column): number[] {
  const bad: number[] = [];
  const nullA = (i: number) => a.type !== "string" && a.nulls !== null && a.nulls[i] === 1;
  const nullB = (i: number) => b.type !== "string" && b.nulls !== null && b.nulls[i] === 1;
  for (let i = 0; i < a.values.length; i++) {
    if (nullA(i) || nullB(i)) {
      if (nullA(i) !== nullB(i)) bad.push(i);
      continue;
    }
    const x = a.values[i];
    const y = b.values[i];
    if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) bad.push(i);
  }
  return bad;
}

describe("exactAlpha", () => {
  it("nextUp / nextDown step one ulp, across zero and signs", () => {
    assert.equal(nextUp(0), 5e-324);
    assert.equal(nextUp(-0), 5e-324);
    assert.equal(nextDown(0), -5e-324);
    assert.equal(nextUp(1), 1 + Number.EPSILON);
    assert.equal(nextDown(1), 1 - Number.EPSILON / 2);
    assert.equal(nextUp(-1), -1 + Number.EPSILON / 2);
    assert.equal(nextUp(Number.MAX_VALUE), Number.POSITIVE_INFINITY);
    assert.equal(nextUp(-5e-324), -0);
  });

  it("finds an alpha that decodes bit for bit, or reports NaN", () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (x, mu, s) => {
          const a = exactAlpha(x, mu, s);
          if (!Number.isNaN(a)) assert.ok(Object.is(a * s + mu, x));
        },
      ),
      { seed: 42, numRuns: 2000 },
    );
  });
});

describe("mixture column round trip", () => {
  it("continuous: every edge value, NaN, ±Infinity and nulls come back bit for bit", () => {
    const base = Array.from(generateMultimodal(3000, 1));
    const values = [
      ...base,
      ...EDGE,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      42,
    ];
    const col = f64("x", values, [values.length - 1, 5]);
    const { dec, enc } = roundTrip(col, "continuous");
    assert.deepEqual(mismatches(col, dec), []);
    const mode = enc[1]!.values as Int32Array;
    assert.equal(mode[values.length - 1], MODE_NULL);
    assert.equal(mode[values.indexOf(Number.POSITIVE_INFINITY)], MODE_LITERAL);
  });

  it("continuous: random doubles of every magnitude round-trip (property, zero failures)", () => {
    const fitted = fitMixtureColumn(f64("x", generateMultimodal(5000, 3)), "continuous");
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 1, maxLength: 200 }), (xs) => {
        const col = f64("x", xs);
        const dec = mixtureCodec.decodeCompact(
          fitted,
          mixtureCodec.encodeCompact(fitted, col, CTX),
        );
        assert.deepEqual(mismatches(col, dec), []);
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it("integer: int64 values including ±(2^63−1) and 2^53+1 come back exactly", () => {
    const big = [
      9223372036854775807n,
      -9223372036854775807n - 1n,
      9007199254740993n,
      -9007199254740993n,
      0n,
      1n,
      -1n,
    ];
    const vals: bigint[] = [];
    for (let i = 0; i < 2000; i++) vals.push(BigInt(Math.round(1000 + 50 * Math.sin(i) * (i % 7))));
    vals.push(...big);
    const col: Column = { name: "n", type: "int64", values: BigInt64Array.from(vals), nulls: null };
    const { dec } = roundTrip(col, "integer");
    assert.equal(dec.type, "int64");
    assert.deepEqual(Array.from(dec.values as BigInt64Array), vals);
  });

  it("integer: int32 and integral float64 columns keep their type; fractions and −0 stay exact", () => {
    const i32: Column = {
      name: "a",
      type: "int32",
      values: Int32Array.from([1, 5, 9, -2147483648, 2147483647, 7, 7, 8]),
      nulls: null,
    };
    const d1 = roundTrip(i32, "integer").dec;
    assert.equal(d1.type, "int32");
    assert.deepEqual(Array.from(d1.values as Int32Array), Array.from(i32.values as Int32Array));
    const fl = f64("b", [1, 2, 3, 4, 2.5, -0, 1e300, 10, 11]);
    assert.deepEqual(mismatches(fl, roundTrip(fl, "integer").dec), []);
  });

  it("datetime: nanosecond timestamps come back exactly", () => {
    const base = 1_700_000_000_000_000_000n;
    const vals = Array.from(
      { length: 500 },
      (_, i) => base + BigInt(i) * 3_600_000_000_123n + BigInt(i % 13),
    );
    const col: Column = {
      name: "t",
      type: "timestamp",
      unit: "ns",
      values: BigInt64Array.from(vals),
      nulls: null,
    };
    const { dec, spec } = roundTrip(col, "datetime");
    assert.equal(spec.unit, "ns");
    assert.equal(dec.type, "timestamp");
    assert.deepEqual(Array.from(dec.values as BigInt64Array), vals);
  });

  it("log: skewed positive data and values at or below the offset are exact", () => {
    const xs = Array.from(generateMultimodal(2000, 5), (v) => Math.abs(v) + 0.01);
    const col = f64("amount", [...xs, 0, -3, 1e-300, 5e-324, 1.7e308]);
    const { dec, spec } = roundTrip(col, "log", { offset: 0 });
    assert.equal(spec.offset, 0);
    assert.deepEqual(mismatches(col, dec), []);
  });

  it("mixed: modal values get their own slots; −0 is not the modal 0", () => {
    const xs = [...Array.from(generateMultimodal(2000, 9)), 0, 0, -9999, -0, 0];
    const col = f64("bal", xs);
    const { dec, enc, spec } = roundTrip(col, "mixed", { modalValues: [0, -9999] });
    assert.deepEqual(mismatches(col, dec), []);
    const K = spec.modes.length;
    const mode = enc[1]!.values as Int32Array;
    assert.equal(mode[2000], K);
    assert.equal(mode[2002], K + 1);
    assert.notEqual(mode[2003], K, "−0 must not take the slot of 0");
  });

  it("real data: the credit-card Amount column round-trips with zero failures", async (t) => {
    const { readFileSync, existsSync } = await import("node:fs");
    const path = new URL("../../../../shared/data/creditcard_amount.csv", import.meta.url);
    if (!existsSync(path)) {
      t.skip("../shared/data/creditcard_amount.csv is absent");
      return;
    }
    const lines = readFileSync(path, "utf8").trim().split("\n").slice(1);
    const col = f64(
      "Amount",
      lines.map((l) => Number(l.split(",")[1])),
    );
    const { dec, enc } = roundTrip(col, "continuous");
    assert.deepEqual(mismatches(col, dec), []);
    // Most rows need neither a residual nor a literal.
    const residual = enc[2]!;
    let withResidual = 0;
    if (residual.type === "float64" && residual.nulls !== null)
      for (const z of residual.nulls) withResidual += 1 - z;
    assert.ok(withResidual < col.values.length * 0.05, `${withResidual} residuals`);
  });
});

describe("mixture column determinism", () => {
  const col = f64("x", generateMultimodal(20000, 11));
  const spec = fitMixtureColumn(col, "continuous");

  it("the same seed gives identical encodings; another seed changes sampled modes", () => {
    const a = mixtureCodec.encodeCompact(spec, col, CTX);
    const b = mixtureCodec.encodeCompact(spec, col, CTX);
    assert.deepEqual(a, b);
    const c = mixtureCodec.encodeCompact(spec, col, { ...CTX, seed: 8 });
    assert.notDeepEqual(a[1]!.values, c[1]!.values);
  });

  it("encoding in chunks (with firstRow) equals encoding at once", () => {
    const whole = mixtureCodec.encodeCompact(spec, col, CTX);
    const cut = 7777;
    const part = (s: number, e: number): Column =>
      ({ ...col, values: (col.values as Float64Array).subarray(s, e) }) as Column;
    const p1 = mixtureCodec.encodeCompact(spec, part(0, cut), { ...CTX, firstRow: 0 });
    const p2 = mixtureCodec.encodeCompact(spec, part(cut, col.values.length), {
      ...CTX,
      firstRow: cut,
    });
    for (let j = 0; j < 2; j++) {
      const joined = [
        ...Array.from(p1[j]!.values as Float64Array),
        ...Array.from(p2[j]!.values as Float64Array),
      ];
      assert.deepEqual(joined, Array.from(whole[j]!.values as Float64Array));
    }
  });

  it("argmax picks the most probable admissible mode", () => {
    const s2 = { ...spec, modeChoice: "argmax" as const };
    const enc = mixtureCodec.encodeCompact(s2, col, CTX);
    const again = mixtureCodec.encodeCompact(s2, col, { ...CTX, seed: 99 });
    assert.deepEqual(enc[1]!.values, again[1]!.values, "argmax ignores the seed");
  });

  it("prune weight-and-argmax keeps no more modes than weight alone", () => {
    const s = fitMixtureColumn(col, "continuous", { prune: "weight-and-argmax" });
    assert.ok(s.modes.length <= spec.modes.length);
    assert.ok(Math.abs(s.modes.reduce((t, m) => t + m.weight, 0) - 1) < 1e-12);
  });
});

describe("mixture column dense layout", () => {
  const col = f64("x", [...generateMultimodal(5000, 2), Number.NaN], [7]);
  const spec = fitMixtureColumn(col, "continuous");

  it("has a tanh span and a softmax span with a null slot; values stay within ±0.99", () => {
    const spans = mixtureCodec.denseSpans(spec);
    assert.deepEqual(
      spans.map((s) => s.activation),
      ["tanh", "softmax"],
    );
    assert.equal(spans[1]!.outputs.length, spec.modes.length + 1);
    const out = mixtureCodec.encodeDense(spec, col, CTX);
    for (const v of out[0]!) assert.ok(Math.abs(v) <= CLIP + 1e-7);
    for (let i = 0; i < col.values.length; i++) {
      let s = 0;
      for (let j = 1; j < out.length; j++) s += out[j]![i]!;
      assert.equal(s, 1, `row ${i} has one hot slot`);
    }
  });

  it("decodes a generator's soft output by argmax and clips values to [−1, 1]", () => {
    const K = spec.modes.length;
    const value = Float32Array.of(0.5, 3, -3);
    const slots = Array.from({ length: K + 1 }, () => new Float32Array(3));
    slots[0]![0] = 0.7;
    slots[1]![0] = 0.3;
    slots[0]![1] = 0.9;
    slots[0]![2] = 0.9;
    const dec = mixtureCodec.decodeDense(spec, [value, ...slots]);
    const m = spec.modes[0]!;
    assert.equal(dec.values[0], Math.fround(0.5) * 4 * m.std + m.mean);
    assert.equal(dec.values[1], 1 * 4 * m.std + m.mean);
    assert.equal(dec.values[2], -1 * 4 * m.std + m.mean);
  });

  it("a missing value in a column fitted without any is a clear error in the dense layout", () => {
    const clean = fitMixtureColumn(f64("y", generateMultimodal(1000, 4)), "continuous");
    assert.throws(
      () => mixtureCodec.encodeDense(clean, f64("y", [1, 2, 3], [1]), CTX),
      /column "y": row 1 is missing.*--layout compact/,
    );
  });
});

describe("mixture column bad input", () => {
  it("a column of only missing values cannot be fitted", () => {
    assert.throws(
      () => fitMixtureColumn(f64("z", [1, 2, 3], [0, 1, 2]), "continuous"),
      /column "z": all 3 values are missing/,
    );
  });

  it("a text column cannot be fitted as continuous", () => {
    assert.throws(
      () => fitMixtureColumn({ name: "s", type: "string", values: ["a", "b"] }, "continuous"),
      /column "s" holds text.*categorical/,
    );
  });

  it("a mode code the model does not know is reported with the row", () => {
    const spec = fitMixtureColumn(f64("x", [1, 2, 3, 4, 5]), "continuous");
    const enc = mixtureCodec.encodeCompact(spec, f64("x", [1, 2]), CTX);
    (enc[1]!.values as Int32Array)[1] = 57;
    assert.throws(() => mixtureCodec.decodeCompact(spec, enc), /row 1 is 57.*another model/);
  });
});

describe("fitModes", () => {
  it("keeps the heaviest mode alone when no mode weighs more than the threshold", () => {
    const values = Float64Array.from([1.5, 2.5, 3.25, 4.75, 8, 9.5, 1.5, 1.5, 2.5]);
    const all = fitModes(values, null, { weightThreshold: 0 });
    assert.equal(all.heaviestOnly, null);
    assert.ok(all.modes.length > 1);
    const top = all.modes.reduce((a, b) => (b.weight > a.weight ? b : a));
    const one = fitModes(values, null, { weightThreshold: top.weight + 0.01 });
    assert.deepEqual(
      one.modes.map((m) => [m.weight, m.mean, m.std]),
      [[1, top.mean, top.std]],
    );
    assert.ok(Math.abs(one.heaviestOnly! - top.weight) < 1e-12);
    assert.ok(Number.isFinite(one.meanLogLikelihood));
  });
});

describe("mixtureCodec.decodeCompact", () => {
  it("names the row of the whole input after firstRow", () => {
    const spec = fitMixtureColumn(f64("x", [1, 2, 3, 10, 11, 12]), "continuous");
    const enc = mixtureCodec.encodeCompact(spec, f64("x", [1, 2]), CTX);
    (enc[1]!.values as Int32Array)[1] = 57;
    assert.throws(() => mixtureCodec.decodeCompact(spec, enc, null, 1000), /row 1001 is 57/);
  });
});
