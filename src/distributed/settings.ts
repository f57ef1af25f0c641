/**
 * BullMQ settings of the distributed mode, in one place (docs/distributed.md explains them).
 *
 * - A worker holds a job's lock for `lockDuration` and renews it every half of that; its CPU
 *   work runs on threads, so renewals are not starved by computing — but a worker reading
 *   millions of rows of text can pause for a major garbage collection of a second or two, and a
 *   4 s lock was lost so on a 100M-row fit. A killed worker's job is found stalled after the lock
 *   expires and the next stalled check (every `stalledInterval`) puts it back: about 10–12 s
 *   here, after which another worker takes it.
 * - `maxStalledCount` 2: a job whose worker died twice is failed (a job that kills its worker).
 * - `attempts` 3 with exponential backoff from 500 ms for errors that may pass (a lost
 *   connection); bad data is never retried (UnrecoverableError).
 * - Every child fails its parent (`failParentOnFailure`): without it a failed child leaves the
 *   parent waiting for ever.
 * - Job ids are the run's id, the step and the job's place: a coordinator that reruns the same
 *   command finds the steps already done instead of adding them twice.
 */
export const QUEUE_SETTINGS = {
  worker: { lockDuration: 10_000, stalledInterval: 2_000, maxStalledCount: 2 },
  child: {
    attempts: 3,
    backoff: { type: "exponential", delay: 500 },
    failParentOnFailure: true,
    removeOnComplete: false,
    removeOnFail: false,
  },
  parent: { removeOnComplete: false, removeOnFail: false },
  /** Blocks per E-step job at most (65,536 rows each: about 1–10 s of work per job). */
  jobBlocks: 64,
  /**
   * Seconds a job may run before its worker fails it (BullMQ has no job timeout; a job hung on a
   * thread would otherwise hold its lock for ever): it is then retried while attempts remain.
   */
  jobTimeoutSeconds: 600,
  /** Seconds the coordinator waits for Redis to come back before it gives up. */
  redisTimeoutSeconds: 30,
} as const;
