/**
 * Reports of wide tables: time, size and peak memory of `modenorm report` (and of the `fit` before
 * it) on a generated table of `--columns` columns — four in five continuous with 1–4 modes of
 * different scales, one in five categorical with up to 60 categories — at each of `--sizes` rows,
 * written as one Parquet file. Runs the built CLI, as a user would.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Random } from "../src/core/rng.js";
import type { Column, Table } from "../src/core/table.js";
import { writeTable } from "../src/io/table-io.js";
import { benchOptions, emit, machine, ROOT } from "./common.js";

const o = benchOptions("Time and size of modenorm report on wide generated tables.", {
  sizes: { default: "100000,1000000", help: "rows of each run", kind: "counts" },
  columns: { default: "50", help: "columns of the table", kind: "count" },
  seed: { default: "1", help: "seed of the generated values", kind: "count" },
});

/** A generated table of `width` columns (see the module comment). */
function wideTable(rows: number, width: number, seed: number): Table {
  const rng = new Random(seed);
  const normal = () =>
    Math.sqrt(-2 * Math.log(1 - rng.random())) * Math.cos(2 * Math.PI * rng.random());
  const columns: Column[] = [];
  for (let c = 0; c < width; c++) {
    if (c % 5 === 4) {
      const k = 2 + (c % 59);
      columns.push({
        name: `cat${c}`,
        type: "string",
        values: Array.from({ length: rows }, () => `v${Math.floor(k * rng.random() ** 2)}`),
      });
      continue;
    }
    const modes = 1 + (c % 4);
    const scale = 10 ** (c % 7);
    const values = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const m = Math.floor(rng.random() * modes);
      values[i] = scale * (m * 6 + (1 + m) * normal());
    }
    columns.push({ name: `num${c}`, type: "float64", values, nulls: null });
  }
  return { rows, columns };
}

const cli = join(ROOT, "dist", "src", "cli", "main.js");
const sizes = o.sizes.split(",").map(Number);
for (const rows of sizes) {
  const dir = mkdtempSync(join(tmpdir(), "modenorm-bench-report-"));
  try {
    const data = join(dir, "wide.parquet");
    await writeTable(data, wideTable(rows, Number(o.columns), Number(o.seed)));
    const run = (args: string[]) =>
      JSON.parse(
        execFileSync(process.execPath, [cli, ...args, "--json"], { cwd: dir, encoding: "utf8" }),
      );
    const fit = run(["fit", data, "-o", "model.json", "--no-progress"]);
    const report = run(["report", data, "-m", "model.json", "-o", "report.html", "--no-progress"]);
    emit({
      bench: "report",
      rows,
      columns: Number(o.columns),
      fitSeconds: fit.seconds,
      reportSeconds: report.seconds,
      reportBytes: report.bytes,
      charts: report.charts,
      reportPeakRssMB: report.peakRssMB,
      machine: machine(),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
