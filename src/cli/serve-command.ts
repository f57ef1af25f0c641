/** `modenorm serve`: the HTTP service on a port, until SIGINT or SIGTERM. */
import { mkdir } from "node:fs/promises";
import { buildApp } from "../serve/app.js";
import { readToken } from "../serve/auth.js";
import { UsageError } from "./option-checks.js";

export interface ServeCommandOptions {
  models: string;
  host: string;
  port: number;
  tokenFile?: string;
  tokenReads?: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export async function serveCommand(o: ServeCommandOptions): Promise<void> {
  if (!LOOPBACK.test(o.host) && o.tokenFile === undefined)
    throw new UsageError(
      `--host ${o.host} is not a loopback address: give --token-file so that only token holders can change models (or serve on 127.0.0.1 behind a proxy).`,
    );
  if (o.tokenReads && o.tokenFile === undefined)
    throw new UsageError("--token-reads needs --token-file.");
  const token = o.tokenFile === undefined ? null : await readToken(o.tokenFile);
  await mkdir(o.models, { recursive: true });
  const { app } = await buildApp({ models: o.models, token, tokenReads: o.tokenReads });
  const address = await app.listen({ host: o.host, port: o.port });
  process.stdout.write(`modenorm serve: listening on ${address} (models in ${o.models})\n`);
  // The server runs until SIGINT or SIGTERM (exit 130 or 143, see signals.ts): registry writes
  // are atomic, so a stop mid-request leaves no half-written model.
}
