/**
 * The conformance suite's fits through the distributed runner: each fit's rows are written as
 * Parquet parts of one block each, real `modenorm worker` processes on a real Redis compute the
 * E-steps, and the model must be the in-process one bit for bit (`test/run/conformance-cases.ts`).
 * The distributed runner reads no sample weights: the weighted fits run on the other runners only.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FitSource } from "../../src/core/fit.js";
import type { Matrix } from "../../src/core/matrix.js";
import { type RedisClusterData, redisClusterData } from "../../src/distributed/cluster-data.js";
import { writeTable } from "../../src/io/index.js";
import { assertSameFit, BLOCK, FITS, referenceFit } from "../run/conformance-cases.js";
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
});
