/**
 * CSV reading and writing: type inference over all rows, exact numbers, RFC 4180 quoting,
 * encodings, options, round trips, and every error a user can meet.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { InvalidInputError } from "../../src/core/errors.js";
import type { Column, Table } from "../../src/core/table.js";
import { readCsvHeader, scanRecords } from "../../src/io/csv-read.js";
import { type ByteSource, fileSource, gzipSource } from "../../src/io/csv-source.js";
import type { IoError } from "../../src/io/errors.js";
import { resolveReadOptions } from "../../src/io/options.js";
import { readTable, writeTable } from "../../src/io/table-io.js";
import { assertTablesEqual, edgeTable, FIXTURES, tempDir } from "./helpers.js";

let dir = "";
let cleanup = () => {};
before(() => {
  ({ dir, cleanup } = tempDir());
});
after(() => cleanup());

let fileCount = 0;
/** Writes `text` (or bytes) to a new temp file with the given extension and returns its path. */
function file(content: string | Buffer, ext = ".csv"): string {
  const path = join(dir, `f${fileCount++}${ext}`);
  writeFileSync(path, content);
  return path;
}

function col(t: Table, name: string): Column {
  const c = t.columns.find((x) => x.name === name);
  assert.ok(c, `no column ${name}`);
  return c;
}

/** Asserts `fn` rejects with `cls` and a message starting with `path` and matching the patterns. */
async function rejects(
  fn: () => Promise<unknown>,
  cls: typeof InvalidInputError | typeof IoError,
  path: string,
  ...patterns: RegExp[]
): Promise<void> {
  await assert.rejects(fn, (err: Error) => {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err.name}: ${err.message}`);
    assert.ok(err.message.startsWith(path), `message should start with the path: ${err.message}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

describe("readTable CSV type inference", () => {
  test("readTable infers int64, float64, bool, timestamp and string over all rows", async () => {
    const rows = ["i,f,late,b,t,d,s"];
    for (let r = 0; r < 3000; r++)
      rows.push(`${r},${r}.5,${r},true,2024-01-02T03:04:05Z,2024-01-02,x${r}`);
    rows.push("-7,1e-3,1.5,FALSE,2024-01-02 03:04:05.25,1999-12-31,7");
    const t = await readTable(file(`${rows.join("\n")}\n`));
    assert.equal(t.rows, 3001);
    assert.deepEqual(
      t.columns.map((c) => (c.type === "timestamp" ? `${c.type}[${c.unit}]` : c.type)),
      ["int64", "float64", "float64", "bool", "timestamp[ms]", "timestamp[s]", "string"],
      "the last row decides late (1.5) and t (.25 → ms)",
    );
    assert.equal(col(t, "i").values[3000], -7n);
    assert.equal(col(t, "late").values[3000], 1.5);
    assert.equal(col(t, "b").values[3000], 0);
    assert.equal(col(t, "t").values[3000], 1704164645250n);
    assert.equal(col(t, "d").values[0], BigInt(Date.parse("2024-01-02T00:00:00Z") / 1000));
    assert.equal(col(t, "s").values[3000], "7");
  });

  test("readTable keeps -0, NaN and infinities as float64 values, not nulls", async () => {
    const t = await readTable(file("x\n-0\nNaN\ninf\n-Infinity\n1\n"));
    const x = col(t, "x");
    assert.equal(x.type, "float64");
    assert.ok(x.type === "float64" && x.nulls === null);
    assert.ok(Object.is(x.values[0], -0));
    assert.ok(Number.isNaN(x.values[1]));
    assert.equal(x.values[2], Number.POSITIVE_INFINITY);
    assert.equal(x.values[3], Number.NEGATIVE_INFINITY);
  });

  test("readTable parses int64 beyond 2^53 exactly, overflow as float64 when a double keeps the text, else as text", async () => {
    const t = await readTable(
      file(
        "a,b,c\n9007199254740993,9223372036854775808,1e23\n-9223372036854775808,1,100000000000000000000000\n12345678901234567,2,3\n",
      ),
    );
    const a = col(t, "a");
    assert.equal(a.type, "int64");
    assert.deepEqual(
      [...(a.values as BigInt64Array)],
      [9007199254740993n, -9223372036854775808n, 12345678901234567n],
    );
    // 2^63 is a double, but the double's shortest decimal (9223372036854776000) is not the text.
    assert.deepEqual(col(t, "b").values, ["9223372036854775808", "1", "2"]);
    const c = col(t, "c");
    assert.equal(c.type, "float64");
    assert.deepEqual([...(c.values as Float64Array)], [1e23, 1e23, 3]);
  });

  test("readTable reads default null tokens as null and all-null columns as float64", async () => {
    const t = await readTable(file("a,b,c,s\n1,,NA,x\nNA,,null,\n3,,NULL,NA\n"));
    const a = col(t, "a");
    assert.equal(a.type, "int64");
    assert.deepEqual(a.type === "int64" ? [...a.nulls!] : [], [0, 1, 0]);
    assert.equal(col(t, "b").type, "float64");
    assert.deepEqual([...(col(t, "b") as { nulls: Uint8Array }).nulls], [1, 1, 1]);
    assert.equal(col(t, "c").type, "float64");
    assert.deepEqual(col(t, "s").values, ["x", null, null]);
  });

  test("readTable honours nullValues and keeps quoted tokens as text in string columns", async () => {
    const path = file('a,s\n-999,"NA"\n5,""\n6,-\n');
    const t = await readTable(path, { nullValues: ["-999", "-", ""] });
    assert.equal(col(t, "a").type, "int64");
    assert.deepEqual([...(col(t, "a") as { nulls: Uint8Array }).nulls], [1, 0, 0]);
    assert.deepEqual(col(t, "s").values, ["NA", "", null]);
  });

  test("readTable reads a messy but valid file: CRLF, blank lines, quoted numbers, spaces", async () => {
    const t = await readTable(join(FIXTURES, "messy.csv"));
    assert.equal(t.rows, 3);
    assert.deepEqual(
      t.columns.map((c) => c.type),
      ["int64", "float64", "bool", "string"],
    );
    assert.deepEqual([...(col(t, "a").values as BigInt64Array)], [1n, 3n, -4n]);
    assert.deepEqual([...(col(t, "b").values as Float64Array)], [2, 1000, -0.5]);
    assert.deepEqual([...(col(t, "c").values as Uint8Array)], [1, 0, 1]);
    assert.deepEqual(col(t, "d").values, ["x", 'y" z', null]);
  });

  test("readTable reads a header-only file as a table of 0 rows", async () => {
    const t = await readTable(join(FIXTURES, "header-only.csv"));
    assert.equal(t.rows, 0);
    assert.deepEqual(
      t.columns.map((c) => `${c.name}:${c.type}:${c.values.length}`),
      ["a:float64:0", "b:float64:0"],
    );
  });

  test("readTable renames duplicate and empty header names", async () => {
    const t = await readTable(file("a,a,,a.1\n1,2,3,4\n"));
    assert.deepEqual(
      t.columns.map((c) => c.name),
      ["a", "a.2", "column3", "a.1"],
    );
  });

  test("readTable skips a UTF-8 byte-order mark and reads multi-line quoted fields", async () => {
    const t = await readTable(file(Buffer.from('\ufeffname,n\n"two\nlines",1\n"x,y",2\n', "utf8")));
    assert.deepEqual(
      t.columns.map((c) => c.name),
      ["name", "n"],
    );
    assert.deepEqual(col(t, "name").values, ["two\nlines", "x,y"]);
  });
});

describe("readTable CSV options", () => {
  test("readTable columns selects and orders columns", async () => {
    const t = await readTable(file("a,b,c\n1,x,2.5\n"), { columns: ["c", "a"] });
    assert.deepEqual(
      t.columns.map((c) => c.name),
      ["c", "a"],
    );
    assert.equal(col(t, "c").values[0], 2.5);
  });

  test("readTable encoding latin1 decodes every byte as one character", async () => {
    const t = await readTable(join(FIXTURES, "latin1.csv"), { encoding: "latin1" });
    assert.deepEqual(col(t, "name").values, ["José", "François, Jr."]);
    assert.deepEqual(col(t, "city").values, ["München", "Köln"]);
  });

  test("readTable escapeChar makes the next character literal", async () => {
    const path = file('t,n\nDr. Seltsam\\, oder,1\n"a\\"b",2\n"Show" Episode 3,3\n');
    const t = await readTable(path, { escapeChar: "\\" });
    assert.deepEqual(col(t, "t").values, ["Dr. Seltsam, oder", 'a"b', "Show Episode 3"]);
    assert.deepEqual([...(col(t, "n").values as BigInt64Array)], [1n, 2n, 3n]);
  });

  test("readTable types forces int32, float32, bool and string", async () => {
    const t = await readTable(file("a,b,c,d\n1,0.1,1,007\n-2,2,0,8\n"), {
      types: { a: "int32", b: "float32", c: "bool", d: "string" },
    });
    assert.deepEqual(
      t.columns.map((c) => c.type),
      ["int32", "float32", "bool", "string"],
    );
    assert.deepEqual([...(col(t, "a").values as Int32Array)], [1, -2]);
    assert.equal(col(t, "b").values[0], Math.fround(0.1));
    assert.deepEqual([...(col(t, "c").values as Uint8Array)], [1, 0]);
    assert.deepEqual(col(t, "d").values, ["007", "8"]);
  });

  test("readTable nonNumeric null reads stray text under a forced type as missing", async () => {
    const t = await readTable(file("a\n1.5\noops\n3\n"), {
      types: { a: "float64" },
      nonNumeric: "null",
    });
    const a = col(t, "a");
    assert.equal(a.type, "float64");
    assert.deepEqual([...(a as { nulls: Uint8Array }).nulls], [0, 1, 0]);
    assert.equal(a.values[2], 3);
  });

  test("readTable rejects bad option values", async () => {
    const path = file("a\n1\n");
    await rejects(
      () => readTable(path, { encoding: "utf16" as "utf8" }),
      InvalidInputError,
      path,
      /encoding/,
    );
    await rejects(
      () => readTable(path, { escapeChar: "," }),
      InvalidInputError,
      path,
      /escapeChar/,
    );
    await rejects(
      () => readTable(path, { columns: [] }),
      InvalidInputError,
      path,
      /columns is empty/,
    );
    await rejects(
      () => readTable(path, { types: { a: "decimal" as "int64" } }),
      InvalidInputError,
      path,
      /types/,
    );
  });
});

describe("readTable CSV errors", () => {
  test("readTable names the line and the field counts of a ragged row", async () => {
    const path = join(FIXTURES, "wrong-fields.csv");
    await rejects(
      () => readTable(path),
      InvalidInputError,
      path,
      /line 3/,
      /expected 2 fields/,
      /got 3/,
    );
  });

  test("readTable counts lines inside quoted fields for ragged-row messages", async () => {
    const path = file('a,b\n"x\ny",1\n2\n');
    await rejects(
      () => readTable(path),
      InvalidInputError,
      path,
      /line 4/,
      /expected 2 fields/,
      /got 1/,
    );
  });

  test("readTable rejects an empty file", async () => {
    const path = join(FIXTURES, "empty.csv");
    await rejects(() => readTable(path), InvalidInputError, path, /empty file/, /header/);
  });

  test("readTable rejects a quoted field that never closes", async () => {
    const path = file('a,b\n1,"open\n2,3\n');
    await rejects(() => readTable(path), InvalidInputError, path, /line 2/, /never closed/);
  });

  test("readTable rejects invalid UTF-8 and suggests latin1", async () => {
    const path = join(FIXTURES, "latin1.csv");
    await rejects(() => readTable(path), InvalidInputError, path, /UTF-8 \(line 2\)/, /latin1/);
    const ragged = file(Buffer.from("a,b\n1,2\nx\xe9,2,3\n", "latin1"));
    await rejects(() => readTable(ragged), InvalidInputError, ragged, /UTF-8 \(line 3\)/);
  });

  test("readTable lists the existing columns when asked for a missing one", async () => {
    const path = file("alpha,beta\n1,2\n");
    await rejects(
      () => readTable(path, { columns: ["gamma"] }),
      InvalidInputError,
      path,
      /"gamma"/,
      /"alpha", "beta"/,
    );
    await rejects(
      () => readTable(path, { types: { gamma: "int64" } }),
      InvalidInputError,
      path,
      /"gamma"/,
      /"alpha", "beta"/,
    );
  });

  test("readTable names file, column, line and value of text under a forced numeric type", async () => {
    const path = file("id,amount\n1,2.5\n2,n/a\n");
    await rejects(
      () => readTable(path, { types: { amount: "float64" } }),
      InvalidInputError,
      path,
      /line 3/,
      /column "amount"/,
      /"n\/a"/,
      /nonNumeric/,
    );
  });

  test("readTable rejects numbers that do not fit a forced integer type, whatever nonNumeric says", async () => {
    const path = file("a\n1\n3000000000\n");
    await rejects(
      () => readTable(path, { types: { a: "int32" }, nonNumeric: "null" }),
      InvalidInputError,
      path,
      /line 3/,
      /int32 range/,
    );
    const frac = file("a\n1.5\n");
    await rejects(
      () => readTable(frac, { types: { a: "int64" } }),
      InvalidInputError,
      frac,
      /line 2/,
      /int64/,
    );
  });
});

describe("CSV round trips", () => {
  test("CSV → Table → CSV reproduces a canonical file byte for byte", async () => {
    const src = join(FIXTURES, "canonical.csv");
    const t = await readTable(src);
    assert.deepEqual(
      t.columns.map((c) => (c.type === "timestamp" ? `${c.type}[${c.unit}]` : c.type)),
      ["int64", "float64", "int64", "bool", "timestamp[ns]", "string"],
    );
    assert.deepEqual(col(t, "label").values, [
      "plain",
      'with "quotes"',
      "comma, and\nnewline",
      null,
      "",
      "NA",
      "üñíçødé 😀",
      "  spaced  ",
    ]);
    const out = join(dir, "canonical-out.csv");
    await writeTable(out, t);
    assert.equal(readFileSync(out, "utf8"), readFileSync(src, "utf8"));
  });

  test("Table → CSV → Table keeps every type's edge values (forced types for int32/float32)", async () => {
    const table = edgeTable();
    for (const ext of [".csv", ".csv.gz"]) {
      const out = join(dir, `edge${ext}`);
      await writeTable(out, table);
      const back = await readTable(out, { types: { f32: "float32", i32: "int32" } });
      assertTablesEqual(back, table, ext);
    }
  });

  test("writeTable writes -0, NaN, infinities, exact int64 and empty fields for nulls", async () => {
    const out = join(dir, "values.csv");
    await writeTable(out, {
      rows: 4,
      columns: [
        {
          name: "x",
          type: "float64",
          values: Float64Array.from([-0, Number.NaN, Number.NEGATIVE_INFINITY, 1e21]),
          nulls: null,
        },
        {
          name: "n",
          type: "int64",
          values: BigInt64Array.from([2n ** 63n - 1n, 2n ** 53n + 1n, -1n, 0n]),
          nulls: Uint8Array.from([0, 0, 0, 1]),
        },
      ],
    });
    assert.equal(
      readFileSync(out, "utf8"),
      "x,n\n-0,9223372036854775807\nNaN,9007199254740993\n-Infinity,-1\n1e+21,\n",
    );
  });
});

describe("CSV tokenizing across buffer boundaries", () => {
  test("scanRecords gives the same fields wherever the bytes are split", async () => {
    const text = Buffer.from('h1,h2\n"a,\r\nb",1\r\nc,"d""e"\n\nlast,"x"\r', "utf8");
    const opts = resolveReadOptions("mem.csv", {});
    const fieldsOf = async (pieces: Buffer[]): Promise<string[]> => {
      const source: ByteSource = async function* () {
        yield* pieces;
      };
      const header = await readCsvHeader("mem.csv", source, opts);
      const out: string[] = [];
      for await (const { tape, buf } of scanRecords(
        "mem.csv",
        source,
        header,
        [0, 1],
        opts,
        true,
      )) {
        for (let i = 0; i < tape.count * 2; i++) {
          out.push(
            `${tape.lines[Math.floor(i / 2)]}:${buf.toString("utf8", tape.starts[i], tape.ends[i])}:${tape.flags[i]}`,
          );
        }
      }
      return out;
    };
    const whole = await fieldsOf([text]);
    assert.deepEqual(whole, ["2:a,\r\nb:1", "2:1:0", "4:c:0", '4:d""e:3', "6:last:0", "6:x:1"]);
    for (let k = 1; k < text.length; k++) {
      assert.deepEqual(
        await fieldsOf([text.subarray(0, k), text.subarray(k)]),
        whole,
        `split at ${k}`,
      );
    }
  });
});

describe("CSV byte sources", () => {
  test("fileSource and gzipSource stream large files the same as they read small ones", async () => {
    const text = Buffer.from("a,b\n1,2\n3,4\n".repeat(1000));
    const plain = file(text);
    const gz = file(gzipSync(text), ".csv.gz");
    const collect = async (source: ByteSource) => {
      const parts: Buffer[] = [];
      for await (const b of source()) parts.push(b);
      return Buffer.concat(parts);
    };
    const huge = Number.MAX_SAFE_INTEGER; // a size past the in-memory limits forces streaming
    for (const source of [
      fileSource(plain, text.length),
      fileSource(plain, huge),
      gzipSource(gz, 10),
      gzipSource(gz, huge),
    ]) {
      assert.ok((await collect(source)).equals(text));
      assert.ok((await collect(source)).equals(text), "a second pass gives the same bytes");
    }
  });
});

test("readTable leaves no temporary files behind", () => {
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith(".tmp")),
    [],
  );
});
