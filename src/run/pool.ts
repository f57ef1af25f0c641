/**
 * A small pool of worker threads with a typed protocol ({@link Task} → {@link TaskResults}).
 *
 * - Asynchronous tasks ({@link WorkerPool.run}) queue and go to the next idle worker;
 *   {@link WorkerPool.runOn} / {@link WorkerPool.broadcast} address given workers.
 * - Synchronous tasks ({@link WorkerPool.runSync}) are posted to workers 0…m−1 and the calling
 *   thread blocks in `Atomics.wait` until each worker raised its signal; replies are read with
 *   `receiveMessageOnPort`. This serves the synchronous `FitSource.summarize` contract.
 * - Buffers are transferred, not copied, in both directions where the caller lists them.
 * - An error thrown in a task arrives as the same class with the same message ({@link
 *   deserializeError}). A worker that dies rejects (or, synchronously, throws) a
 *   {@link WorkerCrashError} for the tasks it held, and is replaced by a fresh worker.
 * - Idle workers are unref'd, so a forgotten pool does not keep the process alive;
 *   {@link WorkerPool.close} terminates them.
 */
import { availableParallelism } from "node:os";
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import { InvalidInputError } from "../core/errors.js";
import { deserializeError, type SerializedError, WorkerCrashError } from "./errors.js";
import {
  type CrashNotice,
  type Reply,
  type Request,
  SIGNAL_CRASHED,
  SIGNAL_DONE,
  SIGNAL_IDLE,
  type TaskKind,
  type TaskMessage,
  type TaskOf,
  type TaskResults,
  type WorkerInit,
} from "./protocol.js";

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
  signal: Int32Array;
  port: MessagePort;
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
    const signalBuffer = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    const init: WorkerInit = { signal: signalBuffer, syncPort: port2 };
    const worker = new Worker(WORKER_URL, { workerData: init, transferList: [port2] });
    const slot: Slot = {
      index,
      worker,
      signal: new Int32Array(signalBuffer),
      port: port1,
      inflight: new Map(),
    };
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
    slot.port.close();
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

  private post(slot: Slot, message: TaskMessage, pending: Pending, sync = false): number {
    const id = this.nextId++;
    if (!sync) {
      slot.inflight.set(id, pending);
      slot.worker.ref();
    }
    const req: Request = { id, sync, task: message.task };
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
   * Runs `messages[i]` on worker i (at most {@link size} messages) and blocks the calling thread
   * until every worker answered; returns the results in order. The first failure (in worker
   * order) is thrown after all workers answered, as its own class; a worker that died throws
   * {@link WorkerCrashError} and is replaced.
   */
  runSync<K extends TaskKind>(messages: readonly TaskMessage<K>[]): TaskResults[K][] {
    this.checkOpen();
    if (messages.length > this.size) {
      throw new InvalidInputError(
        `WorkerPool.runSync: ${messages.length} tasks for ${this.size} workers; give at most one per worker.`,
      );
    }
    const used = this.slots.slice(0, messages.length);
    const ids = used.map((slot, i) => {
      // A worker that died since its last task is replaced before it is given work.
      if (Atomics.compareExchange(slot.signal, 0, SIGNAL_DONE, SIGNAL_IDLE) === SIGNAL_CRASHED) {
        this.crashed(slot, `worker ${slot.index} died before the task.`);
        slot = this.slots[slot.index]!;
        used[i] = slot;
      }
      return this.post(
        slot,
        messages[i]! as unknown as TaskMessage,
        { resolve: () => {}, reject: () => {} },
        true,
      );
    });
    const results: TaskResults[K][] = [];
    let failure: Error | null = null;
    used.forEach((slot, i) => {
      while (Atomics.load(slot.signal, 0) === SIGNAL_IDLE) {
        Atomics.wait(slot.signal, 0, SIGNAL_IDLE);
      }
      const outcome = this.takeSync(slot, ids[i]!);
      if (outcome.ok) results.push(outcome.result as TaskResults[K]);
      else failure ??= outcome.error;
    });
    if (failure !== null) throw failure;
    return results;
  }

  /** Reads the sync reply `id` of a slot whose signal is raised. */
  private takeSync(
    slot: Slot,
    id: number,
  ): { ok: true; result: unknown } | { ok: false; error: Error } {
    let crash: CrashNotice | null = null;
    for (;;) {
      const m = receiveMessageOnPort(slot.port);
      if (m === undefined) break;
      const msg = m.message as Reply | CrashNotice;
      if ("crashed" in msg) {
        crash = msg;
        continue;
      }
      if (msg.id !== id) continue;
      if (Atomics.load(slot.signal, 0) === SIGNAL_CRASHED) {
        this.crashed(slot, `worker ${slot.index} died after its task.`);
      }
      return msg.ok
        ? { ok: true, result: msg.result }
        : { ok: false, error: deserializeError(msg.error) };
    }
    const why = describeCrash(crash);
    const message = `worker ${slot.index} crashed during a task: ${why}`;
    this.crashed(slot, message);
    return { ok: false, error: new WorkerCrashError(message) };
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
        slot.port.close();
        await slot.worker.terminate();
        for (const p of inflight)
          p.reject(new WorkerCrashError("WorkerPool: closed while the task ran."));
      }),
    );
  }
}

function describeCrash(crash: CrashNotice | null): string {
  if (crash === null) return "it stopped without a reply.";
  const e: SerializedError | null = crash.error;
  return e === null
    ? `it exited with code ${crash.code}.`
    : `${e.name}: ${e.message} (exit code ${crash.code}).`;
}
