/**
 * What the table commands hand to their distributed runners with `--redis`: where Redis is, and
 * the input as the workers must read it (the parts, the columns and types this process decided,
 * the reading options).
 */

import type { Table } from "../core/table.js";
import type { TableInput } from "../distributed/table-run.js";
import { DEFAULT_BLOCK_ROWS, type TableStream } from "../io/index.js";
import type { ReadOptions, StreamOptions } from "./command-io.js";
import { UsageError } from "./option-checks.js";

/** The `--redis` options. */
export interface RedisOptions {
  redis?: string;
  queue?: string;
  redisTimeout?: number;
}

/** The run options of `--redis`. */
export function redisRun(o: RedisOptions & { redis: string }) {
  return { redis: o.redis, queue: o.queue, redisTimeoutSeconds: o.redisTimeout };
}

/** How workers read the parts: the CSV options of the command line. */
export function readSpec(o: ReadOptions): TableInput["read"] {
  return {
    encoding: o.encoding ?? "utf8",
    escapeChar: o.escapeChar ?? null,
    nonNumeric: o.nonNumeric ?? "error",
  };
}

/** @throws UsageError for standard input: workers read files. */
export function checkQueueFiles(files: readonly string[]): void {
  if (files[0] === "-") {
    throw new UsageError("--redis needs files (workers read them), not standard input.");
  }
}

/**
 * The input of a distributed run from the stream this process opened (and closes: the workers
 * read it).
 * @throws UsageError for standard input (workers read files).
 */
export async function queueInput(
  stream: TableStream,
  o: ReadOptions & StreamOptions,
): Promise<TableInput> {
  await stream.close();
  checkQueueFiles(stream.files);
  return {
    files: stream.files,
    partRows: stream.partRows,
    read: readSpec(o),
    columns: stream.schema.map((c) => c.name),
    types: Object.fromEntries(stream.schema.map((c) => [c.name, c.type])),
    blockRows: o.blockRows ?? DEFAULT_BLOCK_ROWS,
  };
}

/** The stream's first block (no rows when it has none); the pass is ended. */
export async function firstBlock(stream: TableStream): Promise<Table> {
  const blocks = stream.blocks();
  try {
    const r = await blocks.next();
    if (r.done !== true) return r.value.table;
    return {
      rows: 0,
      columns: stream.schema.map((c) => ({
        name: c.name,
        type: "float64",
        values: new Float64Array(0),
        nulls: null,
      })),
    };
  } finally {
    await blocks.return(undefined);
  }
}
