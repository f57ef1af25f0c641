/**
 * Helpers of the distributed tests: a real `redis-server` (Debian's, installed by `.ci/run`) on a
 * free loopback port with a password and append-only persistence, real `modenorm worker` and
 * coordinator processes; everything stopped by PID.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CLI } from "../cli/helpers.js";
import { freePort } from "../serve/helpers.js";

/** Path of redis-server, or "" when it is not installed. */
export const REDIS_SERVER = spawnSync("sh", ["-c", "command -v redis-server"], {
  encoding: "utf8",
}).stdout.trim();

export const NO_REDIS =
  "redis-server is not installed (apt-get install -y redis-server; .ci/run does it)";

export const PASSWORD = "test-password-0123";

/** A running Redis. */
export interface RedisServer {
  url: string;
  port: number;
  child: ChildProcess;
  /** Stops it (SIGTERM: the append-only file is flushed) and waits for its exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and directory. */
  restart(): Promise<void>;
}

function waitFor(child: ChildProcess, pattern: RegExp, what: string, ms = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const timer = setTimeout(
      () => reject(new Error(`${what}: no ${pattern} in ${ms} ms:\n${text}`)),
      ms,
    );
    const on = (d: Buffer) => {
      text += d;
      if (pattern.test(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    };
    child.stdout?.on("data", on);
    child.stderr?.on("data", on);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited ${code}:\n${text}`));
    });
  });
}

/** Starts redis-server in `dir` on a free port. */
export async function startRedis(dir: string): Promise<RedisServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--requirepass",
    PASSWORD,
    "--dir",
    dir,
    "--appendonly",
    "yes",
    "--appendfsync",
    "everysec",
    "--save",
    "",
    "--maxmemory-policy",
    "noeviction",
  ];
  const server: RedisServer = {
    url: `redis://:${PASSWORD}@127.0.0.1:${port}`,
    port,
    child: null as unknown as ChildProcess,
    async stop() {
      const c = server.child;
      if (c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => c.once("exit", () => resolve()));
      process.kill(c.pid!, "SIGTERM");
      await gone;
    },
    async restart() {
      server.child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
      await waitFor(server.child, /Ready to accept connections/, "redis-server");
    },
  };
  await server.restart();
  return server;
}

/** A running process with its output so far. */
export interface Proc {
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or the signal's conventional code). */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

/** Spawns `modenorm …args` in `cwd`. */
export function modenorm(cwd: string, args: string[]): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (d) => (text += d));
  child.stderr!.on("data", (d) => (text += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>(
    (resolve) => child.once("exit", (code, signal) => resolve({ code, signal, output: text })),
  );
  return { child, output: () => text, done };
}

/** Starts a worker and waits until it takes jobs. */
export async function startWorkerProcess(
  cwd: string,
  redis: RedisServer,
  dataRoot: string,
  extra: string[] = [],
): Promise<Proc> {
  const p = modenorm(cwd, [
    "worker",
    "--redis",
    redis.url,
    "--data-root",
    dataRoot,
    "--threads",
    "1",
    ...extra,
  ]);
  await waitFor(p.child, /waiting for jobs/, "modenorm worker");
  return p;
}

/** Stops a process by PID with `signal` and waits for it to exit. */
export async function kill(p: Proc, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  process.kill(p.child.pid!, signal);
  await p.done;
}

/** Polls `check` every 25 ms until it is true, for at most `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Ids of the jobs a worker's log says it completed. */
export function completedJobs(log: string): string[] {
  return [...log.matchAll(/completed \S+ \S+(?: blocks \S+)? \(job (\S+)\)/g)].map((m) => m[1]!);
}

export const dataDir = (root: string) => join(root, "data");
