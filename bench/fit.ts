/**
 * Fit benchmark: BayesianGaussianMixture(K=10, dirichlet_process, prior 0.001) — the encoder's
 * model — on the peer's synthetic column (5 modes + 0.1 % outliers) and on the credit-card
 * `Amount` column, against the peer (scikit-learn) on the same data in the same run.
 *
 *   node dist/bench/fit.js [--sizes 1000000,10000000] [--peer auto|off] [--max-iter 100]
 *
 * Prints one JSON line per (data, size, fitter): seconds, iterations, convergence, modes with
 * weight > 0.005, the mean log-likelihood of the fitted point estimates over all rows, peak RSS,
 * and for ours the speed ratio against the peer.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BayesianGaussianMixture,
  type BayesianGaussianMixtureOptions,
  generateMultimodal,
  meanLogLikelihood,
  pointEstimateTerms,
} from "../src/index.js";
import {
  benchOptions,
  emit,
  machine,
  PYTHON,
  peakRssMB,
  peerAvailable,
  ROOT,
  readF64,
  runPeer,
} from "./common.js";

const opts = benchOptions(
  "Fit time and quality at sizes you choose, against the peer on the same data.",
  {
    sizes: { default: "1000000", kind: "counts", help: "row counts, comma-separated" },
    peer: { default: "auto", help: "off: do not run the peer" },
    "max-iter": { default: "100", kind: "count", help: "EM/VB iterations at most" },
  },
);
const sizes = opts.sizes.split(",").map(Number);
const usePeer = opts.peer !== "off" && peerAvailable();
const maxIter = Number(opts["max-iter"]);
const dir = join(tmpdir(), "modenorm-bench");
mkdirSync(dir, { recursive: true });

interface Mode {
  weight: number;
  mean: number;
  std: number;
}

function loglik(x: Float64Array, modes: Mode[]): number {
  const k = modes.length;
  const t = pointEstimateTerms(
    Float64Array.from(modes, (m) => m.weight),
    Float64Array.from(modes, (m) => m.mean),
    Float64Array.from(modes, (m) => m.std * m.std),
    "spherical",
    k,
    1,
  );
  return meanLogLikelihood({ data: x, rows: x.length, cols: 1 }, t);
}

function ours(data: string, x: Float64Array, label: string, extra: BayesianGaussianMixtureOptions) {
  const t0 = performance.now();
  const m = new BayesianGaussianMixture({
    nComponents: 10,
    weightConcentrationPrior: 0.001,
    maxIter,
    ...extra,
  }).fit(x);
  const seconds = (performance.now() - t0) / 1000;
  const modes: Mode[] = [];
  for (let k = 0; k < 10; k++) {
    modes.push({ weight: m.weights[k]!, mean: m.means[k]!, std: Math.sqrt(m.covariances[k]!) });
  }
  return {
    data,
    rows: x.length,
    fitter: `modenorm ${label}`,
    seconds,
    nIter: m.nIter,
    converged: m.converged,
    validModes: modes.filter((c) => c.weight > 0.005).length,
    meanLogLik: loglik(x, modes),
    peakRssMB: peakRssMB(),
  };
}

function dataset(name: string, n: number): { file: string; x: Float64Array } {
  if (name === "credit") {
    const csv = join(ROOT, "..", "shared", "data", "creditcard_amount.csv");
    const lines = readFileSync(csv, "utf8").trim().split("\n").slice(1);
    const src = Float64Array.from(lines, (l) => Number(l.split(",")[1]));
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = src[i % src.length]!;
    const file = join(dir, `credit-${n}.f64`);
    writeFileSync(file, new Uint8Array(x.buffer));
    return { file, x };
  }
  const file = join(dir, `synthetic-${n}.f64`);
  if (usePeer) {
    if (!existsSync(file))
      runPeer(["--gen-synthetic", file, "--gen-rows", String(n), "--seed", "7"]);
    return { file, x: readF64(file) };
  }
  const x = generateMultimodal(n, 7);
  writeFileSync(file, new Uint8Array(x.buffer));
  return { file, x };
}

const creditAvailable = existsSync(join(ROOT, "..", "shared", "data", "creditcard_amount.csv"));
for (const data of creditAvailable ? ["synthetic", "credit"] : ["synthetic"]) {
  for (const n of sizes) {
    const { file, x } = dataset(data, n);
    const results = [
      ours(data, x, "default (quantile init, sklearn priors)", {}),
      ours(data, x, "kmeans init, sklearn priors", { initParams: "kmeans" }),
      ours(data, x, "quantile init, weak priors", {
        meanPrecisionPrior: 1e-9,
        covariancePrior: 1e-12,
      }),
    ];
    let peer: Record<string, unknown> | null = null;
    if (usePeer) {
      const p = runPeer(["--input", file, "--rows", String(n), "--seed", "0"]);
      const modes = (p.all_components as Mode[]).filter((c) => c.weight > 0);
      peer = {
        data,
        rows: n,
        fitter: `peer scikit-learn ${(p.versions as { sklearn: string }).sklearn} (kmeans init)`,
        seconds: p.fit_s,
        nIter: p.n_iter,
        converged: p.converged,
        validModes: p.n_valid_modes,
        meanLogLik: loglik(x, modes),
        peakRssMB: p.peak_rss_mb,
        python: PYTHON,
      };
      emit({ bench: "fit", ...peer, machine: machine() });
    }
    for (const r of results) {
      emit({
        bench: "fit",
        ...r,
        speedupVsPeer: peer ? (peer.seconds as number) / r.seconds : null,
        meanLogLikMinusPeer: peer ? r.meanLogLik - (peer.meanLogLik as number) : null,
        machine: machine(),
      });
    }
  }
}
