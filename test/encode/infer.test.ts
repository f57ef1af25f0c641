import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Column } from "../../src/core/table.js";
import { inferKind } from "../../src/encode/infer.js";

function f64(values: number[], nulls: Uint8Array | null = null): Column {
  return { name: "x", type: "float64", values: Float64Array.from(values), nulls };
}
function i32(values: number[], nulls: Uint8Array | null = null): Column {
  return { name: "x", type: "int32", values: Int32Array.from(values), nulls };
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("inferKind", () => {
  it("inferKind makes text and booleans categorical, timestamps datetime", () => {
    assert.equal(inferKind({ name: "s", type: "string", values: ["a", "b", null] }), "categorical");
    assert.equal(
      inferKind({ name: "b", type: "bool", values: Uint8Array.of(0, 1), nulls: null }),
      "categorical",
    );
    const ts: Column = {
      name: "t",
      type: "timestamp",
      unit: "s",
      values: BigInt64Array.from(range(100), BigInt),
      nulls: null,
    };
    assert.equal(inferKind(ts), "datetime");
  });

  it("inferKind makes integers with at most 10 distinct values categorical", () => {
    assert.equal(inferKind(i32([...range(10), ...range(10)])), "categorical");
    assert.equal(inferKind(i32(range(11))), "integer");
    const big: Column = {
      name: "n",
      type: "int64",
      values: BigInt64Array.of(...range(11).map((i) => 2n ** 60n + BigInt(i))),
      nulls: null,
    };
    assert.equal(inferKind(big), "integer");
    const masked = Uint8Array.from(range(11), (i) => (i === 10 ? 1 : 0));
    assert.equal(inferKind(i32(range(11), masked)), "categorical"); // missing rows do not count
  });

  it("inferKind makes floats continuous unless they hold at most 2 distinct values", () => {
    assert.equal(inferKind(f64([0, 1, 1, 0])), "categorical");
    assert.equal(inferKind(f64([0, 1, 0.5])), "continuous");
    assert.equal(inferKind(f64([0, -0, 1])), "continuous"); // −0 is a value of its own
    assert.equal(inferKind(f64([Number.NaN, Number.NaN, 1])), "categorical"); // NaN is one value
    const f32: Column = {
      name: "f",
      type: "float32",
      values: Float32Array.of(1.5, 2.5, 3.5),
      nulls: null,
    };
    assert.equal(inferKind(f32), "continuous");
  });

  it("inferKind treats empty and all-missing numeric columns as categorical", () => {
    assert.equal(inferKind(f64([])), "categorical");
    assert.equal(inferKind(f64([1, 2, 3], Uint8Array.of(1, 1, 1))), "categorical");
  });

  it("inferKind takes other limits and rejects bad ones", () => {
    assert.equal(inferKind(i32(range(11)), { maxIntegerCategories: 20 }), "categorical");
    assert.equal(inferKind(f64([1, 2, 3]), { maxFloatCategories: 3 }), "categorical");
    assert.throws(
      () => inferKind(f64([1]), { maxFloatCategories: -1 }),
      /maxFloatCategories must be/,
    );
  });
});
