/**
 * The fits and the table of the conformance suite and how their results are compared, shared by every
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
import type { Column, Table } from "../../src/core/table.js";
import { fitTable } from "../../src/encode/table-codec.js";
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

export function assertSameTable(a: Table, e: Table, what: string): void {
  assert.equal(a.rows, e.rows, `${what}: rows`);
  assert.deepEqual(
    a.columns.map((c) => [c.name, c.type]),
    e.columns.map((c) => [c.name, c.type]),
    `${what}: columns`,
  );
  e.columns.forEach((ec, j) => {
    const ac = a.columns[j]!;
    const w = `${what}: column ${ec.name}`;
    if (ec.type === "string" || ac.type === "string") {
      assert.deepEqual(ac.values, ec.values, w);
      return;
    }
    if (ec.type === "timestamp") assert.equal((ac as typeof ec).unit, ec.unit, `${w} unit`);
    assertSameBits(ac.values, ec.values, `${w} values`);
    assert.equal(ac.nulls === null, ec.nulls === null, `${w}: null mask presence`);
    if (ec.nulls !== null) assertSameBits(ac.nulls!, ec.nulls, `${w} nulls`);
  });
}

/** A table with every column type of `core/table.ts`, missing values and edge values. */
export function everyTypeTable(n: number): Table {
  const rng = new Random(5);
  const nulls = (every: number) => {
    const m = new Uint8Array(n);
    for (let i = 0; i < n; i += every) m[i] = 1;
    return m;
  };
  const amount = generateMultimodal(n, 3);
  amount[1] = -0;
  amount[2] = 1.7976931348623157e308;
  amount[3] = 5e-324;
  const f32 = new Float32Array(n);
  for (let i = 0; i < n; i++) f32[i] = 3 * rng.normal() + (i % 2 === 0 ? 10 : -10);
  const count = new BigInt64Array(n);
  for (let i = 0; i < n; i++) count[i] = BigInt(Math.floor(rng.random() * 5000));
  const small = new Int32Array(n);
  for (let i = 0; i < n; i++) small[i] = Math.floor(rng.random() * 100) - 50;
  const ts = new BigInt64Array(n);
  for (let i = 0; i < n; i++) ts[i] = 1_600_000_000_000n + BigInt(Math.floor(rng.random() * 1e9));
  const job: (string | null)[] = [];
  for (let i = 0; i < n; i++)
    job.push(
      i % 17 === 0 ? null : ["admin", "técnico", "blue", "日本"][Math.floor(rng.random() * 4)]!,
    );
  const flag = new Uint8Array(n);
  for (let i = 0; i < n; i++) flag[i] = rng.random() < 0.4 ? 1 : 0;
  const balance = new Float64Array(n);
  for (let i = 0; i < n; i++) balance[i] = rng.random() < 0.3 ? 0 : 100 * rng.normal() + 500;
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) score[i] = rng.random() * 10;
  const columns: Column[] = [
    { name: "amount", type: "float64", values: amount, nulls: nulls(23) },
    { name: "f32", type: "float32", values: f32, nulls: null },
    { name: "count", type: "int64", values: count, nulls: nulls(31) },
    { name: "small", type: "int32", values: small, nulls: null },
    { name: "when", type: "timestamp", unit: "ms", values: ts, nulls: nulls(41) },
    { name: "job", type: "string", values: job },
    { name: "flag", type: "bool", values: flag, nulls: null },
    { name: "balance", type: "float64", values: balance, nulls: null },
    { name: "score", type: "float64", values: score, nulls: null },
    { name: "unused", type: "string", values: new Array<string | null>(n).fill("z") },
  ];
  return { rows: n, columns };
}

export const TABLE = everyTypeTable(20000);
export const MODEL = fitTable(TABLE, {
  columns: ["amount", "f32", "count", "small", "when", "job", "flag", "balance", "score"],
  kinds: { count: "integer", small: "categorical", score: "minmax" },
  mixed: { balance: [0] },
  seed: 9,
});
