/**
 * Streaming commands end to end: directories of part files in, shards and a manifest out, the
 * same bits for any block, shard or thread count, standard input and output, killed runs and
 * `--resume`, a full disk.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Table } from "../../src/core/table.js";
import { openTableStream, readTable, writeTable } from "../../src/io/index.js";
import { INCOMPLETE_NAME, MANIFEST_NAME, type ShardManifest } from "../../src/io/shards.js";
import { assertTablesEqual, CLI, fails, inTempDir, ok, run } from "./helpers.js";

/** A multi-modal column with outliers, nulls and a category: rows firstRow… of one table. */
function partTable(firstRow: number, rows: number): Table {
  const x = new Float64Array(rows);
  const nulls = new Uint8Array(rows);
  const k = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const r = firstRow + i;
    const u = Math.sin(r * 12.9898) * 43758.5453;
    const f = u - Math.floor(u);
    x[i] = r % 997 === 0 ? 1e9 * f : [3, 40, 250][r % 3]! + 10 * f * ((r % 3) + 1);
    nulls[i] = r % 1013 === 0 ? 1 : 0;
    k[i] = r % 5;
  }
  return {
    rows,
    columns: [
      { name: "x", type: "float64", values: x, nulls },
      { name: "k", type: "int32", values: k, nulls: null },
    ],
  };
}

/** Writes `sizes.length` Parquet parts of the given sizes into `dir/name`; returns the whole table. */
async function writeParts(dir: string, name: string, sizes: number[]): Promise<Table> {
  mkdirSync(join(dir, name));
  let at = 0;
  for (const [j, n] of sizes.entries()) {
    await writeTable(join(dir, name, `part-${j}.parquet`), partTable(at, n));
    at += n;
  }
  return partTable(0, at);
}

/** Every row of a file, directory or glob. */
async function readAll(path: string): Promise<Table> {
  const s = await openTableStream(path, { blockRows: 1 << 22 });
  const blocks: Table[] = [];
  for await (const b of s.blocks()) blocks.push(b.table);
  await s.close();
  assert.ok(blocks.length <= 1, "test tables fit in one block");
  return blocks[0] ?? { rows: 0, columns: [] };
}

function manifestOf(dir: string): ShardManifest {
  return JSON.parse(readFileSync(join(dir, MANIFEST_NAME), "utf8")) as ShardManifest;
}

describe("streaming CLI", () => {
  test("a directory of parts: fit, sharded transform and inverse give every value back, with a manifest", async () => {
    await inTempDir(async (dir) => {
      const table = await writeParts(dir, "in", [30000, 7, 50000, 12345]);
      ok(dir, ["fit", "in", "-o", "m.json", "--block-rows", "8192"]);
      const args = ["--block-rows", "8192", "--shard-rows", "32768"];
      ok(dir, ["transform", "in", "-m", "m.json", "-o", "enc", ...args]);
      const m = manifestOf(join(dir, "enc"));
      assert.equal(m.complete, true);
      assert.equal(m.rows, table.rows);
      assert.equal(m.shards.length, Math.ceil(table.rows / 32768));
      assert.deepEqual(
        m.shards.map((s) => s.firstRow),
        m.shards.map((_, j) => j * 32768),
      );
      assert.deepEqual(
        m.columns.map((c) => c.name),
        ["x.alpha", "x.mode", "x.residual", "k.index"],
      );
      assert.equal(typeof m.run.model, "string");
      assert.ok(!existsSync(join(dir, "enc.partial")), "no partial directory is left");
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec", ...args]);
      assertTablesEqual(await readAll(join(dir, "dec")), table, "decoded");
      const ev = JSON.parse(ok(dir, ["evaluate", "in", "-m", "m.json", "--json"]));
      assert.equal(ev.rows, table.rows);
      for (const c of ev.columns) assert.equal(c.compact.exact, c.rows, c.name);
    });
  });

  test("the encoded bits do not depend on block size, shard size, thread count, output kind or compression", async () => {
    await inTempDir(async (dir) => {
      await writeParts(dir, "in", [20000, 20001]);
      ok(dir, ["fit", "in", "-o", "m.json"]);
      const variants = [
        ["-o", "a", "--block-rows", "4096", "--shard-rows", "8192", "--threads", "1"],
        ["-o", "b", "--block-rows", "65536", "--threads", "2"],
        ["-o", "c.parquet", "--block-rows", "1000", "--threads", "3"],
        // DuckDB's writer (zstd) from the reused shared blocks.
        ["-o", "d", "--block-rows", "4096", "--shard-rows", "8192", "--compression", "zstd"],
      ];
      const tables: Table[] = [];
      for (const v of variants) {
        ok(dir, ["transform", "in", "-m", "m.json", ...v]);
        tables.push(await readAll(join(dir, v[1]!)));
      }
      assertTablesEqual(tables[1]!, tables[0]!, "b vs a");
      assertTablesEqual(tables[2]!, tables[0]!, "c vs a");
      assertTablesEqual(tables[3]!, tables[0]!, "d vs a");
    });
  });

  test("standard input to standard output composes with a pipe, and the report goes to stderr", async () => {
    await inTempDir(async (dir) => {
      const csv = ["v", ...Array.from({ length: 3000 }, (_, i) => String((i % 7) * 10.5 + i / 3))];
      writeFileSync(join(dir, "in.csv"), `${csv.join("\n")}\n`);
      ok(dir, ["fit", "in.csv", "-o", "m.json"]);
      const enc = spawnSync(
        process.execPath,
        [CLI, "transform", "-", "-m", "m.json", "-o", "-", "--block-rows", "1000"],
        { cwd: dir, input: readFileSync(join(dir, "in.csv")), encoding: "utf8" },
      );
      assert.equal(enc.status, 0, enc.stderr);
      assert.ok(enc.stdout.startsWith("v.alpha,v.mode,v.residual\n"));
      assert.equal(enc.stdout.split("\n").filter((l) => l.startsWith("v.alpha")).length, 1);
      assert.match(enc.stderr, /encoded 3000 rows/);
      const dec = spawnSync(
        process.execPath,
        [CLI, "inverse", "-", "-m", "m.json", "--no-model-check", "-o", "-"],
        {
          cwd: dir,
          input: enc.stdout,
          encoding: "utf8",
        },
      );
      assert.equal(dec.status, 0, dec.stderr);
      assert.equal(dec.stdout, readFileSync(join(dir, "in.csv"), "utf8"));
    });
  });

  test("Arrow IPC: stream on standard input and output, and Arrow shards, give every value back", async () => {
    await inTempDir(async (dir) => {
      const table = await writeParts(dir, "in", [20000, 15000]);
      ok(dir, ["fit", "in", "-o", "m.json"]);
      await writeTable(join(dir, "in.arrows"), table);
      const enc = spawnSync(
        process.execPath,
        [
          CLI,
          "transform",
          "-",
          "-m",
          "m.json",
          "-o",
          "-",
          "--format",
          "arrow",
          "--block-rows",
          "8192",
        ],
        { cwd: dir, input: readFileSync(join(dir, "in.arrows")), maxBuffer: 1 << 28 },
      );
      assert.equal(enc.status, 0, String(enc.stderr));
      assert.equal(enc.stdout.readUInt32LE(0), 0xffffffff, "an Arrow IPC stream");
      writeFileSync(join(dir, "enc.arrows"), enc.stdout);
      ok(dir, [
        "inverse",
        "enc.arrows",
        "-m",
        "m.json",
        "--no-model-check",
        "-o",
        "dec",
        "--format",
        "arrow",
      ]);
      assert.ok(readdirSync(join(dir, "dec")).includes("part-000000.arrow"));
      assertTablesEqual(await readAll(join(dir, "dec")), table, "decoded");
      ok(dir, ["compare", "in", "dec"]);
    });
  });

  test("a killed run leaves only <out>.partial, which readers refuse and --resume finishes bit for bit", async () => {
    await inTempDir(async (dir) => {
      await writeParts(dir, "in", [400000, 400000]);
      ok(dir, ["fit", "in", "-o", "m.json"]);
      const args = ["--block-rows", "16384", "--shard-rows", "16384", "--threads", "1"];
      ok(dir, ["transform", "in", "-m", "m.json", "-o", "clean", ...args]);
      // Kill the run once a few shards are done (and before the end).
      const child = spawn(
        process.execPath,
        [CLI, "transform", "in", "-m", "m.json", "-o", "enc", ...args],
        {
          cwd: dir,
          stdio: "ignore",
        },
      );
      const journal = join(dir, "enc.partial", "_progress.jsonl");
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (existsSync(journal) && readFileSync(journal, "utf8").split("\n").length > 4) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      assert.ok(!existsSync(join(dir, "enc")), "no output under the final name");
      assert.ok(existsSync(join(dir, "enc.partial", INCOMPLETE_NAME)), "marked incomplete");
      const finished = readFileSync(journal, "utf8").split("\n").length - 1;
      assert.ok(finished >= 4 && finished < 48, `killed mid-run (${finished} shards done)`);
      fails(dir, ["inverse", "enc.partial", "-m", "m.json", "-o", "x.csv"], 1, [
        "enc.partial",
        "incomplete",
        "--resume",
      ]);
      fails(dir, ["transform", "in", "-m", "m.json", "-o", "enc", ...args], 1, [
        "enc.partial",
        "--resume",
      ]);
      fails(
        dir,
        ["transform", "in", "-m", "m.json", "-o", "enc", "--resume", "--layout", "dense", ...args],
        1,
        ["enc.partial", "different run"],
      );
      const r = JSON.parse(
        ok(dir, ["transform", "in", "-m", "m.json", "-o", "enc", "--resume", "--json", ...args]),
      );
      assert.ok(
        r.skippedRows >= finished * 16384,
        `finished shards were not redone: ${r.skippedRows}`,
      );
      assert.equal(r.rows, 800000);
      assert.ok(!existsSync(join(dir, "enc.partial")));
      assertTablesEqual(
        await readAll(join(dir, "enc")),
        await readAll(join(dir, "clean")),
        "resumed",
      );
      const again = ok(dir, ["transform", "in", "-m", "m.json", "-o", "enc", "--resume", ...args]);
      assert.match(again, /already complete/);
    });
  });

  test("an existing output directory is refused without --overwrite and replaced with it", async () => {
    await inTempDir(async (dir) => {
      await writeParts(dir, "in", [5000]);
      ok(dir, ["fit", "in", "-o", "m.json"]);
      ok(dir, ["transform", "in", "-m", "m.json", "-o", "enc"]);
      const before = readFileSync(join(dir, "enc", MANIFEST_NAME), "utf8");
      fails(dir, ["transform", "in", "-m", "m.json", "-o", "enc", "--layout", "dense"], 1, [
        "enc",
        "already exists",
        "--overwrite",
      ]);
      assert.equal(readFileSync(join(dir, "enc", MANIFEST_NAME), "utf8"), before);
      ok(dir, ["transform", "in", "-m", "m.json", "-o", "enc", "--layout", "dense", "--overwrite"]);
      assert.equal(manifestOf(join(dir, "enc")).info.layout, "dense");
      assert.deepEqual(readdirSync(dir).sort(), ["enc", "in", "m.json"]);
    });
  });

  test("a damaged sharded output (a shard removed or cut short) is refused when read", async () => {
    await inTempDir(async (dir) => {
      await writeParts(dir, "in", [70000]);
      ok(dir, ["fit", "in", "-o", "m.json"]);
      ok(dir, [
        "transform",
        "in",
        "-m",
        "m.json",
        "-o",
        "enc",
        "--block-rows",
        "16384",
        "--shard-rows",
        "16384",
      ]);
      const shard = join(dir, "enc", "part-000001.parquet");
      writeFileSync(shard, readFileSync(shard).subarray(0, 100));
      fails(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec.csv"], 1, [
        "part-000001.parquet",
        "damaged",
      ]);
    });
  });

  test("bad input mid-stream: named file and line, non-zero exit, no output and no partial directory", async () => {
    await inTempDir(async (dir) => {
      mkdirSync(join(dir, "in"));
      const good = ["v", ...Array.from({ length: 5000 }, (_, i) => String(i % 50))].join("\n");
      writeFileSync(join(dir, "in", "a.csv"), `${good}\n`);
      writeFileSync(join(dir, "in", "b.csv"), `v\n1\n2\nabc\n4\n`);
      ok(dir, ["fit", "in/a.csv", "--continuous", "v", "-o", "m.json"]);
      fails(
        dir,
        [
          "transform",
          "in",
          "-m",
          "m.json",
          "-o",
          "enc",
          "--block-rows",
          "1000",
          "--shard-rows",
          "1000",
        ],
        1,
        ["b.csv", "line 4", "abc"],
      );
      writeFileSync(join(dir, "in", "b.csv"), `v\n1\n2,3\n`);
      fails(dir, ["fit", "in", "-o", "m2.json"], 1, ["b.csv", "line 3"]);
    });
  });

  test("parts with different schemas: the message names both files", async () => {
    await inTempDir(async (dir) => {
      await writeParts(dir, "in", [100]);
      await writeTable(join(dir, "in", "part-9.parquet"), {
        rows: 1,
        columns: [{ name: "y", type: "float64", values: new Float64Array(1), nulls: null }],
      });
      fails(dir, ["fit", "in", "-o", "m.json"], 1, ["part-9.parquet", "part-0.parquet", "schema"]);
    });
  });

  test("a part that is truncated or not Parquet is named", async () => {
    await inTempDir(async (dir) => {
      await writeParts(dir, "in", [100, 100]);
      const p = join(dir, "in", "part-1.parquet");
      writeFileSync(p, readFileSync(p).subarray(0, 50));
      fails(dir, ["fit", "in", "-o", "m.json"], 1, ["part-1.parquet"]);
    });
  });

  test("standard output on a full disk: a clear message and a non-zero exit", async () => {
    await inTempDir(async (dir) => {
      await writeParts(dir, "in", [50000]);
      ok(dir, ["fit", "in", "-o", "m.json"]);
      const r = spawnSync(
        "sh",
        ["-c", `"${process.execPath}" "${CLI}" transform in -m m.json -o - > /dev/full`],
        { cwd: dir, encoding: "utf8" },
      );
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /standard output: cannot write \(ENOSPC/);
    });
  });

  test("a file system that fills up: the error names the output, and --resume finishes after space is freed", async (t) => {
    await inTempDir(async (dir) => {
      const mnt = join(dir, "small");
      mkdirSync(mnt);
      const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], {
        encoding: "utf8",
      });
      if (m.status !== 0) {
        t.skip(`cannot mount a small tmpfs here (needs root): ${m.stderr.trim()}`);
        return;
      }
      try {
        await writeParts(dir, "in", [300000]);
        ok(dir, ["fit", "in", "-o", "m.json"]);
        const args = [
          "in",
          "-m",
          "m.json",
          "-o",
          join(mnt, "enc"),
          "--block-rows",
          "16384",
          "--shard-rows",
          "16384",
        ];
        const r = run(dir, ["transform", ...args]);
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /enc\.partial|enc/);
        assert.ok(!r.stderr.includes("internal error"), r.stderr);
        assert.ok(!existsSync(join(mnt, "enc")), "no output that looks complete");
        spawnSync("mount", ["-o", "remount,size=64m", mnt]);
        const done = JSON.parse(ok(dir, ["transform", ...args, "--resume", "--json"]));
        assert.equal(done.rows, 300000);
        assert.ok(done.skippedRows > 0, "shards written before the disk filled are kept");
      } finally {
        spawnSync("umount", [mnt]);
      }
    });
  });

  test("inverse reads an encoded directory with either layout's columns and refuses others", async () => {
    await inTempDir(async (dir) => {
      const table = await writeParts(dir, "in", [3000]);
      ok(dir, ["fit", "in", "-o", "m.json"]);
      ok(dir, ["transform", "in", "-m", "m.json", "-o", "dense", "--layout", "dense"]);
      ok(dir, ["inverse", "dense", "-m", "m.json", "-o", "dec.parquet"]);
      const dec = await readTable(join(dir, "dec.parquet"));
      assert.equal(dec.rows, table.rows);
      fails(dir, ["inverse", "in", "-m", "m.json", "--no-model-check", "-o", "x.parquet"], 1, [
        "in",
        "neither layout",
      ]);
    });
  });
});
