/**
 * What modenorm may destroy or mix up: `--overwrite` replaces only its own earlier outputs (never
 * an input, the working directory or a directory holding other files), `inverse` decodes only
 * with the model the data was encoded with, and one run at a time writes an output directory.
 * Through the built CLI, on real files.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { modelChecksum } from "../../src/cli/model-check.js";
import { modelFromJson } from "../../src/encode/model-file.js";
import { LOCK_NAME } from "../../src/io/index.js";
import { CLI, fails, inTempDir, ok, put, run } from "./helpers.js";
import { tree, until } from "./hostile-helpers.js";

const BAD_INPUT = 1;

/** `rows` rows of one float column `x` with a header. */
function xCsv(rows: number, offset = 0): string {
  const lines = ["x"];
  for (let i = 0; i < rows; i++) lines.push(String(((i * 7919) % 1000) / 8 + offset));
  return `${lines.join("\n")}\n`;
}

/** Runs a command that must fail with exit 1 and a message, and leave `dir` exactly as it was. */
function refused(dir: string, cwd: string, args: string[], mentions: string[]): void {
  const before = tree(dir);
  const r = run(cwd, args);
  const what = `modenorm ${args.join(" ")}`;
  assert.equal(r.code, BAD_INPUT, `${what}: exit code\n${r.stderr}`);
  for (const m of mentions) assert.ok(r.stderr.includes(m), `${what}: mentions ${m}:\n${r.stderr}`);
  assert.ok(!/\n\s+at /.test(r.stderr), `${what}: no stack trace:\n${r.stderr}`);
  assert.deepEqual(tree(dir), before, `${what}: nothing may change`);
}

describe("--overwrite replaces only an earlier output of modenorm", () => {
  test("an output directory holding the input and another file is refused, both kept", async () => {
    await inTempDir((dir) => {
      mkdirSync(join(dir, "in"));
      put(dir, "in/data.csv", "x\n1.5\n2.5\n3.25\n4.75\n");
      put(dir, "in/notes.txt", "keep\n");
      ok(dir, ["fit", "in/data.csv", "-o", "m.json"]);
      const args = ["transform", "in/data.csv", "-m", "m.json"];
      refused(dir, dir, [...args, "-o", "in", "--overwrite"], ["in:", "holds an input"]);
      refused(dir, dir, [...args, "-o", "in/", "--overwrite"], ["holds an input"]);
      refused(dir, dir, [...args, "-o", ".", "--overwrite"], ["working directory"]);
      mkdirSync(join(dir, "in", "sub"));
      refused(
        dir,
        join(dir, "in", "sub"),
        ["transform", "../data.csv", "-m", "../../m.json", "-o", "..", "--overwrite"],
        ["working directory"],
      );
      assert.equal(readFileSync(join(dir, "in/notes.txt"), "utf8"), "keep\n");
    });
  });

  test("the input, the model and a link to the input are never replaced", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", xCsv(50));
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      symlinkSync(join(dir, "a.csv"), join(dir, "link.csv"));
      const t = ["transform", "a.csv", "-m", "m.json"];
      refused(dir, dir, [...t, "-o", "a.csv", "--overwrite"], ["a.csv", "is an input"]);
      refused(dir, dir, [...t, "-o", "m.json", "--overwrite"], ["m.json", "is an input"]);
      refused(dir, dir, [...t, "-o", "link.csv", "--overwrite"], ["link.csv", "is an input"]);
      refused(dir, dir, ["fit", "a.csv", "-o", "a.csv", "--overwrite"], ["is an input"]);
      ok(dir, [...t, "-o", "enc"]);
      refused(
        dir,
        dir,
        ["inverse", "enc", "-m", "m.json", "-o", "enc", "--overwrite"],
        ["holds an input"],
      );
    });
  });

  test("a directory with other files, or a file where a directory goes, is refused", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", xCsv(50));
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      const t = ["transform", "a.csv", "-m", "m.json"];
      ok(dir, [...t, "-o", "enc"]);
      put(dir, "enc/mine.txt", "mine\n");
      refused(dir, dir, [...t, "-o", "enc", "--overwrite"], ["enc", '"mine.txt"', "did not write"]);
      mkdirSync(join(dir, "photos"));
      put(dir, "photos/cat.jpg", "jpeg");
      refused(dir, dir, [...t, "-o", "photos", "--overwrite"], ["photos", "did not write"]);
      put(dir, "notes", "a file, not a directory\n");
      refused(dir, dir, [...t, "-o", "notes", "--overwrite"], ["notes", "is a file"]);
      put(dir, "other.json", '{"mine": true}\n');
      refused(
        dir,
        dir,
        ["fit", "a.csv", "-o", "other.json", "--overwrite"],
        ["other.json", "not a modenorm model"],
      );
      // A stray file in an interrupted run's directory is not ours either.
      mkdirSync(join(dir, "x.partial"));
      put(dir, "x.partial/keep.me", "1");
      refused(dir, dir, [...t, "-o", "x", "--overwrite"], ["x.partial: holds files", "keep.me"]);
    });
  });

  test("an earlier output of modenorm is replaced", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", xCsv(60));
      put(dir, "b.csv", xCsv(80, 3));
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "enc"]);
      ok(dir, ["transform", "b.csv", "-m", "m.json", "-o", "enc", "--overwrite"]);
      const manifest = JSON.parse(readFileSync(join(dir, "enc/_manifest.json"), "utf8"));
      assert.equal(manifest.rows, 80);
      ok(dir, ["fit", "b.csv", "-o", "m.json", "--overwrite"]);
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "enc.csv"]);
      ok(dir, ["transform", "b.csv", "-m", "m.json", "-o", "enc.csv", "--overwrite"]);
      assert.equal(readFileSync(join(dir, "enc.csv"), "utf8").trim().split("\n").length, 81);
    });
  });
});

describe("inverse decodes only with the model the data was encoded with", () => {
  test("another model is refused naming both checksums; --no-model-check decodes", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", xCsv(200));
      put(dir, "b.csv", xCsv(200, 40));
      ok(dir, ["fit", "a.csv", "-o", "a.json"]);
      ok(dir, ["fit", "b.csv", "-o", "b.json"]);
      ok(dir, ["transform", "a.csv", "-m", "a.json", "-o", "enc"]);
      const sum = (f: string) => modelChecksum(modelFromJson(readFileSync(join(dir, f), "utf8")));
      fails(dir, ["inverse", "enc", "-m", "b.json", "-o", "dec.csv"], BAD_INPUT, [
        "enc",
        sum("a.json"),
        sum("b.json"),
        "--no-model-check",
      ]);
      ok(dir, ["inverse", "enc", "-m", "a.json", "-o", "dec.csv"]);
      ok(dir, ["compare", "a.csv", "dec.csv"]);
      // Overridden explicitly, the wrong model decodes (to other values).
      ok(dir, ["inverse", "enc", "-m", "b.json", "-o", "wrong.csv", "--no-model-check"]);
      assert.equal(run(dir, ["compare", "a.csv", "wrong.csv"]).code, 1);
      // The same model written again (other formatting) has the same checksum.
      const again = JSON.stringify(JSON.parse(readFileSync(join(dir, "a.json"), "utf8")));
      put(dir, "a2.json", again);
      ok(dir, ["inverse", "enc", "-m", "a2.json", "-o", "dec2.csv"]);
    });
  });

  test("a Parquet file records its model; CSV records none and needs --no-model-check", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", xCsv(100));
      put(dir, "b.csv", xCsv(100, 40));
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      ok(dir, ["fit", "b.csv", "-o", "other.json"]);
      // Both Parquet writers: the fixed-width one (uncompressed) and DuckDB's (zstd).
      for (const compression of ["none", "zstd"]) {
        const enc = `enc-${compression}.parquet`;
        ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", enc, "--compression", compression]);
        fails(dir, ["inverse", enc, "-m", "other.json", "-o", "x.csv"], BAD_INPUT, [
          enc,
          "was encoded with the model of SHA-256",
        ]);
        ok(dir, ["inverse", enc, "-m", "m.json", "-o", `dec-${compression}.csv`]);
        ok(dir, ["compare", "a.csv", `dec-${compression}.csv`]);
      }
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "enc.csv"]);
      fails(dir, ["inverse", "enc.csv", "-m", "m.json", "-o", "dec.csv"], BAD_INPUT, [
        "enc.csv",
        "records no model",
        "--no-model-check",
      ]);
      ok(dir, ["inverse", "enc.csv", "-m", "m.json", "-o", "dec.csv", "--no-model-check"]);
      ok(dir, ["compare", "a.csv", "dec.csv"]);
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "enc"]);
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec"]);
      fails(dir, ["inverse", "dec", "-m", "m.json", "-o", "x.csv"], BAD_INPUT, [
        "dec",
        "neither layout",
      ]);
    });
  });

  test("a manifest whose columns were edited is refused", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", xCsv(100));
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "enc"]);
      const path = join(dir, "enc/_manifest.json");
      const m = JSON.parse(readFileSync(path, "utf8"));
      m.columns[1].type = "float64";
      writeFileSync(path, JSON.stringify(m, null, 2));
      fails(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec.csv"], BAD_INPUT, [
        "_manifest.json",
        "x.mode:float64",
        "x.mode:int32",
      ]);
    });
  });
});

describe("one run per output", () => {
  test("a second run into an output being written is refused, naming the first", async () => {
    await inTempDir(async (dir) => {
      const rows = 400_000;
      put(dir, "big.csv", xCsv(rows));
      put(dir, "a.csv", xCsv(2000));
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      // Many small shards: the first run is mid-way for a while. It is paused once it holds the
      // lock, so the second run surely meets it running, then let go.
      const small = ["--block-rows", "1024", "--shard-rows", "1024", "--threads", "1"];
      const first = spawn(
        process.execPath,
        [CLI, "transform", "big.csv", "-m", "m.json", "-o", "race", ...small],
        { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
      );
      let err1 = "";
      first.stderr.on("data", (b) => {
        err1 += b;
      });
      const exited = new Promise<number | null>((r) => first.once("exit", (code) => r(code)));
      try {
        await until("the first run's lock", () => existsSync(join(dir, "race.partial", LOCK_NAME)));
        first.kill("SIGSTOP");
        for (const extra of [["--overwrite"], ["--resume"], []]) {
          const r = run(dir, [
            "transform",
            "a.csv",
            "-m",
            "m.json",
            "-o",
            "race",
            ...small,
            ...extra,
          ]);
          assert.equal(r.code, BAD_INPUT, `second run ${extra.join(" ")}: ${r.stderr}`);
          assert.ok(r.stderr.includes(`PID ${first.pid}`), r.stderr);
          assert.ok(r.stderr.includes("is writing this output"), r.stderr);
        }
      } finally {
        first.kill("SIGCONT");
      }
      assert.equal(await exited, 0, err1);
      const manifest = JSON.parse(readFileSync(join(dir, "race/_manifest.json"), "utf8"));
      assert.equal(manifest.rows, rows);
      assert.ok(!existsSync(join(dir, "race", LOCK_NAME)), "the lock is gone with the run");
      ok(dir, ["inverse", "race", "-m", "m.json", "-o", "dec.csv"]);
      ok(dir, ["compare", "big.csv", "dec.csv"]);
    });
  });

  test("a lock left by a killed run is stale: the next run goes on", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", xCsv(500));
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
      mkdirSync(join(dir, "out.partial"));
      put(dir, "out.partial/_INCOMPLETE", "{}\n");
      put(
        dir,
        `out.partial/${LOCK_NAME}`,
        JSON.stringify({ host: hostname(), pid: gone, started: "then", token: "t" }),
      );
      // Without --overwrite or --resume: the interrupted run is named, not a running one.
      const r = run(dir, ["transform", "a.csv", "-m", "m.json", "-o", "out"]);
      assert.equal(r.code, BAD_INPUT);
      assert.ok(r.stderr.includes("interrupted run"), r.stderr);
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "out", "--overwrite"]);
      assert.deepEqual(readdirSync(join(dir, "out")).sort(), [
        "_manifest.json",
        "part-000000.parquet",
      ]);
    });
  });
});
