/** Arrow IPC files and streams: every column type and edge value round-trips; bad files are named. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Float64, Int64, Table, tableToIPC, Uint64, vectorFromArray } from "apache-arrow";
import { openTableStream, readTable, writeTable } from "../../src/io/index.js";
import { assertTablesEqual, edgeTable, tempDir } from "./helpers.js";

describe("Arrow IPC", () => {
  for (const ext of [".arrow", ".arrows", ".feather"]) {
    test(`writeTable then readTable (${ext}): every type, edge value and null comes back`, async () => {
      const { dir, cleanup } = tempDir();
      try {
        const t = edgeTable();
        const path = join(dir, `t${ext}`);
        await writeTable(path, t);
        assertTablesEqual(await readTable(path), t, ext);
        const some = await readTable(path, { columns: ["i32", "f64"], types: { i32: "float64" } });
        assert.deepEqual(
          some.columns.map((c) => [c.name, c.type]),
          [
            ["i32", "float64"],
            ["f64", "float64"],
          ],
        );
      } finally {
        cleanup();
      }
    });
  }

  test("a directory of Arrow parts streams in blocks that span parts", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const t = edgeTable();
      for (const i of [0, 1, 2]) await writeTable(join(dir, `part-${i}.arrow`), t);
      const s = await openTableStream(dir, { blockRows: 5 });
      const sizes: number[] = [];
      for await (const b of s.blocks()) sizes.push(b.table.rows);
      assert.deepEqual(sizes, [5, 5, 5, 5, 4]);
      assert.deepEqual(
        s.schema.map((c) => c.name),
        t.columns.map((c) => c.name),
      );
    } finally {
      cleanup();
    }
  });

  test("a text file named .arrow and a truncated Arrow file are named in the error", async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, "text.arrow"), "a,b\n1,2\n");
      await assert.rejects(readTable(join(dir, "text.arrow")), /text\.arrow: not an Arrow IPC/);
      const t = edgeTable();
      await writeTable(join(dir, "full.arrows"), t);
      const { readFileSync } = await import("node:fs");
      const bytes = readFileSync(join(dir, "full.arrows"));
      writeFileSync(join(dir, "cut.arrows"), bytes.subarray(0, bytes.length - 200));
      await assert.rejects(readTable(join(dir, "cut.arrows")), /cut\.arrows/);
    } finally {
      cleanup();
    }
  });

  test("a UInt64 beyond int64, and forced types that would change a value, are errors naming row and value", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, "u.arrow");
      const table = new Table({
        u: vectorFromArray([1n, 18446744073709551615n, 3n], new Uint64()),
        big: vectorFromArray([1n, 2n, 9007199254740993n], new Int64()),
        f: vectorFromArray([1, 2.5, 3], new Float64()),
      });
      writeFileSync(path, tableToIPC(table, "file"));
      await assert.rejects(
        () => readTable(path, { columns: ["u"] }),
        (e: Error) => {
          assert.match(
            e.message,
            /u\.arrow: row 2, column "u": 18446744073709551615 is beyond the int64 range/,
          );
          assert.match(e.message, /--columns/);
          return true;
        },
      );
      await assert.rejects(
        () => readTable(path, { columns: ["big"], types: { big: "float64" } }),
        /row 3, column "big": 9007199254740993 cannot be held exactly by float64/,
      );
      await assert.rejects(
        () => readTable(path, { columns: ["f"], types: { f: "int64" } }),
        /row 2, column "f": 2\.5 is not an integer/,
      );
      // What fits is read exactly.
      const t = await readTable(path, { columns: ["big", "f"] });
      assert.deepEqual([...(t.columns[0]!.values as BigInt64Array)], [1n, 2n, 9007199254740993n]);
      const s = await openTableStream(path, { columns: ["u"], blockRows: 2 });
      await assert.rejects(async () => {
        for await (const _ of s.blocks());
      }, /row 2, column "u"/);
    } finally {
      cleanup();
    }
  });
});
