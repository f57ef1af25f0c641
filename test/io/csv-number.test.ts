/**
 * Number parsing from bytes: every accepted text gives exactly the double `Number()` gives
 * (correct rounding), integers are classified against the int64 range, and anything `Number()`
 * would read differently from the CSV grammar is rejected.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Random } from "../../src/core/rng.js";
import {
  exactInFloat64,
  NUM_FLOAT,
  NUM_INEXACT,
  NUM_INT,
  NUM_NONE,
  scanBool,
  scanNumber,
  scanned,
} from "../../src/io/csv-number.js";
import { randomDouble } from "../helpers/data.js";

function scan(text: string): { kind: number; value: number } {
  const buf = Buffer.from(text, "latin1");
  const kind = scanNumber(buf, 0, buf.length, true);
  return { kind, value: scanned.value };
}

describe("scanNumber", () => {
  test("scanNumber matches Number() on edge cases", () => {
    const cases = [
      "0",
      "-0",
      "+0",
      "0.0",
      "-0.0",
      "-0e10",
      "1",
      "-1",
      "+1",
      "007",
      "1.",
      ".5",
      "-.5",
      "1e5",
      "1E+05",
      "1e-5",
      "0.1",
      "0.2",
      "0.30000000000000004",
      "1.7976931348623157e308",
      "-1.7976931348623157e308",
      "1.7976931348623159e308",
      "5e-324",
      "4.9406564584124654e-324",
      "2.4703282292062327e-324",
      "2.4703282292062328e-324",
      "2.2250738585072011e-308",
      "2.2250738585072014e-308",
      "9007199254740993",
      "9007199254740992.5",
      "1e23",
      "8.98846567431158e307",
      "123456789012345678901234567890",
      "0.000000000000000000000000000001",
      "1e400",
      "-1e400",
      "1e-400",
      "14.61",
      "11789.84",
      "3.14159265358979323846264338327950288",
      "100000000000000000000000",
      "1e22",
      "1e-22",
      "123456789012345e-22",
      "999999999999999e22",
      "1.0000000000000002",
      "4.35",
      "0.1e1",
      "1000000000000000128",
    ];
    for (const text of cases) {
      const { kind, value } = scan(text);
      assert.notEqual(kind, NUM_NONE, text);
      assert.ok(Object.is(value, Number(text)), `${text}: ${value} !== ${Number(text)}`);
    }
  });

  test("scanNumber reads NaN and infinities in any case", () => {
    for (const t of ["NaN", "nan", "-nan", "+NaN"]) assert.ok(Number.isNaN(scan(t).value), t);
    for (const t of ["inf", "Inf", "+inf", "Infinity", "INFINITY", "+Infinity"]) {
      assert.equal(scan(t).value, Number.POSITIVE_INFINITY, t);
    }
    for (const t of ["-inf", "-Infinity"]) assert.equal(scan(t).value, Number.NEGATIVE_INFINITY, t);
  });

  test("scanNumber rejects text that is not a number", () => {
    for (const t of [
      "",
      "+",
      "-",
      ".",
      "e5",
      "1e",
      "1e+",
      "1.2.3",
      "0x10",
      "1_000",
      "1,5",
      "12a",
      "abc",
      "infinite",
      "nana",
      "in",
      "--1",
      "1 2",
      "١",
    ]) {
      const buf = Buffer.from(t, "utf8");
      if (buf.length === 0) continue;
      assert.equal(scanNumber(buf, 0, buf.length, true), NUM_NONE, t);
    }
  });

  test("scanNumber classifies integers against the int64 range", () => {
    assert.equal(scan("9223372036854775807").kind, NUM_INT);
    assert.equal(scan("-9223372036854775808").kind, NUM_INT);
    assert.equal(scan("0009223372036854775807").kind, NUM_INT);
    // Beyond int64: a float when a double keeps the text, else inexact.
    assert.equal(scan("9223372036854775808").kind, NUM_INEXACT);
    assert.equal(scan("-9223372036854775809").kind, NUM_INEXACT);
    assert.equal(scan("12345678901234567890").kind, NUM_INEXACT);
    assert.equal(scan("12345678901234567000").kind, NUM_FLOAT);
    assert.equal(scan("-0").kind, NUM_FLOAT, "-0 must stay a float to keep its sign");
    assert.equal(scan("1.0").kind, NUM_FLOAT);
    assert.equal(scan("1e3").kind, NUM_FLOAT);
    assert.equal(scan("42").kind, NUM_INT);
  });

  test("scanNumber matches Number() on 20,000 random decimals", () => {
    const rng = new Random(7);
    const digit = () => String(Math.floor(rng.random() * 10));
    for (let n = 0; n < 20000; n++) {
      const nd = 1 + Math.floor(rng.random() * 25);
      let digits = "";
      for (let i = 0; i < nd; i++) digits += digit();
      const point = Math.floor(rng.random() * (nd + 1));
      let text = `${rng.random() < 0.5 ? "-" : ""}${digits.slice(0, point)}.${digits.slice(point)}`;
      if (rng.random() < 0.5) text += `e${Math.floor(rng.random() * 700) - 350}`;
      const { kind, value } = scan(text);
      const exact = Number.isFinite(value) && sameDecimal(text, String(value));
      assert.equal(kind, exact ? NUM_FLOAT : NUM_INEXACT, text);
      assert.ok(Object.is(value, Number(text)), `${text}: ${value} !== ${Number(text)}`);
    }
  });

  test("scanNumber keeps the shortest texts of 20,000 random doubles, and not their neighbours with a digit more", () => {
    const rng = new Random(11);
    for (let n = 0; n < 20000; n++) {
      const x = randomDouble(rng);
      if (!Number.isFinite(x) || x === 0) continue;
      const text = String(x);
      const { kind, value } = scan(text);
      assert.ok(kind === NUM_FLOAT || kind === NUM_INT, text);
      assert.ok(Object.is(value, x), text);
      // One more significant digit: kept only when it reads back as a double whose shortest
      // text has that value (the reference comparison).
      const m = /^(-?[0-9.]+)(e[-+]?[0-9]+)?$/.exec(text)!;
      const more = `${m[1]!.includes(".") ? m[1] : `${m[1]}.`}${1 + (n % 9)}${m[2] ?? ""}`;
      const got = scan(more);
      const exact = sameDecimal(more, String(Number(more)));
      assert.equal(got.kind === NUM_INEXACT, !exact, more);
    }
  });

  test("scanNumber reads 16- and 17-digit decimals as Number() does, shortest or not, on 40,000 doubles", () => {
    const rng = new Random(13);
    for (let n = 0; n < 20000; n++) {
      // Magnitudes 1e-7 … 1e16, where the candidate path applies.
      const x = (rng.random() < 0.5 ? -1 : 1) * 10 ** (rng.random() * 23 - 7) * (1 + rng.random());
      for (const text of [String(x), x.toPrecision(17), x.toPrecision(16)]) {
        if (/e/.test(text)) continue;
        const { kind, value } = scan(text);
        assert.ok(Object.is(value, Number(text)), `${text}: ${value} !== ${Number(text)}`);
        const exact = sameDecimal(text, String(Number(text)));
        assert.equal(kind === NUM_INEXACT, !exact, text);
      }
    }
  });

  test("scanNumber tells numbers a double keeps (its shortest decimal) from those it does not", () => {
    const exact = [
      "0.1",
      "1.10",
      "1e2",
      "0.30000000000000004",
      "5e-324",
      "1.7976931348623157e308",
      "100000000000000000000000",
      "1e23",
      "123456789012345.6",
      "0.000000000000000000000000000001",
      "-2.5e-300",
      "9007199254740992.0",
    ];
    const inexact = [
      "99999999999999999999999",
      "-99999999999999999999999",
      "9223372036854775808",
      "0.123456789012345678901",
      "0.10000000000000001",
      "1.000000000000000056e-01",
      "9007199254740993.0",
      "1e400",
      "-1e400",
      "1e-400",
      "2.4703282292062328e-324",
    ];
    for (const t of exact) assert.equal(scan(t).kind, NUM_FLOAT, t);
    for (const t of inexact) assert.equal(scan(t).kind, NUM_INEXACT, t);
    // Integers within int64 stay NUM_INT; `exact` says whether a double holds them too.
    const big = scan("12345678901234567");
    assert.equal(big.kind, NUM_INT);
    assert.equal(scanned.exact, false);
    assert.equal(scan("9007199254740992").kind, NUM_INT);
    assert.equal(scanned.exact, true);
    // Without the value asked for, numbers are only classified.
    const buf = Buffer.from("99999999999999999999999");
    assert.equal(scanNumber(buf, 0, buf.length, false), NUM_FLOAT);
  });

  test("exactInFloat64 agrees with an exact rational comparison on 20,000 %.17g texts", () => {
    const rng = new Random(11);
    let kept = 0;
    for (let n = 0; n < 20000; n++) {
      const x = (rng.random() - 0.5) * 10 ** Math.floor(rng.random() * 40 - 20);
      const text = x.toPrecision(17);
      const expected = sameDecimal(text, String(x));
      assert.equal(exactInFloat64(text, Number(text)), expected, text);
      if (expected) kept++;
    }
    // Both kinds occur: the check is not vacuous.
    assert.ok(kept > 1000 && kept < 19000, `kept ${kept}`);
  });
});

/** Whether two decimal texts have the same value, by exact rational arithmetic (BigInt). */
function sameDecimal(a: string, b: string): boolean {
  const parse = (t: string): { m: bigint; e: number } => {
    const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
    assert.ok(match, t);
    const frac = match[3] ?? "";
    const m = BigInt(`${match[1]}${match[2]}${frac}` || "0");
    return { m, e: Number(match[4] ?? 0) - frac.length };
  };
  const x = parse(a);
  const y = parse(b);
  const e = Math.min(x.e, y.e);
  return x.m * 10n ** BigInt(x.e - e) === y.m * 10n ** BigInt(y.e - e);
}

describe("scanBool", () => {
  test("scanBool reads true/false in any case only", () => {
    const b = (t: string) => scanBool(Buffer.from(t), 0, t.length);
    assert.equal(b("true"), 1);
    assert.equal(b("TRUE"), 1);
    assert.equal(b("False"), 0);
    assert.equal(b("yes"), -1);
    assert.equal(b("1"), -1);
    assert.equal(b("truee"), -1);
  });
});
