/** The report's size budget: 50 columns under 2 MB, whatever the rows (no rows in the page). */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Random } from "../../src/core/rng.js";
import { inTempDir, ok } from "../cli/helpers.js";

/** 40 numeric columns of 1–4 modes at scales 1 to 10⁶, and 10 categorical of up to 60 values. */
function wide(rows: number, seed: number): string {
  const rng = new Random(seed);
  const normal = () =>
    Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
  const names = Array.from({ length: 50 }, (_, c) => (c % 5 === 4 ? `cat${c}` : `num${c}`));
  const lines = [names.join(",")];
  for (let i = 0; i < rows; i++) {
    const row = names.map((_, c) => {
      if (c % 5 === 4) return `v${Math.floor((2 + (c % 59)) * rng.random() ** 2)}`;
      const m = Math.floor(rng.random() * (1 + (c % 4)));
      return String(10 ** (c % 7) * (m * 6 + (1 + m) * normal()));
    });
    lines.push(row.join(","));
  }
  return `${lines.join("\n")}\n`;
}

describe("report size", () => {
  it("a report of 50 columns stays under 2 MB, with 3 charts per numeric column and 1 per categorical", async (t) => {
    await inTempDir((dir) => {
      writeFileSync(join(dir, "wide.csv"), wide(4000, 5));
      ok(dir, ["fit", "wide.csv", "-o", "model.json", "--no-progress"]);
      const r = JSON.parse(
        ok(dir, ["report", "wide.csv", "-m", "model.json", "-o", "wide.html", "--json"]),
      );
      t.diagnostic(`50 columns: ${r.bytes} bytes, ${r.charts} charts, ${r.seconds.toFixed(2)} s`);
      assert.equal(r.charts, 40 * 3 + 10);
      assert.ok(r.bytes < 2 * 1024 * 1024, `${r.bytes} bytes`);
      const html = readFileSync(join(dir, "wide.html"), "utf8");
      assert.equal(Buffer.byteLength(html), r.bytes);
      assert.equal((html.match(/<section id="col-/g) ?? []).length, 50);
      // Self-contained: no script, no external reference.
      assert.ok(!/<script|\bsrc=|href="http/i.test(html));
    });
  });
});
