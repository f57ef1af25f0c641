/** `--threads`: the encoded and decoded files are byte-identical for any number of threads. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { allKindsCsv, fails, inTempDir, ok, put } from "./helpers.js";

test("transform and inverse write the same bytes with 1, 2 and 3 threads", async () => {
  await inTempDir((dir) => {
    put(dir, "in.csv", allKindsCsv(5000));
    ok(dir, ["fit", "in.csv", "-o", "m.json"]);
    for (const layout of ["compact", "dense"]) {
      const outs = [1, 2, 3].map((t) => {
        const name = `enc-${layout}-${t}.csv`;
        ok(dir, [
          "transform",
          "in.csv",
          "-m",
          "m.json",
          "-o",
          name,
          "--layout",
          layout,
          "--threads",
          String(t),
        ]);
        return readFileSync(join(dir, name));
      });
      assert.ok(
        outs[0]!.equals(outs[1]!) && outs[0]!.equals(outs[2]!),
        `${layout}: outputs differ`,
      );
    }
    const decoded = [1, 2].map((t) => {
      ok(dir, [
        "inverse",
        "enc-compact-1.csv",
        "-m",
        "m.json",
        "--no-model-check",
        "-o",
        `dec-${t}.csv`,
        "--threads",
        String(t),
      ]);
      return readFileSync(join(dir, `dec-${t}.csv`));
    });
    assert.ok(decoded[0]!.equals(decoded[1]!));
  });
});

test("fit reads CSV on 1, 2 or 3 threads into the same model", async () => {
  await inTempDir((dir) => {
    put(dir, "in.csv", allKindsCsv(5000));
    const models = [1, 2, 3].map((t) => {
      ok(dir, ["fit", "in.csv", "-o", `m${t}.json`, "--threads", String(t)]);
      return readFileSync(join(dir, `m${t}.json`));
    });
    assert.ok(models[0]!.equals(models[1]!) && models[0]!.equals(models[2]!), "models differ");
  });
});

test("--threads 0 is a usage error", async () => {
  await inTempDir((dir) => {
    put(dir, "in.csv", allKindsCsv(50));
    ok(dir, ["fit", "in.csv", "-o", "m.json"]);
    fails(dir, ["transform", "in.csv", "-m", "m.json", "-o", "o.csv", "--threads", "0"], 2, [
      "--threads",
    ]);
  });
});
