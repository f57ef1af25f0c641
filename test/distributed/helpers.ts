/**
 * Helpers of the distributed tests: a real `redis-server` (Debian's, installed by `.ci/run`) on a
 * free loopback port with a password and append-only persistence, real `modenorm worker` and
 * coordinator processes; everything stopped by PID.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
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

/** TLS files and an ACL user for {@link startRedis}. */
export interface RedisSecurity {
  cert: string;
  key: string;
  ca: string;
  user: string;
  password: string;
}

/**
 * Starts redis-server in `dir` on a free port: with a password for the default user, or with
 * `security`: TLS only and the default user off, one ACL user.
 */
export async function startRedis(dir: string, security?: RedisSecurity): Promise<RedisServer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const access =
    security === undefined
      ? ["--port", String(port), "--requirepass", PASSWORD]
      : [
          "--port",
          "0",
          "--tls-port",
          String(port),
          "--tls-cert-file",
          security.cert,
          "--tls-key-file",
          security.key,
          "--tls-ca-cert-file",
          security.ca,
          "--tls-auth-clients",
          "no",
          "--user",
          "default",
          "off",
          "--user",
          security.user,
          "on",
          `>${security.password}`,
          "~*",
          "&*",
          "+@all",
        ];
  const args = [
    ...access,
    "--bind",
    "127.0.0.1",
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
    url:
      security === undefined
        ? `redis://:${PASSWORD}@127.0.0.1:${port}`
        : `rediss://${security.user}:${security.password}@localhost:${port}`,
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

/** Spawns `modenorm …args` in `cwd` (with `env` added to this process's environment). */
export function modenorm(cwd: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
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
  env: Record<string, string> = {},
): Promise<Proc> {
  const p = modenorm(
    cwd,
    ["worker", "--redis", redis.url, "--data-root", dataRoot, "--threads", "1", ...extra],
    env,
  );
  await waitFor(p.child, /waiting for jobs/, "modenorm worker");
  return p;
}

/** Stops a process by PID with `signal` and waits for it to exit. */
export async function kill(p: Proc, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  process.kill(p.child.pid!, signal);
  await p.done;
}

/**
 * Stops Redis under a running coordinator started with `--redis-timeout 2`, and checks it exits 1
 * naming Redis's host and port (Redis is started again for the next test).
 */
export async function assertRedisGone(redis: RedisServer, coordinator: Proc): Promise<void> {
  await redis.stop();
  const r = await coordinator.done;
  await redis.restart();
  assert.equal(r.code, 1, r.output);
  assert.match(r.output, new RegExp(`Redis at 127\\.0\\.0\\.1:${redis.port}: unreachable for 2 s`));
}

/** Polls `check` every 25 ms until it is true, for at most `ms`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The most lines of `log` matching `failure` (its group 1: a job id) for one job; 0 for none. */
export function mostTries(log: string, failure: RegExp): number {
  const tries = new Map<string, number>();
  for (const m of log.matchAll(failure)) tries.set(m[1]!, (tries.get(m[1]!) ?? 0) + 1);
  return Math.max(0, ...tries.values());
}

/** Ids of the jobs a worker's log says it completed. */
export function completedJobs(log: string): string[] {
  return [...log.matchAll(/completed \S+ \S+(?: (?:blocks|rows) \S+)? \(job (\S+)\)/g)].map(
    (m) => m[1]!,
  );
}

/** Path of openssl, or "" when it is not installed. */
export const OPENSSL = spawnSync("sh", ["-c", "command -v openssl"], {
  encoding: "utf8",
}).stdout.trim();

/** A CA and a certificate for localhost signed by it, written in `dir` (openssl). */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const run = (args: string[]) => {
    const r = spawnSync(OPENSSL, args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  };
  run([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=modenorm-test-ca",
  ]);
  run([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  ]);
  writeFileSync(join(dir, "ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  run([
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.crt",
    "-days",
    "2",
    "-extfile",
    "ext",
  ]);
  return { ca: join(dir, "ca.crt"), cert: join(dir, "server.crt"), key: join(dir, "server.key") };
}

/**
 * The worker processes of a suite: each test's on a queue of its own (so no test sees another's
 * jobs), reading `<root>/data`; `stopAll` kills them by PID.
 */
export function workerFarm(prefix: string) {
  const workers: Proc[] = [];
  let queues = 0;
  return {
    newQueue: () => `${prefix}${++queues}`,
    async worker(
      root: string,
      redis: RedisServer,
      queue: string,
      extra: string[] = [],
    ): Promise<Proc> {
      const w = await startWorkerProcess(root, redis, join(root, "data"), [
        "--queue",
        queue,
        ...extra,
      ]);
      workers.push(w);
      return w;
    },
    /** Adds a worker started elsewhere, to be stopped with the others. */
    adopt(w: Proc): void {
      workers.push(w);
    },
    async stopAll(): Promise<void> {
      for (const w of workers) await kill(w, "SIGKILL");
    },
  };
}
