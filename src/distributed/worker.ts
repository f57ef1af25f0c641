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
import { realpath, stat } from "node:fs/promises";
import { totalmem } from "node:os";
import { sep } from "node:path";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { InvalidInputError } from "../core/errors.js";
import { statsLength } from "../core/stats.js";
import type { ColumnType } from "../core/table.js";
import { summarizeRanges } from "../core/terms.js";
import { standardizeRows } from "../encode/cluster-model.js";
import { IoError } from "../io/errors.js";
import { openTableStream } from "../io/stream.js";
import { type PartRows, readPartRows } from "../run/cluster-rows.js";
import { WorkerPool } from "../run/pool.js";
import { buildFingerprint } from "./build.js";
import { type RedisConnection, redisAddress, redisConnection } from "./connection.js";
import {
  DEFAULT_QUEUE,
  type EstepJob,
  fromBase64,
  payloadError,
  type RowsJob,
  type ScanJob,
  toBase64,
  type WorkJob,
  type WorkResult,
} from "./protocol.js";
import { QUEUE_SETTINGS } from "./settings.js";

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

/** A part's rows in shared memory, with its standardised copies. */
interface CachedPart {
  rows: PartRows;
  data: Float64Array;
  starts: SharedArrayBuffer;
  standardized: Map<string, Float64Array>;
  bytes: number;
}

/** A running worker; `close()` lets active jobs finish, then stops. */
export interface RunningWorker {
  close(): Promise<void>;
}

function sharedCopy(a: Float64Array): Float64Array {
  const out = new Float64Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
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
  let cachedBytes = 0;

  async function part(job: WorkJob): Promise<CachedPart> {
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
      const loaded = await p;
      cachedBytes += loaded.bytes;
      // Oldest first, never the part just loaded.
      for (const [k, v] of cache) {
        if (cachedBytes <= limit || k === key) break;
        cache.delete(k);
        cachedBytes -= (await v).bytes;
      }
    } else {
      // Most recently used last.
      cache.delete(key);
      cache.set(key, p);
    }
    return p;
  }

  async function load(job: WorkJob): Promise<CachedPart> {
    let real: string;
    try {
      real = await realpath(job.part);
    } catch (err) {
      throw new UnrecoverableError(`${job.part}: cannot open (${(err as Error).message})`);
    }
    if (real !== root && !real.startsWith(root + sep)) {
      throw new UnrecoverableError(`${job.part}: outside the worker's data root ${root}; refused`);
    }
    const s = await stat(real);
    if (s.size !== job.size || s.mtimeMs !== job.mtimeMs) {
      throw new UnrecoverableError(
        `${job.part}: changed since the run started (size or modification time); rerun the command`,
      );
    }
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
      const rows = await readPartRows(stream, job.columns, job.missing);
      const data = sharedCopy(rows.data);
      const starts = new SharedArrayBuffer(rows.starts.byteLength);
      new Float64Array(starts).set(rows.starts);
      return { rows, data, starts, standardized: new Map(), bytes: data.byteLength };
    } finally {
      await stream.close();
    }
  }

  async function estep(job: EstepJob, c: CachedPart): Promise<WorkResult> {
    const d = job.columns.length;
    let data = c.data;
    if (job.standardize !== null) {
      const key = JSON.stringify(job.standardize);
      let s = c.standardized.get(key);
      if (s === undefined) {
        s = sharedCopy(c.data);
        standardizeRows(job.standardize, { data: s, rows: c.rows.kept, cols: d });
        c.standardized.clear();
        c.standardized.set(key, s);
      }
      data = s;
    }
    const blocks = c.rows.starts.length - 1;
    if (job.lastBlock > blocks || job.firstBlock > job.lastBlock) {
      throw new UnrecoverableError(
        `${job.part}: blocks ${job.firstBlock}–${job.lastBlock} asked of a part of ${blocks} blocks`,
      );
    }
    const terms = {
      nComponents: job.terms.nComponents,
      nFeatures: job.terms.nFeatures,
      covarianceType: job.terms.covarianceType,
      logConst: fromBase64(job.terms.logConst),
      means: fromBase64(job.terms.means),
      precChol: fromBase64(job.terms.precChol),
    };
    if (terms.nFeatures !== d || terms.means.length !== terms.nComponents * d) {
      throw new UnrecoverableError(`${job.part}: the terms do not match the ${d} columns`);
    }
    const n = job.lastBlock - job.firstBlock;
    const L = statsLength(terms.nComponents, d, job.moment);
    const first = c.rows.starts[job.firstBlock]!;
    const last = c.rows.starts[job.lastBlock]!;
    if ((last - first) * d <= INLINE_VALUES) {
      // A few milliseconds of work: here, without a thread's round trip (the same function).
      const X = { data, rows: c.rows.kept, cols: d };
      const parts = summarizeRanges(
        X,
        null,
        terms,
        job.moment,
        c.rows.starts,
        job.firstBlock,
        job.lastBlock,
      );
      const stats = new Float64Array(n * L);
      parts.forEach((p, b) => {
        stats.set(p.buffer, b * L);
      });
      return { index: job.index, firstBlock: job.firstBlock, stats: toBase64(stats) };
    }
    // The job's blocks shared out over the pool's threads in contiguous runs; the per-block
    // statistics come back in block order whatever the split.
    const T = Math.max(1, Math.min(pool.size, n));
    const runs = await Promise.all(
      Array.from({ length: T }, (_, t) =>
        pool.run({
          kind: "summarize",
          x: data.buffer as SharedArrayBuffer,
          rows: c.rows.kept,
          cols: d,
          weights: null,
          terms,
          moment: job.moment,
          firstBlock: job.firstBlock + Math.floor((t * n) / T),
          lastBlock: job.firstBlock + Math.floor(((t + 1) * n) / T),
          blockRows: 1,
          starts: c.starts,
        }),
      ),
    );
    const stats = new Float64Array(n * L);
    let at = 0;
    for (const r of runs) {
      stats.set(r, at);
      at += r.length;
    }
    if (at !== n * L) throw new Error("estep: stats length");
    return { index: job.index, firstBlock: job.firstBlock, stats: toBase64(stats) };
  }

  function rowsAt(job: RowsJob, c: CachedPart): WorkResult {
    const d = job.columns.length;
    const idx = fromBase64(job.indices);
    const out = new Float64Array(idx.length * d);
    idx.forEach((i, s) => {
      if (!(Number.isInteger(i) && i >= 0 && i < c.rows.kept)) {
        throw new UnrecoverableError(`${job.part}: row index ${i} outside its ${c.rows.kept} rows`);
      }
      out.set(c.data.subarray(i * d, (i + 1) * d), s * d);
    });
    return { index: job.index, rows: toBase64(out) };
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
    try {
      const c = await part(w);
      switch (w.kind) {
        case "scan":
          return scan(w, c);
        case "rows":
          return rowsAt(w, c);
        case "estep":
          return await estep(w, c);
      }
    } catch (err) {
      // Bad data fails the same on every try: no retries.
      if (err instanceof InvalidInputError || err instanceof IoError) {
        const m = err.message;
        throw new UnrecoverableError(m.startsWith(w.part) ? m : `${w.part}: ${m}`);
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
              new IoError(
                `Redis at ${redisAddress(o.redis)}: unreachable for ${wait / 1000} s; check --redis and that the server runs.`,
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
