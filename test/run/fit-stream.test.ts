/**
 * fitStream: one pass of summaries, then refinement passes over every row that never lower the
 * mean log-likelihood over all rows; kinds inferred from the first block; the same model for any
 * block size when the fit uses exact counts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { releaseSharedBlocks, sharedBlockBin } from "../../src/core/array-bin.js";
import { generateMultimodal } from "../../src/core/synthetic.js";
import type { Table } from "../../src/core/table.js";
import { modesLogLikelihood } from "../../src/encode/mixture-column.js";
import type { MixtureColumnSpec } from "../../src/encode/spec.js";
import { openTableStream, writeTable } from "../../src/io/index.js";
import { ROW_GROUP_ROWS } from "../../src/io/parquet-fixed.js";
import { fitStream } from "../../src/run/stream-fit.js";

async function withParquet(table: Table, body: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modenorm-fitstream-"));
  try {
    const path = join(dir, "t.parquet");
    await writeTable(path, table);
    await body(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("fitStream", () => {
  test("refinement passes over all rows raise the mean log-likelihood of a sample fit (no outliers)", async () => {
    const x = generateMultimodal(200_000, 3, 0);
    const table: Table = {
      rows: x.length,
      columns: [{ name: "v", type: "float64", values: x, nulls: null }],
    };
    await withParquet(table, async (path) => {
      const lls: number[] = [];
      for (const passes of [0, 1, 2, 3]) {
        const fit = await fitStream(await openTableStream(path, { blockRows: 50_000 }), {
          seed: 1,
          summary: { maxDistinct: 1000, sampleSize: 2000 },
          refinePasses: passes,
        });
        assert.equal(fit.fittedOn.v, "sample");
        assert.equal(fit.refinePasses, passes);
        const spec = fit.model.columns[0] as MixtureColumnSpec;
        lls.push(modesLogLikelihood(spec.modes, x));
      }
      for (let i = 1; i < lls.length; i++) {
        assert.ok(lls[i]! >= lls[i - 1]! - 1e-12, `pass ${i}: ${lls[i]} < ${lls[i - 1]}`);
      }
      assert.ok(lls[3]! > lls[0]!, `refinement helps a 2,000-row sample fit: ${lls.join(", ")}`);
    });
  });

  test("refinement passes give their blocks back: the shared blocks of the summary pass serve every block", async () => {
    // 8 blocks of one row group each (read in place); the summary pass (on a worker) leaves a
    // few shared blocks in the bin, which the refinement passes take block after block: without
    // giving them back the bin would end empty (and every block would be new shared memory,
    // which the garbage collector does not count).
    const x = generateMultimodal(8 * ROW_GROUP_ROWS, 5, 0);
    const table: Table = {
      rows: x.length,
      columns: [{ name: "v", type: "float64", values: x, nulls: null }],
    };
    await withParquet(table, async (path) => {
      releaseSharedBlocks();
      const fit = await fitStream(await openTableStream(path, { blockRows: ROW_GROUP_ROWS }), {
        seed: 1,
        summary: { maxDistinct: 1000, sampleSize: 2000 },
        refinePasses: 2,
      });
      assert.equal(fit.refinePasses, 2);
      assert.ok(sharedBlockBin().size > 0, "the blocks came back to the shared bin");
    });
  });

  test("refinement is trimmed: 0.1 % outliers at 1e6–1e9 do not stretch a mode over them", async () => {
    const x = generateMultimodal(300_000, 5, 0.001);
    const table: Table = {
      rows: x.length,
      columns: [{ name: "v", type: "float64", values: x, nulls: null }],
    };
    await withParquet(table, async (path) => {
      const widest = async (passes: number) => {
        const fit = await fitStream(await openTableStream(path, { blockRows: 65536 }), {
          seed: 1,
          summary: { maxDistinct: 1000, sampleSize: 20_000 },
          refinePasses: passes,
        });
        const spec = fit.model.columns[0] as MixtureColumnSpec;
        return {
          std: Math.max(...spec.modes.map((m) => m.std)),
          ll: modesLogLikelihood(spec.modes, x),
        };
      };
      const before = await widest(0);
      const after = await widest(2);
      assert.ok(after.std < 2 * before.std, `widest mode ${before.std} → ${after.std}`);
      assert.ok(after.ll >= before.ll, `all-rows log-likelihood ${before.ll} → ${after.ll}`);
    });
  });

  test("columns fitted on exact counts are not refined, and the model does not depend on the block size", async () => {
    const n = 100_000;
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = Math.round((((i * 7919) % 1000) ** 1.5 / 7) * 100) / 100;
    const table: Table = {
      rows: n,
      columns: [{ name: "amount", type: "float64", values: v, nulls: null }],
    };
    await withParquet(table, async (path) => {
      const models = [];
      for (const blockRows of [1000, 65536, 1 << 20]) {
        const fit = await fitStream(await openTableStream(path, { blockRows }), { seed: 2 });
        assert.equal(fit.fittedOn.amount, "counts");
        assert.equal(fit.refinePasses, 0);
        models.push(JSON.stringify(fit.model));
      }
      assert.equal(models[1], models[0]);
      assert.equal(models[2], models[0]);
    });
  });

  test("summaries built in a worker give the same model as on the main thread", async () => {
    const n = 150_000;
    const x = generateMultimodal(n, 9, 0.001);
    const cents = new Float64Array(n);
    const cat: (string | null)[] = [];
    const nulls = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      cents[i] = Math.round(((i * 7919) % 50000) ** 1.3) / 100;
      cat.push(i % 97 === 0 ? null : ["a", "b", "c", "dd"][(i * 31) % 4]!);
      nulls[i] = i % 101 === 0 ? 1 : 0;
    }
    const table: Table = {
      rows: n,
      columns: [
        { name: "x", type: "float64", values: x, nulls: null },
        { name: "price", type: "float64", values: cents, nulls },
        { name: "c", type: "string", values: cat },
      ],
    };
    await withParquet(table, async (path) => {
      const models: string[] = [];
      for (const summarizeIn of ["main", "worker"] as const) {
        const fit = await fitStream(await openTableStream(path, { blockRows: 20_000 }), {
          seed: 4,
          kinds: { price: "minmax" },
          summary: { sampleSize: 30_000 },
          summarizeIn,
        });
        models.push(JSON.stringify(fit.model));
      }
      assert.equal(models[1], models[0]);
    });
  });

  test("an empty input is an error that says there are no rows", async () => {
    const table: Table = {
      rows: 0,
      columns: [{ name: "v", type: "float64", values: new Float64Array(0), nulls: null }],
    };
    await withParquet(table, async (path) => {
      await assert.rejects(fitStream(await openTableStream(path)), /no rows/);
    });
  });
});
