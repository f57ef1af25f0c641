/**
 * Table commands on queue workers, seen from their coordinator: transform and inverse write one
 * shard per job into the output's partial directory (the local run's temporary name, rename and
 * manifest rules: the coordinator records each shard and writes the manifest), and evaluate
 * merges per-block evaluations in row order. Jobs name global row ranges cut at the local run's
 * block and shard boundaries, so every shard, and the evaluation, is the local run's.
 *
 * Row ranges need each part's rows: from Parquet metadata, else counted by a first step (one job
 * per part).
 */
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { InvalidInputError } from "../core/errors.js";
import type { ColumnType } from "../core/table.js";
import { mergeEvaluations, type TableEvaluation } from "../encode/evaluate.js";
import { modelToJson } from "../encode/model-file.js";
import type { ModelSpec } from "../encode/spec.js";
import type { Layout } from "../encode/table-codec.js";
import { QUEUE_RUN_NAME } from "../io/shards.js";
import type { TableSink } from "../io/sink.js";
import type { StreamRunResult } from "../run/stream-codec.js";
import { buildFingerprint } from "./build.js";
import type { WorkJob, WorkResult } from "./payload.js";
import type { ReadSpec } from "./protocol.js";
import { RedisRun, type RedisRunOptions, type StepResults } from "./run.js";
import { runId, stamps } from "./run-id.js";
import {
  type CodecResult,
  type CountResult,
  type EvaluateResult,
  type FileStamp,
  fromExactJson,
} from "./table-protocol.js";

/** The input of a distributed table command, as the coordinator opened it. */
export interface TableInput {
  /** The parts, in input order (a stream's `files`). */
  files: string[];
  /** Rows of each part when known (Parquet metadata); else they are counted by the workers. */
  partRows?: number[];
  read: ReadSpec;
  columns: string[];
  types: Record<string, ColumnType>;
  blockRows: number;
}

/**
 * Rows per job of a pass over every row, in whole blocks: about a 64th of the input, so that
 * workers share it and each job's result stays small (a fit's sample: about 2^22 rows in all),
 * but at least `least` rows.
 */
export function rangeJobRows(total: number, blockRows: number, least = 0): number {
  const blocks = Math.round(Math.max(total / 64, least) / blockRows);
  return Math.max(1, blocks) * blockRows;
}

/** Every result of a step, in job order (for steps whose results are small). */
export async function allResults<R extends WorkResult>(r: StepResults): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < r.length; i++) out.push((await r.at(i)) as R);
  return out;
}

/**
 * Runs `jobs` (range jobs) as the run's next step; `onRows` is told `from` plus the rows of the
 * jobs completed so far (a job of an earlier attempt of the step counts none). No jobs: no step.
 */
export async function rangeStep(
  run: RedisRun,
  kind: WorkJob["kind"],
  jobs: WorkJob[],
  onRows?: (rows: number) => void,
  from = 0,
): Promise<StepResults> {
  if (jobs.length === 0) return { length: 0, at: () => Promise.reject(new Error("no jobs")) };
  let done = from;
  return (await run.next(kind, jobs, {}, (i) => {
    done += (jobs[i] as { rows?: number } | undefined)?.rows ?? 0;
    onRows?.(done);
  })) as StepResults;
}

/** An open table run: the parts as seen now, and where each starts. */
export interface TableRun {
  run: RedisRun;
  stamps: FileStamp[];
  /** starts[p]: global index of part p's first row; starts[parts]: all rows. */
  starts: number[];
  common(index: number): Omit<Extract<WorkJob, { kind: "count" }>, "kind" | "file">;
}

/** Opens run `id` over `input`'s parts and finds their rows. */
export async function openTableRun(
  id: string,
  input: TableInput,
  parts: FileStamp[],
  o: RedisRunOptions,
): Promise<TableRun> {
  const build = buildFingerprint();
  const common = (index: number) => ({
    run: id,
    build,
    index,
    read: input.read,
    columns: input.columns,
    types: input.types,
  });
  // No fold: every step's results are read by this process, outside any job's lock.
  const run = await RedisRun.open(id, o, null);
  try {
    let rows = input.partRows;
    if (rows === undefined) {
      const counts = await allResults<CountResult>(
        (await run.next(
          "count",
          parts.map((file, i) => ({ kind: "count", ...common(i), file })),
        )) as StepResults,
      );
      rows = [];
      for (const c of counts) rows[c.index] = c.rows;
    }
    const starts = [0];
    for (const r of rows) starts.push(starts[starts.length - 1]! + r);
    return { run, stamps: parts, starts, common };
  } catch (err) {
    await run.close(false);
    throw err;
  }
}

/**
 * The fields of jobs over every row in runs of whole blocks (see {@link rangeJobRows}), and
 * `common`'s fields, by job index.
 */
export function rangeJobs(t: TableRun, blockRows: number, least = 0) {
  const total = t.starts[t.starts.length - 1]!;
  const step = rangeJobRows(total, blockRows, least);
  const jobs = [];
  for (let first = 0, i = 0; first < total; first += step, i++) {
    jobs.push({
      ...t.common(i),
      ...rangeFields(t, first, Math.min(step, total - first), blockRows),
    });
  }
  return jobs;
}

/** The parts holding global rows [first, first + rows), and the rows of the first before them. */
function rangeFields(t: TableRun, first: number, rows: number, blockRows: number) {
  let p = 0;
  while (p < t.stamps.length - 1 && t.starts[p + 1]! <= first) p++;
  let q = p;
  while (q < t.stamps.length - 1 && t.starts[q + 1]! < first + rows) q++;
  return {
    files: t.stamps.slice(p, q + 1),
    skip: first - t.starts[p]!,
    rows,
    firstRow: first,
    blockRows,
  };
}

/** Options of {@link redisCodec}. */
export interface RedisCodecOptions {
  redis: RedisRunOptions;
  layout?: Layout;
  /** The output's name, for messages. */
  outputName: string;
  /** Called with the rows done so far (shards already done included) as shards complete. */
  onProgress?: (rows: number) => void;
}

/**
 * The id of the run writing an output: kept in its partial directory, so that `--resume` finds
 * the same jobs in Redis, and new for a new output (so no earlier run's results are taken).
 */
async function outputRunId(partial: string, key: unknown): Promise<string> {
  const file = join(partial, QUEUE_RUN_NAME);
  const kept = await readFile(file, "utf8").then(
    (t) => t.trim(),
    () => "",
  );
  if (/^[0-9a-f]{16}$/.test(kept)) return kept;
  const id = runId({ key, nonce: randomBytes(16).toString("hex") });
  await writeFile(file, `${id}\n`);
  return id;
}

/**
 * Encodes (or decodes) `input` into `sink`, a directory output, on queue workers: one job per
 * shard not already done (see the module comment). The caller finishes the sink.
 * @throws InvalidInputError when `sink` is not a directory output, or naming the shard and the
 *   reason when a job failed on bad data.
 */
export async function redisCodec(
  kind: "encode" | "decode",
  model: ModelSpec,
  input: TableInput,
  sink: TableSink,
  o: RedisCodecOptions,
): Promise<StreamRunResult> {
  const t0 = performance.now();
  const sharded = sink.sharded;
  if (sharded === undefined) {
    throw new InvalidInputError(
      `${o.outputName}: with --redis the output is a directory of shards (workers write one shard each); give a directory name`,
    );
  }
  const { output, shardRows, file } = sharded;
  const partial = resolve(output.partialPath);
  const parts = await stamps(input.files);
  const id = await outputRunId(partial, { kind, parts, input, layout: o.layout });
  const t = await openTableRun(id, input, parts, o.redis);
  let ok = false;
  try {
    const total = t.starts[t.starts.length - 1]!;
    const modelText = modelToJson(model);
    const jobs: WorkJob[] = [];
    let skippedRows = 0;
    for (let i = 0; i * shardRows < total; i++) {
      const rows = Math.min(shardRows, total - i * shardRows);
      if (output.done.has(i)) {
        skippedRows += rows;
        continue;
      }
      jobs.push({
        kind,
        ...t.common(i),
        ...rangeFields(t, i * shardRows, rows, input.blockRows),
        model: modelText,
        layout: o.layout ?? "compact",
        output: {
          dir: partial,
          name: o.outputName,
          format: file.format,
          compression: file.compression ?? "none",
          encoding: file.encoding ?? "utf8",
        },
      });
    }
    o.onProgress?.(skippedRows);
    const entries = await allResults<CodecResult>(
      await rangeStep(t.run, kind, jobs, o.onProgress, skippedRows),
    );
    for (const { index, ...entry } of entries) {
      if (!output.done.has(index)) await output.recordShard(index, entry);
    }
    o.onProgress?.(total);
    // Every shard is recorded: the output is finished as a local run's is, without this file.
    await rm(join(partial, QUEUE_RUN_NAME), { force: true });
    ok = true;
    return { rows: total, skippedRows, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await t.run.close(ok);
  }
}

/**
 * Evaluates the round trip of every row of `input` on queue workers, merging the blocks'
 * evaluations in row order as a local run does. A rerun of the same command resumes.
 */
export async function redisEvaluate(
  model: ModelSpec,
  input: TableInput,
  o: RedisRunOptions,
  onProgress?: (rows: number) => void,
): Promise<TableEvaluation & { seconds: number }> {
  const t0 = performance.now();
  const parts = await stamps(input.files);
  const modelText = modelToJson(model);
  const id = runId({ kind: "evaluate", parts, input, modelText, build: buildFingerprint() });
  const t = await openTableRun(id, input, parts, o);
  let ok = false;
  try {
    const jobs: WorkJob[] = rangeJobs(t, input.blockRows).map((j) => ({
      kind: "evaluate",
      ...j,
      model: modelText,
    }));
    const results = await rangeStep(t.run, "evaluate", jobs, onProgress);
    let merged: TableEvaluation | null = null;
    for (let i = 0; i < results.length; i++) {
      const r = (await results.at(i)) as EvaluateResult;
      for (const e of fromExactJson(r.blocks) as TableEvaluation[]) {
        merged = merged === null ? e : mergeEvaluations(merged, e);
      }
    }
    ok = true;
    return { ...(merged ?? { rows: 0, columns: [] }), seconds: (performance.now() - t0) / 1000 };
  } finally {
    await t.run.close(ok);
  }
}
