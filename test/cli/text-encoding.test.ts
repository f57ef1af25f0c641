/** A Latin-1 CSV through fit → transform → inverse → compare, byte for byte. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fails, inTempDir, ok, put, run } from "./helpers.js";

/** A Latin-1 CSV with é, ü, ß, ö in its text (one byte each). */
const LATIN1 = Buffer.from(
  "name,city,v\nJosé,München,1.5\nStraße,Köln,2.5\nRenée,Paris,3.5\nJosé,Straßburg,4.5\n",
  "latin1",
);

describe("round trip of a Latin-1 CSV", () => {
  test("inverseCommand writes the encoding transform recorded, so the round trip is byte-identical", async () => {
    await inTempDir((dir) => {
      put(dir, "in.csv", LATIN1);
      ok(dir, ["fit", "in.csv", "--encoding", "latin1", "-o", "m.json"]);
      ok(dir, ["transform", "in.csv", "--encoding", "latin1", "-m", "m.json", "-o", "enc"]);
      const manifest = JSON.parse(readFileSync(join(dir, "enc", "_manifest.json"), "utf8"));
      assert.equal(manifest.info.inputEncoding, "latin1");
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec.csv"]);
      assert.deepEqual(readFileSync(join(dir, "dec.csv")), LATIN1);
      ok(dir, ["compare", "in.csv", "dec.csv", "--encoding", "latin1"]);
      // Standard output and CSV shards too.
      const r = run(dir, ["inverse", "enc", "-m", "m.json", "-o", "-"]);
      assert.equal(r.code, 0, r.stderr);
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec-dir", "--format", "csv"]);
      assert.deepEqual(readFileSync(join(dir, "dec-dir", "part-000000.csv")), LATIN1);
    });
  });

  test("inverseCommand --output-encoding utf8 overrides, and compareCommand --encoding-b reads each side in its encoding", async () => {
    await inTempDir((dir) => {
      put(dir, "in.csv", LATIN1);
      ok(dir, ["fit", "in.csv", "--encoding", "latin1", "-o", "m.json"]);
      ok(dir, ["transform", "in.csv", "--encoding", "latin1", "-m", "m.json", "-o", "enc"]);
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "dec.csv", "--output-encoding", "utf8"]);
      assert.equal(readFileSync(join(dir, "dec.csv"), "utf8"), LATIN1.toString("latin1"));
      ok(dir, ["compare", "in.csv", "dec.csv", "--encoding", "latin1", "--encoding-b", "utf8"]);
      const r = run(dir, ["compare", "in.csv", "dec.csv", "--encoding", "latin1"]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /first at row 0 column "name": "José" vs "JosÃ©"/);
    });
  });

  test("inverseCommand refuses text Latin-1 cannot hold, naming the character, and leaves nothing", async () => {
    await inTempDir((dir) => {
      put(dir, "in.csv", "name,v\nŐrs,1.5\nAnna,2.5\n");
      ok(dir, ["fit", "in.csv", "-o", "m.json"]);
      ok(dir, ["transform", "in.csv", "-m", "m.json", "-o", "enc"]);
      fails(
        dir,
        ["inverse", "enc", "-m", "m.json", "-o", "dec.csv", "--output-encoding", "latin1"],
        1,
        ["dec.csv: cannot be written in Latin-1", '"Ő" (U+0150)', "--output-encoding utf8"],
      );
    });
  });
});
