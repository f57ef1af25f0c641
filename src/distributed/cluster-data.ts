/**
 * {@link ClusterData} over part files read by queue workers: the clustering of `modenorm cluster
 * --redis`. Each method is one step of the run (see `run.ts`): a scan of every part (row counts
 * and blocks), the rows of the initialisation sample, and every E-step, as jobs of at most
 * `jobBlocks` blocks of one part. The fold puts the blocks in part order and adds them one by
 * one from zero, as the thread source does, so the result is the local run's, bit for bit.
 */
import { concatInto } from "../core/array-bin.js";
import { createStats, statsLength } from "../core/stats.js";
import { foldPacked } from "../core/terms.js";
import type { ClusterData } from "../run/cluster.js";
import type { MissingPolicy } from "../run/cluster-rows.js";
import { buildFingerprint } from "./build.js";
import type { FoldJob, WorkJob, WorkResult } from "./payload.js";
import {
  type EstepJob,
  type EstepResult,
  fromBase64,
  type ReadSpec,
  type RowsResult,
  type ScanResult,
  termsToJob,
  toBase64,
} from "./protocol.js";
import { RedisRun, type RedisRunOptions } from "./run.js";
import { runId, stamps } from "./run-id.js";
import { QUEUE_SETTINGS } from "./settings.js";

/** What the parts are and how to read them. */
export interface DistributedParts {
  parts: string[];
  read: ReadSpec;
  columns: string[];
  missing: MissingPolicy;
}

/** Puts children results (in part order) together; see the module comment. */
function fold(job: FoldJob, results: WorkResult[]): unknown {
  switch (job.kind) {
    case "scan":
      return results;
    case "rows": {
      const all = results.map((r) => fromBase64((r as RowsResult).rows));
      return toBase64(concatInto(all, new Float64Array(all.reduce((n, a) => n + a.length, 0))));
    }
    case "estep": {
      // From zero, block after block: the thread source's fold (`foldPacked`).
      const total = new Float64Array(job.statsLength!);
      for (const r of results) foldPacked(fromBase64((r as EstepResult).stats), total);
      return toBase64(total);
    }
    default:
      throw new Error(`a clustering run has no ${job.kind} step`);
  }
}

/** A distributed {@link ClusterData}; `close(clean)` ends the run's connections. */
export type RedisClusterData = ClusterData & { close(clean: boolean): Promise<void> };

/**
 * Opens the run (its id from the parts' paths, sizes and times, how they are read, `key` — the
 * command's options — and the build) and scans the parts.
 */
export async function redisClusterData(
  p: DistributedParts,
  key: unknown,
  o: RedisRunOptions,
): Promise<RedisClusterData> {
  const build = buildFingerprint();
  const parts = (await stamps(p.parts)).map((s, index) => ({
    part: s.path,
    index,
    size: s.size,
    mtimeMs: s.mtimeMs,
  }));
  const id = runId({ parts, read: p.read, columns: p.columns, missing: p.missing, key, build });
  const common = (i: number) => ({
    run: id,
    build,
    ...parts[i]!,
    read: p.read,
    columns: p.columns,
    missing: p.missing,
  });
  const run = await RedisRun.open(id, o, fold);
  try {
    const scans = (await run.next(
      "scan",
      parts.map((_, i) => ({ kind: "scan", ...common(i) }) as WorkJob),
    )) as ScanResult[];
    const d = p.columns.length;
    const keptBefore: number[] = [];
    let rows = 0;
    for (const s of scans) {
      keptBefore.push(rows);
      rows += s.kept;
    }
    const inputRows = scans.reduce((n, s) => n + s.inputRows, 0);
    return {
      d,
      rows,
      inputRows,
      async rowsAt(indices) {
        const jobs: WorkJob[] = [];
        for (let i = 0, at = 0; i < scans.length; i++) {
          const end = keptBefore[i]! + scans[i]!.kept;
          const mine: number[] = [];
          while (at < indices.length && indices[at]! < end)
            mine.push(indices[at++]! - keptBefore[i]!);
          if (mine.length > 0) {
            jobs.push({ kind: "rows", ...common(i), indices: toBase64(Float64Array.from(mine)) });
          }
        }
        return fromBase64((await run.next("rows", jobs)) as string);
      },
      async summarize(terms, moment, standardize) {
        const jobs: WorkJob[] = [];
        for (let i = 0; i < scans.length; i++) {
          for (let b = 0; b < scans[i]!.blocks; b += QUEUE_SETTINGS.jobBlocks) {
            const job: EstepJob = {
              kind: "estep",
              ...common(i),
              firstBlock: b,
              lastBlock: Math.min(scans[i]!.blocks, b + QUEUE_SETTINGS.jobBlocks),
              terms: termsToJob(terms),
              moment,
              standardize,
            };
            jobs.push(job);
          }
        }
        const L = statsLength(terms.nComponents, terms.nFeatures, moment);
        const total = createStats(terms.nComponents, terms.nFeatures, moment, terms.means);
        if (jobs.length > 0) {
          total.buffer.set(
            fromBase64((await run.next("estep", jobs, { statsLength: L })) as string),
          );
        }
        return total;
      },
      close: (clean) => run.close(clean),
    };
  } catch (err) {
    await run.close(false);
    throw err;
  }
}
