/**
 * The shared real data files beside the project (`../shared/data`): each test skips with a clear
 * message when the folder is absent.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidInputError } from "../../src/core/errors.js";
import type { Column, Table } from "../../src/core/table.js";
import { readTable } from "../../src/io/table-io.js";
import { sharedFile } from "./helpers.js";

function col(t: Table, name: string): Column {
  const c = t.columns.find((x) => x.name === name);
  assert.ok(c, `no column ${name}`);
  return c;
}

describe("shared data", () => {
  test("readTable reads creditcard_amount.parquet: 199,368 rows of Time, Amount, Amount.1", async (t) => {
    const path = sharedFile(t, "creditcard_amount.parquet");
    if (path === null) return;
    const table = await readTable(path);
    assert.equal(table.rows, 199368);
    assert.deepEqual(
      table.columns.map((c) => `${c.name}:${c.type}`),
      ["Time:int64", "Amount:float64", "Amount.1:float64"],
    );
    assert.deepEqual(col(table, "Amount").values, col(table, "Amount.1").values);
    let max = 0;
    for (const v of col(table, "Amount").values as Float64Array) if (v > max) max = v;
    assert.equal(max, 11789.84);
  });

  test("readTable reads creditcard_amount.csv to the same values as the Parquet file", async (t) => {
    const csvPath = sharedFile(t, "creditcard_amount.csv");
    const pqPath = sharedFile(t, "creditcard_amount.parquet");
    if (csvPath === null || pqPath === null) return;
    const csv = await readTable(csvPath);
    assert.equal(csv.rows, 199368);
    assert.deepEqual(
      csv.columns.map((c) => `${c.name}:${c.type}`),
      ["Time:int64", "Amount:float64"],
    );
    const pq = await readTable(pqPath, { columns: ["Time", "Amount"] });
    assert.deepEqual(col(csv, "Time").values, col(pq, "Time").values);
    assert.deepEqual(col(csv, "Amount").values, col(pq, "Amount").values);
  });

  // The README calls the file Latin-1, but its bytes are valid UTF-8 ("Früchte des Zorns" is
  // C3 BC for ü); read as Latin-1 it gives mojibake ("FrÃ¼chte"). It writes commas inside
  // titles as "\,", as pandas' escapechar="\\" reads.
  test("readTable reads imdb_movies.csv (UTF-8, backslash escapes): 14,761 rows", async (t) => {
    const path = sharedFile(t, "imdb_movies.csv");
    if (path === null) return;
    const table = await readTable(path, { escapeChar: "\\" });
    assert.equal(table.rows, 14761);
    assert.equal(table.columns.length, 44);
    const types = Object.fromEntries(table.columns.map((c) => [c.name, c.type]));
    assert.equal(types.imdbRating, "float64");
    for (const n of [
      "ratingCount",
      "duration",
      "year",
      "nrOfWins",
      "nrOfGenre",
      "Action",
      "Western",
    ]) {
      assert.equal(types[n], "int64", n);
    }
    const titles = col(table, "title").values as (string | null)[];
    assert.ok(titles.includes("Dr. Seltsam, oder wie ich lernte, die Bombe zu lieben (1964)"));
    assert.ok(titles.includes("Früchte des Zorns (1940)"), "umlauts decode");
    const latin1 = await readTable(path, {
      encoding: "latin1",
      escapeChar: "\\",
      columns: ["title"],
    });
    assert.ok((latin1.columns[0]!.values as string[]).includes("FrÃ¼chte des Zorns (1940)"));
  });

  test("readTable explains what is wrong with imdb_movies.csv read with the defaults", async (t) => {
    const path = sharedFile(t, "imdb_movies.csv");
    if (path === null) return;
    await assert.rejects(
      () => readTable(path),
      (err: Error) => {
        assert.ok(err instanceof InvalidInputError);
        assert.match(err.message, /line 66: expected 44 fields \(as in the header\), got 46/);
        return true;
      },
    );
  });
});
