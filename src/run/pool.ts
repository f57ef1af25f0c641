/**
 * A small pool of worker threads with a typed protocol ({@link Task} → {@link TaskResults}).
 *
 * - Asynchronous tasks ({@link WorkerPool.run}) queue and go to the next idle worker;
 *   {@link WorkerPool.runOn} / {@link WorkerPool.broadcast} address given workers.
 * - Buffers are transferred, not copied, in both directions where the caller lists them.
 * - An error thrown in a task arrives as the same class with the same message ({@link
 *   deserializeError}). A worker that dies rejects a {@link WorkerCrashError} for the tasks it held, and is replaced by a fresh worker.
 * - Idle workers are unref'd, so a forgotten pool does not keep the process alive;
 *   {@link WorkerPool.close} terminates them.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { InvalidInputError } from "../core/errors.js";
import { deserializeError, WorkerCrashError } from "./errors.js";
import type { Reply, Request, TaskKind, TaskMessage, TaskOf, TaskResults } from "./protocol.js";

/** Options of {@link WorkerPool}. */
export interface PoolOptions {
  /** Number of workers; default `os.availableParallelism()`. */
  size?: number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  index: number;
  worker: Worker;
  inflight: Map<number, Pending>;
}

interface Queued {
  message: TaskMessage;
  pending: Pending;
}

const WORKER_URL = new URL("./worker.js", import.meta.url);

/** Resolves a thread count: a positive integer, default `os.availableParallelism()`. */
export function resolveThreads(threads: number | undefined, what = "threads"): number {
  if (threads === undefined) return availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new InvalidInputError(`${what} must be a positive integer, got ${threads}.`);
  }
  return threads;
}

/** N worker threads running `worker.js`; see the module comment. */
export class WorkerPool {
  /** Number of workers. */
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Queued[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: PoolOptions = {}) {
    this.size = resolveThreads(options.size, "pool size");
    for (let i = 0; i < this.size; i++) this.slots.push(this.spawn(i));
  }

  private spawn(index: number): Slot {
    const worker = new Worker(WORKER_URL);
    const slot: Slot = { index, worker, inflight: new Map() };
    worker.unref();
    worker.on("message", (reply: Reply) => this.settle(slot, reply));
    worker.on("error", (err) => {
      this.crashed(slot, `worker ${index} crashed: ${err.name}: ${err.message}`);
    });
    worker.on("exit", (code) => {
      this.crashed(slot, `worker ${index} exited with code ${code} while it had tasks.`);
    });
    return slot;
  }

  /** Rejects what a dead worker held and puts a fresh worker in its place (once per worker). */
  private crashed(slot: Slot, message: string): void {
    if (this.slots[slot.index] !== slot) return; // already replaced
    const inflight = [...slot.inflight.values()];
    slot.inflight.clear();
    void slot.worker.terminate();
    if (!this.closed) {
      this.slots[slot.index] = this.spawn(slot.index);
      this.pump();
    }
    for (const p of inflight) p.reject(new WorkerCrashError(message));
  }

  private settle(slot: Slot, reply: Reply): void {
    const p = slot.inflight.get(reply.id);
    if (p === undefined) return;
    slot.inflight.delete(reply.id);
    if (slot.inflight.size === 0) slot.worker.unref();
    if (reply.ok) p.resolve(reply.result);
    else p.reject(deserializeError(reply.error));
    this.pump();
  }

  private post(slot: Slot, message: TaskMessage, pending: Pending): number {
    const id = this.nextId++;
    slot.inflight.set(id, pending);
    slot.worker.ref();
    const req: Request = { id, task: message.task };
    slot.worker.postMessage(req, message.transfer ?? []);
    return id;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.inflight.size === 0);
      if (slot === undefined) return;
      const q = this.queue.shift()!;
      this.post(slot, q.message, q.pending);
    }
  }

  private checkOpen(): void {
    if (this.closed)
      throw new WorkerCrashError("WorkerPool: the pool is closed; create a new one.");
  }

  /** Runs a task on the next idle worker. */
  run<K extends TaskKind>(task: TaskOf<K>, transfer: ArrayBuffer[] = []): Promise<TaskResults[K]> {
    return new Promise<TaskResults[K]>((resolve, reject) => {
      this.checkOpen();
      this.queue.push({
        message: { task, transfer } as TaskMessage,
        pending: { resolve: resolve as (v: unknown) => void, reject },
      });
      this.pump();
    });
  }

  /** Runs a task on worker `index` (after what it already holds). */
  runOn<K extends TaskKind>(
    index: number,
    task: TaskOf<K>,
    transfer: ArrayBuffer[] = [],
  ): Promise<TaskResults[K]> {
    return new Promise<TaskResults[K]>((resolve, reject) => {
      this.checkOpen();
      const slot = this.slots[index];
      if (slot === undefined) {
        throw new InvalidInputError(`WorkerPool: no worker ${index} in a pool of ${this.size}.`);
      }
      this.post(slot, { task, transfer } as TaskMessage, {
        resolve: resolve as (v: unknown) => void,
        reject,
      });
    });
  }

  /** Runs the same task on every worker (structured-cloned to each). */
  broadcast<K extends TaskKind>(task: TaskOf<K>): Promise<TaskResults[K][]> {
    return Promise.all(this.slots.map((_, i) => this.runOn(i, task)));
  }

  /**
   * Terminates every worker; queued and running tasks reject with {@link WorkerCrashError}.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const queued = this.queue.splice(0);
    for (const q of queued)
      q.pending.reject(new WorkerCrashError("WorkerPool: closed before the task ran."));
    const slots = this.slots.splice(0);
    await Promise.all(
      slots.map(async (slot) => {
        const inflight = [...slot.inflight.values()];
        slot.inflight.clear();
        await slot.worker.terminate();
        for (const p of inflight)
          p.reject(new WorkerCrashError("WorkerPool: closed while the task ran."));
      }),
    );
  }
}
