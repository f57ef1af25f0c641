/**
 * A real redis-server and real `modenorm worker` processes for the distributed benchmarks, on
 * this machine's cores (so their numbers are for the machine, not a cluster). Stopped by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { ROOT } from "./common.js";

export const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const PASSWORD = "bench-password-0123";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function waitFor(child: ChildProcess, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = "";
    const on = (d: Buffer) => {
      text += d;
      if (pattern.test(text)) resolve();
    };
    child.stdout?.on("data", on);
    child.stderr?.on("data", on);
    child.once("exit", (c) => reject(new Error(`exited ${c}: ${text}`)));
  });
}

/** A running Redis with workers whose data root is `dir`. */
export interface RedisFarm {
  url: string;
  /** Replaces the running workers with `n` of `threads` threads each. */
  startWorkers(n: number, threads: number): Promise<void>;
  stop(): void;
}

/** Starts redis-server (its files in `dir`) on a free loopback port. */
export async function startRedisFarm(dir: string): Promise<RedisFarm> {
  const port = await freePort();
  const url = `redis://:${PASSWORD}@127.0.0.1:${port}`;
  const redis = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--requirepass",
      PASSWORD,
      "--save",
      "",
      "--dir",
      dir,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  await waitFor(redis, /Ready to accept connections/);
  const workers: ChildProcess[] = [];
  return {
    url,
    async startWorkers(n, threads) {
      for (const w of workers.splice(0)) w.kill("SIGKILL");
      for (let i = 0; i < n; i++) {
        const w = spawn(
          process.execPath,
          [
            CLI,
            "worker",
            "--redis",
            url,
            "--data-root",
            dir,
            "--threads",
            String(threads),
            "--quiet",
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
        await waitFor(w, /waiting for jobs/);
        workers.push(w);
      }
    },
    stop() {
      for (const w of workers) w.kill("SIGKILL");
      redis.kill("SIGTERM");
    },
  };
}
