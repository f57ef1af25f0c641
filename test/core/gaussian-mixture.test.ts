/**
 * GaussianMixture behaviours, after what scikit-learn 1.2.1's test_gaussian_mixture.py and
 * test_mixture.py check (attributes, predict/score consistency, warm start, nInit, init methods,
 * sampling, BIC/AIC, regularisation, convergence), written for this API and for every covariance
 * type. Tolerances are stated per test; data are drawn from our own seeded generator.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DegenerateFitError, InvalidInputError } from "../../src/core/errors.js";
import { GaussianMixture } from "../../src/core/gaussian-mixture.js";
import type { Matrix } from "../../src/core/matrix.js";
import { INIT_PARAMS } from "../../src/core/options.js";
import { Random } from "../../src/core/rng.js";
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

const CENTERS = [
  [0, 0],
  [8, 0],
  [0, 8],
];
const STDS = [1, 0.7, 1.3];
/** Three well-separated 2-D clusters, 200 rows each, interleaved. */
const three = blobs(CENTERS, 600, STDS, 1);
/** Three 1-D clusters. */
const oneD = blobs([[-6], [0], [7]], 450, [1, 0.5, 1.5], 2);
/** Uniform 2-D data: EM moves slowly on it, so short runs do not converge. */
const uniform = uniformMatrix(500, 2, 3);

function argmaxRow(m: Matrix, i: number): number {
  let best = 0;
  for (let k = 1; k < m.cols; k++)
    if (m.data[i * m.cols + k]! > m.data[i * m.cols + best]!) best = k;
  return best;
}

/** Repeats row i of X w[i] times (w integer >= 0). */
function repeatRows(X: Matrix, w: readonly number[]): Matrix {
  const rows: number[] = [];
  for (let i = 0; i < X.rows; i++) {
    for (let c = 0; c < w[i]!; c++) rows.push(...X.data.subarray(i * X.cols, (i + 1) * X.cols));
  }
  return { data: Float64Array.from(rows), rows: rows.length / X.cols, cols: X.cols };
}

/** Identity precisions shaped for a covariance type (K components, d features). */
function identityPrecisions(type: string, K: number, d: number): number[] {
  const eye = (): number[] => {
    const out: number[] = [];
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out.push(i === j ? 0.5 : 0);
    return out;
  };
  switch (type) {
    case "full":
      return Array.from({ length: K }, eye).flat();
    case "tied":
      return eye();
    case "diag":
      return new Array(K * d).fill(0.5);
    default:
      return new Array(K).fill(0.5);
  }
}

describe("GaussianMixture attributes", () => {
  for (const type of COVARIANCE_TYPES) {
    for (const [label, X, K] of [
      ["2-D", three.X, 3],
      ["1-D", oneD.X, 3],
      ["3-D", uniformMatrix(300, 3, 9), 2],
    ] as const) {
      it(`fit ${type} ${label}: shapes, weights sum to 1, precisions invert covariances`, () => {
        const d = X.cols;
        const gm = new GaussianMixture({ nComponents: K, covarianceType: type }).fit(X);
        assert.equal(gm.isFitted, true);
        assert.equal(gm.nFeatures, d);
        assert.equal(gm.weights.length, K);
        assert.equal(gm.means.length, K * d);
        const L = covLength(type, K, d);
        assert.equal(gm.covariances.length, L);
        assert.equal(gm.precisions.length, L);
        assert.equal(gm.precisionsCholesky.length, L);
        let sum = 0;
        for (const w of gm.weights) {
          assert.ok(w > 0 && w < 1, `weight ${w}`);
          sum += w;
        }
        assert.ok(Math.abs(sum - 1) <= 1e-12, `weights sum to ${sum}`);
        assertInverse(gm.precisions, gm.covariances, type, K, d, 1e-9, "precisions");
        const fromChol = precisionsOf(gm.precisionsCholesky, type, K, d);
        assertInverse(fromChol, gm.covariances, type, K, d, 1e-9, "P Pᵀ");
        assertClose(gm.precisions, fromChol, 1e-12, "precisions vs P Pᵀ");
        assert.equal(gm.lowerBounds.length, gm.nIter);
        assert.equal(gm.lowerBound, gm.lowerBounds[gm.lowerBounds.length - 1]);
        assert.equal(gm.converged, true);
      });
    }
  }

  it("nParameters counts free parameters per covariance type (K = 3, d = 2)", () => {
    const want = { full: 9 + 6 + 2, tied: 3 + 6 + 2, diag: 6 + 6 + 2, spherical: 3 + 6 + 2 };
    for (const type of COVARIANCE_TYPES) {
      const gm = new GaussianMixture({ nComponents: 3, covarianceType: type }).fit(three.X);
      assert.equal(gm.nParameters(), want[type], type);
    }
  });
});

describe("GaussianMixture predictions", () => {
  for (const type of COVARIANCE_TYPES) {
    for (const [label, data] of [
      ["2-D", three],
      ["1-D", oneD],
    ] as const) {
      it(`fitPredict ${type} ${label} equals fit then predict`, () => {
        const a = new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 4 });
        const labels = a.fitPredict(data.X);
        const b = new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 4 });
        assert.deepEqual(labels, b.fit(data.X).predict(data.X));
      });

      it(`predictProba ${type} ${label}: rows sum to 1 and argmax equals predict`, () => {
        const gm = new GaussianMixture({ nComponents: 3, covarianceType: type }).fit(data.X);
        const p = gm.predictProba(data.X);
        assert.equal(p.rows, data.X.rows);
        assert.equal(p.cols, 3);
        const labels = gm.predict(data.X);
        for (let i = 0; i < p.rows; i++) {
          let s = 0;
          for (let k = 0; k < 3; k++) {
            const v = p.data[i * 3 + k]!;
            assert.ok(v >= 0 && v <= 1, `proba ${v}`);
            s += v;
          }
          assert.ok(Math.abs(s - 1) <= 1e-12, `row ${i} sums to ${s}`);
          assert.equal(argmaxRow(p, i), labels[i], `row ${i}`);
        }
      });

      it(`score ${type} ${label} is the (weighted) mean of scoreSamples`, () => {
        const gm = new GaussianMixture({ nComponents: 3, covarianceType: type }).fit(data.X);
        const s = gm.scoreSamples(data.X);
        let mean = 0;
        for (const v of s) mean += v;
        mean /= s.length;
        assertClose([gm.score(data.X)], [mean], 1e-12, "score");
        // EM's score is the plain mixture log-likelihood.
        assertClose([gm.logLikelihood(data.X)], [mean], 1e-10, "logLikelihood");
        const rng = new Random(5);
        const w = Array.from({ length: s.length }, () => rng.random() * 3);
        let num = 0;
        let den = 0;
        for (let i = 0; i < s.length; i++) {
          num += w[i]! * s[i]!;
          den += w[i]!;
        }
        assertClose([gm.score(data.X, { sampleWeight: w })], [num / den], 1e-12, "weighted");
      });
    }
  }
});

describe("GaussianMixture fit", () => {
  for (const type of COVARIANCE_TYPES) {
    it(`fit ${type} recovers well-separated clusters`, () => {
      const gm = new GaussianMixture({ nComponents: 3, covarianceType: type }).fit(three.X);
      const { perm, accuracy } = matchLabels(gm.predict(three.X), three.y, 3);
      assert.ok(accuracy >= 0.995, `accuracy ${accuracy}`);
      for (let c = 0; c < 3; c++) {
        const k = perm[c]!;
        // 200 rows per cluster: standard error std/√200; allow 4 of them.
        const bound = (4 * STDS[c]!) / Math.sqrt(200);
        for (let j = 0; j < 2; j++) {
          const err = Math.abs(gm.means[k * 2 + j]! - CENTERS[c]![j]!);
          assert.ok(err <= bound, `cluster ${c} mean[${j}] off by ${err} > ${bound}`);
        }
        assert.ok(Math.abs(gm.weights[k]! - 1 / 3) < 1e-3, `weight ${gm.weights[k]}`);
      }
    });

    it(`fit ${type} with convergence "per-row" equals "sklearn" (EM's bound is already per row)`, () => {
      const X = blobs(
        [
          [0, 0],
          [2.5, 0],
        ],
        2000,
        1,
        6,
      ).X;
      const a = new GaussianMixture({ nComponents: 2, covarianceType: type }).fit(X);
      const b = new GaussianMixture({
        nComponents: 2,
        covarianceType: type,
        convergence: "sklearn",
      }).fit(X);
      assert.ok(a.nIter > 2, `needs several iterations (${a.nIter})`);
      assert.equal(a.nIter, b.nIter);
      assertSameBits(a.means, b.means, "means");
      // The rule: stop at the first |Δ mean log-likelihood| < tol.
      const lb = a.lowerBounds;
      for (let i = 1; i < lb.length - 1; i++) assert.ok(Math.abs(lb[i]! - lb[i - 1]!) >= 1e-3);
      assert.ok(Math.abs(lb[lb.length - 1]! - lb[lb.length - 2]!) < 1e-3);
    });
  }
});

describe("GaussianMixture warmStart", () => {
  for (const type of COVARIANCE_TYPES) {
    it(`fit ${type}: two warm fits of k iterations equal one cold fit of 2k`, () => {
      const opts = { nComponents: 3, covarianceType: type, tol: 0, randomState: 7 } as const;
      const cold = new GaussianMixture({ ...opts, maxIter: 6 }).fit(uniform);
      const warm = new GaussianMixture({ ...opts, maxIter: 3, warmStart: true });
      warm.fit(uniform);
      const first = warm.lowerBounds.slice();
      const scoreFirst = warm.score(uniform);
      warm.fit(uniform);
      assert.equal(cold.converged, false);
      assert.equal(warm.converged, false);
      assert.equal(warm.nIter, 3);
      assertSameBits(warm.weights, cold.weights, "weights");
      assertSameBits(warm.means, cold.means, "means");
      assertSameBits(warm.covariances, cold.covariances, "covariances");
      assertSameBits(warm.precisionsCholesky, cold.precisionsCholesky, "precisionsCholesky");
      assertSameBits([...first, ...warm.lowerBounds], cold.lowerBounds, "bound trace");
      assert.ok(warm.score(uniform) > scoreFirst, "the second warm fit improves the score");
    });

    it(`fit ${type}: a warm fit starts from the previous bound`, () => {
      const gm = new GaussianMixture({ nComponents: 2, covarianceType: type, warmStart: true });
      gm.fit(three.X);
      assert.equal(gm.converged, true);
      const before = gm.lowerBound;
      gm.fit(three.X);
      // Compared with the previous bound (not −∞), the first iteration already converges.
      assert.equal(gm.converged, true);
      assert.equal(gm.nIter, 1);
      assert.ok(gm.lowerBound >= before - 1e-12 * Math.abs(before));
      assert.ok(gm.lowerBound - before < 1e-3);
    });

    it(`fit ${type}: repeated warm fits of maxIter 1 converge`, () => {
      const gm = new GaussianMixture({
        nComponents: 3,
        covarianceType: type,
        maxIter: 1,
        warmStart: true,
      });
      let fits = 0;
      let prev = Number.NEGATIVE_INFINITY;
      while (fits < 300) {
        gm.fit(three.X);
        fits++;
        assert.ok(gm.lowerBound >= prev - 1e-9 * Math.abs(prev), `bound fell at fit ${fits}`);
        prev = gm.lowerBound;
        if (gm.converged) break;
      }
      assert.equal(gm.converged, true, `not converged after ${fits} warm fits`);
    });
  }
});

describe("GaussianMixture nInit", () => {
  for (const type of COVARIANCE_TYPES) {
    it(`fit ${type} keeps the best of nInit initialisations`, () => {
      const opts = { nComponents: 3, covarianceType: type, initParams: "random" } as const;
      const one = new GaussianMixture({ ...opts, randomState: 11 }).fit(uniform);
      const five = new GaussianMixture({ ...opts, randomState: 11, nInit: 5 }).fit(uniform);
      assert.ok(five.lowerBound >= one.lowerBound);
      // A shared Random is advanced by each fit, so five single fits draw the same five
      // initialisations as nInit = 5; the kept bound is their maximum.
      const shared = new Random(11);
      let best = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < 5; i++) {
        const g = new GaussianMixture({ ...opts, randomState: shared }).fit(uniform);
        if (i === 0) assert.equal(g.lowerBound, one.lowerBound);
        best = Math.max(best, g.lowerBound);
      }
      assert.equal(five.lowerBound, best);
    });
  }
});

describe("GaussianMixture initParams", () => {
  for (const init of INIT_PARAMS) {
    for (const [label, X] of [
      ["1-D", oneD.X],
      ["2-D", three.X],
    ] as const) {
      if (init === "quantile" && X.cols !== 1) continue;
      it(`fit initParams ${init} ${label} fits and is deterministic for a fixed randomState`, () => {
        const make = () =>
          new GaussianMixture({ nComponents: 3, initParams: init, randomState: 13 }).fit(X);
        const a = make();
        const b = make();
        assert.equal(a.isFitted, true);
        assertSameBits(a.weights, b.weights, "weights");
        assertSameBits(a.means, b.means, "means");
        assertSameBits(a.covariances, b.covariances, "covariances");
        assertSameBits([a.lowerBound, a.nIter], [b.lowerBound, b.nIter], "bound");
        assert.ok(Number.isFinite(a.lowerBound));
        // Random starts may stop in a local optimum; the seeded methods find these clusters.
        if (init !== "random" && init !== "random_from_data") {
          const { accuracy } = matchLabels(a.predict(X), X === oneD.X ? oneD.y : three.y, 3);
          assert.ok(accuracy > 0.95, `accuracy ${accuracy}`);
        }
      });
    }
  }

  it("fit initParams auto is quantile for one feature and kmeans otherwise", () => {
    const fit = (X: Matrix, init: "auto" | "quantile" | "kmeans") =>
      new GaussianMixture({ nComponents: 3, initParams: init, maxIter: 2 }).fit(X);
    assertSameBits(fit(oneD.X, "auto").means, fit(oneD.X, "quantile").means, "1-D");
    assertSameBits(fit(three.X, "auto").means, fit(three.X, "kmeans").means, "2-D");
  });

  it("fit initParams quantile on 3-D data throws InvalidInputError", () => {
    const gm = new GaussianMixture({ nComponents: 2, initParams: "quantile" });
    assert.throws(
      () => gm.fit(uniformMatrix(50, 3, 1)),
      (e: unknown) =>
        e instanceof InvalidInputError && /quantile/.test(e.message) && /3/.test(e.message),
    );
  });

  it("fit with maxIter 0 keeps the initial parameters (meansInit)", () => {
    const meansInit = [
      [1, 1],
      [7, 1],
      [1, 7],
    ];
    const gm = new GaussianMixture({ nComponents: 3, maxIter: 0, meansInit }).fit(three.X);
    assertSameBits(gm.means, meansInit.flat(), "means");
    assert.equal(gm.nIter, 0);
    assert.equal(gm.converged, false);
  });
});

describe("GaussianMixture sample", () => {
  for (const type of COVARIANCE_TYPES) {
    it(`sample ${type}: shapes, component order, per-component moments and counts`, () => {
      const K = 3;
      const d = 2;
      const gm = new GaussianMixture({ nComponents: K, covarianceType: type }).fit(three.X);
      const n = 20000;
      const { X, y } = gm.sample(n);
      assert.equal(X.rows, n);
      assert.equal(X.cols, d);
      assert.equal(X.data.length, n * d);
      assert.equal(y.length, n);
      for (let i = 1; i < n; i++) assert.ok(y[i]! >= y[i - 1]!, `labels not grouped at ${i}`);
      for (let k = 0; k < K; k++) {
        const keep = (i: number) => y[i] === k;
        let count = 0;
        for (const v of y) if (v === k) count++;
        const w = gm.weights[k]!;
        // Multinomial counts: 5 standard deviations.
        const sd = Math.max(1, Math.sqrt(n * w * (1 - w)));
        assert.ok(Math.abs(count - n * w) <= 5 * sd, `count ${count} vs ${n * w}`);
        const mean = columnMean(X, keep);
        // Means within 0.1 (standard error here <= 1.5/√6000 ≈ 0.02).
        for (let j = 0; j < d; j++) {
          const err = Math.abs(mean[j]! - gm.means[k * d + j]!);
          assert.ok(err < 0.1, `component ${k} mean[${j}] off by ${err}`);
        }
        // Covariances within 0.1 + 5 % of the largest variance (standard error ~2–3 %).
        const cov = columnCovariance(X, 1, keep);
        for (let p = 0; p < d; p++) {
          for (let q = 0; q < d; q++) {
            let want: number;
            if (type === "full") want = gm.covariances[k * d * d + p * d + q]!;
            else if (type === "tied") want = gm.covariances[p * d + q]!;
            else if (p !== q) want = 0;
            else want = type === "diag" ? gm.covariances[k * d + p]! : gm.covariances[k]!;
            const tol = 0.1 + 0.05 * Math.abs(want);
            assert.ok(
              Math.abs(cov[p * d + q]! - want) <= tol,
              `component ${k} cov[${p}][${q}] = ${cov[p * d + q]} vs ${want}`,
            );
          }
        }
      }
    });
  }

  it("sample is reproducible for a fixed randomState and has the asked size", () => {
    const fit = () => new GaussianMixture({ nComponents: 3, randomState: 21 }).fit(three.X);
    const a = fit().sample(500);
    const b = fit().sample(500);
    assertSameBits(a.X.data, b.X.data, "X");
    assert.deepEqual(a.y, b.y);
    const gm = fit();
    for (let n = 1; n < 20; n++) {
      const s = gm.sample(n);
      assert.equal(s.X.rows, n);
      assert.equal(s.X.data.length, n * 2);
      assert.equal(s.y.length, n);
    }
  });
});

describe("GaussianMixture bic and aic", () => {
  it("bic/aic of a 1-component 1-D model equal the closed form", () => {
    const rng = new Random(8);
    const n = 500;
    const x = Float64Array.from({ length: n }, () => 3 + 2 * rng.normal());
    let mean = 0;
    for (const v of x) mean += v;
    mean /= n;
    let v2 = 0;
    for (const v of x) v2 += (v - mean) ** 2;
    const variance = v2 / n;
    const logLik = -0.5 * n * (Math.log(2 * Math.PI * variance) + 1);
    for (const type of COVARIANCE_TYPES) {
      const gm = new GaussianMixture({ nComponents: 1, covarianceType: type, regCovar: 0 }).fit(x);
      assert.equal(gm.nParameters(), 2);
      assertClose([gm.bic(x)], [-2 * logLik + 2 * Math.log(n)], 1e-9, `${type} bic`);
      assertClose([gm.aic(x)], [-2 * logLik + 4], 1e-9, `${type} aic`);
    }
  });
});

describe("GaussianMixture sampleWeight", () => {
  const X = blobs(
    [
      [0, 0],
      [4, 1],
      [1, 5],
    ],
    60,
    1,
    17,
  ).X;
  const meansInit = [
    [0.5, 0],
    [3, 1],
    [1, 4],
  ];
  for (const type of COVARIANCE_TYPES) {
    // A data-independent initialisation, so only the weighting differs between the two fits.
    const opts = {
      nComponents: 3,
      covarianceType: type,
      tol: 0,
      maxIter: 25,
      weightsInit: [0.3, 0.3, 0.4],
      meansInit,
      precisionsInit: identityPrecisions(type, 3, 2),
    };
    const compare = (a: GaussianMixture, b: GaussianMixture) => {
      assertClose(a.weights, b.weights, 1e-9, "weights");
      assertClose(a.means, b.means, 1e-9, "means");
      assertClose(a.covariances, b.covariances, 1e-9, "covariances");
      assertClose(a.lowerBounds, b.lowerBounds, 1e-9, "bound trace");
    };

    it(`fit ${type}: integer sample weights equal repeated rows`, () => {
      const w = Array.from({ length: X.rows }, (_, i) => 1 + ((i * 7) % 3));
      const weighted = new GaussianMixture(opts).fit(X, { sampleWeight: w });
      const repeated = new GaussianMixture(opts).fit(repeatRows(X, w));
      compare(weighted, repeated);
    });

    it(`fit ${type}: zero sample weights equal dropping rows`, () => {
      const w = Array.from({ length: X.rows }, (_, i) => (i % 4 === 1 ? 0 : 1));
      const weighted = new GaussianMixture(opts).fit(X, { sampleWeight: w });
      const dropped = new GaussianMixture(opts).fit(repeatRows(X, w));
      compare(weighted, dropped);
    });
  }
});

describe("GaussianMixture degenerate data", () => {
  for (const type of COVARIANCE_TYPES) {
    it(`fit ${type}: a constant column fits with covariance regCovar there`, () => {
      const rows = toRows(three.X).map((r) => [r[0]!, 5]);
      const gm = new GaussianMixture({ nComponents: 3, covarianceType: type }).fit(rows);
      const reg = 1e-6;
      for (const v of gm.covariances) assert.ok(Number.isFinite(v));
      for (let k = 0; k < 3; k++) {
        assert.ok(Math.abs(gm.means[k * 2 + 1]! - 5) < 1e-12);
        if (type === "full") {
          assert.ok(Math.abs(gm.covariances[k * 4 + 3]! - reg) < 1e-12);
          assert.ok(Math.abs(gm.covariances[k * 4 + 1]!) < 1e-12);
        } else if (type === "diag") {
          assert.ok(Math.abs(gm.covariances[k * 2 + 1]! - reg) < 1e-12);
        }
      }
      if (type === "tied") assert.ok(Math.abs(gm.covariances[3]! - reg) < 1e-12);
      assertInverse(gm.precisions, gm.covariances, type, 3, 2, 1e-6, "precisions");
    });

    it(`fit ${type}: regCovar 0 on collapsed points throws DegenerateFitError naming regCovar`, () => {
      const X: number[][] = [];
      for (let i = 0; i < 5; i++) X.push([1, 1, 1, 1, 1]);
      for (let i = 0; i < 5; i++) X.push([0, 0, 0, 0, 0]);
      const gm = new GaussianMixture({ nComponents: 10, covarianceType: type, regCovar: 0 });
      assert.throws(
        () => gm.fit(X),
        (e: unknown) =>
          e instanceof DegenerateFitError &&
          /regCovar/.test(e.message) &&
          /nComponents/.test(e.message),
      );
      const ok = new GaussianMixture({ nComponents: 10, covarianceType: type }).fit(X);
      assert.ok(
        ok.warnings.some((w) => /2 distinct row/.test(w)),
        ok.warnings.join("; "),
      );
    });
  }

  it("fit 1-D constant data: covariance regCovar, and a warning when distinct rows < K", () => {
    const x = new Array(40).fill(2.5);
    const one = new GaussianMixture({ nComponents: 1 }).fit(x);
    assert.ok(Math.abs(one.covariances[0]! - 1e-6) < 1e-15);
    assert.deepEqual(one.warnings, []);
    const three = new GaussianMixture({ nComponents: 3 }).fit(x);
    assert.ok(
      three.warnings.some((w) => /1 distinct row/.test(w) && /nComponents/.test(w)),
      three.warnings.join("; "),
    );
  });

  it("fit with maxIter 1 reports non-convergence as data, not an exception", () => {
    const gm = new GaussianMixture({ nComponents: 3, maxIter: 1 }).fit(uniform);
    assert.equal(gm.converged, false);
    assert.equal(gm.nIter, 1);
    assert.ok(
      gm.warnings.some((w) => /did not converge/.test(w) && /maxIter/.test(w)),
      gm.warnings.join("; "),
    );
    const ok = new GaussianMixture({ nComponents: 3 }).fit(three.X);
    assert.equal(ok.converged, true);
    assert.deepEqual(ok.warnings, []);
  });
});
