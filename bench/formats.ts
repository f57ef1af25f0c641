/**
 * CSV against Parquet, whole commands: the same `Time,Amount` table (the credit-card `Amount`
 * column of ../shared/data/creditcard_amount.csv repeated to --rows rows, Time = row index) as
 * data.csv and data.parquet, then each CLI command on one format and on the other as separate
 * processes (wall time including start-up, A/B alternating per run). Prints one JSON line per
 * measurement, one per pair (medians and the median of the run-by-run CSV/Parquet ratios) and a
 * summary table against the targets (CSV ≤ 1.3× Parquet for fit, transform, inverse; CSV→CSV ≤
 * 1.5×), with each command's peak RSS (target: under 1 GB on the CSV side). Then the fixed costs:
 * the Parquet transform's whole-command rate on --rows rows against --scale times as many
 * (target: at least 70 %).
 *
 *   node dist/bench/formats.js [--rows 10000000] [--runs 3] [--scale 10] [--dir <work dir>]
 *
 * Needs about 1 GB per 10 million rows in the work dir, and 1 GB more per 10 million rows of the
 * large transform's output (a temporary dir, removed at the end, unless --dir is given).
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTable, writeTable } from "../src/io/index.js";
import { benchOptions, emit, machine, ROOT } from "./common.js";

const opts = benchOptions(
  "CSV against Parquet, whole commands: fit, transform, inverse and CSV→CSV on the same table.",
  {
    rows: { default: "10000000", kind: "count", help: "rows of the Time,Amount table" },
    runs: { default: "3", kind: "count", help: "timed runs of each side of each pair" },
    dir: { default: "a temporary dir, removed at the end", help: "work dir (kept)" },
    scale: {
      default: "10",
      kind: "count",
      help: "fixed costs: the Parquet transform of --rows rows against scale × --rows (the file as scale parts of a directory); 1 skips it",
    },
  },
);
const scale = Number(opts.scale);
const rows = Number(opts.rows);
const runs = Number(opts.runs);
const ownDir = opts.dir === "a temporary dir, removed at the end";
const dir = ownDir ? mkdtempSync(join(tmpdir(), "modenorm-formats-")) : opts.dir;
mkdirSync(dir, { recursive: true });
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const source = join(ROOT, "..", "shared", "data", "creditcard_amount.csv");
const TIME = "/usr/bin/time";
const useTime = existsSync(TIME);
const m = machine();
const p = (f: string) => join(dir, f);

/** The Amount values as CSV text, from the shared file or (absent) a seeded synthetic mixture. */
function amounts(): { values: string[]; from: string } {
  if (existsSync(source)) {
    const lines = readFileSync(source, "utf8").split(/\r?\n/);
    const col = lines[0]!.split(",").indexOf("Amount");
    const values = lines
      .slice(1)
      .filter((l) => l !== "")
      .map((l) => l.split(",")[col]!);
    return { values, from: "../shared/data/creditcard_amount.csv" };
  }
  // A seeded three-mode mixture (xorshift32 + Box–Muller), rounded to cents like the real column.
  let s = 0x9e3779b9;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 2 ** 32;
  };
  const modes = [
    [1, 0.5, 0.3],
    [20, 8, 0.4],
    [150, 60, 0.3],
  ] as const;
  const values: string[] = [];
  for (let i = 0; i < 200_000; i++) {
    const r = u();
    const [mu, sd] =
      r < modes[0][2] ? modes[0] : r < modes[0][2] + modes[1][2] ? modes[1] : modes[2];
    const z = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    values.push(Math.abs(mu + sd * z).toFixed(2));
  }
  return { values, from: "synthetic three-mode mixture, seed 0x9e3779b9 (shared data absent)" };
}

async function makeData(): Promise<void> {
  const { values, from } = amounts();
  const t0 = performance.now();
  const fd = openSync(p("data.csv"), "w");
  writeSync(fd, "Time,Amount\n");
  const chunk = 100_000;
  for (let start = 0; start < rows; start += chunk) {
    let s = "";
    for (let i = start; i < Math.min(rows, start + chunk); i++) {
      s += `${i},${values[i % values.length]}\n`;
    }
    writeSync(fd, s);
  }
  closeSync(fd);
  // The Parquet file is the CSV as the library reads it: the same rows and the same types.
  const t = await readTable(p("data.csv"));
  await writeTable(p("data.parquet"), t, { overwrite: true });
  emit({
    bench: "formats-data",
    rows,
    parquetRows: t.rows,
    amountFrom: from,
    seconds: (performance.now() - t0) / 1000,
  });
}

/** Runs one CLI command as its own process; wall seconds and (with /usr/bin/time) peak RSS. */
function run(args: string[]): { wallSeconds: number; peakRssMB?: number } {
  const argv = [CLI, ...args, "--no-progress"];
  const t0 = performance.now();
  const r = useTime
    ? spawnSync(TIME, ["-f", "peakRssKB=%M", process.execPath, ...argv], { encoding: "utf8" })
    : spawnSync(process.execPath, argv, { encoding: "utf8" });
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(`modenorm ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
    process.exit(1);
  }
  const kb = /peakRssKB=(\d+)/.exec(r.stderr ?? "");
  return kb ? { wallSeconds, peakRssMB: Number(kb[1]) / 1024 } : { wallSeconds };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

interface Pair {
  pair: string;
  target: number;
  csv: string[];
  parquet: string[];
}
const pairs: Pair[] = [
  {
    pair: "fit",
    target: 1.3,
    csv: ["fit", p("data.csv"), "--columns", "Amount", "-o", p("m1.json"), "--overwrite"],
    parquet: ["fit", p("data.parquet"), "--columns", "Amount", "-o", p("m2.json"), "--overwrite"],
  },
  {
    pair: "transform",
    target: 1.3,
    csv: ["transform", p("data.csv"), "-m", p("m.json"), "-o", p("enc-csv"), "--overwrite"],
    parquet: ["transform", p("data.parquet"), "-m", p("m.json"), "-o", p("enc-pq"), "--overwrite"],
  },
  {
    pair: "inverse",
    target: 1.3,
    csv: ["inverse", p("enc-pq"), "-m", p("m.json"), "-o", p("dec.csv"), "--overwrite"],
    parquet: ["inverse", p("enc-pq"), "-m", p("m.json"), "-o", p("dec.parquet"), "--overwrite"],
  },
  {
    pair: "csv-to-csv transform",
    target: 1.5,
    csv: ["transform", p("data.csv"), "-m", p("m.json"), "-o", p("enc.csv"), "--overwrite"],
    parquet: [
      "transform",
      p("data.parquet"),
      "-m",
      p("m.json"),
      "-o",
      p("enc.parquet"),
      "--overwrite",
    ],
  },
];

/**
 * Fixed costs: the whole-command rate of the Parquet transform on `rows` rows against its rate on
 * `scale × rows` (the same file as `scale` parts of a directory, hard links), runs alternating;
 * target: the small one at least 70 % of the large one's rate.
 */
function fixedCosts(): string {
  const big = p("big");
  mkdirSync(big, { recursive: true });
  for (let i = 0; i < scale; i++) {
    const part = join(big, `part-${String(i).padStart(3, "0")}.parquet`);
    if (!existsSync(part)) linkSync(p("data.parquet"), part);
  }
  const small: number[] = [];
  const large: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < runs; i++) {
    const s = run([
      "transform",
      p("data.parquet"),
      "-m",
      p("m.json"),
      "-o",
      p("fc-small"),
      "--overwrite",
    ]);
    const l = run(["transform", big, "-m", p("m.json"), "-o", p("fc-large"), "--overwrite"]);
    rmSync(p("fc-large"), { recursive: true, force: true });
    const rs = rows / s.wallSeconds;
    const rl = (scale * rows) / l.wallSeconds;
    small.push(rs);
    large.push(rl);
    ratios.push(rs / rl);
    emit({
      bench: "formats-fixed-costs",
      run: i + 1,
      rows,
      scale,
      smallRowsPerSecond: rs,
      largeRowsPerSecond: rl,
      ratio: rs / rl,
      machine: m,
    });
  }
  const ratio = median(ratios);
  const line = {
    rows,
    largeRows: scale * rows,
    smallRowsPerSecond: median(small),
    largeRowsPerSecond: median(large),
    ratio,
    target: 0.7,
    met: ratio >= 0.7,
  };
  emit({ bench: "formats-fixed-costs-summary", runs, ...line, machine: m });
  const f = (x: number) => `${(x / 1e6).toFixed(2)} M`;
  return [
    "| Parquet transform | rows/s at " +
      `${rows / 1e6}M | rows/s at ${(scale * rows) / 1e6}M | ratio | target | met |`,
    "|---|---:|---:|---:|---:|---|",
    `| whole command | ${f(line.smallRowsPerSecond)} | ${f(line.largeRowsPerSecond)} | ${ratio.toFixed(2)} | ≥ 0.7 | ${line.met ? "yes" : "no"} |`,
  ].join("\n");
}

try {
  await makeData();
  run(["fit", p("data.parquet"), "--columns", "Amount", "-o", p("m.json"), "--overwrite"]);
  const table: Record<string, unknown>[] = [];
  for (const pr of pairs) {
    const csv: number[] = [];
    const pq: number[] = [];
    const ratios: number[] = [];
    let csvPeak = 0;
    for (let i = 0; i < runs; i++) {
      // Alternate which side goes first, so neither always runs on a warmer page cache.
      const order = i % 2 === 0 ? (["csv", "parquet"] as const) : (["parquet", "csv"] as const);
      const got: Record<string, number> = {};
      for (const side of order) {
        const r = run(side === "csv" ? pr.csv : pr.parquet);
        got[side] = r.wallSeconds;
        if (side === "csv" && r.peakRssMB !== undefined) csvPeak = Math.max(csvPeak, r.peakRssMB);
        emit({ bench: "formats", pair: pr.pair, side, run: i + 1, rows, ...r, machine: m });
      }
      csv.push(got.csv!);
      pq.push(got.parquet!);
      ratios.push(got.csv! / got.parquet!);
    }
    const ratio = median(ratios);
    const line = {
      pair: pr.pair,
      csvSeconds: median(csv),
      parquetSeconds: median(pq),
      ratio,
      csvRowsPerSecond: rows / median(csv),
      parquetRowsPerSecond: rows / median(pq),
      target: pr.target,
      met: ratio <= pr.target,
      csvPeakRssMB: csvPeak,
    };
    emit({ bench: "formats-pair", rows, runs, ...line, machine: m });
    table.push(line);
  }
  const f = (x: number, d: number) => x.toFixed(d);
  const out = [
    `| pair | CSV s | Parquet s | CSV/Parquet | CSV rows/s | Parquet rows/s | target | met | CSV peak RSS |`,
    `|---|---:|---:|---:|---:|---:|---:|---|---:|`,
    ...table.map(
      (t) =>
        `| ${t.pair} | ${f(t.csvSeconds as number, 2)} | ${f(t.parquetSeconds as number, 2)} | ` +
        `${f(t.ratio as number, 2)} | ${f((t.csvRowsPerSecond as number) / 1e6, 2)} M | ` +
        `${f((t.parquetRowsPerSecond as number) / 1e6, 2)} M | ≤ ${t.target} | ${t.met ? "yes" : "no"} | ` +
        `${t.csvPeakRssMB === 0 ? "n/a" : `${f(t.csvPeakRssMB as number, 0)} MB`} |`,
    ),
  ];
  if (scale > 1) out.push("", fixedCosts());
  emit({ bench: "formats-summary", rows, runs, machine: m });
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  if (ownDir) rmSync(dir, { recursive: true, force: true });
}
