/** `modenorm serve`: the HTTP service on a port, until SIGINT or SIGTERM. */
import cluster from "node:cluster";
import { mkdir } from "node:fs/promises";
import { IoError } from "../io/errors.js";
import { WorkerPool } from "../run/pool.js";
import { buildApp } from "../serve/app.js";
import { readToken } from "../serve/auth.js";
import { serverLink, startPrimary } from "../serve/cluster.js";
import { UsageError } from "./option-checks.js";
import { reportError } from "./shared.js";
import { noteStop } from "./signals.js";

export interface ServeCommandOptions {
  models: string;
  host: string;
  port: number;
  tokenFile?: string;
  tokenReads?: boolean;
  threads?: number;
  processes?: number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Listens, or says why the address cannot be had (exit 1). */
async function listenOn(
  app: { listen(o: { host: string; port: number }): Promise<string> },
  host: string,
  port: number,
): Promise<string> {
  try {
    return await app.listen({ host, port });
  } catch (err) {
    const why: Record<string, string> = {
      EADDRINUSE: "the address is in use (another server on that port?); choose another --port",
      EACCES: "permission denied (ports below 1024 need privileges); choose another --port",
      EADDRNOTAVAIL: "no such address on this machine; give --host one of its addresses",
    };
    const reason = why[(err as { code?: string }).code ?? ""];
    if (reason === undefined) throw err;
    throw new IoError(`cannot listen on ${host}:${port}: ${reason}.`);
  }
}

export async function serveCommand(o: ServeCommandOptions): Promise<void> {
  if (!LOOPBACK.test(o.host) && o.tokenFile === undefined)
    throw new UsageError(
      `--host ${o.host} is not a loopback address: give --token-file so that only token holders can change models (or serve on 127.0.0.1 behind a proxy).`,
    );
  if (o.tokenReads && o.tokenFile === undefined)
    throw new UsageError("--token-reads needs --token-file.");
  const token = o.tokenFile === undefined ? null : await readToken(o.tokenFile);
  await mkdir(o.models, { recursive: true });
  const processes = o.processes ?? 1;
  // A stop is the end of a service's run, not of an output: the primary (or the one process)
  // says so; server processes stopped by the primary say nothing.
  noteStop(
    processes > 1 && !cluster.isPrimary
      ? null
      : `the service stopped; the registry in ${o.models} is whole (every write is atomic)`,
  );
  if (processes > 1 && cluster.isPrimary) {
    // The primary forks the server processes (each runs this command again) and holds the
    // registry's writes.
    const address = await startPrimary({ processes, models: o.models });
    process.stdout.write(
      `modenorm serve: listening on ${address} (models in ${o.models}; ${processes} server processes)\n`,
    );
    return;
  }
  const link = processes > 1 ? serverLink() : null;
  try {
    // Large bodies run on worker threads; the pool lives as long as the server.
    const pool = o.threads === undefined ? undefined : new WorkerPool({ size: o.threads });
    const { app, registry, metrics } = await buildApp({
      models: o.models,
      token,
      tokenReads: o.tokenReads,
      pool,
      writes: link?.writes,
      metricsText: link?.metricsText,
    });
    link?.attach(registry, metrics.registry);
    const address = await listenOn(app, o.host, o.port);
    if (link !== null) link.listening(address);
    else process.stdout.write(`modenorm serve: listening on ${address} (models in ${o.models})\n`);
  } catch (err) {
    // A server process says why and ends: its channel to the primary would keep it alive.
    if (link !== null) process.exit(reportError(err));
    throw err;
  }
  // The server runs until SIGINT or SIGTERM (exit 130 or 143, see signals.ts): registry writes
  // are atomic, so a stop mid-request leaves no half-written model.
}
