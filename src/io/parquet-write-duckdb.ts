/**
 * Writing a Parquet file through DuckDB: the columns' typed-array memory is copied into DuckDB
 * data chunks (2,048 rows), appended to a temporary in-memory table (held by DuckDB, which spills
 * to its temporary directory beyond its memory limit), and written by `COPY … TO … (FORMAT
 * parquet)` at `close`. Types map as in `parquet-write.ts`.
 */

import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  type DuckDBAppender,
  DuckDBDataChunk,
  type DuckDBType,
  FLOAT,
  INTEGER,
  TIMESTAMP,
  TIMESTAMP_MS,
  TIMESTAMP_NS,
  TIMESTAMP_S,
  VARCHAR,
} from "@duckdb/node-api";
import duckdb from "@duckdb/node-bindings";
import { InvalidInputError } from "../core/errors.js";
import type { Column, Table } from "../core/table.js";
import { connectDuckDb, duckDbMessage, sqlIdent, sqlString } from "./duckdb.js";
import { IoError } from "./errors.js";
import type { ParquetCompression } from "./options.js";
import type { FixedParquetWriter } from "./parquet-fixed.js";
import { TIMESTAMP_UNITS_KEY } from "./parquet-plan.js";

/** Rows per DuckDB data chunk (DuckDB's vector size). */
const CHUNK_ROWS = 2048;

function duckType(c: Column): DuckDBType {
  switch (c.type) {
    case "float64":
      return DOUBLE;
    case "float32":
      return FLOAT;
    case "int64":
      return BIGINT;
    case "int32":
      return INTEGER;
    case "bool":
      return BOOLEAN;
    case "string":
      return VARCHAR;
    case "timestamp":
      return c.unit === "s"
        ? TIMESTAMP_S
        : c.unit === "ms"
          ? TIMESTAMP_MS
          : c.unit === "ns"
            ? TIMESTAMP_NS
            : TIMESTAMP;
  }
}

/** Scratch buffers reused across chunks. */
const validity = new Uint8Array(CHUNK_ROWS / 8);
const boolScratch = new Uint8Array(CHUNK_ROWS);
/** Shared-memory values on their way to DuckDB (which reads only ordinary buffers). */
let sharedScratch = new Uint8Array(0);

/** Fills vector `j` of `chunk` with rows `[start, start + n)` of `col`. */
function fillVector(
  chunk: DuckDBDataChunk,
  j: number,
  col: Column,
  start: number,
  n: number,
): void {
  const vector = duckdb.data_chunk_get_vector(chunk.chunk, j);
  let anyNull = false;
  validity.fill(0xff);
  if (col.type === "string") {
    for (let r = 0; r < n; r++) {
      const v = col.values[start + r];
      if (v === null || v === undefined) {
        validity[r >>> 3]! &= ~(1 << (r & 7));
        anyNull = true;
      } else {
        duckdb.vector_assign_string_element(vector, r, v);
      }
    }
  } else {
    const values = col.values;
    if (col.type === "bool") {
      // DuckDB booleans must be exactly 0 or 1.
      for (let r = 0; r < n; r++) boolScratch[r] = values[start + r] ? 1 : 0;
      duckdb.copy_data_to_vector(vector, 0, boolScratch.buffer, 0, n);
    } else {
      const bytes = values.BYTES_PER_ELEMENT;
      const from = values.byteOffset + start * bytes;
      if (values.buffer instanceof ArrayBuffer) {
        duckdb.copy_data_to_vector(vector, 0, values.buffer, from, n * bytes);
      } else {
        // DuckDB takes no shared memory: through a private copy.
        if (sharedScratch.length < n * bytes) sharedScratch = new Uint8Array(n * bytes);
        sharedScratch.set(new Uint8Array(values.buffer, from, n * bytes));
        duckdb.copy_data_to_vector(vector, 0, sharedScratch.buffer, 0, n * bytes);
      }
    }
    const nulls = col.nulls;
    if (nulls !== null) {
      for (let r = 0; r < n; r++) {
        if (nulls[start + r] === 1) {
          validity[r >>> 3]! &= ~(1 << (r & 7));
          anyNull = true;
        }
      }
    }
  }
  if (anyNull) {
    duckdb.vector_ensure_validity_writable(vector);
    duckdb.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, Math.ceil(n / 64) * 8);
  }
}

/**
 * A Parquet file being written block by block, by either writer: appends parts with the first
 * part's columns, writes the file at `close`, gives up at `abort` (the caller removes the file).
 */
export type ParquetWriter = FixedParquetWriter;

/**
 * Starts a Parquet file at `tmpPath` (a new file) written by DuckDB for parts with the columns of
 * `first`; messages name `path`, the file the caller asked for. The caller may reuse a part's
 * arrays once `write` resolves.
 */
export async function openDuckDbWriter(
  tmpPath: string,
  first: Table,
  path: string,
  compression: ParquetCompression,
  metadata: Readonly<Record<string, string>>,
): Promise<ParquetWriter> {
  const types = first.columns.map(duckType);
  const units: Record<string, string> = {};
  for (const c of first.columns) if (c.type === "timestamp") units[c.name] = c.unit;
  const con = await connectDuckDb();
  let appender: DuckDBAppender | null = null;
  const fail = (err: unknown): Error => {
    if (err instanceof InvalidInputError || err instanceof IoError) return err;
    if (duckDbMessage(err).startsWith("IO Error")) {
      return new IoError(`${path}: cannot write: ${duckDbMessage(err)}`, { cause: err });
    }
    return new InvalidInputError(
      `${path}: DuckDB could not write the table: ${duckDbMessage(err)}`,
      {
        cause: err,
      },
    );
  };
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    try {
      appender?.closeSync();
    } catch {
      // already failing; the first error is the one to report
    }
    appender = null;
    con.closeSync();
  };
  try {
    const columnsSql = first.columns.map((c, j) => `${sqlIdent(c.name)} ${types[j]!.toString()}`);
    await con.run(`CREATE TEMP TABLE modenorm_out (${columnsSql.join(", ")})`);
    appender = await con.createAppender("modenorm_out", "main", "temp");
  } catch (err) {
    release();
    throw fail(err);
  }
  return {
    async write(table) {
      try {
        for (let start = 0; start < table.rows; start += CHUNK_ROWS) {
          const n = Math.min(CHUNK_ROWS, table.rows - start);
          const chunk = DuckDBDataChunk.create(types, n);
          for (let j = 0; j < table.columns.length; j++)
            fillVector(chunk, j, table.columns[j]!, start, n);
          appender!.appendDataChunk(chunk);
        }
      } catch (err) {
        throw fail(err);
      }
    },
    async close() {
      try {
        appender!.closeSync();
        appender = null;
        const pairs = Object.entries(metadata).map(([k, v]) => `${sqlString(k)}: ${sqlString(v)}`);
        if (Object.keys(units).length > 0) {
          pairs.push(`'${TIMESTAMP_UNITS_KEY}': ${sqlString(JSON.stringify(units))}`);
        }
        const kv = pairs.length > 0 ? `, KV_METADATA {${pairs.join(", ")}}` : "";
        await con.run(
          `COPY modenorm_out TO ${sqlString(tmpPath)} (FORMAT parquet, COMPRESSION ${compression === "zstd" ? "zstd" : "uncompressed"}${kv})`,
        );
      } catch (err) {
        throw fail(err);
      } finally {
        release();
      }
    },
    async abort() {
      release();
    },
  };
}
