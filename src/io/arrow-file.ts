/**
 * Arrow IPC files and streams as tables: the column selection and forced types of
 * `ReadTableOptions`, whole-file reads and writes, and batches for the streaming reader.
 */
import { createReadStream } from "node:fs";
import { writeFile } from "node:fs/promises";
import { RecordBatchFileWriter, RecordBatchStreamWriter } from "apache-arrow";
import { InvalidInputError } from "../core/errors.js";
import type { ColumnType, Table } from "../core/table.js";
import { batchOfTable, openArrowReader, tableFromBatch } from "./arrow.js";
import { allocateColumn, type ColumnSpec, concatTables } from "./columns.js";
import { type ResolvedReadOptions, selectColumns } from "./options.js";

const NUMERIC: readonly ColumnType[] = ["float64", "float32", "int64", "int32"];

/** The columns to read of a source with Arrow specs `all`, with the forced types applied. */
export function selectArrowSpecs(
  what: string,
  all: readonly ColumnSpec[],
  opts: ResolvedReadOptions,
): ColumnSpec[] {
  const idx = selectColumns(
    what,
    all.map((s) => s.name),
    opts,
  );
  return idx.map((i) => {
    const s = all[i]!;
    const forced = opts.types.get(s.name);
    if (forced === undefined || forced === s.type) return s;
    if (NUMERIC.includes(forced) && NUMERIC.includes(s.type)) return { ...s, type: forced };
    throw new InvalidInputError(
      `${what}: column "${s.name}" is ${s.type} in the Arrow data and cannot be read as ${forced}; leave the column out with --columns, or fit it with the kind its type allows`,
    );
  });
}

/** Reads a whole Arrow IPC file (`.arrow`, `.feather`) or stream file (`.arrows`). */
export async function readArrowFile(path: string, opts: ResolvedReadOptions): Promise<Table> {
  const reader = await openArrowReader(path, createReadStream(path));
  const specs = selectArrowSpecs(path, reader.specs, opts);
  const parts: Table[] = [];
  let firstRow = 0;
  for await (const batch of reader.batches) {
    parts.push(tableFromBatch(batch, specs, { path, firstRow }));
    firstRow += batch.numRows;
  }
  if (parts.length === 0) return { rows: 0, columns: specs.map((s) => allocateColumn(s, 0)) };
  return concatTables(
    parts,
    parts.reduce((n, p) => n + p.rows, 0),
  );
}

/** Writes a table as one record batch: IPC file format (`arrow`) or stream format (`arrows`). */
export async function writeArrowFile(
  tmpPath: string,
  table: Table,
  format: "arrow" | "arrows",
): Promise<void> {
  const batch = batchOfTable(table);
  const bytes =
    format === "arrow"
      ? RecordBatchFileWriter.writeAll([batch]).toUint8Array(true)
      : RecordBatchStreamWriter.writeAll([batch]).toUint8Array(true);
  await writeFile(tmpPath, bytes, { flag: "wx" });
}
