/**
 * `modenorm cluster --redis` with real `modenorm worker` processes on a real Redis: the model is
 * the local run's bytes for 1, 2 and 3 workers, and each failure is survived or reported — a
 * worker killed mid-job, the coordinator killed mid-run and rerun, Redis restarted, Redis gone,
 * a poisoned payload, a part outside the data root, bad data.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import { generateBlobs } from "../../src/core/synthetic.js";
import { redisConnection } from "../../src/distributed/connection.js";
import { ok, sharedFile } from "../cli/helpers.js";
import {
  assertRedisGone,
  completedJobs,
  kill,
  makeCertificates,
  modenorm,
  mostTries,
  NO_REDIS,
  OPENSSL,
  type Proc,
  REDIS_SERVER,
  type RedisServer,
  startRedis,
  startWorkerProcess,
  until,
  workerFarm,
} from "./helpers.js";

/** A CSV part of blobs; every 41st row misses its `y`. */
function blobPart(n: number, seed: number): string {
  const b = generateBlobs(n, 3, 4, seed, [0.5, 1, 1.5, 0.8]);
  const lines = ["x,y,z"];
  for (let i = 0; i < n; i++) {
    const r = b.data.subarray(i * 3, i * 3 + 3);
    lines.push(`${r[0]},${i % 41 === 7 ? "" : r[1]},${r[2]}`);
  }
  return `${lines.join("\n")}\n`;
}

const skip = REDIS_SERVER === "" ? NO_REDIS : false;

describe("cluster on queue workers", { skip, concurrency: false }, () => {
  let root: string;
  let redis: RedisServer;
  const farm = workerFarm("q");

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "modenorm-distributed-"));
    mkdirSync(join(root, "data", "small"), { recursive: true });
    mkdirSync(join(root, "data", "big"), { recursive: true });
    mkdirSync(join(root, "outside"));
    for (let p = 0; p < 3; p++)
      writeFileSync(join(root, "data", "small", `part-${p}.csv`), blobPart(40_000, 10 + p));
    for (let p = 0; p < 2; p++)
      writeFileSync(join(root, "data", "big", `part-${p}.csv`), blobPart(300_000, 20 + p));
    writeFileSync(join(root, "outside", "x.csv"), blobPart(1000, 3));
    writeFileSync(join(root, "data", "bad.csv"), `x,y,z\n${"1,2,3\n".repeat(50)}4,abc,6\n`);
    redis = await startRedis(join(root, "redis"));
  });

  after(async () => {
    await farm.stopAll();
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const newQueue = farm.newQueue;

  const worker = (queue: string) => farm.worker(root, redis, queue);

  function clusterArgs(data: string, out: string, extra: string[] = []): string[] {
    return [
      "cluster",
      data,
      "--columns",
      "x,y,z",
      "--components",
      "4",
      "--missing",
      "skip",
      "--standardize",
      "-o",
      out,
      "--no-progress",
      ...extra,
    ];
  }

  const read = (name: string) => readFileSync(join(root, name), "utf8");

  it("cluster --redis writes the local run's model bytes with 1, 2 and 3 workers", async () => {
    const queue = newQueue();
    ok(root, clusterArgs("data/small", "local.json", ["--bayesian", "--assignments", "local.csv"]));
    for (let n = 1; n <= 3; n++) {
      await worker(queue);
      const out = `remote-${n}.json`;
      const extra = n === 3 ? ["--assignments", "remote.csv"] : [];
      const r = await modenorm(
        root,
        clusterArgs("data/small", out, [
          "--bayesian",
          "--redis",
          redis.url,
          "--queue",
          queue,
          ...extra,
        ]),
      ).done;
      assert.equal(r.code, 0, r.output);
      assert.equal(read(out), read("local.json"), `${n} worker(s)`);
    }
    // The assignments, streamed from the input again, are those of the local run's rows in memory.
    assert.equal(read("remote.csv"), read("local.csv"));
    assert.equal(read("local.csv").split("\n").length, 3 * 40_000 + 2);
  });

  it("the IMDb movies table with 3 workers: the local run's model bytes", async (t) => {
    const movies = sharedFile(t, "imdb_movies.csv");
    if (movies === null) return;
    const queue = newQueue();
    for (let i = 0; i < 3; i++) {
      farm.adopt(await startWorkerProcess(root, redis, dirname(movies), ["--queue", queue]));
    }
    const args = (out: string) => [
      "cluster",
      movies,
      "--escape-char",
      "\\",
      "--columns",
      "imdbRating,ratingCount,duration,year,nrOfWins,nrOfNominations",
      "--components",
      "4",
      "--standardize",
      "--missing",
      "skip",
      "-o",
      out,
      "--no-progress",
    ];
    ok(root, args("imdb-local.json"));
    const r = await modenorm(root, [
      ...args("imdb-remote.json"),
      "--redis",
      redis.url,
      "--queue",
      queue,
    ]).done;
    assert.equal(r.code, 0, r.output);
    assert.equal(read("imdb-remote.json"), read("imdb-local.json"));
  });

  it("a worker killed with SIGKILL mid-job: its job runs elsewhere, every job completes once", async () => {
    const queue = newQueue();
    const q = new Queue(queue, { connection: redisConnection(redis.url) });
    try {
      const first = await worker(queue);
      const coordinator = modenorm(
        root,
        clusterArgs("data/big", "killed.json", ["--redis", redis.url, "--queue", queue]),
      );
      await until("a job under way", async () => (await q.getActiveCount()) > 0);
      await kill(first, "SIGKILL");
      const others = [await worker(queue), await worker(queue)];
      const r = await coordinator.done;
      assert.equal(r.code, 0, r.output);
      ok(root, clusterArgs("data/big", "killed-local.json"));
      assert.equal(read("killed.json"), read("killed-local.json"));
      const done = [
        ...completedJobs(first.output()),
        ...others.flatMap((w) => completedJobs(w.output())),
      ];
      assert.equal(new Set(done).size, done.length, "no job completed twice");
      assert.ok(
        others.some((w) => /completed scan/.test(w.output())),
        "the killed worker's scan was taken over",
      );
    } finally {
      await q.close();
    }
  });

  it("the coordinator killed mid-run: the same command resumes from Redis, no step added twice", async () => {
    const queue = newQueue();
    const ws = [await worker(queue), await worker(queue), await worker(queue)];
    const args = clusterArgs("data/small", "resumed.json", [
      "--tol",
      "0",
      "--max-iter",
      "40",
      "--redis",
      redis.url,
      "--queue",
      queue,
    ]);
    const first = modenorm(root, args);
    const steps = () => ws.reduce((n, w) => n + completedJobs(w.output()).length, 0);
    await until("10 jobs done", () => steps() >= 10);
    await kill(first, "SIGKILL");
    const before = steps();
    const r = await modenorm(root, args).done;
    assert.equal(r.code, 0, r.output);
    ok(root, clusterArgs("data/small", "resumed-local.json", ["--tol", "0", "--max-iter", "40"]));
    assert.equal(read("resumed.json"), read("resumed-local.json"));
    const done = ws.flatMap((w) => completedJobs(w.output()));
    assert.equal(new Set(done).size, done.length, "no job completed twice");
    // 3 parts: a scan, a sample, the moments and 40 iterations, each one job per part.
    assert.equal(done.length, 3 * (3 + 40), `jobs before the kill: ${before}`);
  });

  it("Redis stopped for a few seconds and restarted: the run completes with the same model", async () => {
    const queue = newQueue();
    const ws = [await worker(queue), await worker(queue), await worker(queue)];
    const args = clusterArgs("data/small", "restart.json", [
      "--tol",
      "0",
      "--max-iter",
      "60",
      "--redis",
      redis.url,
      "--queue",
      queue,
    ]);
    const coordinator = modenorm(root, args);
    await until(
      "12 jobs done",
      () => ws.reduce((n, w) => n + completedJobs(w.output()).length, 0) >= 12,
    );
    await redis.stop();
    await new Promise((r) => setTimeout(r, 3000));
    await redis.restart();
    const r = await coordinator.done;
    assert.equal(r.code, 0, r.output);
    ok(root, clusterArgs("data/small", "restart-local.json", ["--tol", "0", "--max-iter", "60"]));
    assert.equal(read("restart.json"), read("restart-local.json"));
  });

  it("Redis gone for longer than --redis-timeout: exit 1 naming host and port, no model", async () => {
    const queue = newQueue();
    await worker(queue);
    const coordinator = modenorm(
      root,
      clusterArgs("data/small", "gone.json", [
        "--tol",
        "0",
        "--max-iter",
        "5000",
        "--redis",
        redis.url,
        "--queue",
        queue,
        "--redis-timeout",
        "2",
      ]),
    );
    // Under way: connected, scanning or iterating (5000 iterations outlast the wait).
    await new Promise((r) => setTimeout(r, 1500));
    await assertRedisGone(redis, coordinator);
    assert.throws(() => read("gone.json"));
  });

  it("a job past its deadline (--job-timeout) fails and is retried; past it every time: exit 1 naming it", async () => {
    const queue = newQueue();
    const w = await startWorkerProcess(root, redis, join(root, "data"), [
      "--queue",
      queue,
      "--job-timeout",
      "0.01",
    ]);
    farm.adopt(w);
    const r = await modenorm(
      root,
      clusterArgs("data/big", "late.json", ["--redis", redis.url, "--queue", queue]),
    ).done;
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /no result within its deadline of 0\.01 s/);
    // Each job that ran out of time was tried again, 3 attempts at most; one used all 3 (a scan
    // retried after its part finished loading in the background completes instead).
    const most = () =>
      mostTries(w.output(), /failed \S+ \S+(?: blocks \S+)? \(job (\S+)\): [^\n]*deadline/g);
    // The coordinator may see the last failure in Redis before the worker's line of it is read.
    await until("a job's third failure in the worker's log", () => most() >= 3, 10_000);
    assert.equal(most(), 3, w.output());
    assert.throws(() => read("late.json"));
  });

  it("poisoned jobs fail once without retries: a bad payload, a part outside the data root, bad data", async () => {
    const queue = newQueue();
    const w = await worker(queue);
    const q = new Queue(queue, { connection: redisConnection(redis.url) });
    try {
      const job = await q.add(
        "estep",
        { kind: "estep", part: 5 },
        { jobId: "poison-1", attempts: 3 },
      );
      await until("the poisoned job failed", async () => (await job.getState()) === "failed");
      const failed = await q.getJob("poison-1");
      assert.equal(failed!.attemptsMade, 1);
      assert.match(failed!.failedReason, /poisoned job poison-1: .*must/);
    } finally {
      await q.close();
    }
    const outside = await modenorm(
      root,
      clusterArgs("outside/x.csv", "o.json", ["--redis", redis.url, "--queue", queue]),
    ).done;
    assert.equal(outside.code, 1, outside.output);
    assert.match(outside.output, /x\.csv: outside the worker's data root/);
    const bad = await modenorm(
      root,
      clusterArgs("data/bad.csv", "b.json", ["--redis", redis.url, "--queue", queue]),
    ).done;
    assert.equal(bad.code, 1, bad.output);
    assert.match(bad.output, /failed: \S+bad\.csv: line 52, column "y": "abc" is not a number/);
    assert.equal((w.output().match(/failed scan .*bad\.csv/g) ?? []).length, 1, w.output());
  });
});

describe("cluster on queue workers over TLS with an ACL user", {
  skip: skip || (OPENSSL === "" ? "openssl is not installed" : false),
}, () => {
  it("rediss:// with a user and password and the CA in MODENORM_REDIS_CA: the local model; a wrong password is named", async () => {
    const root = mkdtempSync(join(tmpdir(), "modenorm-tls-"));
    let redis: RedisServer | null = null;
    let w: Proc | null = null;
    try {
      mkdirSync(join(root, "data"));
      writeFileSync(join(root, "data", "part-0.csv"), blobPart(20_000, 4));
      const certs = makeCertificates(join(root, "certs"));
      redis = await startRedis(join(root, "redis"), {
        ...certs,
        user: "modenorm",
        password: "acl-pass-0123",
      });
      const env = { MODENORM_REDIS_CA: certs.ca };
      w = await startWorkerProcess(root, redis, join(root, "data"), [], env);
      const args = [
        "cluster",
        "data",
        "--columns",
        "x,y,z",
        "--components",
        "3",
        "--missing",
        "skip",
        "--no-progress",
      ];
      const r = await modenorm(root, [...args, "-o", "tls.json", "--redis", redis.url], env).done;
      assert.equal(r.code, 0, r.output);
      ok(root, [...args, "-o", "local.json"]);
      assert.equal(
        readFileSync(join(root, "tls.json"), "utf8"),
        readFileSync(join(root, "local.json"), "utf8"),
      );
      const wrong = redis.url.replace("acl-pass-0123", "nope");
      const bad = await modenorm(
        root,
        [...args, "-o", "bad.json", "--redis", wrong, "--redis-timeout", "2"],
        env,
      ).done;
      assert.equal(bad.code, 1, bad.output);
      assert.match(bad.output, /Redis at localhost:\d+: unreachable for 2 s \(WRONGPASS/);
      const noCa = await modenorm(root, [
        ...args,
        "-o",
        "bad.json",
        "--redis",
        redis.url,
        "--redis-timeout",
        "2",
      ]).done;
      assert.equal(noCa.code, 1, noCa.output);
      assert.match(noCa.output, /unreachable for 2 s \(self-signed certificate/);
    } finally {
      if (w !== null) await kill(w, "SIGKILL");
      await redis?.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
