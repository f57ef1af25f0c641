import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InvalidInputError } from "../../src/core/errors.js";
import { fitCategorical } from "../../src/encode/categorical.js";
import { fitMinMax } from "../../src/encode/minmax.js";
import { inspectModel, modelFromJson, modelToJson } from "../../src/encode/model-file.js";
import type { ModelSpec } from "../../src/encode/spec.js";

function model(): ModelSpec {
  return {
    format: "modenorm.model",
    version: 1,
    seed: 7,
    columns: [
      {
        name: "age",
        kind: "continuous",
        dtype: "float64",
        modes: [
          { weight: 0.25, mean: -0, std: 1.5 },
          { weight: 0.75, mean: 40.1, std: 3 },
        ],
        scale: 4,
        modeChoice: "sample",
        nullable: false,
        rows: 10,
        nullCount: 0,
        meanLogLikelihood: -2.5,
      },
      fitCategorical({
        name: "color",
        type: "string",
        values: ["red", "blue", "red", null],
      }),
      fitMinMax({
        name: "when",
        type: "timestamp",
        unit: "ms",
        values: BigInt64Array.of(1n, 5n),
        nulls: null,
      }),
      fitCategorical({
        name: "n",
        type: "int64",
        values: BigInt64Array.of(2n ** 63n - 1n, -1n),
        nulls: null,
      }),
    ],
  };
}

/** The model as a plain JSON object, for mutation. */
function plain(): Record<string, unknown> {
  return JSON.parse(modelToJson(model()));
}
function col(m: Record<string, unknown>, i: number): Record<string, unknown> {
  return (m.columns as Record<string, unknown>[])[i]!;
}

function rejects(text: string, ...patterns: RegExp[]): void {
  let thrown: unknown = null;
  try {
    modelFromJson(text, "models/m.json");
  } catch (e) {
    thrown = e;
  }
  assert.ok(
    thrown instanceof InvalidInputError,
    `expected InvalidInputError, got ${String(thrown)}`,
  );
  const msg = (thrown as Error).message;
  assert.match(msg, /^model file "models\/m\.json": /);
  for (const p of patterns) assert.match(msg, p);
}

describe("modelToJson / modelFromJson", () => {
  it("modelFromJson reads back what modelToJson wrote, −0 included", () => {
    const m = model();
    const back = modelFromJson(modelToJson(m), "m.json");
    assert.deepEqual(back, m);
    const mean = (back.columns[0] as { modes: { mean: number }[] }).modes[0]!.mean;
    assert.ok(Object.is(mean, -0));
  });

  it("modelToJson writes keys in a stable order, pretty-printed", () => {
    const m = model();
    const shuffled = {
      columns: m.columns.map((c) => Object.fromEntries(Object.entries(c).reverse())),
      seed: m.seed,
      version: m.version,
      format: m.format,
    } as unknown as ModelSpec;
    const text = modelToJson(shuffled);
    assert.equal(text, modelToJson(m));
    assert.ok(text.startsWith('{\n  "format": "modenorm.model",\n  "version": 1,\n  "seed": 7,\n'));
    assert.ok(text.endsWith("\n}"));
    const keys = Object.keys(JSON.parse(text).columns[1]);
    assert.deepEqual(keys, [
      "name",
      "kind",
      "dtype",
      "categories",
      "order",
      "counts",
      "unseen",
      "nullable",
      "rows",
      "nullCount",
    ]);
    assert.match(text, /"mean": -0,/);
    assert.match(text, /"9223372036854775807"/);
  });

  it("modelToJson refuses NaN and ±Infinity, naming the JSON path", () => {
    const m = model();
    (m.columns[0] as { meanLogLikelihood: number }).meanLogLikelihood = Number.NaN;
    assert.throws(
      () => modelToJson(m),
      /^InvalidInputError: model: columns\[0\]\.meanLogLikelihood must be a finite number or null, got NaN/,
    );
    const m2 = model();
    (m2.columns[2] as { max: number }).max = Infinity;
    assert.throws(() => modelToJson(m2), /columns\[2\]\.max must be a finite number, got Infinity/);
  });
});

describe("modelFromJson validation", () => {
  it("modelFromJson reports text that is not JSON with its position", () => {
    rejects("", /not valid JSON at line 1, column 1 \(offset 0\)/);
    rejects(
      '{\n  "format": "modenorm.model",\n  "seed": ,\n}',
      /not valid JSON at line 3, column 11/,
    );
    rejects('{"a": 1} x', /at line 1, column 10/);
    rejects('{"a": "\\q"}', /at line 1, column 9/);
  });

  it("modelFromJson rejects another format and unsupported versions", () => {
    rejects('{"format": "ctgan"}', /format is the string "ctgan", not "modenorm.model"/);
    rejects("[1, 2]", /the top level must be an object, got an array of 2/);
    const m = plain();
    m.version = 4;
    rejects(
      JSON.stringify(m),
      /version is 4, but this build of modenorm reads version 1, 2, 3 only/,
    );
  });

  /** [what to break, expected message]: every check with its JSON path. */
  const CASES: [string, (m: Record<string, unknown>) => void, RegExp][] = [
    ["missing seed", (m) => delete m.seed, /: seed is missing\./],
    ["seed not an integer", (m) => (m.seed = 1.5), /seed must be an integer ≥ 0, got 1\.5/],
    ["columns not an array", (m) => (m.columns = {}), /columns must be an array, got an object/],
    [
      "column not an object",
      (m) => ((m.columns as unknown[])[1] = 3),
      /columns\[1\] must be an object, got 3/,
    ],
    ["missing kind", (m) => delete col(m, 0).kind, /columns\[0\]\.kind is missing/],
    [
      "unknown kind",
      (m) => (col(m, 0).kind = "fancy"),
      /columns\[0\]\.kind is the string "fancy", not a kind this build knows \(continuous, integer, datetime, log, mixed, minmax, categorical\)/,
    ],
    ["missing modes", (m) => delete col(m, 0).modes, /columns\[0\]\.modes is missing/],
    ["empty modes", (m) => (col(m, 0).modes = []), /columns\[0\]\.modes is empty/],
    [
      "negative std",
      (m) => ((col(m, 0).modes as Record<string, unknown>[])[1]!.std = -1),
      /columns\[0\]\.modes\[1\]\.std must be a finite number > 0, got -1\. The file is damaged/,
    ],
    [
      "std as a string",
      (m) => ((col(m, 0).modes as Record<string, unknown>[])[0]!.std = "1"),
      /columns\[0\]\.modes\[0\]\.std must be a finite number > 0, got the string "1"/,
    ],
    [
      "negative weight",
      (m) => ((col(m, 0).modes as Record<string, unknown>[])[0]!.weight = -0.25),
      /columns\[0\]\.modes\[0\]\.weight must be a finite number ≥ 0, got -0\.25/,
    ],
    [
      "weights not summing to 1",
      (m) => ((col(m, 0).modes as Record<string, unknown>[])[0]!.weight = 0.2),
      /columns\[0\]\.modes weights sum to 0\.95, not 1/,
    ],
    [
      "scale 0",
      (m) => (col(m, 0).scale = 0),
      /columns\[0\]\.scale must be a finite number > 0, got 0/,
    ],
    [
      "bad modeChoice",
      (m) => (col(m, 0).modeChoice = "max"),
      /columns\[0\]\.modeChoice must be one of "sample", "argmax"/,
    ],
    ["log without offset", (m) => (col(m, 0).kind = "log"), /columns\[0\]\.offset is missing/],
    [
      "mixed without modal values",
      (m) => (col(m, 0).kind = "mixed"),
      /columns\[0\]\.modalValues is missing/,
    ],
    [
      "duplicate modal values",
      (m) => (col(m, 0).modalValues = [0, 1, 0]),
      /columns\[0\]\.modalValues\[2\] duplicates modalValues\[0\]/,
    ],
    [
      "unknown field",
      (m) => (col(m, 0).colour = 1),
      /columns\[0\]\.colour is not a field of this object/,
    ],
    [
      "bad dtype",
      (m) => (col(m, 0).dtype = "decimal"),
      /columns\[0\]\.dtype must be one of "float64"/,
    ],
    [
      "nullCount > rows",
      (m) => (col(m, 0).nullCount = 11),
      /columns\[0\]\.nullCount is 11, more than rows \(10\)/,
    ],
    [
      "rows negative",
      (m) => (col(m, 0).rows = -1),
      /columns\[0\]\.rows must be an integer ≥ 0, got -1/,
    ],
    [
      "nullable not boolean",
      (m) => (col(m, 0).nullable = "no"),
      /columns\[0\]\.nullable must be true or false/,
    ],
    [
      "counts misaligned",
      (m) => (col(m, 1).counts = [2]),
      /columns\[1\]\.counts has 1 entries, but categories has 2; they must align/,
    ],
    [
      "duplicate category",
      (m) => {
        col(m, 1).categories = ["red", "red"];
      },
      /columns\[1\]\.categories\[1\] duplicates categories\[0\]/,
    ],
    [
      "non-canonical category",
      (m) => (col(m, 3).categories = ["9223372036854775807", "-01"]),
      /columns\[3\]\.categories\[1\] is the string "-01", which is not the canonical text of a value of dtype int64/,
    ],
    [
      "counts not summing",
      (m) => (col(m, 1).counts = [2, 2]),
      /columns\[1\]\.counts sum to 4, but rows − nullCount is 3/,
    ],
    [
      "frequency order violated",
      (m) => (col(m, 1).counts = [1, 2]),
      /columns\[1\]\.counts\[1\] is 2, more than counts\[0\] \(1\), but order is "frequency"/,
    ],
    [
      "categorical timestamp",
      (m) => (col(m, 1).dtype = "timestamp"),
      /columns\[1\]\.dtype must be one of "string"/,
    ],
    [
      "bad unseen",
      (m) => (col(m, 1).unseen = "drop"),
      /columns\[1\]\.unseen must be one of "error", "other"/,
    ],
    ["min > max", (m) => (col(m, 2).min = 6), /columns\[2\]\.min is 6, greater than max \(5\)/],
    ["timestamp without unit", (m) => delete col(m, 2).unit, /columns\[2\]\.unit is missing/],
    [
      "unit on a float column",
      (m) => (col(m, 0).unit = "ms"),
      /columns\[0\]\.unit is set, but dtype is "float64"/,
    ],
    [
      "minmax string dtype",
      (m) => (col(m, 2).dtype = "string"),
      /columns\[2\]\.dtype must be one of/,
    ],
    ["empty name", (m) => (col(m, 2).name = ""), /columns\[2\]\.name must be a non-empty string/],
    [
      "duplicate column names",
      (m) => (col(m, 3).name = "color"),
      /columns\[3\]\.name is "color", already the name of columns\[1\]/,
    ],
  ];
  for (const [what, mutate, pattern] of CASES) {
    it(`modelFromJson rejects ${what}, naming the JSON path`, () => {
      const m = plain();
      mutate(m);
      rejects(JSON.stringify(m), pattern);
    });
  }

  it("modelFromJson rejects numbers JSON.parse turns into Infinity", () => {
    const text = modelToJson(model()).replace('"mean": 40.1', '"mean": 1e400');
    rejects(text, /columns\[0\]\.modes\[1\]\.mean must be a finite number, got Infinity/);
  });

  it("modelFromJson without a source names the model", () => {
    assert.throws(() => modelFromJson("{"), /^InvalidInputError: model: not valid JSON/);
  });
});

describe("inspectModel", () => {
  it("inspectModel gives the stable inspect --json shape", () => {
    const out = inspectModel(model());
    assert.deepEqual(JSON.parse(JSON.stringify(out)), {
      columns: [
        {
          name: "age",
          kind: "continuous",
          modes: [
            { weight: 0.25, mean: 0, std: 1.5 },
            { weight: 0.75, mean: 40.1, std: 3 },
          ],
        },
        { name: "color", kind: "categorical", categories: ["red", "blue"] },
        { name: "when", kind: "minmax", min: 1, max: 5 },
        { name: "n", kind: "categorical", categories: ["9223372036854775807", "-1"] },
      ],
    });
    assert.deepEqual(Object.keys(out.columns[0]!), ["name", "kind", "modes"]);
  });
});
