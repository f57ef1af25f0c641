/** Helpers of the service tests: real processes on free loopback ports, stopped by PID. */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { CLI } from "../cli/helpers.js";

export interface Server {
  url: string;
  child: ChildProcess;
  /** What the server wrote to standard error so far. */
  stderr(): string;
}

/**
 * Writes `token` to `<dir>/token` and starts `modenorm serve` with `<dir>/models` and that token
 * file, plus `extra` arguments.
 */
export function startWithToken(dir: string, token: string, extra: string[] = []): Promise<Server> {
  writeFileSync(join(dir, "token"), `${token}\n`);
  return startServer([
    "--models",
    join(dir, "models"),
    "--token-file",
    join(dir, "token"),
    ...extra,
  ]);
}

/** Starts `modenorm serve` on port 0 and reads the address it prints. */
export async function startServer(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/[^ ]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  return { url, child, stderr: () => err };
}

export function stop(s: Server): Promise<void> {
  return new Promise((resolve) => {
    s.child.once("exit", () => resolve());
    process.kill(s.child.pid!, "SIGTERM");
  });
}

/** A free TCP port on 127.0.0.1 (for servers that cannot take port 0 and report it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
