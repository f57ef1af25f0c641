/** Helpers of the end-to-end CLI tests: run the built CLI as a child process in a temp dir. */
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Column, Table } from "../../src/core/table.js";

/** The built CLI (tests run from dist/test/cli). */
export const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
/** The shared data folder beside the project (`../shared/data` of the repo root). */
export const SHARED_DATA = fileURLToPath(new URL("../../../../shared/data/", import.meta.url));

/** Path of a shared data file, or null (and the test skipped with a message) if absent. */
export function sharedFile(t: { skip: (msg: string) => void }, name: string): string | null {
  const path = join(SHARED_DATA, name);
  if (!existsSync(path)) {
    t.skip(`${path} absent: the shared data folder (../shared/data) is not beside the project`);
    return null;
  }
  return path;
}

/** What a CLI run gave back. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `modenorm …args` with `cwd` as working directory. */
export function run(cwd: string, args: string[], extraNodeArgs: string[] = []): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync(
    process.execPath,
    [...extraNodeArgs, CLI, ...args],
    {
      cwd,
      encoding: "utf8",
      maxBuffer: 64 * 2 ** 20,
      timeout: 60_000,
    },
  );
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs a command that must succeed (exit 0); returns its stdout. */
export function ok(cwd: string, args: string[]): string {
  const r = run(cwd, args);
  assert.equal(
    r.code,
    0,
    `modenorm ${args.join(" ")} exited ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`,
  );
  return r.stdout;
}

/** Sorted names in a directory, dotfiles (temporary files) included. */
export function listing(dir: string): string[] {
  return readdirSync(dir).sort();
}

/**
 * Runs a command that must fail with exit `code`, print every string of `mentions` on stderr,
 * and leave the directory as it was (no output file, no temporary file).
 */
export function fails(cwd: string, args: string[], code: number, mentions: string[]): RunResult {
  const before = listing(cwd);
  const r = run(cwd, args);
  const what = `modenorm ${args.join(" ")}`;
  assert.equal(r.code, code, `${what}: exit code\nstderr: ${r.stderr}\nstdout: ${r.stdout}`);
  for (const m of mentions) {
    assert.ok(
      r.stderr.includes(m),
      `${what}: stderr should mention ${JSON.stringify(m)}:\n${r.stderr}`,
    );
  }
  assert.ok(!r.stderr.includes("internal error"), `${what}: not an internal error:\n${r.stderr}`);
  assert.ok(!/\n\s+at /.test(r.stderr), `${what}: no stack trace on stderr:\n${r.stderr}`);
  assert.deepEqual(listing(cwd), before, `${what}: the directory must be left as it was`);
  return r;
}

/** Runs `body` in a fresh temp dir, removed afterwards. */
export async function inTempDir(body: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modenorm-cli-"));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a text file in `dir` and returns its name. */
export function put(dir: string, name: string, text: string | Uint8Array): string {
  writeFileSync(join(dir, name), text);
  return name;
}

/** A column by name. */
export function col(t: Table, name: string): Column {
  const c = t.columns.find((x) => x.name === name);
  assert.ok(c, `no column ${name} among ${t.columns.map((x) => x.name).join(", ")}`);
  return c;
}

/** Whether row i of a column is null. */
export function nullAt(c: Column, i: number): boolean {
  return c.type === "string" ? c.values[i] === null : c.nulls !== null && c.nulls[i] === 1;
}

const typeOf = (c: Column) => `${c.name}:${c.type}${c.type === "timestamp" ? `[${c.unit}]` : ""}`;

/**
 * Asserts two tables are equal: names, types, units, rows, nulls, and every non-null value bit
 * for bit (NaN equals NaN, −0 differs from 0). `only` restricts the comparison to those columns.
 */
export function assertTablesEqual(actual: Table, expected: Table, what = "table", only?: string[]) {
  assert.equal(actual.rows, expected.rows, `${what}: rows`);
  const pick = (t: Table) => (only === undefined ? t.columns : only.map((n) => col(t, n)));
  const a = pick(actual);
  const e = pick(expected);
  assert.deepEqual(a.map(typeOf), e.map(typeOf), `${what}: columns`);
  for (let j = 0; j < e.length; j++) {
    const ac = a[j]!;
    const ec = e[j]!;
    assert.equal(ac.values.length, actual.rows, `${what}: ${ac.name} length`);
    for (let i = 0; i < expected.rows; i++) {
      const an = nullAt(ac, i);
      assert.equal(an, nullAt(ec, i), `${what}: ${ac.name}[${i}] null`);
      if (an) continue;
      const av = ac.values[i];
      const ev = ec.values[i];
      assert.ok(Object.is(av, ev), `${what}: ${ac.name}[${i}]: ${String(av)} !== ${String(ev)}`);
    }
  }
}

/** A CSV field, quoted when needed (RFC 4180). */
function field(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * A CSV table of `rows` rows with every column kind, edge values and a null in each column:
 * `price` float64 (−0, 5e-324, ±max double, NaN, ±Infinity), `count` int64 (2^63−1, 2^53+1,
 * −2^63), `when` timestamps (ms), `label` strings (commas, quotes, unicode, a line break, the
 * empty string), `flag` booleans, `grade` a small integer code.
 */
export function allKindsCsv(rows = 240): string {
  const priceEdges = [
    "-0",
    "5e-324",
    "1.7976931348623157e308",
    "-1.7976931348623157e308",
    "NaN",
    "Infinity",
    "-Infinity",
    "",
  ];
  const countEdges = ["9223372036854775807", "9007199254740993", "-9223372036854775808", ""];
  const labels = ["comma, inside", 'say "hi"', "ünïcödé 😀 日本", "plain", "two\nlines"];
  const lines = ["price,count,when,label,flag,grade"];
  const t0 = Date.UTC(2021, 2, 14, 1, 59, 26, 535);
  for (let r = 0; r < rows; r++) {
    const price =
      r < priceEdges.length ? priceEdges[r]! : String((r % 3) * 100 + 10 * Math.sin(r) + r / 7);
    const count = r < countEdges.length ? countEdges[r]! : String((r * 7919) % 5000);
    const when = r === 7 ? "" : new Date(t0 + (r % 4) * 86_400_000 + r * 60_017).toISOString();
    const label = r === 3 ? "" : r === 11 ? '""' : field(labels[r % labels.length]!);
    const flag = r === 5 ? "" : r % 3 === 0 ? "true" : "false";
    const grade = r === 9 ? "" : String(r % 4);
    lines.push([price, count, when, label, flag, grade].join(","));
  }
  return `${lines.join("\n")}\n`;
}

/** A table with one mixed, log, integer, minmax, categorical and one inferred column. */
export function bankCsv(rows = 300): string {
  const lines = ["balance,income,age,score,job,other"];
  for (let r = 0; r < rows; r++) {
    const balance = r % 5 === 0 ? "0" : r % 7 === 0 ? "-9999" : String(1000 + 300 * Math.sin(r));
    const income = String(Math.exp(8 + Math.cos(r * 1.3)));
    const age = String(18 + ((r * 13) % 60));
    const score = String(((r * 7919) % 1000) / 10);
    const job = ["admin", "technician", "services"][r % 3]!;
    const other = String(50 * Math.cos(r * 0.7) + (r % 2) * 200);
    lines.push([balance, income, age, score, job, other].join(","));
  }
  return `${lines.join("\n")}\n`;
}
