/**
 * readTable / writeTable across formats: format by extension, file-system errors, and safe
 * writes (temporary file, rename, no overwrite without asking, no debris after a failure).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { InvalidInputError } from "../../src/core/errors.js";
import type { Table } from "../../src/core/table.js";
import { IoError } from "../../src/io/errors.js";
import { readTable, writeTable } from "../../src/io/table-io.js";
import { assertTablesEqual, edgeTable, tempDir } from "./helpers.js";

let dir = "";
let cleanup = () => {};
before(() => {
  ({ dir, cleanup } = tempDir());
});
after(() => cleanup());

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

const small = (): Table => ({
  rows: 2,
  columns: [{ name: "x", type: "float64", values: Float64Array.from([1, 2]), nulls: null }],
});

describe("readTable file errors", () => {
  test("readTable names a missing file", async () => {
    const path = join(dir, "missing.csv");
    await rejects(() => readTable(path), IoError, path, /no such file/);
  });

  test("readTable rejects a directory and lists the supported extensions", async () => {
    const path = join(dir, "folder.csv");
    mkdirSync(path);
    await rejects(() => readTable(path), IoError, path, /directory/, /\.csv, \.csv\.gz, \.parquet/);
  });

  test("readTable rejects an unknown extension and lists the supported ones", async () => {
    const path = join(dir, "data.xlsx");
    writeFileSync(path, "x");
    await rejects(
      () => readTable(path),
      InvalidInputError,
      path,
      /unknown file extension/,
      /\.csv, \.csv\.gz, \.parquet/,
    );
  });

  test("readTable says a corrupt .csv.gz is not valid gzip", async () => {
    const path = join(dir, "bad.csv.gz");
    writeFileSync(path, "not gzip at all");
    await rejects(() => readTable(path), InvalidInputError, path, /not a valid gzip file/);
  });
});

describe("writeTable", () => {
  test("writeTable refuses to overwrite unless asked, for every format", async () => {
    for (const ext of [".csv", ".csv.gz", ".parquet"]) {
      const path = join(dir, `exists${ext}`);
      writeFileSync(path, "old");
      await rejects(
        () => writeTable(path, small()),
        IoError,
        path,
        /already exists/,
        /--overwrite/,
      );
      assert.equal(readFileSync(path, "utf8"), "old", "the old file is untouched");
      await writeTable(path, small(), { overwrite: true });
      // CSV writes 1 and 2 as integers, so they read back as int64; Parquet keeps float64.
      const back = await readTable(path, { types: { x: "float64" } });
      assertTablesEqual(back, small(), ext);
    }
  });

  test("writeTable removes its temporary file and leaves no output when writing fails", async () => {
    const bad = edgeTable();
    const text = bad.columns.find((c) => c.type === "string")!;
    (text.values as unknown[])[0] = Symbol("not a string");
    for (const ext of [".csv", ".parquet"]) {
      const path = join(dir, `fails${ext}`);
      await assert.rejects(() => writeTable(path, bad));
      assert.equal(existsSync(path), false, `${ext}: no partial file under the final name`);
    }
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes(".tmp")),
      [],
      "no temporary files left",
    );
  });

  test("writeTable rejects malformed tables before touching the disk", async () => {
    const path = join(dir, "malformed.csv");
    await rejects(
      () => writeTable(path, { rows: 3, columns: small().columns }),
      InvalidInputError,
      path,
      /2 values but the table has 3 rows/,
    );
    await rejects(
      () => writeTable(path, { rows: 0, columns: [] }),
      InvalidInputError,
      path,
      /no columns/,
    );
    await rejects(
      () => writeTable(path, { rows: 2, columns: [...small().columns, ...small().columns] }),
      InvalidInputError,
      path,
      /two columns are named "x"/,
    );
    await rejects(
      () =>
        writeTable(path, {
          rows: 2,
          columns: [
            { name: "x", type: "int64", values: Float64Array.from([1, 2]), nulls: null } as never,
          ],
        }),
      InvalidInputError,
      path,
      /BigInt64Array/,
    );
    assert.equal(existsSync(path), false);
  });

  test("writeTable names a missing directory and an unknown extension", async () => {
    const path = join(dir, "no-such-dir", "out.csv");
    await rejects(() => writeTable(path, small()), IoError, path, /does not exist/);
    const odd = join(dir, "out.txt");
    await rejects(
      () => writeTable(odd, small()),
      InvalidInputError,
      odd,
      /\.csv, \.csv\.gz, \.parquet/,
    );
  });

  test("writeTable writes 0-row tables that read back with their columns", async () => {
    const empty: Table = {
      rows: 0,
      columns: [{ name: "x", type: "float64", values: new Float64Array(0), nulls: null }],
    };
    for (const ext of [".csv", ".parquet"]) {
      const path = join(dir, `empty${ext}`);
      await writeTable(path, empty);
      assertTablesEqual(await readTable(path), empty, ext);
    }
  });
});
