/**
 * The population stability index of binned shares, and its no-drift distribution at given sample
 * sizes, so PSI thresholds can be raised where chance alone reaches them (small samples, many
 * rare bins).
 *
 * PSI = Σ (p_i − q_i)·ln(p_i / q_i) over bins, with p the new data's shares and q the baseline's,
 * both smoothed by half a row per bin (so an empty bin is finite): p_i = (c_i + ½)/(n + ½B).
 */
import { Random } from "../core/rng.js";

/** PSI of new counts (`counts`, n rows) against baseline shares `base` of a `size`-row sample. */
export function psi(counts: ArrayLike<number>, base: ArrayLike<number>, size: number): number {
  const B = base.length;
  let n = 0;
  for (let i = 0; i < B; i++) n += counts[i]!;
  let out = 0;
  for (let i = 0; i < B; i++) {
    const p = (counts[i]! + 0.5) / (n + 0.5 * B);
    const q = (base[i]! * size + 0.5) / (size + 0.5 * B);
    out += (p - q) * Math.log(p / q);
  }
  return out;
}

/** Percentiles of PSI when both samples come from the baseline's distribution. */
export interface PsiNull {
  p99: number;
  p999: number;
  /** Simulated pairs of samples behind the percentiles. */
  draws: number;
}

const cache = new WeakMap<ArrayLike<number>, Map<string, PsiNull>>();

/**
 * The 99th and 99.9th percentiles of {@link psi} between an n-row sample and a `size`-row
 * baseline, both drawn (multinomial) from the shares `base`: by simulation with a fixed seed, so
 * the same inputs always give the same thresholds. Draws: 2,000, fewer (at least 200) for many
 * bins. Cached per `base` array and sizes.
 */
export function psiNull(base: ArrayLike<number>, size: number, n: number): PsiNull {
  const N = Math.max(1, Math.round(size));
  const key = `${N}:${n}`;
  let byBase = cache.get(base);
  if (byBase === undefined) {
    byBase = new Map();
    cache.set(base, byBase);
  }
  const hit = byBase.get(key);
  if (hit !== undefined) return hit;
  const B = base.length;
  const draws = Math.max(200, Math.min(2000, Math.floor(2e6 / B)));
  const rng = new Random(0x5eed);
  const tail = new Float64Array(B + 1);
  for (let i = B - 1; i >= 0; i--) tail[i] = tail[i + 1]! + base[i]!;
  const c = new Float64Array(B);
  const b = new Float64Array(B);
  const draw = (rows: number, out: Float64Array) => {
    let left = rows;
    for (let i = 0; i < B; i++) {
      const t = tail[i]!;
      const p = i === B - 1 || t <= 0 ? 1 : Math.min(1, base[i]! / t);
      const k = left === 0 || p === 0 ? 0 : rng.binomial(left, p);
      out[i] = k;
      left -= k;
    }
  };
  const values = new Float64Array(draws);
  for (let r = 0; r < draws; r++) {
    draw(n, c);
    draw(N, b);
    for (let i = 0; i < B; i++) b[i] = b[i]! / N;
    values[r] = psi(c, b, N);
  }
  values.sort();
  const at = (q: number) => values[Math.min(draws - 1, Math.ceil(q * draws) - 1)]!;
  const out = { p99: at(0.99), p999: at(0.999), draws };
  byBase.set(key, out);
  return out;
}
