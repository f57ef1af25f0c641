/**
 * Hostile values: every type at its edges (±0, subnormals, ±max double, NaN/Infinity texts, int64
 * min/max, 2^53±1, timestamps from year 1 to 9999 and in µs/ns, empty strings and missing values,
 * whitespace and very long categories, NUL bytes) and CSV shapes (BOM, CRLF, duplicate or encoded-
 * looking column names, no final newline). Each case fits, encodes and decodes through the CLI and
 * checks the decoded file's bytes and that the input is untouched; values that cannot be kept must
 * be refused with their column and value, never changed silently and then certified.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { inTempDir, ok, put } from "./helpers.js";
import { refuses, sha256 } from "./hostile-helpers.js";

const BAD_INPUT = 1;

/**
 * Fits `csv` (with `fitArgs`), encodes it to Parquet, decodes it to CSV; asserts the input is
 * untouched and returns the decoded text.
 */
function roundTrip(dir: string, csv: string | Uint8Array, fitArgs: string[] = []): string {
  put(dir, "in.csv", csv);
  const input = sha256(join(dir, "in.csv"));
  ok(dir, ["fit", "in.csv", "-o", "m.json", ...fitArgs]);
  ok(dir, ["transform", "in.csv", "-m", "m.json", "-o", "enc.parquet"]);
  ok(dir, ["inverse", "enc.parquet", "-m", "m.json", "-o", "back.csv"]);
  assert.equal(sha256(join(dir, "in.csv")), input, "the input is untouched");
  return readFileSync(join(dir, "back.csv"), "utf8");
}

interface Exact {
  id: string;
  title: string;
  csv: string;
  fit?: string[];
  /** The decoded text when it is not the input's own bytes. */
  back?: string;
  todo?: string;
}

const rows = (header: string, values: string[]) => `${[header, ...values].join("\n")}\n`;

/** Each comes back byte for byte (or as `back`: the same values in modenorm's spelling). */
const exact: Exact[] = [
  { id: "V01", title: "0 and -0 stay distinct", csv: rows("x", ["0", "-0", "0", "-0", "1"]) },
  {
    id: "V02",
    title: "subnormals and the smallest normal double",
    csv: rows("x", ["5e-324", "2.2250738585072014e-308", "-5e-324", "1", "2"]),
  },
  {
    id: "V03",
    title: "±1.7976931348623157e308 in a continuous column",
    csv: rows("x", ["1.7976931348623157e308", "-1.7976931348623157e308", "1", "2", "3"]),
    back: rows("x", ["1.7976931348623157e+308", "-1.7976931348623157e+308", "1", "2", "3"]),
  },
  {
    id: "V04",
    title: "the largest double in a --log column",
    csv: rows("x", ["1.7976931348623157e308", "5e-324", "1", "2", "3"]),
    back: rows("x", ["1.7976931348623157e+308", "5e-324", "1", "2", "3"]),
    fit: ["--log", "x"],
  },
  {
    id: "V05",
    title: "NaN, Infinity and -Infinity texts",
    csv: rows("x", ["NaN", "Infinity", "-Infinity", "1", "2", "3"]),
  },
  {
    id: "V06",
    title: "nan, inf and -inf are read as NaN and ±Infinity",
    csv: rows("x", ["nan", "inf", "-inf", "1", "2", "3"]),
    back: rows("x", ["NaN", "Infinity", "-Infinity", "1", "2", "3"]),
  },
  {
    id: "V07",
    title: "int64 minimum and maximum",
    csv: rows("x", ["9223372036854775807", "-9223372036854775808", "0", "1"]),
  },
  {
    id: "V08",
    title: "2^53−1, 2^53, 2^53+1 in an integer column",
    csv: rows("x", ["9007199254740991", "9007199254740992", "9007199254740993", "1"]),
  },
  {
    id: "V09",
    title: "2^53+1 in an --integer column",
    csv: rows("x", ["9007199254740993", "-9007199254740993", "7", "1"]),
    fit: ["--integer", "x"],
  },
  {
    id: "V10",
    title: "timestamps at the epoch, before it, and at 9999-12-31T23:59:59.999",
    csv: rows("t", [
      "1970-01-01T00:00:00.000Z",
      "1900-01-01T00:00:00.000Z",
      "9999-12-31T23:59:59.999Z",
      "2021-03-14T01:59:26.535Z",
    ]),
  },
  {
    id: "V11",
    title: "a timestamp in year 1",
    csv: rows("t", [
      "0001-01-01T00:00:00.000Z",
      "2021-03-14T01:59:26.535Z",
      "2000-01-01T00:00:00.000Z",
    ]),
  },
  {
    id: "V12",
    title: "timestamps one microsecond apart",
    csv: rows("t", [
      "2021-03-14T01:59:26.123456Z",
      "2021-03-14T01:59:26.123457Z",
      "2021-03-14T01:59:27.000001Z",
    ]),
  },
  {
    id: "V13",
    title: "timestamps one nanosecond apart",
    csv: rows("t", [
      "2021-03-14T01:59:26.123456789Z",
      "2021-03-14T01:59:26.123456788Z",
      "2021-03-14T01:59:27.000000000Z",
    ]),
  },
  {
    id: "V14",
    title: 'the empty string ("") and a missing value stay distinct',
    csv: rows("x,y", ['1.5,""', "2.5,", "3,a", '4,""']),
  },
  {
    id: "V15",
    title: "categories of only whitespace (one and two spaces) stay distinct",
    csv: rows("x,y", ["1.5, ", "2.5,  ", "3,a", "4, "]),
  },
  {
    id: "V16",
    title: "a 200,000-character category",
    csv: rows("x,y", ["1,d", `2,${"c".repeat(200_000)}`, "3,d", `4,${"c".repeat(200_000)}`]),
  },
  {
    id: "V17",
    title: "a NUL byte inside a category",
    csv: rows("x,y", ["1.5,a", "2.5,b\u0000c", "3,a", "4,b\u0000c"]),
  },
  {
    id: "V18",
    title: "column names that look like encoded columns (x, x.alpha, x.mode)",
    csv: rows("x,x.alpha,x.mode", ["1.5,2,a", "2.5,3,b", "3,4,a", "4,5,b"]),
  },
  {
    id: "V19",
    title: "CRLF line ends: the same values, written with LF",
    csv: "x,y\r\n1.5,a\r\n2.5,b\r\n3,a\r\n",
    back: rows("x,y", ["1.5,a", "2.5,b", "3,a"]),
  },
  {
    id: "V20",
    title: "a byte-order mark is not part of the first column's name",
    csv: "\ufeffx,y\n1.5,a\n2.5,b\n3,a\n",
    back: rows("x,y", ["1.5,a", "2.5,b", "3,a"]),
  },
  {
    id: "V21",
    title: "no newline after the last row",
    csv: "x\n1\n2\n3",
    back: rows("x", ["1", "2", "3"]),
  },
  {
    id: "V22",
    title: "duplicate column names are read as x and x.1 (and so written back)",
    csv: rows("x,x", ["1.5,2", "2.5,3", "3,4"]),
    back: rows("x,x.1", ["1.5,2", "2.5,3", "3,4"]),
  },
  {
    id: "V23",
    title: "ZIP codes with leading zeros keep them",
    csv: rows("zip,v", ["00501,1", "02134,2", "90210,3", "00501,4"]),
  },
  {
    id: "V24",
    title: "an integer beyond int64 (2^63) is kept exactly or refused",
    csv: rows("x", ["9223372036854775808", "0", "1"]),
  },
];

describe("hostile values: every edge value comes back", () => {
  for (const c of exact) {
    test(`${c.id} ${c.title}`, c.todo === undefined ? {} : { todo: c.todo }, async () => {
      await inTempDir((dir) => {
        const back = roundTrip(dir, c.csv, c.fit);
        assert.equal(back, c.back ?? c.csv, "decoded text");
        if (c.back !== undefined) ok(dir, ["compare", "in.csv", "back.csv"]);
      });
    });
  }
});

describe("hostile values: what cannot be kept is refused, never certified", () => {
  test("V25 1e309 (beyond the largest double) is never read as Infinity: kept as text, refused as a number", async () => {
    await inTempDir((dir) => {
      const csv = rows("x", ["1e309", "1", "2", "3"]);
      assert.equal(roundTrip(dir, csv), csv, "inferred: the column is text, exactly");
      refuses(dir, ["fit", "in.csv", "--continuous", "x", "-o", "m2.json"], BAD_INPUT, [
        '"x"',
        "1e309",
        "--categorical",
      ]);
    });
  });

  test("V26 2^53+1 forced --continuous: refused at fit, naming line, column and value", async () => {
    await inTempDir((dir) => {
      put(dir, "in.csv", rows("x", ["9007199254740993", "9007199254740991", "3", "1"]));
      refuses(dir, ["fit", "in.csv", "--continuous", "x", "-o", "m.json"], BAD_INPUT, [
        "line 2",
        '"x"',
        "9007199254740993",
        "--categorical",
      ]);
    });
  });

  test("V27 2^53+1 met by a float64 model at transform: refused, not rounded", async () => {
    await inTempDir((dir) => {
      put(dir, "fit.csv", rows("x", ["1.5", "3", "1", "2.25"]));
      ok(dir, ["fit", "fit.csv", "-o", "m.json"]);
      put(dir, "in.csv", rows("x", ["3", "9007199254740993", "1"]));
      refuses(dir, ["transform", "in.csv", "-m", "m.json", "-o", "enc.parquet"], BAD_INPUT, [
        "line 3",
        "9007199254740993",
      ]);
    });
  });

  test("V28 dense column names that collide (x=a=b twice) are refused before any output", async () => {
    await inTempDir((dir) => {
      put(dir, "in.csv", rows("x,x=a", ["a=b,b", "c,d", "a=b,d", "c,b"]));
      ok(dir, ["fit", "in.csv", "-o", "m.json"]);
      for (const out of ["d.csv", "d.parquet", "d"]) {
        refuses(
          dir,
          ["transform", "in.csv", "-m", "m.json", "-o", out, "--layout", "dense"],
          BAD_INPUT,
          ['"x=a=b"', "--layout compact"],
        );
      }
    });
  });

  test("V29 an empty (0-byte) input to transform, evaluate and compare", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", rows("x", ["1.5", "2.5", "3"]));
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      put(dir, "empty.csv", "");
      for (const args of [
        ["transform", "empty.csv", "-m", "m.json", "-o", "o.csv"],
        ["evaluate", "empty.csv", "-m", "m.json"],
        ["compare", "empty.csv", "a.csv"],
      ]) {
        refuses(dir, args, BAD_INPUT, ["empty.csv", "empty file"]);
      }
    });
  });

  test("V30 a header-only CSV: fit says it has no rows; a file output is refused", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", rows("x", ["1.5", "2.5", "3"]));
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      put(dir, "h.csv", "x\n");
      refuses(dir, ["fit", "h.csv", "-o", "m2.json"], BAD_INPUT, ["h.csv", "no rows"]);
      refuses(dir, ["transform", "h.csv", "-m", "m.json", "-o", "o.csv"], BAD_INPUT, [
        "o.csv",
        "no rows",
      ]);
    });
  });

  test("V31 a NUL byte in a --continuous column names the line", async () => {
    await inTempDir((dir) => {
      put(dir, "in.csv", "x\n1\n2\u00003\n4\n");
      refuses(dir, ["fit", "in.csv", "--continuous", "x", "-o", "m.json"], BAD_INPUT, [
        "in.csv",
        "line 3",
        '"x"',
        "--non-numeric null",
      ]);
    });
  });

  test("V32 a row with a stray quote names the file and line", async () => {
    await inTempDir((dir) => {
      put(dir, "in.csv", 'x,y\n1,a\n2,"b\n3,c\n');
      refuses(dir, ["fit", "in.csv", "-o", "m.json"], BAD_INPUT, ["in.csv", "line"]);
    });
  });

  test("V33 a value too large for --integer's int64 names line and value", async () => {
    await inTempDir((dir) => {
      put(dir, "in.csv", rows("x", ["1", "2", "1e20"]));
      refuses(dir, ["fit", "in.csv", "--integer", "x", "-o", "m.json"], BAD_INPUT, [
        "in.csv",
        '"x"',
        "1e20",
      ]);
    });
  });
});
