/**
 * The main job at sizes you choose, against the peer on the same data in the same run: one JSON
 * line per stage (rows, seconds, rows/s, peak RSS, machine), then one line of ratios per size.
 *
 *   node dist/bench/pipeline.js [--sizes 1000000,10000000] [--peer auto|off]
 *                               [--peer-fit-rows 1000000] [--threads N]
 *
 * Stages (see src/cli/pipeline.ts): generate Parquet parts of a 3-column table, fit (one streaming
 * pass), transform into shards, inverse into shards, compare with the input bit for bit, evaluate;
 * and the `value` column alone in memory (what the peer measures). The peer fits on
 * min(rows, --peer-fit-rows) rows (it needs ~45 s per million rows here) and transforms all rows.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPipeline } from "../src/cli/pipeline.js";
import { benchOptions, emit, machine, peerAvailable } from "./common.js";

const opts = benchOptions("The main job at sizes you choose, against the peer on the same data.", {
  sizes: { default: "1000000,10000000", kind: "counts", help: "row counts, comma-separated" },
  peer: { default: "auto", help: "off: do not run the peer" },
  "peer-fit-rows": { default: "1000000", kind: "count", help: "rows the peer fits on at most" },
  threads: { default: "all cores", kind: "count", help: "worker threads" },
});
const sizes = opts.sizes.split(",").map(Number);
const usePeer = opts.peer !== "off" && peerAvailable();
const peerFitRows = Number(opts["peer-fit-rows"]);
const threads = opts.threads === "all cores" ? undefined : Number(opts.threads);
const m = machine();
const num = (x: unknown) => (typeof x === "number" ? x : Number.NaN);

for (const rows of sizes) {
  const dir = mkdtempSync(join(tmpdir(), "modenorm-bench-"));
  try {
    const r = await runPipeline({
      rows,
      seed: 7,
      dir,
      threads,
      peerFitRows: usePeer ? Math.min(rows, peerFitRows) : 0,
      inMemoryFit: usePeer,
    });
    for (const s of r.stages) emit({ bench: "pipeline", ...s, machine: m });
    const byStage = Object.fromEntries(r.stages.map((s) => [s.stage, s]));
    const p = r.peer;
    emit({
      bench: "pipeline-summary",
      rows,
      failed: r.failed,
      evaluateFailed: r.evaluateFailed,
      ganClipped: r.ganClipped,
      fittedOn: r.fittedOn,
      valueInMemory: r.valueInMemory,
      valueLogLikelihood: r.valueLogLikelihood,
      inMemoryFit: r.inMemoryFit,
      peer:
        p === null
          ? null
          : {
              fitRows: p.fit_rows,
              fitSeconds: p.fit_s,
              nIter: p.n_iter,
              converged: p.converged,
              validModes: p.n_valid_modes,
              transformRowsPerSecond: p.transform_rows_per_s,
              inverseRowsPerSecond: p.inverse_rows_per_s,
              failed: p["n_rel_err_gt_1e-9"],
              peakRssMB: p.peak_rss_mb,
              valueLogLikelihood: r.peerValueLogLikelihood,
            },
      ratios:
        p === null || r.valueInMemory === null
          ? null
          : {
              // >1 means modenorm is faster / better.
              fitSecondsPeerOverOurs: num(p.fit_s) / byStage.fit!.seconds,
              fitRowsOursOverPeer: rows / num(p.fit_rows),
              encodeInMemory: r.valueInMemory.encodeRowsPerSecond / num(p.transform_rows_per_s),
              transformEndToEndVsPeerInMemory:
                byStage.transform!.rowsPerSecond / num(p.transform_rows_per_s),
              logLikelihoodOursMinusInMemoryFit:
                (r.valueLogLikelihood ?? Number.NaN) -
                (r.inMemoryFit?.valueLogLikelihood ?? Number.NaN),
              logLikelihoodDifference:
                (r.valueLogLikelihood ?? Number.NaN) - (r.peerValueLogLikelihood ?? Number.NaN),
              failedPeerMinusOurs: num(p["n_rel_err_gt_1e-9"]) - r.failed,
            },
      peerError: r.peerError,
      machine: m,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
