/**
 * `modenorm demo`: the main job end to end on a generated table (see `pipeline.ts`), with a short
 * table of what each stage took, and the peer's numbers on the same column when it can run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { InvalidInputError } from "../core/errors.js";
import { checkOverwrite } from "../io/output-guard.js";
import { checkWritable } from "../io/safe-write.js";
import { machine, peerAvailable } from "./peer.js";
import { type PipelineResult, runPipeline } from "./pipeline.js";
import { startProgress } from "./progress.js";

interface DemoOptions {
  rows: number;
  seed: number;
  threads?: number;
  peer: "auto" | "off";
  peerFitRows: number;
  keep?: boolean;
  json?: boolean;
  progress?: boolean;
  /** The report's HTML file; false with --no-report. */
  report: string | false;
}

const fmtRate = (r: number) => (r >= 1e6 ? `${(r / 1e6).toFixed(1)}M` : `${(r / 1e3).toFixed(0)}k`);
const num = (x: unknown) => (typeof x === "number" ? x : Number.NaN);

function printResult(r: PipelineResult, dir: string | null): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w(
    `modenorm demo: ${r.rows.toLocaleString("en")} rows × 3 columns (value: 5 modes + 0.1% outliers to 1e9; amount: prices in cents + outliers, 0.5% missing; channel: text)`,
  );
  w("");
  w("stage        rows           seconds     rows/s   peak RSS");
  for (const s of r.stages) {
    w(
      `${s.stage.padEnd(12)} ${s.rows.toLocaleString("en").padStart(12)}  ${s.seconds.toFixed(2).padStart(8)}  ${fmtRate(s.rowsPerSecond).padStart(9)}  ${s.peakRssMB.toFixed(0).padStart(6)} MB`,
    );
  }
  w("");
  const fitted = Object.entries(r.fittedOn)
    .map(([c, how]) => `${c} on ${how === "counts" ? "exact value counts" : "a 2^22-row sample"}`)
    .join(", ");
  w(`fit: ${fitted}`);
  for (const c of r.model.columns) {
    if ("modes" in c) w(`  ${c.name}: ${c.modes.length} modes`);
    else if (c.kind === "categorical") w(`  ${c.name}: ${c.categories.length} categories`);
  }
  w(
    `values that failed to come back (inverse output vs input, bit for bit, every column): ${r.failed}`,
  );
  w(`  (evaluate's in-memory round trip: ${r.evaluateFailed}; GAN layout clips ${r.ganClipped})`);
  if (r.peer !== null) {
    const p = r.peer;
    const ours = (stage: string) => r.stages.find((s) => s.stage === stage)!;
    w("");
    w(
      `peer (scikit-learn ${String((p.versions as Record<string, unknown>)?.sklearn)}, ${String(p.sampler)} sampler) on the same value column:`,
    );
    w(
      `  fit on ${num(p.fit_rows).toLocaleString("en")} rows: ${num(p.fit_s).toFixed(1)} s, ${String(p.n_iter)} iterations, converged ${String(p.converged)}, ${String(p.n_valid_modes)} modes`,
    );
    w(
      `  transform ${fmtRate(num(p.transform_rows_per_s))} rows/s, inverse ${fmtRate(num(p.inverse_rows_per_s))} rows/s (in memory, one column)`,
    );
    w(
      `  values that failed to come back (rel. error > 1e-9): ${num(p["n_rel_err_gt_1e-9"]).toLocaleString("en")}; peak RSS ${num(p.peak_rss_mb).toFixed(0)} MB`,
    );
    if (r.valueLogLikelihood !== null && r.peerValueLogLikelihood !== null) {
      w(
        `  mean log-likelihood of value over all rows: ours ${r.valueLogLikelihood.toFixed(4)}, peer ${r.peerValueLogLikelihood.toFixed(4)}`,
      );
    }
    const m = r.valueInMemory;
    if (m !== null) {
      w(
        `  ours on the same column in memory: encode ${fmtRate(m.encodeRowsPerSecond)} rows/s (${(m.encodeRowsPerSecond / num(p.transform_rows_per_s)).toFixed(1)}× the peer), decode ${fmtRate(m.decodeRowsPerSecond)} rows/s (exact; the peer's inverse is one multiply-add and loses values), ${m.failed} values failed`,
      );
    }
    w(
      `  fit: ours ${ours("fit").seconds.toFixed(1)} s for all ${r.rows.toLocaleString("en")} rows and 3 columns (one pass, then EM on the summary) vs the peer's ${num(p.fit_s).toFixed(1)} s for ${num(p.fit_rows).toLocaleString("en")} rows of one column`,
    );
  }
  const m = machine();
  w("");
  w(
    `machine: ${String(m.cpu)}, ${String(m.cores)} cores, ${String(m.memGiB)} GiB, Node ${String(m.node)}`,
  );
  if (dir !== null) w(`files kept in ${dir}`);
}

/** Runs the demo; exit code 1 when a value failed to come back. */
export async function runDemo(o: DemoOptions): Promise<void> {
  if (!Number.isInteger(o.rows) || o.rows < 1000)
    throw new InvalidInputError(`--rows must be an integer >= 1000, got ${o.rows}.`);
  if (!Number.isInteger(o.seed) || o.seed < 0)
    throw new InvalidInputError(`--seed must be a non-negative integer, got ${o.seed}.`);
  const usePeer = o.peer !== "off" && o.peerFitRows > 0 && peerAvailable();
  const reportPath = o.report === false ? undefined : resolve(o.report);
  // An existing file there is replaced only when it is an earlier report.
  if (reportPath !== undefined) {
    await checkWritable(reportPath, true);
    await checkOverwrite({ output: reportPath, kind: "report", inputs: [] });
  }
  const dir = await mkdtemp(join(tmpdir(), "modenorm-demo-"));
  let result: PipelineResult;
  try {
    result = await runPipeline({
      rows: o.rows,
      seed: o.seed,
      dir,
      threads: o.threads,
      peerFitRows: usePeer ? o.peerFitRows : 0,
      reportPath,
      onStage: (stage, rows) => {
        const bar = startProgress(stage.padEnd(9), rows, o.progress !== false && !o.json);
        return (done) => {
          bar.update(done);
          if (done >= (rows ?? Number.POSITIVE_INFINITY)) bar.stop();
        };
      },
    });
  } finally {
    if (!o.keep) await rm(dir, { recursive: true, force: true });
  }
  if (!(result.failed === 0 && result.evaluateFailed === 0)) process.exitCode = 1;
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ ...result, machine: machine(), dir: o.keep ? dir : null, report: reportPath ?? null })}\n`,
    );
    return;
  }
  printResult(result, o.keep ? dir : null);
  if (reportPath !== undefined) process.stdout.write(`report: ${reportPath}\n`);
  if (o.peer !== "off" && !usePeer) {
    process.stdout.write(
      "(peer not run: ../shared/bench/peer_gmm_encoder.py or /usr/bin/python3 with scikit-learn is missing; apt-get install -y python3-sklearn)\n",
    );
  }
  if (result.peerError !== null) process.stdout.write(`(peer failed: ${result.peerError})\n`);
}
