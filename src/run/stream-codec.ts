/**
 * Whole streams through the model in bounded memory: encode, decode and evaluate (each block of
 * the stream a task on the worker pool, results consumed in block order); fitting is in
 * `stream-fit.ts`.
 *
 * Output is bit-identical for any thread count: a block's encoding depends only on its rows and
 * the global index of its first row (per-row randomness is keyed by the row), and blocks are
 * written and merged in row order.
 *
 * Memory: at most `threads + 1` blocks in flight, plus the block being written.
 */
import { type ArrayBin, isSharedBuffer, valuesClass } from "../core/array-bin.js";
import type { Column, Table } from "../core/table.js";
import { mergeEvaluations, type TableEvaluation } from "../encode/evaluate.js";
import type { ModelSpec } from "../encode/spec.js";
import type { Layout } from "../encode/table-codec.js";
import type { TableSink } from "../io/sink.js";
import type { TableBlock, TableStream } from "../io/stream.js";
import { quiet } from "./errors.js";
import { WorkerPool } from "./pool.js";
import type {
  DecodeBlockTask,
  DriftTask,
  EncodeBlockTask,
  EvaluateTask,
  ReusedBlock,
} from "./protocol.js";
import { nextStreamKey, readOnPool, shareBlocks, trimShared } from "./stream-shared.js";
import { sharedArraysOf, transferablesOf } from "./table-blocks.js";

/** Options of the stream runners. */
export interface StreamRunOptions {
  /** Worker threads; default `os.availableParallelism()`. Ignored when `pool` is given. */
  threads?: number;
  /** A pool to use (and leave open). */
  pool?: WorkerPool;
  /** Called after each block with the rows done so far (skipped rows included). */
  onProgress?: (rows: number) => void;
}

/** What a stream run did. */
export interface StreamRunResult {
  rows: number;
  /** Rows of blocks an interrupted run had already written (skipped on resume). */
  skippedRows: number;
  seconds: number;
}

/**
 * Runs `work` on the blocks of `stream` with up to `width` in flight, and `consume`s the results in
 * block order. Blocks for which `skip` is true are not worked on.
 */
export async function orderedMap<R>(
  stream: TableStream,
  width: number,
  skip: (b: TableBlock) => boolean,
  work: (b: TableBlock) => Promise<R>,
  consume: (r: R, b: TableBlock) => Promise<void>,
  onSkip: (b: TableBlock) => void,
): Promise<void> {
  const blocks = stream.blocks();
  // A skipped block has no work (null) but keeps its place, so blocks are seen in row order.
  const queue: { block: TableBlock; result: Promise<R> | null }[] = [];
  let ended = false;
  try {
    for (;;) {
      while (!ended && queue.length < width) {
        const r = await blocks.next();
        if (r.done) ended = true;
        else queue.push({ block: r.value, result: skip(r.value) ? null : quiet(work(r.value)) });
      }
      const head = queue.shift();
      if (head === undefined) break;
      if (head.result === null) onSkip(head.block);
      else await consume(await head.result, head.block);
    }
  } finally {
    await Promise.allSettled(queue.map((q) => q.result));
    await stream.close();
  }
}

/** Runs a task of the stream's model on the pool once every worker holds the model. */
export type ModelRun = (
  task: EncodeBlockTask | DecodeBlockTask | EvaluateTask | DriftTask,
  transfer: ArrayBuffer[],
) => Promise<unknown>;

/**
 * Runs `body` with the model loaded on a pool. The model loads while `body` starts reading (on a
 * fresh pool, while the workers start): `run` waits for it.
 */
export async function withPool<T>(
  options: StreamRunOptions,
  model: ModelSpec,
  body: (pool: WorkerPool, key: number, run: ModelRun) => Promise<T>,
): Promise<T> {
  const pool = options.pool ?? new WorkerPool({ size: options.threads });
  const key = nextStreamKey();
  try {
    const loaded = quiet(pool.broadcast({ kind: "load-model", key, model }));
    const out = await body(pool, key, async (task, transfer) => {
      await loaded;
      return pool.run(task, transfer);
    });
    await loaded;
    await pool.broadcast({ kind: "unload-model", key });
    return out;
  } finally {
    if (options.pool === undefined) await pool.close();
  }
}

/**
 * Puts back the task's shared arrays that the reply does not hold (this thread's own objects:
 * the result's columns are pointed at them where they are the same).
 */
function reclaim(bin: ArrayBin, sent: ArrayBufferView[], r: ReusedBlock): Table {
  const held = new Set<number>(r.sharedAliased);
  const columns = r.table.columns.map((c, j): Column => {
    if (c.type === "string") return c;
    const v = r.sharedRefs[2 * j]!;
    const m = r.sharedRefs[2 * j + 1]!;
    if (v >= 0) held.add(v);
    if (m >= 0) held.add(m);
    return {
      ...c,
      values: v >= 0 ? sent[v] : c.values,
      nulls: m >= 0 ? (sent[m] as Uint8Array) : c.nulls,
    } as Column;
  });
  sent.forEach((a, i) => {
    if (!held.has(i)) bin.put(a);
  });
  return { rows: r.table.rows, columns };
}

/**
 * Encodes or decodes every block of `stream` into `sink` on the pool. Arrays are reused: blocks
 * are in shared memory where the stream allows (see {@link shareBlocks}); shared inputs go back
 * to the bin when a worker is done with them, output arrays once the sink has written them, and
 * each task takes spare output columns of its block's shape from the bin (the shape of the first
 * result), so a long stream allocates a few dozen arrays in all.
 */
async function codecStream(
  model: ModelSpec,
  stream: TableStream,
  sink: TableSink,
  options: StreamRunOptions,
  task: (
    key: number,
    b: TableBlock,
    spare: (Column | null)[] | null,
  ) => EncodeBlockTask | DecodeBlockTask,
): Promise<StreamRunResult> {
  // A sink that writes CSV gets each block's rows formatted by the worker that made them, into
  // shared memory (sized by the last block's bytes) that comes back once the sink has written it.
  const csv = sink.csv;
  let csvBytes = 0;
  const t0 = performance.now();
  const bin = shareBlocks(stream);
  let shape: Table | null = null;
  let rows = 0;
  let skippedRows = 0;
  await withPool(options, model, (pool, key, run) => {
    readOnPool(stream, pool);
    return orderedMap<{ table: Table; csv?: Uint8Array }>(
      stream,
      pool.size + 1,
      (b) => sink.done(b.firstRow),
      async (b) => {
        // Spares are shared memory (the shared bin's): only an ordinary input is transferred.
        const spare = shape === null ? null : spareColumns(bin, shape, b.table.rows);
        const sent = sharedArraysOf(b.table, spare);
        const t = task(key, b, spare);
        const into = csv === undefined || csvBytes === 0 ? null : bin.alloc(Uint8Array, csvBytes);
        if (csv !== undefined) t.csv = { ...csv, into };
        const r = (await run(t, transferablesOf(b.table))) as ReusedBlock;
        const table = reclaim(bin, sent, r);
        shape ??= table;
        if (r.csv !== undefined) {
          // Room for 25 % more, or what the worker gave its own shared bytes (then the bin
          // keeps them for the next blocks: same size class).
          const own = isSharedBuffer(r.csv.buffer) ? r.csv.buffer.byteLength : 0;
          csvBytes = Math.max(csvBytes, Math.ceil(r.csv.length * 1.25), own);
        }
        // This thread's own view of the shared bytes (the reply's is another object).
        if (into === null || r.csvInto !== true) {
          if (into !== null) bin.put(into);
          return { table, csv: r.csv };
        }
        return { table, csv: into.subarray(0, r.csv!.length) };
      },
      async ({ table, csv: text }, b) => {
        await sink.write({ firstRow: b.firstRow, table, csv: text }, () => {
          bin.putTable(table);
          bin.put(text);
        });
        rows += table.rows;
        options.onProgress?.(rows);
      },
      (b) => {
        rows += b.table.rows;
        skippedRows += b.table.rows;
        options.onProgress?.(rows);
        bin.putTable(b.table);
      },
    );
  }).finally(trimShared);
  return { rows, skippedRows, seconds: (performance.now() - t0) / 1000 };
}

/** Output columns like `shape`'s with `rows` rows (in shared memory), from the bin where it can. */
function spareColumns(bin: ArrayBin, shape: Table, rows: number): (Column | null)[] {
  return shape.columns.map((c): Column | null => {
    if (c.type === "string") return null;
    const values = bin.alloc(valuesClass(c.type), rows);
    return { ...c, values, nulls: bin.alloc(Uint8Array, rows) } as Column;
  });
}

/** Encodes every block of `stream` into `sink` (see the module comment). */
export function encodeStream(
  model: ModelSpec,
  stream: TableStream,
  sink: TableSink,
  options: StreamRunOptions & { layout?: Layout } = {},
): Promise<StreamRunResult> {
  const layout = options.layout ?? "compact";
  return codecStream(model, stream, sink, options, (key, b, spare) => ({
    kind: "encode-block",
    key,
    table: b.table,
    layout,
    firstRow: b.firstRow,
    spare,
  }));
}

/** Decodes every block of an encoded `stream` (either layout) into `sink`. */
export function decodeStream(
  model: ModelSpec,
  stream: TableStream,
  sink: TableSink,
  options: StreamRunOptions = {},
): Promise<StreamRunResult> {
  return codecStream(model, stream, sink, options, (key, b, spare) => ({
    kind: "decode-block",
    key,
    table: b.table,
    firstRow: b.firstRow,
    spare,
  }));
}

/** Evaluates the round trip of every row of `stream`, merging block results in row order. */
export async function evaluateStream(
  model: ModelSpec,
  stream: TableStream,
  options: StreamRunOptions & {
    /** Called with each block's own evaluation, in block order (before it is merged). */
    onBlock?: (e: TableEvaluation) => void;
    /**
     * Called with each block as it is read, in row order, on this thread, before it goes to a
     * worker (so that other tallies of the same rows, e.g. a report's histograms, need no
     * second pass over the input). It must not keep the block's arrays.
     */
    onTable?: (b: TableBlock) => void;
  } = {},
): Promise<TableEvaluation & { seconds: number }> {
  const t0 = performance.now();
  let total: TableEvaluation | null = null;
  const bin = shareBlocks(stream);
  await withPool(options, model, (pool, key, run) => {
    readOnPool(stream, pool);
    return orderedMap<TableEvaluation>(
      stream,
      pool.size + 1,
      () => false,
      async (b) => {
        options.onTable?.(b);
        const e = (await run(
          { kind: "evaluate", key, table: b.table, firstRow: b.firstRow },
          transferablesOf(b.table),
        )) as TableEvaluation;
        // Shared arrays are still this thread's (transferred ones are gone and not kept).
        bin.putTable(b.table);
        return e;
      },
      async (e) => {
        options.onBlock?.(e);
        total = total === null ? e : mergeEvaluations(total, e);
        options.onProgress?.(total.rows);
      },
      () => undefined,
    );
  }).finally(trimShared);
  const result: TableEvaluation = total ?? { rows: 0, columns: [] };
  return { ...result, seconds: (performance.now() - t0) / 1000 };
}
