/**
 * One distributed run, seen from its coordinator: a sequence of steps, each a BullMQ flow whose
 * children (work jobs, taken by any worker) return per-part results and whose parent (a fold
 * job, taken by this process) puts them in part order and combines them exactly as a local run
 * does.
 *
 * Job ids are `<run>-<step>` (parent) and `<run>-<step>-<i>` (children), with the run's id a hash
 * of what determines its results. A coordinator that reruns the same command finds steps that
 * are done (and takes their results from Redis: the run's checkpoint) or under way (and waits
 * for them); a step that failed is removed and added again. When the run ends well its jobs are
 * removed.
 */
import { FlowProducer, type Job, Queue, QueueEvents, Worker } from "bullmq";
import { Redis } from "ioredis";
import { InvalidInputError } from "../core/errors.js";
import {
  type RedisConnection,
  RedisUnreachableError,
  redisConnection,
  unreachable,
} from "./connection.js";
import type { FoldJob, WorkJob, WorkResult } from "./payload.js";
import { DEFAULT_QUEUE } from "./protocol.js";
import { QUEUE_SETTINGS } from "./settings.js";

/** Options of a distributed run. */
export interface RedisRunOptions {
  redis: string;
  queue?: string;
  /** Seconds without Redis before the run fails (default 30). */
  redisTimeoutSeconds?: number;
}

/**
 * Combines a step's children results (already in part order) into the step's result, while the
 * fold job holds its lock: quick work only. A run without a fold (null) has its fold job only
 * mark the step done, and each step's result is its children's results, read one at a time by
 * the coordinator ({@link StepResults}) outside any lock: large results (a fit's summaries) are
 * neither read at once nor copied.
 */
export type Fold = (job: FoldJob, results: WorkResult[]) => unknown;

/** The results of a step's children, in job order, read from Redis one at a time. */
export interface StepResults {
  length: number;
  at(i: number): Promise<WorkResult>;
}

/** A parent job's children results, in part (and block) order. */
async function childValues(job: Job): Promise<WorkResult[]> {
  const values = Object.values(await job.getChildrenValues()) as WorkResult[];
  return values.sort(
    (a, b) =>
      a.index - b.index ||
      ("firstBlock" in a && "firstBlock" in b ? a.firstBlock - b.firstBlock : 0),
  );
}

/** A run's steps; see the module comment. */
export class RedisRun {
  private readonly connection: RedisConnection & { stop(): void };
  private readonly work: Queue;
  private readonly folds: Queue;
  private readonly flows: FlowProducer;
  private readonly events: QueueEvents;
  private readonly workEvents: QueueEvents;
  /** Called with a child's index when a child of step `prefix` completes (progress). */
  private onChild: { prefix: string; call: (i: number) => void } | null = null;
  private readonly folder: Worker;
  private readonly health: Redis;
  private readonly steps: string[] = [];
  private step = 0;
  private lost: Promise<never>;
  private watch: NodeJS.Timeout;

  private constructor(
    readonly id: string,
    o: RedisRunOptions,
    private readonly fold: Fold | null,
  ) {
    this.connection = redisConnection(o.redis);
    const name = o.queue ?? DEFAULT_QUEUE;
    const connection = this.connection;
    this.work = new Queue(name, { connection });
    this.folds = new Queue(`${name}-fold`, { connection });
    this.flows = new FlowProducer({ connection });
    this.events = new QueueEvents(`${name}-fold`, { connection });
    this.workEvents = new QueueEvents(name, { connection });
    this.workEvents.on("completed", ({ jobId }) => {
      const c = this.onChild;
      if (c !== null && jobId.startsWith(c.prefix)) c.call(Number(jobId.slice(c.prefix.length)));
    });
    this.folder = new Worker(
      `${name}-fold`,
      async (job: Job) =>
        fold === null ? null : fold(job.data as FoldJob, await childValues(job)),
      { connection, concurrency: 1, ...QUEUE_SETTINGS.worker },
    );
    for (const c of [
      this.work,
      this.folds,
      this.flows,
      this.events,
      this.workEvents,
      this.folder,
    ]) {
      // Connection errors are retried by ioredis; the health check decides when to give up.
      (c as { on(e: "error", f: () => void): void }).on("error", () => undefined);
    }
    this.health = new Redis({ ...connection, lazyConnect: false, enableOfflineQueue: false });
    let lastError = "";
    this.health.on("error", (err: Error) => {
      lastError = err.message;
    });
    const limit = (o.redisTimeoutSeconds ?? QUEUE_SETTINGS.redisTimeoutSeconds) * 1000;
    let reject: (e: Error) => void = () => undefined;
    this.lost = new Promise<never>((_, r) => {
      reject = r;
    });
    this.lost.catch(() => undefined);
    let lastSeen = Date.now();
    this.watch = setInterval(() => {
      this.health.ping().then(
        () => {
          lastSeen = Date.now();
        },
        () => undefined,
      );
      if (Date.now() - lastSeen > limit) {
        reject(
          new RedisUnreachableError(
            `${unreachable(o.redis, limit / 1000, lastError)} and rerun the same command to resume.`,
          ),
        );
      }
    }, 500);
  }

  /** Connects; fails with the host and port when Redis does not answer in time. */
  static async open(id: string, o: RedisRunOptions, fold: Fold | null): Promise<RedisRun> {
    const run = new RedisRun(id, o, fold);
    try {
      await run.guard(
        Promise.all([
          run.work.waitUntilReady(),
          run.folder.waitUntilReady(),
          run.events.waitUntilReady(),
          run.workEvents.waitUntilReady(),
        ]),
      );
    } catch (err) {
      await run.close(false);
      throw err;
    }
    return run;
  }

  private guard<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.lost]);
  }

  /**
   * Runs the next step: `payloads` as children (one work job each), folded by the fold job.
   * `onChild` is called with a child's index as it completes (not for a step done before).
   * @throws InvalidInputError naming the part and the reason when a child failed for bad data.
   */
  async next(
    kind: WorkJob["kind"],
    payloads: WorkJob[],
    extra: Partial<FoldJob> = {},
    onChild?: (i: number) => void,
  ): Promise<unknown> {
    const parentId = `${this.id}-${this.step++}`;
    this.onChild = onChild === undefined ? null : { prefix: `${parentId}-`, call: onChild };
    this.steps.push(parentId);
    let parent = await this.guard(this.folds.getJob(parentId));
    const state = parent === undefined ? null : await this.guard(parent.getState());
    // Done before a restart of this coordinator: its result is the checkpoint.
    if (state === "completed") {
      return this.fold === null ? this.results(parent!) : parent!.returnvalue;
    }
    if (state === "failed") {
      await this.guard(parent!.remove());
      parent = undefined;
    }
    if (parent === undefined) {
      const data: FoldJob = { kind, run: this.id, children: payloads.length, ...extra };
      const added = await this.guard(
        this.flows.add({
          name: kind,
          queueName: this.folds.name,
          data,
          opts: { jobId: parentId, ...QUEUE_SETTINGS.parent },
          children: payloads.map((p, i) => ({
            name: kind,
            queueName: this.work.name,
            data: p,
            opts: { jobId: `${parentId}-${i}`, ...QUEUE_SETTINGS.child },
          })),
        }),
      );
      parent = added.job;
    }
    try {
      const value = await this.guard(parent.waitUntilFinished(this.events));
      return this.fold === null ? this.results(parent) : value;
    } catch (err) {
      if (err instanceof RedisUnreachableError) throw err;
      throw await this.childFailure(parentId, payloads, err as Error);
    }
  }

  /**
   * The results of a step's children (see {@link StepResults}): as many as the step was given
   * when it was added (a rerun may have fewer payloads, e.g. shards done since).
   */
  private results(parent: Job): StepResults {
    const parentId = parent.id!;
    return {
      length: (parent.data as FoldJob).children ?? 0,
      at: async (i) => {
        const job = await this.guard(this.work.getJob(`${parentId}-${i}`));
        if (job === undefined || job.returnvalue === null || job.returnvalue === undefined) {
          throw new Error(
            `step ${parentId}: the result of job ${i} is gone from Redis; rerun the command`,
          );
        }
        return job.returnvalue as WorkResult;
      },
    };
  }

  /** The error of the child that failed a step, naming its part. */
  private async childFailure(parentId: string, payloads: WorkJob[], err: Error): Promise<Error> {
    for (let i = 0; i < payloads.length; i++) {
      const child = await this.work.getJob(`${parentId}-${i}`);
      if (child !== undefined && (await child.getState()) === "failed") {
        return new InvalidInputError(`worker job ${child.id} failed: ${child.failedReason}`);
      }
    }
    return new Error(`step ${parentId} failed: ${err.message}`);
  }

  /** Disconnects; `clean` removes the run's jobs from Redis first (a run that ended well). */
  async close(clean = true): Promise<void> {
    clearInterval(this.watch);
    if (clean) {
      for (const id of this.steps) {
        const job = await this.folds.getJob(id).catch(() => undefined);
        await job?.remove({ removeChildren: true }).catch(() => undefined);
      }
    }
    // Closing waits for Redis; without it (the run failed for that), give up after 2 s.
    const closed = Promise.allSettled([
      this.folder.close(true),
      this.events.close(),
      this.workEvents.close(),
      this.flows.close(),
      this.work.close(),
      this.folds.close(),
    ]);
    const late = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((r) => setTimeout(() => r(true), 2000).unref()),
    ]);
    if (late) {
      // Connections that never came up: stop their reconnecting, so that the process can end.
      this.connection.stop();
    }
    this.health.disconnect();
  }
}
