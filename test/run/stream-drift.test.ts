import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { driftTable } from "../../src/drift/index.js";
import type { MixtureColumnSpec } from "../../src/encode/spec.js";
import { fitTable } from "../../src/encode/table-codec.js";
import { openTableStream } from "../../src/io/stream.js";
import { writeTable } from "../../src/io/table-io.js";
import { driftStream } from "../../src/run/stream-drift.js";
import { fitStream } from "../../src/run/stream-fit.js";
import { mixtureTable } from "../helpers/data.js";

describe("driftStream", () => {
  test("driftStream over a file gives driftTable's report, for any thread count", async () => {
    const dir = mkdtempSync(join(tmpdir(), "modenorm-drift-"));
    try {
      const fitRows = mixtureTable(20_000, 1);
      const model = fitTable(fitRows);
      const check = mixtureTable(9_000, 2);
      const path = join(dir, "check.parquet");
      await writeTable(path, check);
      const one = await driftStream(model, await openTableStream(path, { blockRows: 9_000 }), {
        threads: 1,
      });
      assert.deepEqual(one.reports, [driftTable(model, check)]);
      for (const threads of [1, 2, 3]) {
        const r = await driftStream(model, await openTableStream(path, { blockRows: 1_000 }), {
          threads,
          chunkRows: 4_000,
        });
        assert.deepEqual(
          r.reports.map((x) => [x.firstRow, x.rows, x.verdict]),
          [
            [0, 4000, "ok"],
            [4000, 4000, "ok"],
            [8000, 1000, "ok"],
          ],
        );
        if (threads > 1) continue;
        // The streaming fit writes the baseline too, and finds the same data in it.
        const csv = join(dir, "fit.csv");
        await writeTable(csv, fitRows);
        const streamed = await fitStream(await openTableStream(csv), { threads });
        const again = await driftStream(streamed.model, await openTableStream(path), { threads });
        assert.equal(again.reports[0]!.verdict, "ok");
        // A column fitted on a sample gets its baseline after refinement moved its modes.
        const sampled = await fitStream(await openTableStream(csv), {
          threads,
          summary: { maxDistinct: 100, sampleSize: 4096 },
        });
        assert.equal(sampled.fittedOn.x, "sample");
        assert.equal(sampled.refinePasses, 1);
        const spec = sampled.model.columns[0] as MixtureColumnSpec;
        assert.equal(spec.baseline?.size, 4096);
        const checked = await driftStream(sampled.model, await openTableStream(path), { threads });
        assert.equal(checked.reports[0]!.verdict, "ok");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
