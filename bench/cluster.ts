/**
 * Clustering quality and time: `modenorm cluster` (whole commands) on generated blobs with known
 * clusters — the adjusted Rand index of its assignments against the truth for every covariance
 * type, EM and variational — and on the IMDb movies table (when `../shared/data` is there).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adjustedRandIndex } from "../src/core/rand-index.js";
import { readTable, writeTable } from "../src/io/index.js";
import { benchOptions, blobTable, emit, machine, ROOT } from "./common.js";

const o = benchOptions("Clustering: adjusted Rand index on blobs, and the IMDb table.", {
  rows: { default: "200000", help: "rows of the blobs", kind: "count" },
});
const CLI = join(ROOT, "dist", "src", "cli", "main.js");

function cluster(args: string[]): { seconds: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, "cluster", ...args, "--no-progress"], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`cluster ${args.join(" ")}: ${r.stderr}`);
  return { seconds: (performance.now() - t0) / 1000, stdout: r.stdout };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modenorm-bench-cluster-"));
  try {
    const n = Number(o.rows);
    const b = blobTable(n, 2);
    const data = join(dir, "blobs.parquet");
    await writeTable(data, b.table);
    const rows: string[] = [];
    for (const type of ["full", "tied", "diag", "spherical"]) {
      for (const bayesian of [false, true]) {
        const out = join(dir, "a.parquet");
        const args = [data, "--columns", "x,y,z", "--components", "4", "--covariance", type];
        if (bayesian) args.push("--bayesian");
        const r = cluster([
          ...args,
          "-o",
          join(dir, "m.json"),
          "--assignments",
          out,
          "--overwrite",
        ]);
        const labels = (await readTable(out)).columns[0]!.values as Int32Array;
        const ari = adjustedRandIndex(labels, b.truth);
        emit({
          bench: "cluster",
          data: "blobs",
          rows: n,
          covariance: type,
          bayesian,
          ari,
          seconds: r.seconds,
        });
        rows.push(
          `| ${type} | ${bayesian ? "variational" : "EM"} | ${ari.toFixed(4)} | ${r.seconds.toFixed(1)} s |`,
        );
      }
    }
    process.stdout.write(
      `\n| blobs, ${n} rows, 3-D, 4 clusters | estimator | adjusted Rand index | whole command |\n|---|---|---:|---:|\n${rows.join("\n")}\n`,
    );
    const movies = join(ROOT, "..", "shared", "data", "imdb_movies.csv");
    if (existsSync(movies)) {
      const r = cluster([
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
        join(dir, "imdb.json"),
        "--overwrite",
      ]);
      writeFileSync(join(dir, "imdb.txt"), r.stdout);
      emit({ bench: "cluster", data: "imdb_movies.csv", seconds: r.seconds, output: r.stdout });
      process.stdout.write(`\nIMDb movies (${r.seconds.toFixed(1)} s):\n${r.stdout}`);
    }
    emit({ machine: machine() });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
