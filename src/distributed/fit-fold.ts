/**
 * The coordinator's folds of a distributed fit's steps: the summaries of the ranges merged in
 * row order (and their hash histograms added), and the ranges' samples merged per column. What
 * they return is the step's result kept in Redis (the run's checkpoint), as V8 serializations.
 */
import { deserialize, serialize } from "node:v8";
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
const toBase64 = (value: unknown): string => serialize(value).toString("base64");

/** Merges the summary jobs' results (in row order); base64 of a {@link MergedSummary}. */
export function foldSummaries(results: SummaryResult[]): string {
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
  return toBase64(merged);
}

/** The {@link MergedSummary} of {@link foldSummaries} text. */
export function mergedSummary(text: string): MergedSummary {
  const m = fromBase64(text) as MergedSummary;
  if (m.summary !== null) reviveTableSummary(m.summary);
  return m;
}

/** Merges the sample jobs' results per column (in row order); base64 of `ColumnSummary[]`. */
export function foldSamples(results: SampleResult[]): string {
  let merged: ColumnSummary[] | null = null;
  for (const r of results) {
    const part = fromBase64(r.samples) as ColumnSummary[];
    merged = merged === null ? part : merged.map((m, i) => mergeSummaries(m, part[i]!));
  }
  return toBase64(merged ?? []);
}

/** The merged samples of {@link foldSamples} text. */
export function mergedSamples(text: string): ColumnSummary[] {
  return fromBase64(text) as ColumnSummary[];
}
