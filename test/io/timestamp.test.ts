/** ISO-8601 parsing from bytes and formatting: offsets, precision, calendar validity. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TimeUnit } from "../../src/core/table.js";
import {
  daysFromCivil,
  formatTimestamp,
  parsedTime,
  parsedTimeIn,
  parseIsoTimestamp,
} from "../../src/io/timestamp.js";

function parse(text: string): { seconds: number; nanos: number; digits: number } | null {
  const buf = Buffer.from(text);
  return parseIsoTimestamp(buf, 0, buf.length) ? { ...parsedTime } : null;
}

describe("parseIsoTimestamp", () => {
  test("parseIsoTimestamp agrees with Date.parse on millisecond forms", () => {
    for (const t of [
      "2024-01-02T03:04:05.123Z",
      "2024-01-02T03:04:05Z",
      "1970-01-01T00:00:00Z",
      "1969-12-31T23:59:59.999Z",
      "2000-02-29T12:00:00+05:30",
      "2000-02-29T12:00:00-0800",
      "1900-03-01T00:00:00.5Z",
    ]) {
      const p = parse(t);
      assert.ok(p !== null, t);
      assert.equal(p.seconds * 1000 + p.nanos / 1e6, Date.parse(t), t);
    }
  });

  test("parseIsoTimestamp reads a missing offset as UTC and a date alone as midnight", () => {
    assert.equal(parse("2024-01-02 03:04:05")!.seconds, Date.parse("2024-01-02T03:04:05Z") / 1000);
    assert.equal(parse("2024-01-02")!.seconds, Date.parse("2024-01-02T00:00:00Z") / 1000);
    assert.equal(parse("2024-01-02T03:04")!.seconds, Date.parse("2024-01-02T03:04:00Z") / 1000);
    assert.equal(
      parse("2024-01-02T03:04:05+01")!.seconds,
      Date.parse("2024-01-02T02:04:05Z") / 1000,
    );
  });

  test("parseIsoTimestamp keeps nanoseconds and counts fraction digits", () => {
    const p = parse("2024-01-02T03:04:05.123456789Z")!;
    assert.equal(p.nanos, 123456789);
    assert.equal(p.digits, 9);
    assert.equal(parsedTimeIn("ns"), 1704164645123456789n);
    assert.equal(parse("2024-01-02T03:04:05.1Z")!.digits, 1);
  });

  test("parseIsoTimestamp rejects impossible or malformed date-times", () => {
    for (const t of [
      "2023-02-29",
      "2024-13-01",
      "2024-00-10",
      "2024-04-31",
      "2024-01-02T24:00:00",
      "2024-01-02T23:60:00",
      "2024-01-02T23:59:60",
      "2024-1-2",
      "24-01-02",
      "2024-01-02T",
      "2024-01-02T03:04:05.",
      "2024-01-02T03:04:05.1234567890Z",
      "2024-01-02X03:04:05",
      "2024-01-02T03:04:05+2",
      "2024-01-02T03:04:05+25:00",
      "2024-01-02Z",
      "20240102",
      "hello",
    ]) {
      assert.equal(parse(t), null, t);
    }
  });

  test("daysFromCivil counts days from 1970-01-01", () => {
    assert.equal(daysFromCivil(1970, 1, 1), 0);
    assert.equal(daysFromCivil(2000, 3, 1), 11017);
    assert.equal(daysFromCivil(1969, 12, 31), -1);
  });
});

describe("formatTimestamp", () => {
  test("formatTimestamp writes every unit's digits and reads back exactly", () => {
    const cases: [bigint, TimeUnit, string][] = [
      [1704164645123456789n, "ns", "2024-01-02T03:04:05.123456789Z"],
      [-1n, "ns", "1969-12-31T23:59:59.999999999Z"],
      [1704164645123n, "ms", "2024-01-02T03:04:05.123Z"],
      [0n, "us", "1970-01-01T00:00:00.000000Z"],
      [1704164645n, "s", "2024-01-02T03:04:05Z"],
      [-62135596800n, "s", "0001-01-01T00:00:00Z"],
      [253402300800n, "s", "+010000-01-01T00:00:00Z"],
      [-62167219201n, "s", "-000001-12-31T23:59:59Z"],
    ];
    for (const [value, unit, text] of cases) {
      assert.equal(formatTimestamp(value, unit), text);
      const buf = Buffer.from(text);
      assert.ok(parseIsoTimestamp(buf, 0, buf.length), text);
      assert.equal(parsedTimeIn(unit), value, text);
    }
  });
});
