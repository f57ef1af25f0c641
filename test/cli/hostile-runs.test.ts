/**
 * Hostile timing: two runs into one output at once, a reader racing a writer, runs killed
 * (SIGKILL, SIGTERM, SIGINT) at the start, mid-way and near the end, then `--resume` or
 * `--overwrite`, and `--resume` with another model, input or shard size. A killed run must never
 * leave an output that looks complete; a resumed one must give the shards of an uninterrupted run
 * byte for byte.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { INCOMPLETE_NAME } from "../../src/io/shards.js";
import { CLI, inTempDir, ok, put, run } from "./helpers.js";
import { linesIn, refuses, sha256, start, threeModesCsv, tree, until } from "./hostile-helpers.js";

const ROWS = 100_000;
/** 100 shards of 1000 rows on one thread: long enough to be caught mid-way. */
const SMALL = ["--block-rows", "1000", "--shard-rows", "1000", "--threads", "1"];

/** a.csv (100k rows), m.json, clean/ (its encoding), back/ (clean/ decoded), one.parquet. */
let template = "";
before(() => {
  template = mkdtempSync(join(tmpdir(), "modenorm-hostile-runs-"));
  put(template, "a.csv", threeModesCsv(ROWS));
  ok(template, ["fit", "a.csv", "-o", "m.json"]);
  ok(template, ["transform", "a.csv", "-m", "m.json", "-o", "clean", ...SMALL]);
  ok(template, ["inverse", "clean", "-m", "m.json", "-o", "back", ...SMALL]);
});
after(() => rmSync(template, { recursive: true, force: true }));

async function inCopy(body: (dir: string) => Promise<void> | void): Promise<void> {
  await inTempDir(async (dir) => {
    for (const f of ["a.csv", "m.json", "clean", "back"]) {
      cpSync(join(template, f), join(dir, f), { recursive: true });
    }
    await body(dir);
  });
}

/** The part files of a directory output and their SHA-256 (the manifest holds timings). */
function shards(dir: string): Record<string, string> {
  return Object.fromEntries(Object.entries(tree(dir)).filter(([name]) => name.startsWith("part-")));
}

/** Asserts a killed run left no final output and an incomplete `.partial` (when it left one). */
function assertNotComplete(dir: string, out: string): void {
  assert.ok(!existsSync(join(dir, out)), `no ${out} after the kill`);
  if (existsSync(join(dir, `${out}.partial`))) {
    assert.ok(existsSync(join(dir, `${out}.partial`, INCOMPLETE_NAME)), "marked incomplete");
  }
}

const transformEnc = ["transform", "a.csv", "-m", "m.json", "-o", "enc", ...SMALL];
const journal = (dir: string) => join(dir, "enc.partial", "_progress.jsonl");

describe("hostile runs: killed at different moments, then resumed", () => {
  for (const [id, signal, moment, code] of [
    ["S01", "SIGKILL", 0, null],
    ["S02", "SIGTERM", 5, 143],
    ["S03", "SIGINT", 5, 130],
    ["S04", "SIGKILL", 40, null],
  ] as const) {
    const when = moment === 0 ? "as soon as it marks its output" : `after ${moment} shards`;
    test(`${id} transform killed with ${signal} ${when}: --resume gives the uninterrupted shards`, async () => {
      await inCopy(async (dir) => {
        const input = sha256(join(dir, "a.csv"));
        const bg = start(dir, transformEnc);
        if (moment === 0) {
          await until("the incomplete marker", () =>
            existsSync(join(dir, "enc.partial", INCOMPLETE_NAME)),
          );
        } else await until(`${moment} shards`, () => linesIn(journal(dir)) >= moment);
        bg.child.kill(signal);
        const end = await bg.done;
        assert.ok(
          end.signal === signal || (code !== null && end.code === code),
          `ended by ${signal} (code ${end.code}, signal ${end.signal}): ${end.stderr}`,
        );
        assertNotComplete(dir, "enc");
        assert.ok(existsSync(join(dir, "enc.partial")), "the finished shards are kept");
        refuses(dir, ["inverse", "enc.partial", "-m", "m.json", "-o", "x.csv"], 1, [
          "incomplete",
          "--resume",
        ]);
        refuses(dir, transformEnc, 1, ["enc.partial", "--resume"]);
        ok(dir, [...transformEnc, "--resume"]);
        assert.deepEqual(shards(join(dir, "enc")), shards(join(dir, "clean")));
        assert.ok(!existsSync(join(dir, "enc.partial")));
        assert.equal(sha256(join(dir, "a.csv")), input, "the input is untouched");
      });
    });
  }

  test("S05 transform killed after its last shard: complete or resumable, never half", async () => {
    await inCopy(async (dir) => {
      const bg = start(dir, transformEnc);
      await until(
        "every shard",
        () => linesIn(journal(dir)) >= 100 || existsSync(join(dir, "enc")),
      );
      bg.child.kill("SIGKILL");
      await bg.done;
      const complete = existsSync(join(dir, "enc"));
      assert.notEqual(
        complete,
        existsSync(join(dir, "enc.partial")),
        "exactly one of enc, enc.partial",
      );
      const again = ok(dir, [...transformEnc, "--resume"]);
      if (complete) assert.match(again, /already complete/);
      assert.deepEqual(shards(join(dir, "enc")), shards(join(dir, "clean")));
    });
  });

  test("S06 inverse killed mid-way, then --resume: the decoded shards of an uninterrupted run", async () => {
    await inCopy(async (dir) => {
      const args = ["inverse", "clean", "-m", "m.json", "-o", "dec", ...SMALL];
      const bg = start(dir, args);
      await until("5 shards", () => linesIn(join(dir, "dec.partial", "_progress.jsonl")) >= 5);
      bg.child.kill("SIGKILL");
      await bg.done;
      assertNotComplete(dir, "dec");
      ok(dir, [...args, "--resume"]);
      assert.deepEqual(shards(join(dir, "dec")), shards(join(dir, "back")));
    });
  });

  test("S07 a killed run's .partial is replaced by --overwrite, which starts over", async () => {
    await inCopy(async (dir) => {
      const bg = start(dir, transformEnc);
      await until("3 shards", () => linesIn(journal(dir)) >= 3);
      bg.child.kill("SIGKILL");
      await bg.done;
      ok(dir, [...transformEnc, "--overwrite"]);
      assert.deepEqual(shards(join(dir, "enc")), shards(join(dir, "clean")));
      assert.ok(!existsSync(join(dir, "enc.partial")));
    });
  });
});

describe("hostile runs: --resume of another run is refused, the kept shards untouched", () => {
  /** Leaves enc.partial/ of a transform killed after 3 shards. */
  async function killed(dir: string): Promise<void> {
    const bg = start(dir, transformEnc);
    await until("3 shards", () => linesIn(journal(dir)) >= 3);
    bg.child.kill("SIGKILL");
    await bg.done;
  }
  const cases: { id: string; title: string; setup?: (dir: string) => void; args: string[] }[] = [
    {
      id: "S08",
      title: "another model",
      setup: (dir) => ok(dir, ["fit", "a.csv", "-o", "m2.json", "--seed", "3"]),
      args: ["transform", "a.csv", "-m", "m2.json", "-o", "enc", ...SMALL, "--resume"],
    },
    {
      id: "S09",
      title: "another --shard-rows",
      args: [
        ...transformEnc.slice(0, 6),
        "--block-rows",
        "1000",
        "--shard-rows",
        "2000",
        "--resume",
      ],
    },
    {
      id: "S10",
      title: "an input changed since",
      setup: (dir) => put(dir, "a.csv", threeModesCsv(ROWS).replace("\n3", "\n4")),
      args: [...transformEnc, "--resume"],
    },
    {
      id: "S11",
      title: "another --layout",
      args: [...transformEnc, "--layout", "dense", "--resume"],
    },
  ];
  for (const c of cases) {
    test(`${c.id} --resume with ${c.title}`, async () => {
      await inCopy(async (dir) => {
        await killed(dir);
        c.setup?.(dir);
        refuses(dir, c.args, 1, ["enc.partial", "different run"]);
      });
    });
  }

  test("S12 --resume with another --threads continues (threads do not change the output)", async () => {
    await inCopy(async (dir) => {
      await killed(dir);
      ok(dir, [...transformEnc.slice(0, 10), "--threads", "2", "--resume"]);
      assert.deepEqual(shards(join(dir, "enc")), shards(join(dir, "clean")));
    });
  });
});

describe("hostile runs: concurrent runs and signals on single files", () => {
  test("C01 two fits into one model file at once: the file is one whole model, no temporary left", async () => {
    await inCopy(async (dir) => {
      const args = ["fit", "a.csv", "-o", "race.json", "--overwrite"];
      const [a, b] = [start(dir, args), start(dir, args)];
      const ends = [await a.done, await b.done];
      for (const e of ends) assert.ok(e.code === 0 || e.code === 1, `exit ${e.code}: ${e.stderr}`);
      assert.ok(
        ends.some((e) => e.code === 0),
        "one of them finished",
      );
      ok(dir, ["fit", "a.csv", "-o", "solo.json"]);
      assert.equal(sha256(join(dir, "race.json")), sha256(join(dir, "solo.json")));
      assert.deepEqual(
        readdirSync(dir).filter((n) => n.startsWith(".")),
        [],
      );
    });
  });

  test("C02 two transforms into one single file at once: it is wholly one run's output", async () => {
    await inCopy(async (dir) => {
      const out = ["-m", "m.json", "-o", "race.parquet", "--overwrite"];
      const a = start(dir, ["transform", "a.csv", ...out]);
      const b = start(dir, ["transform", "a.csv", ...out, "--layout", "dense"]);
      const ends = [await a.done, await b.done];
      for (const e of ends) assert.ok(e.code === 0 || e.code === 1, `exit ${e.code}: ${e.stderr}`);
      const race = sha256(join(dir, "race.parquet"));
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "c.parquet"]);
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "d.parquet", "--layout", "dense"]);
      assert.ok(
        [sha256(join(dir, "c.parquet")), sha256(join(dir, "d.parquet"))].includes(race),
        "the file is one run's output, not a mix",
      );
      assert.deepEqual(
        readdirSync(dir).filter((n) => n.startsWith(".")),
        [],
      );
    });
  });

  test("C03 a second transform into a directory being written exits 1 naming the running one", {}, async () => {
    await inCopy(async (dir) => {
      const first = start(dir, transformEnc);
      await until("3 shards", () => linesIn(journal(dir)) >= 3);
      // Paused, so that the second run surely meets it running.
      first.child.kill("SIGSTOP");
      const second = run(dir, [...transformEnc, "--overwrite"]);
      first.child.kill("SIGCONT");
      assert.equal(second.code, 1, second.stderr);
      assert.match(second.stderr, new RegExp(`PID ${first.child.pid}`));
      const end = await first.done;
      assert.equal(end.code, 0, end.stderr);
      assert.deepEqual(shards(join(dir, "enc")), shards(join(dir, "clean")));
    });
  });

  test("C04 a reader racing a writer sees no output, never a half-written one", async () => {
    await inCopy(async (dir) => {
      const bg = start(dir, transformEnc);
      await until("3 shards", () => linesIn(journal(dir)) >= 3);
      const r = run(dir, ["inverse", "enc", "-m", "m.json", "-o", "x.csv"]);
      const r2 = run(dir, ["inverse", "enc.partial", "-m", "m.json", "-o", "y.csv"]);
      const end = await bg.done;
      assert.equal(end.code, 0, end.stderr);
      assert.ok(r.code === 1 || r.code === 0, r.stderr);
      if (r.code === 1) assert.match(r.stderr, /enc: no such (file|directory)/);
      else ok(dir, ["compare", "x.csv", "a.csv"]);
      if (r2.code === 1)
        // The directory may be renamed between the reader's look at it and its listing.
        assert.match(r2.stderr, /enc\.partial: (is an incomplete output|no such (file|directory))/);
      assert.ok(!existsSync(join(dir, "y.csv")) || r2.code === 0);
    });
  });

  for (const [id, signal, code] of [
    ["C05", "SIGTERM", 143],
    ["C06", "SIGINT", 130],
  ] as const) {
    test(`${id} ${signal} while a single-file output is written: no file, no hidden temporary`, {}, async () => {
      await inCopy(async (dir) => {
        const bg = start(dir, ["transform", "a.csv", "-m", "m.json", "-o", "one.csv"]);
        await until("a temporary file", () => readdirSync(dir).some((n) => n.startsWith(".")));
        bg.child.kill(signal);
        const end = await bg.done;
        assert.equal(end.code, code, `exit code (signal ${end.signal})`);
        assert.deepEqual(readdirSync(dir).sort(), ["a.csv", "back", "clean", "m.json"]);
      });
    });
  }

  test("C07 SIGTERM of fit reading a standard input that never ends: no model, no temporary", async () => {
    await inCopy(async (dir) => {
      const before = tree(dir);
      const child = spawn(process.execPath, [CLI, "fit", "-", "-o", "s.json"], {
        cwd: dir,
        stdio: ["pipe", "ignore", "ignore"],
      });
      child.stdin.write("x\n1.5\n2.5\n3.5\n");
      await new Promise((r) => setTimeout(r, 300));
      child.kill("SIGTERM");
      const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
        child.once("close", (c, s) => r([c, s])),
      );
      assert.ok(signal === "SIGTERM" || code === 143, `code ${code}, signal ${signal}`);
      assert.deepEqual(tree(dir), before);
    });
  });
});
