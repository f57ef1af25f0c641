/**
 * The README's worked example is what the CLI prints: the block between `<!-- example:start -->`
 * and `<!-- example:end -->` is replayed command by command against the built CLI, and it equals
 * the output of `scripts/readme-example.mjs`, which generates it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { inTempDir, ok, put } from "./helpers.js";

/** The repository root (tests run from dist/test/cli). */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const README = join(ROOT, "README.md");
const SCRIPT = join(ROOT, "scripts", "readme-example.mjs");
const START = "<!-- example:start -->";
const END = "<!-- example:end -->";

/** The text between the markers (the fenced block), or a failed assertion. */
function exampleBlock(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  assert.ok(start >= 0 && end > start, `README.md must hold one ${START} … ${END} block`);
  assert.equal(readme.indexOf(START, start + 1), -1, `README.md holds more than one ${START}`);
  return readme.slice(start + START.length, end).replace(/^\n/, "");
}

/** Durations and rates as the README prints them (`…`). */
const withoutTimes = (text: string) => text.replace(/\d[\d.,]*(M|k)?( rows\/s| s\b)/g, "…$1$2");

/** The session in a block: each `$ command` with the lines it printed. */
function steps(block: string): { command: string[]; output: string }[] {
  const lines = block.split("\n");
  assert.equal(lines[0], "```text", "the block starts with a ```text fence");
  const close = lines.lastIndexOf("```");
  assert.ok(close > 0, "the block ends with a ``` fence");
  const out: { command: string[]; output: string }[] = [];
  for (const line of lines.slice(1, close)) {
    if (line.startsWith("$ ")) out.push({ command: line.slice(2).split(" "), output: "" });
    else {
      assert.ok(out.length > 0, `a line before the first command: ${line}`);
      out[out.length - 1]!.output += `${line}\n`;
    }
  }
  return out;
}

function script(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8", timeout: 120_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("README worked example", () => {
  test("every command of the README's example prints what the README shows", async () => {
    const session = steps(exampleBlock(readFileSync(README, "utf8")));
    assert.ok(
      session.some((s) => s.command[0] === "modenorm"),
      "the example runs modenorm",
    );
    await inTempDir((dir) => {
      for (const { command, output } of session) {
        const [program, ...args] = command;
        const what = `README example: $ ${command.join(" ")}`;
        if (program === "cat") {
          assert.equal(args.length, 1, what);
          const file = join(dir, args[0]!);
          // The first `cat` of a file that does not exist yet shows the example's input.
          if (!existsSync(file)) put(dir, args[0]!, output);
          assert.equal(readFileSync(file, "utf8"), output, what);
        } else {
          assert.equal(program, "modenorm", `${what}: only cat and modenorm are replayed`);
          assert.equal(withoutTimes(ok(dir, args)), output, what);
        }
      }
    });
  });

  test("README example block equals the output of scripts/readme-example.mjs", () => {
    const r = script([]);
    assert.equal(r.code, 0, `readme-example.mjs exited ${r.code}: ${r.stderr}`);
    assert.equal(
      exampleBlock(readFileSync(README, "utf8")),
      r.stdout,
      "the README's example is out of date: run `node scripts/readme-example.mjs --write`",
    );
  });

  test("readme-example --check rejects an example that differs from the CLI, --write fixes it", async () => {
    await inTempDir((dir) => {
      const readme = readFileSync(README, "utf8");
      const block = exampleBlock(readme);
      // One output line of the fit changed, as when the CLI keeps another number of modes.
      const changed = block.replace(/ mode\(s\)/, "1 mode(s)");
      assert.notEqual(changed, block);
      const copy = join(dir, "README.md");
      writeFileSync(copy, readme.replace(block, changed));
      const r = script(["--check", "--readme", copy]);
      assert.equal(r.code, 1, `--check must fail:\n${r.stderr}`);
      assert.match(r.stderr, /^readme-example: the example in .*README\.md differs from the CLI's/);
      assert.match(r.stderr, /mode\(s\)/);
      assert.match(r.stderr, /--write/);

      const w = script(["--write", "--readme", copy]);
      assert.equal(w.code, 0, w.stderr);
      const written = readFileSync(copy, "utf8");
      assert.equal(
        written.replace(exampleBlock(written), ""),
        readme.replace(block, ""),
        "--write changes nothing outside the markers",
      );
      const again = script(["--check", "--readme", copy]);
      assert.equal(again.code, 0, `--check after --write:\n${again.stderr}`);

      writeFileSync(copy, "# no example here\n");
      const m = script(["--check", "--readme", copy]);
      assert.equal(m.code, 1);
      assert.match(m.stderr, /has no <!-- example:start --> … <!-- example:end --> block/);
    });
  });
});
