/**
 * The thread a queue worker computes on. BullMQ renews a job's lock from a timer of the
 * process's own thread: a thread busy for seconds (reading a Parquet block of a million rows
 * takes 0.4–0.9 s here, longer while the pool's threads take the cores) lets the lock expire and
 * the job be taken as stalled. So the worker's own thread only talks to Redis, and every job runs
 * on this thread (`job-thread-main.ts`, an {@link Executor}), which reads and hands the
 * computing to its pool.
 */
import { Worker } from "node:worker_threads";
import { UnrecoverableError } from "bullmq";
import type { ExecutorOptions } from "./executor.js";
import type { WorkJob, WorkResult } from "./payload.js";

/** A message to the job thread. */
export type JobRequest = { id: number; job: WorkJob } | { close: true };

/** A message from the job thread. */
export type JobReply =
  | { id: number; result: WorkResult }
  | { id: number; error: { message: string; unrecoverable: boolean } }
  | { closed: true };

const ENTRY = new URL("./job-thread-main.js", import.meta.url);

interface Pending {
  resolve: (r: WorkResult) => void;
  reject: (e: Error) => void;
}

/**
 * Runs work jobs on a thread of their own. A thread that dies fails the jobs it held (BullMQ
 * retries them) and is replaced.
 */
export class JobThread {
  private worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing: (() => void) | null = null;

  constructor(private readonly options: ExecutorOptions) {
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(ENTRY, { workerData: this.options });
    w.on("message", (m: JobReply) => {
      if ("closed" in m) {
        this.closing?.();
        return;
      }
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if ("result" in m) p.resolve(m.result);
      else {
        p.reject(
          m.error.unrecoverable
            ? new UnrecoverableError(m.error.message)
            : new Error(m.error.message),
        );
      }
    });
    w.on("error", (err) => this.crashed(w, `the job thread crashed: ${err.name}: ${err.message}`));
    w.on("exit", (code) => this.crashed(w, `the job thread exited with code ${code}`));
    return w;
  }

  /** Fails what a dead thread held and starts another (once per thread). */
  private crashed(w: Worker, message: string): void {
    if (w !== this.worker) return;
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
    if (this.closing === null) this.worker = this.spawn();
    else this.closing();
  }

  /** The job's result, or its error (UnrecoverableError for bad data). */
  run(job: WorkJob): Promise<WorkResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, job } satisfies JobRequest);
    });
  }

  /** Stops the thread's pool and the thread. */
  async close(): Promise<void> {
    const w = this.worker;
    await new Promise<void>((resolve) => {
      this.closing = resolve;
      w.postMessage({ close: true } satisfies JobRequest);
    });
    await w.terminate();
  }
}
