/**
 * Hostile models and encoded outputs: model files edited by hand (extra fields, other version,
 * NaN/Infinity, out-of-range numbers, truncated, a byte-order mark, no columns), models that do
 * not belong to the data (other columns, other types, other data, other seed), and encoded
 * directories whose shards or manifest were tampered with. Each case checks the exit code, the
 * message, and that every file is left byte for byte, with no output behind.
 */
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { MANIFEST_NAME } from "../../src/io/shards.js";
import { inTempDir, ok, put } from "./helpers.js";
import { refuses, sha256 } from "./hostile-helpers.js";

const BAD_INPUT = 1;

/** x: three modes; y: three categories; n: small integers (a categorical int64 column). */
function tableCsv(rows: number, shift = 0): string {
  const lines = ["x,y,n"];
  for (let i = 0; i < rows; i++) {
    lines.push(`${[3, 40, 250][i % 3]! + shift + Math.sin(i)},${"abc"[i % 3]},${i % 7}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * a.csv and its model m.json; b.csv (other data, same columns) and its model mb.json; m7.json
 * (a.csv with another seed); enc/ (a.csv encoded, 3 shards of 20 rows), enc.parquet.
 */
let template = "";
before(() => {
  template = mkdtempSync(join(tmpdir(), "modenorm-hostile-models-"));
  put(template, "a.csv", tableCsv(60));
  put(template, "b.csv", tableCsv(60, 1000));
  ok(template, ["fit", "a.csv", "-o", "m.json"]);
  ok(template, ["fit", "b.csv", "-o", "mb.json"]);
  ok(template, ["fit", "a.csv", "-o", "m7.json", "--seed", "7"]);
  const shards = ["--block-rows", "20", "--shard-rows", "20"];
  ok(template, ["transform", "a.csv", "-m", "m.json", "-o", "enc", ...shards]);
  ok(template, ["transform", "a.csv", "-m", "m.json", "-o", "enc.parquet"]);
});
after(() => rmSync(template, { recursive: true, force: true }));

async function inCopy(body: (dir: string) => Promise<void> | void): Promise<void> {
  await inTempDir(async (dir) => {
    cpSync(template, dir, { recursive: true });
    await body(dir);
  });
}

type Json = { [k: string]: unknown };

/** Rewrites m.json as the text `edit` makes of it. */
function editModelText(dir: string, edit: (text: string) => string): void {
  const p = join(dir, "m.json");
  writeFileSync(p, edit(readFileSync(p, "utf8")));
}

/** Rewrites m.json after `edit` changed its parsed JSON. */
function editModel(dir: string, edit: (m: Json & { columns: Json[] }) => void): void {
  editModelText(dir, (t) => {
    const m = JSON.parse(t);
    edit(m);
    return JSON.stringify(m, null, 2);
  });
}

/** Rewrites enc/_manifest.json after `edit` changed its parsed JSON. */
function editManifest(dir: string, edit: (m: Json & { shards: Json[]; run: Json }) => void) {
  const p = join(dir, "enc", MANIFEST_NAME);
  const m = JSON.parse(readFileSync(p, "utf8"));
  edit(m);
  writeFileSync(p, JSON.stringify(m, null, 2));
}

const transformA = ["transform", "a.csv", "-m", "m.json", "-o", "out.csv"];
const inverseEnc = ["inverse", "enc", "-m", "m.json", "-o", "back.csv"];
const DAMAGED = "refit the model (modenorm fit) or restore the file";

interface Case {
  id: string;
  title: string;
  setup: (dir: string) => void;
  args: string[];
  mentions: (string | RegExp)[];
  todo?: string;
}

const modelCases: Case[] = [
  {
    id: "M01",
    title: "a model with an extra top-level field",
    setup: (d) => editModel(d, (m) => Object.assign(m, { comment: "mine" })),
    args: transformA,
    mentions: ['model file "m.json"', "comment is not a field", DAMAGED],
  },
  {
    id: "M02",
    title: "a model column with an extra field",
    setup: (d) => editModel(d, (m) => Object.assign(m.columns[0]!, { note: 1 })),
    args: transformA,
    mentions: ["columns[0].note is not a field", DAMAGED],
  },
  {
    id: "M03",
    title: "a model of a later version",
    setup: (d) => editModel(d, (m) => Object.assign(m, { version: 4 })),
    args: transformA,
    mentions: ["version is 4", "reads version 1, 2, 3 only"],
  },
  {
    id: "M04",
    title: "NaN written into a mode's std",
    setup: (d) => editModelText(d, (t) => t.replace(/"std": [^,\n}]+/, '"std": NaN')),
    args: transformA,
    mentions: ['model file "m.json"', "not valid JSON", "line"],
  },
  {
    id: "M05",
    title: "Infinity written into a mode's mean",
    setup: (d) => editModelText(d, (t) => t.replace(/"mean": [^,\n}]+/, '"mean": -Infinity')),
    args: transformA,
    mentions: ['model file "m.json"', "not valid JSON", "line"],
  },
  {
    id: "M06",
    title: "1e400 (valid JSON that overflows to Infinity) as a std",
    setup: (d) => editModelText(d, (t) => t.replace(/"std": [^,\n}]+/, '"std": 1e400')),
    args: transformA,
    mentions: ["columns[0].modes[0].std", "finite", "Infinity"],
  },
  {
    id: "M07",
    title: "a model cut in the middle",
    setup: (d) => editModelText(d, (t) => t.slice(0, Math.floor(t.length / 2))),
    args: inverseEnc,
    mentions: ['model file "m.json"', "not valid JSON"],
  },
  {
    id: "M08",
    title: "a mode with std 0",
    setup: (d) =>
      editModel(d, (m) => Object.assign((m.columns[0]!.modes as Json[])[0]!, { std: 0 })),
    args: transformA,
    mentions: ["columns[0].modes[0].std", "> 0, got 0"],
  },
  {
    id: "M09",
    title: "a mode with a negative weight",
    setup: (d) =>
      editModel(d, (m) => Object.assign((m.columns[0]!.modes as Json[])[0]!, { weight: -1 })),
    args: inverseEnc,
    mentions: ["columns[0].modes[0].weight", "got -1"],
  },
  {
    id: "M10",
    title: "a category listed twice",
    setup: (d) =>
      editModel(d, (m) => Object.assign(m.columns[1]!, { categories: ["a", "a", "c"] })),
    args: transformA,
    mentions: ["columns[1].categories[1] duplicates categories[0]"],
  },
  {
    id: "M11",
    title: "a column kind this build does not know",
    setup: (d) => editModel(d, (m) => Object.assign(m.columns[0]!, { kind: "spline" })),
    args: transformA,
    mentions: ['"spline"', "not a kind this build knows"],
  },
  {
    id: "M12",
    title: "a model with no columns at all",
    setup: (d) => editModel(d, (m) => Object.assign(m, { columns: [] })),
    args: transformA,
    mentions: ['model file "m.json"', "columns is empty", DAMAGED],
  },
  {
    id: "M13",
    title: "a column listed twice",
    setup: (d) => editModel(d, (m) => m.columns.push(m.columns[0]!)),
    args: transformA,
    mentions: ['columns[3].name is "x"', "already the name of columns[0]"],
  },
  {
    id: "M14",
    title: "a file saved with a byte-order mark by an editor",
    setup: (d) => editModelText(d, (t) => `\ufeff${t}`),
    args: transformA,
    mentions: ['model file "m.json"', "not valid JSON"],
  },
  {
    id: "M15",
    title: "the manifest of an encoded directory given as the model",
    setup: () => {},
    args: ["transform", "a.csv", "-m", `enc/${MANIFEST_NAME}`, "-o", "out.csv"],
    mentions: ["not a modenorm model file"],
  },
  {
    id: "M16",
    title: "a directory given as the model",
    setup: () => {},
    args: ["transform", "a.csv", "-m", "enc", "-o", "out.csv"],
    mentions: ["enc", "cannot read"],
  },
  {
    id: "M17",
    title: "a model from another column set (the data lacks column y)",
    setup: (d) => put(d, "xn.csv", "x,n\n1.5,1\n2.5,2\n"),
    args: ["transform", "xn.csv", "-m", "m.json", "-o", "out.csv"],
    mentions: ["xn.csv", 'no column "y"'],
  },
  {
    id: "M18",
    title: "data whose integer column now holds a decimal",
    setup: (d) => put(d, "dec.csv", "x,y,n\n1.5,a,1\n2.5,b,2.5\n"),
    args: ["transform", "dec.csv", "-m", "m.json", "-o", "out.csv"],
    mentions: ["dec.csv", "line 3", '"n"', '"2.5"'],
  },
  {
    id: "M19",
    title: "…and the fix it suggests is one the CLI has",
    setup: (d) => put(d, "dec.csv", "x,y,n\n1.5,a,1\n2.5,b,2.5\n"),
    args: ["transform", "dec.csv", "-m", "m.json", "-o", "out.csv"],
    mentions: [/modenorm fit|--continuous|--categorical/],
  },
  {
    id: "M20",
    title: "a category the model never saw (unseen: error)",
    setup: (d) => put(d, "new.csv", "x,y,n\n1.5,a,1\n2.5,zebra,2\n"),
    args: ["transform", "new.csv", "-m", "m.json", "-o", "out.csv"],
    mentions: ["new.csv", '"zebra"', '"y"'],
  },
];

const decodeCases: Case[] = [
  {
    id: "M21",
    title: "inverse of enc/ with a model fitted on other data",
    setup: () => {},
    args: ["inverse", "enc", "-m", "mb.json", "-o", "back.csv"],
    mentions: ["mb.json", /[0-9a-f]{64}[\s\S]*[0-9a-f]{64}/],
  },
  {
    id: "M22",
    title: "inverse of enc/ with the same data's model fitted with another --seed",
    setup: () => {},
    args: ["inverse", "enc", "-m", "m7.json", "-o", "back.csv"],
    mentions: ["m7.json", /[0-9a-f]{64}[\s\S]*[0-9a-f]{64}/],
  },
  {
    id: "M23",
    title: "inverse of enc/ whose manifest names another model checksum",
    setup: (d) => editManifest(d, (m) => Object.assign(m.run, { model: "0".repeat(64) })),
    args: inverseEnc,
    mentions: ["0".repeat(64)],
  },
  {
    id: "M24",
    title: "inverse of enc/ whose manifest says dense while the shards are compact",
    setup: (d) => editManifest(d, (m) => Object.assign(m.run, { layout: "dense" })),
    args: inverseEnc,
    mentions: ["enc", "dense"],
  },
  {
    id: "M25",
    title: "an encoded directory missing its middle shard",
    setup: (d) => rmSync(join(d, "enc", "part-000001.parquet")),
    args: inverseEnc,
    mentions: ["enc", "part-000001.parquet is missing", "regenerate"],
  },
  {
    id: "M26",
    title: "an encoded directory with an extra shard (a copy of another)",
    setup: (d) =>
      cpSync(join(d, "enc", "part-000001.parquet"), join(d, "enc", "part-000003.parquet")),
    args: inverseEnc,
    mentions: ["part-000003.parquet is not listed", MANIFEST_NAME],
  },
  {
    id: "M27",
    title: "an encoded directory with two shards of the same size swapped",
    setup: (d) => {
      const e = (n: number) => join(d, "enc", `part-00000${n}.parquet`);
      renameSync(e(0), join(d, "t"));
      renameSync(e(1), e(0));
      renameSync(join(d, "t"), e(1));
    },
    args: inverseEnc,
    mentions: ["enc", "part-000000.parquet", "swapped or replaced"],
  },
  {
    id: "M28",
    title: "a manifest whose row count was edited",
    setup: (d) => editManifest(d, (m) => Object.assign(m, { rows: 50 })),
    args: inverseEnc,
    mentions: ["enc", "50 rows", "60", "regenerate"],
  },
  {
    id: "M29",
    title: "a manifest whose shard first row was edited",
    setup: (d) => editManifest(d, (m) => Object.assign(m.shards[1]!, { firstRow: 21 })),
    args: inverseEnc,
    mentions: ["enc", "part-000001.parquet", "row 21", "row 20"],
  },
  {
    id: "M30",
    title: "a manifest of a later version",
    setup: (d) => editManifest(d, (m) => Object.assign(m, { version: 9 })),
    args: inverseEnc,
    mentions: [MANIFEST_NAME, "version 9", "version 1"],
  },
  {
    id: "M31",
    title: "a manifest that does not say the output is complete",
    setup: (d) => editManifest(d, (m) => Object.assign(m, { complete: false })),
    args: inverseEnc,
    mentions: [MANIFEST_NAME, "complete", "regenerate"],
  },
  {
    id: "M32",
    title: "a manifest cut short",
    setup: (d) => writeFileSync(join(d, "enc", MANIFEST_NAME), '{"format": "modenorm.sh'),
    args: inverseEnc,
    mentions: [MANIFEST_NAME, "JSON"],
  },
  {
    id: "M33",
    title: "a shard cut short (same name, fewer bytes)",
    setup: (d) => {
      const p = join(d, "enc", "part-000002.parquet");
      writeFileSync(p, readFileSync(p).subarray(0, 100));
    },
    args: inverseEnc,
    mentions: ["part-000002.parquet", "bytes", "regenerate"],
  },
  {
    id: "M34",
    title: "encoded CSV with a column removed (x.residual)",
    setup: (d) => {
      ok(d, ["transform", "a.csv", "-m", "m.json", "-o", "e.csv"]);
      const t = readFileSync(join(d, "e.csv"), "utf8").split("\n");
      put(
        d,
        "e.csv",
        t
          .map((l) =>
            l
              .split(",")
              .filter((_, j) => j !== 2)
              .join(","),
          )
          .join("\n"),
      );
    },
    args: ["inverse", "e.csv", "-m", "m.json", "-o", "back.csv"],
    mentions: ["e.csv", "x.residual"],
  },
  {
    id: "M35",
    title: "encoded data with a column renamed",
    setup: (d) => {
      ok(d, ["transform", "a.csv", "-m", "m.json", "-o", "e.csv"]);
      const t = readFileSync(join(d, "e.csv"), "utf8");
      put(d, "e.csv", t.replace("x.mode", "x.mood"));
    },
    args: ["inverse", "e.csv", "-m", "m.json", "-o", "back.csv"],
    mentions: ["e.csv", "x.mode"],
  },
  {
    id: "M36",
    title: "the original data given to inverse instead of the encoded data",
    setup: () => {},
    args: ["inverse", "a.csv", "-m", "m.json", "-o", "back.csv"],
    mentions: ["a.csv"],
  },
];

describe("hostile models: damaged or foreign model files are refused before any output", () => {
  for (const c of modelCases) {
    test(`${c.id} ${c.title}`, c.todo === undefined ? {} : { todo: c.todo }, async () => {
      await inCopy((dir) => {
        c.setup(dir);
        refuses(dir, c.args, BAD_INPUT, c.mentions);
      });
    });
  }
});

describe("hostile decoding: mismatched models and tampered encoded outputs are refused", () => {
  for (const c of decodeCases) {
    test(`${c.id} ${c.title}`, c.todo === undefined ? {} : { todo: c.todo }, async () => {
      await inCopy((dir) => {
        c.setup(dir);
        refuses(dir, c.args, BAD_INPUT, c.mentions);
      });
    });
  }

  test("M37 the model file is read, never written: its bytes are the same after every command", async () => {
    await inCopy((dir) => {
      const model = sha256(join(dir, "m.json"));
      ok(dir, ["transform", "a.csv", "-m", "m.json", "-o", "e2"]);
      ok(dir, ["inverse", "e2", "-m", "m.json", "-o", "back.csv"]);
      ok(dir, ["evaluate", "a.csv", "-m", "m.json"]);
      ok(dir, ["inspect", "m.json"]);
      ok(dir, ["compare", "a.csv", "back.csv"]);
      if (sha256(join(dir, "m.json")) !== model) throw new Error("m.json changed");
    });
  });
});
