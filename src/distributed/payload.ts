/**
 * Every job a worker takes, checked against its schema before the worker acts on it (a payload
 * that fails is a poisoned job: it fails once, without retries), and what the fold jobs carry.
 */
import type { TSchema } from "typebox";
import Compile from "typebox/compile";
import Value from "typebox/value";
import { type ClusterJob, type ClusterResult, EstepJob, RowsJob, ScanJob } from "./protocol.js";
import {
  CodecJob,
  CountJob,
  EvaluateJob,
  RefineJob,
  SampleJob,
  SummaryJob,
  type TableJob,
  type TableResult,
} from "./table-protocol.js";

/** A work job of any distributed command. */
export type WorkJob = ClusterJob | TableJob;
/** A work job's result. */
export type WorkResult = ClusterResult | TableResult;

/** A fold (parent) job: what to do with its children's results. */
export interface FoldJob {
  kind: WorkJob["kind"];
  run: string;
  /** Values per block's statistics (E-steps). */
  statsLength?: number;
  /** Children of the step (job ids `<step>-0` …). */
  children?: number;
}

const SCHEMAS: Record<WorkJob["kind"], TSchema> = {
  scan: ScanJob,
  rows: RowsJob,
  estep: EstepJob,
  count: CountJob,
  encode: CodecJob,
  decode: CodecJob,
  evaluate: EvaluateJob,
  summary: SummaryJob,
  sample: SampleJob,
  refine: RefineJob,
};
const CHECKS = Object.fromEntries(
  Object.entries(SCHEMAS).map(([k, s]) => [k, Compile(s)]),
) as Record<WorkJob["kind"], ReturnType<typeof Compile>>;

/** The first schema error of a payload, or null when it is valid. */
export function payloadError(payload: unknown): string | null {
  const kind = (payload as { kind?: unknown } | null)?.kind;
  if (typeof kind !== "string" || !Object.hasOwn(SCHEMAS, kind)) {
    return `unknown job kind ${JSON.stringify(kind)}`;
  }
  const k = kind as WorkJob["kind"];
  if (CHECKS[k].Check(payload)) return null;
  for (const e of Value.Errors(SCHEMAS[k], payload)) {
    return `${e.instancePath || "the payload"} ${e.message}`;
  }
  return "the payload does not match its schema";
}
