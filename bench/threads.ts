/**
 * Worker-thread runner benchmark, in memory:
 * - encode (compact) rows/s of a single float64 column fitted with `fitTable` (continuous):
 *   `transformTable` on the calling thread vs `encodeParallel` with 1 and 2 threads, each with a
 *   fresh result and written `into` an earlier one;
 * - E-step time per iteration (K = 10, 1-D): `matrixSource` vs `threadSource` with 1 and 2
 *   threads, plus the one-off copy of X into shared memory.
 * Every line carries the machine; best of `--reps` after one warm-up.
 *
 *   npm run build && node dist/bench/threads.js [--rows 5000000] [--reps 3]
 */
import { matrixSource } from "../src/core/fit.js";
import { generateMultimodal } from "../src/core/synthetic.js";
import type { Table } from "../src/core/table.js";
import type { ComponentTerms } from "../src/core/terms.js";
import { fitTable, transformTable } from "../src/encode/table-codec.js";
import { encodeParallel } from "../src/run/encode-parallel.js";
import { WorkerPool } from "../src/run/pool.js";
import { threadSource } from "../src/run/thread-source.js";
import { benchOptions, emit, machine, peakRssMB } from "./common.js";

const opts = benchOptions("Encode and decode on 1..N worker threads, with the bits compared.", {
  rows: { default: "5000000", kind: "count", help: "rows of the column" },
  reps: { default: "3", kind: "count", help: "timed repetitions (best is kept)" },
});
const rows = Number(opts.rows);
const reps = Number(opts.reps);

async function best(f: () => unknown): Promise<number> {
  let t = Number.POSITIVE_INFINITY;
  for (let r = 0; r <= reps; r++) {
    const t0 = performance.now();
    await f();
    const dt = (performance.now() - t0) / 1000;
    if (r > 0) t = Math.min(t, dt);
  }
  return t;
}

const x = generateMultimodal(rows, 1);
const table: Table = { rows, columns: [{ name: "x", type: "float64", values: x, nulls: null }] };
let t0 = performance.now();
const model = fitTable(table, { kinds: { x: "continuous" } });
const fitSeconds = (performance.now() - t0) / 1000;
emit({ bench: "threads", what: "fitTable", rows, seconds: fitSeconds, machine: machine() });

const base = await best(() => transformTable(model, table));
emit({
  bench: "threads",
  what: "encode",
  runner: "transformTable",
  rows,
  rowsPerSec: rows / base,
  machine: machine(),
});
for (const threads of [1, 2]) {
  const pool = new WorkerPool({ size: threads });
  const s = await best(() => encodeParallel(model, table, { pool }));
  // The same with the output written into an earlier result (no fresh memory to allocate and
  // first touch): the encoder's own speed. The first write into a fresh, ordinary-memory result
  // moves it to shared memory, so the runs measured write into that one.
  const fresh = await encodeParallel(model, table, { pool });
  const into = await encodeParallel(model, table, { pool, into: fresh });
  const sInto = await best(() => encodeParallel(model, table, { pool, into }));
  await pool.close();
  for (const [runner, t] of [
    [`encodeParallel(${threads})`, s],
    [`encodeParallel(${threads}, into)`, sInto],
  ] as const) {
    emit({
      bench: "threads",
      what: "encode",
      runner,
      rows,
      rowsPerSec: rows / t,
      speedup: base / t,
      peakRssMB: peakRssMB(),
      machine: machine(),
    });
  }
}

// E-step: K = 10 components spread over the data.
const K = 10;
const means = new Float64Array(K);
const logConst = new Float64Array(K);
const precChol = new Float64Array(K);
for (let k = 0; k < K; k++) {
  means[k] = -20 + 5 * k;
  const sigma = 2 + (k % 3);
  precChol[k] = 1 / sigma;
  logConst[k] = Math.log(1 / K) - 0.5 * Math.log(2 * Math.PI) - Math.log(sigma);
}
const terms: ComponentTerms = {
  nComponents: K,
  nFeatures: 1,
  covarianceType: "full",
  logConst,
  means,
  precChol,
};
const X = { data: x, rows, cols: 1 };
const local = await best(() => matrixSource(X, null).summarize(terms, "full"));
emit({
  bench: "threads",
  what: "estep",
  runner: "matrixSource",
  rows,
  K,
  secondsPerIter: local,
  machine: machine(),
});
for (const threads of [1, 2]) {
  t0 = performance.now();
  const src = threadSource(X, null, { threads });
  const setup = (performance.now() - t0) / 1000;
  const s = await best(() => src.summarize(terms, "full"));
  await src.close();
  emit({
    bench: "threads",
    what: "estep",
    runner: `threadSource(${threads})`,
    rows,
    K,
    secondsPerIter: s,
    speedup: local / s,
    setupSeconds: setup,
    machine: machine(),
  });
}
