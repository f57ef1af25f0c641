/**
 * Parquet through DuckDB: exact type mapping both ways, edge values (NaN stays a value, -0 keeps
 * its sign, int64 beyond 2^53), nulls, timestamps of every unit, and the errors for files that
 * are not Parquet; fixed-width files planned and read without loading DuckDB.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { InvalidInputError } from "../../src/core/errors.js";
import type { Column, Table } from "../../src/core/table.js";
import { resolveReadOptions } from "../../src/io/options.js";
import { planFixedParts } from "../../src/io/parquet-plan.js";
import { planDuckDbParts } from "../../src/io/parquet-plan-duckdb.js";
import { readTable, writeTable } from "../../src/io/table-io.js";
import { assertTablesEqual, edgeTable, sql, tempDir } from "./helpers.js";

let dir = "";
let cleanup = () => {};
before(() => {
  ({ dir, cleanup } = tempDir());
});
after(() => cleanup());

function col(t: Table, name: string): Column {
  const c = t.columns.find((x) => x.name === name);
  assert.ok(c, `no column ${name}`);
  return c;
}

async function rejectsWith(fn: () => Promise<unknown>, path: string, ...patterns: RegExp[]) {
  await assert.rejects(fn, (err: Error) => {
    assert.ok(err instanceof InvalidInputError, `${err.name}: ${err.message}`);
    assert.ok(err.message.startsWith(path), err.message);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

describe("Parquet round trips", () => {
  test("Table → Parquet → Table keeps every type and edge value bit for bit", async () => {
    const table = edgeTable();
    const out = join(dir, "edge.parquet");
    await writeTable(out, table);
    assertTablesEqual(await readTable(out), table);
  });

  test("writeTable maps types to DOUBLE, FLOAT, BIGINT, INTEGER, BOOLEAN, VARCHAR, TIMESTAMP_* with zstd", async () => {
    const out = join(dir, "types.parquet");
    await writeTable(out, edgeTable(), { compression: "zstd" });
    const schema = await sql(
      `SELECT name, type, logical_type FROM parquet_schema('${out}') WHERE name <> 'duckdb_schema'`,
    );
    const types = Object.fromEntries(
      schema.map((r) => [r.name, `${r.type} ${r.logical_type ?? ""}`.trim()]),
    );
    assert.equal(types.f64, "DOUBLE");
    assert.equal(types.f32, "FLOAT");
    assert.match(String(types.i64), /^INT64/);
    assert.match(String(types.i32), /^INT32/);
    assert.equal(types.flag, "BOOLEAN");
    assert.match(String(types.text), /^BYTE_ARRAY/);
    assert.match(String(types.t_ns), /NANOS=NanoSeconds/);
    assert.match(String(types.t_us), /MICROS=MicroSeconds/);
    assert.match(String(types.t_ms), /MILLIS=MilliSeconds/);
    const codecs = await sql(`SELECT DISTINCT compression FROM parquet_metadata('${out}')`);
    assert.deepEqual(
      codecs.map((r) => r.compression),
      ["ZSTD"],
    );
  });

  test("Parquet → Table → Parquet gives a file DuckDB reads as the same rows", async () => {
    const src = join(dir, "duck.parquet");
    await sql(`COPY (SELECT i::BIGINT AS id, (i * 0.25)::DOUBLE AS x, CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' || i END AS s,
        (i % 2 = 0) AS b, TIMESTAMP_NS '2024-01-02 03:04:05.123456789' + to_microseconds(i) AS t
      FROM range(5000) r(i)) TO '${src}' (FORMAT parquet)`);
    const t = await readTable(src);
    assert.deepEqual(
      t.columns.map((c) => c.type),
      ["int64", "float64", "string", "bool", "timestamp"],
    );
    const out = join(dir, "duck-out.parquet");
    await writeTable(out, t);
    const diff = await sql(`SELECT count(*)::INTEGER AS n FROM (
        (SELECT * FROM '${src}' EXCEPT ALL SELECT * FROM '${out}') UNION ALL (SELECT * FROM '${out}' EXCEPT ALL SELECT * FROM '${src}'))`);
    assert.equal(diff[0]!.n, 0);
    assertTablesEqual(await readTable(out), t);
  });

  test("readTable maps narrower and other Parquet types as documented", async () => {
    const src = join(dir, "mixed.parquet");
    await sql(`COPY (SELECT 7::TINYINT ti, 300::SMALLINT si, 40000::USMALLINT us, 4000000000::UINTEGER ui,
        12.5::DECIMAL(10,2) de, DATE '2024-01-02' dt, TIMESTAMPTZ '2024-01-02 03:04:05.5+00' tz,
        TIMESTAMP_MS '2024-01-02 03:04:05.123' tms, 'b'::ENUM('a','b') en,
        9223372036854775807::UBIGINT ub) TO '${src}' (FORMAT parquet)`);
    const t = await readTable(src);
    const types = t.columns.map((c) =>
      c.type === "timestamp" ? `${c.name}:timestamp[${c.unit}]` : `${c.name}:${c.type}`,
    );
    assert.deepEqual(types, [
      "ti:int32",
      "si:int32",
      "us:int32",
      "ui:int64",
      "de:float64",
      "dt:timestamp[s]",
      "tz:timestamp[us]",
      "tms:timestamp[ms]",
      "en:string",
      "ub:int64",
    ]);
    assert.equal(col(t, "ui").values[0], 4000000000n);
    assert.equal(col(t, "de").values[0], 12.5);
    assert.equal(col(t, "dt").values[0], BigInt(Date.parse("2024-01-02T00:00:00Z") / 1000));
    assert.equal(col(t, "tz").values[0], BigInt(Date.parse("2024-01-02T03:04:05.5Z")) * 1000n);
    assert.equal(col(t, "tms").values[0], BigInt(Date.parse("2024-01-02T03:04:05.123Z")));
    assert.equal(col(t, "en").values[0], "b");
    assert.equal(col(t, "ub").values[0], 9223372036854775807n);
  });

  test("readTable reads columns, forced types and NaN-versus-null in Parquet", async () => {
    const src = join(dir, "nan.parquet");
    await sql(`COPY (SELECT * FROM (VALUES ('nan'::DOUBLE, '1', 1), (NULL, 'x', 2), ('-0'::DOUBLE, '3', 3)) v(d, s, k))
      TO '${src}' (FORMAT parquet)`);
    const t = await readTable(src, {
      columns: ["d", "s"],
      types: { s: "float64" },
      nonNumeric: "null",
    });
    const d = col(t, "d");
    assert.ok(d.type === "float64");
    assert.ok(Number.isNaN(d.values[0]), "NaN is a value");
    assert.deepEqual([...d.nulls!], [0, 1, 0]);
    assert.ok(Object.is(d.values[2], -0), "-0 keeps its sign");
    const s = col(t, "s");
    assert.ok(s.type === "float64");
    assert.deepEqual([...s.nulls!], [0, 1, 0]);
    assert.equal(s.values[2], 3);
  });

  test("readTable reads an empty Parquet file as 0 rows with its types", async () => {
    const src = join(dir, "empty-rows.parquet");
    await sql(`COPY (SELECT 1.5::DOUBLE x, 2::BIGINT y LIMIT 0) TO '${src}' (FORMAT parquet)`);
    const t = await readTable(src);
    assert.equal(t.rows, 0);
    assert.deepEqual(
      t.columns.map((c) => c.type),
      ["float64", "int64"],
    );
  });
});

describe("Parquet errors", () => {
  test("readTable says a truncated Parquet file is not valid Parquet", async () => {
    const good = join(dir, "good.parquet");
    await writeTable(good, edgeTable());
    const path = join(dir, "truncated.parquet");
    const bytes = readFileSync(good);
    writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await rejectsWith(() => readTable(path), path, /not a valid Parquet file, or truncated/);
  });

  test("readTable says a CSV named .parquet is not valid Parquet", async () => {
    const path = join(dir, "fake.parquet");
    writeFileSync(path, "a,b\n1,2\n");
    await rejectsWith(() => readTable(path), path, /not a valid Parquet file/);
  });

  test("readTable lists the columns of a Parquet file when asked for a missing one", async () => {
    const path = join(dir, "cols.parquet");
    await writeTable(path, edgeTable());
    await rejectsWith(() => readTable(path, { columns: ["nope"] }), path, /"nope"/, /"f64", "f32"/);
  });

  test("readTable names an unreadable Parquet column type and the way out", async () => {
    const path = join(dir, "time.parquet");
    await sql(`COPY (SELECT TIME '01:02:03' t, 1 n) TO '${path}' (FORMAT parquet)`);
    await rejectsWith(() => readTable(path), path, /column "t"/, /TIME/, /columns option/);
    const t = await readTable(path, { columns: ["n"] });
    assert.equal(t.columns[0]!.type, "int32");
  });

  test("readTable reports a UBIGINT that does not fit int64", async () => {
    const path = join(dir, "ubig.parquet");
    await sql(`COPY (SELECT 18446744073709551615::UBIGINT u) TO '${path}' (FORMAT parquet)`);
    await rejectsWith(
      () => readTable(path),
      path,
      /row 1, column "u": 18446744073709551615 \(UBIGINT\) is beyond the int64 range/,
      /--categorical "u"/,
    );
  });

  test("writeTable rejects column names that differ only in case", async () => {
    const path = join(dir, "case.parquet");
    const v = new Float64Array(1);
    await rejectsWith(
      () =>
        writeTable(path, {
          rows: 1,
          columns: [
            { name: "a", type: "float64", values: v, nulls: null },
            { name: "A", type: "float64", values: v, nulls: null },
          ],
        }),
      path,
      /differ only in case/,
    );
  });
});

describe("Parquet without DuckDB", () => {
  /** Reads `path` in a fresh process; whether DuckDB's native library was loaded, and the rows. */
  function readInChild(path: string): { duckdb: boolean; rows: number } {
    const io = new URL("../../src/io/index.js", import.meta.url).href;
    const script = `
      const { readTable } = await import(${JSON.stringify(io)});
      const t = await readTable(${JSON.stringify(path)});
      const libs = process.report.getReport().sharedObjects;
      console.log(JSON.stringify({ duckdb: libs.some((l) => l.includes("duckdb")), rows: t.rows }));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as { duckdb: boolean; rows: number };
  }

  test("a fixed-width file is planned and read without loading DuckDB; a text column loads it", async () => {
    const fixed = join(dir, "fixed.parquet");
    const values = Float64Array.from({ length: 1000 }, (_, i) => i / 7);
    await writeTable(fixed, {
      rows: 1000,
      columns: [{ name: "x", type: "float64", values, nulls: null }],
    });
    assert.deepEqual(readInChild(fixed), { duckdb: false, rows: 1000 });
    const text = join(dir, "text.parquet");
    await writeTable(text, {
      rows: 2,
      columns: [{ name: "s", type: "string", values: ["a", null] }],
    });
    assert.deepEqual(readInChild(text), { duckdb: true, rows: 2 });
  });

  test("the plan from the footers is DuckDB's plan, and DuckDB plans what it cannot", async () => {
    const a = join(dir, "plan-a.parquet");
    const b = join(dir, "plan-b.parquet");
    const table = edgeTable();
    const fixedCols = table.columns.filter((c) =>
      ["float64", "float32", "int64", "int32", "bool"].includes(c.type),
    );
    await writeTable(a, { rows: table.rows, columns: fixedCols });
    await writeTable(b, { rows: table.rows, columns: fixedCols });
    const opts = resolveReadOptions("x", {});
    const fromFooters = await planFixedParts([a, b], opts);
    assert.ok(fromFooters !== null, "the direct reader takes these files");
    const fromDuckDb = await planDuckDbParts([a, b], opts, () => assert.fail("same schema"));
    assert.deepEqual(fromFooters, fromDuckDb);
    // A forced type other than the stored one needs DuckDB's cast and check.
    const forced = resolveReadOptions("x", { types: { [fixedCols[3]!.name]: "float64" } });
    assert.equal(await planFixedParts([a], forced), null);
    // So does a part with other columns (DuckDB's planning names the difference).
    const c = join(dir, "plan-c.parquet");
    await writeTable(c, { rows: table.rows, columns: fixedCols.slice(1) });
    assert.equal(await planFixedParts([a, c], opts), null);
    // A missing column is the same error either way.
    const missing = resolveReadOptions("x", { columns: ["nope"] });
    await rejectsWith(() => planFixedParts([a], missing), a, /no column "nope"/);
  });
});
