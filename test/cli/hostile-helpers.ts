/**
 * Helpers of the hostile CLI suite: a fingerprint of a whole directory tree (every file's SHA-256,
 * every directory and link), a refusal check that the tree is left exactly as it was, and child
 * processes started in the background (for concurrent runs and signals).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { CLI, type RunResult, run } from "./helpers.js";

/** SHA-256 of a file, hex. */
export function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/**
 * Every entry under `dir` (dotfiles included, links not followed) with what it holds: a file's
 * SHA-256, `dir` for a directory, `-> target` for a symbolic link. Sorted by path.
 */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const p = join(dir, r);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[r] = `-> ${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[r] = "dir";
        walk(r);
      } else out[r] = sha256(p);
    }
  };
  walk("");
  return out;
}

/** Asserts stderr is one `modenorm: ` line (warnings aside), with no stack trace and no bug report. */
export function assertCleanError(what: string, stderr: string): void {
  assert.match(stderr, /^modenorm: /m, `${what}: a "modenorm: " message:\n${stderr}`);
  assert.ok(!/\n\s+at /.test(stderr), `${what}: no stack trace:\n${stderr}`);
  assert.ok(!/internal error|this is a bug/i.test(stderr), `${what}: not a bug report:\n${stderr}`);
}

/**
 * Runs a command that must fail with exit `code`, mention every string of `mentions` on stderr,
 * and leave the whole tree under `dir` exactly as it was: every input file byte for byte, no
 * output, no temporary or partial file.
 */
export function refuses(
  dir: string,
  args: string[],
  code: number,
  mentions: (string | RegExp)[],
): RunResult {
  const before = tree(dir);
  const r = run(dir, args);
  const what = `modenorm ${args.join(" ")}`;
  assert.equal(r.code, code, `${what}: exit code\nstderr: ${r.stderr}\nstdout: ${r.stdout}`);
  assertCleanError(what, r.stderr);
  for (const m of mentions) {
    const hit = typeof m === "string" ? r.stderr.includes(m) : m.test(r.stderr);
    assert.ok(hit, `${what}: stderr should mention ${String(m)}:\n${r.stderr}`);
  }
  assert.deepEqual(tree(dir), before, `${what}: the tree must be left as it was`);
  return r;
}

/** Runs a command that must succeed and leave the files `keep` (names in `dir`) untouched. */
export function okKeeping(dir: string, args: string[], keep: string[]): RunResult {
  const before = keep.map((k) => sha256(join(dir, k)));
  const r = run(dir, args);
  assert.equal(r.code, 0, `modenorm ${args.join(" ")}: exit ${r.code}\nstderr: ${r.stderr}`);
  assert.deepEqual(
    keep.map((k) => sha256(join(dir, k))),
    before,
    `modenorm ${args.join(" ")}: ${keep.join(", ")} must be untouched`,
  );
  return r;
}

/** A CLI run in the background. */
export interface Background {
  child: ChildProcess;
  /** Resolves when it ends: exit code (null when killed), signal, and what it wrote on stderr. */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts `modenorm …args` in `cwd` without waiting for it. */
export function start(cwd: string, args: string[]): Background {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (s: string) => {
    stderr += s;
  });
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.once("close", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, done };
}

/** Waits (polling every 5 ms, at most 60 s) until `ready()` is true; fails the test otherwise. */
export async function until(what: string, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!ready()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lines in a file, 0 when it does not exist. */
export function linesIn(path: string): number {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").length - 1 : 0;
}

/** A column of `rows` numbers with three clear modes, as CSV text with header `name`. */
export function threeModesCsv(rows: number, name = "x"): string {
  const lines = [name];
  for (let r = 0; r < rows; r++) {
    const u = Math.sin(r * 12.9898) * 43758.5453;
    lines.push(String([3, 40, 250][r % 3]! + 2 * (u - Math.floor(u))));
  }
  return `${lines.join("\n")}\n`;
}
