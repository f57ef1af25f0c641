/**
 * Fitting a model on a whole stream in one pass: mergeable summaries built block by block on a
 * worker thread while the next block is read, the specs fitted from them, then EM refinement
 * passes over every row for columns fitted on a sample.
 *
 * The model is bit-identical for any thread count and block split: summaries depend only on the
 * rows and their global indices (see `summary.ts`), and blocks are added in row order.
 */
import { availableParallelism } from "node:os";
import type { Table } from "../core/table.js";
import { mixtureBaseline } from "../encode/baseline.js";
import { FIT_LIMIT, modesLogLikelihood } from "../encode/mixture-column.js";
import { addToRefiner, createRefiner, type ModeRefiner, refinedSpec } from "../encode/refine.js";
import type { MixtureColumnSpec, ModelSpec } from "../encode/spec.js";
import { summaryFitData, transformFitData } from "../encode/summary.js";
import { findColumn } from "../encode/table-codec.js";
import {
  addToTableSummary,
  createTableSummary,
  type FittedOn,
  fitFromTableSummary,
  type HeaviestOnly,
  reviveTableSummary,
  type TableSummary,
  type TableSummaryOptions,
} from "../encode/table-summary.js";
import { TypeWidening } from "../io/errors.js";
import type { TableStream } from "../io/stream.js";
import { quiet } from "./errors.js";
import { WorkerPool } from "./pool.js";
import { nextStreamKey, readOnPool, shareBlocks, trimShared } from "./stream-shared.js";
import { transferablesOf } from "./table-blocks.js";

/**
 * Recomputes a mixture spec's `meanLogLikelihood` and drift baseline on its column's summary data
 * (after refinement moved its modes).
 */
function relogLikelihood(s: TableSummary, spec: MixtureColumnSpec): void {
  const c = s.columns.find((t) => t.type === "mixture" && t.summary.name === spec.name);
  if (c === undefined || c.type !== "mixture") return;
  const data = summaryFitData(c.summary);
  const baseline = mixtureBaseline(spec, data.values, data.weights);
  if (baseline === null) delete spec.baseline;
  else spec.baseline = baseline;
  const { values, weights } = transformFitData(
    data,
    spec.kind,
    spec.modalValues ?? [],
    spec.offset,
    FIT_LIMIT,
  );
  spec.meanLogLikelihood =
    values.length > 0 ? modesLogLikelihood(spec.modes, values, weights) : null;
}

/**
 * Fits the model from the summary of every row, then runs `passes` (at most) refinement passes
 * for the mixture columns fitted on a sample: `refine` fills each pass's refiners over every row,
 * block by block in row order (see `refine.ts`). Columns fitted on a sample get their drift
 * baseline after refinement moved their modes. Every runner of a fit ends here.
 */
export async function fitFromSummary(
  s: TableSummary,
  options: TableSummaryOptions & { onRefinePass?: (pass: number) => void },
  passes: number,
  refine: (refiners: ModeRefiner[], pass: number) => Promise<void>,
): Promise<{ model: ModelSpec; fittedOn: FittedOn; heaviestOnly: HeaviestOnly; passes: number }> {
  const { model, fittedOn, heaviestOnly } = fitFromTableSummary(s, {
    ...options,
    mixture: { ...options.mixture, baselineOnSample: !(passes > 0) },
  });
  const sampled = model.columns.flatMap((c, j) =>
    "modes" in c && fittedOn[c.name] === "sample" ? [j] : [],
  );
  const done = sampled.length === 0 ? 0 : passes;
  for (let pass = 1; pass <= done; pass++) {
    options.onRefinePass?.(pass);
    const refiners = sampled.map((j) => createRefiner(model.columns[j] as MixtureColumnSpec));
    await refine(refiners, pass);
    sampled.forEach((j, i) => {
      model.columns[j] = refinedSpec(refiners[i]!);
    });
  }
  // The refined modes' mean log-likelihood on the data the fit saw (the summary's sample).
  if (done > 0) for (const j of sampled) relogLikelihood(s, model.columns[j] as MixtureColumnSpec);
  return { model, fittedOn, heaviestOnly, passes: done };
}

/**
 * The summary pass with the summary built on one thread of a pool (default: a thread of its own)
 * while this thread reads the next block (reading and summarising overlap). One thread, blocks in
 * row order: the same summary as on this thread. The thread keeps nothing of the pass, even when
 * it fails.
 */
export async function summarizeOnPool(
  stream: TableStream,
  options: TableSummaryOptions,
  onProgress: ((rows: number) => void) | undefined,
  given?: WorkerPool,
): Promise<TableSummary | null> {
  const pool = given ?? new WorkerPool({ size: 1 });
  const key = nextStreamKey();
  const bin = shareBlocks(stream);
  const take = async () => {
    const summary = await pool.runOn(0, { kind: "summary-take", key });
    return summary === null ? null : reviveTableSummary(summary);
  };
  try {
    const inFlight: { table: Table; done: Promise<unknown> }[] = [];
    let rows = 0;
    const settle = async (f: { table: Table; done: Promise<unknown> }) => {
      await f.done;
      bin.putTable(f.table);
      rows += f.table.rows;
      onProgress?.(rows);
    };
    try {
      for await (const b of stream.blocks()) {
        const done = quiet(
          pool.runOn(
            0,
            { kind: "summary-add", key, options, table: b.table, firstRow: b.firstRow },
            transferablesOf(b.table),
          ),
        );
        inFlight.push({ table: b.table, done });
        while (inFlight.length >= 2) await settle(inFlight.shift()!);
      }
      for (const f of inFlight.splice(0)) await settle(f);
    } catch (err) {
      await Promise.allSettled(inFlight.map((f) => f.done));
      await take().catch(() => undefined);
      throw err;
    }
    return await take();
  } finally {
    trimShared();
    if (pool !== given) await pool.close();
  }
}

/**
 * The summary options of a fit (data only: they cross to threads and queue workers), for an
 * input of `expectedRows` rows when known (Parquet metadata).
 */
export function summaryOptionsOf(
  options: FitStreamOptions,
  expectedRows: number | undefined,
): TableSummaryOptions {
  return {
    columns: options.columns,
    kinds: options.kinds,
    mixed: options.mixed,
    seed: options.seed,
    mixture: options.mixture,
    categoryOrder: options.categoryOrder,
    unseen: options.unseen,
    summary: { expectedRows, ...options.summary },
  };
}

/** CSV reader threads by default: one per core but the one the summary worker keeps. */
export function defaultReaderThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Options of {@link fitStream}. */
export interface FitStreamOptions extends TableSummaryOptions {
  /**
   * Where the summaries are built: `worker` (default; one worker thread, overlapping with reading)
   * or `main` (this thread). The same summary either way.
   */
  summarizeIn?: "worker" | "main";
  onProgress?: (rows: number) => void;
  /**
   * EM passes over every row for the mixture columns that were fitted on a sample (see
   * `refine.ts`); columns fitted on exact counts need none. Not possible on standard input (read
   * once). Default 1.
   */
  refinePasses?: number;
  /** Called when a refinement pass starts (1-based). */
  onRefinePass?: (pass: number) => void;
  /**
   * Worker threads that read CSV files (default `os.availableParallelism()` − 1, at least 1: the
   * summary has a worker of its own).
   */
  threads?: number;
  /**
   * Pools the caller started (used, and left open): `summary` of one thread for the summaries,
   * `readers` for CSV files. Started early, their threads load while the input is opened.
   */
  pools?: { summary?: WorkerPool; readers?: WorkerPool };
}

/**
 * Fits a model in one pass over `stream`: a {@link TableSummary} built block by block (kinds not
 * given are inferred from the first block), then the specs fitted from it; then, for columns
 * fitted on a sample, `refinePasses` EM passes over all rows.
 * @throws InvalidInputError as `fitTable` (an empty stream: no rows).
 */
export async function fitStream(
  stream: TableStream,
  options: FitStreamOptions = {},
): Promise<{
  model: ModelSpec;
  fittedOn: FittedOn;
  /** Columns that kept only their heaviest mode (see `HeaviestOnly`). */
  heaviestOnly: HeaviestOnly;
  refinePasses: number;
  rows: number;
  seconds: number;
}> {
  const t0 = performance.now();
  let summary: TableSummary | null = null;
  const summaryOptions = summaryOptionsOf(options, stream.totalRows ?? undefined);
  // CSV files are read on a pool of their own; the summary is built on one more worker, so by
  // default the readers leave it a core.
  const readers =
    stream.readCsvWith === undefined
      ? null
      : (options.pools?.readers ??
        new WorkerPool({ size: options.threads ?? defaultReaderThreads() }));
  if (readers !== null) readOnPool(stream, readers);
  try {
    // A column a later block widens (integers, then a decimal): the stream reads it with the
    // wider type from then on, and the summary pass starts over so that every row is read so.
    for (let widened = 0; ; widened++) {
      try {
        summary = null;
        if (options.summarizeIn === "main") {
          for await (const b of stream.blocks()) {
            summary ??= createTableSummary(b.table, summaryOptions);
            addToTableSummary(summary, b.table, b.firstRow);
            options.onProgress?.(summary.rows);
          }
        } else {
          summary = await summarizeOnPool(
            stream,
            summaryOptions,
            options.onProgress,
            options.pools?.summary,
          );
        }
        break;
      } catch (err) {
        if (!(err instanceof TypeWidening && err.restartable) || widened >= stream.schema.length)
          throw err;
      }
    }
    const s: TableSummary = summary ?? { rows: 0, columns: [] };
    // Refinement passes over every row (none on standard input: it is read once).
    const refinable = stream.files[0] === "-" ? 0 : (options.refinePasses ?? 1);
    const { model, fittedOn, heaviestOnly, passes } = await fitFromSummary(
      s,
      options,
      refinable,
      async (refiners) => {
        for await (const b of stream.blocks()) {
          for (const r of refiners) addToRefiner(r, findColumn(b.table, r.spec.name));
          options.onProgress?.(b.firstRow + b.table.rows);
          // The refiners keep no array of the block: its arrays serve the next block (they are
          // in shared memory once the summary pass has run on a worker, see `shareBlocks`).
          stream.bin?.putTable(b.table);
        }
      },
    );
    return {
      model,
      fittedOn,
      heaviestOnly,
      refinePasses: passes,
      rows: s.rows,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await stream.close();
    if (readers !== options.pools?.readers) await readers?.close();
    trimShared();
  }
}
