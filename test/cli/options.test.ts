/**
 * Option values and combinations the command line refuses, through the built CLI: every invalid
 * value and every contradiction exits 2 naming the CLI's own option (never a library name) and
 * what is allowed, before any output is made; options that do not fit the data exit 1 naming the
 * option and the column. Also: the heaviest mode kept above every mode's weight, the default
 * shard size following --block-rows, the bound on --threads, a read-only output directory, and
 * rows named by their line in the CSV file.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { CLI, fails, inTempDir, listing, ok, put, run } from "./helpers.js";

const USAGE = 2;
const BAD_INPUT = 1;
const MAX_THREADS = 4 * availableParallelism();

/** Names of library options that a message of the command line must not show. */
const LIBRARY_NAMES =
  /randomState|nComponents|weightConcentrationPrior|option types|blockRows|shardRows|option columns/;

/** x float, y text, n integer, t timestamps; 12 rows. */
function tableCsv(): string {
  const lines = ["x,y,n,t"];
  for (let r = 0; r < 12; r++) {
    const t = new Date(Date.UTC(2021, 0, 1 + r, r)).toISOString();
    lines.push(`${(r * 1.75 + (r % 3) * 10).toFixed(2)},${"abc"[r % 3]},${r * 7},${t}`);
  }
  return `${lines.join("\n")}\n`;
}

const A_CSV = "x\n1.5\n2.5\n3.25\n4.75\n8\n9.5\n";

/** Runs `body` in a temp dir holding in.csv, a.csv and m.json (a model of in.csv). */
async function withData(body: (dir: string) => Promise<void> | void): Promise<void> {
  await inTempDir(async (dir) => {
    put(dir, "in.csv", tableCsv());
    put(dir, "a.csv", A_CSV);
    ok(dir, ["fit", "in.csv", "-o", "m.json"]);
    await body(dir);
  });
}

/** `fails`, and the message shows no library option name. */
function refused(dir: string, args: string[], code: number, mentions: string[]): string {
  const r = fails(dir, args, code, mentions);
  assert.doesNotMatch(r.stderr, LIBRARY_NAMES, `modenorm ${args.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, /^modenorm: /, `modenorm ${args.join(" ")}: one line starting modenorm:`);
  return r.stderr;
}

const FIT = ["fit", "in.csv", "-o", "out.json"];
const TRANSFORM = ["transform", "in.csv", "-m", "m.json", "-o", "enc"];
const INVERSE = ["inverse", "in.csv", "-m", "m.json", "-o", "dec"];
const EVALUATE = ["evaluate", "in.csv", "-m", "m.json"];
const COMPARE = ["compare", "in.csv", "in.csv"];
const DEMO = ["demo", "--peer", "off"];

/** [command, option, value, what the message must say of the valid values]. */
const INVALID_VALUES: [string[], string, string, string][] = [
  [FIT, "--seed", "-1", "from 0 to 2^53 - 1"],
  [FIT, "--seed", "abc", "from 0 to 2^53 - 1"],
  [FIT, "--seed", "1.5", "from 0 to 2^53 - 1"],
  [FIT, "--seed", "9007199254740992", "from 0 to 2^53 - 1"],
  [FIT, "--seed", "", "from 0 to 2^53 - 1"],
  [FIT, "--max-modes", "0", ">= 1"],
  [FIT, "--max-modes", "2.5", ">= 1"],
  [FIT, "--refine-passes", "-1", ">= 0"],
  [FIT, "--weight-threshold", "1", ">= 0 and < 1"],
  [FIT, "--weight-threshold", "-0.1", ">= 0 and < 1"],
  [FIT, "--weight-threshold", "NaN", ">= 0 and < 1"],
  [FIT, "--prior", "-1", "> 0"],
  [FIT, "--prior", "0", "> 0"],
  [FIT, "--prior", "Infinity", "> 0"],
  [FIT, "--scale", "0", "> 0"],
  [FIT, "--scale", "-4", "> 0"],
  [FIT, "--block-rows", "0", "from 1 to 2^30"],
  [FIT, "--block-rows", "1073741825", "from 1 to 2^30"],
  [FIT, "--escape-char", "ab", "one ASCII character"],
  [FIT, "--escape-char", ",", "one ASCII character"],
  [FIT, "--columns", ",", "at least one column"],
  [FIT, "--mixed", "x=Infinity", "not a finite number"],
  [FIT, "--mixed", "x=", "not a finite number"],
  [FIT, "--categorical", " ", "at least one column"],
  [TRANSFORM, "--block-rows", "1.5", "from 1 to 2^30"],
  [TRANSFORM, "--shard-rows", "0", ">= 1"],
  [TRANSFORM, "--threads", "0", `from 1 to ${MAX_THREADS}`],
  [TRANSFORM, "--threads", "1000", `from 1 to ${MAX_THREADS}`],
  [INVERSE, "--threads", "1000", `from 1 to ${MAX_THREADS}`],
  [INVERSE, "--shard-rows", "-2", ">= 1"],
  [EVALUATE, "--threads", "1000", `from 1 to ${MAX_THREADS}`],
  [EVALUATE, "--block-rows", "-5", "from 1 to 2^30"],
  [COMPARE, "--block-rows", "0", "from 1 to 2^30"],
  [DEMO, "--rows", "0", ">= 1"],
  [DEMO, "--seed", "-1", "from 0 to 2^53 - 1"],
  [DEMO, "--threads", "1000", `from 1 to ${MAX_THREADS}`],
  [DEMO, "--peer-fit-rows", "0", ">= 1"],
];

/** [arguments of fit after in.csv -o out.json, what the message must name]. */
const CONTRADICTIONS: [string[], string[]][] = [
  [
    ["--log", "x", "--integer", "x"],
    ["--log", "--integer", '"x"'],
  ],
  [
    ["--continuous", "x,n", "--categorical", "n"],
    ["--continuous", "--categorical", '"n"'],
  ],
  [
    ["--mixed", "x=0", "--log", "x"],
    ["--mixed", "--log", '"x"'],
  ],
  [
    ["--datetime", "t", "--minmax", "t"],
    ["--datetime", "--minmax", '"t"'],
  ],
  [
    ["--columns", "x", "--categorical", "y"],
    ["--categorical", '"y"', "not among --columns"],
  ],
  [
    ["--columns", "x", "--mixed", "n=0"],
    ["--mixed", '"n"', "not among --columns"],
  ],
  [
    ["--columns", "x,y,x"],
    ["--columns", '"x"', "twice"],
  ],
  [
    ["--mixed", "x=0", "--mixed", "x=1"],
    ["--mixed", '"x"', "twice"],
  ],
];

describe("modenorm options", () => {
  test("every invalid option value exits 2 naming the CLI option and its valid range", async () => {
    await withData((dir) => {
      for (const [command, option, value, range] of INVALID_VALUES) {
        const stderr = refused(dir, [...command, option, value], USAGE, [option, range]);
        assert.ok(stderr.includes(`'${value}'`), `${option} ${value}: shows the value`);
      }
    });
  });

  test("contradictory column options exit 2 naming both options and the column", async () => {
    await withData((dir) => {
      for (const [args, mentions] of CONTRADICTIONS)
        refused(dir, [...FIT, ...args], USAGE, mentions);
    });
  });

  test("a column the data lacks exits 1 naming the option and the columns there are", async () => {
    await withData((dir) => {
      for (const option of ["--columns", "--categorical", "--log", "--datetime"]) {
        refused(dir, [...FIT, option, "zz"], BAD_INPUT, [option, '"zz"', '"x", "y", "n", "t"']);
      }
      refused(dir, [...FIT, "--mixed", "zz=0"], BAD_INPUT, [
        "--mixed",
        '"zz"',
        '"x", "y", "n", "t"',
      ]);
    });
  });

  test("--datetime on a column that is not a timestamp exits 1 naming the column and its type", async () => {
    await withData((dir) => {
      refused(dir, [...FIT, "--datetime", "x"], BAD_INPUT, ["--datetime", '"x"', "float64"]);
      refused(dir, [...FIT, "--datetime", "y"], BAD_INPUT, ["--datetime", '"y"', "string"]);
      ok(dir, [...FIT, "--datetime", "t"]);
    });
  });

  test("--help states the exit codes: invalid option values are usage errors (2)", async () => {
    await withData((dir) => {
      const help = run(dir, ["--help"]);
      assert.equal(help.code, 0);
      assert.match(
        help.stdout,
        /2 usage error \(unknown command or option, invalid option value, contradictory options\)/,
      );
      assert.doesNotMatch(help.stdout, /1 bad input \([^)]*option value/);
    });
  });
});

describe("--weight-threshold above every mode's weight", () => {
  test("keeps the heaviest mode alone and warns naming the column and its weight", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", A_CSV);
      ok(dir, ["fit", "a.csv", "-o", "all.json", "--weight-threshold", "0"]);
      const all = JSON.parse(ok(dir, ["inspect", "all.json", "--json"])).columns[0].modes as {
        weight: number;
        mean: number;
      }[];
      assert.ok(all.length > 1, "the data has several modes");
      const heaviest = all.reduce((a, b) => (b.weight > a.weight ? b : a));
      const threshold = String(Math.max(...all.map((m) => m.weight)) + 0.01);
      const r = run(dir, ["fit", "a.csv", "-o", "one.json", "--weight-threshold", threshold]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /^modenorm: warning: column "x": /);
      assert.ok(r.stderr.includes(`--weight-threshold ${threshold}`), r.stderr);
      assert.ok(r.stderr.includes(`weight ${heaviest.weight.toPrecision(4)}`), r.stderr);
      const one = JSON.parse(ok(dir, ["inspect", "one.json", "--json"])).columns[0].modes;
      assert.equal(one.length, 1);
      assert.equal(one[0].weight, 1);
      assert.equal(one[0].mean, heaviest.mean);
      // The model is whole: every value comes back exactly.
      ok(dir, ["transform", "a.csv", "-m", "one.json", "-o", "enc.parquet"]);
      ok(dir, ["inverse", "enc.parquet", "-m", "one.json", "-o", "dec.csv"]);
      ok(dir, ["compare", "a.csv", "dec.csv"]);
    });
  });
});

describe("--block-rows and --shard-rows", () => {
  test("with --block-rows alone the shards are 2 blocks", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", A_CSV);
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "enc", "--block-rows", "2"]);
      const shards = readdirSync(join(dir, "enc")).filter((f) => f.startsWith("part-"));
      assert.equal(shards.length, 2, "6 rows in shards of 4");
      const manifest = JSON.parse(readFileSync(join(dir, "enc", "_manifest.json"), "utf8"));
      assert.equal(manifest.run.blockRows, 2);
      assert.equal(manifest.run.shardRows, 4);
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec", "--block-rows", "3"]);
      ok(dir, ["compare", "a.csv", "dec"]);
    });
  });

  test("--shard-rows that is not a multiple of --block-rows exits 2 naming both", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", A_CSV);
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      const enc = ["transform", "a.csv", "-m", "m.json", "-o", "enc"];
      refused(dir, [...enc, "--block-rows", "2", "--shard-rows", "3"], USAGE, [
        "--shard-rows 3",
        "--block-rows 2",
      ]);
      refused(dir, [...enc, "--shard-rows", "100"], USAGE, [
        "--shard-rows 100",
        "--block-rows 1048576",
      ]);
      refused(
        dir,
        ["inverse", "a.csv", "-m", "m.json", "-o", "dec", "--block-rows", "4", "--shard-rows", "6"],
        USAGE,
        ["--shard-rows 6", "--block-rows 4"],
      );
    });
  });
});

describe("--threads", () => {
  test(`at most 4 per core (${MAX_THREADS} here): more exits 2 naming the bound, the bound runs`, async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", A_CSV);
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      const over = String(MAX_THREADS + 1);
      refused(dir, ["evaluate", "a.csv", "-m", "m.json", "--threads", over], USAGE, [
        "--threads",
        `from 1 to ${MAX_THREADS}`,
        `${availableParallelism()} cores`,
      ]);
      ok(dir, ["evaluate", "a.csv", "-m", "m.json", "--threads", String(MAX_THREADS)]);
    });
  });
});

/**
 * Runs the CLI with `ro` (a directory in `dir`) mounted read-only, in a mount namespace of its
 * own (`unshare`), or returns null when this system does not allow it.
 */
function runReadOnly(dir: string, args: string[]): { code: number | null; stderr: string } | null {
  const script = 'mount --bind ro ro && mount -o remount,ro,bind ro && exec "$0" "$@"';
  const probe = spawnSync("unshare", ["-rm", "sh", "-c", script, "true"], { cwd: dir });
  if (probe.error !== undefined || probe.status !== 0) return null;
  const r = spawnSync("unshare", ["-rm", "sh", "-c", script, process.execPath, CLI, ...args], {
    cwd: dir,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stderr: r.stderr };
}

describe("messages", () => {
  test("an output on a read-only file system names EROFS, not ENOENT", async (t) => {
    await inTempDir((dir) => {
      put(dir, "a.csv", A_CSV);
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      mkdirSync(join(dir, "ro"));
      const cases: [string[], string][] = [
        [["transform", "a.csv", "-m", "m.json", "-o", "ro/enc"], "ro/enc.partial"],
        [["transform", "a.csv", "-m", "m.json", "-o", "ro/new/enc"], "ro/new/enc.partial"],
        [["fit", "a.csv", "-o", "ro/m.json"], "ro/m.json"],
      ];
      for (const [args, path] of cases) {
        const r = runReadOnly(dir, args);
        if (r === null) {
          t.skip("unshare cannot mount here (no user and mount namespaces)");
          return;
        }
        assert.equal(r.code, BAD_INPUT, r.stderr);
        assert.ok(r.stderr.startsWith(`modenorm: ${path}: `), r.stderr);
        assert.match(r.stderr, /EROFS: read-only file system/);
        assert.doesNotMatch(r.stderr, /ENOENT|internal error/);
      }
      assert.deepEqual(listing(join(dir, "ro")), []);
    });
  });

  test("an output directory the system refuses to create (under /proc) fails at once with exit 1", async (t) => {
    if (process.platform !== "linux") {
      t.skip("/proc is Linux's");
      return;
    }
    await inTempDir((dir) => {
      put(dir, "a.csv", A_CSV);
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      // Node's recursive mkdir retried this without end.
      const out = `/proc/modenorm-test-${process.pid}`;
      refused(dir, ["transform", "a.csv", "-m", "m.json", "-o", out], BAD_INPUT, [
        `${out}.partial: cannot create`,
      ]);
    });
  });

  test("an unseen category is named by its line in the CSV file (a quoted field spans two lines)", async () => {
    await inTempDir((dir) => {
      put(dir, "fit.csv", "c,v\na,1\nb,2\na,3\n");
      ok(dir, ["fit", "fit.csv", "-o", "m.json", "--categorical", "c"]);
      // Line 1 header, line 2 "a", lines 3-4 one quoted field over two lines, line 5 "z".
      put(dir, "new.csv", 'c,v\na,1\n"a\nb",2\nz,3\n');
      const unseen = "not one of the 2 categories";
      refused(dir, ["transform", "new.csv", "-m", "m.json", "-o", "enc.csv"], BAD_INPUT, [
        'new.csv: column "c": line 3 has the value "a\\nb"',
        unseen,
      ]);
      put(dir, "new2.csv", "c,v\na,1\nb,2\nz,3\n");
      refused(dir, ["evaluate", "new2.csv", "-m", "m.json"], BAD_INPUT, [
        'new2.csv: column "c": line 4 has the value "z"',
      ]);
      // A directory of parts: the part and its line.
      mkdirSync(join(dir, "parts"));
      put(dir, "parts/p1.csv", "c,v\na,1\nb,2\n");
      put(dir, "parts/p2.csv", "c,v\nb,1\nz,2\n");
      refused(dir, ["transform", "parts", "-m", "m.json", "-o", "enc"], BAD_INPUT, [
        `column "c": line 3 of ${join("parts", "p2.csv")} has the value "z"`,
      ]);
    });
  });

  test("a bad mode code past the first block of an encoded file is named by its line", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", A_CSV);
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "enc.csv"]);
      const lines = readFileSync(join(dir, "enc.csv"), "utf8").split("\n");
      const mode = lines[0]!.split(",").indexOf("x.mode");
      const cells = lines[5]!.split(","); // line 6: the third block of 2 rows
      cells[mode] = "99";
      lines[5] = cells.join(",");
      put(dir, "bad.csv", lines.join("\n"));
      refused(
        dir,
        [
          "inverse",
          "bad.csv",
          "-m",
          "m.json",
          "--no-model-check",
          "-o",
          "dec.csv",
          "--block-rows",
          "2",
        ],
        BAD_INPUT,
        ['bad.csv: column "x.mode": line 6 is 99'],
      );
    });
  });

  test("an unseen category in Parquet input is named by its row counted from 1", async () => {
    await inTempDir((dir) => {
      put(dir, "fit.csv", "c,v\na,1\nb,2\na,3\n");
      ok(dir, ["fit", "fit.csv", "-o", "m.json", "--categorical", "c"]);
      put(dir, "new.csv", "c,v\na,1\nb,2\nz,3\n");
      // A Parquet copy of new.csv, through a model of its own.
      ok(dir, ["fit", "new.csv", "-o", "own.json", "--categorical", "c"]);
      ok(dir, ["transform", "new.csv", "-m", "own.json", "-o", "enc.csv"]);
      ok(dir, ["inverse", "enc.csv", "-m", "own.json", "--no-model-check", "-o", "new.parquet"]);
      refused(dir, ["transform", "new.parquet", "-m", "m.json", "-o", "out.csv"], BAD_INPUT, [
        'new.parquet: column "c": row 3 (counting data rows from 1) has the value "z"',
      ]);
    });
  });
});
