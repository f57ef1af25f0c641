/**
 * `modenorm serve --processes N`: N server processes on one port, through Node's cluster module
 * (the primary process accepts connections and hands them to the server processes in turn).
 *
 * One registry however many processes: the primary holds its writes. A server process sends
 * upload, activate, rollback and delete to the primary, which runs them as a single process does
 * (one write of a name at a time), tells every server process to forget what it keeps of that
 * name, and answers once they all have: a write that was answered is seen by the next request of
 * every process. `/metrics` on any process answers the sum over all of them (prom-client's
 * `AggregatorRegistry`; a replaced process's counts start again from zero, which Prometheus's
 * `rate` reads as a counter reset). A server process that dies is replaced; the primary stops the
 * server processes when it stops.
 */
import cluster, { type Worker } from "node:cluster";
import { AggregatorRegistry, type Registry } from "prom-client";
import { InvalidInputError } from "../core/errors.js";
import { IoError } from "../io/errors.js";
import { ModelRegistry, RegistryError, type RegistryWrites } from "./registry.js";

type WriteOp = "upload" | "activate" | "rollback" | "remove";

/** An error as it crosses between processes. */
interface WireError {
  kind: "registry" | "invalid" | "other";
  status?: number;
  message: string;
}

/** A request of a server process to the primary, without its id. */
type Ask =
  | { modenorm: "write"; op: WriteOp; name: string; arg?: string | number }
  | { modenorm: "metrics" };

/** Messages of a server process to the primary. */
type ToPrimary =
  | (Ask & { id: number })
  | { modenorm: "forgot"; id: number }
  | { modenorm: "listening"; address: string };

/** Messages of the primary to a server process. */
type ToServer =
  | { modenorm: "answer"; id: number; value?: unknown; error?: WireError }
  | { modenorm: "forget"; id: number; name: string };

function toWire(err: unknown): WireError {
  if (err instanceof RegistryError)
    return { kind: "registry", status: err.status, message: err.message };
  if (err instanceof InvalidInputError) return { kind: "invalid", message: err.message };
  return { kind: "other", message: err instanceof Error ? err.message : String(err) };
}

function fromWire(e: WireError): Error {
  if (e.kind === "registry") return new RegistryError(e.status as 400 | 404 | 409, e.message);
  if (e.kind === "invalid") return new InvalidInputError(e.message);
  return new Error(e.message);
}

/**
 * The primary: forks `processes` server processes (each runs this command again), holds the
 * registry's writes and the metrics' sum, and replaces a server process that dies. Resolves with
 * the address once every server process listens; rejects when one ends before it does.
 */
export function startPrimary(o: { processes: number; models: string }): Promise<string> {
  const registry = new ModelRegistry(o.models);
  const aggregator = new AggregatorRegistry();
  let ready = 0;
  let stopping = false;
  let nextId = 0;
  /** Forget requests not yet answered, by id. */
  const forgetting = new Map<number, { worker: Worker; done: () => void }>();
  const live = () =>
    Object.values(cluster.workers ?? {}).filter((w): w is Worker => w?.isConnected() === true);
  const send = (w: Worker, m: ToServer) => {
    if (w.isConnected()) w.send(m);
  };
  // Every server process forgets `name`; resolves once each has said so or ended.
  const forgetEverywhere = (name: string) =>
    Promise.all(
      live().map(
        (worker) =>
          new Promise<void>((done) => {
            const id = nextId++;
            forgetting.set(id, { worker, done });
            send(worker, { modenorm: "forget", id, name });
          }),
      ),
    );
  const write = (m: Extract<ToPrimary, { modenorm: "write" }>): Promise<unknown> => {
    switch (m.op) {
      case "upload":
        return registry.upload(m.name, String(m.arg));
      case "activate":
        return registry.activate(m.name, Number(m.arg));
      case "rollback":
        return registry.rollback(m.name);
      case "remove":
        return registry.remove(m.name, Number(m.arg));
    }
  };
  process.on("exit", () => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill("SIGTERM");
  });
  return new Promise<string>((resolve, reject) => {
    cluster.on("message", (worker, m: ToPrimary) => {
      switch (m?.modenorm) {
        case "write":
          // A failed write changed nothing a reader could see, but forgetting costs one read.
          write(m)
            .then(
              (value) => ({ value }),
              (err: unknown) => ({ error: toWire(err) }),
            )
            .then(async (answer) => {
              await forgetEverywhere(m.name);
              send(worker, { modenorm: "answer", id: m.id, ...answer });
            });
          return;
        case "metrics":
          aggregator.clusterMetrics().then(
            (value) => send(worker, { modenorm: "answer", id: m.id, value }),
            (err: unknown) => send(worker, { modenorm: "answer", id: m.id, error: toWire(err) }),
          );
          return;
        case "forgot": {
          const f = forgetting.get(m.id);
          forgetting.delete(m.id);
          f?.done();
          return;
        }
        case "listening":
          // A replacement's address is the same; the promise is settled by then.
          if (++ready === o.processes) resolve(m.address);
          return;
      }
    });
    cluster.on("exit", (worker, code, signal) => {
      for (const [id, f] of forgetting) {
        if (f.worker === worker) {
          forgetting.delete(id);
          f.done();
        }
      }
      if (stopping) return;
      if (ready < o.processes) {
        // A server process that cannot start (its own message says why) stops them all.
        stopping = true;
        for (const w of live()) w.process.kill("SIGTERM");
        reject(
          new IoError(
            `a server process ended before it listened (${signal ?? `exit code ${code}`}); its message is above.`,
          ),
        );
        return;
      }
      process.stderr.write(
        `modenorm serve: server process ${worker.process.pid} ended (${signal ?? `exit code ${code}`}); starting another\n`,
      );
      cluster.fork();
    });
    for (let i = 0; i < o.processes; i++) cluster.fork();
  });
}

/** A server process's side: its registry writes and metrics go through the primary. */
export interface ServerLink {
  writes: RegistryWrites;
  metricsText(): Promise<string>;
  /** Connects this process's registry (to forget names) and metrics (to be summed). */
  attach(registry: ModelRegistry, metrics: Registry): void;
  /** Tells the primary this process listens at `address`. */
  listening(address: string): void;
}

export function serverLink(): ServerLink {
  let nextId = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let registry: ModelRegistry | null = null;
  const tell = (m: ToPrimary) => process.send?.(m);
  process.on("message", (m: ToServer) => {
    if (m?.modenorm === "answer") {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error === undefined) w?.resolve(m.value);
      else w?.reject(fromWire(m.error));
    } else if (m?.modenorm === "forget") {
      registry?.forget(m.name);
      tell({ modenorm: "forgot", id: m.id });
    }
  });
  const ask = <T>(m: Ask): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      tell({ ...m, id } as ToPrimary);
    });
  return {
    writes: {
      upload: (name, text) => ask({ modenorm: "write", op: "upload", name, arg: text }),
      activate: (name, version) => ask({ modenorm: "write", op: "activate", name, arg: version }),
      rollback: (name) => ask({ modenorm: "write", op: "rollback", name }),
      remove: (name, version) => ask({ modenorm: "write", op: "remove", name, arg: version }),
    },
    metricsText: () => ask<string>({ modenorm: "metrics" }),
    attach(r, metrics) {
      registry = r;
      // Answers the primary's requests for this process's metrics.
      new AggregatorRegistry();
      AggregatorRegistry.setRegistries([metrics]);
    },
    listening: (address) => tell({ modenorm: "listening", address }),
  };
}
