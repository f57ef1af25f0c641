/**
 * Writing a `Table` as Parquet: uncompressed tables of fixed-width columns by `parquet-fixed.ts`,
 * everything else through DuckDB (`parquet-write-duckdb.ts`, loaded only then).
 *
 * Type mapping: float64 → DOUBLE, float32 → FLOAT, int64 → BIGINT, int32 → INTEGER, bool →
 * BOOLEAN, string → VARCHAR, timestamp ms/us/ns → TIMESTAMP_MS / TIMESTAMP / TIMESTAMP_NS
 * (Parquet TIMESTAMP(MILLIS|MICROS|NANOS), not adjusted to UTC: values are UTC by convention).
 * Parquet has no seconds unit: a timestamp `s` column is written as microseconds and its unit is
 * recorded in the key-value metadata `modenorm.timestamp_units`, which `readTable` honours.
 */

import { InvalidInputError } from "../core/errors.js";
import type { Table } from "../core/table.js";
import { IoError } from "./errors.js";
import type { ParquetCompression } from "./options.js";
import {
  type FixedParquetWriter,
  isFixedWidthTable,
  openFixedParquet,
  writeAllParts,
} from "./parquet-fixed.js";
import type { ParquetWriter } from "./parquet-write-duckdb.js";

export type { ParquetWriter };

/** Rejects column names that DuckDB (case-insensitive identifiers) cannot hold together. */
export function checkParquetNames(path: string, table: Table): void {
  const lower = new Map<string, string>();
  for (const c of table.columns) {
    const other = lower.get(c.name.toLowerCase());
    if (other !== undefined) {
      throw new InvalidInputError(
        `${path}: columns "${other}" and "${c.name}" differ only in case, which Parquet via DuckDB cannot hold; rename one`,
      );
    }
    lower.set(c.name.toLowerCase(), c.name);
  }
}

/**
 * Starts a Parquet file at `tmpPath` (a new file) for parts with the columns of `first`; messages
 * name `path`, the file the caller asked for. Uncompressed fixed-width tables take the fast writer
 * (`parquet-fixed.ts`), which writes each part as it comes; everything else goes to DuckDB, whose
 * appender copies each part into a temporary table (held by DuckDB, which spills to its temporary
 * directory beyond its memory limit) written by `COPY … TO` at `close`. Either way the caller may
 * reuse a part's arrays once `write` resolves.
 */
export async function openParquetWriter(
  tmpPath: string,
  first: Table,
  path = tmpPath,
  compression: ParquetCompression = "none",
  metadata: Readonly<Record<string, string>> = {},
): Promise<ParquetWriter> {
  checkParquetNames(path, first);
  const cannotWrite = (err: unknown) =>
    new IoError(`${path}: cannot write: ${(err as Error).message}`, { cause: err });
  if (compression === "none" && isFixedWidthTable(first)) {
    let fixed: FixedParquetWriter;
    try {
      fixed = await openFixedParquet(tmpPath, { metadata });
    } catch (err) {
      throw cannotWrite(err);
    }
    return {
      write: (part) => fixed.write(part).catch((err) => Promise.reject(cannotWrite(err))),
      close: () => fixed.close().catch((err) => Promise.reject(cannotWrite(err))),
      abort: () => fixed.abort(),
    };
  }
  const { openDuckDbWriter } = await import("./parquet-write-duckdb.js");
  return openDuckDbWriter(tmpPath, first, path, compression, metadata);
}

/**
 * Writes `table` as a Parquet file at `tmpPath` (a new file); messages name `path`, the file the
 * caller asked for. Uncompressed fixed-width tables take the fast writer (`parquet-fixed.ts`),
 * everything else DuckDB.
 */
export async function writeParquet(
  tmpPath: string,
  table: Table,
  path = tmpPath,
  compression: ParquetCompression = "none",
): Promise<void> {
  await writeAllParts(await openParquetWriter(tmpPath, table, path, compression), [table]);
}
