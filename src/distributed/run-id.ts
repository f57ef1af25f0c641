/**
 * What identifies a distributed run: the parts as the coordinator sees them (absolute path,
 * size, modification time: a part changed since is another input, and workers refuse it), and a
 * short hash of everything that decides the run's results, which names its jobs.
 */
import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { FileStamp } from "./table-protocol.js";

/** 16 hex digits of SHA-256 over `value`'s JSON. */
export const runId = (value: unknown): string =>
  createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);

/** Each file's absolute path, size and modification time, in order. */
export function stamps(files: string[]): Promise<FileStamp[]> {
  return Promise.all(
    files.map(async (f) => {
      const path = resolve(f);
      const s = await stat(path);
      return { path, size: s.size, mtimeMs: s.mtimeMs };
    }),
  );
}
