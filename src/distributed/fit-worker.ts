/**
 * A queue worker's fit jobs, each over a range of rows in the local run's blocks: the summary
 * (its sample left empty, with a histogram of the row hashes each mixture column would sample),
 * the sample below the thresholds the coordinator found, and a refinement pass's statistics per
 * block. See `fit-run.ts` for why the sample takes two steps. Each job's range is read and
 * computed on one thread of the worker's pool (`summary-range`, `refine-range`): reading a range
 * costs about as much as summarising it, so each thread reads its own.
 */
import { addBlockStats, type ModeRefiner } from "../encode/refine.js";
import type { MixtureColumnSpec } from "../encode/spec.js";
import { type ColumnSummary, createSummary, initialThreshold } from "../encode/summary.js";
import { reviveTableSummary, type TableSummaryOptions } from "../encode/table-summary.js";
import type { WorkerPool } from "../run/pool.js";
import type { RangeRead } from "../run/protocol.js";
import { packSamples, packSummary } from "./fit-fold.js";
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

/** The summary of `rows` read on a thread of `pool` (see the module comment). */
async function summarize(
  rows: RangeRead,
  pool: WorkerPool,
  options: TableSummaryOptions,
  hashBelow: number | undefined,
) {
  const r = await pool.run({ kind: "summary-range", ...rows, options, hashBelow });
  return {
    summary: r.summary === null ? null : reviveTableSummary(r.summary),
    histograms: r.histograms,
  };
}

/**
 * The summary job: the range's summary; when its options say threshold 0, without a sample but
 * with the hash histograms (see `fit-run.ts`).
 */
export async function summaryJob(
  job: SummaryJob,
  rows: RangeRead,
  pool: WorkerPool,
): Promise<SummaryResult> {
  const options = fromExactJson(job.options) as TableSummaryOptions;
  // A summary without its sample (threshold 0) counts the hashes the sample would take instead.
  const hashBelow =
    options.summary?.threshold === 0
      ? initialThreshold({ seed: options.seed, ...options.summary, threshold: undefined })
      : undefined;
  const s = await summarize(rows, pool, options, hashBelow);
  return { index: job.index, summary: packSummary(s) };
}

/** The sample job: the rows each named column samples below its threshold. */
export async function sampleJob(
  job: SampleJob,
  rows: RangeRead,
  pool: WorkerPool,
): Promise<SampleResult> {
  const { summary } = await summarize(
    rows,
    pool,
    {
      columns: job.samples.map((c) => c.name),
      kinds: Object.fromEntries(job.samples.map((c) => [c.name, c.kind])),
      seed: job.seed,
      summary: { sampleSize: job.sampleSize, maxDistinct: 0 },
      columnSummary: Object.fromEntries(
        job.samples.map((c) => [c.name, { threshold: c.threshold }]),
      ),
    },
    undefined,
  );
  const sums: ColumnSummary[] = job.samples.map((c) => {
    const t = summary?.columns.find((x) => x.type === "mixture" && x.summary.name === c.name);
    return t?.type === "mixture"
      ? t.summary
      : createSummary(c.name, { seed: job.seed, sampleSize: job.sampleSize, maxDistinct: 0 });
  });
  return { index: job.index, samples: packSamples(sums) };
}

/** The refine job: each block's statistics under the pass's modes, not added up. */
export async function refineJob(
  job: RefineJob,
  rows: RangeRead,
  pool: WorkerPool,
): Promise<RefineResult> {
  const specs = fromExactJson(job.specs) as MixtureColumnSpec[];
  const outs = await pool.run({ kind: "refine-range", ...rows, specs });
  const blocks = outs.map((b) => b.map((o) => (o === null ? null : Array.from(o))));
  return { index: job.index, blocks: toExactJson(blocks) };
}

/** Adds one refine result's blocks, in order, to the pass's refiners (the local run's sums). */
export function addRefineResult(refiners: ModeRefiner[], result: RefineResult): void {
  for (const block of fromExactJson(result.blocks) as (number[] | null)[][]) {
    block.forEach((out, i) => {
      if (out !== null) addBlockStats(refiners[i]!, Float64Array.from(out));
    });
  }
}
