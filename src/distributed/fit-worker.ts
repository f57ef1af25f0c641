/**
 * A queue worker's fit jobs, each over a range of rows in the local run's blocks: the summary
 * (its sample left empty, with a histogram of the row hashes each mixture column would sample),
 * the sample below the thresholds the coordinator found, and a refinement pass's statistics per
 * block. See `fit-run.ts` for why the sample takes two steps.
 */
import { serialize } from "node:v8";
import { addBlockStats, createRefiner, refineBlock } from "../encode/refine.js";
import type { MixtureColumnSpec } from "../encode/spec.js";
import {
  addToHashHistogram,
  addToSummary,
  type ColumnSummary,
  createSummary,
  HASH_BUCKETS,
  initialThreshold,
} from "../encode/summary.js";
import { findColumn } from "../encode/table-codec.js";
import {
  addToTableSummary,
  createTableSummary,
  type TableSummary,
  type TableSummaryOptions,
} from "../encode/table-summary.js";
import type { TableStream } from "../io/stream.js";
import {
  fromExactJson,
  type RefineJob,
  type RefineResult,
  type SampleJob,
  type SampleResult,
  type SummaryJob,
  type SummaryResult,
  toExactJson,
} from "./table-protocol.js";

const base64 = (value: unknown) => serialize(value).toString("base64");

/** The summary job: see the module comment. */
export async function summaryJob(job: SummaryJob, stream: TableStream): Promise<SummaryResult> {
  const options = fromExactJson(job.options) as TableSummaryOptions;
  let s: TableSummary | null = null;
  const histograms: Record<string, Uint32Array> = {};
  for await (const b of stream.blocks()) {
    s ??= createTableSummary(b.table, {
      ...options,
      summary: { ...options.summary, threshold: 0 },
    });
    addToTableSummary(s, b.table, b.firstRow);
    for (const c of s.columns) {
      if (c.type !== "mixture") continue;
      const { name, seed } = c.summary;
      histograms[name] ??= new Uint32Array(HASH_BUCKETS);
      const below = initialThreshold({ seed: options.seed, ...options.summary });
      addToHashHistogram(histograms[name]!, findColumn(b.table, name), b.firstRow, seed, below);
    }
  }
  return { index: job.index, summary: base64({ summary: s, histograms }) };
}

/** The sample job: the rows each named column samples below its threshold. */
export async function sampleJob(job: SampleJob, stream: TableStream): Promise<SampleResult> {
  const sums: ColumnSummary[] = job.samples.map((c) =>
    createSummary(c.name, {
      seed: job.seed,
      sampleSize: job.sampleSize,
      maxDistinct: 0,
      threshold: c.threshold,
    }),
  );
  for await (const b of stream.blocks()) {
    for (const s of sums) addToSummary(s, findColumn(b.table, s.name), b.firstRow);
  }
  return { index: job.index, samples: base64(sums) };
}

/** The refine job: each block's statistics under the pass's modes, not added up. */
export async function refineJob(job: RefineJob, stream: TableStream): Promise<RefineResult> {
  const refiners = (fromExactJson(job.specs) as MixtureColumnSpec[]).map(createRefiner);
  const blocks: (number[] | null)[][] = [];
  for await (const b of stream.blocks()) {
    blocks.push(
      refiners.map((r) =>
        refineBlock(r, findColumn(b.table, r.spec.name)) ? Array.from(r.out) : null,
      ),
    );
  }
  return { index: job.index, blocks: toExactJson(blocks) };
}

/** Adds one refine result's blocks, in order, to the pass's refiners (the local run's sums). */
export function addRefineResult(
  refiners: ReturnType<typeof createRefiner>[],
  result: RefineResult,
): void {
  for (const block of fromExactJson(result.blocks) as (number[] | null)[][]) {
    block.forEach((out, i) => {
      if (out !== null) addBlockStats(refiners[i]!, Float64Array.from(out));
    });
  }
}
