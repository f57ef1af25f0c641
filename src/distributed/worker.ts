/**
 * A queue worker: takes work jobs from Redis (BullMQ), reads the part a job names (only inside
 * its data root), computes on its thread pool (so BullMQ's lock renewals keep running) and
 * returns per-block statistics. Parts stay in memory between jobs of a run (bounded; the
 * oldest part is dropped first), so iterations after the first read nothing.
 *
 * A payload that fails its schema, a part outside the data root or changed since the run
 * started, a job of another build, and bad data (a missing value, text in a numeric column, a
 * damaged file) fail at once without retries (BullMQ's UnrecoverableError); anything else is
 * retried by BullMQ, on this worker or another.
 */
import { realpath } from "node:fs/promises";
import { totalmem } from "node:os";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { concatInto } from "../core/array-bin.js";
import { InvalidInputError } from "../core/errors.js";
import { statsLength } from "../core/stats.js";
import type { ColumnType } from "../core/table.js";
import { summarizeRanges } from "../core/terms.js";
import { standardizeRows } from "../encode/cluster-model.js";
import { IoError } from "../io/errors.js";
import { openTableStream } from "../io/stream.js";
import { type PartRows, readPartRows, rowsAtIndices } from "../run/cluster-rows.js";
import { WorkerPool } from "../run/pool.js";
import { blockStatsOnPool } from "../run/thread-source.js";
import { buildFingerprint } from "./build.js";
import {
  type RedisConnection,
  RedisUnreachableError,
  redisConnection,
  unreachable,
} from "./connection.js";
import { checkedPart } from "./data-root.js";
import { payloadError, type WorkJob, type WorkResult } from "./payload.js";
import {
  type ClusterJob,
  DEFAULT_QUEUE,
  type EstepJob,
  fromBase64,
  type RowsJob,
  type ScanJob,
  termsFromJob,
  toBase64,
} from "./protocol.js";
import { QUEUE_SETTINGS } from "./settings.js";
import { tableJobRunner } from "./table-worker.js";

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  redis: string;
  /** Jobs may only name parts inside this directory. */
  dataRoot: string;
  /** Jobs at once (default 4). */
  concurrency?: number;
  /** Threads of the pool (default: all cores). */
  threads?: number;
  queue?: string;
  /** Bytes of parts kept in memory (default a quarter of the machine's memory). */
  cacheBytes?: number;
  /** Seconds a job may take before it fails and is retried (default 600). */
  jobTimeoutSeconds?: number;
  /** Called after each job, for logs. */
  onJob?: (job: Job, outcome: "completed" | "failed", detail: string) => void;
}

/**
 * Jobs of at most this many values (rows × columns) are computed on the worker's own thread:
 * about a millisecond, less than a thread's round trip, and far below the lock renewal period.
 */
const INLINE_VALUES = 65_536;

/** A part's rows (in shared memory) and its standardised copy, if any. */
interface CachedPart {
  rows: PartRows;
  standardized: { key: string; data: Float64Array } | null;
}

/** Bytes a cached part holds. */
const partBytes = (c: CachedPart) =>
  c.rows.data.byteLength + (c.standardized?.data.byteLength ?? 0);

/** A running worker; `close()` lets active jobs finish, then stops. */
export interface RunningWorker {
  close(): Promise<void>;
}

/** Starts taking jobs. */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const connection: RedisConnection = redisConnection(o.redis);
  const root = await realpath(o.dataRoot).catch((err: Error) => {
    throw new IoError(`--data-root ${o.dataRoot}: ${err.message}`);
  });
  const build = buildFingerprint();
  const pool = new WorkerPool({ size: o.threads });
  const limit = o.cacheBytes ?? totalmem() / 4;
  const cache = new Map<string, Promise<CachedPart>>();
  const tableJob = tableJobRunner(root, pool);
  let cachedBytes = 0;

  async function part(job: ClusterJob): Promise<CachedPart> {
    const key = JSON.stringify([
      job.part,
      job.size,
      job.mtimeMs,
      job.read,
      job.columns,
      job.missing,
    ]);
    let p = cache.get(key);
    if (p === undefined) {
      p = load(job);
      cache.set(key, p);
      p.catch(() => cache.delete(key));
      cachedBytes += partBytes(await p);
      // Oldest first, never the part just loaded.
      for (const [k, v] of cache) {
        if (cachedBytes <= limit || k === key) break;
        cache.delete(k);
        cachedBytes -= partBytes(await v);
      }
    } else {
      // Most recently used last.
      cache.delete(key);
      cache.set(key, p);
    }
    return p;
  }

  async function load(job: ClusterJob): Promise<CachedPart> {
    const real = await checkedPart(root, { path: job.part, size: job.size, mtimeMs: job.mtimeMs });
    const types: Record<string, ColumnType> = {};
    for (const c of job.columns) types[c] = "float64";
    const stream = await openTableStream(real, {
      columns: job.columns,
      types,
      encoding: job.read.encoding,
      escapeChar: job.read.escapeChar,
      nonNumeric: job.read.nonNumeric,
    });
    try {
      return { rows: await readPartRows(stream, job.columns, job.missing), standardized: null };
    } finally {
      await stream.close();
    }
  }

  /** The part's rows standardised as `standardize` says (one copy kept per part). */
  function standardizedRows(c: CachedPart, standardize: EstepJob["standardize"]): Float64Array {
    if (standardize === null) return c.rows.data;
    const key = JSON.stringify(standardize);
    if (c.standardized?.key !== key) {
      const data = new Float64Array(new SharedArrayBuffer(c.rows.data.byteLength));
      data.set(c.rows.data);
      standardizeRows(standardize, { data, rows: c.rows.kept, cols: standardize.center.length });
      cachedBytes += data.byteLength - (c.standardized?.data.byteLength ?? 0);
      c.standardized = { key, data };
    }
    return c.standardized.data;
  }

  async function estep(job: EstepJob, c: CachedPart): Promise<WorkResult> {
    const d = job.columns.length;
    const { starts, kept } = c.rows;
    const blocks = starts.length - 1;
    if (job.lastBlock > blocks || job.firstBlock > job.lastBlock) {
      throw new UnrecoverableError(
        `${job.part}: blocks ${job.firstBlock}–${job.lastBlock} asked of a part of ${blocks} blocks`,
      );
    }
    const terms = termsFromJob(job.terms);
    if (terms.nFeatures !== d || terms.means.length !== terms.nComponents * d) {
      throw new UnrecoverableError(`${job.part}: the terms do not match the ${d} columns`);
    }
    const data = standardizedRows(c, job.standardize);
    const n = job.lastBlock - job.firstBlock;
    const stats = new Float64Array(n * statsLength(terms.nComponents, d, job.moment));
    if ((starts[job.lastBlock]! - starts[job.firstBlock]!) * d <= INLINE_VALUES) {
      // A few milliseconds of work: here, without a thread's round trip (the same function).
      const X = { data, rows: kept, cols: d };
      const parts = summarizeRanges(
        X,
        null,
        terms,
        job.moment,
        starts,
        job.firstBlock,
        job.lastBlock,
      );
      concatInto(
        parts.map((p) => p.buffer),
        stats,
      );
    } else {
      const task = {
        x: data.buffer as SharedArrayBuffer,
        rows: kept,
        cols: d,
        weights: null,
        terms,
        moment: job.moment,
        blockRows: 1,
        starts: starts.buffer as SharedArrayBuffer,
      };
      concatInto(await blockStatsOnPool(pool, task, job.firstBlock, job.lastBlock), stats);
    }
    return { index: job.index, firstBlock: job.firstBlock, stats: toBase64(stats) };
  }

  function rowsAt(job: RowsJob, c: CachedPart): WorkResult {
    const d = job.columns.length;
    const rows = rowsAtIndices(c.rows.data, d, c.rows.kept, fromBase64(job.indices));
    return { index: job.index, rows: toBase64(rows) };
  }

  function scan(job: ScanJob, c: CachedPart): WorkResult {
    return {
      index: job.index,
      inputRows: c.rows.inputRows,
      kept: c.rows.kept,
      blocks: c.rows.starts.length - 1,
    };
  }

  /** A job not done by the deadline fails (and is retried, here or elsewhere). */
  async function processJob(job: Job): Promise<WorkResult> {
    const seconds = o.jobTimeoutSeconds ?? QUEUE_SETTINGS.jobTimeoutSeconds;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `job ${job.id}: no result within its deadline of ${seconds} s (--job-timeout); retried while attempts remain`,
            ),
          ),
        seconds * 1000,
      );
    });
    try {
      return await Promise.race([work(job), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function work(job: Job): Promise<WorkResult> {
    const why = payloadError(job.data);
    if (why !== null) throw new UnrecoverableError(`poisoned job ${job.id}: ${why}`);
    const w = job.data as WorkJob;
    if (w.build !== build) {
      throw new UnrecoverableError(
        `job ${job.id} comes from a coordinator of build ${w.build}, this worker is build ${build}; run the same modenorm on every machine`,
      );
    }
    const where = "part" in w ? w.part : "file" in w ? w.file.path : w.files[0]!.path;
    try {
      switch (w.kind) {
        case "scan":
          return scan(w, await part(w));
        case "rows":
          return rowsAt(w, await part(w));
        case "estep":
          return await estep(w, await part(w));
        default:
          return await tableJob(w);
      }
    } catch (err) {
      // Bad data fails the same on every try: no retries.
      if (err instanceof InvalidInputError || err instanceof IoError) {
        const m = err.message;
        throw new UnrecoverableError(m.startsWith(where) ? m : `${where}: ${m}`);
      }
      throw err;
    }
  }

  const worker = new Worker(o.queue ?? DEFAULT_QUEUE, processJob, {
    connection,
    concurrency: o.concurrency ?? 4,
    ...QUEUE_SETTINGS.worker,
  });
  worker.on("completed", (job) => o.onJob?.(job, "completed", ""));
  worker.on("failed", (job, err) => {
    if (job !== undefined) o.onJob?.(job, "failed", err.message);
  });
  // Connection trouble is retried by ioredis; it is reported, not thrown.
  worker.on("error", () => undefined);
  // Redis that does not answer at start is a wrong address or a server down: say so and stop.
  const wait = QUEUE_SETTINGS.redisTimeoutSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      worker.waitUntilReady(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new RedisUnreachableError(
                `${unreachable(o.redis, wait / 1000, "")} then start the worker again.`,
              ),
            ),
          wait,
        );
      }),
    ]);
  } catch (err) {
    await worker.close(true).catch(() => undefined);
    await pool.close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    async close() {
      await worker.close();
      await pool.close();
    },
  };
}
