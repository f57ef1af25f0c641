/**
 * The coordinator's folds of a distributed fit's steps: the summaries of the ranges merged in
 * row order (and their hash histograms added), and the ranges' samples merged per column. They
 * run after the step (its children's results in Redis are the checkpoint), not in the fold job:
 * merging 2^22-row samples takes seconds, longer than a job's lock may go unrenewed.
 */
import { deserialize } from "node:v8";
import { type ColumnSummary, mergeSummaries } from "../encode/summary.js";
import {
  mergeTableSummaries,
  reviveTableSummary,
  type TableSummary,
} from "../encode/table-summary.js";
import type { SampleResult, SummaryResult } from "./table-protocol.js";

/** A summary step's result: the whole input's summary and per-column hash histograms. */
export interface MergedSummary {
  summary: TableSummary | null;
  histograms: Record<string, Uint32Array>;
}

const fromBase64 = (text: string): unknown => deserialize(Buffer.from(text, "base64"));

/** Merges the summary jobs' results (in row order). */
export function foldSummaries(results: SummaryResult[]): MergedSummary {
  let merged: MergedSummary = { summary: null, histograms: {} };
  for (const r of results) {
    const part = fromBase64(r.summary) as MergedSummary;
    if (part.summary === null) continue;
    reviveTableSummary(part.summary);
    for (const [name, h] of Object.entries(part.histograms)) {
      const into = merged.histograms[name];
      if (into === undefined) merged.histograms[name] = h;
      else for (let b = 0; b < h.length; b++) into[b]! += h[b]!;
    }
    merged = {
      summary:
        merged.summary === null ? part.summary : mergeTableSummaries(merged.summary, part.summary),
      histograms: merged.histograms,
    };
  }
  return merged;
}

/** Merges the sample jobs' results per column (in row order). */
export function foldSamples(results: SampleResult[]): ColumnSummary[] {
  let merged: ColumnSummary[] | null = null;
  for (const r of results) {
    const part = fromBase64(r.samples) as ColumnSummary[];
    merged = merged === null ? part : merged.map((m, i) => mergeSummaries(m, part[i]!));
  }
  return merged ?? [];
}
