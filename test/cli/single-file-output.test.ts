/**
 * Single-file outputs written block by block into a temporary file: the same values as the
 * sharded output, nothing left behind on bad input or on SIGINT / SIGTERM (exit 130 / 143), and a
 * directory's `.partial` kept for `--resume`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { CLI, fails, inTempDir, listing, ok, put } from "./helpers.js";

/** A CSV of `rows` rows: a number column with a few modes and a text column. */
function dataCsv(rows: number): string {
  const lines = ["x,c"];
  for (let i = 0; i < rows; i++)
    lines.push(`${((i * 7919) % 13) * 1.25 + (i % 3) / 8},${"abc"[i % 3]}`);
  return `${lines.join("\n")}\n`;
}

const temporaries = (dir: string) => listing(dir).filter((n) => n.endsWith(".tmp"));

describe("single-file outputs written block by block", () => {
  test("transformCommand writes the same bytes or values to a file as to shards", async () => {
    await inTempDir((dir) => {
      put(dir, "in.csv", dataCsv(5000));
      ok(dir, ["fit", "in.csv", "-o", "m.json"]);
      const blocks = ["--block-rows", "1000", "--shard-rows", "1000"];
      for (const f of ["o.csv", "o.csv.gz", "o.parquet", "o.arrow", "o.arrows"]) {
        ok(dir, ["transform", "in.csv", "-m", "m.json", "-o", f, ...blocks]);
      }
      ok(dir, [
        "transform",
        "in.csv",
        "-m",
        "m.json",
        "-o",
        "shards-csv",
        "--format",
        "csv",
        ...blocks,
      ]);
      ok(dir, ["transform", "in.csv", "-m", "m.json", "-o", "shards", ...blocks]);
      // CSV: the shards' concatenation (one header), byte for byte; gzip: that text gzipped.
      const shards = readdirSync(join(dir, "shards-csv"))
        .filter((n) => n.startsWith("part-"))
        .sort();
      assert.equal(shards.length, 5);
      const texts = shards.map((n) => readFileSync(join(dir, "shards-csv", n), "utf8"));
      const joined =
        texts[0]! +
        texts
          .slice(1)
          .map((t) => t.slice(t.indexOf("\n") + 1))
          .join("");
      const csv = readFileSync(join(dir, "o.csv"));
      assert.equal(csv.toString("utf8"), joined);
      assert.deepEqual(readFileSync(join(dir, "o.csv.gz")), gzipSync(csv));
      for (const f of ["o.parquet", "o.arrow", "o.arrows"]) ok(dir, ["compare", "shards", f]);
      // Decoding to every kind of file (text columns go through DuckDB for Parquet).
      for (const f of ["i.csv", "i.parquet", "i.arrow", "i.csv.gz"]) {
        ok(dir, ["inverse", "o.parquet", "-m", "m.json", "-o", f, ...blocks]);
        ok(dir, ["compare", "in.csv", f]);
      }
      assert.deepEqual(readFileSync(join(dir, "i.csv")), readFileSync(join(dir, "in.csv")));
      assert.deepEqual(temporaries(dir), []);
    });
  });

  test("transformCommand leaves no file and no temporary file when a later block has bad input", async () => {
    await inTempDir((dir) => {
      put(dir, "good.csv", dataCsv(100));
      ok(dir, ["fit", "good.csv", "-o", "m.json"]);
      const lines = dataCsv(5000).split("\n");
      lines[3501] = "oops,a";
      put(dir, "bad.csv", lines.join("\n"));
      for (const f of ["o.csv", "o.csv.gz", "o.parquet", "o.arrow"]) {
        fails(dir, ["transform", "bad.csv", "-m", "m.json", "-o", f, "--block-rows", "1000"], 1, [
          "bad.csv",
          "oops",
        ]);
      }
    });
  });
});

/**
 * Starts `transform - -m mx.json -o <output>` fed 1.5M rows on standard input, left open; waits
 * until `ready(dir)`, sends `signal`, and returns the exit code and stderr.
 */
async function interrupt(
  dir: string,
  output: string,
  signal: "SIGINT" | "SIGTERM",
  ready: (dir: string) => boolean,
  extra: string[] = [],
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "transform",
      "-",
      "-m",
      "mx.json",
      "-o",
      output,
      "--block-rows",
      "1000",
      "--no-progress",
      ...extra,
    ],
    { cwd: dir, stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  child.stdin.on("error", () => undefined); // the child stops reading when killed
  // More than one 4 MB read of standard input, so that blocks are written while it stays open.
  const rows = ["x"];
  for (let i = 0; i < 1_500_000; i++) rows.push(`${i % 7}.5`);
  child.stdin.write(`${rows.join("\n")}\n`);
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, stderr })),
  );
  const deadline = Date.now() + 120_000;
  while (!ready(dir)) {
    assert.ok(
      Date.now() < deadline,
      `${output}: the output did not start while the input was open`,
    );
    assert.equal(child.exitCode, null, `the run ended early: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill(signal);
  return exited;
}

/** True once a temporary file of `output` holds some bytes. */
const tempStarted = (output: string) => (dir: string) =>
  listing(dir).some(
    (n) => n.startsWith(`.${output}.`) && n.endsWith(".tmp") && statSync(join(dir, n)).size > 0,
  );

describe("signals during a single-file output", () => {
  for (const [output, signal, code] of [
    ["out.csv", "SIGTERM", 143],
    ["out.parquet", "SIGINT", 130],
    ["out.arrow", "SIGTERM", 143],
  ] as const) {
    test(`transformCommand on ${signal} while writing ${output}: exit ${code}, no temporary file, no output`, async () => {
      await inTempDir(async (dir) => {
        put(dir, "x.csv", "x\n0.5\n1.5\n2.5\n3.5\n4.5\n5.5\n6.5\n");
        ok(dir, ["fit", "x.csv", "-o", "mx.json"]);
        const before = listing(dir);
        // The temporary file fills while standard input is still open: written block by block.
        const r = await interrupt(dir, output, signal, tempStarted(output));
        assert.equal(r.code, code, r.stderr);
        assert.equal(r.stderr, `modenorm: interrupted by ${signal}; ${output} was not written\n`);
        assert.deepEqual(listing(dir), before);
      });
    });
  }

  test("transformCommand on SIGTERM keeps a directory output's .partial", async () => {
    await inTempDir(async (dir) => {
      put(dir, "x.csv", "x\n0.5\n1.5\n2.5\n3.5\n4.5\n5.5\n6.5\n");
      ok(dir, ["fit", "x.csv", "-o", "mx.json"]);
      const shardDone = (d: string) =>
        listing(d).includes("out.partial") &&
        listing(join(d, "out.partial")).includes("part-000000.parquet");
      const r = await interrupt(dir, "out", "SIGTERM", shardDone, ["--shard-rows", "2000"]);
      assert.equal(r.code, 143, r.stderr);
      assert.match(
        r.stderr,
        /^modenorm: interrupted by SIGTERM; out was not written; shards already finished are kept in out\.partial: rerun the same command with --resume to continue\n$/,
      );
      assert.ok(listing(join(dir, "out.partial")).includes("part-000000.parquet"));
      assert.ok(!listing(dir).includes("out"));
    });
  });
});
