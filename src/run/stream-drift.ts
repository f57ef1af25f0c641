/**
 * Drift of a whole stream against a model's baseline, in bounded memory: each block's tallies are
 * computed on the worker pool (split at chunk boundaries), merged in block order, and each chunk's
 * report is made as soon as its last row is in, so a time-ordered file gives one verdict per
 * chunk while it is read.
 */
import { InvalidInputError } from "../core/errors.js";
import {
  type ChunkTally,
  type DriftOptions,
  type DriftReport,
  type DriftTally,
  driftReport,
  mergeDriftTallies,
  requireBaseline,
  resolveDriftOptions,
} from "../drift/index.js";
import type { ModelSpec } from "../encode/spec.js";
import type { TableBlock, TableStream } from "../io/stream.js";
import { orderedMap, type StreamRunOptions, withPool } from "./stream-codec.js";
import { readOnPool, shareBlocks, trimShared } from "./stream-shared.js";
import { transferablesOf } from "./table-blocks.js";

export interface DriftStreamOptions extends StreamRunOptions, DriftOptions {
  /** One report per this many rows (the last chunk may be shorter). Default: one report. */
  chunkRows?: number;
  /** Called with each chunk's report (and the tally it was made from) as soon as its rows are in, in order. */
  onReport?: (r: DriftReport, tally: DriftTally) => void;
  /**
   * Called with each block as it is read, in row order, on this thread, before it goes to a
   * worker (another tally of the same rows needs no second pass). It must not keep the arrays.
   */
  onTable?: (b: TableBlock) => void;
}

/**
 * The drift reports of `stream` (one, or one per chunk).
 * @throws InvalidInputError for a model without baseline, bad options, an input without rows, or
 *   data missing a model column or holding a column of the wrong type.
 */
export async function driftStream(
  model: ModelSpec,
  stream: TableStream,
  options: DriftStreamOptions = {},
): Promise<{ reports: DriftReport[]; rows: number; seconds: number }> {
  const t0 = performance.now();
  requireBaseline(model);
  resolveDriftOptions(model, options);
  const chunkRows = options.chunkRows ?? null;
  if (chunkRows !== null && !(Number.isSafeInteger(chunkRows) && chunkRows >= 1))
    throw new InvalidInputError(`chunkRows must be a whole number ≥ 1, got ${chunkRows}.`);
  const reports: DriftReport[] = [];
  let current: { chunk: number; tally: DriftTally } | null = null;
  let rows = 0;
  const finish = () => {
    if (current === null) return;
    const first = chunkRows === null ? 0 : current.chunk * chunkRows;
    const r = driftReport(model, current.tally, first, options);
    reports.push(r);
    options.onReport?.(r, current.tally);
    current = null;
  };
  const bin = shareBlocks(stream);
  await withPool(options, model, (pool, key, run) => {
    readOnPool(stream, pool);
    return orderedMap<ChunkTally[]>(
      stream,
      pool.size + 1,
      () => false,
      async (b) => {
        options.onTable?.(b);
        const t = (await run(
          { kind: "drift", key, table: b.table, firstRow: b.firstRow, chunkRows },
          transferablesOf(b.table),
        )) as ChunkTally[];
        bin.putTable(b.table);
        return t;
      },
      async (parts, b) => {
        for (const p of parts) {
          if (current !== null && current.chunk !== p.chunk) finish();
          current =
            current === null
              ? { chunk: p.chunk, tally: p.tally }
              : { chunk: p.chunk, tally: mergeDriftTallies(current.tally, p.tally) };
        }
        rows = b.firstRow + b.table.rows;
        options.onProgress?.(rows);
      },
      () => undefined,
    );
  }).finally(trimShared);
  if (rows === 0)
    throw new InvalidInputError("the data has no rows; check drift on at least one row.");
  finish();
  return { reports, rows, seconds: (performance.now() - t0) / 1000 };
}
