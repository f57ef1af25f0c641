/**
 * The process's DuckDB instance (in-memory, created on first use) and SQL quoting. DuckDB is
 * used only as a Parquet engine: it never sees a path that the caller did not name, and it loads
 * no extensions from the network.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";

let instance: Promise<DuckDBInstance> | null = null;

/** A new connection to the shared in-memory instance; close it with `closeSync()`. */
export async function connectDuckDb(): Promise<DuckDBConnection> {
  if (instance === null) {
    // Loaded here, on first use: DuckDB's modules take about 0.25 s to load.
    instance = import("@duckdb/node-api").then(({ DuckDBInstance }) =>
      DuckDBInstance.create(":memory:", {
        autoinstall_known_extensions: "false",
        autoload_known_extensions: "false",
        // Spill files (only when a query outgrows memory_limit) go to the temp dir, not the cwd.
        temp_directory: join(tmpdir(), "modenorm-duckdb"),
      }),
    );
    instance.catch(() => {
      instance = null;
    });
  }
  return (await instance).connect();
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/**
 * A path as a literal for `read_parquet`, whose argument is a glob pattern: `*`, `?` and `[`
 * are bracketed so they match only themselves.
 */
export function sqlPathLiteral(path: string): string {
  return sqlString(path.replace(/[*?[]/g, (c) => `[${c}]`));
}

/** DuckDB's message without the "LINE 1: …" echo of the query. */
export function duckDbMessage(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split("\n\nLINE ")[0]!.trim();
}
