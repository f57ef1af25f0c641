/**
 * Pool tasks over a range of rows read on the worker thread itself (a queue worker's jobs):
 * reading a range costs about as much as computing on it, so each thread reads its own. Blocks
 * are read and computed in row order, exactly as the local runs do block by block.
 */
import type { Table } from "../core/table.js";
import { modelFromJson } from "../encode/model-file.js";
import { createRefiner, refineBlock } from "../encode/refine.js";
import type { MixtureColumnSpec } from "../encode/spec.js";
import { addToHashHistogram, HASH_BUCKETS } from "../encode/summary.js";
import { findColumn, inverseTable, transformTable } from "../encode/table-codec.js";
import {
  addToTableSummary,
  createTableSummary,
  type TableSummary,
  type TableSummaryOptions,
  tableSummaryBuffers,
} from "../encode/table-summary.js";
import { csvRowBytes } from "../io/csv-bytes.js";
import { openRangeStream } from "../io/range-stream.js";
import { openShardFile } from "../io/shard-file.js";
import type {
  CodecRangeTask,
  RangeRead,
  RefineRangeTask,
  SummaryRangeTask,
  TaskResults,
} from "./protocol.js";

/**
 * Adds a block (rows from `firstRow`) to `summary`, created from the block when undefined, and
 * with `hashBelow` the row hashes each mixture column would sample below it to `h`.
 */
export function addBlock(
  summary: TableSummary | undefined,
  h: Record<string, Uint32Array> | undefined,
  options: TableSummaryOptions,
  table: Table,
  firstRow: number,
  hashBelow?: number,
): TableSummary {
  const s = summary ?? createTableSummary(table, options);
  addToTableSummary(s, table, firstRow);
  if (h !== undefined && hashBelow !== undefined) {
    for (const c of s.columns) {
      if (c.type !== "mixture") continue;
      const { name, seed } = c.summary;
      h[name] ??= new Uint32Array(HASH_BUCKETS);
      addToHashHistogram(h[name]!, findColumn(table, name), firstRow, seed, hashBelow);
    }
  }
  return s;
}

/** A block's refinement statistics under each spec's modes (null where no value takes part). */
function refineStats(specs: MixtureColumnSpec[], table: Table): (Float64Array | null)[] {
  return specs.map((spec) => {
    const r = createRefiner(spec);
    return refineBlock(r, findColumn(table, spec.name)) ? r.out : null;
  });
}

/** Calls `add` with each block of a range read here, in row order. */
async function eachBlock(
  t: RangeRead,
  add: (table: Table, firstRow: number) => void | Promise<void>,
): Promise<void> {
  const stream = await openRangeStream(t.range, t.read);
  try {
    for await (const b of stream.blocks()) await add(b.table, b.firstRow);
  } finally {
    await stream.close();
  }
}

export async function summaryRange(
  t: SummaryRangeTask,
  transfer: ArrayBuffer[],
): Promise<TaskResults["summary-range"]> {
  let summary: TableSummary | undefined;
  const h: Record<string, Uint32Array> = {};
  await eachBlock(t, (table, firstRow) => {
    summary = addBlock(summary, h, t.options, table, firstRow, t.hashBelow);
  });
  if (summary !== undefined) transfer.push(...tableSummaryBuffers(summary));
  for (const a of Object.values(h)) transfer.push(a.buffer as ArrayBuffer);
  return { summary: summary ?? null, histograms: h };
}

export async function refineRange(t: RefineRangeTask): Promise<TaskResults["refine-range"]> {
  const out: (Float64Array | null)[][] = [];
  await eachBlock(t, (table) => {
    out.push(refineStats(t.specs, table));
  });
  return out;
}

/**
 * Encodes or decodes a range into one shard file (`openShardFile`: a temporary name until it is
 * complete; removed on failure); its manifest entry.
 */
export async function codecRange(t: CodecRangeTask): Promise<TaskResults["codec-range"]> {
  const model = modelFromJson(t.model, "the job's model");
  const { dir, index, firstRow, format, compression, encoding, name } = t.output;
  const shard = await openShardFile(dir, index, firstRow, { format, compression, encoding });
  const csv = format === "csv" || format === "csv.gz";
  try {
    await eachBlock(t, async (table, first) => {
      const out =
        t.direction === "encode"
          ? transformTable(model, table, { layout: t.layout, firstRow: first })
          : inverseTable(model, table, { firstRow: first });
      await shard.write(out, csv ? csvRowBytes(out, encoding, name) : undefined);
    });
    return await shard.finish();
  } catch (err) {
    await shard.abort();
    throw err;
  }
}
