/**
 * The messages between the pool and its workers. A task is plain data plus transferable buffers;
 * every task kind has one result type ({@link TaskResults}).
 */

import type { MomentKind } from "../core/stats.js";
import type { Column, Table } from "../core/table.js";
import type { ComponentTerms } from "../core/terms.js";
import type { ChunkTally } from "../drift/tally.js";
import type { TableEvaluation } from "../encode/evaluate.js";
import type { MixtureColumnSpec, ModelSpec } from "../encode/spec.js";
import type { Layout } from "../encode/table-codec.js";
import type { TableSummary, TableSummaryOptions } from "../encode/table-summary.js";
import type { CsvRange, CsvRangeResult } from "../io/csv-range.js";
import type { ParquetCompression, TextEncoding } from "../io/options.js";
import type { RowRange } from "../io/range-stream.js";
import type { ShardEntry, ShardFormat } from "../io/shard-file.js";
import type { TableStreamOptions } from "../io/stream.js";
import type { SerializedError } from "./errors.js";
import type { PlacedBlock } from "./table-blocks.js";

/**
 * The E-step over blocks [firstBlock, lastBlock) of a matrix held in shared memory. The result is
 * the blocks' statistics packed one after another: (lastBlock − firstBlock) · statsLength values.
 */
export interface SummarizeTask {
  kind: "summarize";
  /** X row-major, rows·cols float64 values. */
  x: SharedArrayBuffer;
  rows: number;
  cols: number;
  /** Sample weights (rows float64 values), or null for 1. */
  weights: SharedArrayBuffer | null;
  terms: ComponentTerms;
  moment: MomentKind;
  firstBlock: number;
  lastBlock: number;
  blockRows: number;
  /**
   * Block starts (float64 row indices, one more than the blocks): block b is rows
   * [starts[b], starts[b + 1]); null for blocks of `blockRows` rows.
   */
  starts?: SharedArrayBuffer | null;
}

/** Keeps a model in the worker under `key`, so that block tasks need not carry it. */
export interface LoadModelTask {
  kind: "load-model";
  key: number;
  model: ModelSpec;
}

/** Forgets a model loaded by {@link LoadModelTask}. */
export interface UnloadModelTask {
  kind: "unload-model";
  key: number;
}

/** `transformTable(model, table, { layout, firstRow })` with a loaded model. */
export interface EncodeTask {
  kind: "encode";
  key: number;
  table: Table;
  layout: Layout;
  firstRow: number;
}

/** `inverseTable(model, table)` with a loaded model. */
export interface DecodeTask {
  kind: "decode";
  key: number;
  table: Table;
}

/**
 * Fields of {@link EncodeIntoTask} and {@link DecodeIntoTask}: the block's typed output columns are
 * written into `into` (columns in shared memory, see `sharedOutput`) at row `offset`; the reply carries the rest ({@link PlacedBlock}).
 */
interface IntoFields {
  key: number;
  table: Table;
  /** Global index of the block's first row (its random streams). */
  firstRow: number;
  into: (Column | null)[];
  /** Row of `into` where the block goes. */
  offset: number;
}

/** An {@link EncodeTask} that writes into shared output columns. */
export interface EncodeIntoTask extends IntoFields {
  kind: "encode-into";
  layout: Layout;
}

/** A {@link DecodeTask} that writes into shared output columns. */
export interface DecodeIntoTask extends IntoFields {
  kind: "decode-into";
}

/**
 * A block of a stream, encoded or decoded with a loaded model, with arrays to reuse: `spare`
 * holds output columns (in the output's order, null where there is none) of exactly the block's
 * rows that the codecs may write into instead of allocating (for decoding the worker zeroes
 * them first). The reply ({@link ReusedBlock}) says which of the task's arrays in shared memory
 * the result holds (the caller has them, and reuses the others); arrays in ordinary memory stay
 * with the worker unless the result holds them.
 */
export interface EncodeBlockTask {
  kind: "encode-block";
  key: number;
  table: Table;
  layout: Layout;
  firstRow: number;
  spare: (Column | null)[] | null;
  /** Also format the result's rows as CSV (for a sink that writes CSV, see `TableSink.csv`). */
  csv?: CsvFormat;
}

/** CSV formatting of a block's result on the worker: the sink's encoding and name. */
export interface CsvFormat {
  encoding: TextEncoding;
  name: string;
  /** Shared memory to write the bytes into when they fit (the reply then holds a view of it). */
  into?: Uint8Array | null;
}

/** See {@link EncodeBlockTask}. */
export interface DecodeBlockTask {
  kind: "decode-block";
  key: number;
  table: Table;
  /** Global index of the block's first row (for messages). */
  firstRow: number;
  spare: (Column | null)[] | null;
  csv?: CsvFormat;
}

/** The reply of {@link EncodeBlockTask} and {@link DecodeBlockTask}. */
export interface ReusedBlock {
  table: Table;
  /**
   * For the values and the null mask of each result column (entries 2j and 2j + 1): the index,
   * in `sharedArraysOf(input, spare)`, of the task's shared array that it is, or -1.
   */
  sharedRefs: number[];
  /** Indices of shared arrays of the task that the result uses otherwise (views into them). */
  sharedAliased: number[];
  /** The result's rows as CSV (`csvRowBytes`) when the task asked for it. */
  csv?: Uint8Array;
  /** True when `csv` is written at the start of the task's `csv.into` (a view of it). */
  csvInto?: boolean;
}

/** `evaluateTable(model, table, { firstRow })` with a loaded model. */
export interface EvaluateTask {
  kind: "evaluate";
  key: number;
  table: Table;
  firstRow: number;
}

/** The drift tallies of a block's rows with a loaded model, one per chunk it touches. */
export interface DriftTask {
  kind: "drift";
  key: number;
  table: Table;
  firstRow: number;
  /** Rows per chunk; null: one chunk. */
  chunkRows: number | null;
}

/**
 * Adds a block to the table summary kept in the worker under `key`, creating it from this first
 * block when absent (`options` then decide the columns and kinds). Blocks must come in row order.
 */
export interface SummaryAddTask {
  kind: "summary-add";
  key: number;
  options: TableSummaryOptions;
  table: Table;
  firstRow: number;
}

/** A range of rows to read on the thread itself, and how (a queue worker's fit jobs). */
export interface RangeRead {
  range: RowRange;
  read: TableStreamOptions & { blockRows: number };
}

/**
 * The table summary of a range read on the thread, its blocks added in row order as by
 * `summary-add`, and with `hashBelow` the row hashes each mixture column would sample below it
 * (`addToHashHistogram`): reading and summarising on one thread, so a queue worker's threads
 * each read their own ranges.
 */
export interface SummaryRangeTask extends RangeRead {
  kind: "summary-range";
  options: TableSummaryOptions;
  hashBelow?: number;
}

/**
 * A refinement pass's statistics of every block of a range read on the thread, in row order:
 * per block one array per spec (`refineBlock` under its modes, not added up), null where no value
 * of the block takes part.
 */
export interface RefineRangeTask extends RangeRead {
  kind: "refine-range";
  specs: MixtureColumnSpec[];
}

/**
 * Encodes or decodes a range read on the thread into shard `output.index` of the output being
 * written in `output.dir` (`openShardFile`), block by block as the local runner does.
 */
export interface CodecRangeTask extends RangeRead {
  kind: "codec-range";
  direction: "encode" | "decode";
  /** The model file's text (parsed and checked on the thread). */
  model: string;
  layout: Layout;
  output: {
    dir: string;
    index: number;
    firstRow: number;
    name: string;
    format: ShardFormat;
    compression: ParquetCompression;
    encoding: TextEncoding;
  };
}

/** Returns (and forgets) the table summary kept under `key`, or null when none was made. */
export interface SummaryTakeTask {
  kind: "summary-take";
  key: number;
}

/** Reads one byte range of a CSV file (`readCsvRange`); its columns' buffers come back transferred. */
export interface CsvRangeTask {
  kind: "csv-range";
  range: CsvRange;
}

/**
 * Fault injection, for tests of the pool's error paths: `throw` throws `errorName(message)` in the
 * task, `exit` calls process.exit(1), `uncaught` throws outside any task.
 */
export interface FaultTask {
  kind: "fault";
  mode: "throw" | "exit" | "uncaught";
  errorName?: string;
  message?: string;
}

export type Task =
  | SummarizeTask
  | LoadModelTask
  | UnloadModelTask
  | EncodeTask
  | DecodeTask
  | EncodeIntoTask
  | DecodeIntoTask
  | EncodeBlockTask
  | DecodeBlockTask
  | EvaluateTask
  | DriftTask
  | SummaryAddTask
  | SummaryTakeTask
  | SummaryRangeTask
  | RefineRangeTask
  | CodecRangeTask
  | CsvRangeTask
  | FaultTask;

export type TaskKind = Task["kind"];

/** The result of each task kind. */
export interface TaskResults {
  summarize: Float64Array;
  "load-model": null;
  "unload-model": null;
  encode: Table;
  decode: Table;
  "encode-into": PlacedBlock;
  "decode-into": PlacedBlock;
  "encode-block": ReusedBlock;
  "decode-block": ReusedBlock;
  evaluate: TableEvaluation;
  drift: ChunkTally[];
  "summary-add": null;
  "summary-take": TableSummary | null;
  "summary-range": { summary: TableSummary | null; histograms: Record<string, Uint32Array> };
  "refine-range": (Float64Array | null)[][];
  "codec-range": ShardEntry;
  "csv-range": CsvRangeResult;
  fault: null;
}

/** The task of one kind. */
export type TaskOf<K extends TaskKind> = Extract<Task, { kind: K }>;

/** A task and the buffers to transfer with it (they are detached in the caller). */
export interface TaskMessage<K extends TaskKind = TaskKind> {
  task: TaskOf<K>;
  transfer?: ArrayBuffer[];
}

/** Pool → worker. */
export interface Request {
  id: number;
  task: Task;
}

/** Worker → pool. */
export type Reply =
  | { id: number; ok: true; result: TaskResults[TaskKind] }
  | { id: number; ok: false; error: SerializedError };
