/**
 * What a queue worker computes, on a thread of its own (`job-thread.ts`): reads the parts a job
 * names (only inside the data root), computes on its thread pool and returns the job's result.
 * Parts of clustering runs stay in memory between jobs of a run (bounded; the oldest part is
 * dropped first), so iterations after the first read nothing.
 *
 * Bad data (a missing value, text in a numeric column, a damaged file, a part outside the data
 * root or changed since the run started) fails with BullMQ's UnrecoverableError, naming the part:
 * it fails the same on every try.
 */
import { UnrecoverableError } from "bullmq";
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
import { checkedPart } from "./data-root.js";
import type { WorkJob, WorkResult } from "./payload.js";
import {
  type ClusterJob,
  type EstepJob,
  fromBase64,
  type RowsJob,
  type ScanJob,
  termsFromJob,
  toBase64,
} from "./protocol.js";
import { tableJobRunner } from "./table-worker.js";

/** Where and how an executor works. */
export interface ExecutorOptions {
  /** The data root, resolved (`realpath`): jobs may only name parts inside it. */
  root: string;
  /** Threads of the pool (default: all cores). */
  threads?: number;
  /** Bytes of parts kept in memory. */
  cacheBytes: number;
}

/** Runs work jobs (already checked against their schema and build); `close()` stops the pool. */
export interface Executor {
  run(job: WorkJob): Promise<WorkResult>;
  close(): Promise<void>;
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

/** An executor of work jobs; see the module comment. */
export function createExecutor(o: ExecutorOptions): Executor {
  const { root } = o;
  const pool = new WorkerPool({ size: o.threads });
  const limit = o.cacheBytes;
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

  async function run(w: WorkJob): Promise<WorkResult> {
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

  return { run, close: () => pool.close() };
}
