/**
 * `fit` and `transform` of a large table on queue workers against the local threaded run, whole
 * commands on this machine: the demo table (`value`, `amount`, `channel`) in Parquet parts, run
 * locally (2 threads), with --redis and 1 worker of 2 threads, and with 2 workers of 1 thread, all
 * on the same 2 cores (the coordinator included). Every setup must write the same model bytes and
 * the same shards (the manifests, with each shard's size and edge digest, are compared).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoPart } from "../src/cli/pipeline.js";
import { writeTable } from "../src/io/index.js";
import { benchOptions, emit, machine } from "./common.js";
import { CLI, startRedisFarm } from "./redis-farm.js";

const o = benchOptions("fit and transform on queue workers against the local run.", {
  rows: { default: "100000000", help: "rows of the table", kind: "count" },
  "part-rows": { default: "1048576", help: "rows per Parquet part", kind: "count" },
  runs: { default: "1", help: "runs of each command and setup", kind: "count" },
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (spawnSync("sh", ["-c", "command -v redis-server"]).status !== 0) {
    emit({ bench: "distributed-table", skipped: "redis-server is not installed" });
    return;
  }
  const rows = Number(o.rows);
  const partRows = Number(o["part-rows"]);
  const dir = mkdtempSync(join(tmpdir(), "modenorm-bench-distributed-table-"));
  const farm = await startRedisFarm(dir);
  try {
    const input = join(dir, "input");
    mkdirSync(input);
    const t0 = performance.now();
    for (let p = 0, at = 0; at < rows; p++, at += partRows) {
      const t = demoPart(7, p, Math.min(partRows, rows - at));
      await writeTable(join(input, `part-${String(p).padStart(5, "0")}.parquet`), t);
    }
    emit({ bench: "distributed-table", generated: rows, seconds: (performance.now() - t0) / 1000 });
    const command = (args: string[]) => {
      const t = performance.now();
      const r = spawnSync(process.execPath, [CLI, ...args, "--no-progress", "--overwrite"], {
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`${args.join(" ")}: ${r.stderr}`);
      return (performance.now() - t) / 1000;
    };
    const setups = [
      { name: "local, 2 threads", workers: 0, threads: 2, extra: [] as string[] },
      {
        name: "--redis, 1 worker × 2 threads",
        workers: 1,
        threads: 2,
        extra: ["--redis", farm.url],
      },
      {
        name: "--redis, 2 workers × 1 thread",
        workers: 2,
        threads: 1,
        extra: ["--redis", farm.url],
      },
    ];
    const times = new Map<string, number[]>();
    const results = new Map<string, Set<string>>([
      ["fit", new Set()],
      ["transform", new Set()],
    ]);
    for (let r = 0; r < Number(o.runs); r++) {
      for (const s of setups) {
        await farm.startWorkers(s.workers, s.threads);
        const model = join(dir, "model.json");
        const fit = command(["fit", input, "-o", model, ...s.extra]);
        results.get("fit")!.add(readFileSync(model, "utf8"));
        const out = join(dir, "encoded");
        const transform = command(["transform", input, "-m", model, "-o", out, ...s.extra]);
        results.get("transform")!.add(readFileSync(join(out, "_manifest.json"), "utf8"));
        rmSync(out, { recursive: true, force: true });
        for (const [what, t] of [
          ["fit", fit],
          ["transform", transform],
        ] as const) {
          const key = `${what}\t${s.name}`;
          times.set(key, [...(times.get(key) ?? []), t]);
        }
      }
    }
    for (const what of ["fit", "transform"]) {
      const base = median(times.get(`${what}\t${setups[0]!.name}`)!);
      for (const s of setups) {
        const ts = times.get(`${what}\t${s.name}`)!;
        emit({
          bench: "distributed-table",
          what: `${what} ${rows} rows (demo table, ${Math.ceil(rows / partRows)} Parquet parts)`,
          setup: s.name,
          medianSeconds: median(ts),
          runs: ts,
          rowsPerSecond: rows / median(ts),
          ratioToLocal: median(ts) / base,
          target: "≤ 1.3",
          sameBytes: results.get(what)!.size === 1,
          machine: machine(),
        });
      }
    }
  } finally {
    farm.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
