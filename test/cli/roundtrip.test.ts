/**
 * End to end through the built CLI: round trips CSV ⇄ Parquet, overrides seen by `inspect`,
 * determinism, and the dense layout. Real files in a temp dir, real child processes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Table } from "../../src/core/table.js";
import { readTable, writeTable } from "../../src/io/index.js";
import {
  allKindsCsv,
  assertTablesEqual,
  bankCsv,
  col,
  inTempDir,
  nullAt,
  ok,
  put,
} from "./helpers.js";

interface EvaluateJson {
  rows: number;
  columns: {
    name: string;
    kind: string;
    rows: number;
    clipped: number;
    compact: { exact: number };
  }[];
}

const MIXTURE_KINDS = new Set(["continuous", "integer", "datetime", "log", "mixed"]);

describe("modenorm CLI round trips", () => {
  test("CSV → Parquet → CSV and Parquet → CSV → Parquet give back every value bit for bit", async () => {
    await inTempDir(async (dir) => {
      put(dir, "in.csv", allKindsCsv());
      const input = await readTable(join(dir, "in.csv"));
      // The CSV is read as the kinds it was written to test.
      assert.deepEqual(
        input.columns.map((c) => `${c.name}:${c.type}`),
        [
          "price:float64",
          "count:int64",
          "when:timestamp",
          "label:string",
          "flag:bool",
          "grade:int64",
        ],
      );
      assert.equal((col(input, "label").values as (string | null)[])[11], "", "quoted empty");
      for (const c of input.columns) {
        assert.ok(
          Array.from({ length: input.rows }, (_, i) => nullAt(c, i)).some(Boolean),
          `${c.name} has a null`,
        );
      }

      // CSV → compact Parquet → CSV.
      ok(dir, ["fit", "in.csv", "-o", "model.json"]);
      ok(dir, ["transform", "in.csv", "-m", "model.json", "-o", "enc.parquet"]);
      ok(dir, ["inverse", "enc.parquet", "-m", "model.json", "--no-model-check", "-o", "dec.csv"]);
      assertTablesEqual(await readTable(join(dir, "dec.csv")), input, "CSV→Parquet→CSV");

      // evaluate agrees: every value of every column comes back.
      const ev = JSON.parse(
        ok(dir, ["evaluate", "in.csv", "-m", "model.json", "--json"]),
      ) as EvaluateJson;
      assert.equal(ev.rows, input.rows);
      assert.deepEqual(
        ev.columns.map((c) => c.name),
        input.columns.map((c) => c.name),
      );
      for (const c of ev.columns) assert.equal(c.compact.exact, input.rows, `${c.name} exact`);

      // Parquet (with float32 and int32 columns too) → compact CSV → Parquet.
      const pq: Table = {
        rows: input.rows,
        columns: [
          ...input.columns,
          {
            name: "ratio32",
            type: "float32",
            values: Float32Array.from({ length: input.rows }, (_, i) =>
              i === 0 ? -0 : i === 1 ? Number.NaN : Math.fround(Math.sin(i) * 3 + (i % 2) * 10),
            ),
            nulls: Uint8Array.from({ length: input.rows }, (_, i) => (i === 2 ? 1 : 0)),
          },
          {
            name: "small32",
            type: "int32",
            values: Int32Array.from({ length: input.rows }, (_, i) =>
              i === 0 ? 2147483647 : i === 1 ? -2147483648 : (i * 31) % 700,
            ),
            nulls: Uint8Array.from({ length: input.rows }, (_, i) => (i === 3 ? 1 : 0)),
          },
        ],
      };
      await writeTable(join(dir, "in.parquet"), pq);
      const pqInput = await readTable(join(dir, "in.parquet"));
      ok(dir, ["fit", "in.parquet", "-o", "model2.json"]);
      ok(dir, ["transform", "in.parquet", "-m", "model2.json", "-o", "enc.csv"]);
      ok(dir, ["inverse", "enc.csv", "-m", "model2.json", "--no-model-check", "-o", "dec.parquet"]);
      assertTablesEqual(await readTable(join(dir, "dec.parquet")), pqInput, "Parquet→CSV→Parquet");
      const ev2 = JSON.parse(
        ok(dir, ["evaluate", "in.parquet", "-m", "model2.json", "--json"]),
      ) as EvaluateJson;
      for (const c of ev2.columns) assert.equal(c.compact.exact, input.rows, `${c.name} exact`);
    });
  });

  test("--mixed/--log/--integer/--minmax/--categorical show in inspect --json, in its stable shape", async () => {
    await inTempDir(async (dir) => {
      put(dir, "bank.csv", bankCsv());
      ok(dir, [
        "fit",
        "bank.csv",
        "--mixed",
        "balance=0,-9999",
        "--log",
        "income",
        "--integer",
        "age",
        "--minmax",
        "score",
        "--categorical",
        "job",
        "-o",
        "bank.json",
      ]);
      const stdout = ok(dir, ["inspect", "bank.json", "--json"]);
      assert.equal(stdout.trim().split("\n").length, 1, "one line of JSON");
      const info = JSON.parse(stdout) as { columns: Record<string, unknown>[] };
      assert.ok(Array.isArray(info.columns));
      assert.deepEqual(
        info.columns.map((c) => [c.name, c.kind]),
        [
          ["balance", "mixed"],
          ["income", "log"],
          ["age", "integer"],
          ["score", "minmax"],
          ["job", "categorical"],
          ["other", "continuous"],
        ],
      );
      for (const c of info.columns) {
        const keys = Object.keys(c);
        assert.deepEqual(keys.slice(0, 2), ["name", "kind"], `${c.name}: key order`);
        if (!MIXTURE_KINDS.has(c.kind as string)) {
          assert.ok(!("modes" in c), `${c.name} (${c.kind}) has no modes`);
          continue;
        }
        assert.deepEqual(keys, ["name", "kind", "modes"], `${c.name}: keys`);
        const modes = c.modes as Record<string, number>[];
        assert.ok(modes.length >= 1, `${c.name}: modes`);
        let sum = 0;
        for (const m of modes) {
          assert.deepEqual(Object.keys(m), ["weight", "mean", "std"]);
          assert.ok(Number.isFinite(m.mean!) && m.std! > 0 && m.weight! >= 0, JSON.stringify(m));
          sum += m.weight!;
        }
        assert.ok(Math.abs(sum - 1) < 1e-6, `${c.name}: weights sum to ${sum}`);
      }
      // The mixed column's modal values are in the model file.
      const model = JSON.parse(readFileSync(join(dir, "bank.json"), "utf8"));
      assert.deepEqual(model.columns[0].modalValues, [0, -9999]);
    });
  });

  test("same model → byte-identical outputs; fit twice → identical model; other --seed → other modes", async () => {
    await inTempDir(async (dir) => {
      put(dir, "in.csv", allKindsCsv());
      ok(dir, ["fit", "in.csv", "-o", "a.json"]);
      ok(dir, ["fit", "in.csv", "-o", "b.json"]);
      assert.ok(readFileSync(join(dir, "a.json")).equals(readFileSync(join(dir, "b.json"))));
      for (const ext of ["csv", "parquet"]) {
        ok(dir, ["transform", "in.csv", "-m", "a.json", "-o", `e1.${ext}`]);
        ok(dir, ["transform", "in.csv", "-m", "a.json", "-o", `e2.${ext}`]);
        const one = readFileSync(join(dir, `e1.${ext}`));
        assert.ok(one.length > 0);
        assert.ok(one.equals(readFileSync(join(dir, `e2.${ext}`))), `${ext} outputs identical`);
      }
      ok(dir, ["fit", "in.csv", "--seed", "1", "-o", "s1.json"]);
      ok(dir, ["fit", "in.csv", "--seed", "2", "-o", "s2.json"]);
      ok(dir, ["transform", "in.csv", "-m", "s1.json", "-o", "s1.parquet"]);
      ok(dir, ["transform", "in.csv", "-m", "s2.json", "-o", "s2.parquet"]);
      const c1 = col(await readTable(join(dir, "s1.parquet")), "price.mode");
      const c2 = col(await readTable(join(dir, "s2.parquet")), "price.mode");
      assert.equal(c1.type, "int32");
      assert.equal(c2.type, "int32");
      const m1 = c1.values as Int32Array;
      const m2 = c2.values as Int32Array;
      assert.equal(m1.length, m2.length);
      assert.notDeepEqual(Array.from(m1), Array.from(m2), "seeds 1 and 2 choose other modes");
    });
  });

  test("--layout dense --json prints spans; float32 columns named per spans; inverse works", async () => {
    await inTempDir(async (dir) => {
      put(dir, "in.csv", allKindsCsv());
      const input = await readTable(join(dir, "in.csv"));
      ok(dir, ["fit", "in.csv", "-o", "model.json"]);
      const summary = JSON.parse(
        ok(dir, [
          "transform",
          "in.csv",
          "-m",
          "model.json",
          "-o",
          "dense.parquet",
          "--layout",
          "dense",
          "--json",
        ]),
      ) as {
        layout: string;
        rows: number;
        columns: number;
        spans: { column: string; activation: string; outputs: string[] }[];
      };
      assert.equal(summary.layout, "dense");
      assert.equal(summary.rows, input.rows);
      assert.ok(Array.isArray(summary.spans) && summary.spans.length > 0);
      for (const sp of summary.spans) {
        assert.ok(["tanh", "softmax"].includes(sp.activation), sp.activation);
        assert.ok(sp.outputs.length > 0);
      }
      assert.deepEqual(
        [...new Set(summary.spans.map((s) => s.column))],
        input.columns.map((c) => c.name),
      );
      const names = summary.spans.flatMap((s) => s.outputs);
      assert.equal(summary.columns, names.length);

      const dense = await readTable(join(dir, "dense.parquet"));
      assert.deepEqual(
        dense.columns.map((c) => c.name),
        names,
      );
      for (const c of dense.columns) assert.equal(c.type, "float32", c.name);

      // The dense CSV holds float32 values too (each reads back as a float32 exactly).
      ok(dir, ["transform", "in.csv", "-m", "model.json", "-o", "dense.csv", "--layout", "dense"]);
      const denseCsv = await readTable(join(dir, "dense.csv"));
      assert.deepEqual(
        denseCsv.columns.map((c) => c.name),
        names,
      );
      for (const c of denseCsv.columns) {
        assert.ok(c.type === "float64" || c.type === "int64", `${c.name}: ${c.type}`);
        for (let i = 0; i < denseCsv.rows; i++) {
          const v = Number(c.values[i]);
          assert.ok(Object.is(Math.fround(v), v), `${c.name}[${i}] = ${v} is not a float32`);
        }
      }

      ok(dir, [
        "inverse",
        "dense.parquet",
        "-m",
        "model.json",
        "--no-model-check",
        "-o",
        "dec.csv",
      ]);
      const dec = await readTable(join(dir, "dec.csv"));
      assertTablesEqual(dec, input, "dense round trip", ["label", "flag", "grade"]);
      // Numeric columns keep their type and their nulls.
      for (const n of ["price", "count", "when"]) {
        const a = col(dec, n);
        const e = col(input, n);
        assert.equal(a.type, e.type, n);
        for (let i = 0; i < input.rows; i++) assert.equal(nullAt(a, i), nullAt(e, i), `${n}[${i}]`);
      }
    });
  });
});
