/**
 * `fit --redis`, seen from its coordinator: the local fit's procedure (`fitFromSummary`) with
 * its passes over the rows done by queue workers in ranges of whole blocks, so the model is the
 * local run's bytes.
 *
 * 1. Summary: each job summarises its range (value counts, rows, missing values, tallies, the
 *    rows it samples); the coordinator merges the summaries in row order. With Parquet input
 *    the rows are known beforehand, so, as locally, a row is sampled only below a starting hash
 *    threshold that keeps about 2 · sampleSize rows in all.
 * 2. Without that (CSV: a local fit keeps every row at first), the summaries sample nothing and
 *    count per bucket of the row hash the rows each mixture column would sample; then, only for
 *    columns whose distinct values overflowed the counts, the summed histogram gives the lowest
 *    bucket boundary below which at least sampleSize + 1 rows lie, and a second step returns the
 *    rows below it (about sampleSize in all, not every row). A sample is the rows of smallest
 *    hash (bottom-k), so the merged sample, pruned, is the local run's either way.
 * 3. Refinement passes: per block statistics under the pass's modes, added in block order.
 *
 * A rerun of the same command resumes from the steps Redis holds.
 */
import type { Table } from "../core/table.js";
import type { ModelSpec } from "../encode/spec.js";
import { DEFAULT_SAMPLE_SIZE, HASH_BUCKETS, initialThreshold } from "../encode/summary.js";
import {
  createTableSummary,
  type FittedOn,
  type HeaviestOnly,
  type TableSummary,
  type TableSummaryOptions,
} from "../encode/table-summary.js";
import { type FitStreamOptions, fitFromSummary, summaryOptionsOf } from "../run/stream-fit.js";
import { buildFingerprint } from "./build.js";
import { foldSamples, foldSummaries } from "./fit-fold.js";
import { addRefineResult } from "./fit-worker.js";
import type { WorkJob } from "./payload.js";
import type { RedisRunOptions } from "./run.js";
import { runId, stamps } from "./run-id.js";
import { type RefineResult, toExactJson } from "./table-protocol.js";
import { openTableRun, rangeJobs, rangeStep, type TableInput } from "./table-run.js";

/** Rows of a summary job at least (see `redisFit`). */
const SUMMARY_JOB_ROWS = 4 * 1_048_576;
/**
 * Sampled rows per summary job at most for the one-step sample (about 6 MB per column): larger
 * job results through Redis held a worker's event loop for seconds in the measurements.
 */
const ONE_STEP_SAMPLE_ROWS = 1 << 19;

/** What {@link redisFit} gives (as `fitStream`). */
export interface RedisFitResult {
  model: ModelSpec;
  fittedOn: FittedOn;
  heaviestOnly: HeaviestOnly;
  refinePasses: number;
  rows: number;
}

/**
 * The lowest hash bucket boundary with at least `k + 1` counted rows below it (so the rows below
 * hold the k of smallest hash), or `below` when there are no more than k.
 */
export function sampleThreshold(histogram: Uint32Array, k: number, below: number): number {
  let rows = 0;
  for (let b = 0; b < HASH_BUCKETS; b++) {
    rows += histogram[b]!;
    if (rows > k) return Math.min(below, (b + 1) * 2 ** 20);
  }
  return below;
}

/**
 * Fits a model on `input` on queue workers (see the module comment). `first`: the input's first
 * block, which decides the kinds the options leave open (as a local fit's first block does).
 */
export async function redisFit(
  input: TableInput,
  first: Table,
  options: FitStreamOptions,
  o: RedisRunOptions,
): Promise<RedisFitResult> {
  // As the local fit: the rows are known beforehand from Parquet metadata only.
  const summaryOptions = summaryOptionsOf(
    options,
    input.partRows?.reduce((a, b) => a + b, 0),
  );
  // Every job summarises with the kinds the whole input's first block gives.
  const kinds: NonNullable<TableSummaryOptions["kinds"]> = {};
  for (const c of createTableSummary(first, summaryOptions).columns) {
    if (c.type === "mixture") kinds[c.summary.name] = c.kind;
    else kinds[c.tally.name] = c.type;
  }
  const baseOptions: TableSummaryOptions = { ...summaryOptions, kinds };
  const parts = await stamps(input.files);
  const passes = options.refinePasses ?? 1;
  const id = runId({ kind: "fit", parts, input, baseOptions, passes, build: buildFingerprint() });
  const t = await openTableRun(id, input, parts, o);
  let ok = false;
  try {
    // Summaries of at least 4M rows: a job of fewer rows than the distinct values a summary
    // counts (2^20) would return the counts of a column that has more in all: about its rows.
    const ranges = rangeJobs(t, input.blockRows, SUMMARY_JOB_ROWS);
    // With the rows known beforehand (Parquet), a job samples, as locally, below a starting hash
    // threshold that keeps about 2 · sampleSize rows in all — in one step when that is few rows
    // per job. Otherwise (CSV: a local fit keeps every row at first; or a table not much larger
    // than the sample) the summaries sample nothing (threshold 0) and count hashes instead, and
    // a second step of smaller jobs returns the rows below the threshold those counts give.
    const sampleSize = options.summary?.sampleSize ?? DEFAULT_SAMPLE_SIZE;
    const expected = summaryOptions.summary?.expectedRows;
    const twoSteps =
      expected === undefined ||
      ((ranges[0]?.rows ?? 0) * 2 * sampleSize) / Math.max(1, expected) > ONE_STEP_SAMPLE_ROWS;
    const jobOptions: TableSummaryOptions = {
      ...baseOptions,
      ...(twoSteps ? { summary: { ...baseOptions.summary, threshold: 0 } } : {}),
    };
    // The other passes in smaller jobs: shared among workers, each returning less.
    const rest = rangeJobs(t, input.blockRows);
    const merged = await foldSummaries(
      await rangeStep(
        t.run,
        "summary",
        ranges.map((r) => ({ kind: "summary", ...r, options: toExactJson(jobOptions) }) as WorkJob),
        options.onProgress,
      ),
    );
    const s: TableSummary = merged.summary ?? { rows: 0, columns: [] };
    // Columns whose counts overflowed are fitted on a sample: the rows below each threshold.
    const seed = options.seed ?? 0;
    const below = initialThreshold({ seed, ...summaryOptions.summary });
    const sampled = s.columns.flatMap((c) =>
      twoSteps && c.type === "mixture" && c.summary.counts === null
        ? [
            {
              name: c.summary.name,
              kind: c.kind,
              threshold: sampleThreshold(merged.histograms[c.summary.name]!, sampleSize, below),
            },
          ]
        : [],
    );
    if (sampled.length > 0) {
      const samples = await foldSamples(
        await rangeStep(
          t.run,
          "sample",
          rest.map(
            (r) =>
              ({
                kind: "sample",
                ...r,
                columns: sampled.map((c) => c.name),
                types: Object.fromEntries(sampled.map((c) => [c.name, r.types[c.name]!])),
                seed,
                sampleSize,
                samples: sampled,
              }) as WorkJob,
          ),
        ),
      );
      sampled.forEach(({ name }, i) => {
        const c = s.columns.find((x) => x.type === "mixture" && x.summary.name === name)!;
        if (c.type !== "mixture") return;
        const { sampleHash, sampleValue, sampleCount, threshold } = samples[i]!;
        c.summary = { ...c.summary, sampleHash, sampleValue, sampleCount, threshold };
      });
    }
    const fit = await fitFromSummary(s, options, passes, async (refiners) => {
      const names = refiners.map((r) => r.spec.name);
      const results = await rangeStep(
        t.run,
        "refine",
        rest.map(
          (r) =>
            ({
              kind: "refine",
              ...r,
              columns: names,
              types: Object.fromEntries(names.map((n) => [n, r.types[n]!])),
              specs: toExactJson(refiners.map((x) => x.spec)),
            }) as WorkJob,
        ),
      );
      for (let i = 0; i < results.length; i++) {
        addRefineResult(refiners, (await results.at(i)) as RefineResult);
      }
    });
    ok = true;
    return {
      model: fit.model,
      fittedOn: fit.fittedOn,
      heaviestOnly: fit.heaviestOnly,
      refinePasses: fit.passes,
      rows: s.rows,
    };
  } finally {
    await t.run.close(ok);
  }
}
