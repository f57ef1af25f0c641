import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Random } from "../../src/core/rng.js";
import { fails, inTempDir, ok, put, run, sharedFile } from "./helpers.js";

/** CSV of x (three modes, + shift) and c (four categories), n rows. */
function csv(n: number, seed: number, shift = 0): string {
  const rng = new Random(seed);
  const lines = ["x,c"];
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    const x =
      (u < 0.5 ? 10 + rng.normal() : u < 0.8 ? 20 + 2 * rng.normal() : 40 + rng.normal()) + shift;
    const w = rng.random();
    lines.push(`${x},${w < 0.5 ? "red" : w < 0.8 ? "green" : w < 0.95 ? "blue" : "grey"}`);
  }
  return `${lines.join("\n")}\n`;
}

const withoutTimes = (s: string) => {
  const j = JSON.parse(s);
  delete j.seconds;
  delete j.peakRssMB;
  return j;
};

describe("modenorm drift", () => {
  it("modenorm drift exits 0 on data like the fit's and 3 on shifted data, with a table or one JSON object", () =>
    inTempDir((dir) => {
      put(dir, "fit.csv", csv(20_000, 1));
      put(dir, "same.csv", csv(5_000, 2));
      put(dir, "shifted.csv", csv(5_000, 3, 4));
      ok(dir, ["fit", "fit.csv", "-o", "m.json"]);
      const text = ok(dir, ["drift", "same.csv", "-m", "m.json"]);
      assert.match(text, /^5000 rows: ok\n/);
      assert.match(text, /x +continuous +ok +nulls/);
      const same = JSON.parse(ok(dir, ["drift", "same.csv", "-m", "m.json", "--json"]));
      assert.equal(same.verdict, "ok");
      assert.deepEqual(
        same.columns.map((c: { name: string }) => c.name),
        ["x", "c"],
      );
      const r = run(dir, ["drift", "shifted.csv", "-m", "m.json", "--json"]);
      assert.equal(r.code, 3, r.stderr);
      const shifted = JSON.parse(r.stdout);
      assert.equal(shifted.verdict, "drift");
      assert.deepEqual(shifted.drifting, ["x"]);
      const x = shifted.columns[0];
      assert.ok(
        x.statistics.some(
          (s: { name: string; level: string }) => s.name === "cdfDistance" && s.level === "drift",
        ),
      );
      const t = run(dir, ["drift", "shifted.csv", "-m", "m.json"]);
      assert.equal(t.code, 3);
      assert.match(t.stdout, /^5000 rows: drift — 1 of 2 columns drift \(x\)\n/);
      assert.match(t.stdout, /cdf [0-9.]+\/[0-9.]+!!/);
      // The share and critical rules.
      assert.equal(run(dir, ["drift", "shifted.csv", "-m", "m.json", "--share", "0.9"]).code, 0);
      assert.equal(
        run(dir, ["drift", "shifted.csv", "-m", "m.json", "--share", "0.9", "--critical", "x"])
          .code,
        3,
      );
    }));

  it("modenorm drift --chunk-rows gives one verdict per chunk of time-ordered data", () =>
    inTempDir((dir) => {
      put(dir, "fit.csv", csv(20_000, 1));
      const later = csv(3_000, 4, 4).split("\n").slice(1).join("\n");
      put(dir, "events.csv", csv(4_000, 5) + later);
      ok(dir, ["fit", "fit.csv", "-o", "m.json"]);
      const r = run(dir, ["drift", "events.csv", "-m", "m.json", "--chunk-rows", "2000", "--json"]);
      assert.equal(r.code, 3, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.verdict, "drift");
      assert.deepEqual(
        j.chunks.map((c: { firstRow: number; rows: number; verdict: string }) => [
          c.firstRow,
          c.rows,
          c.verdict,
        ]),
        [
          [0, 2000, "ok"],
          [2000, 2000, "ok"],
          [4000, 2000, "drift"],
          [6000, 1000, "drift"],
        ],
      );
      const t = run(dir, ["drift", "events.csv", "-m", "m.json", "--chunk-rows", "2000"]);
      assert.match(t.stdout, /^rows 0–1999: ok\nrows 2000–3999: ok\nrows 4000–5999: drift/);
      assert.match(t.stdout, /4 chunks: 2 drift; overall drift\n$/);
      // The same reports for any thread count; another block size sums the log-likelihoods in
      // another order (last bits), with the same counts and verdicts.
      const args = [
        "drift",
        "fit.csv",
        "-m",
        "m.json",
        "--json",
        "--chunk-rows",
        "7000",
        "--block-rows",
        "999",
      ];
      const one = withoutTimes(ok(dir, [...args, "--threads", "1"]));
      const two = withoutTimes(ok(dir, [...args, "--threads", "2"]));
      assert.deepEqual(two, one);
      const blocks = withoutTimes(ok(dir, [...args.slice(0, -2), "--threads", "2"]));
      const verdicts = (j: { chunks: { verdict: string; columns: { verdict: string }[] }[] }) =>
        j.chunks.map((c) => [c.verdict, ...c.columns.map((x) => x.verdict)]);
      assert.deepEqual(verdicts(blocks), verdicts(one));
    }));

  it("modenorm drift refuses bad input with exit 1 and bad usage with exit 2, naming what and where", () =>
    inTempDir((dir) => {
      put(dir, "fit.csv", csv(2_000, 1));
      ok(dir, ["fit", "fit.csv", "-o", "m.json"]);
      const v1 = JSON.parse(readFileSync(join(dir, "m.json"), "utf8"));
      v1.version = 1;
      for (const c of v1.columns) {
        delete c.baseline;
        delete c.fit;
      }
      writeFileSync(join(dir, "v1.json"), JSON.stringify(v1));
      put(dir, "only-x.csv", "x\n1\n2\n");
      put(dir, "text-x.csv", "x,c\n1,red\nabc,red\n");
      put(dir, "empty.csv", "x,c\n");
      fails(dir, ["drift", "fit.csv", "-m", "v1.json"], 1, [
        'model file "v1.json" is a version 1 model file, which has no drift baseline',
        "Refit it",
      ]);
      fails(dir, ["drift", "only-x.csv", "-m", "m.json"], 1, ["only-x.csv", '"c"']);
      fails(dir, ["drift", "text-x.csv", "-m", "m.json"], 1, ["text-x.csv", "abc", "x"]);
      fails(dir, ["drift", "empty.csv", "-m", "m.json"], 1, ["empty.csv", "no rows"]);
      fails(dir, ["drift", "missing.csv", "-m", "m.json"], 1, ["missing.csv"]);
      fails(dir, ["drift", "fit.csv", "-m", "m.json", "--share", "2"], 2, [
        "--share must be a number > 0 and <= 1",
      ]);
      fails(dir, ["drift", "fit.csv", "-m", "m.json", "--critical", "nope"], 2, [
        '--critical names column "nope"',
        "x, c",
      ]);
      fails(dir, ["drift", "fit.csv", "-m", "m.json", "--chunk-rows", "0"], 2, ["--chunk-rows"]);
      fails(dir, ["drift", "fit.csv"], 2, ["--model"]);
    }));

  it("modenorm drift finds the credit-card Amount column like itself", (t) => {
    const data = sharedFile(t, "creditcard_amount.csv");
    if (data === null) return;
    return inTempDir((dir) => {
      ok(dir, ["fit", data, "-o", "m.json", "--columns", "Amount"]);
      const j = JSON.parse(ok(dir, ["drift", data, "-m", "m.json", "--json"]));
      assert.equal(j.verdict, "ok");
      assert.equal(j.rows, 199_368);
    });
  });
});
