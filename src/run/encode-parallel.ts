/**
 * Encoding and decoding of whole tables on worker threads. Rows are cut into fixed blocks of
 * `blockRows` (never by thread count); each block is encoded in a worker with
 * `transformTable(model, block, { layout, firstRow })` — per-row randomness is keyed by the global
 * row — so the output is bit-identical to `transformTable(model, table)` for any number of
 * threads. A fresh result is assembled from the blocks the workers send back (ordinary memory);
 * with `into`, workers read their block from a staging buffer in shared memory (kept per pool)
 * and write straight into the earlier result's shared columns, with no copy on this thread.
 * Inputs are validated on the calling thread first, with the same messages the sequential
 * functions give.
 */
import { InvalidInputError } from "../core/errors.js";
import type { Column, Table } from "../core/table.js";
import type { ModelSpec } from "../encode/spec.js";
import {
  checkDtype,
  detectLayout,
  findColumn,
  inverseTable,
  type Layout,
  layoutFields,
  transformTable,
} from "../encode/table-codec.js";
import { WorkerPool } from "./pool.js";
import type { Task } from "./protocol.js";
import {
  BlockStager,
  type PlacedBlock,
  SharedAssembler,
  sharedOutput,
  sliceColumns,
  TableAssembler,
  type TypedValues,
  transferablesOf,
} from "./table-blocks.js";

/** Rows per encode block by default: large enough that messaging costs nothing, small enough to spread. */
export const ENCODE_BLOCK_ROWS = 65536;

/** Options of {@link encodeParallel} and {@link decodeParallel}. */
export interface ParallelCodecOptions {
  /** Worker threads; default `os.availableParallelism()`. Ignored when `pool` is given. */
  threads?: number;
  /** Output layout of {@link encodeParallel}; default `compact`. */
  layout?: Layout;
  /** Rows per block, default {@link ENCODE_BLOCK_ROWS}. */
  blockRows?: number;
  /** A pool to use (and leave open); default: a pool for this call only. */
  pool?: WorkerPool;
  /** Global index of the table's first row (encoding: per-row randomness is keyed by it). Default 0. */
  firstRow?: number;
  /**
   * An earlier result to write this one into (same model, layout and row count): its columns are
   * overwritten and shared by the result (typed columns move to `SharedArrayBuffer`s on first
   * use, so pass the previous result each time), which saves allocating and first touching the
   * output (about 10 ns a row here) and the copy of each block on this thread.
   */
  into?: Table;
}

let modelKeys = 0;

/** Staging buffers of `into` runs, kept per pool (workers keep seeing the same memory). */
const staging = new WeakMap<WorkerPool, Map<string, (TypedValues | Uint8Array)[]>>();

function stagingOf(pool: WorkerPool): Map<string, (TypedValues | Uint8Array)[]> {
  let spare = staging.get(pool);
  if (spare === undefined) {
    spare = new Map();
    staging.set(pool, spare);
  }
  return spare;
}

async function runBlocks(
  model: ModelSpec,
  table: Table,
  columns: Column[],
  options: ParallelCodecOptions,
  task: (key: number, block: Table, firstRow: number, into: (Column | null)[] | null) => Task,
  empty: () => Table,
): Promise<Table> {
  const blockRows = options.blockRows ?? ENCODE_BLOCK_ROWS;
  if (!Number.isInteger(blockRows) || blockRows < 1) {
    throw new InvalidInputError(`blockRows must be a positive integer, got ${blockRows}.`);
  }
  const n = table.rows;
  if (n === 0) return empty();
  const pool = options.pool ?? new WorkerPool({ size: options.threads });
  const key = ++modelKeys;
  try {
    await pool.broadcast({ kind: "load-model", key, model });
    // A fresh result: blocks travel in their own buffers and come back to be copied into place
    // (ordinary memory, freed as usual). Into an earlier result: workers read their block from a
    // staging buffer and write straight into the result's shared columns.
    let shared: ReturnType<typeof sharedOutput> | null = null;
    let placed: SharedAssembler | null = null;
    if (options.into !== undefined) {
      const schema = empty();
      shared = sharedOutput(schema, n, options.into);
      placed = new SharedAssembler(n, shared, schema);
    }
    const fresh = shared === null ? new TableAssembler(n) : null;
    const spare = shared === null ? null : stagingOf(pool);
    const nBlocks = Math.ceil(n / blockRows);
    let next = 0;
    let failed = false;
    // A few blocks in flight per worker: bounded memory, no idle worker between blocks.
    const lane = async (): Promise<void> => {
      const stager = spare === null ? null : new BlockStager(columns, blockRows, spare);
      try {
        while (!failed && next < nBlocks) {
          const start = next++ * blockRows;
          const end = Math.min(n, start + blockRows);
          try {
            if (stager === null) {
              const block = sliceColumns(columns, start, end);
              const part = await pool.run(task(key, block, start, null), transferablesOf(block));
              fresh!.add(start, part as Table);
            } else {
              const part = await pool.run(task(key, stager.stage(start, end), start, shared));
              placed!.add(start, part as PlacedBlock);
            }
          } catch (err) {
            failed = true;
            throw err;
          }
        }
      } finally {
        stager?.dispose();
      }
    };
    await Promise.all(Array.from({ length: Math.min(nBlocks, 2 * pool.size) }, lane));
    await pool.broadcast({ kind: "unload-model", key });
    return placed === null ? fresh!.finish(empty) : placed.finish();
  } finally {
    if (options.pool === undefined) await pool.close();
  }
}

/**
 * `transformTable(model, table, { layout })` on worker threads, bit for bit.
 * @throws InvalidInputError (as a rejection) for a missing column or a column of the wrong type.
 */
export async function encodeParallel(
  model: ModelSpec,
  table: Table,
  options: ParallelCodecOptions = {},
): Promise<Table> {
  const layout = options.layout ?? "compact";
  const columns = model.columns.map((spec) => {
    const col = findColumn(table, spec.name, "the data (the model has this column)");
    checkDtype(spec, col);
    return col;
  });
  return runBlocks(
    model,
    table,
    columns,
    options,
    (key, block, start, into) => {
      const firstRow = (options.firstRow ?? 0) + start;
      return into === null
        ? { kind: "encode", key, table: block, layout, firstRow }
        : { kind: "encode-into", key, table: block, layout, firstRow, into, offset: start };
    },
    () =>
      transformTable(model, { rows: 0, columns: sliceColumns(columns, 0, 0).columns }, { layout }),
  );
}

/**
 * `inverseTable(model, encoded)` on worker threads, bit for bit (either layout, detected from the
 * column names).
 * @throws InvalidInputError (as a rejection) when the table matches neither layout.
 */
export async function decodeParallel(
  model: ModelSpec,
  encoded: Table,
  options: Omit<ParallelCodecOptions, "layout"> = {},
): Promise<Table> {
  const layout = detectLayout(model, encoded);
  const wanted = new Set(layoutFields(model, layout).map((f) => f.name));
  const columns = encoded.columns.filter((c) => wanted.has(c.name));
  return runBlocks(
    model,
    encoded,
    columns,
    options,
    (key, block, firstRow, into) =>
      into === null
        ? { kind: "decode", key, table: block }
        : { kind: "decode-into", key, table: block, firstRow, into, offset: firstRow },
    () => inverseTable(model, { rows: 0, columns: sliceColumns(columns, 0, 0).columns }),
  );
}
