/**
 * A queue worker: takes work jobs from Redis (BullMQ), checks each against its schema and the
 * build, and runs it on its job thread (`job-thread.ts`), which reads the parts a job names
 * (only inside its data root), computes on its thread pool and returns the job's result; this
 * thread only talks to Redis, so BullMQ's lock renewals keep running.
 *
 * A payload that fails its schema, a part outside the data root or changed since the run
 * started, a job of another build, and bad data (a missing value, text in a numeric column, a
 * damaged file) fail at once without retries (BullMQ's UnrecoverableError); anything else is
 * retried by BullMQ, on this worker or another.
 */
import { realpath } from "node:fs/promises";
import { totalmem } from "node:os";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { IoError } from "../io/errors.js";
import { resolveThreads } from "../run/pool.js";
import { buildFingerprint } from "./build.js";
import {
  type RedisConnection,
  RedisUnreachableError,
  redisConnection,
  unreachable,
} from "./connection.js";
import { JobThread } from "./job-thread.js";
import { payloadError, type WorkJob, type WorkResult } from "./payload.js";
import { DEFAULT_QUEUE } from "./protocol.js";
import { QUEUE_SETTINGS } from "./settings.js";

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  redis: string;
  /** Jobs may only name parts inside this directory. */
  dataRoot: string;
  /** Jobs at once (default 4). */
  concurrency?: number;
  /** Threads of the pool (default: all cores). */
  threads?: number;
  queue?: string;
  /** Bytes of parts kept in memory (default a quarter of the machine's memory). */
  cacheBytes?: number;
  /** Seconds a job may take before it fails and is retried (default 600). */
  jobTimeoutSeconds?: number;
  /** Called after each job, for logs. */
  onJob?: (job: Job, outcome: "completed" | "failed", detail: string) => void;
}

/** A running worker; `close()` lets active jobs finish, then stops. */
export interface RunningWorker {
  close(): Promise<void>;
}

/** Starts taking jobs. */
export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const connection: RedisConnection = redisConnection(o.redis);
  const root = await realpath(o.dataRoot).catch((err: Error) => {
    throw new IoError(`--data-root ${o.dataRoot}: ${err.message}`);
  });
  const build = buildFingerprint();
  const jobs = new JobThread({
    root,
    threads: resolveThreads(o.threads),
    cacheBytes: o.cacheBytes ?? totalmem() / 4,
  });

  /** A job not done by the deadline fails (and is retried, here or elsewhere). */
  async function processJob(job: Job): Promise<WorkResult> {
    const seconds = o.jobTimeoutSeconds ?? QUEUE_SETTINGS.jobTimeoutSeconds;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `job ${job.id}: no result within its deadline of ${seconds} s (--job-timeout); retried while attempts remain`,
            ),
          ),
        seconds * 1000,
      );
    });
    try {
      return await Promise.race([work(job), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function work(job: Job): Promise<WorkResult> {
    const why = payloadError(job.data);
    if (why !== null) throw new UnrecoverableError(`poisoned job ${job.id}: ${why}`);
    const w = job.data as WorkJob;
    if (w.build !== build) {
      throw new UnrecoverableError(
        `job ${job.id} comes from a coordinator of build ${w.build}, this worker is build ${build}; run the same modenorm on every machine`,
      );
    }
    return jobs.run(w);
  }
  const worker = new Worker(o.queue ?? DEFAULT_QUEUE, processJob, {
    connection,
    concurrency: o.concurrency ?? 4,
    ...QUEUE_SETTINGS.worker,
  });
  worker.on("completed", (job) => o.onJob?.(job, "completed", ""));
  worker.on("failed", (job, err) => {
    if (job !== undefined) o.onJob?.(job, "failed", err.message);
  });
  // Connection trouble is retried by ioredis; it is reported, not thrown.
  worker.on("error", () => undefined);
  // Redis that does not answer at start is a wrong address or a server down: say so and stop.
  const wait = QUEUE_SETTINGS.redisTimeoutSeconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      worker.waitUntilReady(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new RedisUnreachableError(
                `${unreachable(o.redis, wait / 1000, "")} then start the worker again.`,
              ),
            ),
          wait,
        );
      }),
    ]);
  } catch (err) {
    await worker.close(true).catch(() => undefined);
    await jobs.close();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    async close() {
      await worker.close();
      await jobs.close();
    },
  };
}
