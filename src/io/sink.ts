/**
 * Where a stream of blocks goes: standard output (CSV), one file, or a directory of shards.
 *
 * - `-`: CSV on standard output, block by block, honouring back-pressure.
 * - a path ending in `.parquet`, `.csv`, `.csv.gz`, `.arrow` or `.arrows`: one file, written block
 *   by block into a temporary file that is moved into place when complete ({@link openFileSink}),
 *   so it appears only when whole; memory: about one block.
 * - any other path: a directory of shards of `shardRows` rows with a manifest
 *   ({@link openShardedOutput}), in bounded memory, resumable.
 */
import { once } from "node:events";
import { InvalidInputError } from "../core/errors.js";
import type { Table } from "../core/table.js";
import { csvBlocks, csvHeader, encodeCsvText } from "./csv-write.js";
import { openFileSink } from "./file-sink.js";
import { tableFormatOf } from "./format.js";
import type { ParquetCompression, TextEncoding } from "./options.js";
import type { ShardFileOptions } from "./shard-file.js";
import {
  openShardedOutput,
  type ShardedOutput,
  type ShardFormat,
  type ShardManifest,
  type ShardWriter,
} from "./shards.js";
import type { TableBlock } from "./stream.js";

/** Options of {@link openTableSink}. */
export interface TableSinkOptions {
  /**
   * Shard format of a directory output (default `parquet`), or of standard output (`csv`, the
   * default, or `arrow` for an Arrow IPC stream).
   */
  format?: ShardFormat;
  /**
   * Rows per shard of a directory output; a multiple of the block size. Default
   * {@link SHARD_BLOCKS} blocks (2,097,152 rows with the default block size).
   */
  shardRows?: number;
  overwrite?: boolean;
  resume?: boolean;
  /** Parquet compression of a `.parquet` file or of Parquet shards (default `none`). */
  compression?: ParquetCompression;
  /** Text encoding of CSV output: a file, CSV shards or standard output (default `utf8`). */
  encoding?: TextEncoding;
  /** The run's identity, recorded in a directory output's manifest and compared on resume. */
  run?: Record<string, unknown>;
}

/**
 * Default blocks per shard: 2, so the default shard size follows the block size (memory: about
 * three shards of output at once).
 */
export const SHARD_BLOCKS = 2;
/** The key of a Parquet output's footer metadata that holds the run's identity (JSON). */
export const RUN_METADATA_KEY = "modenorm.run";

/** Default rows per shard with the default block size of 2^20 rows. */
export const DEFAULT_SHARD_ROWS = SHARD_BLOCKS * 1_048_576;

/** What a sink wrote. */
export interface SinkResult {
  kind: "stdout" | "file" | "shards";
  path: string;
  rows: number;
  /** Directory outputs: the manifest. */
  manifest?: ShardManifest;
}

/** A destination of blocks, written in row order. */
export interface TableSink {
  /**
   * Present when the sink writes CSV: a block may carry its rows formatted in this encoding
   * (`TableBlock.csv`, by `csvRowBytes`, whose Latin-1 errors name `name`).
   */
  csv?: { encoding: TextEncoding; name: string };
  /** True when `--resume` found the whole output complete already. */
  alreadyComplete: boolean;
  /**
   * A directory output: its shards, for shards written elsewhere (queue workers) and recorded
   * with `output.recordShard`; `finish` then writes the manifest as for blocks written here.
   */
  sharded?: { output: ShardedOutput; shardRows: number; file: ShardFileOptions };
  /** True when an interrupted run already wrote the rows of this block (skip it). */
  done(firstRow: number): boolean;
  /**
   * Writes a block (blocks come in row order; skipped ones are not passed). `release`, when
   * given, is called once the sink no longer reads the block's arrays (which may be later than
   * the returned promise: a directory output writes a shard while the next one fills), so that
   * the caller may reuse them; a sink that keeps them to the end never calls it.
   */
  write(block: TableBlock, release?: () => void): Promise<void>;
  /** Completes the output (for directories: the manifest, then the rename). */
  finish(info?: Record<string, unknown>): Promise<SinkResult>;
  /**
   * Drops what was written (directories: the partial directory), for a run that failed on bad
   * input; a crash or a failed write leaves the partial output for `--resume` instead.
   */
  abort(): Promise<void>;
}

/** An Arrow IPC stream on standard output, one record batch per block. */
function stdoutArrowSink(): TableSink {
  let rows = 0;
  let writer: { write(t: Table): Promise<void>; finish(): Promise<void> } | null = null;
  return {
    alreadyComplete: false,
    done: () => false,
    async write(block) {
      writer ??= (await import("./arrow-sink.js")).openStdoutArrowWriter();
      await writer.write(block.table);
      rows += block.table.rows;
    },
    async finish() {
      await writer?.finish();
      return { kind: "stdout", path: "-", rows };
    },
    abort: async () => undefined,
  };
}

function stdoutSink(encoding: TextEncoding): TableSink {
  let rows = 0;
  let first = true;
  const put = async (bytes: string | Uint8Array) => {
    if (!process.stdout.write(bytes)) await once(process.stdout, "drain");
  };
  return {
    csv: { encoding, name: "-" },
    alreadyComplete: false,
    done: () => false,
    async write(block, release) {
      // The header line comes with the first block only.
      if (block.csv !== undefined) {
        if (first) await put(encodeCsvText(csvHeader(block.table), encoding, "-"));
        // Until written: the caller reuses the bytes.
        await new Promise<void>((resolve, reject) => {
          process.stdout.write(block.csv!, (err) => (err ? reject(err) : resolve()));
        });
      } else {
        for (const text of csvBlocks(block.table, first)) {
          await put(encodeCsvText(text, encoding, "-"));
        }
      }
      first = false;
      rows += block.table.rows;
      release?.();
    },
    async finish() {
      return { kind: "stdout", path: "-", rows };
    },
    abort: async () => undefined,
  };
}

/** `TableSink.csv` of an output of `format`: present for CSV. */
export function csvOutput(
  format: string | null,
  encoding: TextEncoding | undefined,
  name: string,
): TableSink["csv"] {
  return format === "csv" || format === "csv.gz"
    ? { encoding: encoding ?? "utf8", name }
    : undefined;
}

/**
 * Opens the sink `path` names (see the module comment).
 * @throws IoError an output that exists (without `overwrite`) or an interrupted run's directory
 *   (without `resume` or `overwrite`).
 * @throws InvalidInputError a `shardRows` that is not a positive integer.
 */
export async function openTableSink(
  path: string,
  blockRows: number,
  options: TableSinkOptions = {},
): Promise<TableSink> {
  if (path === "-") {
    if (options.format === "arrow") return stdoutArrowSink();
    if (options.format !== undefined && options.format !== "csv") {
      throw new InvalidInputError(
        `-: standard output can carry CSV or an Arrow IPC stream (--format csv or arrow), not ${options.format}`,
      );
    }
    return stdoutSink(options.encoding ?? "utf8");
  }
  if (tableFormatOf(path) !== null) {
    const file = await openFileSink(path, {
      overwrite: options.overwrite,
      compression: options.compression,
      encoding: options.encoding,
      // A Parquet file records the run (its model's checksum) as a manifest does for a directory.
      metadata:
        options.run === undefined ? {} : { [RUN_METADATA_KEY]: JSON.stringify(options.run) },
    });
    return {
      csv: csvOutput(tableFormatOf(path), options.encoding, path),
      alreadyComplete: false,
      done: () => false,
      async write(block, release) {
        await file.write(block.table, block.csv);
        release?.();
      },
      async finish() {
        return { kind: "file", path, rows: await file.finish() };
      },
      abort: () => file.abort(),
    };
  }
  const shardRows = options.shardRows ?? SHARD_BLOCKS * blockRows;
  if (!Number.isInteger(shardRows) || shardRows < blockRows || shardRows % blockRows !== 0) {
    throw new InvalidInputError(
      `${path}: shard rows must be a positive multiple of the block size ${blockRows}; got ${shardRows}`,
    );
  }
  const out = await openShardedOutput(path, {
    format: options.format ?? "parquet",
    overwrite: options.overwrite,
    resume: options.resume,
    compression: options.compression,
    encoding: options.encoding,
    run: { ...options.run, blockRows, shardRows, compression: options.compression ?? "none" },
  });
  let shard: { writer: ShardWriter; rows: number } | null = null;
  let columns: { name: string; type: string }[] = [];
  // Blocks go into the shard as they come; a full shard is completed (flushed, moved into place,
  // recorded) while the next one fills.
  let closing: Promise<unknown> = Promise.resolve();
  const close = async () => {
    if (shard === null) return;
    const { writer } = shard;
    shard = null;
    await closing;
    closing = writer.finish();
    closing.catch(() => undefined); // surfaces at the next close or at finish
  };
  return {
    csv: csvOutput(options.format ?? "parquet", options.encoding, path),
    alreadyComplete: out.alreadyComplete,
    sharded: {
      output: out,
      shardRows,
      file: {
        format: options.format ?? "parquet",
        compression: options.compression,
        encoding: options.encoding,
      },
    },
    done: (firstRow) => out.done.has(Math.floor(firstRow / shardRows)),
    async write(block, release) {
      columns = block.table.columns.map((c) => ({ name: c.name, type: c.type }));
      if (block.table.rows === 0) return release?.();
      shard ??= {
        writer: await out.openShard(Math.floor(block.firstRow / shardRows), block.firstRow),
        rows: 0,
      };
      await shard.writer.write(block.table, block.csv);
      release?.();
      shard.rows += block.table.rows;
      if (shard.rows >= shardRows) await close();
    },
    async finish(info = {}) {
      await close();
      await closing;
      const manifest = await out.finish({ columns, ...info });
      return { kind: "shards", path, rows: manifest.rows, manifest };
    },
    async abort() {
      await closing.catch(() => undefined);
      await shard?.writer.abort();
      await out.discard();
    },
  };
}
