/**
 * The fits of the conformance suite and how their results are compared, shared by every
 * runner's suite (in-process and threads in `conformance.test.ts`, queue workers in
 * `test/distributed/conformance.test.ts`).
 */
import assert from "node:assert/strict";
import { BayesianGaussianMixture } from "../../src/core/bayesian-gaussian-mixture.js";
import { matrixSource } from "../../src/core/fit.js";
import { GaussianMixture } from "../../src/core/gaussian-mixture.js";
import type { Matrix } from "../../src/core/matrix.js";
import type { BaseMixture, ComponentParameters } from "../../src/core/mixture.js";
import { Random } from "../../src/core/rng.js";
import { generateMultimodal } from "../../src/core/synthetic.js";
import { blobs } from "../helpers/data.js";

/** Rows per block of every runner's fits. */
export const BLOCK = 4096;

export /** Byte-wise equality: NaN payloads and −0 count. */
function assertSameBits(a: ArrayBufferView, e: ArrayBufferView, what: string): void {
  const ab = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const eb = new Uint8Array(e.buffer, e.byteOffset, e.byteLength);
  assert.equal(ab.length, eb.length, `${what}: byte length`);
  for (let i = 0; i < eb.length; i++) {
    if (ab[i] !== eb[i]) assert.fail(`${what}: differs at byte ${i}`);
  }
}

export function assertSameFit(
  a: BaseMixture<ComponentParameters>,
  e: BaseMixture<ComponentParameters>,
  what: string,
): void {
  assert.equal(a.nIter, e.nIter, `${what}: nIter`);
  assert.equal(a.converged, e.converged, `${what}: converged`);
  assert.ok(Object.is(a.lowerBound, e.lowerBound), `${what}: lowerBound`);
  assertSameBits(
    Float64Array.from(a.lowerBounds),
    Float64Array.from(e.lowerBounds),
    `${what}: bounds`,
  );
  assertSameBits(a.weights, e.weights, `${what}: weights`);
  assertSameBits(a.means, e.means, `${what}: means`);
  assertSameBits(a.covariances, e.covariances, `${what}: covariances`);
  assertSameBits(a.precisionsCholesky, e.precisionsCholesky, `${what}: precisionsCholesky`);
}

export function weightsFor(n: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.25 + 2 * rng.random();
  return w;
}

export const oneD = (() => {
  const x = generateMultimodal(30000, 7);
  return { data: x, rows: x.length, cols: 1 } satisfies Matrix;
})();
const threeD = blobs(
  [
    [0, 0, 0],
    [5, 1, -2],
    [-3, 4, 2],
  ],
  20000,
  [1, 0.5, 2],
  11,
).X;

export type Model = BaseMixture<ComponentParameters>;
export const FITS: { name: string; X: Matrix; weighted: boolean; make: () => Model }[] = [
  {
    name: "GaussianMixture 1-D",
    X: oneD,
    weighted: false,
    make: () => new GaussianMixture({ nComponents: 6, maxIter: 25, randomState: 1 }) as Model,
  },
  {
    name: "GaussianMixture 1-D weighted",
    X: oneD,
    weighted: true,
    make: () => new GaussianMixture({ nComponents: 6, maxIter: 25, randomState: 1 }) as Model,
  },
  {
    name: "BayesianGaussianMixture 1-D weighted",
    X: oneD,
    weighted: true,
    make: () =>
      new BayesianGaussianMixture({ nComponents: 8, maxIter: 25, randomState: 2 }) as Model,
  },
  {
    name: "GaussianMixture 3-D full weighted",
    X: threeD,
    weighted: true,
    make: () =>
      new GaussianMixture({ nComponents: 3, covarianceType: "full", maxIter: 20 }) as Model,
  },
  {
    name: "GaussianMixture 3-D tied",
    X: threeD,
    weighted: false,
    make: () =>
      new GaussianMixture({ nComponents: 3, covarianceType: "tied", maxIter: 20 }) as Model,
  },
  {
    name: "BayesianGaussianMixture 3-D full",
    X: threeD,
    weighted: false,
    make: () =>
      new BayesianGaussianMixture({ nComponents: 4, maxIter: 20, randomState: 4 }) as Model,
  },
  {
    name: "BayesianGaussianMixture 3-D diag weighted",
    X: threeD,
    weighted: true,
    make: () =>
      new BayesianGaussianMixture({
        nComponents: 4,
        covarianceType: "diag",
        maxIter: 20,
        randomState: 3,
      }) as Model,
  },
];

const reference = new Map<string, Model>();
/** The in-process model of a fit (computed once). */
export async function referenceFit(f: (typeof FITS)[number]): Promise<Model> {
  let m = reference.get(f.name);
  if (m === undefined) {
    m = await f
      .make()
      .fitSource(matrixSource(f.X, f.weighted ? weightsFor(f.X.rows, 4) : null, BLOCK));
    reference.set(f.name, m);
  }
  return m;
}
