/**
 * `modenorm cluster`: a multivariate Gaussian mixture over chosen numeric columns, written as a
 * clustering model, and optionally every row's cluster and probabilities.
 */
import type { CovarianceType } from "../core/covariance.js";
import type { ColumnType } from "../core/table.js";
import {
  type ClusterModel,
  clusterModelToJson,
  meanInColumnUnits,
  standardizeRows,
} from "../encode/cluster-model.js";
import { resolveInputs } from "../io/glob.js";
import { checkOverwrite, DEFAULT_BLOCK_ROWS, type TableBlock } from "../io/index.js";
import {
  assignmentBlock,
  type ClusterOptions,
  clusterFit,
  localClusterData,
} from "../run/cluster.js";
import {
  type ClusterRows,
  type MissingPolicy,
  readClusterRows,
  tableRows,
} from "../run/cluster-rows.js";
import { WorkerPool } from "../run/pool.js";
import { printCluster } from "./cluster-print.js";
import {
  openInput,
  openSink,
  type ReadOptions,
  type SinkOptions,
  sha256,
  wantsProgress,
} from "./command-io.js";
import { checkColumnsExist, UsageError } from "./option-checks.js";
import { peakRssMB } from "./peer.js";
import { startProgress } from "./progress.js";
import { checkQueueFiles, type RedisOptions, readSpec, redisRun } from "./queue-input.js";
import { aboutFileAsync, checkOutputPath, commandSeconds, out, writeModelText } from "./shared.js";
import { noteOutput } from "./signals.js";

export interface ClusterCommandOptions
  extends ReadOptions,
    Omit<SinkOptions, "output">,
    RedisOptions {
  output: string;
  columns: string[];
  components: number;
  covariance?: CovarianceType;
  bayesian?: boolean;
  standardize?: boolean;
  missing?: MissingPolicy;
  seed?: number;
  tol?: number;
  maxIter?: number;
  assignments?: string;
}

/** `modenorm cluster`. */
export async function clusterCommand(data: string, o: ClusterCommandOptions): Promise<void> {
  checkOutputPath(o.output, o.overwrite);
  noteOutput(o.output);
  if (o.assignments !== undefined) {
    if (o.assignments === o.output)
      throw new UsageError("--assignments and -o name the same file; give each its own path.");
    noteOutput(o.assignments);
    if (o.assignments !== "-") checkOutputPath(o.assignments, o.overwrite);
  }
  await clusterWith(data, o);
}

async function clusterWith(data: string, o: ClusterCommandOptions) {
  const { files } = await aboutFileAsync(data, () => resolveInputs(data));
  await checkOverwrite({ output: o.output, kind: "model", inputs: files });
  const options: ClusterOptions = {
    columns: o.columns,
    components: o.components,
    covarianceType: o.covariance,
    bayesian: o.bayesian,
    standardize: o.standardize,
    seed: o.seed,
    tol: o.tol,
    maxIter: o.maxIter,
  };
  let rows: ClusterRows | null = null;
  let model: ClusterModel;
  if (o.redis === undefined) {
    const local = await readLocally(data, files, o);
    rows = local;
    // The E-steps' threads (the coordinator of a distributed run needs none).
    const pool = new WorkerPool({ size: o.threads });
    try {
      model = await aboutFileAsync(data, () => clusterFit(localClusterData(local, pool), options));
    } finally {
      await pool.close();
    }
  } else {
    checkQueueFiles(files);
    const spec = {
      parts: files,
      read: readSpec(o),
      columns: o.columns,
      missing: o.missing ?? "error",
    } as const;
    // BullMQ loads only for distributed runs.
    const { redisClusterData } = await import("../distributed/cluster-data.js");
    const remote = await redisClusterData(
      spec,
      { command: "cluster", ...options },
      redisRun({ ...o, redis: o.redis }),
    );
    let clean = false;
    try {
      model = await clusterFit(remote, options);
      clean = true;
    } finally {
      await remote.close(clean);
    }
  }
  const text = clusterModelToJson(model);
  await writeModelText(o.output, text, o.overwrite);
  let assigned: string | null = null;
  if (o.assignments !== undefined) {
    const checksum = sha256(text);
    const sinkOptions = { ...o, output: o.assignments };
    // Locally from the rows in memory; distributed, from the input read again block by block
    // (the same function of each row, in bounded memory).
    const blocks =
      rows === null ? streamedAssignments(data, o, model) : heldAssignments(rows, o, model);
    await writeAssignments(data, sinkOptions, checksum, blocks, files);
    assigned = o.assignments;
  }
  report(o, model, assigned);
}

/** Every part's chosen columns, read in this process. */
async function readLocally(
  data: string,
  files: string[],
  o: ClusterCommandOptions,
): Promise<ClusterRows> {
  const types: Record<string, ColumnType> = {};
  for (const c of o.columns) types[c] = "float64";
  const progress = startProgress("read", null, wantsProgress(o));
  try {
    return await aboutFileAsync(data, () =>
      readClusterRows(
        files,
        (part) =>
          aboutFileAsync(part, () =>
            openInput(part, o, o.columns, types, (names) => checkColumnsExist(o, names)),
          ),
        o.columns,
        o.missing ?? "error",
      ),
    );
  } finally {
    progress.stop();
  }
}

/** Assignment blocks of rows held in memory (already in the fitted space). */
async function* heldAssignments(
  rows: ClusterRows,
  o: ClusterCommandOptions,
  model: ClusterModel,
): AsyncGenerator<TableBlock> {
  const blockRows = o.blockRows ?? DEFAULT_BLOCK_ROWS;
  let kept = 0;
  for (let start = 0; start < rows.inputRows; start += blockRows) {
    const b = assignmentBlock(
      model,
      rows,
      kept,
      start,
      Math.min(rows.inputRows, start + blockRows),
    );
    kept += b.kept;
    yield { firstRow: start, table: b.table };
  }
}

/** Assignment blocks of the input read again, each block standardised as the model says. */
async function* streamedAssignments(
  data: string,
  o: ClusterCommandOptions,
  model: ClusterModel,
): AsyncGenerator<TableBlock> {
  const types: Record<string, ColumnType> = {};
  for (const c of o.columns) types[c] = "float64";
  const stream = await openInput(data, o, o.columns, types);
  try {
    for await (const { firstRow, table } of stream.blocks()) {
      const { X, skipped } = tableRows(table, o.columns, o.missing ?? "error", firstRow);
      standardizeRows(model.standardize, X);
      const rows = { X, inputRows: table.rows, skipped, blockStarts: new Float64Array(0) };
      yield { firstRow, table: assignmentBlock(model, rows, 0, 0, table.rows).table };
    }
  } finally {
    await stream.close();
  }
}

/** Writes every input row's cluster and probabilities, block by block, through the table sink. */
async function writeAssignments(
  data: string,
  o: SinkOptions,
  checksum: string,
  blocks: AsyncGenerator<TableBlock>,
  inputs: readonly string[],
): Promise<void> {
  const run = { command: "cluster", input: data, model: checksum };
  const sink = await openSink(o, run, inputs);
  try {
    for await (const b of blocks) if (!sink.done(b.firstRow)) await sink.write(b);
    await sink.finish();
  } catch (err) {
    await sink.abort().catch(() => undefined);
    throw err;
  }
}

function report(o: ClusterCommandOptions, m: ClusterModel, assigned: string | null): void {
  const seconds = commandSeconds();
  if (o.json) {
    out(
      JSON.stringify({
        model: o.output,
        assignments: assigned,
        rows: m.fit.rows,
        skippedRows: m.fit.skippedRows,
        seconds,
        peakRssMB: peakRssMB(),
        converged: m.fit.converged,
        iterations: m.fit.iterations,
        lowerBound: m.fit.lowerBound,
        weights: m.weights,
        means: m.weights.map((_, k) => meanInColumnUnits(m, k)),
      }),
    );
    return;
  }
  const skipped =
    m.fit.skippedRows > 0 ? ` (${m.fit.skippedRows} rows with a missing value skipped)` : "";
  out(
    `clustered ${m.fit.rows} rows${skipped} into ${m.components} ${m.covarianceType}-covariance components in ${seconds.toFixed(1)} s → ${o.output}${assigned === null ? "" : `, assignments → ${assigned}`}`,
  );
  printCluster(m);
}
