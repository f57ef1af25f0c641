/**
 * Values at the edge of the double range through `evaluate` and `compare`: no NaN printed for
 * finite data, and a difference shown so that what differs is visible.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Table } from "../../src/core/table.js";
import { writeTable } from "../../src/io/index.js";
import { inTempDir, ok, put, run } from "./helpers.js";

/** Runs `compare a b` (it must exit 1: a difference) and returns its one line. */
function differs(dir: string, a: string, b: string): string {
  const r = run(dir, ["compare", a, b]);
  assert.equal(r.code, 1, `compare ${a} ${b}\nstderr: ${r.stderr}\nstdout: ${r.stdout}`);
  assert.equal(r.stderr, "");
  return r.stdout.trim();
}

describe("evaluate with values near the double range's end", () => {
  test("evaluateCommand reports -Infinity with a reason, never NaN, for a column holding 1e308", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", "x\n1.5\n2.5\n3.25\n4.75\n8\n9.5\n1e308\n");
      ok(dir, ["fit", "a.csv", "-o", "m.json"]);
      const text = ok(dir, ["evaluate", "a.csv", "-m", "m.json"]);
      assert.ok(!text.includes("NaN"), text);
      assert.match(text, /^x +continuous +7\/7 .* -Infinity$/m);
      assert.match(text, /x: mean log-lik is -Infinity: a value lies so far from every mode/);
      const json = JSON.parse(ok(dir, ["evaluate", "a.csv", "-m", "m.json", "--json"]));
      assert.equal(json.columns[0].meanLogLikelihood, "-Infinity");
    });
  });
});

describe("compare shows what differs", () => {
  test("compareCommand prints 0 against -0 with the sign", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", "x\n0.5\n0\n");
      put(dir, "b.csv", "x\n0.5\n-0\n");
      assert.match(differs(dir, "a.csv", "b.csv"), /row 1 column "x": 0 vs -0$/);
    });
  });

  test("compareCommand tells NaN payloads apart and shows their bits", async () => {
    await inTempDir(async (dir) => {
      const table = (bits: bigint): Table => {
        const values = new Float64Array(2);
        new BigUint64Array(values.buffer)[1] = bits;
        values[0] = 1.5;
        return { rows: 2, columns: [{ name: "x", type: "float64", values, nulls: null }] };
      };
      await writeTable(join(dir, "a.arrow"), table(0x7ff8000000000000n));
      await writeTable(join(dir, "b.arrow"), table(0x7ff8000000000001n));
      await writeTable(join(dir, "c.arrow"), table(0x7ff8000000000000n));
      assert.match(
        differs(dir, "a.arrow", "b.arrow"),
        /row 1 column "x": NaN \(bits 0x7ff8000000000000\) vs NaN \(bits 0x7ff8000000000001\)$/,
      );
      ok(dir, ["compare", "a.arrow", "c.arrow"]);
    });
  });

  test("compareCommand prints int64 exactly and text JSON-quoted", async () => {
    await inTempDir((dir) => {
      put(dir, "a.csv", "n,s\n9007199254740993,a\n1,b\n");
      put(dir, "b.csv", "n,s\n9007199254740992,a\n1,b\n");
      assert.match(differs(dir, "a.csv", "b.csv"), /9007199254740993 vs 9007199254740992$/);
      put(dir, "c.csv", 'n,s\n9007199254740993,a\n1," b"\n');
      assert.match(differs(dir, "a.csv", "c.csv"), /column "s": "b" vs " b"$/);
    });
  });
});
