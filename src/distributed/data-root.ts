/**
 * What a worker may touch: files inside its data root, as the coordinator saw them. A path that
 * leaves the root (through `..` or a symbolic link) or a part changed since the run started
 * fails the job at once (no retries: it would fail the same on every try).
 */
import { realpath, stat } from "node:fs/promises";
import { sep } from "node:path";
import { UnrecoverableError } from "bullmq";

/**
 * The real path of `path` when it lies inside `root` (a real path itself).
 * @throws UnrecoverableError naming the path otherwise, or when it cannot be resolved.
 */
export async function insideRoot(root: string, path: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(path);
  } catch (err) {
    throw new UnrecoverableError(`${path}: cannot open (${(err as Error).message})`);
  }
  if (real !== root && !real.startsWith(root + sep)) {
    throw new UnrecoverableError(`${path}: outside the worker's data root ${root}; refused`);
  }
  return real;
}

/**
 * The real path of a part inside `root` whose size and modification time are still those the
 * coordinator saw.
 * @throws UnrecoverableError naming the part otherwise.
 */
export async function checkedPart(
  root: string,
  part: { path: string; size: number; mtimeMs: number },
): Promise<string> {
  const real = await insideRoot(root, part.path);
  const s = await stat(real);
  if (s.size !== part.size || s.mtimeMs !== part.mtimeMs) {
    throw new UnrecoverableError(
      `${part.path}: changed since the run started (size or modification time); rerun the command`,
    );
  }
  return real;
}
