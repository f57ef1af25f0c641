/**
 * Synthetic multi-modal columns for demos, benchmarks and tests: the same distribution the peer
 * benchmark (`shared/bench/peer_gmm_encoder.py --gen-synthetic`) generates, drawn with our own
 * generator (so the values differ, the distribution does not).
 */
import { Random } from "./rng.js";

/** (weight, mean, std) of the five modes. */
export const SYNTHETIC_MODES: ReadonlyArray<readonly [number, number, number]> = [
  [0.35, 0.0, 1e-2],
  [0.25, 50.0, 5.0],
  [0.2, 2.0e3, 3.0e2],
  [0.12, 1.0e5, 2.0e4],
  [0.079, -1.0e4, 3.0e3],
];

/**
 * n values from five Gaussians of very different scales plus a fraction of extreme outliers
 * (log-uniform magnitude in [1e6, 1e9], random sign).
 * @param outlierFraction - default 0.001 (0.1 %).
 */
export function generateMultimodal(n: number, seed: number, outlierFraction = 0.001): Float64Array {
  const rng = new Random(seed);
  const w = SYNTHETIC_MODES.map((m) => m[0]);
  if (outlierFraction > 0) w.push(outlierFraction);
  let total = 0;
  for (const v of w) total += v;
  const cdf = new Float64Array(w.length);
  let acc = 0;
  for (let k = 0; k < w.length; k++) {
    acc += w[k]! / total;
    cdf[k] = acc;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    let k = 0;
    while (k < cdf.length - 1 && u >= cdf[k]!) k++;
    if (k < SYNTHETIC_MODES.length) {
      const [, mu, sd] = SYNTHETIC_MODES[k]!;
      out[i] = mu + sd * rng.normal();
    } else {
      const mag = 10 ** (6 + 3 * rng.random());
      out[i] = rng.random() < 0.5 ? -mag : mag;
    }
  }
  return out;
}

/**
 * Gaussian blobs with known clusters, as scikit-learn's `make_blobs` draws them: `centers`
 * centres uniform in [−10, 10]^d, each row a centre (chosen uniformly) plus N(0, std²) noise per
 * feature; std differs by blob (from `stds`, cycled; default 1).
 * @returns X (n × d, row-major) and each row's true blob.
 */
export function generateBlobs(
  n: number,
  d: number,
  centers: number,
  seed: number,
  stds: readonly number[] = [1],
): { data: Float64Array; rows: number; cols: number; labels: Int32Array } {
  const rng = new Random(seed);
  const mu = Float64Array.from({ length: centers * d }, () => -10 + 20 * rng.random());
  const data = new Float64Array(n * d);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.integer(centers);
    labels[i] = c;
    const s = stds[c % stds.length]!;
    for (let j = 0; j < d; j++) data[i * d + j] = mu[c * d + j]! + s * rng.normal();
  }
  return { data, rows: n, cols: d, labels };
}
