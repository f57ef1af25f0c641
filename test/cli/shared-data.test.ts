/**
 * The CLI on the shared real data beside the project (`../shared/data`); each test skips with a
 * clear message when the folder is absent.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readTable } from "../../src/io/index.js";
import { assertTablesEqual, fails, inTempDir, ok, sharedFile } from "./helpers.js";

interface EvaluateJson {
  rows: number;
  columns: {
    name: string;
    rows: number;
    clipped: number;
    compact: { exact: number; lost: number };
  }[];
}

const CREDIT_ROWS = 199368;

describe("modenorm CLI on the shared data", () => {
  test("creditcard_amount.csv: Amount comes back exactly, and fewer rows clip than the peer's 0.11%", async (t) => {
    const path = sharedFile(t, "creditcard_amount.csv");
    if (path === null) return;
    await inTempDir((dir) => {
      ok(dir, ["fit", path, "--columns", "Amount", "-o", "cc.json"]);
      const ev = JSON.parse(ok(dir, ["evaluate", path, "-m", "cc.json", "--json"])) as EvaluateJson;
      assert.equal(ev.rows, CREDIT_ROWS);
      assert.equal(ev.columns.length, 1);
      const a = ev.columns[0]!;
      assert.equal(a.name, "Amount");
      assert.equal(a.compact.exact, CREDIT_ROWS);
      assert.ok(
        a.clipped / CREDIT_ROWS < 0.0011,
        `clipped ${a.clipped} rows = ${((100 * a.clipped) / CREDIT_ROWS).toFixed(3)}%`,
      );
    });
  });

  test("creditcard_amount.parquet: Time, Amount and Amount.1 come back exactly", async (t) => {
    const path = sharedFile(t, "creditcard_amount.parquet");
    if (path === null) return;
    await inTempDir((dir) => {
      ok(dir, ["fit", path, "-o", "cc.json"]);
      const ev = JSON.parse(ok(dir, ["evaluate", path, "-m", "cc.json", "--json"])) as EvaluateJson;
      assert.equal(ev.rows, CREDIT_ROWS);
      assert.deepEqual(
        ev.columns.map((c) => c.name),
        ["Time", "Amount", "Amount.1"],
      );
      for (const c of ev.columns) {
        assert.equal(c.compact.exact, CREDIT_ROWS, `${c.name} exact`);
        assert.equal(c.compact.lost, 0, `${c.name} lost`);
      }
    });
  });

  test("imdb_movies.csv with --escape-char '\\': all 44 columns, every value exact", async (t) => {
    const path = sharedFile(t, "imdb_movies.csv");
    if (path === null) return;
    await inTempDir(async (dir) => {
      // fit → transform → inverse, compared in-process (evaluate also builds the dense one-hot
      // of five ~14,761-category text columns, which costs GBs).
      ok(dir, ["fit", path, "--escape-char", "\\", "-o", "imdb.json"]);
      ok(dir, ["transform", path, "--escape-char", "\\", "-m", "imdb.json", "-o", "enc.parquet"]);
      ok(dir, [
        "inverse",
        "enc.parquet",
        "-m",
        "imdb.json",
        "--no-model-check",
        "-o",
        "dec.parquet",
      ]);
      const input = await readTable(path, { escapeChar: "\\" });
      assert.equal(input.rows, 14761);
      assert.equal(input.columns.length, 44);
      assertTablesEqual(await readTable(join(dir, "dec.parquet")), input, "imdb round trip");
    });
  });

  test("imdb_movies.csv without --escape-char: a clear error naming line 66 and the option", async (t) => {
    const path = sharedFile(t, "imdb_movies.csv");
    if (path === null) return;
    await inTempDir((dir) => {
      fails(dir, ["fit", path, "-o", "imdb.json"], 1, [path, "line 66", "--escape-char"]);
    });
  });
});
