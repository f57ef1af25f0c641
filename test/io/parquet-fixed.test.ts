/**
 * The fixed-width Parquet writer: files it writes are read back by DuckDB (the engine behind
 * `readTable`, and what users query them with) as the same rows bit for bit, across row groups,
 * null patterns, dictionary and plain int32 chunks; the metadata says what was written.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import fc from "fast-check";
import { type Column, copyRows, type Table } from "../../src/core/table.js";
import { isFixedWidthTable, writeFixedParquet } from "../../src/io/parquet-fixed.js";
import { openFixedParquet } from "../../src/io/parquet-fixed-read.js";
import { readTable, writeTable } from "../../src/io/table-io.js";
import { assertTablesEqual, edgeTable, sql, tempDir } from "./helpers.js";

let dir = "";
let cleanup = () => {};
before(() => {
  ({ dir, cleanup } = tempDir());
});
after(() => cleanup());

/** The fixed-width columns of the edge table (every edge value, a null in each column). */
function fixedEdgeTable(): Table {
  const t = edgeTable();
  return {
    rows: t.rows,
    columns: t.columns.filter((c) => isFixedWidthTable({ rows: t.rows, columns: [c] })),
  };
}

/** A column of `type` from cells (null: a null row). */
function fixedColumn(name: string, type: string, cells: unknown[]): Column {
  const nulls = Uint8Array.from(cells, (v) => (v === null ? 1 : 0));
  if (type === "float64")
    return { name, type, values: Float64Array.from(cells, (v) => (v ?? 0) as number), nulls };
  if (type === "float32")
    return { name, type, values: Float32Array.from(cells, (v) => (v ?? 0) as number), nulls };
  if (type === "int64")
    return { name, type, values: BigInt64Array.from(cells, (v) => (v ?? 0n) as bigint), nulls };
  if (type === "int32")
    return { name, type, values: Int32Array.from(cells, (v) => (v ?? 0) as number), nulls };
  return { name, type: "bool", values: Uint8Array.from(cells, (v) => (v === true ? 1 : 0)), nulls };
}

/**
 * Asserts DuckDB (independently of `readTable`, which reads these files itself) sees the rows of
 * `t` in the file: every value, bit for bit where it is a float, and every null.
 */
async function assertDuckDbReads(path: string, t: Table): Promise<void> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const rows = (await con.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRows();
    assert.equal(rows.length, t.rows, `${path}: rows`);
    for (const [j, c] of t.columns.entries()) {
      if (c.type === "string" || c.type === "timestamp") continue;
      for (let i = 0; i < t.rows; i++) {
        const got = rows[i]![j];
        const want: unknown =
          c.nulls !== null && c.nulls[i] === 1
            ? null
            : c.type === "bool"
              ? c.values[i] === 1
              : c.values[i];
        if (!Object.is(got, want))
          assert.fail(`${c.name}[${i}]: DuckDB reads ${got}, wrote ${want}`);
      }
    }
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

let fileNo = 0;
const nextPath = () => join(dir, `f${fileNo++}.parquet`);

describe("fixed-width Parquet writer and reader", () => {
  test("edge values and nulls of float64, float32, int64, int32 and bool come back bit for bit", async () => {
    const t = fixedEdgeTable();
    assert.deepEqual(
      t.columns.map((c) => c.type),
      ["float64", "float32", "int64", "int32", "bool"],
    );
    for (const groupRows of [1, 3, 8, 1000]) {
      const path = nextPath();
      await writeFixedParquet(path, [t], { rowGroupRows: groupRows });
      assertTablesEqual(await readTable(path), t, `row groups of ${groupRows}`);
      await assertDuckDbReads(path, t);
    }
  });

  test("the metadata: row groups, uncompressed, dictionary for a narrow int32 range, plain for a wide one", async () => {
    const n = 10_000;
    const narrow = new Int32Array(n);
    const wide = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      narrow[i] = ((i * 7) % 13) - 2;
      wide[i] = i * 100_003;
    }
    const t: Table = {
      rows: n,
      columns: [
        { name: "narrow", type: "int32", values: narrow, nulls: null },
        { name: "wide", type: "int32", values: wide, nulls: null },
      ],
    };
    const path = nextPath();
    await writeFixedParquet(path, [t], { rowGroupRows: 4096 });
    assertTablesEqual(await readTable(path), t);
    const meta = await sql(
      `SELECT row_group_id, path_in_schema AS col, compression, encodings, num_values FROM parquet_metadata('${path}') ORDER BY 1, 2`,
    );
    assert.equal(meta.length, 6, "3 row groups × 2 columns");
    for (const m of meta) {
      assert.equal(m.compression, "UNCOMPRESSED");
      if (m.col === "narrow") assert.match(String(m.encodings), /RLE_DICTIONARY/);
      else assert.doesNotMatch(String(m.encodings), /DICTIONARY/);
    }
    assert.deepEqual(
      meta.filter((m) => m.col === "wide").map((m) => Number(m.num_values)),
      [4096, 4096, 1808],
    );
    // DuckDB's own aggregate over the file agrees with ours.
    const sums = await sql(`SELECT sum(narrow)::BIGINT AS s FROM '${path}'`);
    assert.equal(
      Number(sums[0]!.s),
      narrow.reduce((s, v) => s + v, 0),
    );
  });

  test("a table of 0 rows is a valid file with its columns", async () => {
    const t: Table = {
      rows: 0,
      columns: [
        { name: "x", type: "float64", values: new Float64Array(0), nulls: null },
        { name: "m", type: "int32", values: new Int32Array(0), nulls: null },
      ],
    };
    const path = nextPath();
    await writeFixedParquet(path, [t]);
    assertTablesEqual(await readTable(path), t);
  });

  test("writeTable takes this writer by default and DuckDB with compression zstd: same rows", async () => {
    const t = fixedEdgeTable();
    const plain = nextPath();
    const zstd = nextPath();
    await writeTable(plain, t);
    await writeTable(zstd, t, { compression: "zstd" });
    const codecs = async (p: string) =>
      (await sql(`SELECT DISTINCT compression FROM parquet_metadata('${p}')`)).map(
        (r) => r.compression,
      );
    assert.deepEqual(await codecs(plain), ["UNCOMPRESSED"]);
    assert.deepEqual(await codecs(zstd), ["ZSTD"]);
    assertTablesEqual(await readTable(plain), await readTable(zstd));
  });

  test("the reader takes a subset of columns in any order; a forced type goes through DuckDB", async () => {
    const t = fixedEdgeTable();
    const path = nextPath();
    await writeFixedParquet(path, [t], { rowGroupRows: 3 });
    const some = await readTable(path, { columns: ["i32", "f64"] });
    assert.deepEqual(
      some.columns.map((c) => c.name),
      ["i32", "f64"],
    );
    assertTablesEqual(some, { rows: t.rows, columns: [t.columns[3]!, t.columns[0]!] });
    const forced = await readTable(path, { columns: ["i32"], types: { i32: "float64" } });
    assert.equal(forced.columns[0]!.type, "float64");
    assert.equal((forced.columns[0]!.values as Float64Array)[1], -2147483648);
  });

  test("a damaged page of a file of this layout is named: file, row group and column", async () => {
    const n = 1000;
    const x = new Float64Array(n).map((_, i) => i * 0.5);
    const m = new Int32Array(n).map((_, i) => i % 7);
    const t: Table = {
      rows: n,
      columns: [
        { name: "x", type: "float64", values: x, nulls: null },
        { name: "m", type: "int32", values: m, nulls: null },
      ],
    };
    const path = nextPath();
    await writeFixedParquet(path, [t], { rowGroupRows: 400 });
    const bytes = readFileSync(path);
    // The second row group's dictionary page header: overwrite its page type field's value.
    const meta = await sql(
      `SELECT dictionary_page_offset AS o FROM parquet_metadata('${path}') WHERE row_group_id = 1 AND path_in_schema = 'm'`,
    );
    const at = Number(meta[0]!.o);
    bytes[at + 1] = 0x7f; // page type: not a dictionary or data page
    writeFileSync(path, bytes);
    await assert.rejects(readTable(path), (err: Error) => {
      assert.equal(err.name, "InvalidInputError");
      assert.match(
        err.message,
        new RegExp(`^${path}: corrupt Parquet file \\(row group 1, column "m"\\)`),
      );
      return true;
    });
  });

  test("files other writers make (DuckDB: zstd, gzip, none; row groups of many pages; dictionary and plain) are read here, bit for bit as DuckDB reads them", async () => {
    // 300,000 rows: more than one page per column chunk; x repeats (a dictionary), y does not
    // (plain once the dictionary is full), n has nulls, b is boolean, i/j are integers.
    const select = `SELECT
        (i % 997) * 0.25::DOUBLE AS x,
        CASE WHEN i % 5 = 0 THEN -0.0::DOUBLE ELSE i * 1.000001::DOUBLE + 1e-300 END AS y,
        CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 13) * 1.5::DOUBLE END AS n,
        (i % 3 = 0) AS b,
        CAST(i * 7919 AS BIGINT) AS j,
        CAST(i % 1000 AS FLOAT) AS f
      FROM range(300000) t(i)`;
    const taken: string[] = [];
    for (const codec of ["zstd", "gzip", "uncompressed", "snappy"]) {
      const path = nextPath();
      await sql(
        `COPY (${select}) TO '${path}' (FORMAT parquet, COMPRESSION ${codec}, ROW_GROUP_SIZE 122880)`,
      );
      const direct = await openFixedParquet(path);
      if (direct !== null) {
        taken.push(codec);
        assert.ok(direct.groups.length >= 3, `${codec}: row groups`);
        await direct.handle.close();
      }
      // readTable takes the direct reader when it can, DuckDB otherwise: the same rows.
      const t = await readTable(path);
      assert.equal(t.rows, 300000);
      await assertDuckDbReads(path, t);
    }
    // Snappy is left to DuckDB.
    assert.deepEqual(taken, ["zstd", "gzip", "uncompressed"]);
    // A column with a logical type other than a plain integer (here a date) goes to DuckDB.
    const dated = nextPath();
    await sql(
      `COPY (SELECT DATE '2024-01-01' + CAST(i AS INTEGER) AS d FROM range(10) t(i)) TO '${dated}' (FORMAT parquet)`,
    );
    assert.equal(await openFixedParquet(dated), null);
  });

  test("dictionary-coded doubles of every index width, with runs and ragged ends, read as DuckDB reads them", async () => {
    // Distinct counts that make index widths 0 (one value) to 17 bits; a long run of one value
    // (an RLE run); 100,003 rows, not a multiple of 8, in row groups that end mid-group.
    for (const distinct of [1, 2, 3, 5, 9, 200, 300, 5000, 70000]) {
      const path = nextPath();
      await sql(
        `COPY (SELECT CASE WHEN i BETWEEN 1000 AND 6000 THEN 7.25::DOUBLE ELSE (hash(i) % ${distinct}) * 0.5::DOUBLE - 3 END AS x FROM range(100003) t(i)) TO '${path}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 40000)`,
      );
      const t = await readTable(path);
      assert.equal(t.rows, 100003);
      await assertDuckDbReads(path, t);
    }
  });

  test("files in Parquet's version 2 pages (DuckDB's PARQUET_VERSION v2) read as DuckDB reads them", async () => {
    // Dictionary columns (one with nulls) are read here; a BYTE_STREAM_SPLIT column goes to DuckDB.
    const dictionary = nextPath();
    const split = nextPath();
    const rows = `FROM range(50000) t(i)`;
    await sql(
      `COPY (SELECT (i % 50) * 0.5::DOUBLE AS x, CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 30) * 0.1::DOUBLE END AS y ${rows}) TO '${dictionary}' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2)`,
    );
    await sql(
      `COPY (SELECT i * 0.1::DOUBLE AS z ${rows}) TO '${split}' (FORMAT parquet, COMPRESSION zstd, PARQUET_VERSION v2)`,
    );
    const direct = await openFixedParquet(dictionary);
    assert.ok(direct !== null, "version 2 dictionary pages are read here");
    await direct.handle.close();
    assert.equal(await openFixedParquet(split), null);
    for (const path of [dictionary, split]) {
      const t = await readTable(path);
      assert.equal(t.rows, 50000);
      await assertDuckDbReads(path, t);
    }
  });

  test("property: random fixed-width tables, null patterns, row-group sizes and parts round-trip", async () => {
    const value = {
      float64: fc.double(),
      float32: fc.float(),
      int64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      int32: fc.oneof(fc.integer({ min: -5, max: 20 }), fc.integer()),
      bool: fc.boolean(),
    } as const;
    const kinds = Object.keys(value) as (keyof typeof value)[];
    const column = fc.constantFrom(...kinds).chain((type) =>
      fc.record({
        type: fc.constant(type),
        cells: fc.array(fc.option(value[type] as fc.Arbitrary<unknown>, { freq: 4 }), {
          minLength: 40,
          maxLength: 40,
        }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(column, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 40 }),
        async (cols, rows, groupRows, cutAt) => {
          const columns = cols.map((c, j) => fixedColumn(`c${j}`, c.type, c.cells.slice(0, rows)));
          const t: Table = { rows, columns };
          // Also written as two parts (row groups restart at the cut).
          const cut = Math.min(cutAt, rows);
          const parts =
            cut > 0 && cut < rows ? [copyRows(columns, 0, cut), copyRows(columns, cut, rows)] : [t];
          const path = nextPath();
          await writeFixedParquet(path, parts, { rowGroupRows: groupRows });
          assertTablesEqual(await readTable(path), t);
          await assertDuckDbReads(path, t);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("concurrent readers in one thread", () => {
  test("two Parquet files read at once, their chunks interleaved, each give their own values", async () => {
    const n = 300_000;
    const make = (k: number): Table => ({
      rows: n,
      columns: [
        {
          name: "x",
          type: "float64",
          values: Float64Array.from({ length: n }, (_, i) => k * 1e6 + i + 0.5),
          nulls: null,
        },
      ],
    });
    const files = [0, 1, 2].map((k) => join(dir, `concurrent-${k}.parquet`));
    for (const [k, f] of files.entries()) await writeTable(f, make(k));
    const { openTableStream } = await import("../../src/io/stream.js");
    // Small blocks: many chunk reads, each awaiting the disk while the others go on.
    const read = async (f: string) => {
      const s = await openTableStream(f, { blockRows: 4096 });
      const out: number[] = [];
      for await (const b of s.blocks()) out.push(...(b.table.columns[0]!.values as Float64Array));
      await s.close();
      return out;
    };
    const all = await Promise.all(files.map(read));
    for (const [k, values] of all.entries()) {
      assert.equal(values.length, n);
      const wrong = values.findIndex((v, i) => v !== k * 1e6 + i + 0.5);
      assert.equal(wrong, -1, `file ${k}: row ${wrong} is ${values[wrong]}`);
    }
  });
});
