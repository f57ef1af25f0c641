/** Creating an output directory with an error that names the real cause. */
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { errorCode } from "./errors.js";

/**
 * Creates `path` and its missing parents (an existing directory is fine). Node's recursive mkdir
 * reports ENOENT when a parent exists but cannot take a new entry (on a read-only file system,
 * where the cause is EROFS), so each directory is created alone, its parent first when missing,
 * and the error is the one of the directory that could not be made.
 */
export async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path);
  } catch (err) {
    const code = errorCode(err);
    if (code === "EEXIST") {
      // Fine if it is a directory (recursive mkdir throws EEXIST for anything else).
      await mkdir(path, { recursive: true });
      return;
    }
    const parent = dirname(path);
    if (code !== "ENOENT" || parent === path) throw err;
    await makeDirectory(parent);
    await mkdir(path);
  }
}
