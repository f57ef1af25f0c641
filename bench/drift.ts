/**
 * Drift detection on real data: false alarms on random splits and detection of known shifts, for
 * modenorm's verdicts and, on the same splits in the same run, the peers (`drift_peers.py`: the
 * Kolmogorov–Smirnov or chi-square test at p < 0.05, PSI over 10 quantile bins or the categories
 * at 0.25).
 *
 * Each split shuffles a data set's rows (seeded by the split's number), fits a model on the first
 * half and checks the second half, cut to the check size or cycled up to it (the half repeated,
 * then its first rows). A shift is applied to the check half before cycling. modenorm's tally of a
 * cycled sample is the half's tally times the whole copies plus the tally of the remainder: the
 * same counts as streaming the cycled rows (its one sum differs only by rounding).
 *
 * Flagged means the column's verdict is `drift` (and, reported beside it, `warn` or `drift`).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Random } from "../src/core/rng.js";
import type { Column, Table } from "../src/core/table.js";
import { isNull, numericValue } from "../src/core/table.js";
import {
  addToDriftTally,
  columnDrift,
  createDriftTally,
  type DriftTally,
  driftTable,
  mergeDriftTallies,
} from "../src/drift/index.js";
import type { ModelSpec } from "../src/encode/spec.js";
import {
  addToTableSummary,
  createTableSummary,
  fitFromTableSummary,
} from "../src/encode/table-summary.js";
import { readTable } from "../src/io/table-io.js";
import { benchOptions, emit, machine, PYTHON, ROOT } from "./common.js";

const o = benchOptions(
  "Drift detection: false alarms and power on real data, against KS and quantile PSI.",
  {
    splits: { default: "200", help: "random splits for the false-alarm rates", kind: "count" },
    "power-splits": { default: "50", help: "random splits for the detection rates", kind: "count" },
    sizes: { default: "1000,100000,1000000", help: "check sizes in rows", kind: "counts" },
    cases: { default: "all", help: "all, or real: only the real cases (fast)", kind: "text" },
    data: {
      default: join(ROOT, "..", "shared", "data"),
      help: "folder of the shared data",
      kind: "text",
    },
  },
);
const SPLITS = Number(o.splits);
const POWER_SPLITS = Number(o["power-splits"]);
const SIZES = o.sizes.split(",").map(Number);

/** A column as the benchmark holds it: numbers (NaN missing) or category codes (NaN missing). */
interface Series {
  name: string;
  categorical: boolean;
  values: Float64Array;
  /** Category text by code (categorical only). */
  labels: string[];
  /** Mean and standard deviation of the non-missing values (numeric only). */
  mean: number;
  std: number;
  power: boolean;
}

interface DataSet {
  name: string;
  rows: number;
  series: Series[];
  /** The real case with a known answer: rows with `by` < `cut` against the others. */
  real: { what: string; by: Float64Array; cut: number };
}

function seriesOf(col: Column, power: boolean): Series {
  const n = col.values.length;
  const values = new Float64Array(n);
  const labels: string[] = [];
  if (col.type === "string") {
    const codes = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const v = col.values[i];
      if (v === null || v === undefined) values[i] = Number.NaN;
      else {
        if (!codes.has(v)) {
          codes.set(v, labels.length);
          labels.push(v);
        }
        values[i] = codes.get(v)!;
      }
    }
    return { name: col.name, categorical: true, values, labels, mean: 0, std: 0, power };
  }
  let s = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    values[i] = isNull(col, i) ? Number.NaN : numericValue(col, i);
    if (!Number.isNaN(values[i]!)) {
      s += values[i]!;
      m++;
    }
  }
  const mean = s / m;
  let ss = 0;
  for (const v of values) if (!Number.isNaN(v)) ss += (v - mean) ** 2;
  return {
    name: col.name,
    categorical: false,
    values,
    labels,
    mean,
    std: Math.sqrt(ss / m),
    power,
  };
}

async function loadData(dir: string): Promise<DataSet[]> {
  const cc = await readTable(join(dir, "creditcard_amount.csv"), { columns: ["Amount", "Time"] });
  const imdbNumeric = [
    "imdbRating",
    "ratingCount",
    "duration",
    "year",
    "nrOfWins",
    "nrOfNominations",
    "nrOfPhotos",
    "nrOfNewsArticles",
    "nrOfUserReviews",
    "nrOfGenre",
  ];
  const powered = new Set(["imdbRating", "ratingCount", "duration", "year", "type"]);
  const imdb = await readTable(join(dir, "imdb_movies.csv"), {
    columns: [...imdbNumeric, "type"],
    escapeChar: "\\",
  });
  return [
    {
      name: "creditcard",
      rows: cc.rows,
      series: [seriesOf(cc.columns[0]!, true)],
      real: {
        what: "day 1 (Time < 86400 s) against day 2",
        by: seriesOf(cc.columns[1]!, false).values,
        cut: 86_400,
      },
    },
    {
      name: "imdb",
      rows: imdb.rows,
      series: imdb.columns.map((c) => seriesOf(c, powered.has(c.name))),
      real: {
        what: "titles released before 2000 against 2000 and later",
        by: seriesOf(imdb.columns[3]!, false).values,
        cut: 2000,
      },
    },
  ];
}

/** A table of the rows `idx` (in order) of the series, numeric as float64, categories as text. */
function tableOf(series: readonly Series[], idx: Int32Array | number[]): Table {
  const rows = idx.length;
  const columns = series.map((s): Column => {
    if (s.categorical) {
      const values = Array.from(idx, (i) => {
        const v = s.values[i]!;
        return Number.isNaN(v) ? null : s.labels[v]!;
      });
      return { name: s.name, type: "string", values };
    }
    const values = Float64Array.from(idx, (i) => s.values[i]!);
    const nulls = Uint8Array.from(values, (v) => (Number.isNaN(v) ? 1 : 0));
    return { name: s.name, type: "float64", values, nulls };
  });
  return { rows, columns };
}

function fit(table: Table, kinds: Record<string, "continuous" | "categorical">): ModelSpec {
  const s = createTableSummary(table, { kinds });
  addToTableSummary(s, table, 0);
  return fitFromTableSummary(s, { kinds }).model;
}

type Shift = {
  name: string;
  numeric: boolean;
  apply(v: Float64Array, s: Series, rng: Random): void;
};

const each = (v: Float64Array, f: (x: number) => number) => {
  for (let i = 0; i < v.length; i++) v[i] = f(v[i]!);
};
const pick = (v: Float64Array, rng: Random, share: number, f: (i: number) => void) => {
  for (let i = 0; i < v.length; i++) if (rng.random() < share) f(i);
};
const SHIFTS: Shift[] = [
  ...[0.1, 0.25, 0.5].map((d) => ({
    name: `mean +${d}σ`,
    numeric: true,
    apply: (v: Float64Array, s: Series) => each(v, (x) => x + d * s.std),
  })),
  ...[1.5, 0.5].map((k) => ({
    name: `variance ×${k}`,
    numeric: true,
    apply: (v: Float64Array, s: Series) => each(v, (x) => s.mean + Math.sqrt(k) * (x - s.mean)),
  })),
  {
    name: "new mode, 5 % of rows",
    numeric: true,
    apply: (v, s, rng) =>
      pick(v, rng, 0.05, (i) => (v[i] = s.mean + 1.5 * s.std + 0.1 * s.std * rng.normal())),
  },
  {
    name: "null rate +10 %",
    numeric: true,
    apply: (v, _s, rng) => pick(v, rng, 0.1, (i) => (v[i] = Number.NaN)),
  },
  {
    name: "a category's share doubled",
    numeric: false,
    apply: (v, s, rng) => {
      const n = v.filter((x) => !Number.isNaN(x)).length;
      const counts = new Float64Array(s.labels.length);
      for (const x of v) if (!Number.isNaN(x)) counts[x]!++;
      let c = 0;
      for (let j = 1; j < counts.length; j++)
        if (Math.abs(counts[j]! / n - 0.1) < Math.abs(counts[c]! / n - 0.1)) c = j;
      const p = counts[c]! / n;
      pick(v, rng, p / (1 - p), (i) => {
        if (!Number.isNaN(v[i]!) && v[i] !== c) v[i] = c;
      });
    },
  },
  {
    name: "unseen category, 2 % of rows",
    numeric: false,
    apply: (v, s, rng) => pick(v, rng, 0.02, (i) => (v[i] = s.labels.length)),
  },
  {
    name: "null rate +10 % ",
    numeric: false,
    apply: (v, _s, rng) => pick(v, rng, 0.1, (i) => (v[i] = Number.NaN)),
  },
];

/** The peers' process. */
class Peers {
  private readonly child = spawn(PYTHON, [join(ROOT, "bench", "drift_peers.py")], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  private readonly lines = createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
  private send(header: object, values: Float64Array): Promise<Record<string, number>> {
    this.child.stdin!.write(`${JSON.stringify({ ...header, n: values.length })}\n`);
    this.child.stdin!.write(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    return this.lines.next().then((r) => JSON.parse(r.value as string));
  }
  ref(key: string, values: Float64Array) {
    return this.send({ op: "ref", key }, values);
  }
  check(key: string, values: Float64Array, size: number, categorical: boolean) {
    return this.send({ op: "check", key, size, categorical }, values);
  }
  close() {
    this.child.stdin!.end();
  }
}

/** The tally of `table`'s rows cycled up to `size` rows. */
function cycledTally(model: ModelSpec, table: Table, size: number): DriftTally {
  const one = createDriftTally(model);
  const m = Math.min(size, table.rows);
  addToDriftTally(model, one, table, 0, m);
  let copies = Math.floor(size / m);
  let total = createDriftTally(model);
  let power = one;
  while (copies > 0) {
    if (copies & 1) total = mergeDriftTallies(total, power);
    copies >>>= 1;
    if (copies > 0) power = mergeDriftTallies(power, power);
  }
  const rest = size % m;
  if (rest > 0) addToDriftTally(model, total, table, 0, rest);
  return total;
}

interface Cell {
  n: number;
  drift: number;
  warn: number;
  ks: number;
  psi: number;
}
const cells = new Map<string, Cell>();
function count(key: string, verdict: string, p: number, psiValue: number) {
  const c = cells.get(key) ?? { n: 0, drift: 0, warn: 0, ks: 0, psi: 0 };
  c.n++;
  if (verdict === "drift") c.drift++;
  if (verdict === "drift" || verdict === "warn") c.warn++;
  if (p < 0.05) c.ks++;
  if (psiValue >= 0.25) c.psi++;
  cells.set(key, c);
}

/** The real cases: each data set's rows before the cut against those after, every column. */
async function realCases(sets: DataSet[], peers: Peers): Promise<void> {
  process.stdout.write("\nReal cases (whole halves; modenorm verdict, KS/χ² p-value, PSI)\n\n");
  process.stdout.write("| data | column | modenorm | KS / χ² p | PSI |\n|---|---|---|---:|---:|\n");
  for (const ds of sets) {
    const { by, cut } = ds.real;
    const before: number[] = [];
    const after: number[] = [];
    by.forEach((v, i) => {
      if (!Number.isNaN(v)) (v < cut ? before : after).push(i);
    });
    const kinds = Object.fromEntries(
      ds.series.map((s) => [s.name, s.categorical ? "categorical" : "continuous"] as const),
    );
    const model = fit(tableOf(ds.series, before), kinds);
    const report = driftTable(model, tableOf(ds.series, after));
    for (const [j, s] of ds.series.entries()) {
      const key = `real/${ds.name}/${s.name}`;
      await peers.ref(
        key,
        Float64Array.from(before, (i) => s.values[i]!),
      );
      const r = await peers.check(
        key,
        Float64Array.from(after, (i) => s.values[i]!),
        after.length,
        s.categorical,
      );
      const verdict = report.columns[j]!.verdict;
      emit({
        real: ds.real.what,
        data: ds.name,
        column: s.name,
        rows: [before.length, after.length],
        verdict,
        p: r.p,
        psi: r.psi,
      });
      process.stdout.write(
        `| ${ds.name}: ${ds.real.what} | ${s.name} | ${verdict} | ${r.p!.toExponential(1)} | ${r.psi!.toFixed(3)} |\n`,
      );
    }
    process.stdout.write(
      `| ${ds.name} | data set | ${report.verdict} (${report.drifting.length} of ${report.columns.length} drift) | | |\n`,
    );
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(o.data, "creditcard_amount.csv"))) {
    process.stderr.write(`bench drift: the shared data folder ${o.data} is absent; pass --data.\n`);
    process.exit(2);
  }
  const t0 = performance.now();
  const peers = new Peers();
  const sets = await loadData(o.data);
  if (o.cases === "real") {
    await realCases(sets, peers);
    peers.close();
    return;
  }
  for (const ds of sets) {
    const kinds = Object.fromEntries(
      ds.series.map((s) => [s.name, s.categorical ? "categorical" : "continuous"] as const),
    );
    const half = Math.floor(ds.rows / 2);
    for (let split = 0; split < Math.max(SPLITS, POWER_SPLITS); split++) {
      const perm = Int32Array.from({ length: ds.rows }, (_, i) => i);
      new Random(split + 1).shuffle(perm);
      const model = fit(tableOf(ds.series, perm.subarray(0, half)), kinds);
      for (const [j, s] of ds.series.entries()) {
        const spec = model.columns[j]!;
        const one: ModelSpec = { ...model, columns: [spec] };
        const key = `${ds.name}/${s.name}`;
        await peers.ref(
          key,
          Float64Array.from(perm.subarray(0, half), (i) => s.values[i]!),
        );
        const group = s.categorical
          ? `${ds.name} ${s.name} (categorical)`
          : ds.name === "imdb"
            ? "imdb numeric (10 columns)"
            : `${ds.name} ${s.name}`;
        for (const size of SIZES) {
          const idx = perm.subarray(half, half + Math.min(size, ds.rows - half));
          const scenarios = [
            null,
            ...(s.power && split < POWER_SPLITS
              ? SHIFTS.filter((f) => f.numeric !== s.categorical)
              : []),
          ];
          if (split >= SPLITS && scenarios.length === 1) continue;
          for (const shift of scenarios) {
            if (shift === null && split >= SPLITS) continue;
            const v = Float64Array.from(idx, (i) => s.values[i]!);
            shift?.apply(v, s, new Random(1e6 + split * 1000 + (size % 997)));
            const sv: Series = { ...s, values: v };
            const table = tableOf(
              [sv],
              Int32Array.from(v, (_, i) => i),
            );
            const peer = peers.check(key, v, size, s.categorical);
            const verdict = columnDrift(spec, cycledTally(one, table, size).columns[0]!).verdict;
            const r = await peer;
            const where = shift === null ? `none|${group}` : `${shift.name}|${ds.name} ${s.name}`;
            count(`${where}|${size}`, verdict, r.p!, r.psi!);
          }
        }
      }
    }
  }
  await realCases(sets, peers);
  peers.close();
  for (const [k, c] of cells) {
    const [shift, group, size] = k.split("|");
    emit({
      shift,
      group,
      size: Number(size),
      checks: c.n,
      drift: c.drift / c.n,
      warnOrDrift: c.warn / c.n,
      ks: c.ks / c.n,
      psi: c.psi / c.n,
    });
  }
  emit({
    seconds: (performance.now() - t0) / 1000,
    splits: SPLITS,
    powerSplits: POWER_SPLITS,
    machine: machine(),
  });
  printTables();
}

/** The cells as Markdown tables: false alarms per data and size, detection per shift and size. */
function printTables(): void {
  const pct = (x: number, n: number) => `${((100 * x) / n).toFixed(1)} %`;
  const rows = [...cells.entries()].map(([k, c]) => {
    const [shift, group, size] = k.split("|");
    return { shift: shift!, group: group!, size: Number(size), c };
  });
  const line = (cols: string[]) => process.stdout.write(`| ${cols.join(" | ")} |\n`);
  process.stdout.write(
    "\nFalse alarms (no shift): drift, warn or drift; KS/χ² p < 0.05; PSI ≥ 0.25\n\n",
  );
  line(["data", "rows", "checks", "modenorm drift", "modenorm warn+drift", "KS / χ²", "PSI"]);
  line(["---", "---:", "---:", "---:", "---:", "---:", "---:"]);
  for (const r of rows.filter((x) => x.shift === "none")) {
    const { c } = r;
    line([
      r.group,
      String(r.size),
      String(c.n),
      pct(c.drift, c.n),
      pct(c.warn, c.n),
      pct(c.ks, c.n),
      pct(c.psi, c.n),
    ]);
  }
  process.stdout.write(
    "\nDetection (verdict drift; KS/χ² p < 0.05; PSI ≥ 0.25), powered columns pooled\n\n",
  );
  const shifts = [...new Set(rows.filter((x) => x.shift !== "none").map((x) => x.shift))];
  line(["shift", ...SIZES.flatMap((n) => [`modenorm ${n}`, `KS ${n}`, `PSI ${n}`])]);
  line(["---", ...SIZES.flatMap(() => ["---:", "---:", "---:"])]);
  for (const shift of shifts) {
    const cols = SIZES.flatMap((n) => {
      const sel = rows.filter((x) => x.shift === shift && x.size === n);
      const t = sel.reduce(
        (a, x) => ({ n: a.n + x.c.n, d: a.d + x.c.drift, k: a.k + x.c.ks, p: a.p + x.c.psi }),
        { n: 0, d: 0, k: 0, p: 0 },
      );
      return [pct(t.d, t.n), pct(t.k, t.n), pct(t.p, t.n)];
    });
    line([shift.trim(), ...cols]);
  }
}

await main();
