/**
 * The full-size run: the credit-card `Amount` column (../shared/data/creditcard_amount.parquet,
 * 199,368 rows) repeated as Parquet parts (5,040 by default, 1,004,814,720 rows: the shape of the
 * assignment's data), then the CLI's fit, transform, inverse, compare (inverse output against the
 * input, bit for bit) and evaluate, each as its own process. Prints one JSON line per stage (rows,
 * seconds, rows/s, peak RSS) and a summary.
 *
 *   node dist/bench/billion.js [--parts 5040] [--dir /tmp/modenorm-billion] [--keep-data yes]
 *
 * Needs about 2 GB for the parts and 17 GB for the encoded and decoded shards (uncompressed;
 * removed at the end unless --keep-data yes; the parts are kept for another run).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { readTable, writeTable } from "../src/io/index.js";
import { benchOptions, emit, machine, ROOT } from "./common.js";

const opts = benchOptions(
  "The credit-card Amount column repeated as Parquet parts, then fit, transform, inverse, compare and evaluate.",
  {
    parts: { default: "5040", kind: "count", help: "Parquet parts of 199,368 rows each" },
    dir: { default: "/tmp/modenorm-billion", help: "where parts and shards go (~19 GB free)" },
    "keep-data": { default: "no", help: "yes: keep the shards at the end" },
  },
);
const parts = Number(opts.parts);
const dir = opts.dir;
const keep = opts["keep-data"] === "yes";
const source = join(ROOT, "..", "shared", "data", "creditcard_amount.parquet");
const CLI = join(ROOT, "dist", "src", "cli", "main.js");

if (!existsSync(source)) {
  console.error(`${source} is absent: the shared data folder must be beside the project`);
  process.exit(1);
}
const partsDir = join(dir, `parts-${parts}`);
if (!existsSync(partsDir) || readdirSync(partsDir).length !== parts) {
  rmSync(partsDir, { recursive: true, force: true });
  mkdirSync(partsDir, { recursive: true });
  const t = await readTable(source, { columns: ["Amount"] });
  const first = join(partsDir, "part-00000.parquet");
  // As other tools write Parquet (zstd through DuckDB), not in modenorm's own layout.
  await writeTable(first, t, { compression: "zstd" });
  // Real files (copies, not links): 5,040 × ~400 KB.
  for (let i = 1; i < parts; i++) {
    copyFileSync(first, join(partsDir, `part-${String(i).padStart(5, "0")}.parquet`));
  }
  emit({ stage: "make-parts", parts, rowsPerPart: t.rows, rows: t.rows * parts });
}

function cli(stage: string, args: string[]): Record<string, unknown> {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args, "--json"], {
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
  });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(`${stage} failed (${r.status}): ${r.stderr}`);
    process.exit(1);
  }
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
  const rows = Number(out.rows);
  const line = {
    stage,
    rows,
    wallSeconds: seconds,
    rowsPerSecond: rows / seconds,
    peakRssMB: out.peakRssMB,
    machine: machine(),
  };
  emit(line);
  return { ...out, ...line };
}

/** Bytes of the files in a directory, in GB. */
function dirGB(path: string): number {
  return readdirSync(path).reduce((b, f) => b + statSync(join(path, f)).size, 0) / 1e9;
}

const model = join(dir, "model.json");
const encoded = join(dir, "encoded");
const decoded = join(dir, "decoded");
for (const p of [model, encoded, decoded]) rmSync(p, { recursive: true, force: true });
const fit = cli("fit", ["fit", partsDir, "--columns", "Amount", "-o", model]);
const transform = cli("transform", ["transform", partsDir, "-m", model, "-o", encoded]);
const inverse = cli("inverse", ["inverse", encoded, "-m", model, "-o", decoded]);
const compare = cli("compare", ["compare", partsDir, decoded]);
const evaluate = cli("evaluate", ["evaluate", partsDir, "-m", model]);
const ev = (
  evaluate.columns as { rows: number; compact: { exact: number }; clipped: number }[]
)[0]!;
emit({
  stage: "summary",
  rows: compare.rows,
  fitSeconds: fit.wallSeconds,
  fittedOn: fit.fittedOn,
  transformSeconds: transform.wallSeconds,
  inverseSeconds: inverse.wallSeconds,
  compareSeconds: compare.wallSeconds,
  evaluateSeconds: evaluate.wallSeconds,
  valuesThatFailedToComeBack: compare.differences,
  evaluateNotExact: ev.rows - ev.compact.exact,
  ganClipped: ev.clipped,
  encodedGB: dirGB(encoded),
  decodedGB: dirGB(decoded),
  peakRssMB: Math.max(
    ...[fit, transform, inverse, compare, evaluate].map((s) => Number(s.peakRssMB)),
  ),
  machine: machine(),
});
if (!keep) for (const p of [encoded, decoded]) rmSync(p, { recursive: true, force: true });
