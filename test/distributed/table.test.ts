/**
 * `fit`, `transform`, `inverse` and `evaluate` with `--redis`, against real `modenorm worker` processes
 * on a real Redis: every shard (and the evaluation) is the local run's, byte for byte, for 1 and
 * 3 workers, Parquet and CSV parts; a worker killed mid-job and a coordinator killed mid-run
 * lose nothing and do no shard twice; bad jobs and bad data fail once, named.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Queue } from "bullmq";
import { demoPart } from "../../src/cli/pipeline.js";
import { redisConnection } from "../../src/distributed/connection.js";
import { writeTable } from "../../src/io/index.js";
import { ok } from "../cli/helpers.js";
import {
  assertRedisGone,
  completedJobs,
  kill,
  modenorm,
  mostTries,
  NO_REDIS,
  REDIS_SERVER,
  type RedisServer,
  startRedis,
  until,
  workerFarm,
} from "./helpers.js";

const skip = REDIS_SERVER === "" ? NO_REDIS : false;

/** Blocks and shards small enough for several jobs per part. */
const SMALL = ["--block-rows", "16384", "--shard-rows", "32768", "--no-progress"];
const BIG = ["--block-rows", "65536", "--shard-rows", "131072", "--no-progress"];
/** transform of the 1.6M-row input into `out`, in shards of 131,072 rows. */
const bigTransform = (out: string) => [
  "transform",
  "data/big",
  "-m",
  "data/model.json",
  "-o",
  out,
  ...BIG,
];

describe("fit, transform, inverse and evaluate on queue workers", {
  skip,
  concurrency: false,
}, () => {
  let root: string;
  let redis: RedisServer;
  const farm = workerFarm("t");

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "modenorm-table-queue-"));
    for (const d of ["pq", "csv", "big", "outside"])
      mkdirSync(join(root, "data", d), { recursive: true });
    // Parts of uneven sizes, one of a single row.
    const sizes = [70_001, 1, 49_999];
    for (let p = 0; p < sizes.length; p++) {
      const t = demoPart(5, p, sizes[p]!);
      await writeTable(join(root, "data", "pq", `part-${p}.parquet`), t);
      await writeTable(join(root, "data", "csv", `part-${p}.csv`), t);
    }
    for (let p = 0; p < 4; p++) {
      await writeTable(join(root, "data", "big", `part-${p}.parquet`), demoPart(6, p, 400_000));
    }
    redis = await startRedis(join(root, "redis"));
    ok(root, ["fit", "data/pq", "-o", "data/model.json", "--seed", "4", "--no-progress"]);
  });

  after(async () => {
    await farm.stopAll();
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const newQueue = farm.newQueue;

  const worker = (queue: string) => farm.worker(root, redis, queue);

  /** Every file of two output directories, byte for byte (manifests included). */
  function assertSameOutput(a: string, b: string): void {
    const names = readdirSync(join(root, a)).sort();
    assert.deepEqual(readdirSync(join(root, b)).sort(), names, `${a} vs ${b}: files`);
    for (const n of names) {
      assert.ok(
        readFileSync(join(root, a, n)).equals(readFileSync(join(root, b, n))),
        `${a}/${n} differs from ${b}/${n}`,
      );
    }
  }

  const queued = (queue: string) => ["--redis", redis.url, "--queue", queue];

  async function remote(args: string[], queue: string) {
    const r = await modenorm(root, [...args, ...queued(queue)]).done;
    assert.equal(r.code, 0, r.output);
    return r.output;
  }

  it("the local run's shards and evaluation, byte for byte, with 1 and 3 workers", async () => {
    const queue = newQueue();
    const transform = (input: string, out: string, extra: string[]) => [
      "transform",
      input,
      "-m",
      "data/model.json",
      "-o",
      out,
      ...SMALL,
      ...extra,
    ];
    const cases: [string, string[]][] = [
      ["data/pq", []],
      ["data/csv", ["--layout", "dense", "--format", "csv.gz"]],
    ];
    await worker(queue);
    for (const [n, more] of [
      [1, 0],
      [3, 2],
    ] as const) {
      for (let i = 0; i < more; i++) await worker(queue);
      for (const [k, [input, extra]] of cases.entries()) {
        ok(root, transform(input, `data/local-${n}-${k}`, extra));
        await remote(transform(input, `data/remote-${n}-${k}`, extra), queue);
        assertSameOutput(`data/local-${n}-${k}`, `data/remote-${n}-${k}`);
      }
    }
    const inverse = (out: string) => [
      "inverse",
      "data/local-3-0",
      "-m",
      "data/model.json",
      "-o",
      out,
      ...SMALL,
    ];
    ok(root, inverse("data/decoded-local"));
    await remote(inverse("data/decoded-remote"), queue);
    assertSameOutput("data/decoded-local", "data/decoded-remote");
    const evaluate = [
      "evaluate",
      "data/csv",
      "-m",
      "data/model.json",
      "--json",
      ...SMALL.slice(0, 2),
    ];
    const strip = (text: string) => {
      const { seconds: _s, peakRssMB: _p, ...rest } = JSON.parse(text);
      return rest;
    };
    assert.deepEqual(strip(await remote(evaluate, queue)), strip(ok(root, evaluate)));
  });

  it("fit --redis writes the local fit's model bytes: Parquet parts with 1 worker, CSV parts with 3", async () => {
    const queue = newQueue();
    const fit = (input: string, out: string) => [
      "fit",
      input,
      "-o",
      out,
      "--seed",
      "8",
      "--block-rows",
      "16384",
      "--no-progress",
    ];
    await worker(queue);
    for (const [n, more, input] of [
      [1, 0, "data/pq"],
      [3, 2, "data/csv"],
    ] as const) {
      for (let i = 0; i < more; i++) await worker(queue);
      {
        const name = `${input.slice(5)}-${n}`;
        ok(root, fit(input, `fit-local-${name}.json`));
        await remote(fit(input, `fit-remote-${name}.json`), queue);
        assert.equal(
          readFileSync(join(root, `fit-remote-${name}.json`), "utf8"),
          readFileSync(join(root, `fit-local-${name}.json`), "utf8"),
          `${input}, ${n} worker(s)`,
        );
      }
    }
  });

  it("fit --redis with the coordinator killed mid-run: the same command resumes from Redis, no job twice", async () => {
    const queue = newQueue();
    const ws = [await worker(queue), await worker(queue), await worker(queue)];
    // 1.6M rows of continuous values: a summary job (4M rows at least), then a sample and a
    // refinement step of 2 jobs each (one 2^20-row block each).
    const args = (out: string) => ["fit", "data/big", "-o", out, "--no-progress"];
    const first = modenorm(root, [...args("fit-resumed.json"), ...queued(queue)]);
    const jobs = () => ws.reduce((n, w) => n + completedJobs(w.output()).length, 0);
    await until("the summary done", () => jobs() >= 1);
    await kill(first, "SIGKILL");
    await remote(args("fit-resumed.json"), queue);
    ok(root, args("fit-resumed-local.json"));
    assert.equal(
      readFileSync(join(root, "fit-resumed.json"), "utf8"),
      readFileSync(join(root, "fit-resumed-local.json"), "utf8"),
    );
    const done = ws.flatMap((w) => completedJobs(w.output()));
    assert.equal(new Set(done).size, done.length, "no job completed twice");
    assert.equal(done.length, 5, "1 + 2 + 2 jobs");
  });

  it("a worker killed with SIGKILL mid-job: its shard is written elsewhere, every job completes once", async () => {
    const queue = newQueue();
    const q = new Queue(queue, { connection: redisConnection(redis.url) });
    try {
      const first = await worker(queue);
      const args = bigTransform("data/killed");
      const coordinator = modenorm(root, [...args, ...queued(queue)]);
      await until("a job under way", async () => (await q.getActiveCount()) > 0);
      await kill(first, "SIGKILL");
      const others = [await worker(queue), await worker(queue)];
      const r = await coordinator.done;
      assert.equal(r.code, 0, r.output);
      ok(root, bigTransform("data/killed-local"));
      assertSameOutput("data/killed", "data/killed-local");
      const done = [first, ...others].flatMap((w) => completedJobs(w.output()));
      assert.equal(new Set(done).size, done.length, "no job completed twice");
      assert.equal(done.length, 13, "one job per shard (1.6M rows, shards of 131072)");
      assert.ok(others.some((w) => /completed encode/.test(w.output())));
    } finally {
      await q.close();
    }
  });

  it("the coordinator killed mid-run: --resume finishes from Redis and the shards on disk, no shard twice", async () => {
    const queue = newQueue();
    const ws = [await worker(queue), await worker(queue), await worker(queue)];
    const args = bigTransform("data/resumed");
    const first = modenorm(root, [...args, ...queued(queue)]);
    const jobs = () => ws.reduce((n, w) => n + completedJobs(w.output()).length, 0);
    await until("3 shards done", () => jobs() >= 3);
    await kill(first, "SIGKILL");
    assert.ok(existsSync(join(root, "data", "resumed.partial")), "the partial output is left");
    const again = await modenorm(root, [...args, ...queued(queue)]).done;
    assert.equal(again.code, 1, "without --resume the partial output is refused");
    assert.match(again.output, /--resume/);
    await remote([...args, "--resume"], queue);
    ok(root, bigTransform("data/resumed-local"));
    assertSameOutput("data/resumed", "data/resumed-local");
    const done = ws.flatMap((w) => completedJobs(w.output()));
    assert.equal(new Set(done).size, done.length, "no job completed twice");
    assert.equal(done.length, 13, "one job per shard in all");
  });

  it("Redis stopped for a few seconds and restarted mid-transform: the local run's shards", async () => {
    const queue = newQueue();
    const ws = [await worker(queue), await worker(queue), await worker(queue)];
    const coordinator = modenorm(root, [...bigTransform("data/restart"), ...queued(queue)]);
    const jobs = () => ws.reduce((n, w) => n + completedJobs(w.output()).length, 0);
    await until("3 shards done", () => jobs() >= 3);
    await redis.stop();
    await new Promise((r) => setTimeout(r, 3000));
    await redis.restart();
    const r = await coordinator.done;
    assert.equal(r.code, 0, r.output);
    ok(root, bigTransform("data/restart-local"));
    assertSameOutput("data/restart", "data/restart-local");
  });

  it("Redis gone for longer than --redis-timeout mid-fit: exit 1 naming host and port, no model", async () => {
    const queue = newQueue();
    const w = await worker(queue);
    const coordinator = modenorm(root, [
      "fit",
      "data/big",
      "-o",
      "data/gone.json",
      "--block-rows",
      "65536",
      "--no-progress",
      ...queued(queue),
      "--redis-timeout",
      "2",
    ]);
    await until("a job done", () => completedJobs(w.output()).length >= 1);
    assert.equal(coordinator.child.exitCode, null, coordinator.output());
    await assertRedisGone(redis, coordinator);
    assert.ok(!existsSync(join(root, "data", "gone.json")), "no model is written");
  });

  it("a shard past its deadline (--job-timeout) is tried 3 times, then exit 1 naming it; no output", async () => {
    const queue = newQueue();
    const w = await farm.worker(root, redis, queue, ["--job-timeout", "0.01"]);
    const r = await modenorm(root, [...bigTransform("data/late"), ...queued(queue)]).done;
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /no result within its deadline of 0\.01 s/);
    const most = () =>
      mostTries(w.output(), /failed encode \S+(?: rows \S+)? \(job (\S+)\): [^\n]*deadline/g);
    // The coordinator may see the last failure in Redis before the worker's line of it is read.
    await until("a shard's third failure in the worker's log", () => most() >= 3, 10_000);
    assert.equal(most(), 3, w.output());
    assert.ok(!existsSync(join(root, "data", "late")), "no output");
  });

  it("bad jobs fail once, named: an output outside the data root, bad data; no output is left", async () => {
    const queue = newQueue();
    const w = await worker(queue);
    const outside = await modenorm(root, [
      "transform",
      "data/pq",
      "-m",
      "data/model.json",
      "-o",
      "out-outside",
      ...SMALL,
      ...queued(queue),
    ]).done;
    assert.equal(outside.code, 1, outside.output);
    assert.match(outside.output, /out-outside\.partial: outside the worker's data root/);
    assert.ok(!existsSync(join(root, "out-outside")));
    // Text in a numeric column of the second CSV part.
    const bad = join(root, "data", "bad");
    mkdirSync(bad);
    await writeTable(join(bad, "part-0.csv"), demoPart(5, 0, 1000));
    const t = demoPart(5, 1, 1000);
    (t.columns[0]!.values as Float64Array)[500] = Number.NaN;
    await writeTable(join(bad, "part-1.csv"), t);
    const text = readFileSync(join(bad, "part-1.csv"), "utf8").replace(/\nNaN,/, "\nabc,");
    (await import("node:fs")).writeFileSync(join(bad, "part-1.csv"), text);
    const r = await modenorm(root, [
      "transform",
      "data/bad",
      "-m",
      "data/model.json",
      "-o",
      "data/bad-out",
      ...SMALL,
      ...queued(queue),
    ]).done;
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, /part-1\.csv: line 502, column "value": "abc" is not a number/);
    assert.ok(!existsSync(join(root, "data", "bad-out.partial")), "the partial output is dropped");
    assert.equal((w.output().match(/failed count .*part-1\.csv/g) ?? []).length, 1, w.output());
  });

  it("--redis needs files and a directory output", async () => {
    const queue = newQueue();
    const file = await modenorm(root, [
      "transform",
      "data/pq",
      "-m",
      "data/model.json",
      "-o",
      "data/one.parquet",
      ...queued(queue),
    ]).done;
    assert.equal(file.code, 1, file.output);
    assert.match(file.output, /with --redis the output is a directory of shards/);
    assert.ok(!existsSync(join(root, "data", "one.parquet")));
  });
});
