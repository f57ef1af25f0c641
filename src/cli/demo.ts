/** `modenorm demo`: fit both estimators on a generated column and print what they found. */
import { BayesianGaussianMixture } from "../core/bayesian-gaussian-mixture.js";
import { InvalidInputError } from "../core/errors.js";
import { GaussianMixture } from "../core/gaussian-mixture.js";
import type { BaseMixture, ComponentParameters } from "../core/mixture.js";
import { generateMultimodal } from "../core/synthetic.js";

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
      "BayesianGaussianMixture(K=10, dirichlet_process, prior=0.001)",
      () =>
        new BayesianGaussianMixture({
          nComponents: 10,
          weightConcentrationPrior: 0.001,
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
  const out = {
    rows: o.rows,
    seed: o.seed,
    generateSeconds: genSeconds,
    fits,
    peakRssMB: process.memoryUsage().rss / 2 ** 20,
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
  process.stdout.write(`\npeak RSS ${out.peakRssMB.toFixed(0)} MB\n`);
}
