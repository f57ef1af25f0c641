/**
 * CSV formatting: `formatFloat` gives exactly the text `String(x)` gives (the shortest text that
 * reads back bit for bit; `-0` for negative zero) on its fast path and off it, and
 * `csvRowBytes` (the rows of a block formatted on a worker thread) gives exactly the bytes of
 * `csvBlocks` without the header, in UTF-8 and in Latin-1, by its row loop and (tables of numeric
 * columns only) by WebAssembly.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Random } from "../../src/core/rng.js";
import type { Table } from "../../src/core/table.js";
import { csvRowBytes } from "../../src/io/csv-bytes.js";
import { csvBlocks, csvHeader, encodeCsvText, formatFloat } from "../../src/io/csv-write.js";

const expected = (x: number) => (Object.is(x, -0) ? "-0" : String(x));

/** Doubles of every kind: short decimals (the fast path), full-precision and random bit patterns. */
function* doubles(n: number, seed: number): Generator<number> {
  const rng = new Random(seed);
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  for (let i = 0; i < n; i++) {
    const kind = i % 5;
    const sign = rng.random() < 0.5 ? -1 : 1;
    if (kind === 0) {
      // m / 10^d with up to 16 digits and up to 8 fraction digits (some beyond the fast path)
      const m = Math.floor(rng.random() * 10 ** Math.floor(rng.random() * 17));
      yield (sign * m) / 10 ** Math.floor(rng.random() * 9);
    } else if (kind === 1) {
      yield (sign * Math.round(rng.random() * 5e6)) / 100; // cents
    } else if (kind === 2) {
      yield sign * rng.random() * 10 ** (rng.random() * 44 - 22);
    } else if (kind === 3) {
      words[0] = Math.floor(rng.random() * 2 ** 32);
      words[1] = Math.floor(rng.random() * 2 ** 32);
      yield bits[0]!;
    } else {
      // next to a short decimal: one ulp up or down
      const x = Math.round(rng.random() * 1e9) / 1e4;
      bits[0] = x;
      if (rng.random() < 0.5) words[0] = (words[0]! + 1) >>> 0;
      else words[0] = (words[0]! - 1) >>> 0;
      yield sign * bits[0]!;
    }
  }
}

/** Doubles at the edges of the short-decimal path, and the special values. */
const EDGES = [
  0,
  -0,
  1,
  -1,
  0.1,
  0.2,
  0.1 + 0.2,
  1e-6,
  1e-7,
  1.5e-6,
  0.000001,
  123456.789012,
  1e14,
  999999999999999,
  1e15,
  1e15 + 1,
  1e21,
  1e-5,
  9007199254740991,
  9007199254740992,
  0.5,
  14.61,
  2.675,
  1.005,
  5e-324,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
  Number.EPSILON,
  NaN,
  Infinity,
  -Infinity,
  123.4567891,
  99999999.999999,
];

describe("formatFloat", () => {
  test("is String(x) at the edges of the fast path", () => {
    for (const x of EDGES) assert.equal(formatFloat(x), expected(x), `x = ${expected(x)}`);
  });

  test("is String(x) on two million doubles of every kind", () => {
    let n = 0;
    for (const x of doubles(2_000_000, 20261205)) {
      const got = formatFloat(x);
      if (got !== expected(x)) assert.fail(`formatFloat(${expected(x)}) gave ${got}`);
      if (Number(got) !== x && !Number.isNaN(x)) assert.fail(`${got} does not read back`);
      n++;
    }
    assert.equal(n, 2_000_000);
  });
});

describe("csvRowBytes", () => {
  const rows = 40_000; // more than one formatting block of 16,384 rows
  const values = Float64Array.from(doubles(rows, 7));
  values.set([0, -0, Number.NaN, Infinity, -Infinity, 1e21, 1e-7, -5e-324, 0.5, -14.61], 1);
  const nulls = new Uint8Array(rows).map((_, i) => (i % 7 === 0 ? 1 : 0));
  const ints = BigInt64Array.from({ length: rows }, (_, i) =>
    i % 5 === 0 ? -(2n ** 63n) + BigInt(i) : BigInt(i) * 123456789123n - 5n,
  );
  const text = Array.from({ length: rows }, (_, i) =>
    i % 3 === 0 ? `a,"b" ${i}` : i % 3 === 1 ? "café" : i % 9 === 2 ? "" : null,
  );
  const table: Table = {
    rows,
    columns: [
      { name: "x", type: "float64", values, nulls },
      { name: "n", type: "int64", values: ints, nulls: null },
      { name: "s", type: "string", values: text },
      { name: "f", type: "float32", values: Float32Array.from(values), nulls: null },
      {
        name: "i",
        type: "int32",
        values: Int32Array.from({ length: rows }, (_, i) => (i - rows / 2) * 53_687),
        nulls,
      },
      {
        name: "b",
        type: "bool",
        values: Uint8Array.from({ length: rows }, (_, i) => i % 2),
        nulls,
      },
      {
        name: "t",
        type: "timestamp",
        unit: "us",
        values: BigInt64Array.from(
          { length: rows },
          (_, i) => BigInt(i) * 86_400_123_457n - 10n ** 12n,
        ),
        nulls: null,
      },
    ],
  };

  test("gives the bytes of csvBlocks without the header, in UTF-8 and Latin-1", () => {
    for (const encoding of ["utf8", "latin1"] as const) {
      const all = [...csvBlocks(table, false)].join("");
      const want = Buffer.from(all, encoding);
      const got = csvRowBytes(table, encoding, "out.csv");
      assert.equal(Buffer.compare(Buffer.from(got), want), 0, encoding);
      // Memory of its own from its start: shared (a shared bin keeps it for later blocks), or
      // a buffer of exactly its length (safe to transfer).
      assert.equal(got.byteOffset, 0);
      if (!(got.buffer instanceof SharedArrayBuffer))
        assert.equal(got.buffer.byteLength, got.length);
    }
    assert.equal(csvHeader(table), "x,n,s,f,i,b,t\n");
  });

  test("refuses text Latin-1 cannot hold, naming the output", () => {
    const t: Table = { rows: 1, columns: [{ name: "s", type: "string", values: ["€"] }] };
    assert.throws(
      () => csvRowBytes(t, "latin1", "out.csv"),
      /out\.csv: cannot be written in Latin-1/,
    );
    assert.throws(() => encodeCsvText("€", "latin1", "x"), /U\+20AC/);
  });

  test("numeric tables, written by WebAssembly, give the bytes of csvBlocks", () => {
    const numeric: Table = {
      rows,
      columns: table.columns.filter((c) => c.type !== "string" && c.type !== "timestamp"),
    };
    const into = new Uint8Array(new SharedArrayBuffer(64 * rows));
    for (const encoding of ["utf8", "latin1"] as const) {
      const want = Buffer.from([...csvBlocks(numeric, false)].join(""), encoding);
      const got = csvRowBytes(numeric, encoding, "out.csv");
      assert.equal(Buffer.compare(Buffer.from(got), want), 0, encoding);
      const shared = csvRowBytes(numeric, encoding, "out.csv", into);
      assert.equal(shared.buffer, into.buffer, "into the caller's buffer when it fits");
      assert.equal(Buffer.compare(Buffer.from(shared), want), 0, `${encoding}, into`);
    }
  });

  test("a double column, written by WebAssembly, is String(x) on a million doubles and the edges", () => {
    const xs = Float64Array.from([...EDGES, ...doubles(1_000_000, 20261206)]);
    const got = Buffer.from(
      csvRowBytes(
        { rows: xs.length, columns: [{ name: "x", type: "float64", values: xs, nulls: null }] },
        "utf8",
        "out.csv",
      ),
    ).toString("latin1");
    const lines = got.split("\n");
    assert.equal(lines.length, xs.length + 1);
    xs.forEach((x, i) => {
      if (lines[i] !== expected(x)) assert.fail(`row ${i}: ${expected(x)} written as ${lines[i]}`);
    });
  });

  test("a wide numeric table (small WebAssembly batches) gives the bytes of csvBlocks", () => {
    const wide: Table = {
      rows: 50,
      columns: Array.from({ length: 400 }, (_, k) => {
        const values = Float64Array.from(doubles(50, k));
        return k % 2 === 0
          ? { name: `c${k}`, type: "float64" as const, values, nulls: null }
          : {
              name: `c${k}`,
              type: "int32" as const,
              values: Int32Array.from(values, (v) => Math.trunc(v) | 0),
              nulls: Uint8Array.from(values, (_, i) => ((i + k) % 300 === 0 ? 1 : 0)),
            };
      }),
    };
    const want = Buffer.from([...csvBlocks(wide, false)].join(""), "utf8");
    assert.equal(Buffer.compare(Buffer.from(csvRowBytes(wide, "utf8", "w.csv")), want), 0);
  });
});
