import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InvalidInputError } from "../../src/core/errors.js";
import type { Column } from "../../src/core/table.js";
import type { EncodeContext } from "../../src/encode/codec.js";
import {
  decodeMinMax,
  fitMinMax,
  MODE_NORMAL,
  minMaxCodec,
  minMaxScale,
} from "../../src/encode/minmax.js";
import { type MinMaxColumnSpec, MODE_LITERAL, MODE_NULL } from "../../src/encode/spec.js";

const CTX: EncodeContext = { seed: 0, columnIndex: 0, firstRow: 0 };
const MAX = 1.7976931348623157e308;
const MAX_I64 = 2n ** 63n - 1n;

function mask(nulls: boolean[]): Uint8Array | null {
  return nulls.some((b) => b) ? Uint8Array.from(nulls, (b) => (b ? 1 : 0)) : null;
}
function f64(values: (number | null)[], name = "x"): Column {
  return {
    name,
    type: "float64",
    values: Float64Array.from(values, (v) => v ?? 0),
    nulls: mask(values.map((v) => v === null)),
  };
}
function i64(values: (bigint | null)[], name = "x"): Column {
  return {
    name,
    type: "int64",
    values: BigInt64Array.from(values, (v) => v ?? 0n),
    nulls: mask(values.map((v) => v === null)),
  };
}

function assertSameColumn(actual: Column, expected: Column): void {
  assert.equal(actual.type, expected.type);
  assert.equal(actual.name, expected.name);
  assert.equal(actual.values.length, expected.values.length);
  if (actual.type === "timestamp" && expected.type === "timestamp")
    assert.equal(actual.unit, expected.unit);
  for (let i = 0; i < expected.values.length; i++) {
    const missE = expected.type !== "string" && expected.nulls?.[i] === 1;
    const missA = actual.type !== "string" && actual.nulls?.[i] === 1;
    assert.equal(missA, missE, `row ${i}: missing ${missA}, expected ${missE}`);
    if (!missE) {
      assert.ok(
        Object.is(actual.values[i], expected.values[i]),
        `row ${i}: ${String(actual.values[i])} !== ${String(expected.values[i])}`,
      );
    }
  }
}

/** Encodes with `spec` (default: fitted on col), decodes, checks; returns the literal count. */
function roundTrip(col: Column, spec: MinMaxColumnSpec = fitMinMax(col)): number {
  const enc = minMaxCodec.encodeCompact(spec, col, CTX);
  assert.deepEqual(
    enc.map((c) => ({ name: c.name, type: c.type })),
    minMaxCodec.compactFields(spec),
  );
  assertSameColumn(minMaxCodec.decodeCompact(spec, enc), col);
  const mode = enc[1]!.values as Int32Array;
  return mode.filter((m) => m === MODE_LITERAL).length;
}

describe("fitMinMax", () => {
  it("fitMinMax takes min and max over finite, non-missing values", () => {
    const spec = fitMinMax(f64([3, null, -2, Number.NaN, Infinity, 10, -Infinity]));
    assert.deepEqual(spec, {
      name: "x",
      kind: "minmax",
      dtype: "float64",
      min: -2,
      max: 10,
      nullable: true,
      rows: 7,
      nullCount: 1,
    });
  });

  it("fitMinMax stores −0 as 0 and a column without finite values as [0, 0]", () => {
    const z = fitMinMax(f64([-0, -0]));
    assert.ok(Object.is(z.min, 0) && Object.is(z.max, 0));
    const none = fitMinMax(f64([Number.NaN, null, Infinity]));
    assert.equal(none.min, 0);
    assert.equal(none.max, 0);
    assert.equal(fitMinMax(f64([])).min, 0);
  });

  it("fitMinMax reads int64 through Number and keeps the timestamp unit", () => {
    const spec = fitMinMax(i64([MAX_I64, -5n]));
    assert.equal(spec.max, 2 ** 63); // Number(2^63 − 1) rounds up
    assert.equal(spec.min, -5);
    const ts = fitMinMax({
      name: "t",
      type: "timestamp",
      unit: "us",
      values: BigInt64Array.of(1n, 2n),
      nulls: null,
    });
    assert.equal(ts.unit, "us");
    assert.equal(ts.dtype, "timestamp");
  });

  it("fitMinMax rejects text columns", () => {
    assert.throws(
      () => fitMinMax({ name: "s", type: "string", values: ["a"] }),
      (e: Error) => e instanceof InvalidInputError && /column "s" holds text/.test(e.message),
    );
  });
});

describe("minMaxCodec compact", () => {
  it("minMaxCodec maps the range onto [−1, 1] with codes 0, −1, −2", () => {
    const col = f64([0, 5, 10, null, Number.NaN]);
    const spec = fitMinMax(col);
    const [alpha, mode] = minMaxCodec.encodeCompact(spec, col, CTX);
    assert.deepEqual(Array.from(alpha!.values as Float64Array).slice(0, 3), [-1, 0, 1]);
    assert.deepEqual(Array.from(mode!.values as Int32Array), [
      MODE_NORMAL,
      MODE_NORMAL,
      MODE_NORMAL,
      MODE_NULL,
      MODE_LITERAL,
    ]);
    assert.ok(Number.isNaN((alpha!.values as Float64Array)[4]!));
  });

  it("minMaxCodec round trips float64 edge values bit for bit", () => {
    const edges = [
      -0,
      0,
      Number.NaN,
      Infinity,
      -Infinity,
      MAX,
      -MAX,
      5e-324,
      -5e-324,
      0.1,
      1 / 3,
      null,
      2.2250738585072014e-308,
    ];
    roundTrip(f64(edges)); // spans the whole float64 range: max − min would overflow
    roundTrip(f64(edges.filter((x) => x === null || Math.abs(x) < 1e300)));
    roundTrip(f64([5e-324, 1e-323, 0, -0])); // a subnormal range
    roundTrip(f64([7, 7])); // a constant column: v = 0
    roundTrip(f64([7, -0, 8, 6.5, null]), fitMinMax(f64([7, 7]))); // then other values: literals
  });

  it("minMaxCodec round trips float32, int32, bool, int64 and timestamps exactly", () => {
    roundTrip({
      name: "f",
      type: "float32",
      values: Float32Array.of(-0, 0.1, 3.4028234663852886e38, -1e-45, Number.NaN, 1),
      nulls: Uint8Array.of(0, 0, 0, 0, 0, 1),
    });
    const i32 = roundTrip({
      name: "i",
      type: "int32",
      values: Int32Array.of(-2147483648, 2147483647, 0, 12345),
      nulls: null,
    });
    assert.equal(i32, 0);
    roundTrip({
      name: "b",
      type: "bool",
      values: Uint8Array.of(0, 1, 1),
      nulls: Uint8Array.of(0, 0, 1),
    });
    const big = i64([MAX_I64, -MAX_I64, -MAX_I64 - 1n, 2n ** 53n + 1n, 2n ** 53n, 0n, -1n, null]);
    assert.equal(roundTrip(big), 0);
    roundTrip({
      name: "t",
      type: "timestamp",
      unit: "ns",
      values: BigInt64Array.of(1_700_000_000_000_000_001n, 1n, MAX_I64),
      nulls: null,
    });
  });

  it("minMaxCodec int64 stores a residual only where needed", () => {
    const col = i64([0n, 1000n, 2n ** 53n + 1n, 500n]);
    const spec = fitMinMax(col);
    const [, , res] = minMaxCodec.encodeCompact(spec, col, CTX);
    assert.equal(res!.name, "x.residual");
    assert.equal(res!.type, "int64");
    const nulls = (res as { nulls: Uint8Array }).nulls;
    assert.equal(nulls[0], 1);
    assert.equal(nulls[1], 1);
    assert.equal(nulls[3], 1);
  });

  it("minMaxCodec encodes values outside the fitted range exactly", () => {
    const spec = fitMinMax(f64([0, 1]));
    roundTrip(f64([-3, 2.5, 1e300, -1e-300, null]), spec);
    const ints = fitMinMax(i64([0n, 10n]));
    roundTrip(i64([MAX_I64, -MAX_I64 - 1n]), ints);
  });

  it("minMaxCodec converts other numeric input types, rejecting values the dtype cannot hold", () => {
    const spec = fitMinMax({ name: "x", type: "int32", values: Int32Array.of(0, 9), nulls: null });
    const enc = minMaxCodec.encodeCompact(spec, f64([3, 4]), CTX);
    assert.deepEqual(Array.from(minMaxCodec.decodeCompact(spec, enc).values as Int32Array), [3, 4]);
    assert.throws(
      () => minMaxCodec.encodeCompact(spec, f64([1, 2.5]), { ...CTX, firstRow: 7 }),
      /column "x": row 8 is 2.5, which the model's int32 column cannot hold/,
    );
    assert.throws(
      () => minMaxCodec.encodeCompact(spec, { name: "x", type: "string", values: ["1"] }, CTX),
      /holds text/,
    );
  });

  it("minMaxCodec decode rejects bad codes and missing columns", () => {
    const spec = fitMinMax(f64([0, 1]));
    const alpha: Column = {
      name: "x.alpha",
      type: "float64",
      values: Float64Array.of(0),
      nulls: null,
    };
    const mode: Column = { name: "x.mode", type: "int32", values: Int32Array.of(3), nulls: null };
    assert.throws(() => minMaxCodec.decodeCompact(spec, [alpha, mode]), /row 0 is 3/);
    assert.throws(() => minMaxCodec.decodeCompact(spec, [alpha]), /needs "x.alpha" \(float64\)/);
    const ints = fitMinMax(i64([0n, 1n]));
    const ok: Column = { name: "x.mode", type: "int32", values: Int32Array.of(0), nulls: null };
    assert.throws(() => minMaxCodec.decodeCompact(ints, [alpha, ok]), /"x.residual" \(int64\)/);
  });
});

describe("minMaxCodec dense", () => {
  it("minMaxCodec dense has a tanh value and, when nullable, a present/null span", () => {
    const spec = fitMinMax(f64([0, 10, null], "v"));
    assert.deepEqual(minMaxCodec.denseSpans(spec), [
      { column: "v", activation: "tanh", outputs: ["v.value"] },
      { column: "v", activation: "softmax", outputs: ["v.present", "v.null"] },
    ]);
    const plain = fitMinMax(f64([0, 10], "v"));
    assert.equal(minMaxCodec.denseSpans(plain).length, 1);
    const out = minMaxCodec.encodeDense(spec, f64([5, null, 20, -Infinity, Number.NaN], "v"), CTX);
    assert.deepEqual(Array.from(out[0]!), [0, 0, 1, -1, 0]);
    assert.deepEqual(Array.from(out[1]!), [1, 0, 1, 1, 1]);
    assert.deepEqual(Array.from(out[2]!), [0, 1, 0, 0, 0]);
    const back = minMaxCodec.decodeDense(spec, out);
    assert.equal(back.type, "float64");
    assert.deepEqual(Array.from(back.values as Float64Array), [5, 0, 10, 0, 5]);
    assert.deepEqual(Array.from((back as { nulls: Uint8Array }).nulls), [0, 1, 0, 0, 0]);
  });

  it("minMaxCodec dense decode clips, rounds integers and keeps values within float32 error", () => {
    const spec = fitMinMax({
      name: "i",
      type: "int32",
      values: Int32Array.of(0, 100),
      nulls: null,
    });
    const back = minMaxCodec.decodeDense(spec, [Float32Array.of(-2, 0.013, 1, Number.NaN)]);
    assert.deepEqual(Array.from(back.values as Int32Array), [0, 51, 100, 50]);
    const col = f64([0.25, 1.5, 3, -7]);
    const fs = fitMinMax(col);
    const dec = minMaxCodec.decodeDense(fs, minMaxCodec.encodeDense(fs, col, CTX));
    for (let i = 0; i < 4; i++) {
      assert.ok(Math.abs((dec.values[i] as number) - (col.values[i] as number)) < 1e-5);
    }
    const big = fitMinMax(i64([0n, MAX_I64]));
    const b = minMaxCodec.decodeDense(big, [Float32Array.of(1, -1)]);
    assert.deepEqual(Array.from(b.values as BigInt64Array), [MAX_I64, 0n]);
  });

  it("minMaxCodec dense throws on a missing value without a null slot", () => {
    const spec = fitMinMax(f64([0, 1], "v"));
    assert.throws(
      () => minMaxCodec.encodeDense(spec, f64([0, null], "v"), { ...CTX, firstRow: 5 }),
      /column "v": row 6 is missing.*Refit on data that includes missing values/,
    );
  });
});

describe("minmax exactness properties", () => {
  it("decodeMinMax is the decoder: alpha of a normal row decodes to the value", () => {
    const col = f64([1.5, 2.75, -0.125, 3e-10, 0.1, 2 / 3]);
    const spec = fitMinMax(col);
    const [alpha, mode] = minMaxCodec.encodeCompact(spec, col, CTX);
    const s = minMaxScale(spec);
    let normal = 0;
    for (let i = 0; i < col.values.length; i++) {
      if ((mode!.values as Int32Array)[i] !== MODE_NORMAL) continue;
      normal++;
      const a = (alpha!.values as Float64Array)[i]!;
      assert.ok(Math.abs(a) <= 1);
      assert.ok(Object.is(decodeMinMax(a, s), col.values[i]));
    }
    assert.ok(normal >= 4);
  });

  it("minMaxCodec stores few literals on typical data (the centred evaluation order)", () => {
    for (const [f, limit] of [
      [(i: number) => Math.sin(i), 0.01],
      [(i: number) => 50 + 10 * Math.sin(i), 0.01],
    ] as const) {
      const col = f64(Array.from({ length: 10000 }, (_, i) => f(i)));
      assert.ok(roundTrip(col) / 10000 < limit);
    }
  });

  it("minMaxCodec round trips arbitrary doubles with zero failures (property)", () => {
    let rows = 0;
    let literals = 0;
    fc.assert(
      fc.property(fc.array(fc.option(fc.double(), { nil: null }), { maxLength: 50 }), (vals) => {
        rows += vals.length;
        literals += roundTrip(f64(vals));
      }),
      { seed: 7, numRuns: 500 },
    );
    // Typical data (a bounded range): encode with a spec fitted on other data as well.
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 50 }),
        fc.array(fc.double(), { maxLength: 20 }),
        (fitOn, other) => {
          const spec = fitMinMax(f64(fitOn));
          roundTrip(f64(fitOn), spec);
          roundTrip(f64(other), spec);
        },
      ),
      { seed: 8, numRuns: 500 },
    );
    assert.ok(rows > 0 && literals <= rows);
  });

  it("minMaxCodec round trips float32 and every int64 (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.float(), { maxLength: 40 }), (vals) => {
        roundTrip({ name: "f", type: "float32", values: Float32Array.from(vals), nulls: null });
      }),
      { seed: 9, numRuns: 300 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.bigInt({ min: -MAX_I64 - 1n, max: MAX_I64 }), { nil: null }), {
          maxLength: 40,
        }),
        (vals) => {
          assert.equal(roundTrip(i64(vals)), 0);
        },
      ),
      { seed: 10, numRuns: 300 },
    );
  });
});
