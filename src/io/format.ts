/** Which file format a path names, by its extension, and the checks every reader makes first. */
import { stat } from "node:fs/promises";
import { InvalidInputError } from "../core/errors.js";
import { errorCode, errorMessage, IoError } from "./errors.js";

/** File formats `readTable` / `writeTable` know. */
export type TableFormat = "csv" | "csv.gz" | "parquet" | "arrow" | "arrows";

/** Extensions (case-insensitive) and their formats, longest first so `.csv.gz` wins over `.gz`. */
export const SUPPORTED_EXTENSIONS: readonly (readonly [string, TableFormat])[] = [
  [".csv.gz", "csv.gz"],
  [".csv", "csv"],
  [".parquet", "parquet"],
  [".arrow", "arrow"],
  [".feather", "arrow"],
  [".arrows", "arrows"],
];

const supportedList = () => ".csv, .csv.gz, .parquet, .arrow (.feather), .arrows";

/** The format of `path` by its extension, or null when it has none of the supported ones. */
export function tableFormatOf(path: string): TableFormat | null {
  const lower = path.toLowerCase();
  for (const [ext, format] of SUPPORTED_EXTENSIONS) {
    if (lower.endsWith(ext) && lower.length > ext.length) return format;
  }
  return null;
}

/** The format of `path` by its extension; an `InvalidInputError` listing the supported ones. */
export function formatOf(path: string): TableFormat {
  const format = tableFormatOf(path);
  if (format !== null) return format;
  throw new InvalidInputError(
    `${path}: unknown file extension; supported: ${supportedList()} (choose the format by renaming the file)`,
  );
}

/** Size of the regular file at `path`; an `IoError` naming the path if missing or not a file. */
export async function checkReadableFile(path: string): Promise<number> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    const code = errorCode(err);
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new IoError(`${path}: no such file`, { cause: err });
    }
    throw new IoError(`${path}: cannot read: ${errorMessage(err)}`, { cause: err });
  }
  if (info.isDirectory()) {
    throw new IoError(
      `${path}: is a directory, not a table file; pass a file ending in ${supportedList()}`,
    );
  }
  if (!info.isFile()) throw new IoError(`${path}: not a regular file`);
  return info.size;
}
