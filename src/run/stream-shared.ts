/**
 * What the stream runners (`stream-codec.ts`, `stream-fit.ts`) share: keys of models and
 * summaries kept in workers, blocks in shared memory, CSV read on the pool, and the clean-up after
 * a run.
 */
import { type ArrayBin, SHARED_KEEP, sharedBlockBin } from "../core/array-bin.js";
import type { TableStream } from "../io/stream.js";
import { parallelCsvReader } from "./csv-parallel.js";
import { collectGarbage } from "./gc.js";

import type { WorkerPool } from "./pool.js";

let streamKeys = 1 << 20;

/** A key for a model or summary kept in the workers, unique in this process. */
export function nextStreamKey(): number {
  return ++streamKeys;
}

/**
 * Blocks in shared memory for a run on worker threads: a stream that takes its arrays from a bin
 * takes them from this thread's shared bin instead (see `ArrayBin`), so that blocks are not
 * transferred to the workers and back. Returns the shared bin.
 */
export function shareBlocks(stream: TableStream): ArrayBin {
  const shared = sharedBlockBin();
  // CSV read on the pool (`readOnPool`) takes its blocks from the bin too.
  if (stream.bin !== undefined || stream.readCsvWith !== undefined) stream.bin = shared;
  return shared;
}

/** CSV files are read on `pool` (see `csv-parallel.ts`); other inputs as they are. */
export function readOnPool(stream: TableStream, pool: WorkerPool): void {
  stream.readCsvWith?.(parallelCsvReader(pool));
}

/**
 * What a run that ended leaves in the shared bin (see `SHARED_KEEP`); a full collection then
 * frees the shared buffers it dropped and the native memory of the run's DuckDB results, which
 * V8 does not count (measured on the demo's table, one process through every stage: peak RSS
 * 1.52–1.58 GB without it, 1.07–1.14 GB with it).
 */
export function trimShared(): void {
  sharedBlockBin().trim(SHARED_KEEP);
  collectGarbage();
}
