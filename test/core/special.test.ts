/**
 * digamma, gammaln, betaln against test/fixtures/special-functions.json (written by
 * scripts/golden/make-special-fixtures.py: exact values from mpmath at 60 digits, and scipy 1.10.1's
 * values for comparison), plus special values and recurrences.
 *
 * Errors are measured as |got − exact| / max(1, |exact|): relative for |value| ≥ 1, absolute below,
 * so points next to the zeros of ψ and log Γ (where relative error is meaningless) are held to an
 * absolute bound. On the positive half-line we also assert the plain relative error.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import fc from "fast-check";
import { betaln, digamma, gammaln, normalCdf } from "../../src/core/special.js";

interface Ref {
  mp: number;
  scipy: number | null;
}
interface Point {
  x: number;
  digamma?: Ref;
  gammaln?: Ref;
}
interface BetaPoint {
  a: number;
  b: number;
  mp: number;
  scipy: number | null;
}
const fixture = JSON.parse(
  readFileSync(new URL("../../../test/fixtures/special-functions.json", import.meta.url), "utf8"),
) as { digammaRoot: number; points: Point[]; betaln: BetaPoint[] };

/** |got − want| / max(1, |want|). */
function scaledError(got: number, want: number): number {
  return Math.abs(got - want) / Math.max(1, Math.abs(want));
}

/** Largest error of `f` over the fixture rows that have `key`, with the worst point for messages. */
function worst(
  f: (x: number) => number,
  key: "digamma" | "gammaln",
  keep: (x: number) => boolean,
  metric: (got: number, want: number) => number,
): { err: number; at: number } {
  let err = 0;
  let at = Number.NaN;
  for (const p of fixture.points) {
    const ref = p[key];
    if (ref === undefined || !keep(p.x)) continue;
    const e = metric(f(p.x), ref.mp);
    if (e > err) {
      err = e;
      at = p.x;
    }
  }
  return { err, at };
}

const relative = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
const inMainRange = (x: number) => x >= 1e-8 && x <= 1e8;

describe("special functions vs mpmath fixtures", () => {
  test("fixture has a few hundred points of each kind", () => {
    assert.ok(fixture.points.length >= 300, `${fixture.points.length} points`);
    assert.ok(fixture.betaln.length >= 200, `${fixture.betaln.length} betaln pairs`);
  });

  // Measured: max 3.5e-16 (gammaln) and 3.7e-16 (digamma), i.e. about 2 ulps.
  test("gammaln relative error <= 1e-15 on x in [1e-8, 1e8], including next to its zeros 1 and 2", () => {
    const { err, at } = worst(gammaln, "gammaln", inMainRange, relative);
    assert.ok(err <= 1e-15, `relative error ${err} at x=${at}`);
  });

  test("digamma relative error <= 1e-15 on x in [1e-8, 1e8], including next to its root 1.4616…", () => {
    const { err, at } = worst(digamma, "digamma", inMainRange, relative);
    assert.ok(err <= 1e-15, `relative error ${err} at x=${at}`);
  });

  // All points: 1e-300 … 1e300 and negative non-integers (reflection). Measured max 4e-16.
  test("gammaln error <= 1e-15·max(1, |value|) on every fixture point, negative x included", () => {
    const { err, at } = worst(gammaln, "gammaln", () => true, scaledError);
    assert.ok(err <= 1e-15, `scaled error ${err} at x=${at}`);
  });

  test("digamma error <= 1e-15·max(1, |value|) on every fixture point, negative x included", () => {
    const { err, at } = worst(digamma, "digamma", () => true, scaledError);
    assert.ok(err <= 1e-15, `scaled error ${err} at x=${at}`);
  });

  // Measured max 1.5e-15, for a, b < 10 where log Γ values are subtracted directly. scipy itself is
  // off by up to 1.3e-9 on these pairs (large, unequal arguments), so it is not compared here.
  test("betaln error <= 4e-15·max(1, |value|) on every fixture pair (a, b from 1e-3 to 1e300)", () => {
    let err = 0;
    let at = "";
    for (const p of fixture.betaln) {
      for (const [a, b] of [
        [p.a, p.b],
        [p.b, p.a],
      ] as const) {
        const e = scaledError(betaln(a, b), p.mp);
        if (e > err) {
          err = e;
          at = `(${a}, ${b})`;
        }
      }
    }
    assert.ok(err <= 4e-15, `scaled error ${err} at ${at}`);
  });

  test("digamma and gammaln agree with scipy to 2e-15·max(1, |value|) where scipy is finite", () => {
    for (const p of fixture.points) {
      for (const [key, f] of [
        ["digamma", digamma],
        ["gammaln", gammaln],
      ] as const) {
        const ref = p[key];
        if (ref === undefined || ref.scipy === null) continue;
        const e = scaledError(f(p.x), ref.scipy);
        assert.ok(e <= 2e-15, `${key}(${p.x}): ${f(p.x)} vs scipy ${ref.scipy} (error ${e})`);
      }
    }
  });
});

describe("gammaln special values", () => {
  test("gammaln is exactly 0 at 1 and 2", () => {
    assert.equal(gammaln(1), 0);
    assert.equal(gammaln(2), 0);
  });

  test("gammaln is +Infinity at the poles 0, -0 and negative integers (scipy)", () => {
    for (const x of [0, -0, -1, -2, -100, -1e20, -Number.MAX_VALUE]) {
      assert.equal(gammaln(x), Infinity, `x=${x}`);
    }
  });

  test("gammaln propagates NaN and follows scipy at ±Infinity", () => {
    assert.ok(Number.isNaN(gammaln(Number.NaN)));
    assert.equal(gammaln(Infinity), Infinity);
    assert.equal(gammaln(-Infinity), -Infinity);
  });

  test("gammaln stays finite for the smallest subnormal (scipy overflows to inf)", () => {
    const x = 5e-324;
    assert.ok(Math.abs(gammaln(x) + Math.log(x)) <= 1e-15 * 744.5);
  });

  test("gammaln overflows to Infinity only past ~2.5e305", () => {
    assert.ok(Number.isFinite(gammaln(1e305)));
    assert.equal(gammaln(Number.MAX_VALUE), Infinity);
  });

  test("gammaln(x + 1) - gammaln(x) = log x to 1e-14·max(1, |gammaln|) (property)", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-6, max: 1e6, noNaN: true }), (raw) => {
        const x = raw + 1 - 1; // so that x + 1 is exact
        const scale = Math.max(1, Math.abs(gammaln(x + 1)), Math.abs(gammaln(x)));
        return Math.abs(gammaln(x + 1) - gammaln(x) - Math.log(x)) <= 1e-14 * scale;
      }),
      { seed: 1, numRuns: 2000 },
    );
  });
});

describe("digamma special values", () => {
  test("digamma(1) = −γ and digamma(0.5) = −γ − 2 log 2 to 1 ulp", () => {
    const euler = 0.5772156649015329;
    assert.ok(Math.abs(digamma(1) + euler) <= 1.2e-16);
    assert.ok(Math.abs(digamma(0.5) - (-euler - 2 * Math.LN2)) <= 4.5e-16);
  });

  test("digamma at its positive root is 0 to 1e-16 absolute", () => {
    assert.ok(Math.abs(digamma(fixture.digammaRoot)) <= 1e-16);
  });

  test("digamma is -Infinity at +0 and +Infinity at -0 (scipy), NaN at negative integers", () => {
    assert.equal(digamma(0), -Infinity);
    assert.equal(digamma(-0), Infinity);
    for (const x of [-1, -2, -1e10, -1e300]) assert.ok(Number.isNaN(digamma(x)), `x=${x}`);
  });

  test("digamma propagates NaN; +Infinity at +Infinity, NaN at -Infinity", () => {
    assert.ok(Number.isNaN(digamma(Number.NaN)));
    assert.equal(digamma(Infinity), Infinity);
    assert.ok(Number.isNaN(digamma(-Infinity)));
  });

  test("digamma(1e-300) = -1/1e-300 (scipy) and digamma(1e300) = log(1e300)", () => {
    assert.equal(digamma(1e-300), -1 / 1e-300);
    assert.ok(Math.abs(digamma(1e300) - Math.log(1e300)) <= 1e-15 * 690.8);
  });

  test("digamma(x + 1) - digamma(x) = 1/x to 1e-14·max(1, |digamma|) (property)", () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), (raw) => {
        const x = raw + 1 - 1; // so that x + 1 is exact
        const y = x + 1;
        const scale = Math.max(1, Math.abs(digamma(y)), Math.abs(digamma(x)));
        return Math.abs(digamma(y) - digamma(x) - 1 / x) <= 1e-14 * scale;
      }),
      { seed: 2, numRuns: 2000 },
    );
  });

  test("digamma at negative non-integers by reflection: ψ(1 − x) − ψ(x) = π cot(πx)", () => {
    for (const x of [-0.5, -1.5, -2.25, -10.1, -123.75]) {
      const lhs = digamma(1 - x) - digamma(x);
      const rhs = Math.PI / Math.tan(Math.PI * (x - Math.round(x)));
      assert.ok(Math.abs(lhs - rhs) <= 1e-14 * Math.max(1, Math.abs(rhs)), `x=${x}`);
    }
  });
});

describe("betaln special values", () => {
  test("betaln(1e8, 1e8) and betaln(1e308, 1e308) are finite (no overflow in a + b)", () => {
    assert.ok(Number.isFinite(betaln(1e8, 1e8)));
    const huge = betaln(1e308, 1e308);
    // ≈ 2·1e308·log ½ to leading order.
    assert.ok(Number.isFinite(huge) && Math.abs(huge / (1e308 * Math.log(0.5)) / 2 - 1) < 1e-12);
  });

  test("betaln is symmetric and betaln(1, b) = −log b", () => {
    for (const [a, b] of [
      [0.3, 7],
      [12, 1e9],
      [1e-3, 5],
      [50, 50.5],
    ] as const) {
      assert.equal(betaln(a, b), betaln(b, a));
    }
    for (const b of [0.5, 2, 10, 1e3, 1e9]) {
      assert.ok(Math.abs(betaln(1, b) + Math.log(b)) <= 2e-15 * Math.max(1, Math.abs(Math.log(b))));
    }
  });

  test("betaln at the edges: NaN in, ±Infinity, zeros and negative integers", () => {
    assert.ok(Number.isNaN(betaln(Number.NaN, 1)));
    assert.ok(Number.isNaN(betaln(1, Number.NaN)));
    assert.equal(betaln(Infinity, 1), -Infinity);
    assert.equal(betaln(2, Infinity), -Infinity);
    assert.ok(Number.isNaN(betaln(Infinity, Infinity)));
    assert.equal(betaln(0, 1), Infinity);
    assert.equal(betaln(-1, 2), Infinity);
    assert.equal(betaln(0, 0), Infinity);
  });

  test("betaln of negative non-integers uses log|Γ| (matches scipy on (-0.5, 1) and (2.5, -1.5))", () => {
    assert.ok(Math.abs(betaln(-0.5, 1) - 0.6931471805599452) <= 2e-16);
    assert.ok(Math.abs(betaln(2.5, -1.5) - 1.1447298858494004) <= 4e-16);
  });
});

describe("normalCdf", () => {
  // Φ(z) from scipy.stats.norm.cdf (1.10.1); normalCdf promises absolute error below 2.5e-7.
  const REFERENCE: [number, number][] = [
    [-8, 6.22096057427174e-16],
    [-5, 2.866515718791933e-7],
    [-3, 0.0013498980316300933],
    [-1.959963984540054, 0.025],
    [-1, 0.15865525393145707],
    [-0.5, 0.3085375387259869],
    [0, 0.5],
    [0.3, 0.6179114221889526],
    [1, 0.8413447460685429],
    [2.5758293035489, 0.995],
    [4, 0.9999683287581669],
    [6, 0.9999999990134123],
  ];
  test("normalCdf matches scipy within 2.5e-7", () => {
    for (const [z, p] of REFERENCE) {
      assert.ok(Math.abs(normalCdf(z) - p) < 2.5e-7, `Φ(${z}) = ${normalCdf(z)}, scipy ${p}`);
    }
  });
  test("normalCdf is monotone within its error, symmetric, and propagates NaN", () => {
    let prev = 0;
    for (let z = -10; z <= 10; z += 0.001) {
      const p = normalCdf(z);
      assert.ok(p >= prev - 5e-7 && p >= 0 && p <= 1, `Φ(${z}) = ${p} after ${prev}`);
      assert.ok(Math.abs(p + normalCdf(-z) - 1) < 5e-7, `Φ(${z}) + Φ(${-z})`);
      prev = p;
    }
    assert.ok(Number.isNaN(normalCdf(Number.NaN)));
  });
});
