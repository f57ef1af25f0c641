/**
 * `readTable` / `writeTable`: whole tables in and out of files, the format chosen by extension
 * (`.csv`, `.csv.gz`, `.parquet`).
 */
import { assertUnreachable } from "../core/errors.js";
import type { Table } from "../core/table.js";
import { checkTable } from "./columns.js";
import { readCsv } from "./csv-read.js";
import { writeCsv } from "./csv-write.js";
import { checkReadableFile, formatOf } from "./format.js";
import { type ReadTableOptions, resolveReadOptions, type WriteTableOptions } from "./options.js";
import { readParquet } from "./parquet-read.js";
import { checkParquetNames, writeParquet } from "./parquet-write.js";
import { writeAtomically } from "./safe-write.js";

/**
 * Reads a whole table from a `.csv`, `.csv.gz` or `.parquet` file.
 *
 * CSV: a header row is required; types are inferred over all rows (see `csv-infer.ts`) unless
 * forced with `types`; a header-only file gives a table of 0 rows (its columns `float64`, or as
 * forced). Parquet: types map as in `parquet-read.ts`.
 *
 * @throws IoError the file is missing, a directory or unreadable (message starts with the path).
 * @throws InvalidInputError unknown extension (lists the supported ones), empty CSV file, a CSV
 *   record with the wrong number of fields (line, expected vs got), bad quoting, invalid UTF-8,
 *   not Parquet or truncated, an unknown column in `columns` / `types` (lists the ones there
 *   are), a field that does not parse under a forced type (column, line, value).
 */
export async function readTable(path: string, options: ReadTableOptions = {}): Promise<Table> {
  const size = await checkReadableFile(path);
  const format = formatOf(path);
  const opts = resolveReadOptions(path, options);
  switch (format) {
    case "csv":
      return readCsv(path, size, false, opts);
    case "csv.gz":
      return readCsv(path, size, true, opts);
    case "parquet":
      return readParquet(path, opts);
    case "arrow":
    case "arrows":
      // The Arrow library loads only for Arrow files (see `arrow-sink.ts`).
      return (await import("./arrow-file.js")).readArrowFile(path, opts);
    default:
      return assertUnreachable(format);
  }
}

/**
 * Writes a table to a `.csv`, `.csv.gz`, `.parquet` (uncompressed, or zstd with
 * `compression: "zstd"`) or Arrow file, through a temporary file in the same directory that is
 * renamed into place when complete.
 *
 * @throws IoError the path exists and `overwrite` is not set, its directory is missing, or the
 *   write fails (the temporary file is removed).
 * @throws InvalidInputError unknown extension, or a malformed table (no columns, duplicate
 *   names, lengths that disagree with `rows`).
 */
export async function writeTable(
  path: string,
  table: Table,
  options: WriteTableOptions = {},
): Promise<void> {
  const format = formatOf(path);
  checkTable(path, table);
  const overwrite = options.overwrite === true;
  switch (format) {
    case "parquet":
      checkParquetNames(path, table);
      return writeAtomically(path, overwrite, (tmp) =>
        writeParquet(tmp, table, path, options.compression ?? "none"),
      );
    case "csv":
      return writeAtomically(path, overwrite, (tmp) =>
        writeCsv(tmp, table, false, options.encoding, path),
      );
    case "csv.gz":
      return writeAtomically(path, overwrite, (tmp) =>
        writeCsv(tmp, table, true, options.encoding, path),
      );
    case "arrow":
    case "arrows":
      return writeAtomically(path, overwrite, async (tmp) =>
        (await import("./arrow-file.js")).writeArrowFile(tmp, table, format),
      );
    default:
      return assertUnreachable(format);
  }
}
