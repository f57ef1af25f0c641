/**
 * One shard file of a sharded output (see `shards.ts`): its name, its writing (a hidden
 * temporary file, flushed and renamed when complete), and the entry the manifest keeps for it.
 * Written by the run that owns the output, or by a queue worker into that run's partial
 * directory; either way the bytes are the same.
 */
import { createHash } from "node:crypto";
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Table } from "../core/table.js";
import { IoError } from "./errors.js";
import { openFileSink } from "./file-sink.js";
import type { ParquetCompression, TextEncoding } from "./options.js";

/** Formats a shard can be written in. */
export type ShardFormat = "parquet" | "csv" | "csv.gz" | "arrow";

/** One shard in a manifest. */
export interface ShardEntry {
  file: string;
  firstRow: number;
  rows: number;
  bytes: number;
  /**
   * SHA-256 of the shard's first and last 4 KiB ({@link edgeDigest}): cheap to check on every
   * read, it tells shards apart (two shards swapped, or one copied over another), though it does
   * not prove the bytes between.
   */
  edges?: string;
}

/** How shards are written. */
export interface ShardFileOptions {
  format: ShardFormat;
  /** Compression of Parquet shards (default `none`). */
  compression?: ParquetCompression;
  /** Text encoding of CSV shards (default `utf8`). */
  encoding?: TextEncoding;
}

/** A shard being written. */
export interface ShardWriter {
  /**
   * Appends a block (blocks in row order); its arrays are no longer read once this resolves.
   * `csv`: its rows already formatted (CSV shards).
   */
  write(table: Table, csv?: Uint8Array): Promise<void>;
  /** Completes the shard and moves it into place; its manifest entry. */
  finish(): Promise<ShardEntry>;
  /** Removes what was written of the shard. */
  abort(): Promise<void>;
}

const EDGE_BYTES = 4096;

/** SHA-256 (hex) of the first and last 4 KiB of a file of `size` bytes. */
export async function edgeDigest(path: string, size: number): Promise<string> {
  const fh = await open(path, "r");
  try {
    const n = Math.min(EDGE_BYTES, size);
    const head = Buffer.alloc(n);
    const tail = Buffer.alloc(n);
    await fh.read(head, 0, n, 0);
    await fh.read(tail, 0, n, size - n);
    return createHash("sha256").update(head).update(tail).digest("hex");
  } finally {
    await fh.close();
  }
}

/** The file name of shard `index`. */
export function shardName(index: number, format: ShardFormat): string {
  return `part-${String(index).padStart(6, "0")}.${format}`;
}

/** Opens shard `index` (rows `firstRow`…) of the output being written in directory `dir`. */
export async function openShardFile(
  dir: string,
  index: number,
  firstRow: number,
  options: ShardFileOptions,
): Promise<ShardWriter> {
  const file = shardName(index, options.format);
  const full = join(dir, file);
  const sink = await openFileSink(full, {
    overwrite: true,
    compression: options.compression,
    encoding: options.encoding,
  });
  return {
    write: (table, csv) => sink.write(table, csv),
    async finish() {
      const rows = await sink.finish();
      const bytes = (await stat(full)).size;
      return { file, firstRow, rows, bytes, edges: await edgeDigest(full, bytes) };
    },
    abort: () => sink.abort(),
  };
}

/**
 * Checks that a shard another process wrote into `dir` is on disk as its entry says (size and
 * edge digest).
 * @throws IoError naming the file and what differs.
 */
export async function checkShardFile(dir: string, entry: ShardEntry): Promise<void> {
  const full = join(dir, entry.file);
  const size = await stat(full).then(
    (s) => s.size,
    () => -1,
  );
  if (size !== entry.bytes) {
    throw new IoError(
      `${full}: ${size < 0 ? "is missing" : `has ${size} bytes`} where the worker wrote ${entry.bytes}; is ${dir} the same directory on every machine?`,
    );
  }
  if (entry.edges !== undefined && (await edgeDigest(full, size)) !== entry.edges) {
    throw new IoError(`${full}: its bytes differ from those the worker wrote`);
  }
}
