/** The table commands: transform, inverse, evaluate and compare (fit is in fit-command.ts). */
import { availableParallelism, totalmem } from "node:os";
import { InvalidInputError } from "../core/errors.js";
import type { ColumnType } from "../core/table.js";
import type { ModelSpec } from "../encode/spec.js";
import { denseSpans, type Layout, layoutFields } from "../encode/table-codec.js";
import { DEFAULT_BLOCK_ROWS, openTableStream } from "../io/index.js";
import type { TextEncoding } from "../io/options.js";
import { compareTables } from "../run/compare.js";
import { WorkerPool } from "../run/pool.js";
import { decodeStream, encodeStream, evaluateStream } from "../run/stream-codec.js";
import {
  checkSinkPath,
  openInput,
  openSink,
  type ReadOptions,
  reportSink,
  runIdentity,
  type SinkOptions,
  type StreamOptions,
  streamIntoSink,
  wantsProgress,
} from "./command-io.js";
import {
  checkDenseMemory,
  checkDenseWidth,
  DEFAULT_MAX_DENSE_COLUMNS,
  rowsAtMost,
} from "./dense-limit.js";
import { checkEncodedWith } from "./model-check.js";
import { peakRssMB } from "./peer.js";
import { startProgress } from "./progress.js";
import { queueInput, type RedisOptions, redisRun } from "./queue-input.js";
import { withRowPlace } from "./row-place.js";
import { aboutFileAsync, commandSeconds, out, readModel, typesFromModel } from "./shared.js";
import { outputEncoding } from "./text-encoding.js";

export { fitCommand } from "./fit-command.js";

export interface TransformCommandOptions extends ReadOptions, SinkOptions, RedisOptions {
  model: string;
  layout: Layout;
  /** Widest dense layout allowed (default {@link DEFAULT_MAX_DENSE_COLUMNS}). */
  maxDenseColumns?: number;
}

/** `modenorm transform`: streams the input through the model on worker threads. */
export async function transformCommand(data: string, o: TransformCommandOptions): Promise<void> {
  checkSinkPath(o);
  const model = await readModel(o.model);
  // The workers start while the input is opened and planned.
  await withEarlyPool(o, (pool) => transformWith(data, o, model, pool));
}

/**
 * Runs `body` with a worker pool started now (its threads load while the command opens its input
 * and output, about 0.2 s saved per command), closed at the end; none with `--redis` (the
 * workers compute).
 */
async function withEarlyPool<T>(
  o: { threads?: number; redis?: string },
  body: (pool: WorkerPool | undefined) => Promise<T>,
): Promise<T> {
  if (o.redis !== undefined) return body(undefined);
  const pool = new WorkerPool({ size: o.threads });
  try {
    return await body(pool);
  } finally {
    await pool.close();
  }
}

/** The queue runners, loaded (with BullMQ) only for `--redis`. */
const queueRunners = () => import("../distributed/table-run.js");

async function transformWith(
  data: string,
  o: TransformCommandOptions,
  model: ModelSpec,
  pool: WorkerPool | undefined,
): Promise<void> {
  if (o.layout === "dense") {
    checkDenseWidth(o.model, model, o.maxDenseColumns ?? DEFAULT_MAX_DENSE_COLUMNS);
  }
  const fields = layoutFields(model, o.layout).map((f) => ({ name: f.name, type: f.type }));
  const seen = new Set<string>();
  const clash = fields.find((f) => seen.size === seen.add(f.name).size);
  if (clash !== undefined) {
    throw new InvalidInputError(
      `${o.model}: the ${o.layout} layout would name two encoded columns "${clash.name}" (a column's name and a category's text run together); rename that column or category in the data and refit, or use --layout compact`,
    );
  }
  const stream = await openInput(
    data,
    o,
    model.columns.map((c) => c.name),
    typesFromModel(model),
  );
  if (o.layout === "dense") {
    // Blocks are no larger than the input.
    const threads = o.threads ?? availableParallelism();
    try {
      const rows = (await rowsAtMost(stream)) ?? Number.POSITIVE_INFINITY;
      const blockRows = Math.min(o.blockRows ?? DEFAULT_BLOCK_ROWS, rows);
      checkDenseMemory(o.model, model, blockRows, threads, totalmem());
    } catch (err) {
      await stream.close();
      throw err;
    }
  }
  const run = runIdentity("transform", model, stream, { layout: o.layout });
  const sink = await openSink(o, run, [...stream.files, o.model]);
  const spans = o.layout === "dense" ? { spans: denseSpans(model) } : {};
  const result = await streamIntoSink("transform", data, o, stream, sink, async (onProgress) =>
    o.redis !== undefined
      ? (await queueRunners()).redisCodec("encode", model, await queueInput(stream, o), sink, {
          redis: redisRun({ ...o, redis: o.redis }),
          layout: o.layout,
          outputName: o.output,
          onProgress,
        })
      : // Worker threads give the same bits as one thread: per-row randomness is keyed by the
        // global row index, never by the thread count or the block.
        withRowPlace(data, stream.files, o, () =>
          encodeStream(model, stream, sink, { layout: o.layout, pool, onProgress }),
        ),
  );
  if (result === null) return;
  const written = await sink.finish({
    columns: fields,
    layout: o.layout,
    inputEncoding: o.encoding ?? "utf8",
    ...spans,
  });
  reportSink(o, "encoded", written, result, { layout: o.layout, columns: fields.length, ...spans });
}

export interface InverseCommandOptions extends ReadOptions, SinkOptions, RedisOptions {
  model: string;
  /** False with `--no-model-check`: decode input that records no model, or another one. */
  modelCheck?: boolean;
  /** Encoding of CSV output (default: the one the transform's manifest records, else utf8). */
  outputEncoding?: TextEncoding;
}

/**
 * The columns and exact types to read from an encoded table: those of the layout whose columns are
 * all there (an all-integer alpha column must not turn into int64, and residuals beyond 2^53 must
 * stay int64).
 */
function encodedSelection(model: ModelSpec, names: string[]) {
  const have = new Set(names);
  for (const layout of ["compact", "dense"] as const) {
    const fields = layoutFields(model, layout);
    if (fields.every((f) => have.has(f.name))) {
      return {
        columns: fields.map((f) => f.name),
        types: Object.fromEntries(
          fields.map((f) => [f.name, f.type === "float32" ? "float64" : f.type]),
        ) as Record<string, ColumnType>,
      };
    }
  }
  const missing = layoutFields(model, "compact")
    .filter((f) => !have.has(f.name))
    .map((f) => JSON.stringify(f.name));
  throw new InvalidInputError(
    `holds neither layout of this model: the compact layout needs ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""} (and the dense layout's columns are not all there either). Was it encoded with another model?`,
  );
}

/** `modenorm inverse`: streams an encoded table back to the original columns. */
export async function inverseCommand(encodedPath: string, o: InverseCommandOptions): Promise<void> {
  checkSinkPath(o);
  const model = await readModel(o.model);
  await withEarlyPool(o, (pool) => inverseWith(encodedPath, o, model, pool));
}

async function inverseWith(
  encodedPath: string,
  o: InverseCommandOptions,
  model: ModelSpec,
  pool: WorkerPool | undefined,
): Promise<void> {
  const stream = await aboutFileAsync(encodedPath, () =>
    openTableStream(encodedPath, {
      encoding: o.encoding,
      escapeChar: o.escapeChar ?? null,
      blockRows: o.blockRows,
      select: (names) => encodedSelection(model, names),
    }),
  );
  // After opening, so that a missing or damaged input is named first.
  if (o.modelCheck !== false) {
    await checkEncodedWith(encodedPath, model, o.model).catch(async (err) => {
      await stream.close();
      throw err;
    });
  }
  const encoding = await outputEncoding(encodedPath, o.outputEncoding);
  const sink = await openSink(
    o,
    runIdentity("inverse", model, stream, { encoding }),
    [...stream.files, o.model],
    encoding,
  );
  const result = await streamIntoSink(
    "inverse",
    encodedPath,
    o,
    stream,
    sink,
    async (onProgress) =>
      o.redis !== undefined
        ? (await queueRunners()).redisCodec("decode", model, await queueInput(stream, o), sink, {
            redis: redisRun({ ...o, redis: o.redis }),
            outputName: o.output,
            onProgress,
          })
        : withRowPlace(encodedPath, stream.files, o, () =>
            decodeStream(model, stream, sink, { pool, onProgress }),
          ),
  );
  if (result === null) return;
  const columns = model.columns.map((c) => ({ name: c.name, type: c.dtype }));
  reportSink(o, "decoded", await sink.finish({ columns }), result, {});
}

export interface EvaluateCommandOptions extends ReadOptions, StreamOptions, RedisOptions {
  model: string;
  threads?: number;
}

/** `modenorm evaluate`: encodes and decodes every row (both layouts) and compares. */
export async function evaluateCommand(data: string, o: EvaluateCommandOptions): Promise<void> {
  const model = await readModel(o.model);
  const stream = await openInput(
    data,
    o,
    model.columns.map((c) => c.name),
    typesFromModel(model),
  );
  const progress = startProgress("evaluate", stream.totalRows, wantsProgress(o));
  let result: Awaited<ReturnType<typeof evaluateStream>>;
  try {
    result = await aboutFileAsync(data, () =>
      o.redis !== undefined
        ? queueInput(stream, o).then(async (input) =>
            (await queueRunners()).redisEvaluate(
              model,
              input,
              redisRun({ ...o, redis: o.redis! }),
              (r) => progress.update(r),
            ),
          )
        : withRowPlace(data, stream.files, o, () =>
            evaluateStream(model, stream, {
              threads: o.threads,
              onProgress: (r) => progress.update(r),
            }),
          ),
    );
  } finally {
    progress.stop();
  }
  const lost = result.columns.reduce((s, c) => s + (c.rows - c.compact.exact), 0);
  if (lost > 0) process.exitCode = 1;
  if (o.json) {
    // JSON has no infinities: a mean log-likelihood of -Infinity is written as the string.
    const finiteOrText = (_: string, v: unknown) =>
      v === Number.NEGATIVE_INFINITY || v === Number.POSITIVE_INFINITY ? String(v) : v;
    out(
      JSON.stringify(
        { ...result, seconds: commandSeconds(), peakRssMB: peakRssMB() },
        finiteOrText,
      ),
    );
    return;
  }
  out(`rows ${result.rows}`);
  out(
    "column               kind         exact/rows           literals  GAN clipped  dense max rel err  mean log-lik",
  );
  for (const c of result.columns) {
    out(
      [
        c.name.padEnd(20).slice(0, 20),
        c.kind.padEnd(12),
        `${c.compact.exact}/${c.rows}`.padEnd(20),
        String(c.literals).padStart(8),
        String(c.clipped).padStart(12),
        c.dense.maxRelError.toExponential(2).padStart(18),
        c.meanLogLikelihood === null ? "" : c.meanLogLikelihood.toFixed(4).padStart(13),
      ].join(" "),
    );
  }
  for (const c of result.columns) {
    if (c.meanLogLikelihood === Number.NEGATIVE_INFINITY) {
      out(
        `${c.name}: mean log-lik is -Infinity: a value lies so far from every mode that its log-density is below the smallest double (-1.8e308)`,
      );
    }
  }
  out(
    lost === 0
      ? "every value came back bit for bit (compact layout)"
      : `${lost} value(s) did not come back exactly`,
  );
}

/** `modenorm compare`: are two tables equal value for value (bit for bit, nulls included)? */
export async function compareCommand(
  a: string,
  b: string,
  o: ReadOptions & StreamOptions & { encodingB?: TextEncoding },
): Promise<void> {
  const progress = startProgress("compare", null, wantsProgress(o));
  let r: Awaited<ReturnType<typeof compareTables>>;
  try {
    r = await compareTables(a, b, {
      blockRows: o.blockRows,
      encoding: o.encoding,
      encodingB: o.encodingB,
      escapeChar: o.escapeChar ?? null,
      onProgress: (n) => progress.update(n),
    });
  } finally {
    progress.stop();
  }
  if (r.differences > 0) process.exitCode = 1;
  if (o.json) {
    out(JSON.stringify({ ...r, seconds: commandSeconds(), peakRssMB: peakRssMB() }));
    return;
  }
  out(
    r.differences === 0
      ? `${a} and ${b}: ${r.rows} rows × ${r.columns.length} columns, every value equal bit for bit (${commandSeconds().toFixed(1)} s)`
      : `${a} and ${b}: ${r.differences} value(s) differ in ${r.rows} rows; first at row ${r.firstDifference?.row} column "${r.firstDifference?.column}": ${r.firstDifference?.a} vs ${r.firstDifference?.b}`,
  );
}
