/**
 * Sharded output that is safe to trust. A run writes into `<out>.partial/`:
 *
 * - `_INCOMPLETE`: the run's identity (command, model checksum, options, input), written first;
 * - `part-000000.<ext>`, …: each shard written to a hidden temporary name, flushed, and renamed
 *   when complete;
 * - `_progress.jsonl`: one line per finished shard (index, rows, bytes), appended after its rename.
 *
 * When every shard is done, `_manifest.json` (rows per shard, columns, the run's identity) is
 * written, `_INCOMPLETE` and `_progress.jsonl` are removed, and the directory is renamed to
 * `<out>` in one step. So `<out>` exists only when complete; a run killed at any moment leaves
 * `<out>.partial/`, which readers refuse (it holds `_INCOMPLETE`) and `--resume` continues: a
 * shard counts as done when its file exists and its progress line was written; the others are
 * redone.
 *
 * One run at a time: a run holds `<out>.partial/_lock` (see `output-lock.ts`) from before it
 * touches the directory until the directory is in place, so a second run into the same output is
 * refused, naming the first one's PID, instead of mixing its shards with the first one's.
 */
import { appendFile, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError } from "../core/errors.js";
import type { Table } from "../core/table.js";
import { errorCode, errorMessage, IoError } from "./errors.js";
import { makeDirectory } from "./make-dir.js";
import type { ParquetCompression, TextEncoding } from "./options.js";
import { checkUnlocked, LOCK_NAME, lockOutput, type OutputLock } from "./output-lock.js";
import { writeAtomically } from "./safe-write.js";
import {
  checkShardFile,
  edgeDigest,
  openShardFile,
  type ShardEntry,
  type ShardFormat,
  type ShardWriter,
  shardName,
} from "./shard-file.js";

export {
  edgeDigest,
  type ShardEntry,
  type ShardFormat,
  type ShardWriter,
  shardName,
} from "./shard-file.js";

/** Name of the manifest of a complete sharded output. */
export const MANIFEST_NAME = "_manifest.json";
/** Name of the marker of an output still being written (or killed). */
export const INCOMPLETE_NAME = "_INCOMPLETE";
/** Name of the list of finished shards of an output being written. */
export const PROGRESS_NAME = "_progress.jsonl";
/**
 * Name of the file that holds the id of the distributed run writing an output (`--redis`), so
 * that `--resume` finds its jobs.
 */
export const QUEUE_RUN_NAME = "_queue_run";
/** Written into every manifest. */
export const MANIFEST_FORMAT = "modenorm.shards";

/** The manifest of a complete sharded output. */
export interface ShardManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  complete: true;
  rows: number;
  columns: { name: string; type: string }[];
  shards: ShardEntry[];
  /** The run's identity, as given to {@link openShardedOutput}. */
  run: Record<string, unknown>;
  /** Extra facts the caller adds at the end (timings, layout spans, …). */
  info: Record<string, unknown>;
}

/** Options of {@link openShardedOutput}. */
export interface ShardedOutputOptions {
  format: ShardFormat;
  /** Replace an existing output (and discard an interrupted run's files). */
  overwrite?: boolean;
  /** Continue an interrupted run of the same identity, keeping its finished shards. */
  resume?: boolean;
  /** Compression of Parquet shards (default `none`). */
  compression?: ParquetCompression;
  /** Text encoding of CSV shards (default `utf8`). */
  encoding?: TextEncoding;
  /** What makes two runs the same (compared on resume); JSON data. */
  run: Record<string, unknown>;
}

/** A sharded output being written. */
export interface ShardedOutput {
  /** The output directory (created when complete). */
  path: string;
  /** Where the shards are written until the output is complete (`<path>.partial`). */
  partialPath: string;
  /** Shards an interrupted run finished: index → entry (resume only). */
  done: Map<number, ShardEntry>;
  /** True when `--resume` found the output already complete: nothing to do. */
  alreadyComplete: boolean;
  /**
   * Starts shard `index` (rows `firstRow`…), written block by block into a temporary file that
   * its `finish` moves into place and records.
   */
  openShard(index: number, firstRow: number): Promise<ShardWriter>;
  /**
   * Records shard `index` written by another process ({@link openShardFile} into
   * {@link ShardedOutput.partialPath}), after checking its size and edge digest on disk.
   */
  recordShard(index: number, entry: ShardEntry): Promise<void>;
  /**
   * Writes shard `index` (rows `firstRow`…), given as consecutive parts with the same columns,
   * atomically and records it. `csvRows` (CSV shards): the parts' rows already formatted.
   */
  writeShard(
    index: number,
    firstRow: number,
    parts: readonly Table[],
    csvRows?: readonly Uint8Array[],
  ): Promise<ShardEntry>;
  /** Writes the manifest and moves the directory into place. */
  finish(info: Record<string, unknown>): Promise<ShardManifest>;
  /** Removes the partial output (after bad input: there is nothing worth resuming). */
  discard(): Promise<void>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if (errorCode(err) === "ENOENT") return false;
    throw new IoError(`${path}: cannot check: ${errorMessage(err)}`, { cause: err });
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new InvalidInputError(`${path}: cannot read it as JSON: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

/** Finished shards of an interrupted run: those with a file and a progress line. */
async function finishedShards(partial: string): Promise<Map<number, ShardEntry>> {
  const done = new Map<number, ShardEntry>();
  let text = "";
  try {
    text = await readFile(join(partial, PROGRESS_NAME), "utf8");
  } catch (err) {
    if (errorCode(err) !== "ENOENT") throw err;
  }
  // The last line may be cut short by a kill: only whole lines count.
  for (const line of text.split("\n").slice(0, -1)) {
    let e: ShardEntry & { index: number };
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    const size = await stat(join(partial, e.file)).then(
      (st) => st.size,
      () => -1, // missing: redo the shard
    );
    if (size === e.bytes) {
      done.set(e.index, {
        file: e.file,
        firstRow: e.firstRow,
        rows: e.rows,
        bytes: e.bytes,
        edges: e.edges,
      });
    }
  }
  return done;
}

/** Refuses to resume `partial` when another run (model, input or options) left it. */
async function checkSameRun(partial: string, runText: string): Promise<void> {
  const marker = join(partial, INCOMPLETE_NAME);
  const before = (await exists(marker)) ? JSON.stringify(await readJson(marker)) : null;
  if (before !== runText) {
    throw new InvalidInputError(
      `${partial}: was left by a different run (another model, input or options), so it cannot be resumed by this one; rerun that command with --resume, or pass --overwrite to start over`,
    );
  }
}

/**
 * Opens `path` for sharded output (see the module comment).
 *
 * @throws IoError `path` exists and neither `overwrite` nor (for a complete output) `resume` is
 *   set; `<path>.partial` exists and neither `resume` nor `overwrite` is set; the directory cannot
 *   be created.
 * @throws InvalidInputError `resume` of a run whose identity differs (another model, input or
 *   options).
 */
export async function openShardedOutput(
  path: string,
  options: ShardedOutputOptions,
): Promise<ShardedOutput> {
  // "out/" and "out" are the same directory; the partial one is its sibling "out.partial".
  path = path.length > 1 ? path.replace(/[/\\]+$/, "") : path;
  const partial = `${path}.partial`;
  const overwrite = options.overwrite === true;
  const resume = options.resume === true;
  const runText = JSON.stringify(options.run);
  let done = new Map<number, ShardEntry>();
  if (await exists(path)) {
    if (resume && !overwrite && (await exists(join(path, MANIFEST_NAME)))) {
      const m = (await readJson(join(path, MANIFEST_NAME))) as ShardManifest;
      if (JSON.stringify(m.run) === runText) {
        return {
          path,
          partialPath: partial,
          done,
          alreadyComplete: true,
          recordShard: () => Promise.reject(new Error(`${path}: already complete`)),
          openShard: () => Promise.reject(new Error(`${path}: already complete`)),
          writeShard: () => Promise.reject(new Error(`${path}: already complete`)),
          finish: () => Promise.resolve(m),
          discard: () => Promise.resolve(),
        };
      }
    }
    if (!overwrite) {
      throw new IoError(
        `${path}: already exists; pass --overwrite to replace it, or choose another name`,
      );
    }
  }
  // A run still writing this output is named before anything else is said or done.
  await checkUnlocked(path, partial);
  const partialExisted = await exists(partial);
  if (partialExisted && !resume && !overwrite) {
    throw new IoError(
      `${partial}: an interrupted run left this incomplete output; continue it with --resume (same command), or pass --overwrite to start over`,
    );
  }
  // Another run's output is refused before anything is touched (its stale lock included).
  if (partialExisted && resume) await checkSameRun(partial, runText);
  try {
    await makeDirectory(partial);
  } catch (err) {
    throw new IoError(`${partial}: cannot create: ${errorMessage(err)}`, { cause: err });
  }
  const lock = await lockOutput(path, partial);
  try {
    if (partialExisted && resume) {
      await checkSameRun(partial, runText); // again, now that no other run can change it
      done = await finishedShards(partial);
    } else if (partialExisted) {
      // --overwrite: start over, keeping only the lock this run holds.
      for (const name of await readdir(partial)) {
        if (name !== LOCK_NAME) await rm(join(partial, name), { recursive: true, force: true });
      }
    }
    if (done.size === 0) {
      await writeAtomically(join(partial, INCOMPLETE_NAME), true, async (tmp) => {
        await writeFile(tmp, `${runText}\n`, { flag: "wx" });
      });
      await rm(join(partial, PROGRESS_NAME), { force: true });
    }
  } catch (err) {
    await lock.release();
    if (err instanceof IoError || err instanceof InvalidInputError) throw err;
    throw new IoError(`${partial}: cannot create: ${errorMessage(err)}`, { cause: err });
  }
  const written = new Map<number, ShardEntry>(done);
  const failed = async (err: unknown): Promise<never> => {
    await lock.release();
    if (!(err instanceof IoError)) throw err;
    throw new IoError(
      `${err.message}; the ${written.size} finished shard(s) are kept in ${partial}: fix the cause (e.g. free disk space) and rerun the same command with --resume`,
      { cause: err },
    );
  };
  const record = async (index: number, entry: ShardEntry) => {
    await appendFile(join(partial, PROGRESS_NAME), `${JSON.stringify({ index, ...entry })}\n`);
    written.set(index, entry);
  };
  const openShard = async (index: number, firstRow: number): Promise<ShardWriter> => {
    const shard = await openShardFile(partial, index, firstRow, options).catch(failed);
    return {
      write: (table, csv) => shard.write(table, csv).catch(failed),
      async finish() {
        const entry = await shard.finish().catch(failed);
        await record(index, entry);
        return entry;
      },
      abort: () => shard.abort(),
    };
  };
  return {
    path,
    partialPath: partial,
    done,
    alreadyComplete: false,
    openShard,
    async recordShard(index, entry) {
      await checkShardFile(partial, entry);
      await record(index, entry);
    },
    async writeShard(index, firstRow, parts, csvRows) {
      const shard = await openShard(index, firstRow);
      try {
        for (const [i, part] of parts.entries()) await shard.write(part, csvRows?.[i]);
      } catch (err) {
        await shard.abort();
        throw err;
      }
      return shard.finish();
    },
    async discard() {
      await rm(partial, { recursive: true, force: true });
      lock.forget();
    },
    finish: (info) =>
      finishOutput(path, partial, options, written, info, lock).catch(async (err) => {
        await lock.release();
        throw err;
      }),
  };
}

/** Writes the manifest of a run whose shards are all written, and moves the directory in place. */
async function finishOutput(
  path: string,
  partial: string,
  options: ShardedOutputOptions,
  written: Map<number, ShardEntry>,
  info: Record<string, unknown>,
  lock: OutputLock,
): Promise<ShardManifest> {
  const shards = [...written.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  let rows = 0;
  for (const [j, s] of shards.entries()) {
    if (s.firstRow !== rows || s.file !== shardName(j, options.format)) {
      throw new IoError(
        `${partial}: shard ${j} is missing or out of place; rerun with --resume to redo it`,
      );
    }
    // The manifest describes the files as they are on disk, or it is not written.
    const size = await stat(join(partial, s.file)).then(
      (st) => st.size,
      () => -1,
    );
    if (size !== s.bytes) {
      throw new IoError(
        `${partial}: shard ${s.file} ${size < 0 ? "is missing" : `has ${size} bytes where ${s.bytes} were written`}; the output was changed while this run wrote it, so it is not complete. Rerun with --overwrite`,
      );
    }
    rows += s.rows;
  }
  const columns = (info.columns as ShardManifest["columns"] | undefined) ?? [];
  const manifest: ShardManifest = {
    format: MANIFEST_FORMAT,
    version: 1,
    complete: true,
    rows,
    columns,
    shards,
    run: options.run,
    info,
  };
  // Files of earlier attempts beyond the last shard (e.g. a run with other shard sizes), and
  // temporary files of shards an earlier attempt was writing when it was killed.
  for (const name of await readdir(partial)) {
    const stale = name.startsWith(".part-") && name.endsWith(".tmp");
    if (stale || (name.startsWith("part-") && !shards.some((s) => s.file === name))) {
      await rm(join(partial, name), { force: true });
    }
  }
  await writeAtomically(join(partial, MANIFEST_NAME), true, async (tmp) => {
    await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { flag: "wx" });
  });
  await rm(join(partial, INCOMPLETE_NAME), { force: true });
  await rm(join(partial, PROGRESS_NAME), { force: true });
  if (await exists(path)) {
    // --overwrite: move the old output aside first, so a crash never leaves neither.
    const old = `${path}.old-${process.pid}`;
    await rename(path, old);
    await rename(partial, path);
    await rm(old, { recursive: true, force: true });
  } else {
    await rename(partial, path);
  }
  // The lock moved with the directory: held until the output was in place, removed now.
  lock.forget();
  await rm(join(path, LOCK_NAME), { force: true });
  return manifest;
}

/**
 * Checks a directory about to be read as input: refuses an incomplete output, and one whose part
 * files differ from its manifest's.
 * @throws InvalidInputError naming the directory and what is wrong.
 */
export async function checkShardDirectory(dir: string, names: readonly string[]): Promise<void> {
  if (names.includes(INCOMPLETE_NAME)) {
    throw new InvalidInputError(
      `${dir}: is an incomplete output of an interrupted run (it holds ${INCOMPLETE_NAME}); finish it by rerunning the command with --resume, or delete it`,
    );
  }
  if (!names.includes(MANIFEST_NAME)) return;
  const m = (await readJson(join(dir, MANIFEST_NAME))) as Partial<ShardManifest>;
  if (m.format !== MANIFEST_FORMAT || !Array.isArray(m.shards)) {
    throw new InvalidInputError(`${dir}/${MANIFEST_NAME}: not a modenorm shard manifest`);
  }
  if (m.version !== 1) {
    throw new InvalidInputError(
      `${dir}/${MANIFEST_NAME}: version ${JSON.stringify(m.version)}, but this build of modenorm reads version 1 only; use the modenorm version that wrote it, or regenerate the output`,
    );
  }
  if (m.complete !== true) {
    throw new InvalidInputError(
      `${dir}/${MANIFEST_NAME}: does not say the output is complete ("complete": true); the output is damaged — regenerate it`,
    );
  }
  let next = 0;
  for (const s of m.shards) {
    if (s.firstRow !== next || !Number.isSafeInteger(s.rows) || s.rows < 0) {
      throw new InvalidInputError(
        `${dir}: ${MANIFEST_NAME} says shard ${s.file} starts at row ${s.firstRow} and holds ${s.rows} rows, but the shards before it end at row ${next}; the manifest is damaged — regenerate the output`,
      );
    }
    next += s.rows;
  }
  if (m.rows !== next) {
    throw new InvalidInputError(
      `${dir}: ${MANIFEST_NAME} says ${m.rows} rows, but its shards hold ${next}; the manifest is damaged — regenerate the output`,
    );
  }
  const listed = new Set(m.shards.map((s) => s.file));
  for (const s of m.shards) {
    const size = names.includes(s.file) ? (await stat(join(dir, s.file))).size : -1;
    if (size !== s.bytes) {
      throw new InvalidInputError(
        `${dir}: shard ${s.file} ${size < 0 ? "is missing" : `has ${size} bytes, but ${MANIFEST_NAME} says ${s.bytes}`}; the output is damaged — regenerate it`,
      );
    }
    if (s.edges !== undefined && (await edgeDigest(join(dir, s.file), size)) !== s.edges) {
      throw new InvalidInputError(
        `${dir}: shard ${s.file} does not hold what was written there (its content differs from the digest in ${MANIFEST_NAME}: shards swapped or replaced); the output is damaged — regenerate it`,
      );
    }
  }
  for (const n of names) {
    if (n.startsWith("part-") && !listed.has(n)) {
      throw new InvalidInputError(
        `${dir}: ${n} is not listed in ${MANIFEST_NAME}; remove it or regenerate the output`,
      );
    }
  }
}
