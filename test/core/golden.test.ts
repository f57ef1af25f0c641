/**
 * The engine against scikit-learn 1.2.1: every case of test/fixtures/mixture-golden.json (written
 * by scripts/golden/make-mixture-fixtures.py with Debian's python3-sklearn) is refitted from the
 * same initial responsibilities / parameters and compared.
 *
 * Tolerances: fitted parameters, bounds, bound traces, scores and BIC/AIC within 1e-10 relative
 * (plus 1e-10 × the array's largest magnitude for entries near 0); predictProba within 1e-10
 * absolute; nIter, converged and predict exactly.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { BayesianGaussianMixture } from "../../src/core/bayesian-gaussian-mixture.js";
import { GaussianMixture } from "../../src/core/gaussian-mixture.js";
import { assertClose, flat } from "../helpers/close.js";

const RTOL = 1e-10;

interface GoldenCase {
  name: string;
  estimator: "GaussianMixture" | "BayesianGaussianMixture";
  params: Record<string, unknown>;
  X: number[][];
  resp: number[][];
  Xtest: number[][];
  expected: Record<string, unknown>;
}

const fixture = JSON.parse(
  readFileSync(new URL("../../../test/fixtures/mixture-golden.json", import.meta.url), "utf8"),
) as { versions: Record<string, string>; cases: GoldenCase[] };

function build(c: GoldenCase): GaussianMixture | BayesianGaussianMixture {
  const p = c.params as Record<string, never>;
  const common = {
    nComponents: p.nComponents,
    covarianceType: p.covarianceType,
    tol: p.tol,
    regCovar: p.regCovar,
    maxIter: p.maxIter,
    respInit: c.resp,
    convergence: "sklearn" as const,
  };
  if (c.estimator === "GaussianMixture") {
    return new GaussianMixture({
      ...common,
      weightsInit: p.weightsInit ?? null,
      meansInit: p.meansInit ?? null,
      precisionsInit: p.precisionsInit ?? null,
    });
  }
  return new BayesianGaussianMixture({
    ...common,
    weightConcentrationPriorType: p.weightConcentrationPriorType,
    weightConcentrationPrior: p.weightConcentrationPrior,
    meanPrecisionPrior: p.meanPrecisionPrior,
    meanPrior: p.meanPrior,
    degreesOfFreedomPrior: p.degreesOfFreedomPrior,
    covariancePrior: p.covariancePrior,
  });
}

describe(`golden fixtures from scikit-learn ${fixture.versions.sklearn}`, () => {
  it("cover every estimator × covariance type × dimension", () => {
    const seen = new Set<string>();
    for (const c of fixture.cases) {
      const kind =
        c.estimator === "GaussianMixture" ? "gm" : String(c.params.weightConcentrationPriorType);
      seen.add(`${kind}/${c.params.covarianceType}/${c.X[0]!.length}`);
    }
    for (const kind of ["gm", "dirichlet_process", "dirichlet_distribution"]) {
      for (const t of ["full", "tied", "diag", "spherical"]) {
        for (const d of [1, 3])
          assert.ok(seen.has(`${kind}/${t}/${d}`), `missing ${kind}/${t}/${d}`);
      }
    }
  });

  for (const c of fixture.cases) {
    it(`fit matches scikit-learn: ${c.name}`, () => {
      const e = c.expected;
      const m = build(c).fit(c.X);
      assert.equal(m.nIter, e.nIter, "nIter");
      assert.equal(m.converged, e.converged, "converged");
      assertClose(m.lowerBound, e.lowerBound, RTOL, "lowerBound");
      assertClose(m.lowerBounds, e.lowerBounds, RTOL, "lowerBounds");
      assertClose(m.weights, e.weights, RTOL, "weights");
      assertClose(m.means, e.means, RTOL, "means");
      assertClose(m.covariances, e.covariances, RTOL, "covariances");
      assertClose(m.precisionsCholesky, e.precisionsCholesky, RTOL, "precisionsCholesky");
      assertClose(m.precisions, e.precisions, RTOL, "precisions");
      const proba = m.predictProba(c.Xtest);
      const ep = flat(e.predictProba);
      for (let i = 0; i < ep.length; i++) {
        assert.ok(
          Math.abs(proba.data[i]! - ep[i]!) <= 1e-10,
          `predictProba[${i}] ${proba.data[i]} vs ${ep[i]}`,
        );
      }
      assertClose(m.scoreSamples(c.Xtest), e.scoreSamples, RTOL, "scoreSamples");
      assertClose(m.score(c.Xtest), e.score, RTOL, "score");
      assert.deepEqual(Array.from(m.predict(c.X)), flat(e.predict), "predict");
      if (m instanceof GaussianMixture) {
        assertClose(m.bic(c.X), e.bic, RTOL, "bic");
        assertClose(m.aic(c.X), e.aic, RTOL, "aic");
      } else {
        assertClose(m.weightConcentration, e.weightConcentration, RTOL, "weightConcentration");
        assertClose(m.meanPrecision, e.meanPrecision, RTOL, "meanPrecision");
        assertClose(m.degreesOfFreedom, e.degreesOfFreedom, RTOL, "degreesOfFreedom");
        const pr = m.priors!;
        assertClose(
          pr.weightConcentrationPrior,
          e.weightConcentrationPrior,
          RTOL,
          "weightConcentrationPrior",
        );
        assertClose(pr.meanPrecisionPrior, e.meanPrecisionPrior, RTOL, "meanPrecisionPrior");
        assertClose(pr.meanPrior, e.meanPrior, RTOL, "meanPrior");
        assertClose(
          pr.degreesOfFreedomPrior,
          e.degreesOfFreedomPrior,
          RTOL,
          "degreesOfFreedomPrior",
        );
        assertClose(pr.covariancePrior, e.covariancePrior, RTOL, "covariancePrior");
      }
    });
  }
});
