/**
 * openTableStream: blocks of exactly blockRows rows over one file, part files (a directory, a
 * glob, a list), Parquet and CSV, equal bit for bit to readTable of the whole; schema and format
 * errors; CSV types decided by the first block and forced on the rest; standard input; memory
 * bounded by the block size.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { InvalidInputError } from "../../src/core/errors.js";
import type { Column, Table } from "../../src/core/table.js";
import { TypeWidening } from "../../src/io/errors.js";
import { globRegExp } from "../../src/io/glob.js";
import { openCsvReadableStream, openTableStream, type TableStream } from "../../src/io/stream.js";
import { readTable, writeTable } from "../../src/io/table-io.js";
import { assertTablesEqual, edgeTable, tempDir } from "./helpers.js";

const ROWS = 50_000;
const PART_SIZES = [9_000, 1, 13_000, 4_095, 0, 7_000, 16_904]; // 7 parts, one empty
let dir = "";
let cleanup = () => {};

/** A deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ROWS rows of every column type: random values, the edge table's values and nulls mixed in. */
function bigTable(): Table {
  const edge = edgeTable();
  const rand = rng(42);
  const columns = edge.columns.map((e): Column => {
    const n = ROWS;
    const pick = (i: number) => i % 8;
    const edgeRow = (i: number) => i % 5 === 0;
    switch (e.type) {
      case "string": {
        const values: (string | null)[] = [];
        for (let i = 0; i < n; i++) {
          values.push(edgeRow(i) ? e.values[pick(i / 5)]! : `s${Math.floor(rand() * 1e9)}`);
        }
        return { ...e, values };
      }
      default: {
        const values = new (e.values.constructor as new (k: number) => typeof e.values)(n);
        const nulls = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          const k = pick(i / 5);
          if (edgeRow(i)) {
            (values as { [i: number]: unknown })[i] = e.values[k];
            nulls[i] = e.nulls?.[k] ?? 0;
            continue;
          }
          const u = rand();
          const v: unknown =
            e.type === "float64"
              ? (u - 0.5) * 10 ** Math.floor(rand() * 20 - 10)
              : e.type === "float32"
                ? Math.fround((u - 0.5) * 1000)
                : e.type === "int32"
                  ? Math.floor((u - 0.5) * 4e9)
                  : e.type === "bool"
                    ? Number(u < 0.5)
                    : e.type === "int64"
                      ? BigInt(Math.floor((u - 0.5) * 2 ** 53)) * BigInt(1 + (i % 900))
                      : BigInt(Math.floor(u * 1.7e9)) * (e.unit === "s" ? 1n : 1000n);
          (values as { [i: number]: unknown })[i] = v;
        }
        return { ...e, values, nulls } as Column;
      }
    }
  });
  return { rows: ROWS, columns };
}

/** Rows [from, to) of a table. */
function sliceTable(t: Table, from: number, to: number): Table {
  return {
    rows: to - from,
    columns: t.columns.map((c): Column => {
      if (c.type === "string") return { ...c, values: c.values.slice(from, to) };
      return {
        ...c,
        values: c.values.slice(from, to),
        nulls: c.nulls?.slice(from, to) ?? null,
      } as Column;
    }),
  };
}

/** Reads every block, checking sizes and firstRow, and concatenates them. */
async function readAll(stream: TableStream, blockRows: number): Promise<Table> {
  const blocks: Table[] = [];
  let expectFirst = 0;
  for await (const { firstRow, table } of stream.blocks()) {
    assert.equal(firstRow, expectFirst, "firstRow");
    if (blocks.length > 0)
      assert.equal(blocks.at(-1)!.rows, blockRows, "only the last block may be short");
    assert.ok(table.rows >= 1 && table.rows <= blockRows, `block of ${table.rows} rows`);
    assert.deepEqual(
      table.columns.map((c) => [c.name, c.type]),
      stream.schema.map((s) => [s.name, s.type]),
    );
    for (const c of table.columns) assert.equal(c.values.length, table.rows);
    blocks.push(table);
    expectFirst += table.rows;
  }
  await stream.close();
  const rows = expectFirst;
  const first = blocks[0]!;
  return {
    rows,
    columns: first.columns.map((c0, j): Column => {
      if (c0.type === "string") {
        return { ...c0, values: blocks.flatMap((b) => (b.columns[j] as typeof c0).values) };
      }
      const values = new (c0.values.constructor as new (n: number) => typeof c0.values)(rows);
      const nulls = new Uint8Array(rows);
      let at = 0;
      for (const b of blocks) {
        const c = b.columns[j] as typeof c0;
        (values as { set(a: ArrayLike<unknown>, o: number): void }).set(c.values, at);
        if (c.nulls !== null) nulls.set(c.nulls, at);
        at += c.values.length;
      }
      return { ...c0, values, nulls } as Column;
    }),
  };
}

async function rejectsWith(fn: () => Promise<unknown>, ...patterns: RegExp[]) {
  await assert.rejects(fn, (err: Error) => {
    assert.ok(err instanceof InvalidInputError, `${err.name}: ${err.message}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

const table = bigTable();

before(async () => {
  ({ dir, cleanup } = tempDir());
  for (const ext of ["parquet", "csv"]) {
    await writeTable(join(dir, `whole.${ext}`), table);
    mkdirSync(join(dir, `parts-${ext}`));
    assert.equal(
      PART_SIZES.reduce((a, b) => a + b, 0),
      ROWS,
    );
    let at = 0;
    for (let i = 0; i < PART_SIZES.length; i++) {
      const n = PART_SIZES[i]!;
      await writeTable(
        join(dir, `parts-${ext}`, `part-${i}.${ext}`),
        sliceTable(table, at, at + n),
      );
      at += n;
    }
  }
  writeFileSync(join(dir, "parts-parquet", "_SUCCESS"), "");
});
after(() => cleanup());

describe("openTableStream blocks", () => {
  for (const ext of ["parquet", "csv"]) {
    for (const blockRows of [4096, 1000, 50_000]) {
      test(`openTableStream ${ext}: one file and 7 parts in blocks of ${blockRows} equal readTable`, async () => {
        const whole = await readTable(join(dir, `whole.${ext}`));
        if (ext === "parquet") assertTablesEqual(whole, table, "parquet reference");
        const one = await openTableStream(join(dir, `whole.${ext}`), { blockRows });
        assert.equal(one.totalRows, ext === "parquet" ? ROWS : null);
        assertTablesEqual(await readAll(one, blockRows), whole, "one file");
        const parts = await openTableStream(join(dir, `parts-${ext}`), { blockRows });
        assert.deepEqual(
          parts.files,
          PART_SIZES.map((_, i) => join(dir, `parts-${ext}`, `part-${i}.${ext}`)),
        );
        assert.deepEqual(parts.schema, one.schema);
        assertTablesEqual(await readAll(parts, blockRows), whole, "7 parts");
      });
    }
  }

  test("openTableStream reads a glob and a list in the given order, and can make a second pass", async () => {
    const whole = await readTable(join(dir, "whole.parquet"));
    const glob = await openTableStream(join(dir, "parts-parquet", "part-?.parquet"), {
      blockRows: 3000,
    });
    assert.equal(glob.files.length, 7);
    assertTablesEqual(await readAll(glob, 3000), whole, "glob");
    assertTablesEqual(await readAll(glob, 3000), whole, "second pass");
    const csvGlob = await openTableStream(join(dir, "parts-csv", "*-*.csv"), { blockRows: 7777 });
    assertTablesEqual(await readAll(csvGlob, 7777), await readTable(join(dir, "whole.csv")));
    const list = await openTableStream(
      [join(dir, "parts-parquet", "part-1.parquet"), join(dir, "parts-parquet", "part-0.parquet")],
      { blockRows: 5000, columns: ["i64", "text"] },
    );
    const got = await readAll(list, 5000);
    assert.deepEqual(
      got.columns.map((c) => c.name),
      ["i64", "text"],
    );
    assert.equal(got.rows, 9001);
    assert.equal(
      (got.columns[1]!.values as string[])[0],
      (table.columns[5]!.values as string[])[9000],
    );
  });

  test("a Parquet file larger than one scan query (2^21 rows) and small parts around it read back in order", async () => {
    // Files of more than 2^21 rows are read in row ranges; smaller ones are grouped into queries.
    const sizes = [5, 2_097_152 + 3_001, 70_000, 1];
    const files: string[] = [];
    let first = 0;
    for (const [i, n] of sizes.entries()) {
      const x = new Float64Array(n);
      for (let r = 0; r < n; r++) x[r] = first + r;
      const f = join(dir, `big-${i}.parquet`);
      await writeTable(f, {
        rows: n,
        columns: [{ name: "x", type: "float64", values: x, nulls: null }],
      });
      files.push(f);
      first += n;
    }
    const s = await openTableStream(files, { blockRows: 1_000_003 });
    let next = 0;
    for await (const b of s.blocks()) {
      const x = b.table.columns[0]!.values as Float64Array;
      for (let r = 0; r < x.length; r++) {
        if (x[r] !== next + r) assert.fail(`row ${next + r} read as ${x[r]}`);
      }
      next += x.length;
    }
    assert.equal(next, first);
  });

  test("openTableStream reads .csv.gz in blocks and names a truncated gzip part", async () => {
    const gz = join(dir, "whole.csv.gz");
    await writeTable(gz, table);
    const s = await openTableStream(gz, { blockRows: 4096 });
    assertTablesEqual(await readAll(s, 4096), await readTable(join(dir, "whole.csv")));
    const bad = join(dir, "bad.csv.gz");
    writeFileSync(bad, readFileSync(gz).subarray(0, Math.floor(readFileSync(gz).length / 2)));
    await rejectsWith(
      async () => readAll(await openTableStream(bad, { blockRows: 4096 }), 4096),
      /bad\.csv\.gz: not a valid gzip file, or truncated/,
    );
  });

  test("globRegExp matches * and ? only, other characters literally", () => {
    assert.ok(globRegExp("part-*.parquet").test("part-00.parquet"));
    assert.ok(!globRegExp("part-?.parquet").test("part-00.parquet"));
    assert.ok(!globRegExp("a.b").test("axb"));
    assert.ok(globRegExp("[x](y)+").test("[x](y)+"));
  });
});

describe("openTableStream errors", () => {
  test("openTableStream rejects parts with different schemas, naming both", async () => {
    const d = join(dir, "mixed-schema");
    mkdirSync(d);
    await writeTable(join(d, "a.parquet"), {
      rows: 1,
      columns: [{ name: "x", type: "float64", values: Float64Array.of(1), nulls: null }],
    });
    await writeTable(join(d, "b.parquet"), {
      rows: 1,
      columns: [{ name: "x", type: "int64", values: BigInt64Array.of(1n), nulls: null }],
    });
    await rejectsWith(
      () => openTableStream(d),
      /b\.parquet: its schema differs from the first part .*a\.parquet/,
      /"x" float64 in the first and "x" int64/,
    );
    writeFileSync(join(d, "c.csv"), "x,y\n1,2\n");
    writeFileSync(join(d, "d.csv"), "x,z\n1,2\n");
    await rejectsWith(
      () => openTableStream(join(d, "*.csv")),
      /d\.csv: its header differs from the first part .*c\.csv: column 2 is "y" in the first and "z"/,
    );
  });

  test("openTableStream rejects a directory of mixed formats, an empty one, and an unmatched glob", async () => {
    const d = join(dir, "mixed-format");
    mkdirSync(d);
    await rejectsWith(() => openTableStream(d), /no part files/);
    await rejectsWith(() => openTableStream(join(d, "*.parquet")), /no file matches/);
    writeFileSync(join(d, "a.csv"), "x\n1\n");
    await writeTable(join(d, "b.parquet"), {
      rows: 1,
      columns: [{ name: "x", type: "float64", values: Float64Array.of(1), nulls: null }],
    });
    await rejectsWith(() => openTableStream(d), /mixes formats: .*a\.csv is CSV but .*b\.parquet/);
  });

  test("openTableStream names a truncated Parquet part", async () => {
    const d = join(dir, "truncated");
    mkdirSync(d);
    for (let i = 0; i < 3; i++) {
      await writeTable(join(d, `p${i}.parquet`), sliceTable(table, i * 100, i * 100 + 100));
    }
    const bad = join(d, "p1.parquet");
    truncateSync(bad, Math.floor(readFileSync(bad).length / 2));
    await rejectsWith(
      () => openTableStream(d),
      /p1\.parquet: not a valid Parquet file, or truncated/,
    );
  });

  test("openTableStream names a CSV row with the wrong number of fields", async () => {
    const f = join(dir, "ragged.csv");
    writeFileSync(f, `a,b\n${"1,2\n".repeat(3000)}3\n`);
    // Found while the first block is inferred (the tokenizer reads ahead) or while reading.
    await rejectsWith(
      async () => readAll(await openTableStream(f, { blockRows: 1000 }), 1000),
      /ragged\.csv: line 3002: expected 2 fields/,
    );
  });

  test("openTableStream CSV: an int64 column meeting a decimal widens to float64 for the next pass; not on standard input", async () => {
    const f = join(dir, "widen.csv");
    const lines = ["n"];
    for (let i = 0; i < 30; i++) lines.push(i < 20 ? String(i * 3) : `${i}.5`);
    writeFileSync(f, `${lines.join("\n")}\n`);
    const s = await openTableStream(f, { blockRows: 8 });
    assert.equal(s.schema[0]!.type, "int64");
    await assert.rejects(
      () => readAll(s, 8),
      (e: unknown) =>
        e instanceof TypeWidening && e.restartable && e.column === "n" && e.to === "float64",
    );
    assert.equal(s.schema[0]!.type, "float64");
    const t = await readAll(s, 8);
    assert.deepEqual(
      [...(t.columns[0]!.values as Float64Array)],
      lines.slice(1).map((v) => Number(v)),
    );
    await s.close();
    // Standard input is read once: the error says how to read the column from the start.
    const stdin = await openCsvReadableStream("-", Readable.from([`${lines.join("\n")}\n`]), {
      blockRows: 8,
    });
    await assert.rejects(
      () => readAll(stdin, 8),
      (e: unknown) =>
        e instanceof TypeWidening && !e.restartable && /--continuous "n"/.test(e.message),
    );
  });

  test("openTableStream CSV: a later field that does not fit the first block's type names line and value; forced float64 reads it", async () => {
    const f = join(dir, "late-float.csv");
    const lines = ["n,s"];
    for (let i = 0; i < 3000; i++) lines.push(i === 2500 ? "2.5,x" : `${i},x`);
    writeFileSync(f, `${lines.join("\n")}\n`);
    const s = await openTableStream(f, { blockRows: 1000 });
    assert.deepEqual(s.schema, [
      { name: "n", type: "int64" },
      { name: "s", type: "string" },
    ]);
    await rejectsWith(
      () => readAll(s, 1000),
      /late-float\.csv: line 2502, column "n": "2\.5" is not an integer/,
      /int64 was inferred from the first 1000 rows/,
      /--continuous "n"/,
    );
    const forced = await openTableStream(f, { blockRows: 1000, types: { n: "float64" } });
    const t = await readAll(forced, 1000);
    assert.equal(t.columns[0]!.type, "float64");
    assert.equal(t.columns[0]!.values[2500], 2.5);
    assert.equal(t.columns[0]!.values[2999], 2999);
    // Text in a column inferred as numbers: an error, or null with nonNumeric "null".
    writeFileSync(f, `${lines.join("\n").replace("\n2999,x", "\nabc,x")}\n`);
    const lax = await openTableStream(f, {
      blockRows: 1000,
      types: { n: "float64" },
      nonNumeric: "null",
    });
    const t2 = await readAll(lax, 1000);
    assert.equal((t2.columns[0] as { nulls: Uint8Array | null }).nulls?.[2999], 1);
    const strict = await openTableStream(f, { blockRows: 1000, types: { n: "float64" } });
    await rejectsWith(
      () => readAll(strict, 1000),
      /line 3001, column "n": "abc" is not a number/,
      /--non-numeric null/,
    );
  });

  test("openTableStream rejects a bad blockRows", async () => {
    await rejectsWith(() => openTableStream(join(dir, "whole.csv"), { blockRows: 0 }), /blockRows/);
  });
});

describe("openTableStream standard input", () => {
  const csv = `a,b\n${Array.from({ length: 2500 }, (_, i) => `${i},${i % 3 === 0 ? "" : `t${i}`}`).join("\n")}\n`;

  test("openCsvReadableStream reads a one-shot stream in small pieces, once", async () => {
    const pieces: Buffer[] = [];
    const bytes = Buffer.from(csv);
    for (let i = 0; i < bytes.length; i += 997) pieces.push(bytes.subarray(i, i + 997));
    const s = await openCsvReadableStream("-", Readable.from(pieces), { blockRows: 1000 });
    const f = join(dir, "stdin-ref.csv");
    writeFileSync(f, csv);
    assertTablesEqual(await readAll(s, 1000), await readTable(f));
    assert.throws(() => s.blocks(), /standard input can be read once/);
  });

  test('openTableStream("-") reads CSV piped into a child process', async () => {
    const streamJs = new URL("../../src/io/stream.js", import.meta.url);
    const script = join(dir, "child.mjs");
    writeFileSync(
      script,
      `import { openTableStream } from ${JSON.stringify(streamJs.href)};
const s = await openTableStream("-", { blockRows: 1000 });
const out = { schema: s.schema, blocks: [] };
for await (const { firstRow, table } of s.blocks()) out.blocks.push([firstRow, table.rows, Number(table.columns[0].values.reduce((x, y) => x + y, 0n))]);
await s.close();
process.stdout.write(JSON.stringify(out));
`,
    );
    const child = spawn(process.execPath, [fileURLToPath(new URL(`file://${script}`))], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.stdin.end(csv);
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(code, 0, err);
    const got = JSON.parse(out) as { schema: unknown; blocks: number[][] };
    assert.deepEqual(got.schema, [
      { name: "a", type: "int64" },
      { name: "b", type: "string" },
    ]);
    const expect = [0, 1000, 2000].map((f) => {
      const n = Math.min(1000, 2500 - f);
      let s = 0;
      for (let i = f; i < f + n; i++) s += i;
      return [f, n, s];
    });
    assert.deepEqual(got.blocks, expect);
  });
});

describe("openTableStream memory", () => {
  test("openTableStream streams 2M Parquet rows in blocks of 65536 with bounded RSS", async () => {
    const f = join(dir, "big.parquet");
    const n = 2_000_000;
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = Math.sin(i) * 1000;
    await writeTable(f, {
      rows: n,
      columns: [{ name: "x", type: "float64", values, nulls: null }],
    });
    const s = await openTableStream(f, { blockRows: 65_536 });
    const before = process.memoryUsage().rss;
    let peak = before;
    let rows = 0;
    let sum = 0;
    for await (const { table } of s.blocks()) {
      rows += table.rows;
      const v = table.columns[0]!.values as Float64Array;
      for (let i = 0; i < v.length; i++) sum += v[i]!;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    await s.close();
    assert.equal(rows, n);
    let expectSum = 0;
    for (let i = 0; i < n; i++) expectSum += values[i]!;
    assert.equal(sum, expectSum);
    const growth = (peak - before) / 2 ** 20;
    assert.ok(growth < 150, `RSS grew by ${growth.toFixed(0)} MB`);
  });
});
