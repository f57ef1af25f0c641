/**
 * A distributed fit's results, both ends: what a summary job returns (V8 serialization, value
 * counts as sorted arrays rather than half-empty hash tables), and the coordinator's folds — the
 * summaries of the ranges merged in row order (their hash histograms added), the ranges' samples
 * merged per column. The folds read the step's results one at a time after the step (the
 * children's results in Redis are the checkpoint), not in its fold job: merging 2^22-row samples
 * takes seconds, longer than a job's lock may go unrenewed.
 */
import { deserialize, serialize } from "node:v8";
import { type ColumnSummary, mergeSummaries, ValueCounts } from "../encode/summary.js";
import {
  type ColumnTally,
  mergeTableSummaries,
  reviveTableSummary,
  type TableSummary,
} from "../encode/table-summary.js";
import type { StepResults } from "./run.js";
import type { SampleResult, SummaryResult } from "./table-protocol.js";

/** A summary step's result: the whole input's summary and per-column hash histograms. */
export interface MergedSummary {
  summary: TableSummary | null;
  histograms: Record<string, Uint32Array>;
}

/** Value counts in transit: the distinct values and their counts, in value order. */
interface PackedCounts {
  values: Float64Array;
  weights: Float64Array;
}

const base64 = (value: unknown): string => serialize(value).toString("base64");
const fromBase64 = (text: string): unknown => deserialize(Buffer.from(text, "base64"));

/** A summary job's result text: its summary (counts packed) and histograms. */
export function packSummary(m: MergedSummary): string {
  const summary =
    m.summary === null
      ? null
      : {
          ...m.summary,
          columns: m.summary.columns.map((c) =>
            c.type === "mixture" && c.summary.counts !== null
              ? { ...c, summary: { ...c.summary, counts: c.summary.counts.sorted() } }
              : c,
          ),
        };
  return base64({ summary, histograms: m.histograms });
}

/** The summary of {@link packSummary} text, its value counts hash tables again. */
function unpackSummary(text: string): MergedSummary {
  const m = fromBase64(text) as MergedSummary;
  if (m.summary === null) return m;
  m.summary.columns = m.summary.columns.map((c): ColumnTally => {
    if (c.type !== "mixture" || c.summary.counts === null) return c;
    const packed = c.summary.counts as unknown as PackedCounts;
    const counts = new ValueCounts();
    for (let i = 0; i < packed.values.length; i++)
      counts.add(packed.values[i]!, packed.weights[i]!);
    return { ...c, summary: { ...c.summary, counts } };
  });
  reviveTableSummary(m.summary);
  return m;
}

/** Merges the summary jobs' results (in row order). */
export async function foldSummaries(results: StepResults): Promise<MergedSummary> {
  let merged: MergedSummary = { summary: null, histograms: {} };
  for (let i = 0; i < results.length; i++) {
    const part = unpackSummary(((await results.at(i)) as SummaryResult).summary);
    if (part.summary === null) continue;
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

/** A sample job's result text. */
export const packSamples = (sums: ColumnSummary[]): string => base64(sums);

/** Merges the sample jobs' results per column (in row order). */
export async function foldSamples(results: StepResults): Promise<ColumnSummary[]> {
  let merged: ColumnSummary[] | null = null;
  for (let i = 0; i < results.length; i++) {
    const part = fromBase64(((await results.at(i)) as SampleResult).samples) as ColumnSummary[];
    merged = merged === null ? part : merged.map((m, j) => mergeSummaries(m, part[j]!));
  }
  return merged ?? [];
}
