/**
 * What `--overwrite` may replace. An output path that exists is replaced only when it is an
 * earlier output of modenorm of the same kind, and never when it is (or holds) one of the run's
 * inputs or the working directory:
 *
 * - a directory output: a directory holding `_manifest.json` of a sharded output and nothing but
 *   the files that manifest lists (or an interrupted run's `<out>.partial`, marked `_INCOMPLETE`);
 * - a table file: a regular file (its name says its format);
 * - a model: a file that is a modenorm model (its `format` says so);
 * - a report: an HTML file written by `modenorm report` (its generator says so).
 *
 * Paths are compared after resolving links, so a link or a second name of an input is caught too.
 */
import { open, readdir, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { errorCode, errorMessage, IoError } from "./errors.js";
import { checkUnlocked, LOCK_NAME } from "./output-lock.js";
import { INCOMPLETE_NAME, MANIFEST_NAME, PROGRESS_NAME, QUEUE_RUN_NAME } from "./shards.js";

/** The kind of output a command writes at a path. */
export type OutputKind = "directory" | "file" | "model" | "report";

/** Options of {@link checkOverwrite}. */
export interface OverwriteCheck {
  /** The output path as the user gave it. */
  output: string;
  kind: OutputKind;
  /** Files the run reads (its inputs, its model); `-` (standard input) is ignored. */
  inputs: readonly string[];
}

/** The format field near the start of a model file (of fit or of cluster), as written. */
const MODEL_MARKER = /"format"\s*:\s*"modenorm\.(model|clustering)"/;
/** The generator of a report page (`REPORT_GENERATOR` of `report/html.ts`), in its head. */
const REPORT_MARKER = /<meta name="generator" content="modenorm report">/;
/** The same for a shard manifest (`MANIFEST_FORMAT`). */
const MANIFEST_MARKER = /"format"\s*:\s*"modenorm\.shards"/;

/** The real path of `path`, or null when it does not exist. */
async function realOrNull(path: string): Promise<string | null> {
  try {
    return await realpath(path);
  } catch (err) {
    if (errorCode(err) === "ENOENT") return null;
    throw new IoError(`${path}: cannot check the output path: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/** Whether `inner` is `outer` or lies below it (both real, absolute paths). */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
}

function refuse(output: string, why: string): never {
  throw new IoError(
    `${output}: ${why}; --overwrite replaces only an earlier output of modenorm, so nothing was written or removed. Choose another output path`,
  );
}

/** Refuses `output` when it is, or holds, an input or the working directory. */
async function checkNotInput(output: string, real: string, inputs: readonly string[]) {
  if (within(await realpath(process.cwd()), real)) {
    refuse(output, "is the working directory or one above it");
  }
  for (const input of inputs) {
    if (input === "-") continue;
    const r = await realOrNull(input);
    if (r !== null && within(r, real)) {
      refuse(
        output,
        r === real ? `is an input of this run (${input})` : `holds an input of this run (${input})`,
      );
    }
  }
}

/** The names in a directory that an earlier modenorm output of `dir` may hold. */
async function foreignEntries(dir: string, partial: boolean): Promise<string[]> {
  const names = await readdir(dir);
  const ours = (n: string) =>
    /^part-\d{6}\.(parquet|csv|csv\.gz|arrow)$/.test(n) ||
    /^\.part-\d{6}\..+\.tmp$/.test(n) ||
    /^\._[A-Za-z_]+\..+\.tmp$/.test(n) ||
    n.startsWith(`${LOCK_NAME}.`) || // a lock being written or taken over
    (partial
      ? n === INCOMPLETE_NAME ||
        n === PROGRESS_NAME ||
        n === LOCK_NAME ||
        n === MANIFEST_NAME ||
        n === QUEUE_RUN_NAME
      : n === MANIFEST_NAME);
  return names.filter((n) => !ours(n));
}

async function readHead(path: string, bytes: number): Promise<string> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString("utf8");
  } finally {
    await fh.close();
  }
}

/**
 * Checks that `dir` (the real path of `output`) holds only what a modenorm sharded output holds:
 * a manifest and its shards, or (`partial`) an interrupted run's shards and markers.
 */
async function checkOurDirectory(output: string, dir: string, partial: boolean): Promise<void> {
  const foreign = await foreignEntries(dir, partial);
  if (foreign.length > 0) {
    const shown = foreign
      .slice(0, 3)
      .map((n) => JSON.stringify(n))
      .join(", ");
    refuse(
      output,
      `holds files modenorm did not write (${shown}${foreign.length > 3 ? `, and ${foreign.length - 3} more` : ""})`,
    );
  }
  if (partial) return;
  const names = await readdir(dir);
  if (!names.includes(MANIFEST_NAME)) {
    if (names.length === 0) return; // an empty directory holds nothing to lose
    refuse(output, `is a directory without ${MANIFEST_NAME}, not an output of modenorm`);
  }
  const head = await readHead(join(dir, MANIFEST_NAME), 256);
  if (!MANIFEST_MARKER.test(head)) {
    refuse(output, `${MANIFEST_NAME} there is not a modenorm shard manifest`);
  }
}

/**
 * Checks, before any work, that writing `output` destroys nothing that is not an earlier output
 * of modenorm (see the module comment). Call it only with `--overwrite` or `--resume`: without
 * them an existing output is refused anyway.
 * @throws IoError naming the output and why it may not be replaced.
 */
export async function checkOverwrite(check: OverwriteCheck): Promise<void> {
  const { output, kind, inputs } = check;
  if (output === "-") return;
  const path = output.length > 1 ? output.replace(/[/\\]+$/, "") : output;
  const targets = kind === "directory" ? [path, `${path}.partial`] : [path];
  for (const target of targets) {
    const real = await realOrNull(target);
    if (real === null) continue;
    await checkNotInput(output, real, inputs);
    const info = await stat(real);
    if (kind === "directory") {
      if (!info.isDirectory()) refuse(target, "is a file, not an output directory");
      // A run writing the output right now is named before its files are judged.
      if (target !== path) await checkUnlocked(path, target);
      await checkOurDirectory(target, real, target !== path);
    } else if (!info.isFile()) {
      refuse(output, info.isDirectory() ? "is a directory" : "is not a regular file");
    } else if (kind === "model" && !MODEL_MARKER.test(await readHead(real, 256))) {
      refuse(output, "is not a modenorm model file");
    } else if (kind === "report" && !REPORT_MARKER.test(await readHead(real, 1024))) {
      refuse(output, "is not a report written by modenorm report");
    }
  }
}
