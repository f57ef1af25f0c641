/** The table commands: fit, transform, inverse, evaluate, inspect. */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { InvalidInputError } from "../core/errors.js";
import type { ColumnType } from "../core/table.js";
import { inspectModel } from "../encode/model-file.js";
import type { ColumnKind, ModeChoice, ModelSpec, PruneRule, UnseenPolicy } from "../encode/spec.js";
import { denseSpans, type Layout, layoutFields } from "../encode/table-codec.js";
import {
  checkOverwrite,
  DEFAULT_BLOCK_ROWS,
  openTableSink,
  openTableStream,
  type ShardFormat,
  type SinkResult,
  type TableSink,
  type TableStream,
  tableFormatOf,
} from "../io/index.js";
import type { NonNumericPolicy, ParquetCompression, TextEncoding } from "../io/options.js";
import { compareTables } from "../run/compare.js";
import {
  decodeStream,
  encodeStream,
  evaluateStream,
  fitStream,
  type StreamRunResult,
} from "../run/stream-codec.js";
import {
  checkDenseMemory,
  checkDenseWidth,
  DEFAULT_MAX_DENSE_COLUMNS,
  rowsAtMost,
} from "./dense-limit.js";
import { printInspect } from "./inspect.js";
import { checkEncodedWith, modelChecksum } from "./model-check.js";
import { checkColumnsExist, checkDatetimeColumns } from "./option-checks.js";
import { peakRssMB } from "./peer.js";
import { startProgress } from "./progress.js";
import { withRowPlace } from "./row-place.js";
import {
  aboutFile,
  aboutFileAsync,
  checkOutputPath,
  commandSeconds,
  out,
  readModel,
  typesFromModel,
  writeModel,
} from "./shared.js";
import { noteOutput } from "./signals.js";
import { outputEncoding } from "./text-encoding.js";

/** Options every reading command takes. */
export interface ReadOptions {
  encoding?: TextEncoding;
  nonNumeric?: NonNumericPolicy;
  escapeChar?: string;
}

export interface FitCommandOptions extends ReadOptions {
  output: string;
  columns?: string[];
  categorical?: string[];
  continuous?: string[];
  integer?: string[];
  log?: string[];
  minmax?: string[];
  datetime?: string[];
  mixed?: Record<string, number[]>;
  seed: number;
  maxModes?: number;
  weightThreshold?: number;
  prior?: number;
  priors?: "weak" | "sklearn";
  modeChoice?: ModeChoice;
  prune?: PruneRule;
  scale?: number;
  unseen?: UnseenPolicy;
  categoryOrder?: "frequency" | "first-seen";
  overwrite?: boolean;
  json?: boolean;
}

const FORCED_TYPE: Partial<Record<ColumnKind, ColumnType>> = {
  continuous: "float64",
  log: "float64",
  mixed: "float64",
  minmax: "float64",
  integer: "int64",
};

/** Options of the streaming commands. */
export interface StreamOptions {
  blockRows?: number;
  progress?: boolean;
  json?: boolean;
}

/** Options of the commands that write a table. */
export interface SinkOptions extends StreamOptions {
  output: string;
  threads?: number;
  format?: ShardFormat;
  shardRows?: number;
  compression?: ParquetCompression;
  overwrite?: boolean;
  resume?: boolean;
}

/**
 * Opens a command's input as a stream of blocks with the reading options every command shares;
 * `check` sees the input's column names first.
 */
function openInput(
  data: string,
  o: ReadOptions & StreamOptions,
  columns: string[] | undefined,
  types: Record<string, ColumnType>,
  check?: (names: string[]) => void,
  textColumns?: string[],
): Promise<TableStream> {
  return openTableStream(data, {
    columns,
    types,
    textColumns,
    encoding: o.encoding,
    nonNumeric: o.nonNumeric,
    escapeChar: o.escapeChar ?? null,
    blockRows: o.blockRows,
    ...(check === undefined
      ? {}
      : {
          select: (names: string[]) => {
            check(names);
            return { columns, types };
          },
        }),
  });
}

/** Whether to show progress bars (never with --json; only on a terminal, see progress.ts). */
const wantsProgress = (o: StreamOptions): boolean => o.progress !== false && !o.json;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A part's name, size and modification time: an input changed since a run is another input. */
function fileStamp(path: string): string {
  try {
    const s = statSync(path);
    return `${path}\t${s.size}\t${s.mtimeMs}`;
  } catch {
    return path; // standard input
  }
}

/** Where a command's own report goes: stderr when the table itself goes to stdout. */
function report(o: SinkOptions, line: string): void {
  if (o.output === "-") process.stderr.write(`${line}\n`);
  else out(line);
}

/** `modenorm fit`: one streaming pass of mergeable summaries, then the fit. */
export async function fitCommand(
  data: string,
  o: FitCommandOptions & StreamOptions & { refinePasses?: number },
): Promise<void> {
  checkOutputPath(o.output, o.overwrite);
  noteOutput(o.output);
  const kinds: Record<string, ColumnKind> = {};
  const lists: [ColumnKind, string[] | undefined][] = [
    ["categorical", o.categorical],
    ["continuous", o.continuous],
    ["integer", o.integer],
    ["log", o.log],
    ["minmax", o.minmax],
    ["datetime", o.datetime],
  ];
  for (const [kind, names] of lists) for (const n of names ?? []) kinds[n] = kind;
  for (const n of Object.keys(o.mixed ?? {})) kinds[n] = "mixed";
  // Columns the user declared numeric are read as numbers, so stray text is reported (or, with
  // --non-numeric null, read as missing) instead of turning the column into text.
  const types: Record<string, ColumnType> = {};
  for (const [n, k] of Object.entries(kinds)) {
    const t = FORCED_TYPE[k];
    if (t !== undefined) types[n] = t;
  }
  // Categorical columns of CSV are read as text: the categories are the file's text, exactly.
  const text = Object.keys(kinds).filter((n) => kinds[n] === "categorical");
  const stream = await aboutFileAsync(data, () =>
    openInput(data, o, o.columns, types, (names) => checkColumnsExist(o, names), text),
  );
  try {
    aboutFile(data, () => checkDatetimeColumns(o.datetime, stream.schema));
    await checkOverwrite({ output: o.output, kind: "model", inputs: stream.files });
  } catch (err) {
    await stream.close();
    throw err;
  }
  let progress = startProgress("fit", stream.totalRows, wantsProgress(o));
  let fit: Awaited<ReturnType<typeof fitStream>>;
  try {
    fit = await aboutFileAsync(data, () =>
      fitStream(stream, {
        columns: o.columns,
        kinds: Object.fromEntries(Object.entries(kinds).filter(([, k]) => k !== "mixed")),
        mixed: o.mixed,
        seed: o.seed,
        mixture: {
          maxModes: o.maxModes,
          weightThreshold: o.weightThreshold,
          weightConcentrationPrior: o.prior,
          priors: o.priors,
          modeChoice: o.modeChoice,
          prune: o.prune,
          scale: o.scale,
        },
        unseen: o.unseen,
        categoryOrder: o.categoryOrder,
        refinePasses: o.refinePasses,
        onProgress: (r) => progress.update(r),
        onRefinePass: (pass) => {
          progress.stop();
          const on = wantsProgress(o);
          progress = startProgress(`refine ${pass}`, stream.totalRows, on);
        },
      }),
    );
  } finally {
    progress.stop();
  }
  const { model } = fit;
  for (const [name, weight] of Object.entries(fit.heaviestOnly)) {
    process.stderr.write(
      `modenorm: warning: column "${name}": no mode weighs more than --weight-threshold ${o.weightThreshold ?? 0.005}; kept only the heaviest mode (weight ${weight.toPrecision(4)}). Lower --weight-threshold to keep more modes.\n`,
    );
  }
  await writeModel(o.output, model, o.overwrite);
  const seconds = commandSeconds();
  if (o.json) {
    out(
      JSON.stringify({
        model: o.output,
        rows: fit.rows,
        seconds,
        peakRssMB: peakRssMB(),
        fittedOn: fit.fittedOn,
        refinePasses: fit.refinePasses,
        ...inspectModel(model),
      }),
    );
    return;
  }
  const refined = fit.refinePasses > 0 ? ` (+${fit.refinePasses} refinement pass(es))` : "";
  out(
    `fitted ${model.columns.length} column(s) on ${fit.rows} rows in ${seconds.toFixed(1)} s${refined} → ${o.output}`,
  );
  printInspect(model);
}

export interface TransformCommandOptions extends ReadOptions, SinkOptions {
  model: string;
  layout: Layout;
  /** Widest dense layout allowed (default {@link DEFAULT_MAX_DENSE_COLUMNS}). */
  maxDenseColumns?: number;
}

/** The run identity of a sink: what must match for `--resume`. */
function runIdentity(command: string, model: ModelSpec, stream: TableStream, extra: object) {
  return {
    command,
    model: modelChecksum(model),
    // The input's identity without listing thousands of parts: count, ends, and a hash of every
    // part's name, size and modification time.
    input: {
      files: stream.files.length,
      first: stream.files[0],
      last: stream.files[stream.files.length - 1],
      sha256: sha256(stream.files.map(fileStamp).join("\n")),
    },
    inputRows: stream.totalRows,
    ...extra,
  };
}

/** Refuses an existing output before any work (a complete directory may be `--resume`d). */
function checkSinkPath(o: SinkOptions): void {
  noteOutput(o.output);
  if (o.output !== "-" && !o.resume) checkOutputPath(o.output, o.overwrite);
}

/**
 * Opens the output of a run reading `inputs` (its data files and its model), after checking that
 * what it may replace is an earlier output of modenorm and none of the inputs. `encoding` is that
 * of CSV output.
 */
async function openSink(
  o: SinkOptions,
  run: Record<string, unknown>,
  inputs: readonly string[],
  encoding?: TextEncoding,
): Promise<TableSink> {
  const kind = tableFormatOf(o.output) === null ? "directory" : "file";
  await checkOverwrite({ output: o.output, kind, inputs });
  return openTableSink(o.output, o.blockRows ?? DEFAULT_BLOCK_ROWS, {
    encoding,
    format: o.format,
    shardRows: o.shardRows,
    compression: o.compression,
    overwrite: o.overwrite,
    resume: o.resume,
    run,
  });
}

/**
 * Bad input (a malformed row, an unseen category) cannot be resumed past: drop the partial output
 * so nothing of it is mistaken for a result. A crash or a failed write (disk full) keeps it for
 * `--resume`.
 */
async function abortOnBadInput(sink: TableSink, err: unknown): Promise<void> {
  if (err instanceof InvalidInputError) await sink.abort().catch(() => undefined);
}

/**
 * Runs `work` into `sink` with a progress bar; null (and a message) when `--resume` found the
 * output complete already. Bad input drops the partial output ({@link abortOnBadInput}).
 */
async function streamIntoSink(
  label: string,
  input: string,
  o: SinkOptions,
  stream: TableStream,
  sink: TableSink,
  work: (onProgress: (rows: number) => void) => Promise<StreamRunResult>,
): Promise<StreamRunResult | null> {
  if (sink.alreadyComplete) {
    await stream.close();
    report(o, `${o.output}: already complete (nothing to resume)`);
    return null;
  }
  const progress = startProgress(label, stream.totalRows, wantsProgress(o));
  try {
    return await aboutFileAsync(input, () => work((r) => progress.update(r)));
  } catch (err) {
    await abortOnBadInput(sink, err);
    throw err;
  } finally {
    progress.stop();
  }
}

/** Prints what a sink wrote. */
function reportSink(
  o: SinkOptions,
  verb: string,
  result: SinkResult,
  run: StreamRunResult,
  extra: Record<string, unknown>,
): void {
  // The whole command, from start-up to the last byte written and renamed.
  const seconds = commandSeconds();
  const rowsPerSecond = (run.rows - run.skippedRows) / seconds;
  if (o.json) {
    report(
      o,
      JSON.stringify({
        output: result.path,
        kind: result.kind,
        rows: result.rows,
        skippedRows: run.skippedRows,
        seconds,
        rowsPerSecond,
        peakRssMB: peakRssMB(),
        shards: result.manifest?.shards.length,
        ...extra,
      }),
    );
    return;
  }
  const where =
    result.kind === "shards"
      ? `${result.path} (${result.manifest?.shards.length} shard(s) and a manifest)`
      : result.path === "-"
        ? "standard output"
        : result.path;
  const resumed = run.skippedRows > 0 ? `, ${run.skippedRows} already done before` : "";
  report(
    o,
    `${verb} ${result.rows} rows in ${seconds.toFixed(1)} s (${(rowsPerSecond / 1e6).toFixed(2)}M rows/s${resumed}) → ${where}`,
  );
}

/** `modenorm transform`: streams the input through the model on worker threads. */
export async function transformCommand(data: string, o: TransformCommandOptions): Promise<void> {
  checkSinkPath(o);
  const model = await readModel(o.model);
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
  const result = await streamIntoSink("transform", data, o, stream, sink, (onProgress) =>
    // Worker threads give the same bits as one thread: per-row randomness is keyed by the global
    // row index, never by the thread count or the block.
    withRowPlace(data, stream.files, o, () =>
      encodeStream(model, stream, sink, { layout: o.layout, threads: o.threads, onProgress }),
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

export interface InverseCommandOptions extends ReadOptions, SinkOptions {
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
  const result = await streamIntoSink("inverse", encodedPath, o, stream, sink, (onProgress) =>
    withRowPlace(encodedPath, stream.files, o, () =>
      decodeStream(model, stream, sink, { threads: o.threads, onProgress }),
    ),
  );
  if (result === null) return;
  const columns = model.columns.map((c) => ({ name: c.name, type: c.dtype }));
  reportSink(o, "decoded", await sink.finish({ columns }), result, {});
}

export interface EvaluateCommandOptions extends ReadOptions, StreamOptions {
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
      withRowPlace(data, stream.files, o, () =>
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
