/**
 * Bad inputs to both estimators: each gets an error of the right class whose message names the
 * problem (row and column, parameter and value) and, where there is one, the fix — never a raw
 * TypeError from deep inside the engine.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BayesianGaussianMixture } from "../../src/core/bayesian-gaussian-mixture.js";
import { DegenerateFitError, InvalidInputError, NotFittedError } from "../../src/core/errors.js";
import { GaussianMixture } from "../../src/core/gaussian-mixture.js";
import type {
  BayesianGaussianMixtureOptions,
  GaussianMixtureOptions,
} from "../../src/core/options.js";

type ErrorClass = typeof InvalidInputError | typeof NotFittedError | typeof DegenerateFitError;

/** Asserts `fn` throws an instance of `cls` (not a TypeError) whose message matches every regex. */
function expectError(fn: () => unknown, cls: ErrorClass, ...patterns: RegExp[]): void {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== null, "expected an error, none was thrown");
  assert.ok(!(thrown instanceof TypeError), `raw TypeError: ${(thrown as Error).message}`);
  assert.ok(
    thrown instanceof cls,
    `expected ${cls.name}, got ${(thrown as Error)?.constructor?.name}: ${(thrown as Error)?.message}`,
  );
  for (const p of patterns) assert.match((thrown as Error).message, p);
}

const X2 = [
  [0, 0],
  [1, 0.5],
  [0.2, 1],
  [5, 5],
  [5.5, 4.5],
  [4.8, 5.3],
];
const X1 = [0.1, 0.5, -0.3, 4, 4.4, 3.9, 4.2];

/** Both estimators, so every shared check runs on each. */
const ESTIMATORS = [
  ["GaussianMixture", (o: GaussianMixtureOptions = {}) => new GaussianMixture(o)],
  [
    "BayesianGaussianMixture",
    (o: BayesianGaussianMixtureOptions = {}) => new BayesianGaussianMixture(o),
  ],
] as const;

for (const [name, make] of ESTIMATORS) {
  describe(`${name} bad data`, () => {
    for (const [label, bad] of [
      ["NaN", Number.NaN],
      ["+Infinity", Number.POSITIVE_INFINITY],
      ["-Infinity", Number.NEGATIVE_INFINITY],
    ] as const) {
      it(`fit rejects ${label} in X, naming its row and column`, () => {
        const X = X2.map((r) => r.slice());
        X[4]![1] = bad;
        expectError(
          () => make({ nComponents: 2 }).fit(X),
          InvalidInputError,
          /row 4/,
          /column 1/,
          new RegExp(label.replace("+", "").replace(/[-]/g, "\\-")),
          /finite/,
        );
        const x = X1.slice();
        x[2] = bad;
        expectError(() => make({ nComponents: 2 }).fit(x), InvalidInputError, /row 2/, /column 0/);
      });
    }

    it("fit rejects ragged rows, naming the row and the column counts", () => {
      expectError(
        () => make().fit([[1, 2], [3, 4], [5]]),
        InvalidInputError,
        /row 2/,
        /1 value/,
        /row 0 has 2/,
      );
    });

    it("fit rejects a string in X, naming where it is", () => {
      expectError(
        () =>
          make().fit([
            [1, 2],
            [3, "x" as unknown as number],
            [5, 6],
          ]),
        InvalidInputError,
        /row 1, column 1/,
        /string "x"/,
      );
      expectError(
        () => make().fit([1, 2, "x" as unknown as number, 4]),
        InvalidInputError,
        /row 2/,
        /string "x"/,
      );
    });

    it("fit rejects a string as the first value of a flat X, naming it", () => {
      // A flat array whose first value is a string must not be read as a row of characters.
      expectError(
        () => make().fit(["7" as unknown as number, 2, 3]),
        InvalidInputError,
        /row 0 is the string "7"/,
      );
    });

    it("fit rejects non-array X and null rows", () => {
      for (const bad of [null, undefined, 3, "abc", { a: 1 }]) {
        expectError(() => make().fit(bad as never), InvalidInputError, /X/, /2-D array/);
      }
      expectError(() => make().fit([[1, 2], null as never]), InvalidInputError, /row 1/);
      expectError(
        () => make().fit({ data: new Float64Array(5), rows: 2, cols: 2 }),
        InvalidInputError,
        /2 × 2/,
        /5/,
      );
    });

    it("fit rejects empty X, a single row, and no columns", () => {
      expectError(() => make().fit([]), InvalidInputError, /0 row/, /at least 2/);
      expectError(() => make().fit([[1, 2]]), InvalidInputError, /1 row/, /at least 2/);
      expectError(() => make().fit([5]), InvalidInputError, /1 row/);
      expectError(() => make().fit([[], []]), InvalidInputError, /no columns/);
    });

    it("fit rejects fewer rows than components, naming both and the fix", () => {
      expectError(
        () => make({ nComponents: 7 }).fit(X2),
        InvalidInputError,
        /nComponents = 7/,
        /n_samples = 6/,
        /Lower nComponents/,
      );
    });

    it("predict before fit throws NotFittedError for every fitted-only method", () => {
      const m = make({ nComponents: 2 });
      const calls: [string, () => unknown][] = [
        ["predict", () => m.predict(X2)],
        ["predictProba", () => m.predictProba(X2)],
        ["scoreSamples", () => m.scoreSamples(X2)],
        ["score", () => m.score(X2)],
        ["logLikelihood", () => m.logLikelihood(X2)],
        ["bic", () => m.bic(X2)],
        ["aic", () => m.aic(X2)],
        ["sample", () => m.sample(5)],
        ["nParameters", () => m.nParameters()],
        ["means", () => m.means],
        ["covariances", () => m.covariances],
        ["precisionsCholesky", () => m.precisionsCholesky],
      ];
      for (const [what, call] of calls) {
        try {
          call();
          assert.fail(`${what}: no error`);
        } catch (e) {
          assert.ok(e instanceof NotFittedError, `${what}: ${(e as Error).name}`);
          assert.match(e.message, new RegExp(`${name} instance is not fitted`));
          assert.match(e.message, /fit\(X\)/);
        }
      }
    });

    it("predict with the wrong number of features names both counts", () => {
      const m = make({ nComponents: 2 }).fit(X2);
      for (const call of [
        () => m.predict([[1, 2, 3]]),
        () => m.predictProba([[1, 2, 3]]),
        () => m.scoreSamples([1, 2]),
        () => m.score([[1, 2, 3]]),
        () => m.bic([[1, 2, 3]]),
      ]) {
        expectError(call, InvalidInputError, /feature/, /fitted with 2/);
      }
      expectError(() => m.predict([[1, Number.NaN]]), InvalidInputError, /row 0, column 1/);
    });

    it("sample rejects n that is not a positive integer", () => {
      const m = make({ nComponents: 2 }).fit(X2);
      for (const n of [0, -1, 1.5, Number.NaN]) {
        expectError(() => m.sample(n), InvalidInputError, /sample/, /integer >= 1/);
      }
    });

    it("fit rejects bad sampleWeight: wrong length, negative, NaN, all zero, not an array", () => {
      const m = make({ nComponents: 2 });
      expectError(
        () => m.fit(X2, { sampleWeight: [1, 1, 1] }),
        InvalidInputError,
        /sampleWeight has 3 values/,
        /6 rows/,
      );
      expectError(
        () => m.fit(X2, { sampleWeight: [1, 1, -2, 1, 1, 1] }),
        InvalidInputError,
        /sampleWeight/,
        /row 2/,
        /-2/,
        />= 0/,
      );
      expectError(
        () => m.fit(X2, { sampleWeight: [1, Number.NaN, 1, 1, 1, 1] }),
        InvalidInputError,
        /row 1/,
        /NaN/,
      );
      expectError(
        () => m.fit(X2, { sampleWeight: [0, 0, 0, 0, 0, 0] }),
        InvalidInputError,
        /all weights are 0/,
      );
      expectError(
        () => m.fit(X2, { sampleWeight: "abc" as never }),
        InvalidInputError,
        /sampleWeight/,
      );
      expectError(
        () => m.fit(X2).score(X2, { sampleWeight: [1] }),
        InvalidInputError,
        /sampleWeight has 1 value/,
      );
    });

    it("fit rejects respInit of the wrong shape or with non-finite values", () => {
      expectError(
        () => make({ nComponents: 2, respInit: [[1, 0]] }).fit(X2),
        InvalidInputError,
        /respInit/,
        /6 × 2/,
        /1 × 2/,
      );
      expectError(
        () => make({ nComponents: 2, respInit: X2.map(() => [1, 0, 0]) }).fit(X2),
        InvalidInputError,
        /respInit/,
        /6 × 3/,
      );
      expectError(
        () =>
          make({
            nComponents: 2,
            respInit: X2.map((_, i) => (i === 3 ? [Number.NaN, 1] : [1, 0])),
          }).fit(X2),
        InvalidInputError,
        /respInit/,
        /row 3/,
      );
    });

    it("warm fit rejects data with a different number of features", () => {
      const m = make({ nComponents: 2, warmStart: true });
      m.fit(X2);
      expectError(() => m.fit(X1), InvalidInputError, /warmStart/, /1 features/, /2/);
    });

    it("fit initParams quantile rejects multivariate data, naming the alternative", () => {
      expectError(
        () => make({ nComponents: 2, initParams: "quantile" }).fit(X2),
        InvalidInputError,
        /quantile/,
        /one feature/,
        /kmeans/,
      );
    });

    it("options: null instead of an options object is treated as no options", () => {
      // A JavaScript caller may pass null; it must not surface as a TypeError.
      const m = (make as (o: unknown) => GaussianMixture | BayesianGaussianMixture)(null);
      assert.equal(m.nComponents, 1);
    });
  });

  describe(`${name} bad options`, () => {
    const cases: [string, Record<string, unknown>, RegExp[]][] = [
      ["nComponents 0", { nComponents: 0 }, [/nComponents/, /integer >= 1/, /0/]],
      ["nComponents 1.5", { nComponents: 1.5 }, [/nComponents/, /1\.5/]],
      ["nComponents '2'", { nComponents: "2" }, [/nComponents/]],
      ["covarianceType foo", { covarianceType: "foo" }, [/covarianceType/, /"full"/, /"foo"/]],
      ["tol -1", { tol: -1 }, [/tol/, />= 0/, /-1/]],
      ["tol NaN", { tol: Number.NaN }, [/tol/, /NaN/]],
      ["regCovar NaN", { regCovar: Number.NaN }, [/regCovar/, /NaN/]],
      ["regCovar -1e-6", { regCovar: -1e-6 }, [/regCovar/]],
      ["maxIter -1", { maxIter: -1 }, [/maxIter/, /integer >= 0/, /-1/]],
      ["maxIter Infinity", { maxIter: Number.POSITIVE_INFINITY }, [/maxIter/]],
      ["nInit 0", { nInit: 0 }, [/nInit/, /integer >= 1/]],
      ["initParams bar", { initParams: "bar" }, [/initParams/, /"kmeans"/, /"bar"/]],
      ["randomState -1", { randomState: -1 }, [/randomState/, /-1/]],
      ["randomState 0.5", { randomState: 0.5 }, [/randomState/]],
      ["randomState 'a'", { randomState: "a" }, [/randomState/]],
      ["convergence x", { convergence: "x" }, [/convergence/, /"per-row"/]],
    ];
    for (const [label, opts, patterns] of cases) {
      it(`constructor rejects ${label}`, () => {
        expectError(() => make(opts as never), InvalidInputError, ...patterns);
      });
    }
  });
}

describe("GaussianMixture bad initial parameters", () => {
  it("constructor rejects weightsInit of the wrong length or not summing to 1", () => {
    expectError(
      () => new GaussianMixture({ nComponents: 2, weightsInit: [1] }),
      InvalidInputError,
      /weightsInit has 1 value/,
      /nComponents = 2/,
    );
    expectError(
      () => new GaussianMixture({ nComponents: 2, weightsInit: [0.5, 0.6] }),
      InvalidInputError,
      /weightsInit must sum to 1/,
      /1\.1/,
    );
    expectError(
      () => new GaussianMixture({ nComponents: 2, weightsInit: [1.5, -0.5] }),
      InvalidInputError,
      /weightsInit/,
      /\[0, 1\]/,
    );
    expectError(
      () => new GaussianMixture({ nComponents: 2, weightsInit: [Number.NaN, 1] }),
      InvalidInputError,
      /weightsInit/,
    );
  });

  it("fit rejects meansInit of the wrong shape or with non-finite values", () => {
    expectError(
      () =>
        new GaussianMixture({
          nComponents: 2,
          meansInit: [
            [0, 0, 0],
            [1, 1, 1],
          ],
        }).fit(X2),
      InvalidInputError,
      /meansInit/,
      /2 × 2/,
      /2 × 3/,
    );
    expectError(
      () => new GaussianMixture({ nComponents: 2, meansInit: [[0, 0]] }).fit(X2),
      InvalidInputError,
      /meansInit/,
      /1 × 2/,
    );
    expectError(
      () =>
        new GaussianMixture({
          nComponents: 2,
          meansInit: [
            [0, 0],
            [1, Number.POSITIVE_INFINITY],
          ],
        }).fit(X2),
      InvalidInputError,
      /meansInit/,
      /row 1, column 1/,
    );
  });

  it("fit rejects precisionsInit that is not positive definite, not symmetric or mis-shaped", () => {
    const notPd = [
      [
        [1, 2],
        [2, 1],
      ],
      [
        [1, 0],
        [0, 1],
      ],
    ];
    expectError(
      () => new GaussianMixture({ nComponents: 2, precisionsInit: notPd }).fit(X2),
      InvalidInputError,
      /precisionsInit/,
      /positive-definite/,
      /block 0/,
    );
    expectError(
      () =>
        new GaussianMixture({
          nComponents: 1,
          covarianceType: "tied",
          precisionsInit: [
            [1, 0.5],
            [0, 1],
          ],
        }).fit(X2),
      InvalidInputError,
      /precisionsInit/,
      /symmetric/,
    );
    expectError(
      () =>
        new GaussianMixture({
          nComponents: 2,
          covarianceType: "diag",
          precisionsInit: [
            [1, 1],
            [1, -1],
          ],
        }).fit(X2),
      InvalidInputError,
      /precisionsInit/,
      /positive/,
      /-1/,
    );
    expectError(
      () =>
        new GaussianMixture({
          nComponents: 2,
          covarianceType: "spherical",
          precisionsInit: [0, 1],
        }).fit(X2),
      InvalidInputError,
      /precisionsInit/,
      /positive/,
    );
    expectError(
      () => new GaussianMixture({ nComponents: 2, precisionsInit: [1, 0, 0, 1] }).fit(X2),
      InvalidInputError,
      /precisionsInit has 4 values/,
      /needs 8/,
    );
    expectError(
      () => new GaussianMixture({ nComponents: 1, precisionsInit: [1, Number.NaN, 0, 1] }),
      InvalidInputError,
      /precisionsInit/,
      /finite/,
    );
  });

  it("fit with regCovar 0 on collapsed data throws DegenerateFitError naming the fix", () => {
    const X = [
      [1, 1],
      [1, 1],
      [1, 1],
      [2, 2],
      [2, 2],
      [2, 2],
    ];
    expectError(
      () => new GaussianMixture({ nComponents: 2, regCovar: 0 }).fit(X),
      DegenerateFitError,
      /ill-defined empirical covariance/,
      /increase regCovar/,
      /nComponents/,
    );
  });
});

describe("BayesianGaussianMixture bad priors", () => {
  it("constructor rejects weightConcentrationPriorType x", () => {
    expectError(
      () => new BayesianGaussianMixture({ weightConcentrationPriorType: "x" as never }),
      InvalidInputError,
      /weightConcentrationPriorType/,
      /"dirichlet_process"/,
      /"x"/,
    );
  });

  it("constructor rejects weightConcentrationPrior <= 0 and meanPrecisionPrior <= 0", () => {
    for (const v of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectError(
        () => new BayesianGaussianMixture({ weightConcentrationPrior: v }),
        InvalidInputError,
        /weightConcentrationPrior/,
        /> 0/,
      );
      expectError(
        () => new BayesianGaussianMixture({ meanPrecisionPrior: v }),
        InvalidInputError,
        /meanPrecisionPrior/,
        /> 0/,
      );
    }
  });

  it("fit rejects degreesOfFreedomPrior <= d − 1, naming the bound", () => {
    for (const v of [1, 0.5, -3, Number.NaN]) {
      expectError(
        () => new BayesianGaussianMixture({ degreesOfFreedomPrior: v }).fit(X2),
        InvalidInputError,
        /degreesOfFreedomPrior/,
        /greater than 1/,
      );
    }
    // Just above d − 1 is allowed.
    new BayesianGaussianMixture({ nComponents: 2, degreesOfFreedomPrior: 1.01 }).fit(X2);
  });

  it("fit rejects meanPrior of the wrong length or with non-finite values", () => {
    expectError(
      () => new BayesianGaussianMixture({ meanPrior: [1, 2, 3] }).fit(X2),
      InvalidInputError,
      /meanPrior has 3 values/,
      /nFeatures = 2/,
    );
    expectError(
      () => new BayesianGaussianMixture({ meanPrior: [1, Number.NaN] }).fit(X2),
      InvalidInputError,
      /meanPrior/,
      /finite/,
    );
  });

  it("fit rejects covariancePrior of the wrong shape for each covariance type", () => {
    for (const [type, bad, want] of [
      ["full", [1, 0, 0], /needs 4 values/],
      ["tied", 2, /needs 4 values/],
      ["diag", [1, 1, 1], /needs 2 values/],
      ["spherical", [1, 1], /needs 1 value/],
    ] as const) {
      expectError(
        () => new BayesianGaussianMixture({ covarianceType: type, covariancePrior: bad }).fit(X2),
        InvalidInputError,
        /covariancePrior/,
        new RegExp(`"${type}"`),
        want,
      );
    }
  });

  it("fit rejects covariancePrior that is not positive definite or not positive", () => {
    for (const type of ["full", "tied"] as const) {
      expectError(
        () =>
          new BayesianGaussianMixture({
            covarianceType: type,
            covariancePrior: [
              [1, 2],
              [2, 1],
            ],
          }).fit(X2),
        InvalidInputError,
        /covariancePrior/,
        /positive-definite/,
      );
      expectError(
        () =>
          new BayesianGaussianMixture({
            covarianceType: type,
            covariancePrior: [
              [1, 0.5],
              [0, 1],
            ],
          }).fit(X2),
        InvalidInputError,
        /covariancePrior/,
        /symmetric/,
      );
    }
    expectError(
      () =>
        new BayesianGaussianMixture({ covarianceType: "diag", covariancePrior: [1, 0] }).fit(X2),
      InvalidInputError,
      /covariancePrior/,
      /positive/,
    );
    expectError(
      () =>
        new BayesianGaussianMixture({ covarianceType: "spherical", covariancePrior: -1 }).fit(X2),
      InvalidInputError,
      /covariancePrior/,
      /positive/,
    );
  });
});
