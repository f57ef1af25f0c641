/**
 * What the table commands share: their options, opening the input, and running a stream into an
 * output (its identity for --resume, the overwrite checks, progress, the report).
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { InvalidInputError } from "../core/errors.js";
import type { ColumnType } from "../core/table.js";
import type { ModelSpec } from "../encode/spec.js";
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
import type { StreamRunResult } from "../run/stream-codec.js";
import { modelChecksum } from "./model-check.js";
import { peakRssMB } from "./peer.js";
import { startProgress } from "./progress.js";
import { aboutFileAsync, checkOutputPath, commandSeconds, out } from "./shared.js";
import { noteOutput } from "./signals.js";

/** Options every reading command takes. */
export interface ReadOptions {
  encoding?: TextEncoding;
  nonNumeric?: NonNumericPolicy;
  escapeChar?: string;
}

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
export function openInput(
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
export const wantsProgress = (o: StreamOptions): boolean => o.progress !== false && !o.json;

/** SHA-256 of a text, in hex. */
export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

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
export function report(o: SinkOptions, line: string): void {
  if (o.output === "-") process.stderr.write(`${line}\n`);
  else out(line);
}

/** The run identity of a sink: what must match for `--resume`. */
export function runIdentity(command: string, model: ModelSpec, stream: TableStream, extra: object) {
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
export function checkSinkPath(o: SinkOptions): void {
  noteOutput(o.output);
  if (o.output !== "-" && !o.resume) checkOutputPath(o.output, o.overwrite);
}

/**
 * Opens the output of a run reading `inputs` (its data files and its model), after checking that
 * what it may replace is an earlier output of modenorm and none of the inputs. `encoding` is that
 * of CSV output.
 */
export async function openSink(
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
export async function abortOnBadInput(sink: TableSink, err: unknown): Promise<void> {
  if (err instanceof InvalidInputError) await sink.abort().catch(() => undefined);
}

/**
 * Runs `work` into `sink` with a progress bar; null (and a message) when `--resume` found the
 * output complete already. Bad input drops the partial output ({@link abortOnBadInput}).
 */
export async function streamIntoSink(
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
export function reportSink(
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
