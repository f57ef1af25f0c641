/**
 * The benchmarks' options: `--help` and a bad option must stop before any work (the full-size run
 * writes ~19 GB before its first line), with exit 0 and 2 respectively.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const BENCH = fileURLToPath(new URL("../../bench/", import.meta.url));
/** Modules the benchmarks share: not benchmarks themselves. */
const HELPERS = new Set(["common.js", "redis-farm.js"]);
const scripts = readdirSync(BENCH).filter((f) => f.endsWith(".js") && !HELPERS.has(f));

function bench(script: string, args: string[]) {
  return spawnSync(process.execPath, [`${BENCH}${script}`, ...args], {
    encoding: "utf8",
    timeout: 30_000,
  });
}

test("every benchmark prints its options on --help and runs nothing", () => {
  assert.ok(scripts.length >= 6, `benchmarks found: ${scripts.join(", ")}`);
  for (const s of scripts) {
    const r = bench(s, ["--help"]);
    assert.equal(r.status, 0, `${s}: ${r.stderr}`);
    assert.match(
      r.stdout,
      new RegExp(`usage: node dist/bench/${s.replace(".", "\\.")} \\[options\\]`),
    );
    assert.match(r.stdout, /--help {2,}print this and exit/);
    assert.doesNotMatch(r.stdout, /"stage"|"kernel"|rowsPerSecond/, `${s} ran a stage`);
  }
});

test("an unknown option or a bad value is an error that names it, before any work", () => {
  for (const s of scripts) {
    const r = bench(s, ["--no-such-option", "1"]);
    assert.equal(r.status, 2, s);
    assert.match(r.stderr, /error: Unknown option '--no-such-option'/, s);
    assert.equal(r.stdout, "", `${s} printed results`);
  }
  const parts = bench("billion.js", ["--parts", "12x"]);
  assert.equal(parts.status, 2);
  assert.match(parts.stderr, /--parts "12x": expected a whole number ≥ 1/);
  const sizes = bench("fit.js", ["--sizes", "1000,0"]);
  assert.equal(sizes.status, 2);
  assert.match(sizes.stderr, /--sizes "1000,0": expected whole numbers ≥ 1 separated by commas/);
  const threads = bench("pipeline.js", ["--threads", "two"]);
  assert.equal(threads.status, 2);
  assert.match(threads.stderr, /--threads "two": expected a whole number ≥ 1/);
});
