/**
 * Bad input through the built CLI: each case exits 1 (bad input) or 2 (usage), names what is
 * wrong on stderr (file, column, row, value) and leaves no output or temporary file behind.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { readTable } from "../../src/io/index.js";
import { allKindsCsv, col, fails, inTempDir, listing, nullAt, ok, put } from "./helpers.js";

const BAD_INPUT = 1;
const USAGE = 2;

/** A temp dir holding in.csv (every column kind) and its model.json. */
async function withModel(body: (dir: string) => Promise<void> | void): Promise<void> {
  await inTempDir(async (dir) => {
    put(dir, "in.csv", allKindsCsv(120));
    ok(dir, ["fit", "in.csv", "-o", "model.json"]);
    await body(dir);
  });
}

describe("modenorm CLI on bad input", () => {
  test("a missing input file or model file", async () => {
    await withModel((dir) => {
      fails(dir, ["fit", "nope.csv", "-o", "m.json"], BAD_INPUT, ["nope.csv", "no such file"]);
      fails(dir, ["transform", "nope.csv", "-m", "model.json", "-o", "out.csv"], BAD_INPUT, [
        "nope.csv",
        "no such file",
      ]);
      fails(dir, ["inverse", "nope.parquet", "-m", "model.json", "-o", "out.csv"], BAD_INPUT, [
        "nope.parquet",
        "no such file",
      ]);
      fails(dir, ["evaluate", "nope.csv", "-m", "model.json"], BAD_INPUT, ["nope.csv"]);
      fails(dir, ["transform", "in.csv", "-m", "nope.json", "-o", "out.csv"], BAD_INPUT, [
        "nope.json",
        "no such model file",
      ]);
      fails(dir, ["inspect", "nope.json"], BAD_INPUT, ["nope.json"]);
    });
  });

  test("a column that does not exist: the message lists the columns that do", async () => {
    await inTempDir((dir) => {
      put(dir, "in.csv", allKindsCsv(60));
      const existing = ['"price"', '"count"', '"when"', '"label"', '"flag"', '"grade"'];
      fails(dir, ["fit", "in.csv", "--columns", "price,zz", "-o", "m.json"], BAD_INPUT, [
        "in.csv",
        '"zz"',
        ...existing,
      ]);
      fails(dir, ["fit", "in.csv", "--log", "zz", "-o", "m.json"], BAD_INPUT, [
        '"zz"',
        ...existing,
      ]);
    });
  });

  test("text in a --continuous column names line and value; --non-numeric null reads it as null", async () => {
    await inTempDir(async (dir) => {
      put(dir, "bad.csv", "a,b\n1,2.5\n3,x7\n5,6.25\n7,8.5\n9,10.75\n11,12\n");
      fails(dir, ["fit", "bad.csv", "--continuous", "b", "-o", "m.json"], BAD_INPUT, [
        "bad.csv",
        "line 3",
        '"b"',
        '"x7"',
        "--non-numeric null",
      ]);
      ok(dir, ["fit", "bad.csv", "--continuous", "b", "--non-numeric", "null", "-o", "m.json"]);
      const model = JSON.parse(readFileSync(join(dir, "m.json"), "utf8"));
      const b = model.columns.find((c: { name: string }) => c.name === "b");
      assert.equal(b.kind, "continuous");
      assert.equal(b.nullCount, 1);
      // transform reads the model's numeric type, so the text is reported there too …
      fails(dir, ["transform", "bad.csv", "-m", "m.json", "-o", "enc.csv"], BAD_INPUT, [
        "bad.csv",
        "line 3",
        '"x7"',
      ]);
      // … and read as missing with --non-numeric null: the row comes back null.
      ok(dir, ["transform", "bad.csv", "-m", "m.json", "-o", "enc.csv", "--non-numeric", "null"]);
      ok(dir, ["inverse", "enc.csv", "-m", "m.json", "--no-model-check", "-o", "dec.csv"]);
      const dec = col(await readTable(join(dir, "dec.csv")), "b");
      assert.equal(dec.type, "float64");
      assert.deepEqual(
        Array.from({ length: 6 }, (_, i) => (nullAt(dec, i) ? null : dec.values[i])),
        [2.5, null, 6.25, 8.5, 10.75, 12],
      );
    });
  });

  test("an empty (0-byte) file", async () => {
    await withModel((dir) => {
      put(dir, "empty.csv", "");
      fails(dir, ["fit", "empty.csv", "-o", "m.json"], BAD_INPUT, ["empty.csv", "empty"]);
      fails(dir, ["transform", "empty.csv", "-m", "model.json", "-o", "out.csv"], BAD_INPUT, [
        "empty.csv",
        "empty",
      ]);
    });
  });

  test("a header-only file: fit names the file and says it has no rows", async () => {
    await inTempDir((dir) => {
      put(dir, "hdr.csv", "a,b\n");
      fails(dir, ["fit", "hdr.csv", "-o", "m.json"], BAD_INPUT, ["no rows", "hdr.csv"]);
    });
  });

  test("a column of only nulls declared --continuous", async () => {
    await inTempDir((dir) => {
      put(dir, "nul.csv", "a,b\n1,\n2,\n3,NA\n");
      fails(dir, ["fit", "nul.csv", "--continuous", "b", "-o", "m.json"], BAD_INPUT, [
        '"b"',
        "missing",
      ]);
    });
  });

  test("a column of only nulls with its inferred kind is refused too (nothing to fit)", async () => {
    await inTempDir((dir) => {
      put(dir, "nul.csv", "a,b\n1,\n2,\n3,NA\n");
      fails(dir, ["fit", "nul.csv", "--columns", "a,b", "-o", "m.json"], BAD_INPUT, ['"b"']);
    });
  });

  test("a model from another table: transform and evaluate name the missing column", async () => {
    await withModel((dir) => {
      put(dir, "other.csv", "x,y\n1,a\n2,b\n3,c\n4,a\n");
      ok(dir, ["fit", "other.csv", "-o", "other.json"]);
      fails(dir, ["transform", "in.csv", "-m", "other.json", "-o", "out.csv"], BAD_INPUT, [
        "in.csv",
        '"x"',
        '"price"',
      ]);
      fails(dir, ["evaluate", "in.csv", "-m", "other.json"], BAD_INPUT, ["in.csv", '"x"']);
    });
  });

  test("inverse with a model from another table names the encoded file and both layouts", async () => {
    await withModel((dir) => {
      put(dir, "other.csv", "x,y\n1,a\n2,b\n3,c\n4,a\n");
      ok(dir, ["fit", "other.csv", "-o", "other.json"]);
      ok(dir, ["transform", "in.csv", "-m", "model.json", "-o", "enc.parquet"]);
      fails(
        dir,
        ["inverse", "enc.parquet", "-m", "other.json", "--no-model-check", "-o", "dec.csv"],
        BAD_INPUT,
        ["neither layout", "enc.parquet"],
      );
    });
  });

  test("a corrupted model file: truncated JSON, wrong version, negative std", async () => {
    await withModel((dir) => {
      const text = readFileSync(join(dir, "model.json"), "utf8");
      put(dir, "cut.json", text.slice(0, Math.floor(text.length / 2)));
      const model = JSON.parse(text);
      put(dir, "v99.json", JSON.stringify({ ...model, version: 99 }));
      const neg = structuredClone(model);
      assert.ok(neg.columns[0].modes.length >= 2, "price has ≥ 2 modes");
      neg.columns[0].modes[1].std = -1;
      put(dir, "neg.json", JSON.stringify(neg, null, 2));
      put(dir, "notmodel.json", JSON.stringify({ hello: "world" }));
      const cases: [string, string[]][] = [
        ["cut.json", ["cut.json", "not valid JSON", "line "]],
        ["v99.json", ["v99.json", "version is 99", "version 1"]],
        ["neg.json", ["neg.json", "columns[0].modes[1].std", "-1"]],
        ["notmodel.json", ["notmodel.json", "not a modenorm model file"]],
      ];
      for (const [file, mentions] of cases) {
        fails(dir, ["transform", "in.csv", "-m", file, "-o", "out.csv"], BAD_INPUT, mentions);
        fails(dir, ["inspect", file, "--json"], BAD_INPUT, mentions);
      }
      fails(
        dir,
        ["inverse", "in.csv", "-m", "neg.json", "--no-model-check", "-o", "out.csv"],
        BAD_INPUT,
        ["neg.json", "std"],
      );
    });
  });

  test("a truncated Parquet file and a text file named .parquet", async () => {
    await withModel((dir) => {
      ok(dir, ["transform", "in.csv", "-m", "model.json", "-o", "enc.parquet"]);
      const bytes = readFileSync(join(dir, "enc.parquet"));
      put(dir, "half.parquet", bytes.subarray(0, Math.floor(bytes.length / 2)));
      put(dir, "text.parquet", readFileSync(join(dir, "in.csv")));
      for (const f of ["half.parquet", "text.parquet"]) {
        fails(
          dir,
          ["inverse", f, "-m", "model.json", "--no-model-check", "-o", "out.csv"],
          BAD_INPUT,
          [f, "Parquet"],
        );
        fails(dir, ["fit", f, "-o", "m.json"], BAD_INPUT, [f, "Parquet"]);
        fails(dir, ["transform", f, "-m", "model.json", "-o", "out.csv"], BAD_INPUT, [
          f,
          "Parquet",
        ]);
      }
    });
  });

  test("an existing output: refused without --overwrite (untouched), replaced with it", async () => {
    await withModel((dir) => {
      const sentinel = "do not touch\n";
      put(dir, "out.csv", sentinel);
      put(dir, "out.json", sentinel);
      fails(dir, ["transform", "in.csv", "-m", "model.json", "-o", "out.csv"], BAD_INPUT, [
        "out.csv",
        "already exists",
        "--overwrite",
      ]);
      fails(dir, ["fit", "in.csv", "-o", "out.json"], BAD_INPUT, ["out.json", "--overwrite"]);
      fails(
        dir,
        ["inverse", "in.csv", "-m", "model.json", "--no-model-check", "-o", "out.csv"],
        BAD_INPUT,
        ["out.csv", "--overwrite"],
      );
      assert.equal(readFileSync(join(dir, "out.csv"), "utf8"), sentinel);
      assert.equal(readFileSync(join(dir, "out.json"), "utf8"), sentinel);

      ok(dir, ["transform", "in.csv", "-m", "model.json", "-o", "out.csv", "--overwrite"]);
      assert.ok(readFileSync(join(dir, "out.csv"), "utf8").startsWith("price.alpha,price.mode,"));
      // A model replaces only a model: the text file is kept, a model file is replaced.
      fails(dir, ["fit", "in.csv", "-o", "out.json", "--overwrite"], BAD_INPUT, [
        "out.json",
        "is not a modenorm model file",
      ]);
      assert.equal(readFileSync(join(dir, "out.json"), "utf8"), sentinel);
      put(
        dir,
        "out.json",
        readFileSync(join(dir, "model.json"), "utf8").replace('"seed": 0', '"seed": 1'),
      );
      ok(dir, ["fit", "in.csv", "-o", "out.json", "--overwrite"]);
      assert.equal(
        readFileSync(join(dir, "out.json"), "utf8"),
        readFileSync(join(dir, "model.json"), "utf8"),
      );
      // No temporary file is left behind by the successful writes either.
      assert.deepEqual(listing(dir), ["in.csv", "model.json", "out.csv", "out.json"]);
    });
  });

  test("usage errors exit 2: unknown command, unknown option, missing required option", async () => {
    await withModel((dir) => {
      fails(dir, ["frob"], USAGE, ["unknown command 'frob'"]);
      fails(dir, ["fit", "in.csv", "-o", "m.json", "--bogus"], USAGE, ["unknown option '--bogus'"]);
      fails(dir, ["transform", "in.csv", "-o", "out.csv"], USAGE, ["--model"]);
      fails(dir, ["fit", "in.csv"], USAGE, ["--output"]);
      fails(dir, ["inverse"], USAGE, []);
      // A bad option value is a usage error too (exit 2), named with the option, as a bad
      // choice (--layout bogus) is.
      fails(dir, ["fit", "in.csv", "-o", "m.json", "--seed", "abc"], USAGE, ["--seed", '"abc"']);
      fails(dir, ["fit", "in.csv", "-o", "m.json", "--mixed", "price"], USAGE, ["--mixed"]);
      fails(
        dir,
        ["transform", "in.csv", "-m", "model.json", "-o", "o.csv", "--layout", "bogus"],
        USAGE,
        ["bogus"],
      );
    });
  });

  test("inverse of an encoded file with a mode or category code out of range", async () => {
    await withModel(async (dir) => {
      ok(dir, ["transform", "in.csv", "-m", "model.json", "-o", "enc.csv"]);
      // The compact layout holds only numbers, so the file splits on commas and newlines.
      const lines = readFileSync(join(dir, "enc.csv"), "utf8").split("\n");
      const header = lines[0]!.split(",");
      const edit = (column: string, value: string, name: string) => {
        const j = header.indexOf(column);
        assert.ok(j >= 0, column);
        const copy = [...lines];
        const cells = copy[21]!.split(","); // line 22 of the file
        cells[j] = value;
        copy[21] = cells.join(",");
        put(dir, name, copy.join("\n"));
      };
      edit("price.mode", "99", "bad-mode.csv");
      edit("label.index", "17", "bad-index.csv");
      fails(
        dir,
        ["inverse", "bad-mode.csv", "-m", "model.json", "--no-model-check", "-o", "dec.csv"],
        BAD_INPUT,
        ['"price.mode"', "line 22", "99", "bad-mode.csv"],
      );
      fails(
        dir,
        ["inverse", "bad-index.csv", "-m", "model.json", "--no-model-check", "-o", "dec.csv"],
        BAD_INPUT,
        ['"label.index"', "line 22", "17", "bad-index.csv"],
      );
    });
  });
});
