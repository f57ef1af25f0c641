/**
 * BayesianGaussianMixture behaviours, after what scikit-learn 1.2.1's test_bayesian_mixture.py
 * checks (priors, weights from the concentration, monotone bound, predict/score consistency,
 * translation invariance), plus this library's per-row convergence rule. Every covariance type.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BayesianGaussianMixture } from "../../src/core/bayesian-gaussian-mixture.js";
import type { Matrix } from "../../src/core/matrix.js";
import { INIT_PARAMS } from "../../src/core/options.js";
import { Random } from "../../src/core/rng.js";
import type { WeightConcentrationPriorType } from "../../src/core/variational.js";
import { assertClose } from "../helpers/close.js";
import {
  assertInverse,
  assertSameBits,
  blobs,
  COVARIANCE_TYPES,
  columnCovariance,
  columnMean,
  covLength,
  matchLabels,
  precisionsOf,
  toRows,
  uniformMatrix,
} from "../helpers/data.js";

const PRIOR_TYPES: readonly WeightConcentrationPriorType[] = [
  "dirichlet_process",
  "dirichlet_distribution",
];
const CENTERS = [
  [0, 0],
  [8, 0],
  [0, 8],
];
const three = blobs(CENTERS, 600, [1, 0.7, 1.3], 31);
const oneD = blobs([[-6], [0], [7]], 450, [1, 0.5, 1.5], 32);
const twoClusters = blobs(
  [
    [0, 0],
    [10, 10],
  ],
  400,
  1,
  33,
);
const uniform = uniformMatrix(400, 2, 34);

function argmaxRow(m: Matrix, i: number): number {
  let best = 0;
  for (let k = 1; k < m.cols; k++)
    if (m.data[i * m.cols + k]! > m.data[i * m.cols + best]!) best = k;
  return best;
}

describe("BayesianGaussianMixture attributes", () => {
  for (const prior of PRIOR_TYPES) {
    for (const type of COVARIANCE_TYPES) {
      for (const [label, X] of [
        ["2-D", three.X],
        ["1-D", oneD.X],
      ] as const) {
        it(`fit ${prior} ${type} ${label}: shapes, weights, precisions invert covariances`, () => {
          const K = 4;
          const d = X.cols;
          const bgm = new BayesianGaussianMixture({
            nComponents: K,
            covarianceType: type,
            weightConcentrationPriorType: prior,
          }).fit(X);
          assert.equal(bgm.weights.length, K);
          assert.equal(bgm.means.length, K * d);
          const L = covLength(type, K, d);
          assert.equal(bgm.covariances.length, L);
          assert.equal(bgm.precisions.length, L);
          assert.equal(bgm.precisionsCholesky.length, L);
          assert.equal(bgm.meanPrecision.length, K);
          assert.equal(bgm.degreesOfFreedom.length, type === "tied" ? 1 : K);
          const wc = bgm.weightConcentration;
          assert.equal(wc.length, prior === "dirichlet_process" ? 2 * K : K);
          let sum = 0;
          for (const w of bgm.weights) sum += w;
          assert.ok(Math.abs(sum - 1) <= 1e-12, `weights sum to ${sum}`);
          // Weights are the posterior means of the weight distribution.
          const expected = new Float64Array(K);
          if (prior === "dirichlet_distribution") {
            let a = 0;
            for (const v of wc) a += v;
            for (let k = 0; k < K; k++) expected[k] = wc[k]! / a;
          } else {
            let stick = 1;
            let s = 0;
            for (let k = 0; k < K; k++) {
              const t = wc[k]! + wc[K + k]!;
              expected[k] = (wc[k]! / t) * stick;
              stick *= wc[K + k]! / t;
              s += expected[k]!;
            }
            for (let k = 0; k < K; k++) expected[k]! /= s;
          }
          assertClose(bgm.weights, expected, 1e-12, "weights from concentration");
          assertInverse(bgm.precisions, bgm.covariances, type, K, d, 1e-9, "precisions");
          const fromChol = precisionsOf(bgm.precisionsCholesky, type, K, d);
          assertInverse(fromChol, bgm.covariances, type, K, d, 1e-9, "P Pᵀ");
          assert.equal(bgm.lowerBounds.length, bgm.nIter);
        });
      }
    }
  }
});

describe("BayesianGaussianMixture priors", () => {
  for (const type of COVARIANCE_TYPES) {
    it(`fit ${type}: priors hold the resolved defaults`, () => {
      const K = 3;
      const d = 2;
      const bgm = new BayesianGaussianMixture({ nComponents: K, covarianceType: type });
      bgm.fit(three.X);
      const p = bgm.priors!;
      assert.ok(p !== null);
      assert.equal(p.weightConcentrationPriorType, "dirichlet_process");
      assert.equal(p.weightConcentrationPrior, 1 / K);
      assert.equal(p.meanPrecisionPrior, 1);
      assert.equal(p.degreesOfFreedomPrior, d);
      assertClose(p.meanPrior, columnMean(three.X), 1e-12, "meanPrior");
      const cov = columnCovariance(three.X, 1);
      let want: number[];
      if (type === "full" || type === "tied") want = Array.from(cov);
      else if (type === "diag") want = [cov[0]!, cov[3]!];
      else want = [(cov[0]! + cov[3]!) / 2];
      assertClose(p.covariancePrior, want, 1e-12, "covariancePrior");
    });
  }

  it("fit uses given priors as given", () => {
    const bgm = new BayesianGaussianMixture({
      nComponents: 2,
      covarianceType: "diag",
      weightConcentrationPriorType: "dirichlet_distribution",
      weightConcentrationPrior: 2,
      meanPrecisionPrior: 0.5,
      meanPrior: [1, 2],
      degreesOfFreedomPrior: 5,
      covariancePrior: [3, 4],
    }).fit(three.X);
    const p = bgm.priors!;
    assert.equal(p.weightConcentrationPriorType, "dirichlet_distribution");
    assert.equal(p.weightConcentrationPrior, 2);
    assert.equal(p.meanPrecisionPrior, 0.5);
    assert.deepEqual(Array.from(p.meanPrior), [1, 2]);
    assert.equal(p.degreesOfFreedomPrior, 5);
    assert.deepEqual(Array.from(p.covariancePrior), [3, 4]);
  });
});

describe("BayesianGaussianMixture predictions", () => {
  for (const prior of PRIOR_TYPES) {
    for (const type of COVARIANCE_TYPES) {
      it(`fitPredict ${prior} ${type} equals fit then predict; proba and score agree`, () => {
        const opts = {
          nComponents: 3,
          covarianceType: type,
          weightConcentrationPriorType: prior,
          randomState: 3,
        };
        const labels = new BayesianGaussianMixture(opts).fitPredict(three.X);
        const bgm = new BayesianGaussianMixture(opts).fit(three.X);
        const predicted = bgm.predict(three.X);
        assert.deepEqual(labels, predicted);
        const p = bgm.predictProba(three.X);
        for (let i = 0; i < p.rows; i++) {
          let s = 0;
          for (let k = 0; k < 3; k++) s += p.data[i * 3 + k]!;
          assert.ok(Math.abs(s - 1) <= 1e-12, `row ${i} sums to ${s}`);
          assert.equal(argmaxRow(p, i), predicted[i]);
        }
        const ss = bgm.scoreSamples(three.X);
        let mean = 0;
        for (const v of ss) mean += v;
        assertClose([bgm.score(three.X)], [mean / ss.length], 1e-12, "score");
        const w = Array.from({ length: ss.length }, (_, i) => (i % 5) + 0.5);
        let num = 0;
        let den = 0;
        for (let i = 0; i < ss.length; i++) {
          num += w[i]! * ss[i]!;
          den += w[i]!;
        }
        assertClose([bgm.score(three.X, { sampleWeight: w })], [num / den], 1e-12, "weighted");
        const { accuracy } = matchLabels(predicted, three.y, 3);
        assert.ok(accuracy >= 0.995, `accuracy ${accuracy}`);
      });
    }
  }
});

describe("BayesianGaussianMixture weights", () => {
  for (const type of COVARIANCE_TYPES) {
    it(`fit dirichlet_process ${type}: K = 6 on 2 clusters leaves the extra components < 0.01`, () => {
      // Tied components share one covariance, so spare components cost little and VB empties
      // them slowly (scikit-learn 1.2.1 has not done so after 100 iterations on these data); at
      // the default per-row tol of 1e-3 it stops on that plateau after 6 iterations.
      const tol = type === "tied" ? 1e-6 : 1e-3;
      const bgm = new BayesianGaussianMixture({
        nComponents: 6,
        covarianceType: type,
        tol,
        maxIter: 1000,
      });
      bgm.fit(twoClusters.X);
      assert.equal(bgm.converged, true);
      const sorted = Array.from(bgm.weights).sort((a, b) => b - a);
      assert.ok(
        Math.abs(sorted[0]! - 0.5) < 0.02 && Math.abs(sorted[1]! - 0.5) < 0.02,
        `${sorted}`,
      );
      for (const w of sorted.slice(2)) assert.ok(w < 0.01, `extra weight ${w}`);
    });
  }

  it("fit dirichlet_process and dirichlet_distribution give different weights", () => {
    const fit = (prior: WeightConcentrationPriorType) =>
      new BayesianGaussianMixture({ nComponents: 6, weightConcentrationPriorType: prior }).fit(
        twoClusters.X,
      );
    const dp = fit("dirichlet_process");
    const dd = fit("dirichlet_distribution");
    let diff = 0;
    for (let k = 0; k < 6; k++) diff = Math.max(diff, Math.abs(dp.weights[k]! - dd.weights[k]!));
    assert.ok(diff > 1e-4, `max weight difference ${diff}`);
    assert.notEqual(dp.lowerBound, dd.lowerBound);
  });
});

describe("BayesianGaussianMixture convergence", () => {
  it('fit: "per-row" converges on 200k rows where "sklearn" does not', () => {
    const rng = new Random(35);
    const n = 200_000;
    const x = new Float64Array(n);
    for (let i = 0; i < n; i++) x[i] = (rng.random() < 0.4 ? -2 : 1.5) + rng.normal();
    const tol = 1e-3;
    const perRow = new BayesianGaussianMixture({ nComponents: 3, tol }).fit(x);
    assert.equal(perRow.converged, true);
    const lb = perRow.lowerBounds;
    const t = lb.length - 1;
    assert.ok(t >= 2, `iterations ${perRow.nIter}`);
    // What is compared is the change of the bound divided by the number of rows.
    const last = lb[t]! - lb[t - 1]!;
    assert.ok(Math.abs(last) / n < tol, `last per-row change ${last / n}`);
    for (let i = 1; i < t; i++) assert.ok(Math.abs(lb[i]! - lb[i - 1]!) / n >= tol);
    // The summed change at that point is far above tol: scikit-learn's rule would go on.
    assert.ok(Math.abs(last) > 100 * tol, `last summed change ${last}`);

    const maxIter = Math.max(20, 3 * perRow.nIter);
    const sk = new BayesianGaussianMixture({
      nComponents: 3,
      tol,
      convergence: "sklearn",
      maxIter,
    });
    sk.fit(x);
    assert.ok(!sk.converged || sk.nIter > 3 * perRow.nIter, `sklearn nIter ${sk.nIter}`);
    const skb = sk.lowerBounds;
    if (!sk.converged) {
      for (let i = 1; i < skb.length; i++) assert.ok(Math.abs(skb[i]! - skb[i - 1]!) >= tol);
      assert.ok(sk.warnings.some((w) => /did not converge/.test(w)));
    }
    // Both runs start alike: the traces agree while neither has stopped.
    assertSameBits(skb.slice(0, lb.length), lb, "shared iterations");
  });

  for (const prior of PRIOR_TYPES) {
    it(`fit ${prior}: warm fits of one iteration never lower the bound and converge`, () => {
      const bgm = new BayesianGaussianMixture({
        nComponents: 6,
        weightConcentrationPriorType: prior,
        maxIter: 1,
        warmStart: true,
      });
      let prev = Number.NEGATIVE_INFINITY;
      let fits = 0;
      while (fits < 600) {
        bgm.fit(three.X);
        fits++;
        assert.ok(bgm.lowerBound >= prev - 1e-9 * Math.abs(prev), `fit ${fits}`);
        prev = bgm.lowerBound;
        if (bgm.converged) break;
      }
      assert.equal(bgm.converged, true, `not converged after ${fits} fits`);
    });
  }

  it("fit with maxIter 1 reports non-convergence as data", () => {
    const bgm = new BayesianGaussianMixture({ nComponents: 3, maxIter: 1 }).fit(uniform);
    assert.equal(bgm.converged, false);
    assert.ok(bgm.warnings.some((w) => /did not converge/.test(w) && /maxIter/.test(w)));
  });
});

describe("BayesianGaussianMixture warmStart and nInit", () => {
  for (const type of COVARIANCE_TYPES) {
    it(`fit ${type}: two warm fits of k iterations equal one cold fit of 2k`, () => {
      const opts = { nComponents: 3, covarianceType: type, tol: 0, randomState: 2 } as const;
      const cold = new BayesianGaussianMixture({ ...opts, maxIter: 8 }).fit(uniform);
      const warm = new BayesianGaussianMixture({ ...opts, maxIter: 4, warmStart: true });
      warm.fit(uniform);
      const first = warm.lowerBounds.slice();
      warm.fit(uniform);
      assert.equal(cold.converged, false);
      assertSameBits(warm.weights, cold.weights, "weights");
      assertSameBits(warm.means, cold.means, "means");
      assertSameBits(warm.covariances, cold.covariances, "covariances");
      assertSameBits(warm.weightConcentration, cold.weightConcentration, "concentration");
      assertSameBits([...first, ...warm.lowerBounds], cold.lowerBounds, "bound trace");
    });

    it(`fit ${type}: a warm fit starts from the previous bound`, () => {
      const bgm = new BayesianGaussianMixture({
        nComponents: 3,
        covarianceType: type,
        warmStart: true,
      });
      bgm.fit(three.X);
      assert.equal(bgm.converged, true);
      bgm.fit(three.X);
      assert.equal(bgm.converged, true);
      assert.equal(bgm.nIter, 1);
    });

    it(`fit ${type} keeps the best of nInit initialisations`, () => {
      const opts = { nComponents: 3, covarianceType: type, initParams: "random" } as const;
      const one = new BayesianGaussianMixture({ ...opts, randomState: 5 }).fit(uniform);
      const five = new BayesianGaussianMixture({ ...opts, randomState: 5, nInit: 5 }).fit(uniform);
      assert.ok(five.lowerBound >= one.lowerBound);
      const shared = new Random(5);
      let best = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < 5; i++) {
        const b = new BayesianGaussianMixture({ ...opts, randomState: shared }).fit(uniform);
        best = Math.max(best, b.lowerBound);
      }
      assert.equal(five.lowerBound, best);
    });
  }

  for (const init of INIT_PARAMS) {
    it(`fit initParams ${init} is deterministic for a fixed randomState`, () => {
      const X = init === "quantile" ? oneD.X : three.X;
      const make = () =>
        new BayesianGaussianMixture({ nComponents: 3, initParams: init, randomState: 9 }).fit(X);
      const a = make();
      const b = make();
      assertSameBits(a.weights, b.weights, "weights");
      assertSameBits(a.means, b.means, "means");
      assertSameBits(a.covariances, b.covariances, "covariances");
      assertSameBits([a.lowerBound], [b.lowerBound], "bound");
    });
  }
});

describe("BayesianGaussianMixture data", () => {
  for (const type of COVARIANCE_TYPES) {
    it(`fit ${type} is invariant to translating the data`, () => {
      const shifted = toRows(three.X).map((r) => [r[0]! + 100, r[1]! - 50]);
      const opts = { nComponents: 3, covarianceType: type, tol: 1e-8, maxIter: 200 };
      const a = new BayesianGaussianMixture(opts).fit(three.X);
      const b = new BayesianGaussianMixture(opts).fit(shifted);
      const moved = Array.from(a.means, (v, i) => v + (i % 2 === 0 ? 100 : -50));
      assertClose(b.means, moved, 1e-7, "means");
      assertClose(b.weights, a.weights, 1e-7, "weights");
      assertClose(b.covariances, a.covariances, 1e-7, "covariances");
    });

    it(`fit ${type}: integer weights equal repeated rows, zero weights equal dropped rows`, () => {
      const X = blobs(
        [
          [0, 0],
          [4, 1],
        ],
        40,
        1,
        36,
      ).X;
      const n = X.rows;
      // Fixed initial responsibilities (repeated with their rows) make the two fits comparable.
      const resp = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? [0.9, 0.1] : [0.2, 0.8]));
      for (const w of [
        Array.from({ length: n }, (_, i) => 1 + (i % 3)),
        Array.from({ length: n }, (_, i) => (i % 3 === 1 ? 0 : 1)),
      ]) {
        const rows: number[][] = [];
        const repResp: number[][] = [];
        const Xr = toRows(X);
        for (let i = 0; i < n; i++) {
          for (let c = 0; c < w[i]!; c++) {
            rows.push(Xr[i]!);
            repResp.push(resp[i]!);
          }
        }
        const opts = { nComponents: 2, covarianceType: type, tol: 0, maxIter: 20 };
        const a = new BayesianGaussianMixture({ ...opts, respInit: resp });
        a.fit(X, { sampleWeight: w });
        const b = new BayesianGaussianMixture({ ...opts, respInit: repResp }).fit(rows);
        assertClose(a.weights, b.weights, 1e-9, "weights");
        assertClose(a.means, b.means, 1e-9, "means");
        assertClose(a.covariances, b.covariances, 1e-9, "covariances");
        assertClose(a.lowerBounds, b.lowerBounds, 1e-9, "bounds");
        assertClose(a.priors!.covariancePrior, b.priors!.covariancePrior, 1e-12, "prior");
      }
    });

    it(`fit ${type}: a constant column fits`, () => {
      const rows = toRows(three.X).map((r) => [r[0]!, -3]);
      const bgm = new BayesianGaussianMixture({ nComponents: 3, covarianceType: type });
      bgm.fit(rows);
      for (const v of bgm.covariances) assert.ok(Number.isFinite(v));
      for (let k = 0; k < 3; k++) assert.ok(Math.abs(bgm.means[k * 2 + 1]! + 3) < 1e-9);
    });
  }

  it("fit warns when there are fewer distinct rows than components", () => {
    const rows = Array.from({ length: 30 }, (_, i) => [i % 2, 1]);
    const bgm = new BayesianGaussianMixture({ nComponents: 4 }).fit(rows);
    assert.ok(
      bgm.warnings.some((w) => /2 distinct row/.test(w)),
      bgm.warnings.join("; "),
    );
  });

  it("sample draws from the fitted mixture", () => {
    const bgm = new BayesianGaussianMixture({ nComponents: 3 }).fit(three.X);
    const { X, y } = bgm.sample(3000);
    assert.equal(X.rows, 3000);
    assert.equal(X.cols, 2);
    for (let i = 1; i < y.length; i++) assert.ok(y[i]! >= y[i - 1]!);
    const { accuracy } = matchLabels(bgm.predict(X), y, 3);
    assert.ok(accuracy > 0.99, `accuracy ${accuracy}`);
  });
});
