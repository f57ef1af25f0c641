#!/usr/bin/env node
// The README's worked example, generated: writes a small CSV, runs the built CLI
// (dist/src/cli/main.js, so `npm run build` first) on it in a temporary directory, and prints the
// session as the README shows it, between the `<!-- example:start -->` and `<!-- example:end -->`
// markers. Durations and rates change from run to run, so they are printed as `…`; everything
// else is the commands' output as it is.
//
//   node scripts/readme-example.mjs            print the example block
//   node scripts/readme-example.mjs --check    exit 1 if README.md's block differs from it
//   node scripts/readme-example.mjs --write    replace README.md's block with it
//   --readme PATH                              another README file (for tests)
//
// test/cli/readme.test.ts checks that README.md's block is this script's output.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "src", "cli", "main.js");
const START = "<!-- example:start -->";
const END = "<!-- example:end -->";

/** The input: a mixed column (modal value 0) with −0, 1e308 and a missing value, and a category. */
const TINY_CSV = [
  "amount,kind",
  "12.5,card",
  "0,cash",
  "13.25,card",
  "250.0,card",
  "0,cash",
  "12.75,card",
  "260.5,card",
  "-0,cash",
  "1e308,card",
  ",cash",
  "",
].join("\n");

/** The session: `cat FILE` or `modenorm ARGS…`, in order. */
const STEPS = [
  ["cat", "tiny.csv"],
  ["modenorm", "fit", "tiny.csv", "--mixed", "amount=0", "-o", "model.json"],
  ["modenorm", "transform", "tiny.csv", "-m", "model.json", "-o", "enc", "--format", "csv"],
  ["cat", "enc/part-000000.csv"],
  ["modenorm", "inverse", "enc", "-m", "model.json", "-o", "back.csv"],
  ["cat", "back.csv"],
  ["modenorm", "compare", "tiny.csv", "back.csv"],
];

/** Durations (`0.2 s`) and rates (`0.00M rows/s`) as `…`. */
function withoutTimes(text) {
  return text.replace(/\d[\d.,]*(M|k)?( rows\/s| s\b)/g, "…$1$2");
}

function fail(message, code = 1) {
  process.stderr.write(`readme-example: ${message}\n`);
  process.exit(code);
}

/** Runs every step in a fresh temporary directory; returns the block (fences included). */
function generate() {
  if (!existsSync(cli)) fail(`${cli} does not exist: run \`npm run build\` first`, 2);
  const dir = mkdtempSync(join(tmpdir(), "modenorm-readme-"));
  try {
    writeFileSync(join(dir, "tiny.csv"), TINY_CSV);
    const lines = ["```text"];
    for (const [command, ...args] of STEPS) {
      lines.push(`$ ${command} ${args.join(" ")}`);
      if (command === "cat") {
        lines.push(readFileSync(join(dir, args[0]), "utf8").trimEnd());
        continue;
      }
      let out;
      try {
        out = execFileSync(process.execPath, [cli, ...args], {
          cwd: dir,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        });
      } catch (e) {
        fail(`modenorm ${args.join(" ")} exited ${e.status}: ${String(e.stderr).trim()}`);
      }
      if (out.trim() !== "") lines.push(withoutTimes(out.trimEnd()));
    }
    lines.push("```");
    return `${lines.join("\n")}\n`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The text between the markers of `readme` (null when they are missing). */
function exampleBlock(readme) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) return null;
  return readme.slice(start + START.length, end).replace(/^\n/, "");
}

function main() {
  const { values } = parseArgs({
    options: {
      check: { type: "boolean", default: false },
      write: { type: "boolean", default: false },
      readme: { type: "string", default: join(root, "README.md") },
    },
    strict: true,
  });
  if (!values.check && !values.write) {
    process.stdout.write(generate());
    return;
  }
  const readme = readFileSync(values.readme, "utf8");
  const current = exampleBlock(readme);
  if (current === null) fail(`${values.readme} has no ${START} … ${END} block`);
  const block = generate();
  if (values.write) {
    const start = readme.indexOf(START) + START.length;
    const end = readme.indexOf(END);
    writeFileSync(values.readme, `${readme.slice(0, start)}\n${block}${readme.slice(end)}`);
    return;
  }
  if (current === block) return;
  const want = block.split("\n");
  const have = current.split("\n");
  let i = 0;
  while (want[i] === have[i]) i++;
  fail(
    `the example in ${values.readme} differs from the CLI's output at line ${i + 1} of the block:\n` +
      `  README: ${JSON.stringify(have[i])}\n  CLI:    ${JSON.stringify(want[i])}\n` +
      "run `node scripts/readme-example.mjs --write` to update it",
  );
}

main();
