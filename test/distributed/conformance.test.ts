/**
 * The conformance suite's fits through the distributed runner: each fit's rows are written as
 * Parquet parts of one block each, real `modenorm worker` processes on a real Redis compute the
 * E-steps, and the model must be the in-process one bit for bit (`test/run/conformance-cases.ts`).
 * The distributed runner reads no sample weights: the weighted fits run on the other runners only.
 * The suite's table, as Parquet parts of uneven sizes, is encoded and decoded by the workers one
 * shard per job, and must be `transformTable`'s and `inverseTable`'s bit for bit; a table fitted
 * by the workers (summaries, samples, a refinement pass) must be `fitStream`'s model.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoPart } from "../../src/cli/pipeline.js";
import { firstBlock, queueInput } from "../../src/cli/queue-input.js";
import type { FitSource } from "../../src/core/fit.js";
import type { Matrix } from "../../src/core/matrix.js";
import type { Column, Table } from "../../src/core/table.js";
import { type RedisClusterData, redisClusterData } from "../../src/distributed/cluster-data.js";
import { redisFit } from "../../src/distributed/fit-run.js";
import { redisCodec, type TableInput } from "../../src/distributed/table-run.js";
import { modelToJson } from "../../src/encode/model-file.js";
import { inverseTable, transformTable } from "../../src/encode/table-codec.js";
import { concatTables } from "../../src/io/columns.js";
import { openTableSink, openTableStream, writeTable } from "../../src/io/index.js";
import { fitStream } from "../../src/run/stream-fit.js";
import {
  assertSameFit,
  assertSameTable,
  BLOCK,
  FITS,
  MODEL,
  referenceFit,
  TABLE,
} from "../run/conformance-cases.js";
import {
  kill,
  NO_REDIS,
  type Proc,
  REDIS_SERVER,
  type RedisServer,
  startRedis,
  startWorkerProcess,
} from "./helpers.js";

describe("runner distributed (3 queue workers)", {
  skip: REDIS_SERVER === "" ? NO_REDIS : false,
}, () => {
  let root: string;
  let redis: RedisServer;
  const workers: Proc[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "modenorm-conformance-"));
    redis = await startRedis(join(root, "redis"));
    for (let i = 0; i < 3; i++)
      workers.push(await startWorkerProcess(root, redis, root, ["--queue", "conformance"]));
  });

  after(async () => {
    for (const w of workers) await kill(w, "SIGKILL");
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** X as Parquet parts of one block each (so the parts' blocks are the runners' blocks). */
  async function parts(name: string, X: Matrix): Promise<string[]> {
    const dir = join(root, name.replace(/\W+/g, "-"));
    mkdirSync(dir);
    const files: string[] = [];
    for (let s = 0, p = 0; s < X.rows; s += BLOCK, p++) {
      const e = Math.min(X.rows, s + BLOCK);
      const columns = Array.from({ length: X.cols }, (_, j) => ({
        name: `c${j}`,
        type: "float64" as const,
        values: Float64Array.from({ length: e - s }, (_, i) => X.data[(s + i) * X.cols + j]!),
        nulls: null,
      }));
      const f = join(dir, `part-${String(p).padStart(3, "0")}.parquet`);
      await writeTable(f, { rows: e - s, columns });
      files.push(f);
    }
    return files;
  }

  for (const f of FITS.filter((x) => !x.weighted)) {
    it(`fit ${f.name} gives the in-process model bit for bit`, async () => {
      const files = await parts(f.name, f.X);
      const data: RedisClusterData = await redisClusterData(
        {
          parts: files,
          read: { encoding: "utf8", escapeChar: null, nonNumeric: "error" },
          columns: Array.from({ length: f.X.cols }, (_, j) => `c${j}`),
          missing: "error",
        },
        { conformance: f.name },
        { redis: redis.url, queue: "conformance" },
      );
      try {
        const source: FitSource = {
          nFeatures: f.X.cols,
          initSample: () => ({ X: f.X, sampleWeight: null }),
          summarize: (terms, moment) => data.summarize(terms, moment, null),
        };
        const m = await f.make().fitSource(source);
        assertSameFit(m, await referenceFit(f), `distributed ${f.name}`);
      } finally {
        await data.close(true);
      }
    });
  }

  /** TABLE as Parquet parts of uneven sizes (one of a single row), as a distributed input. */
  async function tableInput(name: string): Promise<TableInput> {
    const dir = join(root, name);
    mkdirSync(dir);
    const cuts = [0, 7000, 7001, 15000, TABLE.rows];
    for (let p = 0; p + 1 < cuts.length; p++) {
      const part: Table = {
        rows: cuts[p + 1]! - cuts[p]!,
        columns: TABLE.columns.map((c) => ({
          ...c,
          values: c.values.slice(cuts[p]!, cuts[p + 1]!),
          ...("nulls" in c && c.nulls !== null
            ? { nulls: c.nulls.slice(cuts[p]!, cuts[p + 1]!) }
            : {}),
        })) as Column[],
      };
      await writeTable(join(dir, `part-${p}.parquet`), part);
    }
    const types = Object.fromEntries(MODEL.columns.map((c) => [c.name, c.dtype]));
    const stream = await openTableStream(dir, {
      columns: MODEL.columns.map((c) => c.name),
      types,
      blockRows: BLOCK,
    });
    return queueInput(stream, { blockRows: BLOCK });
  }

  /** Runs `kind` of `input` into a directory of shards of 2 blocks; the table it holds. */
  async function throughQueue(
    kind: "encode" | "decode",
    input: TableInput,
    out: string,
    layout: "compact" | "dense",
  ): Promise<Table> {
    const sink = await openTableSink(out, BLOCK, { shardRows: 2 * BLOCK, run: { kind } });
    await redisCodec(kind, MODEL, input, sink, {
      redis: { redis: redis.url, queue: "conformance" },
      layout,
      outputName: out,
    });
    await sink.finish({});
    const stream = await openTableStream(out, { blockRows: BLOCK });
    const blocks: Table[] = [];
    for await (const b of stream.blocks()) blocks.push(b.table);
    await stream.close();
    return concatTables(
      blocks,
      input.partRows!.reduce((a, b) => a + b, 0),
    );
  }

  for (const layout of ["compact", "dense"] as const) {
    it(`encode ${layout} gives transformTable's table bit for bit, and decodes alike`, async () => {
      const input = await tableInput(`table-${layout}`);
      const expected = transformTable(MODEL, TABLE, { layout });
      const enc = await throughQueue("encode", input, join(root, `enc-${layout}`), layout);
      assertSameTable(enc, expected, `distributed encode ${layout}`);
      // The encoded shards, read back by the workers.
      const encoded = await openTableStream(join(root, `enc-${layout}`), { blockRows: BLOCK });
      await encoded.close();
      const dec = await throughQueue(
        "decode",
        {
          ...input,
          files: encoded.files,
          partRows: encoded.partRows,
          columns: encoded.schema.map((c) => c.name),
          types: Object.fromEntries(encoded.schema.map((c) => [c.name, c.type])),
        },
        join(root, `dec-${layout}`),
        layout,
      );
      assertSameTable(dec, inverseTable(MODEL, expected), `distributed decode ${layout}`);
    });
  }

  for (const format of ["parquet", "csv"] as const) {
    it(`table fit (${format} parts, sampled columns, a refinement pass) gives fitStream's model bit for bit`, async () => {
      const dir = join(root, `fit-${format}`);
      mkdirSync(dir);
      const sizes = [9000, 1, 13_000];
      for (let p = 0; p < sizes.length; p++) {
        await writeTable(join(dir, `part-${p}.${format}`), demoPart(3, p, sizes[p]!));
      }
      // Few distinct values counted and a small sample: `value` and `amount` are fitted on the
      // sample (and refined); `channel` is categorical.
      const options = { seed: 11, summary: { maxDistinct: 500, sampleSize: 3000 } };
      const local = await fitStream(await openTableStream(dir, { blockRows: BLOCK }), options);
      assert.deepEqual(local.fittedOn, { value: "sample", amount: "sample" });
      assert.equal(local.refinePasses, 1);
      const stream = await openTableStream(dir, { blockRows: BLOCK });
      const first = await firstBlock(stream);
      const remote = await redisFit(
        await queueInput(stream, { blockRows: BLOCK }),
        first,
        options,
        {
          redis: redis.url,
          queue: "conformance",
        },
      );
      assert.equal(modelToJson(remote.model), modelToJson(local.model));
      assert.deepEqual(remote.fittedOn, local.fittedOn);
      assert.equal(remote.rows, local.rows);
    });
  }
});
