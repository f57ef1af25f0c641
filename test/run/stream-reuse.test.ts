/**
 * Stream runs that reuse memory: input blocks given back to the stream, output slots kept per
 * pool. Run after run on one pool, with missing values moving between blocks, every result must
 * be `transformTable`'s (and decode back to the input), bit for bit.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { generateMultimodal } from "../../src/core/synthetic.js";
import type { Column, Table } from "../../src/core/table.js";
import { fitTable, inverseTable, transformTable } from "../../src/encode/table-codec.js";
import { openTableSink, openTableStream, writeTable } from "../../src/io/index.js";
import { WorkerPool } from "../../src/run/pool.js";
import { decodeStream, encodeStream } from "../../src/run/stream-codec.js";
import { assertTablesEqual } from "../io/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "modenorm-reuse-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = 30_000;

/** Every row of a shard directory, as one table. */
async function readAll(path: string): Promise<Table> {
  const s = await openTableStream(path, { blockRows: ROWS });
  const blocks: Table[] = [];
  for await (const b of s.blocks()) blocks.push(b.table);
  await s.close();
  assert.equal(blocks.length, 1);
  return blocks[0]!;
}
const BLOCK = 4096;

/** A column with missing values in rows ≡ phase (mod every), and an integer column. */
function table(phase: number, every: number): Table {
  const x = generateMultimodal(ROWS, 5 + phase);
  const nulls = new Uint8Array(ROWS);
  for (let i = phase; i < ROWS; i += every) nulls[i] = 1;
  const k = new Int32Array(ROWS);
  for (let i = 0; i < ROWS; i++) k[i] = (i * 7 + phase) % 5;
  return {
    rows: ROWS,
    columns: [
      { name: "x", type: "float64", values: x, nulls },
      { name: "k", type: "int32", values: k, nulls: null },
    ] as Column[],
  };
}

describe("stream runs reusing memory", () => {
  test("run after run on one pool gives transformTable's bits and decodes back", async () => {
    // Missing values everywhere, then only in the first block, then none: stale masks would show.
    const inputs = [table(0, 7), table(1, 9), table(2, 11)];
    (inputs[1]!.columns[0] as { nulls: Uint8Array }).nulls.fill(0, BLOCK);
    (inputs[2]!.columns[0] as { nulls: Uint8Array }).nulls.fill(0);
    const model = fitTable(inputs[0]!, { kinds: { k: "categorical" }, seed: 3 });
    const pool = new WorkerPool({ size: 2 });
    try {
      for (const [r, t] of [...inputs, ...inputs].entries()) {
        const input = join(dir, `in-${r}.parquet`);
        await writeTable(input, t);
        const enc = join(dir, `enc-${r}`);
        const sink = await openTableSink(enc, BLOCK, { shardRows: 2 * BLOCK });
        const stream = await openTableStream(input, { blockRows: BLOCK, reuseBlocks: true });
        await encodeStream(model, stream, sink, { pool });
        await sink.finish();
        const expected = transformTable(model, t);
        assertTablesEqual(await readAll(enc), expected, `run ${r} encoded`);
        const dec = join(dir, `dec-${r}`);
        const sink2 = await openTableSink(dec, BLOCK, { shardRows: 2 * BLOCK });
        const encoded = await openTableStream(enc, { blockRows: BLOCK, reuseBlocks: true });
        await decodeStream(model, encoded, sink2, { pool });
        await sink2.finish();
        assertTablesEqual(await readAll(dec), inverseTable(model, expected), `run ${r} decoded`);
      }
    } finally {
      await pool.close();
    }
  });
});
