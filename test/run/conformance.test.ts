/**
 * One conformance suite for every runner: in-process (`matrixSource`, `transformTable`,
 * `inverseTable`) and worker threads (`threadSource`, `encodeParallel`, `decodeParallel`) with 1,
 * 2 and 3 threads; the same fits go through queue workers in `test/distributed/conformance.test.ts`. Every runner must give the in-process results bit for bit, throw the same typed
 * errors, and shut down so the test process exits.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sharedBlockBin } from "../../src/core/array-bin.js";
import { InvalidInputError } from "../../src/core/errors.js";
import type { FitSource } from "../../src/core/fit.js";
import { matrixSource } from "../../src/core/fit.js";
import type { Matrix } from "../../src/core/matrix.js";
import type { Column, Table } from "../../src/core/table.js";
import type { ModelSpec } from "../../src/encode/spec.js";
import {
  fitTable,
  inverseTable,
  type Layout,
  transformTable,
} from "../../src/encode/table-codec.js";
import { openTableSink, openTableStream, writeTable } from "../../src/io/index.js";
import { decodeParallel, encodeParallel } from "../../src/run/encode-parallel.js";
import { WorkerCrashError } from "../../src/run/errors.js";
import { WorkerPool } from "../../src/run/pool.js";
import { decodeStream, encodeStream } from "../../src/run/stream-codec.js";
import { threadSource } from "../../src/run/thread-source.js";
import {
  assertSameFit,
  assertSameTable,
  BLOCK,
  everyTypeTable,
  FITS,
  MODEL,
  oneD,
  referenceFit,
  TABLE,
  weightsFor,
} from "./conformance-cases.js";

/** What a runner does; `null` threads: in-process. */
interface Runner {
  name: string;
  source(X: Matrix, w: Float64Array | null): FitSource & { close?(): Promise<void> };
  encode(model: ModelSpec, table: Table, layout: Layout): Promise<Table>;
  decode(model: ModelSpec, encoded: Table): Promise<Table>;
  open(): void;
  close(): Promise<void>;
  pool(): WorkerPool | null;
}

function inProcess(): Runner {
  return {
    name: "in-process",
    source: (X, w) => matrixSource(X, w, BLOCK),
    encode: async (model, table, layout) => transformTable(model, table, { layout }),
    decode: async (model, encoded) => inverseTable(model, encoded),
    open: () => {},
    close: async () => {},
    pool: () => null,
  };
}

function threads(n: number): Runner {
  let pool: WorkerPool | null = null;
  const p = () => pool!;
  return {
    name: `threads(${n})`,
    source: (X, w) => threadSource(X, w, { pool: p(), blockRows: BLOCK }),
    encode: (model, table, layout) =>
      encodeParallel(model, table, { pool: p(), layout, blockRows: BLOCK }),
    decode: (model, encoded) => decodeParallel(model, encoded, { pool: p(), blockRows: BLOCK }),
    open: () => {
      pool = new WorkerPool({ size: n });
    },
    close: async () => {
      await pool?.close();
    },
    pool: () => pool,
  };
}

const RUNNERS: Runner[] = [inProcess(), threads(1), threads(2), threads(3)];

for (const runner of RUNNERS) {
  describe(`runner ${runner.name}`, () => {
    before(() => runner.open());
    after(() => runner.close());

    for (const f of FITS) {
      it(`fit ${f.name} gives the in-process model bit for bit`, async () => {
        const src = runner.source(f.X, f.weighted ? weightsFor(f.X.rows, 4) : null);
        const m = await f.make().fitSource(src);
        await src.close?.();
        assertSameFit(m, await referenceFit(f), `${runner.name} ${f.name}`);
      });
    }

    for (const layout of ["compact", "dense"] as const) {
      it(`encode ${layout} gives transformTable's table bit for bit, and decodes alike`, async () => {
        const expected = transformTable(MODEL, TABLE, { layout });
        const enc = await runner.encode(MODEL, TABLE, layout);
        assertSameTable(enc, expected, `${runner.name} encode ${layout}`);
        const dec = await runner.decode(MODEL, enc);
        assertSameTable(dec, inverseTable(MODEL, expected), `${runner.name} decode ${layout}`);
      });
    }

    it("encode of an empty table gives transformTable's empty table", async () => {
      const empty: Table = {
        rows: 0,
        columns: TABLE.columns.map((c) => ({ ...c, values: c.values.slice(0, 0) }) as Column),
      };
      assertSameTable(
        await runner.encode(MODEL, empty, "compact"),
        transformTable(MODEL, empty),
        "empty",
      );
    });

    it("encode and decode errors keep their type and message", async () => {
      const missing: Table = { rows: TABLE.rows, columns: TABLE.columns.slice(1) };
      const expected = (() => {
        try {
          transformTable(MODEL, missing);
        } catch (e) {
          return e as Error;
        }
        throw new Error("transformTable accepted a table without a model column");
      })();
      assert.ok(expected instanceof InvalidInputError);
      await assert.rejects(runner.encode(MODEL, missing, "compact"), (e: Error) => {
        return e instanceof InvalidInputError && e.message === expected.message;
      });
      await assert.rejects(runner.decode(MODEL, TABLE), InvalidInputError);
    });

    it("an error thrown in a worker arrives with its class and message", async () => {
      const pool = runner.pool();
      if (pool === null) return;
      const fault = { kind: "fault", mode: "throw", errorName: "InvalidInputError" } as const;
      await assert.rejects(
        pool.run({ ...fault, message: 'column "a": row 3 is bad.' }),
        (e: Error) => e instanceof InvalidInputError && e.message === 'column "a": row 3 is bad.',
      );
    });

    it("a crashing worker rejects its task and is replaced", async () => {
      const pool = runner.pool();
      if (pool === null) return;
      await assert.rejects(pool.run({ kind: "fault", mode: "exit" }), WorkerCrashError);
      await assert.rejects(
        pool.run({ kind: "fault", mode: "uncaught", message: "boom" }),
        (e: Error) => e instanceof WorkerCrashError && e.message.includes("boom"),
      );
      // Still usable afterwards, for tasks and fits.
      assert.equal(await pool.run({ kind: "unload-model", key: 0 }), null);
      const src = runner.source(oneD, null);
      const m = await FITS[0]!.make().fitSource(src);
      assertSameFit(m, await referenceFit(FITS[0]!), "after crashes");
    });
  });
}

describe("encode and decode into an earlier result", () => {
  /**
   * TABLE with its rows reversed (modal values and residuals move) and missing values only in the
   * first block: a mask left from the earlier result would show in the later blocks.
   */
  const reversed: Table = {
    rows: TABLE.rows,
    columns: TABLE.columns.map((c) => {
      if (c.type === "string") return { ...c, values: [...c.values].reverse() };
      const values = c.values.slice().reverse();
      const nulls = c.nulls === null ? null : c.nulls.slice().reverse().fill(0, BLOCK);
      return { ...c, values, nulls } as Column;
    }),
  };
  let pool: WorkerPool;
  before(() => {
    pool = new WorkerPool({ size: 2 });
  });
  after(() => pool.close());

  for (const layout of ["compact", "dense"] as const) {
    it(`${layout}: the same bits as a fresh result, whatever the earlier one held`, async () => {
      const opts = { pool, layout, blockRows: BLOCK };
      const fresh = await encodeParallel(MODEL, TABLE, opts);
      // Into a fresh (ordinary memory) result: shared columns from then on, the same bits.
      const first = await encodeParallel(MODEL, TABLE, { ...opts, into: fresh });
      assertSameTable(first, fresh, `${layout} into a fresh result`);
      const dec = await decodeParallel(MODEL, first, { pool, blockRows: BLOCK, into: fresh });
      const again = await encodeParallel(MODEL, reversed, { ...opts, into: first });
      assertSameTable(again, transformTable(MODEL, reversed, { layout }), `${layout} into`);
      // Typed columns were written in place, not allocated.
      first.columns.forEach((c, j) => {
        if (c.type !== "string")
          assert.equal((again.columns[j]!.values as Float64Array).buffer, c.values.buffer);
      });
      const dec2 = await decodeParallel(MODEL, again, { pool, blockRows: BLOCK, into: dec });
      assertSameTable(
        dec2,
        inverseTable(MODEL, transformTable(MODEL, reversed, { layout })),
        `${layout} decode into`,
      );
      // A result that does not fit (other rows) is not used.
      const short = await encodeParallel(
        MODEL,
        {
          rows: 10,
          columns: reversed.columns.map(
            (c) =>
              ({
                ...c,
                values: c.values.slice(0, 10),
                nulls: "nulls" in c && c.nulls !== null ? c.nulls.slice(0, 10) : null,
              }) as Column,
          ),
        },
        { ...opts, into: first },
      );
      assert.equal(short.rows, 10);
      short.columns.forEach((c, j) => {
        if (c.type !== "string")
          assert.notEqual(c.values.buffer, (first.columns[j]!.values as Float64Array).buffer);
      });
    });
  }
});

/** A directory of shards as one table (one block of all its rows). */
async function readWhole(dir: string, rows: number): Promise<Table> {
  const stream = await openTableStream(dir, { blockRows: rows });
  let table: Table | null = null;
  for await (const b of stream.blocks()) table = b.table;
  await stream.close();
  return table!;
}

describe("streams through the pool reuse their arrays", () => {
  // Blocks whose missing values differ (the first blocks have some, the later ones none), in a
  // Parquet file read in blocks whose arrays come back from the workers and from the sink and
  // are filled again: stale values or null flags of an earlier block would show.
  it("Parquet → encodeStream → shards → decodeStream gives transformTable's and inverseTable's bits", async () => {
    const n = 40000;
    const base = everyTypeTable(n);
    const columns = base.columns
      .filter((c) => c.type !== "string" && c.type !== "timestamp")
      .map((c): Column => {
        if (c.nulls === null) return c;
        const nulls = c.nulls.slice();
        nulls.fill(0, 3 * BLOCK);
        return { ...c, nulls };
      });
    const table: Table = { rows: n, columns };
    const model = fitTable(table, {
      columns: ["amount", "f32", "count", "small", "flag", "balance"],
      kinds: { count: "integer", small: "categorical" },
      mixed: { balance: [0] },
      seed: 4,
    });
    const dir = mkdtempSync(join(tmpdir(), "modenorm-stream-"));
    try {
      const input = join(dir, "in.parquet");
      await writeTable(input, table);
      const pool = new WorkerPool({ size: 2 });
      try {
        for (const layout of ["compact", "dense"] as const) {
          const encoded = join(dir, `enc-${layout}`);
          const decoded = join(dir, `dec-${layout}`);
          const out = await openTableSink(encoded, BLOCK, { shardRows: 2 * BLOCK });
          await encodeStream(model, await openTableStream(input, { blockRows: BLOCK }), out, {
            pool,
            layout,
          });
          await out.finish();
          const expected = transformTable(model, table, { layout });
          assertSameTable(await readWhole(encoded, n), expected, `stream encode ${layout}`);
          const sink = await openTableSink(decoded, BLOCK, { shardRows: 2 * BLOCK });
          await decodeStream(model, await openTableStream(encoded, { blockRows: BLOCK }), sink, {
            pool,
          });
          await sink.finish();
          assertSameTable(
            await readWhole(decoded, n),
            inverseTable(model, expected),
            `stream decode ${layout}`,
          );
        }
        // The Parquet blocks and the results were in shared memory and came back for reuse.
        assert.ok(sharedBlockBin().size > 0, "arrays back in the shared bin");
      } finally {
        await pool.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("CSV output formatted on the workers", () => {
  // The sink writes CSV: each block's rows are formatted by the worker that encoded or decoded
  // it, and the file, the shards and their concatenation are the bytes of one whole-table write.
  it("encodeStream and decodeStream to a CSV file and CSV shards write writeTable's bytes", async () => {
    const n = 3 * BLOCK + 123;
    const table = everyTypeTable(n);
    const model = fitTable(table, {
      columns: ["amount", "count", "small", "flag"],
      kinds: { count: "integer", small: "categorical" },
      seed: 9,
    });
    const dir = mkdtempSync(join(tmpdir(), "modenorm-csvout-"));
    const pool = new WorkerPool({ size: 2 });
    try {
      const input = join(dir, "in.parquet");
      await writeTable(input, table);
      const encoded = transformTable(model, table, { layout: "compact" });
      await writeTable(join(dir, "want-enc.csv"), encoded);
      await writeTable(join(dir, "want-dec.csv"), inverseTable(model, encoded));
      const run = async (what: "enc" | "dec", from: string, to: string, format?: "csv") => {
        const sink = await openTableSink(to, BLOCK, { shardRows: 2 * BLOCK, format });
        assert.ok(sink.csv !== undefined, `${to}: a CSV sink`);
        const stream = await openTableStream(from, { blockRows: BLOCK });
        if (what === "enc") await encodeStream(model, stream, sink, { pool });
        else await decodeStream(model, stream, sink, { pool });
        await sink.finish();
      };
      await run("enc", input, join(dir, "enc.csv"));
      await run("enc", input, join(dir, "enc-shards"), "csv");
      await run("dec", join(dir, "enc.csv"), join(dir, "dec.csv"));
      const want = (f: string) => readFileSync(join(dir, f));
      assert.deepEqual(want("enc.csv"), want("want-enc.csv"), "CSV file");
      assert.deepEqual(want("dec.csv"), want("want-dec.csv"), "decoded CSV file");
      const shards = ["part-000000.csv", "part-000001.csv"].map((f) =>
        readFileSync(join(dir, "enc-shards", f), "utf8"),
      );
      const header = shards[0]!.slice(0, shards[0]!.indexOf("\n") + 1);
      assert.ok(shards[1]!.startsWith(header), "each shard has the header");
      assert.equal(
        shards[0]! + shards[1]!.slice(header.length),
        want("want-enc.csv").toString("utf8"),
        "CSV shards",
      );
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("threads cleanup", () => {
  it("threadSource's own pool closes and a closed pool refuses work", async () => {
    const src = threadSource(oneD, null, { threads: 2, blockRows: BLOCK });
    const m = await FITS[0]!.make().fitSource(src);
    assertSameFit(m, await referenceFit(FITS[0]!), "own pool");
    await src.close();
    await src.close();
    const terms = {
      nComponents: 1,
      nFeatures: 1,
      covarianceType: "full" as const,
      logConst: new Float64Array(1),
      means: new Float64Array(1),
      precChol: new Float64Array(1),
    };
    await assert.rejects(src.summarize(terms, "full"), WorkerCrashError);
    const pool = new WorkerPool({ size: 2 });
    // Either it runs before the workers are terminated, or close() rejects it as a crash. The
    // handler is attached before closing, so the rejection is never an unhandled one.
    const settled = pool.run({ kind: "unload-model", key: 0 }).then(
      (v) => assert.equal(v, null),
      (e: Error) => assert.ok(e instanceof WorkerCrashError),
    );
    await pool.close();
    await settled;
    await assert.rejects(pool.run({ kind: "unload-model", key: 0 }), WorkerCrashError);
  });

  it("bad options are InvalidInputError", () => {
    assert.throws(() => new WorkerPool({ size: 0 }), InvalidInputError);
    assert.throws(() => threadSource(oneD, null, { blockRows: 0 }), InvalidInputError);
    assert.throws(() => threadSource(oneD, new Float64Array(3), {}), InvalidInputError);
  });
});
