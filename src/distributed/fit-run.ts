/**
 * `fit --redis`, seen from its coordinator: the local fit's procedure (`fitFromSummary`) with
 * its passes over the rows done by queue workers in ranges of whole blocks, so the model is the
 * local run's bytes.
 *
 * 1. Summary: each job summarises its range (value counts, rows, missing values, tallies) and,
 *    instead of a sample, counts per bucket of the row hash the rows each mixture column would
 *    sample. The fold merges the summaries in row order and adds the histograms up.
 * 2. Sample, only for mixture columns whose distinct values overflowed the counts: the summed
 *    histogram gives the lowest bucket boundary below which at least sampleSize + 1 rows lie;
 *    the jobs return the rows below it (about sampleSize in all, not every row), which the fold
 *    merges. A sample is the rows of smallest hash (bottom-k), so the merged sample, pruned, is
 *    the local run's. Summaries of whole ranges would carry up to 2 · sampleSize rows each.
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
import { mergedSamples, mergedSummary } from "./fit-fold.js";
import { addRefineResult } from "./fit-worker.js";
import type { WorkJob } from "./payload.js";
import type { RedisRunOptions } from "./run.js";
import { type RefineResult, toExactJson } from "./table-protocol.js";
import { hash, openTableRun, rangeJobs, stamps, type TableInput } from "./table-run.js";

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
  const jobOptions: TableSummaryOptions = { ...summaryOptions, kinds };
  const parts = await stamps(input.files);
  const passes = options.refinePasses ?? 1;
  const id = hash({ kind: "fit", parts, input, jobOptions, passes, build: buildFingerprint() });
  const t = await openTableRun(id, input, parts, o);
  let ok = false;
  try {
    const ranges = rangeJobs(t, input.blockRows);
    let done = 0;
    const merged = mergedSummary(
      (await t.run.next(
        "summary",
        ranges.map((r) => ({ kind: "summary", ...r, options: toExactJson(jobOptions) }) as WorkJob),
        {},
        (i) => {
          done += ranges[i]!.rows;
          options.onProgress?.(done);
        },
      )) as string,
    );
    const s: TableSummary = merged.summary ?? { rows: 0, columns: [] };
    // Columns whose counts overflowed are fitted on a sample: the rows below each threshold.
    const seed = options.seed ?? 0;
    const sampleSize = options.summary?.sampleSize ?? DEFAULT_SAMPLE_SIZE;
    const below = initialThreshold({ seed, ...summaryOptions.summary });
    const sampled = s.columns.flatMap((c) =>
      c.type === "mixture" && c.summary.counts === null
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
      const samples = mergedSamples(
        (await t.run.next(
          "sample",
          ranges.map(
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
        )) as string,
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
      const results = (await t.run.next(
        "refine",
        ranges.map(
          (r) =>
            ({
              kind: "refine",
              ...r,
              columns: names,
              types: Object.fromEntries(names.map((n) => [n, r.types[n]!])),
              specs: toExactJson(refiners.map((x) => x.spec)),
            }) as WorkJob,
        ),
      )) as RefineResult[];
      for (const r of results) addRefineResult(refiners, r);
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
