/**
 * `modenorm cluster` end to end: blobs with known clusters in a CSV file, the model file and the
 * assignments (Parquet and CSV), inspect, the same bytes for any thread count, bad input and
 * usage errors, and the IMDb movies table (skipped when the shared data are absent).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { adjustedRandIndex } from "../../src/core/rand-index.js";
import { generateBlobs } from "../../src/core/synthetic.js";
import { readTable } from "../../src/io/index.js";
import { fails, inTempDir, ok, put, sharedFile } from "./helpers.js";

function blobsCsv(n: number): { csv: string; truth: Int32Array } {
  const b = generateBlobs(n, 3, 3, 2, [0.7, 1, 1.3]);
  const lines = ["x,y,z,name"];
  for (let i = 0; i < n; i++) {
    const r = b.data.subarray(i * 3, i * 3 + 3);
    lines.push(`${r[0]},${r[1]},${r[2]},row${i}`);
  }
  return { csv: `${lines.join("\n")}\n`, truth: b.labels };
}

const IMDB_COLUMNS = "imdbRating,ratingCount,duration,year,nrOfWins,nrOfNominations";

describe("modenorm cluster", () => {
  it("cluster finds known blobs: model, Parquet assignments, inspect, the same for 1 and 3 threads", async () => {
    await inTempDir(async (dir) => {
      const { csv, truth } = blobsCsv(6000);
      put(dir, "blobs.csv", csv);
      const base = ["cluster", "blobs.csv", "--columns", "x,y,z", "--components", "3"];
      const out1 = ok(dir, [
        ...base,
        "-o",
        "m1.json",
        "--assignments",
        "a.parquet",
        "--threads",
        "1",
      ]);
      assert.match(out1, /clustered 6000 rows into 3 full-covariance components/);
      assert.match(out1, /converged after \d+ iterations/);
      ok(dir, [...base, "-o", "m3.json", "--threads", "3", "--json"]);
      assert.equal(
        readFileSync(join(dir, "m1.json"), "utf8"),
        readFileSync(join(dir, "m3.json"), "utf8"),
        "the model file is the same bytes for 1 and 3 threads",
      );
      const a = await readTable(join(dir, "a.parquet"));
      assert.equal(a.rows, 6000);
      assert.deepEqual(
        a.columns.map((c) => c.name),
        ["cluster", "prob_0", "prob_1", "prob_2"],
      );
      const labels = a.columns[0]!.values as Int32Array;
      const ari = adjustedRandIndex(labels, truth);
      assert.ok(ari >= 0.98, `adjusted Rand index ${ari}`);
      const shown = ok(dir, ["inspect", "m1.json"]);
      assert.match(shown, /m1\.json: clustering of 6000 rows into 3 components, seed 0/);
      assert.equal(shown.match(/cluster \d: weight/g)?.length, 3);
      const j = JSON.parse(ok(dir, ["inspect", "m1.json", "--json"]));
      assert.equal(j.format, "modenorm.clustering");
      assert.equal(j.meansInColumnUnits.length, 3);
    });
  });

  it("cluster refuses bad input and usage with the fix, leaving nothing behind", async () => {
    await inTempDir((dir) => {
      put(dir, "blobs.csv", blobsCsv(200).csv);
      put(dir, "holes.csv", "x,y\n1,2\n3,\n5,6\n7,8\n");
      const blobs2 = ["cluster", "blobs.csv", "--columns", "x,y", "--components", "2"];
      const holes = [
        "cluster",
        "holes.csv",
        "--columns",
        "x,y",
        "--components",
        "1",
        "--missing",
        "skip",
      ];
      fails(
        dir,
        ["cluster", "blobs.csv", "--columns", "x,name", "--components", "2", "-o", "m.json"],
        1,
        ['column "name"'],
      );
      fails(
        dir,
        ["cluster", "blobs.csv", "--columns", "x,nope", "--components", "2", "-o", "m.json"],
        1,
        ['--columns names column "nope"'],
      );
      fails(
        dir,
        ["cluster", "holes.csv", "--columns", "x,y", "--components", "2", "-o", "m.json"],
        1,
        ['column "y": row 1 is missing', "--missing skip"],
      );
      fails(dir, ["cluster", "blobs.csv", "--columns", "x,y", "-o", "m.json"], 2, ["--components"]);
      fails(dir, [...blobs2, "--covariance", "round", "-o", "m.json"], 2, ["--covariance"]);
      fails(dir, [...blobs2, "-o", "m.json", "--assignments", "m.json"], 2, ["same file"]);
      // A clustering model is not a model of fit: transform says so.
      ok(dir, [...holes, "-o", "c.json", "--assignments", "a.csv"]);
      const a = readFileSync(join(dir, "a.csv"), "utf8").split("\n");
      assert.equal(a[0], "cluster,prob_0");
      assert.equal(a[2], ",", "the skipped row's assignment is empty");
      fails(dir, ["transform", "holes.csv", "-m", "c.json", "-o", "t.csv"], 1, [
        "modenorm cluster",
      ]);
      fails(dir, [...holes, "-o", "c.json"], 1, ["already exists"]);
      // --overwrite replaces an earlier clustering model, never an input.
      ok(dir, [...holes, "-o", "c.json", "--overwrite"]);
      ok(dir, [...holes, "-o", "c.json", "--overwrite", "--assignments", "a.csv"]);
      fails(dir, [...holes, "-o", "holes.csv", "--overwrite"], 1, ["is an input of this run"]);
      put(dir, "notes.json", '{"mine": true}\n');
      fails(dir, [...holes, "-o", "notes.json", "--overwrite"], 1, [
        "notes.json: is not a modenorm model file",
      ]);
    });
  });

  it("cluster on the IMDb movies table: standardised, rows with missing values skipped, 1 and 3 threads alike", async (t) => {
    const movies = sharedFile(t, "imdb_movies.csv");
    if (movies === null) return;
    await inTempDir((dir) => {
      const args = [
        "cluster",
        movies,
        "--escape-char",
        "\\",
        "--columns",
        IMDB_COLUMNS,
        "--components",
        "4",
        "--standardize",
        "--missing",
        "skip",
        "--json",
      ];
      const one = JSON.parse(ok(dir, [...args, "-o", "m1.json", "--threads", "1"]));
      ok(dir, [...args, "-o", "m3.json", "--threads", "3"]);
      assert.equal(one.rows + one.skippedRows, 14761);
      assert.ok(one.skippedRows > 0 && one.converged);
      assert.equal(
        readFileSync(join(dir, "m1.json"), "utf8"),
        readFileSync(join(dir, "m3.json"), "utf8"),
      );
    });
  });
});
