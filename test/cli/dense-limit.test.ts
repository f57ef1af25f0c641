/** The dense layout's width limit through the built CLI. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fails, inTempDir, ok, put } from "./helpers.js";

/** A CSV with an id column of `n` distinct values and a number column. */
function idsCsv(n: number): string {
  const lines = ["id,x"];
  for (let i = 0; i < n; i++) lines.push(`${i},${(i % 7) * 1.5}`);
  return `${lines.join("\n")}\n`;
}

describe("transform --layout dense width limit", () => {
  test("transformCommand refuses a dense layout wider than 4096 columns before writing, naming the column", async () => {
    await inTempDir((dir) => {
      put(dir, "ids.csv", idsCsv(5000));
      ok(dir, ["fit", "ids.csv", "--categorical", "id", "-o", "m.json"]);
      for (const output of ["d.csv", "d.parquet", "dense-dir", "-"]) {
        const r = fails(
          dir,
          ["transform", "ids.csv", "-m", "m.json", "-o", output, "--layout", "dense"],
          1,
          [
            "m.json: the dense layout would have 5008 columns",
            "more than the limit of 4096",
            '"id" (categorical, 5000 categories: 5000 columns)',
            "--layout compact",
            "fit --columns",
            "--max-dense-columns 5008",
          ],
        );
        assert.equal(r.stdout, "");
      }
      // The compact layout of the same model is fine, and so is the dense one with the limit raised.
      ok(dir, ["transform", "ids.csv", "-m", "m.json", "-o", "c.parquet"]);
      ok(dir, [
        "transform",
        "ids.csv",
        "-m",
        "m.json",
        "-o",
        "d.parquet",
        "--layout",
        "dense",
        "--max-dense-columns",
        "5008",
      ]);
    });
  });

  test("transformCommand refuses dense blocks that cannot fit in memory, before writing, naming a --block-rows that fits", async () => {
    await inTempDir((dir) => {
      // 20,000 ids, 200,000 rows (1.3 MB): blocks of up to 2^20 rows x 80 KB a row, 3 in flight.
      const lines = ["id,x"];
      for (let i = 0; i < 200_000; i++) lines.push(`${i % 20_000},${(i % 7) * 1.5}`);
      put(dir, "ids.csv", `${lines.join("\n")}\n`);
      ok(dir, ["fit", "ids.csv", "--categorical", "id", "-o", "m.json"]);
      fails(
        dir,
        [
          "transform",
          "ids.csv",
          "-m",
          "m.json",
          "-o",
          "d.csv",
          "--layout",
          "dense",
          "--threads",
          "2",
          "--max-dense-columns",
          "30000",
        ],
        1,
        [
          "m.json: the dense layout (20008 columns) would hold",
          "3 blocks of 1048576 rows",
          "pass --block-rows",
          "--layout compact",
        ],
      );
    });
  });

  test("transformCommand refuses --max-dense-columns 0 as a usage error", async () => {
    await inTempDir((dir) => {
      put(dir, "ids.csv", idsCsv(10));
      ok(dir, ["fit", "ids.csv", "--categorical", "id", "-o", "m.json"]);
      fails(
        dir,
        [
          "transform",
          "ids.csv",
          "-m",
          "m.json",
          "-o",
          "d.csv",
          "--layout",
          "dense",
          "--max-dense-columns",
          "0",
        ],
        2,
        ["--max-dense-columns", ">= 1", '"0"'],
      );
      ok(dir, ["transform", "ids.csv", "-m", "m.json", "-o", "d.csv", "--layout", "dense"]);
    });
  });
});
