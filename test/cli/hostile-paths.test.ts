/**
 * Hostile use of outputs and paths: an output that is an input (the data, the model, the encoded
 * table, the directory of parts, `.`), a directory where a file is expected and the reverse,
 * trailing slashes, missing parents, links, an output that a glob or a directory input picks up.
 * Each case checks the exit code, the message, every input's bytes, and that no output is left
 * that looks complete when the run was refused.
 */
import assert from "node:assert/strict";
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { MANIFEST_NAME } from "../../src/io/shards.js";
import { inTempDir, ok, put, run } from "./helpers.js";
import { okKeeping, refuses, sha256, threeModesCsv, tree } from "./hostile-helpers.js";

const BAD_INPUT = 1;
const USAGE = 2;

/** A directory holding a.csv, its model m.json, enc.parquet and enc/ (both encodings of a.csv). */
let template = "";
before(() => {
  template = mkdtempSync(join(tmpdir(), "modenorm-hostile-paths-"));
  put(template, "a.csv", threeModesCsv(60));
  ok(template, ["fit", "a.csv", "-o", "m.json"]);
  ok(template, ["transform", "a.csv", "-m", "m.json", "-o", "enc.parquet"]);
  ok(template, ["transform", "a.csv", "-m", "m.json", "-o", "enc"]);
});
after(() => rmSync(template, { recursive: true, force: true }));

/** Runs `body` in a fresh copy of the template. */
async function inCopy(body: (dir: string) => Promise<void> | void): Promise<void> {
  await inTempDir(async (dir) => {
    cpSync(template, dir, { recursive: true });
    await body(dir);
  });
}

interface Refusal {
  id: string;
  title: string;
  setup?: (dir: string) => void;
  args: string[];
  code: number;
  mentions: (string | RegExp)[];
  todo?: string;
}

/** Every case: the run is refused and the tree, inputs included, is left byte for byte. */
const refusals: Refusal[] = [
  {
    id: "P01",
    title: "fit -o the input CSV, without --overwrite",
    args: ["fit", "a.csv", "-o", "a.csv"],
    code: BAD_INPUT,
    mentions: ["a.csv", "already exists", "--overwrite"],
  },
  {
    id: "P02",
    title: "fit -o the input CSV --overwrite",
    args: ["fit", "a.csv", "-o", "a.csv", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["a.csv"],
  },
  {
    id: "P03",
    title: "transform -o the input CSV --overwrite",
    args: ["transform", "a.csv", "-m", "m.json", "-o", "a.csv", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["a.csv"],
  },
  {
    id: "P04",
    title: "transform -o ./a.csv (the input spelt otherwise) --overwrite",
    args: ["transform", "a.csv", "-m", "m.json", "-o", "./a.csv", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["a.csv"],
  },
  {
    id: "P05",
    title: "transform -o the model file, without --overwrite",
    args: ["transform", "a.csv", "-m", "m.json", "-o", "m.json"],
    code: BAD_INPUT,
    mentions: ["m.json", "already exists"],
  },
  {
    id: "P06",
    title: "transform -o the model file --overwrite (the model would become a shard directory)",
    args: ["transform", "a.csv", "-m", "m.json", "-o", "m.json", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["m.json"],
  },
  {
    id: "P07",
    title: "inverse -o the encoded input file --overwrite",
    args: ["inverse", "enc.parquet", "-m", "m.json", "-o", "enc.parquet", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["enc.parquet"],
  },
  {
    id: "P08",
    title: "inverse -o the encoded input directory --overwrite",
    args: ["inverse", "enc", "-m", "m.json", "-o", "enc", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["enc"],
  },
  {
    id: "P09",
    title: "inverse -o the model file --overwrite",
    args: ["inverse", "enc.parquet", "-m", "m.json", "-o", "m.json", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["m.json"],
  },
  {
    id: "P10",
    title: "transform parts/ -o parts --overwrite (the input directory, with an unrelated file)",
    setup: (dir) => {
      mkdirSync(join(dir, "parts"));
      cpSync(join(dir, "a.csv"), join(dir, "parts", "p1.csv"));
      put(dir, "parts/notes.txt", "keep\n");
    },
    args: ["transform", "parts", "-m", "m.json", "-o", "parts", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["parts"],
  },
  {
    id: "P11",
    title: "transform -o . --overwrite",
    args: ["transform", "a.csv", "-m", "m.json", "-o", ".", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["."],
  },
  {
    id: "P12",
    title: "transform sub/a.csv -o sub/.. (a parent of the input) --overwrite",
    setup: (dir) => {
      mkdirSync(join(dir, "sub"));
      cpSync(join(dir, "a.csv"), join(dir, "sub", "a.csv"));
    },
    args: ["transform", "sub/a.csv", "-m", "m.json", "-o", "sub/..", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["sub/.."],
  },
  {
    id: "P13",
    title: "transform -o a directory of someone else's files --overwrite",
    setup: (dir) => {
      mkdirSync(join(dir, "photos"));
      put(dir, "photos/cat.jpg", "not ours");
    },
    args: ["transform", "a.csv", "-m", "m.json", "-o", "photos", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["photos"],
  },
  {
    id: "P14",
    title: "transform -o a plain file named like a directory output (not ours) --overwrite",
    setup: (dir) => put(dir, "out", "a letter, not a modenorm output\n"),
    args: ["transform", "a.csv", "-m", "m.json", "-o", "out", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["out"],
  },
  {
    id: "P15",
    title: "transform -o an existing plain file named like a directory output, no --overwrite",
    setup: (dir) => put(dir, "out", "a letter\n"),
    args: ["transform", "a.csv", "-m", "m.json", "-o", "out"],
    code: BAD_INPUT,
    mentions: ["out", "already exists"],
  },
  {
    id: "P16",
    title: "transform -o x.parquet where x.parquet is a directory, --overwrite",
    setup: (dir) => mkdirSync(join(dir, "x.parquet")),
    args: ["transform", "a.csv", "-m", "m.json", "-o", "x.parquet", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["x.parquet", "is a directory"],
  },
  {
    id: "P17",
    title: "fit -o an existing directory, no --overwrite",
    setup: (dir) => mkdirSync(join(dir, "d")),
    args: ["fit", "a.csv", "-o", "d"],
    code: BAD_INPUT,
    mentions: ["d", "already exists"],
  },
  {
    id: "P18",
    title: "fit -o an existing empty directory --overwrite (a model is a file)",
    setup: (dir) => mkdirSync(join(dir, "d")),
    args: ["fit", "a.csv", "-o", "d", "--overwrite"],
    code: BAD_INPUT,
    mentions: ["d"],
  },
  {
    id: "P19",
    title: "fit -o model/ (trailing slash: a directory that does not exist)",
    args: ["fit", "a.csv", "-o", "model/"],
    code: BAD_INPUT,
    mentions: ["model/"],
  },
  {
    id: "P20",
    title: "fit -o nodir/m.json (the parent directory does not exist)",
    args: ["fit", "a.csv", "-o", "nodir/m.json"],
    code: BAD_INPUT,
    mentions: ["nodir/m.json"],
  },
  {
    id: "P21",
    title: "fit -o '' (an empty output path is an invalid option value)",
    args: ["fit", "a.csv", "-o", ""],
    code: USAGE,
    mentions: ["--output"],
  },
  {
    id: "P22",
    title: "transform -o '' (an empty output path)",
    args: ["transform", "a.csv", "-m", "m.json", "-o", ""],
    code: USAGE,
    mentions: ["--output"],
  },
  {
    id: "P23",
    title: "transform -o - --format parquet (standard output cannot carry Parquet)",
    args: ["transform", "a.csv", "-m", "m.json", "-o", "-", "--format", "parquet"],
    code: USAGE,
    mentions: ["--format"],
  },
  {
    id: "P24",
    title: "transform - (standard input) with nothing on it",
    args: ["transform", "-", "-m", "m.json", "-o", "x.csv"],
    code: BAD_INPUT,
    mentions: ["-", "empty"],
  },
  {
    id: "P25",
    title: "transform -o an earlier output of another kind (enc.parquet exists), no --overwrite",
    args: ["transform", "a.csv", "-m", "m.json", "-o", "enc.parquet"],
    code: BAD_INPUT,
    mentions: ["enc.parquet", "already exists", "--overwrite"],
  },
];

describe("hostile paths: refused runs leave every file as it was", () => {
  for (const c of refusals) {
    test(`${c.id} ${c.title}`, c.todo === undefined ? {} : { todo: c.todo }, async () => {
      await inCopy((dir) => {
        c.setup?.(dir);
        refuses(dir, c.args, c.code, c.mentions);
      });
    });
  }
});

describe("hostile paths: runs that succeed without harming an input", () => {
  test("P27 transform -o out/ (trailing slash) writes a directory with a manifest", async () => {
    await inCopy((dir) => {
      okKeeping(dir, ["transform", "a.csv", "-m", "m.json", "-o", "out/"], ["a.csv", "m.json"]);
      assert.ok(existsSync(join(dir, "out", MANIFEST_NAME)));
      assert.ok(!existsSync(join(dir, "out.partial")));
      ok(dir, ["inverse", "out/", "-m", "m.json", "-o", "back.csv"]);
      ok(dir, ["compare", "a.csv", "back.csv"]);
    });
  });

  test("P28 transform -o an earlier output directory --overwrite replaces it, inputs untouched", async () => {
    await inCopy((dir) => {
      okKeeping(
        dir,
        ["transform", "a.csv", "-m", "m.json", "-o", "enc", "--overwrite", "--compression", "zstd"],
        ["a.csv", "m.json", "enc.parquet"],
      );
      ok(dir, ["inverse", "enc", "-m", "m.json", "-o", "back.csv"]);
      ok(dir, ["compare", "a.csv", "back.csv"]);
    });
  });

  test("P29 an output with an unknown extension (out.txt) becomes a directory, not a text file", async () => {
    await inCopy((dir) => {
      okKeeping(dir, ["transform", "a.csv", "-m", "m.json", "-o", "out.txt"], ["a.csv"]);
      assert.ok(lstatSync(join(dir, "out.txt")).isDirectory());
      assert.ok(existsSync(join(dir, "out.txt", MANIFEST_NAME)));
    });
  });

  test("P30 -o a symbolic link to the input --overwrite: the input keeps its bytes", async () => {
    await inCopy((dir) => {
      symlinkSync("a.csv", join(dir, "link.csv"));
      const input = sha256(join(dir, "a.csv"));
      const r = run(dir, ["transform", "a.csv", "-m", "m.json", "-o", "link.csv", "--overwrite"]);
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
      assert.equal(sha256(join(dir, "a.csv")), input, "the input behind the link is untouched");
      if (r.code === 1) assert.match(r.stderr, /link\.csv/);
      else assert.ok(!lstatSync(join(dir, "link.csv")).isSymbolicLink(), "the link was replaced");
    });
  });

  test("P31 -o a symbolic link to a directory of parts --overwrite: the parts are untouched", async () => {
    await inCopy((dir) => {
      mkdirSync(join(dir, "parts"));
      cpSync(join(dir, "a.csv"), join(dir, "parts", "p1.csv"));
      symlinkSync("parts", join(dir, "outlink"));
      const parts = tree(join(dir, "parts"));
      const r = run(dir, ["transform", "a.csv", "-m", "m.json", "-o", "outlink", "--overwrite"]);
      assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
      assert.deepEqual(tree(join(dir, "parts")), parts, "the linked directory is untouched");
    });
  });

  test("P32 an output written inside the input directory is caught when the parts are read again", async () => {
    await inCopy((dir) => {
      mkdirSync(join(dir, "parts"));
      cpSync(join(dir, "a.csv"), join(dir, "parts", "p1.csv"));
      cpSync(join(dir, "a.csv"), join(dir, "parts", "p2.csv"));
      okKeeping(dir, ["transform", "parts", "-m", "m.json", "-o", "parts/enc.csv"], ["a.csv"]);
      refuses(dir, ["fit", "parts", "-o", "m2.json"], BAD_INPUT, [
        "parts/enc.csv",
        "parts/p1.csv",
        "header differs",
      ]);
    });
  });

  test("P33 a glob that matches the output of an earlier run: --overwrite is refused, nothing changes", async () => {
    await inCopy((dir) => {
      mkdirSync(join(dir, "parts"));
      cpSync(join(dir, "a.csv"), join(dir, "parts", "p1.csv"));
      const args = ["transform", "parts/*.csv", "-m", "m.json", "-o", "parts/x.csv"];
      ok(dir, args);
      refuses(dir, [...args, "--overwrite"], BAD_INPUT, ["parts/x.csv", "header differs"]);
    });
  });

  test("P34 a sub-directory of an input directory is not read as a part", async () => {
    await inCopy((dir) => {
      mkdirSync(join(dir, "parts"));
      cpSync(join(dir, "a.csv"), join(dir, "parts", "p1.csv"));
      ok(dir, ["transform", "parts", "-m", "m.json", "-o", "parts/enc"]);
      const r = JSON.parse(
        okKeeping(dir, ["transform", "parts", "-m", "m.json", "-o", "again", "--json"], ["a.csv"])
          .stdout,
      );
      assert.equal(r.rows, 60, "only parts/p1.csv was read");
    });
  });

  test("P26 an output written into an encoded directory makes it unreadable, and says why", async () => {
    await inCopy((dir) => {
      okKeeping(dir, ["inverse", "enc", "-m", "m.json", "-o", "enc/dec.csv"], ["a.csv", "m.json"]);
      refuses(dir, ["inverse", "enc", "-m", "m.json", "-o", "d2.csv"], BAD_INPUT, [
        "enc/dec.csv",
        "mixes formats",
      ]);
    });
  });
});
