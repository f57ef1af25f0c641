/**
 * The distributed mode on this machine: a real redis-server and real `modenorm worker` processes,
 * all on the same cores as the coordinator (so the numbers are for the machine, not a cluster).
 *
 * 1. Per-step overhead: one E-step as a flow of 16 children (16 parts of 1,000 rows) through
 *    Redis, against the same E-step on the local thread source.
 * 2. `modenorm cluster` on `--rows` rows (Parquet parts, 3 columns, 4 blobs, 20 iterations):
 *    the local threaded run against --redis with 1 worker (2 threads) and 2 workers (1 thread
 *    each), whole commands, interleaved, median of `--runs`.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redisClusterData } from "../src/distributed/cluster-data.js";
import { writeTable } from "../src/io/index.js";
import { openTableStream } from "../src/io/stream.js";
import { localClusterData, sampleIndices } from "../src/run/cluster.js";
import { readClusterRows } from "../src/run/cluster-rows.js";
import { WorkerPool } from "../src/run/pool.js";
import { benchOptions, blobTable, emit, machine } from "./common.js";
import { CLI, startRedisFarm } from "./redis-farm.js";

const o = benchOptions(
  "The distributed mode: per-step overhead and cluster against the local run.",
  {
    rows: { default: "4000000", help: "rows of the cluster comparison", kind: "count" },
    parts: { default: "8", help: "Parquet parts of the cluster comparison", kind: "count" },
    runs: { default: "3", help: "runs of each cluster command", kind: "count" },
    steps: { default: "40", help: "E-steps timed for the overhead", kind: "count" },
    concurrency: { default: "4", help: "jobs at once per worker", kind: "count" },
  },
);
const table = (n: number, seed: number) => blobTable(n, seed).table;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0) {
    emit({
      bench: "distributed",
      skipped: "redis-server is not installed (apt-get install -y redis-server)",
    });
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "modenorm-bench-distributed-"));
  const farm = await startRedisFarm(dir);
  const { url, startWorkers } = farm;
  try {
    // 1. Per-step overhead with 16 children.
    mkdirSync(join(dir, "tiny"));
    const tiny: string[] = [];
    for (let p = 0; p < 16; p++) {
      const f = join(dir, "tiny", `part-${p}.parquet`);
      await writeTable(f, table(1000, p));
      tiny.push(f);
    }
    await startWorkers(2, 1);
    const spec = {
      parts: tiny,
      read: { encoding: "utf8" as const, escapeChar: null, nonNumeric: "error" as const },
      columns: ["x", "y", "z"],
      missing: "error" as const,
    };
    const remote = await redisClusterData(spec, { bench: Date.now() }, { redis: url });
    const pool = new WorkerPool({ size: 2 });
    const local = localClusterData(
      await readClusterRows(
        tiny,
        (f) => openTableStream(f, { columns: spec.columns }),
        spec.columns,
        "error",
      ),
      pool,
    );
    const sample = await local.rowsAt(sampleIndices(local.rows, 4));
    const terms = {
      nComponents: 4,
      nFeatures: 3,
      covarianceType: "full" as const,
      logConst: new Float64Array(4),
      means: sample,
      precChol: Float64Array.from({ length: 36 }, (_, i) => (i % 4 === 0 ? 1 : 0)),
    };
    const time = async (f: () => Promise<unknown>) => {
      const ts: number[] = [];
      for (let s = 0; s < Number(o.steps); s++) {
        const t0 = performance.now();
        await f();
        ts.push(performance.now() - t0);
      }
      return median(ts.slice(2));
    };
    const remoteMs = await time(() => remote.summarize(terms, "full", null));
    const localMs = await time(() => local.summarize(terms, "full", null));
    await remote.close(true);
    await pool.close();
    emit({
      bench: "distributed",
      what: "E-step of 16 parts of 1,000 rows: one flow of 16 children",
      medianMs: remoteMs,
      localMedianMs: localMs,
      overheadMs: remoteMs - localMs,
      targetMs: 30,
      workers: 2,
      concurrency: Number(o.concurrency),
      machine: machine(),
    });
    // 2. cluster against the local run.
    const rows = Number(o.rows);
    const parts = Number(o.parts);
    mkdirSync(join(dir, "big"));
    for (let p = 0; p < parts; p++) {
      const n = Math.floor(((p + 1) * rows) / parts) - Math.floor((p * rows) / parts);
      await writeTable(join(dir, "big", `part-${p}.parquet`), table(n, 100 + p));
    }
    const args = (out: string) => [
      CLI,
      "cluster",
      join(dir, "big"),
      "--columns",
      "x,y,z",
      "--components",
      "4",
      "--tol",
      "0",
      "--max-iter",
      "20",
      "-o",
      join(dir, out),
      "--overwrite",
      "--no-progress",
    ];
    const runOnce = (extra: string[], out: string) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [...args(out), ...extra], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`cluster ${extra.join(" ")}: ${r.stderr}`);
      return (performance.now() - t0) / 1000;
    };
    const setups = [
      { name: "local, 2 threads", workers: 0, threads: 2, extra: ["--threads", "2"] },
      { name: "--redis, 1 worker × 2 threads", workers: 1, threads: 2, extra: ["--redis", url] },
      { name: "--redis, 2 workers × 1 thread", workers: 2, threads: 1, extra: ["--redis", url] },
    ];
    const times = new Map<string, number[]>(setups.map((s) => [s.name, []]));
    const outputs = new Map<string, string>();
    for (let r = 0; r < Number(o.runs); r++) {
      for (const s of setups) {
        await startWorkers(s.workers, s.threads);
        const out = `${s.workers}.json`;
        times.get(s.name)!.push(runOnce(s.extra, out));
        outputs.set(s.name, readFileSync(join(dir, out), "utf8"));
      }
    }
    const base = median(times.get(setups[0]!.name)!);
    const same = new Set(outputs.values()).size === 1;
    for (const s of setups) {
      const t = median(times.get(s.name)!);
      emit({
        bench: "distributed",
        what: `cluster ${rows} rows in ${parts} Parquet parts, 20 iterations`,
        setup: s.name,
        medianSeconds: t,
        runs: times.get(s.name),
        ratioToLocal: t / base,
        sameModelBytes: same,
      });
    }
  } finally {
    farm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
