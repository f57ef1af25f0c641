/**
 * Conformance of the CSV reader on worker threads (`parallelCsvReader`) with the one-thread
 * reader (`openTableStream`'s own): on every file below, with ranges from a few bytes (every
 * record boundary tried, most range starts inside quoted fields) to larger than the file, and
 * 1 or 2 workers, the blocks are the same (firstRow, types, values bit for bit, nulls), and a
 * file the reader rejects is rejected with the same error (class and message).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Column } from "../../src/core/table.js";
import { openTableStream, type TableStreamOptions } from "../../src/io/index.js";
import type { TableBlock } from "../../src/io/stream.js";
import { parallelCsvReader } from "../../src/run/csv-parallel.js";
import { WorkerPool } from "../../src/run/pool.js";
import { sharedFile } from "../cli/helpers.js";

/** A comparable form of a block: values as bytes (typed) or as they are (text); null flags. */
function snapshot(b: TableBlock): unknown {
  return {
    firstRow: b.firstRow,
    rows: b.table.rows,
    columns: b.table.columns.map((c: Column) => {
      if (c.type === "string") return { name: c.name, type: c.type, values: c.values };
      const bytes = Buffer.from(c.values.buffer, c.values.byteOffset, c.values.byteLength);
      const nulls = c.nulls === null ? null : Array.from(c.nulls.subarray(0, b.table.rows));
      return {
        name: c.name,
        type: c.type,
        unit: "unit" in c ? c.unit : undefined,
        values: bytes.subarray(0, b.table.rows * c.values.BYTES_PER_ELEMENT).toString("hex"),
        nulls: nulls?.includes(1) === true ? nulls : null,
      };
    }),
  };
}

type Outcome = { blocks: unknown[] } | { error: string; message: string };

/** Every block of one pass, or the error; `pool` null: the one-thread reader. */
async function readAll(
  path: string,
  options: TableStreamOptions,
  pool: WorkerPool | null,
  rangeBytes: number,
): Promise<Outcome> {
  let stream: Awaited<ReturnType<typeof openTableStream>>;
  try {
    stream = await openTableStream(path, options);
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  }
  if (pool !== null) stream.readCsvWith!(parallelCsvReader(pool, rangeBytes));
  const blocks: unknown[] = [];
  try {
    for await (const b of stream.blocks()) blocks.push(snapshot(b));
    return { blocks };
  } catch (err) {
    return { error: (err as Error).constructor.name, message: (err as Error).message };
  } finally {
    await stream.close();
  }
}

/** Rows of text that make every hard case: quotes, line breaks in fields, CR, blanks, nulls. */
function trickyRows(n: number): string {
  let s = 'id,"na,me",x,when,flag\r\n';
  for (let i = 0; i < n; i++) {
    const name =
      i % 7 === 0
        ? `"multi\nline ""${i}""\r\nend"`
        : i % 5 === 0
          ? `"${"q".repeat(i % 40)},"`
          : `plain${i}`;
    const x = i % 11 === 0 ? "" : i % 13 === 0 ? "NA" : String((i * 0.37) / 3);
    const when = `2024-01-${String(1 + (i % 28)).padStart(2, "0")}T0${i % 10}:00:00.${i % 1000}`;
    s += `${i},${name},${x},${when},${i % 3 === 0 ? "true" : "false"}${i % 4 === 0 ? "\r\n" : "\n"}`;
    if (i % 97 === 0) s += "\n"; // a blank line (skipped: several columns)
  }
  return s;
}

describe("CSV on worker threads reads what one thread reads", () => {
  let dir = "";
  let pools: WorkerPool[] = [];
  const files: { name: string; text: string | Buffer; options?: TableStreamOptions }[] = [
    { name: "tricky.csv", text: trickyRows(3000) },
    { name: "no-final-newline.csv", text: "a,b\n1,2\n3,4" },
    { name: "bom.csv", text: "\ufeffa,b\n1,x\n2,y\n" },
    { name: "one-column.csv", text: "a\n1\n\n2\n\n\n3\n" },
    { name: "lone-cr.csv", text: "a,b\r1,2\r3,4\r5,6\r" },
    { name: "header-only.csv", text: "a,b\n" },
    {
      name: "latin1.csv",
      text: Buffer.from("n,s\n1,café\n2,naïve\n3,\n", "latin1"),
      options: { encoding: "latin1" },
    },
    {
      name: "escapes.csv",
      text: 't,v\na\\,b,1\n"c\\"d",2\ne\\\nf,3\n'.repeat(200),
      options: { escapeChar: "\\" },
    },
    { name: "int-then-decimal.csv", text: `v\n${"1\n".repeat(300)}2.5\n` },
    { name: "big-then-decimal.csv", text: `v\n${"1\n".repeat(300)}99999999999999999999\n0.5\n` },
    { name: "wide-int.csv", text: `v\n${"12345678901234567\n".repeat(300)}` },
    { name: "field-count.csv", text: `a,b\n${"1,2\n".repeat(500)}3\n4,5\n` },
    { name: "open-quote.csv", text: `a,b\n${"1,2\n".repeat(500)}3,"four\n` },
    {
      name: "bad-utf8.csv",
      text: Buffer.concat([
        Buffer.from(`a,b\n${"1,x\n".repeat(500)}`),
        Buffer.from([0x32, 0x2c, 0xff, 0x0a]),
      ]),
    },
    {
      name: "not-a-number.csv",
      text: `a,b\n${"1,2\n".repeat(500)}x,2\n`,
      options: { types: { a: "float64" } },
    },
    {
      name: "all-text.csv",
      text: trickyRows(400),
      options: {
        types: { id: "string", "na,me": "string", x: "string", when: "string", flag: "string" },
      },
    },
    {
      name: "text-forced.csv",
      text: `a,b\n${"007,2\n".repeat(50)}`,
      options: { types: { a: "string" } },
    },
    {
      name: "timestamp-digits.csv",
      text: `t\n${"2024-01-01T00:00:00.123\n".repeat(300)}2024-01-01T00:00:00.123456\n`,
    },
  ];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "modenorm-csvpar-"));
    for (const f of files) writeFileSync(join(dir, f.name), f.text);
    pools = [new WorkerPool({ size: 1 }), new WorkerPool({ size: 2 })];
  });
  after(async () => {
    for (const p of pools) await p.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const f of files) {
    test(f.name, async () => {
      const path = join(dir, f.name);
      const options: TableStreamOptions = { blockRows: 256, ...f.options };
      const want = await readAll(path, options, null, 0);
      // At most a few thousand ranges a file (one task each).
      const size = Buffer.byteLength(f.text);
      for (const rangeBytes of [1, 7, 64, 1000, 1 << 20].filter((r) => size / r < 4000)) {
        for (const pool of pools) {
          const got = await readAll(path, options, pool, rangeBytes);
          assert.deepEqual(
            got,
            want,
            `${f.name}: ranges of ${rangeBytes} bytes, ${pool.size} worker(s)`,
          );
        }
      }
      if (f.name === "tricky.csv") assert.ok("blocks" in want && want.blocks.length > 5);
      if (f.name === "field-count.csv")
        assert.match((want as { message: string }).message, /line 502/);
    });
  }

  test("a directory of parts: blocks span parts, each part cut into its own ranges", async () => {
    const parts = join(dir, "parts");
    mkdirSync(parts);
    const lines = trickyRows(900).split("\r\n");
    const header = `${lines[0]}\r\n`;
    const body = lines.slice(1).join("\r\n");
    // Cut the records (not the text) into three files, each with the header.
    const records = body.split(/\n(?=\d+,)/);
    for (let k = 0; k < 3; k++) {
      const slice = records.slice(k * 300, (k + 1) * 300).join("\n");
      writeFileSync(join(parts, `part-${k}.csv`), `${header}${slice}\n`);
    }
    const options: TableStreamOptions = { blockRows: 128 };
    const want = await readAll(parts, options, null, 0);
    assert.ok("blocks" in want && want.blocks.length > 3, "read whole");
    for (const rangeBytes of [64, 1000]) {
      const got = await readAll(parts, options, pools[1]!, rangeBytes);
      assert.deepEqual(got, want, `ranges of ${rangeBytes} bytes`);
    }
  });

  test("the IMDb table with its \\, escapes (shared data)", async (t) => {
    const path = sharedFile(t, "imdb_movies.csv");
    if (path === null) return;
    const options: TableStreamOptions = { blockRows: 4096, escapeChar: "\\" };
    const want = await readAll(path, options, null, 0);
    assert.ok("blocks" in want && want.blocks.length > 3, "read whole");
    for (const rangeBytes of [4093, 1 << 18]) {
      const got = await readAll(path, options, pools[1]!, rangeBytes);
      assert.deepEqual(got, want, `ranges of ${rangeBytes} bytes`);
    }
  });
});
