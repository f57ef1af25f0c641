/**
 * Which files an input names: one file, a directory of part files, a glob in the last path
 * segment (`data/part-*.parquet`, `*` and `?` only: Node 20 has no `fs.glob`), a list of files,
 * or `-` for standard input. Files come back in reading order: sorted by name (code-unit order,
 * not locale order, so the order is the same on every machine).
 */
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { InvalidInputError } from "../core/errors.js";
import { errorCode, errorMessage, IoError } from "./errors.js";
import { checkReadableFile, formatOf, type TableFormat, tableFormatOf } from "./format.js";
import { checkShardDirectory } from "./shards.js";

/** The input files and their format family (`csv` covers `.csv` and `.csv.gz`). */
export interface ResolvedInputs {
  files: string[];
  family: "csv" | "parquet" | "arrow";
}

/** The name standing for standard input (CSV only). */
export const STDIN_NAME = "-";

/** Whether a path segment holds a wildcard. */
export function hasWildcard(segment: string): boolean {
  return segment.includes("*") || segment.includes("?");
}

/** A glob segment (`*` any run of characters, `?` one character) as an anchored RegExp. */
export function globRegExp(pattern: string): RegExp {
  let re = "^";
  for (const ch of pattern) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else re += ch.replace(/[\\^$.+()[\]{}|/]/g, (c) => `\\${c}`);
  }
  return new RegExp(`${re}$`, "s");
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function isPartFile(name: string): boolean {
  // Hidden files and Spark/Hive markers (`_SUCCESS`, `.part-0.crc`) are not parts.
  if (name.startsWith(".") || name.startsWith("_")) return false;
  return tableFormatOf(name) !== null;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    const code = errorCode(err);
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new IoError(`${dir}: no such directory`, { cause: err });
    }
    throw new IoError(`${dir}: cannot list: ${errorMessage(err)}`, { cause: err });
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function familyOf(format: TableFormat): "csv" | "parquet" | "arrow" {
  if (format === "arrow" || format === "arrows") return "arrow";
  return format === "parquet" ? "parquet" : "csv";
}

const FAMILY_NAMES = { csv: "CSV", parquet: "Parquet", arrow: "Arrow IPC" } as const;

/** Checks that every file has one format family; `what` names the input in the message. */
function oneFamily(what: string, files: string[]): ResolvedInputs {
  const first = files[0]!;
  const family = familyOf(formatOf(first));
  for (const f of files) {
    if (familyOf(formatOf(f)) !== family) {
      throw new InvalidInputError(
        `${what}: mixes formats: ${first} is ${FAMILY_NAMES[family]} but ${f} is not; read parts of one format together (move the others elsewhere)`,
      );
    }
  }
  return { files, family };
}

/**
 * The files `input` names, in reading order.
 *
 * @throws IoError a named file or directory is missing or unreadable.
 * @throws InvalidInputError an empty list, an empty directory or glob with no match, a wildcard
 *   before the last segment, an unknown extension, or parts of different formats (Parquet and
 *   CSV; `.csv` and `.csv.gz` may be mixed).
 */
export async function resolveInputs(input: string | readonly string[]): Promise<ResolvedInputs> {
  if (Array.isArray(input)) {
    if (input.length === 0) {
      throw new InvalidInputError("input: the list of files is empty; name at least one file");
    }
    for (const f of input) {
      if (typeof f !== "string") throw new InvalidInputError("input: files must be strings");
      if (f === STDIN_NAME) {
        throw new InvalidInputError(`input: "-" (standard input) cannot be part of a list`);
      }
      formatOf(f);
      await checkReadableFile(f);
    }
    return oneFamily("input", [...input]);
  }
  const path = input as string;
  if (typeof path !== "string" || path === "") {
    throw new InvalidInputError('input: expected a path, a list of paths or "-"');
  }
  if (path === STDIN_NAME) return { files: [STDIN_NAME], family: "csv" };
  let info: Awaited<ReturnType<typeof stat>> | null = null;
  try {
    info = await stat(path);
  } catch {
    info = null;
  }
  if (info?.isDirectory()) {
    const all = await listDir(path);
    await checkShardDirectory(path, all);
    const names = all.filter(isPartFile).sort(byName);
    const files: string[] = [];
    for (const n of names) {
      const f = join(path, n);
      if (await isFile(f)) files.push(f);
    }
    if (files.length === 0) {
      throw new InvalidInputError(
        `${path}: directory has no part files ending in .parquet, .csv, .csv.gz, .arrow, .feather or .arrows`,
      );
    }
    return oneFamily(path, files);
  }
  const dir = dirname(path);
  const pattern = basename(path);
  if (info === null && hasWildcard(pattern)) {
    if (hasWildcard(dir)) {
      throw new InvalidInputError(
        `${path}: wildcards (* ?) are supported in the last path segment only`,
      );
    }
    const re = globRegExp(pattern);
    const names = (await listDir(dir)).filter((n) => re.test(n)).sort(byName);
    const files: string[] = [];
    for (const n of names) {
      const f = join(dir, n);
      if (await isFile(f)) files.push(f);
    }
    if (files.length === 0) throw new InvalidInputError(`${path}: no file matches this pattern`);
    for (const f of files) formatOf(f);
    return oneFamily(path, files);
  }
  // A path that does not exist is missing, whatever its extension.
  if (info === null) await checkReadableFile(path);
  formatOf(path);
  await checkReadableFile(path);
  return { files: [path], family: familyOf(formatOf(path)) };
}
