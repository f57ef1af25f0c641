/**
 * What the CLI reads is what the files hold: numbers a double cannot keep are text or refused,
 * Parquet DECIMAL and wide integers are exact or refused, `compare` never calls two different
 * file values equal, and a CSV column whose integers turn into decimals in a later block is
 * widened to float64 (fit, transform, inverse, compare) or refused with the option that fixes it.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { fails, inTempDir, ok, put, run } from "./helpers.js";

/** Runs SQL statements on a private DuckDB instance. */
async function duck(...statements: string[]): Promise<void> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    for (const s of statements) await con.run(s);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** `x` then `n` integers, then `n` decimals (x.25): the decimals start at line n + 2. */
function lateDecimals(n: number, bigFirst = false): string {
  const lines = ["x,k"];
  for (let i = 0; i < n; i++) lines.push(`${bigFirst && i === 3 ? "9007199254740993" : i * 3},a`);
  for (let i = 0; i < n; i++) lines.push(`${i * 3 + 0.25},b`);
  return `${lines.join("\n")}\n`;
}

describe("CSV numbers beyond float64", () => {
  test("integers beyond int64 are read as text: different values compare as different", () =>
    inTempDir((dir) => {
      put(dir, "a.csv", "id,v\n99999999999999999999999,1.5\n5,2.5\n7,3.25\n");
      put(dir, "b.csv", "id,v\n99999999999999999999998,1.5\n5,2.5\n7,3.25\n");
      const r = run(dir, ["compare", "a.csv", "b.csv"]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /1 value\(s\) differ/);
      assert.match(r.stdout, /"99999999999999999999999" vs "99999999999999999999998"/);
      ok(dir, ["compare", "a.csv", "a.csv"]);
      // fit reads the column as text (categorical): the round trip is exact.
      assert.match(ok(dir, ["fit", "a.csv", "-o", "m.json"]), /id: categorical/);
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "enc"]);
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec.csv"]);
      assert.match(readFileSync(join(dir, "dec.csv"), "utf8"), /^id,v\n99999999999999999999999,/);
      ok(dir, ["compare", "a.csv", "dec.csv"]);
    }));

  test("a forced numeric column refuses a number float64 cannot hold, even with --non-numeric null", () =>
    inTempDir((dir) => {
      put(dir, "a.csv", "id,v\n1,1.5\n99999999999999999999999,2.5\n7,3.25\n");
      const mentions = [
        'a.csv: line 3, column "id": "99999999999999999999999" cannot be held exactly by float64',
        "1e+23",
        '--categorical "id"',
      ];
      fails(dir, ["fit", "a.csv", "-o", "m.json", "--continuous", "id"], 1, mentions);
      fails(dir, ["fit", "a.csv", "-o", "m.json", "--log", "id", "--non-numeric", "null"], 1, [
        mentions[0]!,
      ]);
      // --integer: not an int64 either; the one fix is text.
      const r = fails(dir, ["fit", "a.csv", "-o", "m.json", "--integer", "id"], 1, [
        '"99999999999999999999999" is not an integer in int64 range (forced type int64)',
        '--categorical "id"',
      ]);
      assert.doesNotMatch(r.stderr, /--continuous/);
      // --categorical keeps it as text.
      assert.match(
        ok(dir, ["fit", "a.csv", "-o", "m.json", "--categorical", "id"]),
        /3 categories/,
      );
    }));

  test("decimals of 20+ digits and %.17g text that is not the double's shortest decimal are text, or refused when forced", () =>
    inTempDir((dir) => {
      put(dir, "d.csv", "x\n0.123456789012345678901\n0.5\n0.75\n");
      assert.match(ok(dir, ["fit", "d.csv", "-o", "m.json"]), /x: categorical/);
      fails(dir, ["fit", "d.csv", "-o", "m2.json", "--continuous", "x"], 1, [
        'line 2, column "x": "0.123456789012345678901" cannot be held exactly by float64',
      ]);
      put(dir, "a.csv", "x\n0.1\n0.10000000000000001\n0.75\n");
      put(dir, "b.csv", "x\n0.1\n0.1\n0.75\n");
      // Two different texts: never equal.
      assert.equal(run(dir, ["compare", "a.csv", "b.csv"]).code, 1);
      fails(dir, ["fit", "a.csv", "-o", "m3.json", "--minmax", "x"], 1, [
        '"0.10000000000000001" cannot be held exactly by float64 (it would read as 0.1)',
      ]);
    }));

  test("texts a double keeps exactly are float64: 1.10, 1e2, 0.30000000000000004, 5e-324", () =>
    inTempDir((dir) => {
      const text = "x\n0.1\n1.10\n1e2\n0.30000000000000004\n5e-324\n-0\n1.7976931348623157e308\n";
      put(dir, "a.csv", text);
      const out = ok(dir, ["fit", "a.csv", "-o", "m.json", "--continuous", "x"]);
      assert.match(out, /x: continuous/);
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "enc"]);
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec.csv"]);
      ok(dir, ["compare", "a.csv", "dec.csv"]);
      assert.match(readFileSync(join(dir, "dec.csv"), "utf8"), /0\.30000000000000004/);
    }));

  test("transform refuses a value the model's float64 cannot hold exactly", () =>
    inTempDir((dir) => {
      put(dir, "a.csv", "x\n0.5\n1.5\n2.25\n");
      ok(dir, ["fit", "a.csv", "-o", "m.json", "--continuous", "x"]);
      put(dir, "new.csv", "x\n0.5\n12345678901234567.5\n");
      fails(dir, ["transform", "new.csv", "-m", "m.json", "-o", "enc"], 1, [
        'new.csv: line 3, column "x": "12345678901234567.5" cannot be held exactly by float64',
      ]);
    }));
});

describe("a CSV column whose type changes after the first block", () => {
  test("integers then decimals: fit widens to float64; transform, inverse and compare round-trip exactly", () =>
    inTempDir((dir) => {
      put(dir, "late.csv", lateDecimals(40));
      const b = ["--block-rows", "16"];
      const fit = ok(dir, ["fit", "late.csv", "-o", "m.json", ...b]);
      assert.match(fit, /on 80 rows/);
      assert.match(fit, /x: continuous/);
      const model = JSON.parse(readFileSync(join(dir, "m.json"), "utf8")) as {
        columns: { name: string; dtype: string }[];
      };
      assert.equal(model.columns.find((c) => c.name === "x")?.dtype, "float64");
      ok(dir, ["transform", "late.csv", "-m", "m.json", "-o", "enc", ...b, "--shard-rows", "32"]);
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec.csv", ...b]);
      const c = ok(dir, ["compare", "late.csv", "dec.csv", ...b]);
      assert.match(c, /80 rows × 2 columns, every value equal/);
      ok(dir, ["evaluate", "late.csv", "-m", "m.json", ...b]);
      // Different values after the widening are still found.
      put(dir, "other.csv", lateDecimals(40).replace("\n117.25,b", "\n117.5,b"));
      const r = run(dir, ["compare", "late.csv", "other.csv", ...b]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /117\.25 vs 117\.5/);
    }));

  test("an integer beyond 2^53 then a decimal is refused, naming both lines and the fix", () =>
    inTempDir((dir) => {
      put(dir, "late.csv", lateDecimals(40, true));
      fails(dir, ["fit", "late.csv", "-o", "m.json", "--block-rows", "16"], 1, [
        'late.csv: line 42, column "x": "0.25" is not an integer',
        "late.csv: line 5: 9007199254740993",
        '--categorical "x"',
      ]);
      const r = run(dir, ["compare", "late.csv", "late.csv", "--block-rows", "16"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /float64 cannot hold exactly/);
      // The fix works, and keeps every value.
      ok(dir, ["fit", "late.csv", "-o", "m.json", "--block-rows", "16", "--categorical", "x"]);
    }));

  test("numbers then text is refused with --categorical as the fix, which works", () =>
    inTempDir((dir) => {
      put(dir, "t.csv", `x\n${Array.from({ length: 20 }, (_, i) => i).join("\n")}\nabc\n`);
      const r = fails(dir, ["fit", "t.csv", "-o", "m.json", "--block-rows", "8"], 1, [
        't.csv: line 22, column "x": "abc" is not a number (type int64, inferred from the first 8 rows)',
        '--categorical "x"',
        "--block-rows",
      ]);
      assert.doesNotMatch(r.stderr, /types:|option types/);
      ok(dir, ["fit", "t.csv", "-o", "m.json", "--block-rows", "8", "--categorical", "x"]);
      ok(dir, ["transform", "t.csv", "-m", "m.json", "-o", "enc", "--block-rows", "8"]);
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec.csv"]);
      ok(dir, ["compare", "t.csv", "dec.csv"]);
    }));

  test("--continuous reads the column as float64 from the first row", () =>
    inTempDir((dir) => {
      put(dir, "late.csv", lateDecimals(40));
      const out = ok(dir, [
        "fit",
        "late.csv",
        "-o",
        "m.json",
        "--block-rows",
        "16",
        "--continuous",
        "x",
      ]);
      assert.match(out, /x: continuous/);
    }));
});

describe("Parquet DECIMAL and wide integers", () => {
  test("DECIMAL(10,2) reads as float64 and compares by value with its decoded DOUBLE; DECIMAL(18,0) as int64", () =>
    inTempDir(async (dir) => {
      await duck(
        `COPY (SELECT (i * 1.25 - 7)::DECIMAL(10,2) AS x, (i * 1000)::DECIMAL(18,0) AS n FROM range(60) t(i)) TO '${join(dir, "d.parquet")}'`,
        `COPY (SELECT (i * 1.25 - 7)::DOUBLE AS x, (i * 1000)::BIGINT AS n FROM range(60) t(i)) TO '${join(dir, "same.parquet")}'`,
        `COPY (SELECT CASE WHEN i = 9 THEN 4.26 ELSE i * 1.25 - 7 END::DOUBLE AS x, (i * 1000)::BIGINT AS n FROM range(60) t(i)) TO '${join(dir, "other.parquet")}'`,
      );
      const fit = ok(dir, [
        "fit",
        "d.parquet",
        "-o",
        "m.json",
        "--continuous",
        "x",
        "--integer",
        "n",
      ]);
      assert.match(fit, /x: continuous/);
      ok(dir, ["transform", "d.parquet", "-m", "m.json", "-o", "enc"]);
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec.parquet"]);
      ok(dir, ["compare", "d.parquet", "dec.parquet"]);
      ok(dir, ["compare", "d.parquet", "same.parquet"]);
      const r = run(dir, ["compare", "d.parquet", "other.parquet"]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /1 value\(s\) differ.*column "x": "4\.25" vs 4\.26/);
    }));

  test("DECIMAL(38,10) with values float64 cannot hold: refused, --categorical keeps them, compare tells them apart", () =>
    inTempDir(async (dir) => {
      const make = (v: string, name: string) =>
        `COPY (SELECT CASE WHEN i = 7 THEN ${v} ELSE i * 0.5 END::DECIMAL(38,10) AS x FROM range(30) t(i)) TO '${join(dir, name)}'`;
      await duck(
        make("1234567890.1234567891", "a.parquet"),
        make("1234567890.1234567892", "b.parquet"),
      );
      fails(dir, ["fit", "a.parquet", "-o", "m.json"], 1, [
        'a.parquet: row 8, column "x": 1234567890.1234567891 (DECIMAL(38,10)) cannot be held exactly by float64',
        '--categorical "x"',
      ]);
      const r = run(dir, ["compare", "a.parquet", "b.parquet"]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /"1234567890\.1234567891" vs "1234567890\.1234567892"/);
      ok(dir, ["fit", "a.parquet", "-o", "m.json", "--categorical", "x"]);
      ok(dir, ["transform", "a.parquet", "-m", "m.json", "-o", "enc"]);
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec.parquet"]);
      ok(dir, ["compare", "a.parquet", "dec.parquet"]);
    }));

  test("DECIMAL(38,0) and UBIGINT beyond int64 are refused, naming row and value; compare reads them exactly", () =>
    inTempDir(async (dir) => {
      const make = (v: string, type: string, name: string) =>
        `COPY (SELECT CASE WHEN i = 3 THEN ${v}::${type} ELSE i::${type} END AS x FROM range(20) t(i)) TO '${join(dir, name)}'`;
      await duck(
        make("12345678901234567890123", "DECIMAL(38,0)", "h.parquet"),
        make("12345678901234567890124", "DECIMAL(38,0)", "h2.parquet"),
        make("18446744073709551615", "UBIGINT", "u.parquet"),
        make("18446744073709551614", "UBIGINT", "u2.parquet"),
      );
      fails(dir, ["fit", "h.parquet", "-o", "m.json"], 1, [
        'h.parquet: row 4, column "x": 12345678901234567890123 (DECIMAL(38,0)) is beyond the int64 range',
        '--categorical "x"',
      ]);
      fails(dir, ["fit", "u.parquet", "-o", "m.json", "--continuous", "x"], 1, [
        'u.parquet: row 4, column "x": 18446744073709551615 (UBIGINT) cannot be held exactly by float64',
      ]);
      for (const [a, b] of [
        ["h.parquet", "h2.parquet"],
        ["u.parquet", "u2.parquet"],
      ]) {
        const r = run(dir, ["compare", a!, b!]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stdout, /1 value\(s\) differ/);
        ok(dir, ["compare", a!, a!]);
      }
      ok(dir, ["fit", "u.parquet", "-o", "m.json", "--categorical", "x"]);
    }));

  test("--integer on a DOUBLE column refuses a fraction instead of rounding it", () =>
    inTempDir(async (dir) => {
      await duck(
        `COPY (SELECT CASE WHEN i = 5 THEN 2.5 ELSE i END::DOUBLE AS x FROM range(20) t(i)) TO '${join(dir, "f.parquet")}'`,
      );
      fails(dir, ["fit", "f.parquet", "-o", "m.json", "--integer", "x"], 1, [
        'f.parquet: row 6, column "x": 2.5 (DOUBLE) is not an integer',
        '--continuous "x"',
      ]);
    }));
});
