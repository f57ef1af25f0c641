/**
 * Directory sinks write each block into its shard as it comes: a block's arrays are handed back
 * once it is written (not when its shard is complete), no shard appears before it is complete,
 * and every shard holds exactly the rows `readTable` reads back, in every shard format.
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Table } from "../../src/core/table.js";
import { openTableSink, readTable, type ShardFormat } from "../../src/io/index.js";
import { tempDir, thirds } from "./helpers.js";

const BLOCK = 100;

function block(from: number, rows = BLOCK): Table {
  return {
    rows,
    columns: [
      thirds(from, rows),
      {
        name: "k",
        type: "int32",
        values: Int32Array.from({ length: rows }, (_, i) => (from + i) % 7),
        nulls: null,
      },
    ],
  };
}

for (const format of ["parquet", "csv", "csv.gz", "arrow"] as ShardFormat[]) {
  test(`directory sink, ${format} shards: blocks are written into shards as they come`, async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, "out");
      const sink = await openTableSink(path, BLOCK, { format, shardRows: 3 * BLOCK, run: {} });
      const sizes = [BLOCK, BLOCK, BLOCK, BLOCK, 40];
      let first = 0;
      for (const [i, rows] of sizes.entries()) {
        let released = false;
        await sink.write({ firstRow: first, table: block(first, rows) }, () => {
          released = true;
        });
        assert.ok(released, `block ${i}: its arrays are handed back once it is written`);
        // Shard 0 (blocks 0-2) is in place only once complete; shard 1 never before the end.
        const shards = readdirSync(`${path}.partial`).filter((f) => f.startsWith("part-"));
        assert.ok(!shards.includes(`part-000001.${format}`), `block ${i}: ${shards}`);
        if (i < 2) assert.deepEqual(shards, [], `block ${i}`);
        first += rows;
      }
      const written = await sink.finish({});
      assert.equal(written.rows, first);
      const files = readdirSync(path).sort();
      assert.deepEqual(files, ["_manifest.json", `part-000000.${format}`, `part-000001.${format}`]);
      const got = [await readTable(join(path, files[1]!)), await readTable(join(path, files[2]!))];
      assert.deepEqual(
        got.map((t) => t.rows),
        [3 * BLOCK, BLOCK + 40],
      );
      const want = block(0, first);
      let at = 0;
      for (const t of got) {
        const x = t.columns.find((c) => c.name === "x")!.values as Float64Array;
        const k = t.columns.find((c) => c.name === "k")!.values;
        for (let r = 0; r < t.rows; r++, at++) {
          assert.equal(x[r], want.columns[0]!.values[at]);
          assert.equal(Number(k[r]), want.columns[1]!.values[at]);
        }
      }
    } finally {
      cleanup();
    }
  });
}
