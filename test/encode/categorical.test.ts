import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { InvalidInputError } from "../../src/core/errors.js";
import type { Column } from "../../src/core/table.js";
import {
  categoricalCodec,
  categoryText,
  fitCategorical,
  isCanonicalCategory,
} from "../../src/encode/categorical.js";
import type { EncodeContext } from "../../src/encode/codec.js";
import { MODE_NULL } from "../../src/encode/spec.js";

const CTX: EncodeContext = { seed: 0, columnIndex: 0, firstRow: 0 };
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
function str(values: (string | null)[], name = "x"): Column {
  return { name, type: "string", values };
}

/** Same type, name, length, missing rows, and values bit for bit (Object.is) on present rows. */
function assertSameColumn(actual: Column, expected: Column): void {
  assert.equal(actual.type, expected.type);
  assert.equal(actual.name, expected.name);
  assert.equal(actual.values.length, expected.values.length);
  for (let i = 0; i < expected.values.length; i++) {
    const missE =
      expected.type === "string" ? expected.values[i] === null : expected.nulls?.[i] === 1;
    const missA = actual.type === "string" ? actual.values[i] === null : actual.nulls?.[i] === 1;
    assert.equal(missA, missE, `row ${i}: missing ${missA}, expected ${missE}`);
    if (!missE) {
      assert.ok(
        Object.is(actual.values[i], expected.values[i]),
        `row ${i}: ${String(actual.values[i])} !== ${String(expected.values[i])}`,
      );
    }
  }
}

function roundTrip(col: Column, options = {}): void {
  const spec = fitCategorical(col, options);
  const enc = categoricalCodec.encodeCompact(spec, col, CTX);
  assertSameColumn(categoricalCodec.decodeCompact(spec, enc), col);
  if (spec.nullable || !hasNull(col)) {
    const dense = categoricalCodec.encodeDense(spec, col, CTX);
    assertSameColumn(categoricalCodec.decodeDense(spec, dense), col);
  }
}
function hasNull(col: Column): boolean {
  return col.type === "string" ? col.values.includes(null) : col.nulls?.includes(1) === true;
}

describe("fitCategorical", () => {
  it("fitCategorical orders by frequency, ties by first appearance", () => {
    const spec = fitCategorical(str(["b", "a", "c", "a", "b", "d", null, "c", "c"]));
    assert.deepEqual(spec.categories, ["c", "b", "a", "d"]);
    assert.deepEqual(spec.counts, [3, 2, 2, 1]);
    assert.equal(spec.order, "frequency");
    assert.equal(spec.unseen, "error");
    assert.equal(spec.nullable, true);
    assert.equal(spec.rows, 9);
    assert.equal(spec.nullCount, 1);
    assert.equal(spec.dtype, "string");
  });

  it("fitCategorical first-seen keeps the order of first appearance", () => {
    const spec = fitCategorical(str(["b", "a", "c", "a", "c", "c"]), { order: "first-seen" });
    assert.deepEqual(spec.categories, ["b", "a", "c"]);
    assert.deepEqual(spec.counts, [1, 2, 3]);
  });

  it("fitCategorical writes numbers in canonical text, −0 and NaN as categories of their own", () => {
    const spec = fitCategorical(
      f64([
        0,
        -0,
        Number.NaN,
        Number.NaN,
        Infinity,
        -Infinity,
        0.1,
        5e-324,
        -1.7976931348623157e308,
      ]),
      { order: "first-seen" },
    );
    assert.deepEqual(spec.categories, [
      "0",
      "-0",
      "NaN",
      "Infinity",
      "-Infinity",
      "0.1",
      "5e-324",
      "-1.7976931348623157e+308",
    ]);
    assert.deepEqual(spec.counts, [1, 1, 2, 1, 1, 1, 1, 1]);
  });

  it("fitCategorical keeps int64 values beyond 2^53 exact", () => {
    const spec = fitCategorical(i64([2n ** 53n, 2n ** 53n + 1n, MAX_I64, -MAX_I64 - 1n]));
    assert.deepEqual(spec.categories, [
      "9007199254740992",
      "9007199254740993",
      "9223372036854775807",
      "-9223372036854775808",
    ]);
  });

  it("fitCategorical writes booleans as true / false", () => {
    const col: Column = { name: "b", type: "bool", values: Uint8Array.of(1, 0, 1), nulls: null };
    assert.deepEqual(fitCategorical(col).categories, ["true", "false"]);
    assert.equal(categoryText(col, 1), "false");
  });

  it("fitCategorical rejects timestamps and bad options", () => {
    const ts: Column = {
      name: "t",
      type: "timestamp",
      unit: "ms",
      values: BigInt64Array.of(1n),
      nulls: null,
    };
    assert.throws(() => fitCategorical(ts), /column "t" holds timestamps.*datetime or minmax/);
    assert.throws(
      () => fitCategorical(str(["a"]), { order: "alphabetical" as "frequency" }),
      (e: Error) => e instanceof InvalidInputError && /order must be one of/.test(e.message),
    );
    assert.throws(() => fitCategorical(str(["a"]), { unseen: "ignore" as "error" }), /unseen must/);
  });

  it("fitCategorical on an empty column gives no categories", () => {
    const spec = fitCategorical(str([]));
    assert.deepEqual(spec.categories, []);
    assert.deepEqual(categoricalCodec.denseSpans(spec), []);
    assert.equal(categoricalCodec.decodeDense(spec, []).values.length, 0);
  });
});

describe("categoricalCodec compact", () => {
  it("categoricalCodec round trips every dtype bit for bit", () => {
    roundTrip(str(["héllo", "日本語", "🙂", "", null, "a\u0000b", "héllo", "e\u0301"]));
    roundTrip({
      name: "b",
      type: "bool",
      values: Uint8Array.of(1, 0, 0, 1),
      nulls: Uint8Array.of(0, 0, 1, 0),
    });
    roundTrip({
      name: "i",
      type: "int32",
      values: Int32Array.of(-2147483648, 2147483647, 0, 7, 7),
      nulls: Uint8Array.of(0, 0, 0, 1, 0),
    });
    roundTrip(i64([MAX_I64, -MAX_I64, -MAX_I64 - 1n, 2n ** 53n + 1n, 2n ** 53n, null, 0n]));
    roundTrip(
      f64([
        -0,
        0,
        Number.NaN,
        Infinity,
        -Infinity,
        1.7976931348623157e308,
        -1.7976931348623157e308,
        5e-324,
        -5e-324,
        0.1,
        null,
        1 / 3,
      ]),
    );
    roundTrip({
      name: "f",
      type: "float32",
      values: Float32Array.of(-0, 0, Number.NaN, 0.1, 3.4028234663852886e38, 1e-45),
      nulls: null,
    });
  });

  it("categoricalCodec writes one int32 index column with −2 for missing values", () => {
    const col = str(["a", null, "b", "a"]);
    const spec = fitCategorical(col);
    assert.deepEqual(categoricalCodec.compactFields(spec), [{ name: "x.index", type: "int32" }]);
    const [idx] = categoricalCodec.encodeCompact(spec, col, CTX);
    assert.equal(idx!.name, "x.index");
    assert.deepEqual(Array.from(idx!.values as Int32Array), [0, MODE_NULL, 1, 0]);
  });

  it("categoricalCodec encodes missing values even when the fit saw none (compact)", () => {
    const spec = fitCategorical(str(["a", "b"]));
    const col = str(["b", null]);
    const [idx] = categoricalCodec.encodeCompact(spec, col, CTX);
    assert.deepEqual(Array.from(idx!.values as Int32Array), [1, MODE_NULL]);
    assertSameColumn(categoricalCodec.decodeCompact(spec, [idx!]), col);
  });

  it("categoricalCodec throws on an unseen value, naming column, row, value, count and fix", () => {
    const spec = fitCategorical(str(["red", "green", "blue"], "color"));
    assert.throws(
      () =>
        categoricalCodec.encodeCompact(spec, str(["red", "purple"], "color"), {
          ...CTX,
          firstRow: 100,
        }),
      (e: Error) =>
        e instanceof InvalidInputError &&
        /column "color"/.test(e.message) &&
        /row 101/.test(e.message) &&
        /"purple"/.test(e.message) &&
        /3 categories/.test(e.message) &&
        /Refit/.test(e.message) &&
        /unseen "other"/.test(e.message),
    );
    const ints = fitCategorical(i64([1n, 2n]));
    assert.throws(
      () => categoricalCodec.encodeCompact(ints, i64([MAX_I64]), CTX),
      /9223372036854775807/,
    );
  });

  it("categoricalCodec maps unseen values to the other slot, which decodes to null", () => {
    const spec = fitCategorical(str(["a", "b", "a"]), { unseen: "other" });
    const col = str(["a", "zzz", null, "b"]);
    const [idx] = categoricalCodec.encodeCompact(spec, col, CTX);
    assert.deepEqual(Array.from(idx!.values as Int32Array), [0, 2, MODE_NULL, 1]);
    const back = categoricalCodec.decodeCompact(spec, [idx!]);
    assert.deepEqual(back.values, ["a", null, null, "b"]);
    const num = fitCategorical(f64([1, 2]), { unseen: "other" });
    const out = categoricalCodec.decodeCompact(
      num,
      categoricalCodec.encodeCompact(num, f64([3, 1]), CTX),
    );
    assert.equal(out.type === "float64" && out.nulls?.[0], 1);
    assert.equal(out.values[1], 1);
  });

  it("categoricalCodec matches a column of another type through canonical text", () => {
    const spec = fitCategorical({
      name: "x",
      type: "int32",
      values: Int32Array.of(5, 6),
      nulls: null,
    });
    const [idx] = categoricalCodec.encodeCompact(spec, i64([6n, 5n]), CTX);
    assert.deepEqual(Array.from(idx!.values as Int32Array), [1, 0]);
    const [idx2] = categoricalCodec.encodeCompact(spec, str(["5"]), CTX);
    assert.deepEqual(Array.from(idx2!.values as Int32Array), [0]);
    const back = categoricalCodec.decodeCompact(spec, [idx!]);
    assert.equal(back.type, "int32");
    assert.deepEqual(Array.from(back.values as Int32Array), [6, 5]);
  });

  it("categoricalCodec decode rejects an index out of range", () => {
    const spec = fitCategorical(str(["a", "b"]));
    const bad: Column = {
      name: "x.index",
      type: "int32",
      values: Int32Array.of(0, 2),
      nulls: null,
    };
    assert.throws(
      () => categoricalCodec.decodeCompact(spec, [bad]),
      /column "x.index": row 1 is 2, but the model has 2 categories/,
    );
    assert.throws(
      () => categoricalCodec.decodeCompact(spec, []),
      /needs an integer column "x.index"/,
    );
  });
});

describe("categoricalCodec dense", () => {
  it("categoricalCodec dense has one softmax span: categories, other, null", () => {
    const spec = fitCategorical(str(["a", null, "b", "a"], "c"), { unseen: "other" });
    assert.deepEqual(categoricalCodec.denseSpans(spec), [
      { column: "c", activation: "softmax", outputs: ["c=a", "c=b", "c=<other>", "c=<null>"] },
    ]);
    const out = categoricalCodec.encodeDense(spec, str(["b", null, "q"], "c"), CTX);
    assert.deepEqual(
      out.map((o) => Array.from(o)),
      [
        [0, 0, 0],
        [1, 0, 0],
        [0, 0, 1],
        [0, 1, 0],
      ],
    );
    const plain = fitCategorical(str(["a", "b"], "c"));
    assert.deepEqual(categoricalCodec.denseSpans(plain)[0]!.outputs, ["c=a", "c=b"]);
  });

  it("categoricalCodec dense renames special slots that collide with a category", () => {
    const spec = fitCategorical(str(["<null>", null, "<other>"]), { unseen: "other" });
    assert.deepEqual(categoricalCodec.denseSpans(spec)[0]!.outputs, [
      "x=<null>",
      "x=<other>",
      "x=<<other>>",
      "x=<<null>>",
    ]);
  });

  it("categoricalCodec dense throws on a missing value without a null slot", () => {
    const spec = fitCategorical(str(["a", "b"], "c"));
    assert.throws(
      () => categoricalCodec.encodeDense(spec, str(["a", null], "c"), { ...CTX, firstRow: 10 }),
      (e: Error) =>
        e instanceof InvalidInputError &&
        /column "c": row 11 is missing/.test(e.message) &&
        /Refit on data that includes missing values/.test(e.message),
    );
  });

  it("categoricalCodec dense decode takes the argmax, first on ties, NaN never wins", () => {
    const spec = fitCategorical(str(["a", "b", "c", null]), { order: "first-seen" });
    const outputs = [
      Float32Array.of(0.1, 0.5, Number.NaN, 0.2),
      Float32Array.of(0.7, 0.5, 0.1, 0.2),
      Float32Array.of(0.2, 0.1, Number.NaN, 0.1),
      Float32Array.of(0.0, 0.5, 0.0, 0.9),
    ];
    assert.deepEqual(categoricalCodec.decodeDense(spec, outputs).values, ["b", "a", "b", null]);
    assert.throws(() => categoricalCodec.decodeDense(spec, outputs.slice(1)), /has 4 outputs/);
  });
});

describe("categorical properties", () => {
  it("categoricalCodec compact and dense round trips are exact (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.string({ unit: "grapheme", maxLength: 4 }), { nil: null })),
        (vals) => roundTrip(str(vals)),
      ),
      { seed: 42, numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.array(fc.option(fc.double(), { nil: null }), { maxLength: 30 }), (vals) =>
        roundTrip(f64(vals), { order: "first-seen" }),
      ),
      { seed: 43, numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.bigInt({ min: -MAX_I64 - 1n, max: MAX_I64 }), { nil: null })),
        (vals) => roundTrip(i64(vals)),
      ),
      { seed: 44, numRuns: 200 },
    );
  });

  it("isCanonicalCategory accepts exactly the canonical forms", () => {
    assert.ok(isCanonicalCategory("float64", "-0"));
    assert.ok(isCanonicalCategory("float64", "NaN"));
    assert.ok(isCanonicalCategory("float64", "1e+300"));
    assert.ok(!isCanonicalCategory("float64", "1.0"));
    assert.ok(!isCanonicalCategory("float32", "0.1"));
    assert.ok(isCanonicalCategory("float32", String(Math.fround(0.1))));
    assert.ok(!isCanonicalCategory("int32", "2147483648"));
    assert.ok(!isCanonicalCategory("int32", "1.5"));
    assert.ok(isCanonicalCategory("int64", "-9223372036854775808"));
    assert.ok(!isCanonicalCategory("int64", "9223372036854775808"));
    assert.ok(!isCanonicalCategory("int64", "007"));
    assert.ok(!isCanonicalCategory("bool", "1"));
  });
});
