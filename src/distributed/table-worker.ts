/**
 * A queue worker's table jobs: count a part's rows; encode or decode a range of rows into one
 * shard of an output being written; evaluate a range's round trip. Each reads only files inside
 * the data root, as the coordinator saw them. A shard, like a fit's passes, is read, computed and
 * written by one thread of the worker's pool (`codec-range`: block by block, the local runner's
 * blocks and writes), so a shard's bytes are the local run's; an evaluation runs the local stream
 * runner on the pool.
 */
import type { TableEvaluation } from "../encode/evaluate.js";
import { modelFromJson } from "../encode/model-file.js";
import { openRangeStream } from "../io/range-stream.js";
import { openTableStream, type TableStreamOptions } from "../io/stream.js";
import type { WorkerPool } from "../run/pool.js";
import type { RangeRead } from "../run/protocol.js";
import { evaluateStream } from "../run/stream-codec.js";
import { readOnPool } from "../run/stream-shared.js";
import { checkedPart, insideRoot } from "./data-root.js";
import { refineJob, sampleJob, summaryJob } from "./fit-worker.js";
import {
  type CodecJob,
  type CodecResult,
  type CountJob,
  type CountResult,
  type EvaluateJob,
  type EvaluateResult,
  type TableJob,
  type TableResult,
  toExactJson,
} from "./table-protocol.js";

/** How a job's parts are read. */
function readOptions(job: TableJob): TableStreamOptions {
  return {
    columns: job.columns,
    types: job.types,
    encoding: job.read.encoding,
    escapeChar: job.read.escapeChar,
    nonNumeric: job.read.nonNumeric,
  };
}

/** The rows of a range job and how to read them, from parts checked against the data root. */
async function rangeReadOf(root: string, job: Exclude<TableJob, CountJob>): Promise<RangeRead> {
  const files: string[] = [];
  for (const f of job.files) files.push(await checkedPart(root, f));
  return {
    range: { files, skip: job.skip, rows: job.rows, firstRow: job.firstRow },
    read: { ...readOptions(job), blockRows: job.blockRows },
  };
}

/** The rows of a range job, from parts checked against the data root. */
async function rangeOf(root: string, job: Exclude<TableJob, CountJob>) {
  const { range, read } = await rangeReadOf(root, job);
  return openRangeStream(range, read);
}

/** Runs table jobs for a worker whose files lie in `root`, computing on `pool`. */
export function tableJobRunner(
  root: string,
  pool: WorkerPool,
): (job: TableJob) => Promise<TableResult> {
  async function count(job: CountJob): Promise<CountResult> {
    const stream = await openTableStream(await checkedPart(root, job.file), readOptions(job));
    try {
      if (stream.totalRows !== null) return { index: job.index, rows: stream.totalRows };
      readOnPool(stream, pool);
      let rows = 0;
      for await (const b of stream.blocks()) rows += b.table.rows;
      return { index: job.index, rows };
    } finally {
      await stream.close();
    }
  }

  async function codec(job: CodecJob): Promise<CodecResult> {
    const dir = await insideRoot(root, job.output.dir);
    const entry = await pool.run({
      kind: "codec-range",
      ...(await rangeReadOf(root, job)),
      direction: job.kind,
      model: job.model,
      layout: job.layout,
      output: { ...job.output, dir, index: job.index, firstRow: job.firstRow },
    });
    return { index: job.index, ...entry };
  }

  async function evaluate(job: EvaluateJob): Promise<EvaluateResult> {
    const model = modelFromJson(job.model, "the job's model");
    const blocks: TableEvaluation[] = [];
    await evaluateStream(model, await rangeOf(root, job), { pool, onBlock: (e) => blocks.push(e) });
    return { index: job.index, blocks: toExactJson(blocks) };
  }

  return (job) => {
    switch (job.kind) {
      case "count":
        return count(job);
      case "encode":
      case "decode":
        return codec(job);
      case "evaluate":
        return evaluate(job);
      case "summary":
        return rangeReadOf(root, job).then((rows) => summaryJob(job, rows, pool));
      case "sample":
        return rangeReadOf(root, job).then((rows) => sampleJob(job, rows, pool));
      case "refine":
        return rangeReadOf(root, job).then((rows) => refineJob(job, rows, pool));
    }
  };
}
