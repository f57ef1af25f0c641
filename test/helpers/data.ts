/** Deterministic test data and small checks shared by the mixture tests. */
import assert from "node:assert/strict";
import type { CovarianceType } from "../../src/core/covariance.js";
import type { Matrix } from "../../src/core/matrix.js";
import { Random } from "../../src/core/rng.js";
import type { Table } from "../../src/core/table.js";
import type { MixtureColumnSpec, ModeSpec } from "../../src/encode/spec.js";

export const COVARIANCE_TYPES: readonly CovarianceType[] = ["full", "tied", "diag", "spherical"];

/**
 * Gaussian blobs: row i belongs to cluster i mod K and is centre + std·N(0, I) (std may be one
 * number or one per cluster). Returns X (n × d) and the true cluster of each row.
 */
export function blobs(
  centers: readonly (readonly number[])[],
  n: number,
  std: number | readonly number[],
  seed: number,
): { X: Matrix; y: Int32Array } {
  const rng = new Random(seed);
  const K = centers.length;
  const d = centers[0]!.length;
  const data = new Float64Array(n * d);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % K;
    const s = typeof std === "number" ? std : std[c]!;
    y[i] = c;
    for (let j = 0; j < d; j++) data[i * d + j] = centers[c]![j]! + s * rng.normal();
  }
  return { X: { data, rows: n, cols: d }, y };
}

/** n × d uniform values in [0, 1). */
export function uniformMatrix(n: number, d: number, seed: number): Matrix {
  const rng = new Random(seed);
  const data = new Float64Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = rng.random();
  return { data, rows: n, cols: d };
}

/** The rows of a matrix as nested arrays. */
export function toRows(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++)
    out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

/** True when both arrays hold the same bits (so −0 ≠ 0 and NaN payloads count). */
export function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  const fa = Float64Array.from(a);
  const fb = Float64Array.from(b);
  return Buffer.from(fa.buffer).equals(Buffer.from(fb.buffer));
}

/** Asserts two arrays hold identical bits, naming `what`. */
export function assertSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (!sameBits(a, b)) {
    const fa = Float64Array.from(a);
    const fb = Float64Array.from(b);
    let i = 0;
    while (i < Math.min(fa.length, fb.length) && Object.is(fa[i], fb[i])) i++;
    assert.fail(
      `${what}: not bit-identical (length ${fa.length} vs ${fb.length}; first difference at ${i}: ${fa[i]} vs ${fb[i]})`,
    );
  }
}

/**
 * The permutation mapping each true cluster to the predicted label most of its rows got, and the
 * fraction of rows whose label agrees with it. Fails if two clusters map to the same label.
 */
export function matchLabels(
  predicted: Int32Array,
  truth: Int32Array,
  K: number,
): { perm: number[]; accuracy: number } {
  const counts = new Float64Array(K * K);
  for (let i = 0; i < truth.length; i++) counts[truth[i]! * K + predicted[i]!]! += 1;
  const perm: number[] = [];
  let agree = 0;
  for (let t = 0; t < K; t++) {
    let best = 0;
    for (let p = 1; p < K; p++) if (counts[t * K + p]! > counts[t * K + best]!) best = p;
    perm.push(best);
    agree += counts[t * K + best]!;
  }
  assert.equal(new Set(perm).size, K, `clusters share a label: ${perm.join(",")}`);
  return { perm, accuracy: agree / truth.length };
}

/**
 * Asserts P·Σ = I (within `tol`, absolute) for every block: `prec` and `cov` shaped per covariance
 * type (full K·d·d, tied d·d, diag K·d, spherical K).
 */
export function assertInverse(
  prec: Float64Array,
  cov: Float64Array,
  type: CovarianceType,
  K: number,
  d: number,
  tol: number,
  what: string,
): void {
  if (type === "full" || type === "tied") {
    const blocks = type === "full" ? K : 1;
    for (let b = 0; b < blocks; b++) {
      const o = b * d * d;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let q = 0; q < d; q++) s += prec[o + i * d + q]! * cov[o + q * d + j]!;
          const want = i === j ? 1 : 0;
          assert.ok(
            Math.abs(s - want) <= tol,
            `${what}: block ${b} (P·Σ)[${i}][${j}] = ${s}, expected ${want}`,
          );
        }
      }
    }
  } else {
    for (let i = 0; i < prec.length; i++) {
      const s = prec[i]! * cov[i]!;
      assert.ok(Math.abs(s - 1) <= tol, `${what}: [${i}] P·σ² = ${s}, expected 1`);
    }
  }
}

/** P Pᵀ (full, tied) or P² (diag, spherical) of precision Cholesky factors. */
export function precisionsOf(
  precChol: Float64Array,
  type: CovarianceType,
  K: number,
  d: number,
): Float64Array {
  const out = new Float64Array(precChol.length);
  if (type === "full" || type === "tied") {
    const blocks = type === "full" ? K : 1;
    for (let b = 0; b < blocks; b++) {
      const o = b * d * d;
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let q = 0; q < d; q++) s += precChol[o + i * d + q]! * precChol[o + j * d + q]!;
          out[o + i * d + j] = s;
        }
      }
    }
  } else {
    for (let i = 0; i < precChol.length; i++) out[i] = precChol[i]! * precChol[i]!;
  }
  return out;
}

/** Expected length of covariance-shaped arrays. */
export function covLength(type: CovarianceType, K: number, d: number): number {
  return type === "full" ? K * d * d : type === "tied" ? d * d : type === "diag" ? K * d : K;
}

/** Mean of each column of the rows of X selected by `keep` (all rows if null). */
export function columnMean(X: Matrix, keep: ((i: number) => boolean) | null = null): Float64Array {
  const d = X.cols;
  const out = new Float64Array(d);
  let n = 0;
  for (let i = 0; i < X.rows; i++) {
    if (keep !== null && !keep(i)) continue;
    n++;
    for (let j = 0; j < d; j++) out[j]! += X.data[i * d + j]!;
  }
  for (let j = 0; j < d; j++) out[j]! /= n;
  return out;
}

/** Covariance (d·d, denominator n − ddof) of the rows of X selected by `keep`. */
export function columnCovariance(
  X: Matrix,
  ddof: number,
  keep: ((i: number) => boolean) | null = null,
): Float64Array {
  const d = X.cols;
  const mean = columnMean(X, keep);
  const out = new Float64Array(d * d);
  let n = 0;
  for (let i = 0; i < X.rows; i++) {
    if (keep !== null && !keep(i)) continue;
    n++;
    for (let p = 0; p < d; p++) {
      for (let q = 0; q < d; q++) {
        out[p * d + q]! += (X.data[i * d + p]! - mean[p]!) * (X.data[i * d + q]! - mean[q]!);
      }
    }
  }
  for (let i = 0; i < d * d; i++) out[i]! /= n - ddof;
  return out;
}

/** n rows of a three-mode mixture with 2 % nulls, as a float64 column "x". */
export function mixtureTable(n: number, seed: number): Table {
  const rng = new Random(seed);
  const values = new Float64Array(n);
  const nulls = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    values[i] =
      u < 0.5 ? 10 + rng.normal() : u < 0.8 ? 20 + 2 * rng.normal() : 40 + 0.5 * rng.normal();
    if (rng.random() < 0.02) nulls[i] = 1;
  }
  return { rows: n, columns: [{ name: "x", type: "float64", values, nulls }] };
}

/** A continuous float64 column `x` with the given modes (σ multiplier 4); `extra` overrides. */
export function continuousSpec(
  modes: ModeSpec[],
  extra: Partial<MixtureColumnSpec> = {},
): MixtureColumnSpec {
  return {
    name: "x",
    kind: "continuous",
    dtype: "float64",
    modes,
    scale: 4,
    modeChoice: "sample",
    nullable: false,
    rows: 0,
    nullCount: 0,
    meanLogLikelihood: null,
    ...extra,
  };
}

const bitsOf = new Float64Array(1);
const wordsOf = new Uint32Array(bitsOf.buffer);

/** A double of 64 random bits (NaN, ±∞, zeros and subnormals included). */
export function randomDouble(rng: Random): number {
  wordsOf[0] = Math.floor(rng.random() * 2 ** 32);
  wordsOf[1] = Math.floor(rng.random() * 2 ** 32);
  return bitsOf[0]!;
}
