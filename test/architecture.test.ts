/**
 * The direction of imports (ARCHITECTURE.md §2): `core ← encode ← drift ← run`, `io ← run`, leaves
 * on top; `core`, `encode` and `drift` import no Node module, so they run in workers, services and
 * browsers.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

const SRC = new URL("../../src/", import.meta.url).pathname.replace("/dist/src/", "/src/");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);
}

const NODE_BUILTINS =
  /^(node:|fs$|path$|os$|url$|child_process$|worker_threads$|stream$|zlib$|crypto$)/;

describe("layers", () => {
  for (const [layer, forbidden] of [
    ["core", /^\.\.\/(encode|drift|io|cli|run|serve|report|distributed)\//],
    ["encode", /^\.\.\/(drift|io|cli|run|serve|report|distributed)\//],
    ["drift", /^\.\.\/(io|cli|run|serve|report|distributed)\//],
  ] as const) {
    it(`${layer} imports no Node module and no higher layer`, () => {
      const bad: string[] = [];
      for (const f of files(join(SRC, layer))) {
        for (const spec of imports(f)) {
          if (NODE_BUILTINS.test(spec) || forbidden.test(spec)) bad.push(`${f}: ${spec}`);
        }
      }
      assert.deepEqual(bad, []);
    });
  }

  for (const [layer, forbidden] of [
    ["io", /^\.\.\/(encode|drift|run|cli|serve|report|distributed)\//],
    ["run", /^\.\.\/(cli|serve|report|distributed)\//],
    // A leaf beside run: it may use the layers below, not the other leaves.
    ["distributed", /^\.\.\/(cli|serve|report)\//],
    ["report", /^\.\.\/(cli|serve|distributed)\//],
  ] as const) {
    it(`${layer} imports no higher layer and no leaf`, () => {
      const bad: string[] = [];
      for (const f of files(join(SRC, layer))) {
        for (const spec of imports(f)) if (forbidden.test(spec)) bad.push(`${f}: ${spec}`);
      }
      assert.deepEqual(bad, []);
    });
  }

  it("the scan sees the sources (it cannot pass vacuously)", () => {
    assert.ok(files(join(SRC, "core")).length > 10);
    assert.ok(imports(join(SRC, "core", "mixture.ts")).includes("./fit.js"));
  });
});
