/**
 * A sharded output is written by one run at a time and certified only as it is on disk: a second
 * open of the same output while the first holds it is refused, a failed run lets go of its lock,
 * and a shard changed under a run stops its finish before a manifest is written.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, rmSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Table } from "../../src/core/table.js";
import { LOCK_NAME, openShardedOutput } from "../../src/io/index.js";
import { tempDir, thirds } from "./helpers.js";

const part = (rows: number, from: number): Table => ({ rows, columns: [thirds(from, rows)] });

test("openShardedOutput refuses a second run while the first holds the output", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, "out");
    const first = await openShardedOutput(path, { format: "parquet", run: { n: 1 } });
    assert.ok(existsSync(join(`${path}.partial`, LOCK_NAME)));
    await assert.rejects(
      openShardedOutput(path, { format: "parquet", run: { n: 2 }, overwrite: true }),
      (err: Error) =>
        err.message.includes(`PID ${process.pid}`) && err.message.includes("is writing"),
    );
    await first.writeShard(0, 0, [part(10, 0)]);
    await first.finish({});
    assert.deepEqual(readdirSync(path).sort(), ["_manifest.json", "part-000000.parquet"]);
    // Finished: the output is free for the next run.
    const second = await openShardedOutput(path, {
      format: "parquet",
      run: { n: 2 },
      overwrite: true,
    });
    await second.writeShard(0, 0, [part(5, 0)]);
    assert.equal((await second.finish({})).rows, 5);
  } finally {
    cleanup();
  }
});

test("openShardedOutput writes no manifest over a shard changed under the run", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, "out");
    const out = await openShardedOutput(path, { format: "parquet", run: { n: 1 } });
    await out.writeShard(0, 0, [part(10, 0)]);
    await out.writeShard(1, 10, [part(10, 10)]);
    truncateSync(join(`${path}.partial`, "part-000001.parquet"), 7);
    await assert.rejects(out.finish({}), /part-000001\.parquet has 7 bytes where \d+ were written/);
    assert.ok(!existsSync(path), "no output under the final name");
    assert.ok(!existsSync(join(`${path}.partial`, "_manifest.json")), "no manifest");
    // The failed run let go of its lock: starting over is allowed.
    const again = await openShardedOutput(path, {
      format: "parquet",
      run: { n: 1 },
      overwrite: true,
    });
    await again.writeShard(0, 0, [part(3, 0)]);
    assert.equal((await again.finish({})).rows, 3);
  } finally {
    cleanup();
  }
});

test("a resumed run leaves out the temporary shard file of the attempt that was killed", async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, "out");
    const first = await openShardedOutput(path, { format: "parquet", run: { n: 1 } });
    await first.writeShard(0, 0, [part(10, 0)]);
    // Killed while writing shard 1: its temporary file stays in the partial output.
    const shard = await first.openShard(1, 10);
    await shard.write(part(5, 10));
    const stray = readdirSync(`${path}.partial`).filter((f) => f.endsWith(".tmp"));
    assert.equal(stray.length, 1, "shard 1 is being written to a temporary file");
    // The killed run's lock is stale (its process is gone): removed here, as a takeover would.
    rmSync(join(`${path}.partial`, LOCK_NAME));
    const again = await openShardedOutput(path, { format: "parquet", run: { n: 1 }, resume: true });
    assert.deepEqual([...again.done.keys()], [0]);
    await again.writeShard(1, 10, [part(10, 10)]);
    assert.equal((await again.finish({})).rows, 20);
    assert.deepEqual(readdirSync(path).sort(), [
      "_manifest.json",
      "part-000000.parquet",
      "part-000001.parquet",
    ]);
  } finally {
    cleanup();
  }
});
