/**
 * Crash-safe file creation: write to a temporary name in the destination's directory, flush it
 * to disk, then move it to the final name in one step (rename or hard link are atomic on one file
 * system). A crash (SIGKILL, power loss) leaves at most a hidden `.<name>.<pid>-<random>.tmp`,
 * never a partial file under the final name; any error removes the temporary file, and so does
 * the end of the process however it ends otherwise (an exception, `process.exit` after SIGINT or
 * SIGTERM): every temporary file not yet moved into place is removed on the process's `exit`.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { link, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { errorCode, errorMessage, IoError } from "./errors.js";

function existsError(path: string): IoError {
  return new IoError(
    `${path}: already exists; pass --overwrite (overwrite: true) to replace it, or choose another name`,
  );
}

/** Checks that `path` can be created: its directory exists and it is not there (unless overwrite). */
export async function checkWritable(path: string, overwrite: boolean): Promise<void> {
  const dir = dirname(path);
  try {
    const d = await stat(dir);
    if (!d.isDirectory()) throw new IoError(`${path}: ${dir} is not a directory`);
  } catch (err) {
    if (err instanceof IoError) throw err;
    throw new IoError(`${path}: directory ${dir} does not exist`, { cause: err });
  }
  try {
    const info = await stat(path);
    if (info.isDirectory()) throw new IoError(`${path}: is a directory`);
    if (!overwrite) throw existsError(path);
  } catch (err) {
    if (err instanceof IoError) throw err;
    if (errorCode(err) !== "ENOENT") {
      throw new IoError(`${path}: cannot check the output path: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
}

/** Moves the finished temporary file to `path`, refusing to replace a file unless `overwrite`. */
async function commit(tmp: string, path: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await rename(tmp, path);
    return;
  }
  try {
    // link() fails with EEXIST instead of replacing: no window between check and move.
    await link(tmp, path);
  } catch (err) {
    const code = errorCode(err);
    if (code === "EEXIST") throw existsError(path);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EXDEV") throw err;
    // File systems without hard links: check, then rename.
    await checkWritable(path, false);
    await rename(tmp, path);
    return;
  }
  await rm(tmp, { force: true });
}

/** Temporary files not yet moved into place or removed: removed when the process exits. */
const pendingTemps = new Set<string>();
let exitHookInstalled = false;

function removePendingTemps(): void {
  for (const tmp of pendingTemps) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the process is ending: nothing better to do
    }
  }
  pendingTemps.clear();
}

/** How many temporary files are being written now (for the message of an interrupted run). */
export function pendingTempFiles(): number {
  return pendingTemps.size;
}

/** A temporary file beside its destination, being written. */
export interface TempFile {
  /** Where to create the file (it does not exist yet). */
  tmp: string;
  /** Flushes it to disk and moves it to the destination (see {@link writeAtomically}). */
  commit(): Promise<void>;
  /** Removes it (safe to call after a failed commit, or twice). */
  discard(): Promise<void>;
}

/**
 * Names a temporary file beside `path` (after checking that `path` can be created) and registers
 * it, so that it is removed if the process ends before {@link TempFile.commit} or
 * {@link TempFile.discard}. The caller creates and writes the file.
 */
export async function createTempFile(path: string, overwrite: boolean): Promise<TempFile> {
  await checkWritable(path, overwrite);
  const tmp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`,
  );
  if (!exitHookInstalled) {
    process.on("exit", removePendingTemps);
    exitHookInstalled = true;
  }
  pendingTemps.add(tmp);
  return {
    tmp,
    async commit() {
      const fh = await open(tmp, "r+");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await commit(tmp, path, overwrite);
      pendingTemps.delete(tmp);
    },
    async discard() {
      await rm(tmp, { force: true });
      pendingTemps.delete(tmp);
    },
  };
}

/**
 * Runs `write(tmpPath)` to create a temporary file beside `path`, then moves it to `path`.
 * `write` must create the file itself (it does not exist yet).
 */
export async function writeAtomically(
  path: string,
  overwrite: boolean,
  write: (tmpPath: string) => Promise<void>,
): Promise<void> {
  const file = await createTempFile(path, overwrite);
  try {
    await write(file.tmp);
    await file.commit();
  } catch (err) {
    await file.discard();
    throw ioErrorOf(path, err);
  }
}

/** `err` as thrown by a write of `path`: expected errors as they are, others as an IoError. */
export function ioErrorOf(path: string, err: unknown): Error {
  if (err instanceof Error && (err.name === "IoError" || err.name === "InvalidInputError")) {
    return err;
  }
  return new IoError(`${path}: cannot write: ${errorMessage(err)}`, { cause: err });
}
