/**
 * One run per output directory. A run that writes `<out>.partial/` holds the lock file
 * `_lock` in it, created exclusively (`O_EXCL`), holding the owner's host, PID, start time and a
 * random token. Another run finding it refuses with the owner's PID, unless the lock is stale:
 * written on this host by a process that no longer exists, or by this process for a run that has
 * ended. A stale lock is taken over by renaming it away first (only one contender's rename
 * succeeds), then creating a new one exclusively.
 */
import { randomBytes } from "node:crypto";
import { link, readFile, rename, rm, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { errorCode, errorMessage, IoError } from "./errors.js";

/** The lock file's name inside `<out>.partial/`. */
export const LOCK_NAME = "_lock";

interface LockInfo {
  host: string;
  pid: number;
  started: string;
  token: string;
}

/** Tokens of the locks this process holds now. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(err) === "EPERM";
  }
}

/** Whether the lock described by `info` still belongs to a running run. */
function live(info: LockInfo): boolean {
  if (info.host !== hostname()) return true; // another machine: cannot tell, assume it runs
  if (info.pid === process.pid) return held.has(info.token);
  return alive(info.pid);
}

async function readLock(path: string): Promise<LockInfo | null> {
  try {
    const v = JSON.parse(await readFile(path, "utf8")) as Partial<LockInfo>;
    if (typeof v.pid === "number" && typeof v.host === "string" && typeof v.token === "string") {
      return { host: v.host, pid: v.pid, started: String(v.started), token: v.token };
    }
    return null; // damaged (e.g. a kill while it was written): stale
  } catch (err) {
    if (errorCode(err) === "ENOENT") throw err;
    return null;
  }
}

/**
 * Creates `path` holding `text`, failing with EEXIST if it exists. The text is written to a file
 * of its own first and then linked to `path`, so that no one ever reads the lock half written
 * (and takes it for a damaged, stale one); where the file system has no hard links, `path` is
 * created exclusively and written.
 */
async function createWhole(path: string, text: string, token: string): Promise<void> {
  const tmp = `${path}.${token}.tmp`;
  await writeFile(tmp, text, { flag: "wx" });
  try {
    await link(tmp, path);
  } catch (err) {
    const code = errorCode(err);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw err;
    await writeFile(path, text, { flag: "wx" });
  } finally {
    await rm(tmp, { force: true });
  }
}

/** A held lock. */
export interface OutputLock {
  /** Removes the lock file (if it is still ours) and forgets it. */
  release(): Promise<void>;
  /** Forgets the lock without touching the file (it was moved or removed with its directory). */
  forget(): void;
}

/** The refusal for an output another run is writing. */
function busy(output: string, info: LockInfo): IoError {
  const where = info.host === hostname() ? `PID ${info.pid}` : `PID ${info.pid} on ${info.host}`;
  return new IoError(
    `${output}: another modenorm run (${where}, started ${info.started}) is writing this output; wait for it to finish or stop it, then run again (a lock left by a run on another machine: delete ${LOCK_NAME} in the .partial directory once that run is gone)`,
  );
}

/**
 * Throws if a live run holds the lock in `partial` (which may not exist); does not take it.
 * @throws IoError naming the running run's PID.
 */
export async function checkUnlocked(output: string, partial: string): Promise<void> {
  try {
    const info = await readLock(join(partial, LOCK_NAME));
    if (info !== null && live(info)) throw busy(output, info);
  } catch (err) {
    if (errorCode(err) !== "ENOENT") throw err;
  }
}

/**
 * Takes the lock of `partial` (an existing directory) for this run.
 * @throws IoError when a live run holds it, naming its PID.
 */
export async function lockOutput(output: string, partial: string): Promise<OutputLock> {
  const path = join(partial, LOCK_NAME);
  const info: LockInfo = {
    host: hostname(),
    pid: process.pid,
    started: new Date().toISOString(),
    token: randomBytes(8).toString("hex"),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      await createWhole(path, `${JSON.stringify(info)}\n`, info.token);
      break;
    } catch (err) {
      if (errorCode(err) !== "EEXIST" || attempt >= 3) {
        throw new IoError(`${output}: cannot lock ${path}: ${errorMessage(err)}`, { cause: err });
      }
    }
    let other: LockInfo | null;
    try {
      other = await readLock(path);
    } catch {
      continue; // released meanwhile: try again
    }
    if (other !== null && live(other)) throw busy(output, other);
    // Stale: move it away (only one of several contenders succeeds), then try again.
    const aside = `${path}.stale-${info.token}`;
    try {
      await rename(path, aside);
      await rm(aside, { force: true });
    } catch (err) {
      if (errorCode(err) !== "ENOENT") throw err;
    }
  }
  held.add(info.token);
  return {
    async release() {
      if (!held.delete(info.token)) return;
      const now = await readLock(path).catch(() => null);
      if (now?.token === info.token) await rm(path, { force: true });
    },
    forget() {
      held.delete(info.token);
    },
  };
}
