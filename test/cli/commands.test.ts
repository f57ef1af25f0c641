/** `--help`, `--version`, `demo`, and how the CLI behaves as part of a shell pipeline. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CLI, inTempDir, ok, put, run } from "./helpers.js";

const COMMANDS = ["fit", "transform", "inverse", "evaluate", "inspect", "report", "demo"];

describe("modenorm CLI commands", () => {
  test("--help on every command exits 0 and shows Examples; --version prints the version", async () => {
    await inTempDir((dir) => {
      for (const c of COMMANDS) {
        const r = run(dir, [c, "--help"]);
        assert.equal(r.code, 0, `${c} --help: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`Usage: modenorm ${c}`), `${c} --help: usage line`);
        assert.match(r.stdout, /\nExamples?:\n {2}modenorm /, `${c} --help: examples`);
        assert.equal(r.stderr, "");
      }
      const top = run(dir, ["--help"]);
      assert.equal(top.code, 0);
      for (const c of COMMANDS) assert.ok(top.stdout.includes(c), `top-level help lists ${c}`);
      assert.match(top.stdout, /Exit codes: 0 success; 1 bad input/);
      const v = run(dir, ["--version"]);
      assert.equal(v.code, 0);
      assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+$/);
      assert.equal(v.stdout.trim(), "0.1.0");
    });
  });

  test("demo --rows 20000 --json runs every stage and every value comes back", async () => {
    await inTempDir((dir) => {
      const out = ok(dir, ["demo", "--rows", "20000", "--peer", "off", "--json"]);
      assert.equal(out.trim().split("\n").length, 1);
      const r = JSON.parse(out) as {
        rows: number;
        failed: number;
        evaluateFailed: number;
        stages: { stage: string; rows: number; seconds: number; peakRssMB: number }[];
        model: { columns: { name: string }[] };
        peer: unknown;
        dir: string | null;
        report: string | null;
      };
      assert.equal(r.rows, 20000);
      assert.deepEqual(
        r.stages.map((s) => s.stage),
        ["generate", "fit", "transform", "inverse", "compare", "evaluate", "report"],
      );
      // The demo writes a report of its run where it was started.
      assert.equal(r.report, join(dir, "modenorm-demo-report.html"));
      assert.match(
        readFileSync(r.report, "utf8"),
        /<meta name="generator" content="modenorm report">/,
      );
      for (const s of r.stages) {
        assert.equal(s.rows, 20000);
        assert.ok(s.seconds > 0 && s.peakRssMB > 0, JSON.stringify(s));
      }
      assert.deepEqual(
        r.model.columns.map((c) => c.name),
        ["value", "amount", "channel"],
      );
      assert.equal(r.failed, 0);
      assert.equal(r.evaluateFailed, 0);
      assert.equal(r.peer, null);
      assert.equal(r.dir, null, "the generated files are removed");
      const bad = run(dir, ["demo", "--rows", "5"]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--rows/);
    });
  });

  test("output piped into a reader that stops early (| head) ends quietly, without EPIPE", async (t) => {
    if (process.platform === "win32") {
      t.skip("needs a POSIX shell");
      return;
    }
    await inTempDir((dir) => {
      // `true` exits without reading, so every write of the CLI meets a closed pipe.
      const sh = (args: string) =>
        spawnSync("sh", ["-c", `"${process.execPath}" "${CLI}" ${args} | true`], {
          cwd: dir,
          encoding: "utf8",
        });
      put(dir, "in.csv", "x,y\n1,a\n2,b\n3,c\n4,a\n5.5,b\n6.25,c\n7,a\n");
      ok(dir, ["fit", "in.csv", "-o", "m.json"]);
      for (const args of ["inspect m.json --json", "inspect m.json", "fit --help"]) {
        const r = sh(args);
        assert.equal(r.stderr, "", `modenorm ${args} | true: stderr must stay empty`);
      }
    });
  });

  test("evaluate does not hold the dense layout of a high-cardinality column in memory", async () => {
    await inTempDir((dir) => {
      // 8,000 distinct ids: a dense one-hot of the whole table is 8000 × 8000 float32 = 256 MB.
      const lines = ["id,x"];
      for (let i = 0; i < 8000; i++) lines.push(`id${i},${Math.sin(i) * 100}`);
      put(dir, "ids.csv", `${lines.join("\n")}\n`);
      ok(dir, ["fit", "ids.csv", "-o", "m.json"]);
      const rss =
        "data:text/javascript,process.on('exit',()=>process.stderr.write('maxRSS='+process.resourceUsage().maxRSS+'\\n'))";
      const peak = (args: string[]) => {
        const r = run(dir, args, ["--import", rss]);
        assert.equal(r.code, 0, r.stderr);
        const m = /maxRSS=(\d+)/.exec(r.stderr);
        assert.ok(m, r.stderr);
        return Number(m[1]) / 1024; // MB
      };
      const transform = peak(["transform", "ids.csv", "-m", "m.json", "-o", "enc.csv"]);
      const evaluate = peak(["evaluate", "ids.csv", "-m", "m.json", "--json"]);
      assert.ok(
        evaluate < transform + 100,
        `evaluate peaked at ${evaluate.toFixed(0)} MB, transform (compact) at ${transform.toFixed(0)} MB`,
      );
    });
  });
});

test("reported seconds and rates cover the whole command, start-up included", async () => {
  await inTempDir((dir) => {
    put(dir, "a.csv", `x\n${Array.from({ length: 300 }, (_, i) => (i % 17) / 4 + 1).join("\n")}\n`);
    // A start-up that takes 1.5 s before the command's own code runs.
    const slowStart = [
      "--import",
      "data:text/javascript,Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,1500)",
    ];
    const json = (args: string[]) => {
      const r = run(dir, [...args, "--json"], slowStart);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout.trim().split("\n").pop()!) as {
        seconds: number;
        rows?: number;
        rowsPerSecond?: number;
      };
    };
    const reports = [
      json(["fit", "a.csv", "-o", "m.json"]),
      json(["transform", "a.csv", "-m", "m.json", "-o", "enc"]),
      json(["inverse", "enc", "-m", "m.json", "-o", "dec.csv"]),
      json(["evaluate", "a.csv", "-m", "m.json"]),
      json(["compare", "a.csv", "dec.csv"]),
    ];
    for (const r of reports) {
      assert.ok(r.seconds >= 1.5, `seconds ${r.seconds} must include the 1.5 s start-up`);
      if (r.rowsPerSecond !== undefined) {
        assert.ok(r.rowsPerSecond <= 300 / 1.5, `rate ${r.rowsPerSecond} over the whole command`);
      }
    }
  });
});
