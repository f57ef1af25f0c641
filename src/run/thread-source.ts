/**
 * A {@link FitSource} whose E-step runs on worker threads.
 *
 * X (and the sample weights) are copied once into shared memory (no copy when X already lives in a
 * SharedArrayBuffer); every `summarize` gives each worker a contiguous range of blocks and folds
 * the per-block statistics in global block order (`foldPacked`). Blocks are fixed by
 * `blockRows`, never by the thread count, so a fit through this source is bit-identical to one
 * through `matrixSource(X, w, blockRows)` for any `threads`. The calling thread's event loop runs
 * meanwhile (progress, signals).
 */

import { InvalidInputError } from "../core/errors.js";
import type { FitSource } from "../core/fit.js";
import type { Matrix } from "../core/matrix.js";
import { createStats, type MixtureStats } from "../core/stats.js";
import { BLOCK_ROWS, blockCount, foldPacked } from "../core/terms.js";
import { WorkerPool } from "./pool.js";
import type { SummarizeTask } from "./protocol.js";

/** Options of {@link threadSource}. */
export interface ThreadSourceOptions {
  /** Worker threads; default `os.availableParallelism()`. Ignored when `pool` is given. */
  threads?: number;
  /** Rows per block (default `BLOCK_ROWS`); the result depends on it, not on `threads`. */
  blockRows?: number;
  /** A pool to use (and not close); default: a pool of its own, closed by `close()`. */
  pool?: WorkerPool;
  /**
   * Blocks of any sizes instead: block b is rows [blockStarts[b], blockStarts[b + 1]) (the first
   * start 0, the last X.rows); `blockRows` is then unused.
   */
  blockStarts?: Float64Array;
}

/** A {@link FitSource} on worker threads; `close()` ends its workers. */
export type ThreadSource = FitSource & { close(): Promise<void> };

function shared(a: Float64Array): SharedArrayBuffer {
  if (a.buffer instanceof SharedArrayBuffer && a.byteOffset === 0) return a.buffer;
  const sab = new SharedArrayBuffer(a.byteLength);
  new Float64Array(sab).set(a);
  return sab;
}

/**
 * The E-step of X (n × d) with optional sample weights (length n) on worker threads.
 * @throws InvalidInputError for a bad `blockRows`, `threads` or weight length.
 */
export function threadSource(
  X: Matrix,
  sampleWeight: Float64Array | null,
  options: ThreadSourceOptions = {},
): ThreadSource {
  const blockRows = options.blockRows ?? BLOCK_ROWS;
  if (!Number.isInteger(blockRows) || blockRows < 1) {
    throw new InvalidInputError(`blockRows must be a positive integer, got ${blockRows}.`);
  }
  if (sampleWeight !== null && sampleWeight.length !== X.rows) {
    throw new InvalidInputError(
      `sampleWeight has ${sampleWeight.length} values but X has ${X.rows} rows; give one weight per row.`,
    );
  }
  const ownPool = options.pool === undefined;
  const pool = options.pool ?? new WorkerPool({ size: options.threads });
  const x = shared(
    X.data.length === X.rows * X.cols ? X.data : X.data.subarray(0, X.rows * X.cols),
  );
  const weights = sampleWeight === null ? null : shared(sampleWeight);
  const starts = options.blockStarts === undefined ? null : shared(options.blockStarts);
  const nBlocks =
    options.blockStarts === undefined
      ? blockCount(X.rows, blockRows)
      : options.blockStarts.length - 1;
  return {
    nFeatures: X.cols,
    initSample: () => ({ X, sampleWeight }),
    async summarize(terms, moment): Promise<MixtureStats> {
      const total = createStats(terms.nComponents, terms.nFeatures, moment, terms.means);
      const task = { x, rows: X.rows, cols: X.cols, weights, terms, moment, blockRows, starts };
      // Worker w's blocks precede worker w+1's: folded in global block order.
      for (const r of await blockStatsOnPool(pool, task, 0, nBlocks)) foldPacked(r, total.buffer);
      return total;
    },
    close: () => (ownPool ? pool.close() : Promise.resolve()),
  };
}

/**
 * The statistics of blocks [firstBlock, lastBlock) of a matrix in shared memory (`task`: the
 * summarize task without its block range), computed on the pool's threads in contiguous runs, at
 * most one per thread: one array per run, in block order, each packing its blocks' statistics.
 * Every task settles before the first failure is thrown, so no thread is left working.
 */
export async function blockStatsOnPool(
  pool: WorkerPool,
  task: Omit<SummarizeTask, "kind" | "firstBlock" | "lastBlock">,
  firstBlock: number,
  lastBlock: number,
): Promise<Float64Array[]> {
  const n = lastBlock - firstBlock;
  const T = Math.min(pool.size, n);
  const runs: Promise<Float64Array>[] = [];
  for (let w = 0; w < T; w++) {
    runs.push(
      pool.run({
        kind: "summarize",
        ...task,
        firstBlock: firstBlock + Math.floor((w * n) / T),
        lastBlock: firstBlock + Math.floor(((w + 1) * n) / T),
      }),
    );
  }
  const settled = await Promise.allSettled(runs);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<Float64Array>).value);
}
