/** `modenorm demo`: fit both estimators on a generated column and print what they found. */
import { BayesianGaussianMixture } from "../core/bayesian-gaussian-mixture.js";
import { InvalidInputError } from "../core/errors.js";
import { GaussianMixture } from "../core/gaussian-mixture.js";
import type { BaseMixture, ComponentParameters } from "../core/mixture.js";
import { generateMultimodal } from "../core/synthetic.js";
import type { Column } from "../core/table.js";
import { CLIP, fitMixtureColumn, mixtureCodec } from "../encode/mixture-column.js";
import { MODE_LITERAL } from "../encode/spec.js";

interface DemoOptions {
  rows: number;
  seed: number;
  json?: boolean;
}

function describeFit(
  name: string,
  m: BaseMixture<ComponentParameters>,
  x: Float64Array,
  seconds: number,
) {
  const modes = [];
  for (let k = 0; k < m.nComponents; k++) {
    modes.push({
      weight: m.weights[k]!,
      mean: m.means[k]!,
      std: Math.sqrt(m.covariances[m.covarianceType === "tied" ? 0 : k]!),
    });
  }
  return {
    model: name,
    seconds,
    rowsPerSecond: x.length / seconds,
    nIter: m.nIter,
    converged: m.converged,
    lowerBound: m.lowerBound,
    modes: modes.filter((c) => c.weight > 0.005).sort((a, b) => a.mean - b.mean),
  };
}

/** Fits the column encoder, encodes, decodes and counts what did not come back. */
function runEncoder(x: Float64Array, seed: number) {
  const col: Column = { name: "value", type: "float64", values: x, nulls: null };
  let t = performance.now();
  const spec = fitMixtureColumn(col, "continuous", { seed });
  const fitSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const enc = mixtureCodec.encodeCompact(spec, col, { seed, columnIndex: 0, firstRow: 0 });
  const encodeSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const dec = mixtureCodec.decodeCompact(spec, enc);
  const decodeSeconds = (performance.now() - t) / 1000;
  let failed = 0;
  let clipped = 0;
  const alpha = enc[0]!.values as Float64Array;
  const mode = enc[1]!.values as Int32Array;
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(dec.values[i], x[i])) failed++;
    if (mode[i] === MODE_LITERAL || Math.abs(alpha[i]!) > CLIP) clipped++;
  }
  return { modes: spec.modes.length, fitSeconds, encodeSeconds, decodeSeconds, failed, clipped };
}

export function runDemo(o: DemoOptions): void {
  if (!Number.isInteger(o.rows) || o.rows < 20)
    throw new InvalidInputError(`--rows must be an integer >= 20, got ${o.rows}.`);
  if (!Number.isInteger(o.seed) || o.seed < 0)
    throw new InvalidInputError(`--seed must be a non-negative integer, got ${o.seed}.`);
  const t0 = performance.now();
  const x = generateMultimodal(o.rows, o.seed);
  const genSeconds = (performance.now() - t0) / 1000;
  const fits = [];
  for (const [name, make] of [
    [
      "BayesianGaussianMixture(K=10, dirichlet_process, prior=0.001), scikit-learn's default mean/covariance priors",
      () =>
        new BayesianGaussianMixture({
          nComponents: 10,
          weightConcentrationPrior: 0.001,
          randomState: o.seed,
        }),
    ],
    [
      "BayesianGaussianMixture(K=10, dirichlet_process, prior=0.001), weak priors (the encoder's)",
      () =>
        new BayesianGaussianMixture({
          nComponents: 10,
          weightConcentrationPrior: 0.001,
          meanPrecisionPrior: 1e-9,
          covariancePrior: 1e-12,
          randomState: o.seed,
        }),
    ],
    ["GaussianMixture(K=6)", () => new GaussianMixture({ nComponents: 6, randomState: o.seed })],
  ] as const) {
    const t = performance.now();
    const m = make().fit(x);
    fits.push(
      describeFit(name, m as BaseMixture<ComponentParameters>, x, (performance.now() - t) / 1000),
    );
  }
  const encoder = runEncoder(x, o.seed);
  // The demo's promise is that every value comes back: say so in the exit code too.
  if (encoder.failed > 0) process.exitCode = 1;
  const out = {
    rows: o.rows,
    seed: o.seed,
    generateSeconds: genSeconds,
    fits,
    encoder,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  process.stdout.write(
    `Generated ${o.rows.toLocaleString("en")} rows (5 modes + 0.1% outliers, seed ${o.seed}) in ${genSeconds.toFixed(2)} s\n`,
  );
  for (const f of fits) {
    process.stdout.write(
      `\n${f.model}\n  fit ${f.seconds.toFixed(2)} s (${(f.rowsPerSecond / 1e6).toFixed(2)}M rows/s), ${f.nIter} iterations, converged ${f.converged}, lower bound ${f.lowerBound.toPrecision(8)}\n`,
    );
    process.stdout.write("  weight      mean             std\n");
    for (const c of f.modes) {
      process.stdout.write(
        `  ${c.weight.toFixed(4).padEnd(10)}  ${c.mean.toPrecision(6).padEnd(15)}  ${c.std.toPrecision(6)}\n`,
      );
    }
  }
  const e = encoder;
  process.stdout.write("\nColumn encoder (mode-specific normalization, compact layout)\n");
  process.stdout.write("  stage       seconds   rows/s\n");
  for (const [stage, sec] of [
    ["fit", e.fitSeconds],
    ["encode", e.encodeSeconds],
    ["decode", e.decodeSeconds],
  ] as const) {
    process.stdout.write(
      `  ${stage.padEnd(10)}  ${sec.toFixed(3).padStart(7)}   ${(o.rows / sec / 1e6).toFixed(2)}M\n`,
    );
  }
  process.stdout.write(
    `  ${e.modes} modes kept; values that failed to come back: ${e.failed} of ${o.rows}; clipped in the GAN layout: ${e.clipped}\n`,
  );
  process.stdout.write(`\npeak RSS ${out.peakRssMB.toFixed(0)} MB\n`);
}
