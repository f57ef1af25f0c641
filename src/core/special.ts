/**
 * Special functions for the variational mixture: digamma ψ(x), log |Γ(x)| and log |B(a, b)| in
 * float64, accurate to a few ulps.
 *
 * We write our own rather than depend on `@stdlib/math-base-special-*`: those packages pull in
 * stdlib's native-addon build tooling, and `core` must stay a dependency-free, pure-JS module that
 * runs in a browser or worker. The algorithms are textbook; the constants were computed with mpmath
 * at 60 digits and rounded to the nearest double (see each table).
 *
 * Accuracy, measured against mpmath on the fixtures written by
 * `scripts/golden/make-special-fixtures.py` (`test/core/special.test.ts` asserts 1e-15 and 4e-15):
 * gammaln and digamma have relative error ≤ 3.7e-16 (about 2 ulps) on x ∈ [1e-8, 1e8], including
 * next to the zeros 1, 2 of log Γ and the root 1.4616… of ψ, and error ≤ 4e-16·max(1, |value|)
 * everywhere else (1e-300 … 1e300, negative non-integers); betaln has error ≤ 1.5e-15·max(1,
 * |value|) for a, b ∈ [1e-3, 1e300].
 *
 * Special values follow scipy 1.10 (`scipy.special.psi`, `gammaln`, `betaln`) except where scipy
 * overflows needlessly (e.g. `gammaln(5e-324)` is 744.44 here, `inf` in scipy; `betaln(1e308,
 * 1e308)` is finite here, `nan` in scipy). All functions propagate NaN and never throw.
 */

/** ½·log(2π). */
const HALF_LOG_2PI = 0.9189385332046728;
/** log(π). */
const LOG_PI = 1.1447298858494002;
/** 1 − γ (Euler–Mascheroni), the first Taylor coefficient of log Γ(2 + z). */
const ONE_MINUS_EULER = 0.42278433509846713;

/**
 * (ζ(k) − 1)/k for k = 2…30. With them log Γ(2 + z) = (1 − γ)·z + Σ_{k≥2} (ζ(k) − 1)/k · (−z)^k
 * (Abramowitz & Stegun 6.1.33 with log(1 + z) folded in), which converges for |z| < 2 like 2^−k;
 * we use it for |z| ≤ ½, where 30 terms reach 1e-19 relative to the first.
 */
const LGAMMA2_COEF = new Float64Array([
  0.3224670334241132, 0.0673523010531981, 0.020580808427784546, 0.007385551028673986,
  0.0028905103307415234, 0.001192753911703261, 0.0005096695247430425, 0.00022315475845357939,
  9.945751278180853e-5, 4.492623673813314e-5, 2.050721277567069e-5, 9.439488275268397e-6,
  4.374866789907488e-6, 2.039215753801366e-6, 9.55141213040742e-7, 4.492469198764566e-7,
  2.1207184805554665e-7, 1.0043224823968099e-7, 4.7698101693639804e-8, 2.2711094608943164e-8,
  1.0838659214896955e-8, 5.183475041970047e-9, 2.4836745438024785e-9, 1.1921401405860912e-9,
  5.731367241678862e-10, 2.7595228851242334e-10, 1.330476437424449e-10, 6.4229645638381e-11,
  3.1044247747322276e-11,
]);

/** ζ(k) − 1 for k = 2…32, for ψ(2 + z) = (1 − γ) − Σ_{k≥2} (ζ(k) − 1)(−z)^{k−1}, |z| ≤ ½. */
const DIGAMMA2_COEF = new Float64Array([
  0.6449340668482264, 0.2020569031595943, 0.08232323371113819, 0.03692775514336993,
  0.01734306198444914, 0.008349277381922827, 0.00407735619794434, 0.0020083928260822143,
  0.0009945751278180853, 0.0004941886041194645, 0.0002460865533080483, 0.00012271334757848915,
  6.124813505870483e-5, 3.058823630702049e-5, 1.528225940865187e-5, 7.637197637899763e-6,
  3.81729326499984e-6, 1.908212716553939e-6, 9.539620338727962e-7, 4.769329867878064e-7,
  2.38450502727733e-7, 1.1921992596531106e-7, 5.960818905125948e-8, 2.980350351465228e-8,
  1.4901554828365043e-8, 7.45071178983543e-9, 3.725334024788457e-9, 1.862659723513049e-9,
  9.313274324196682e-10, 4.656629065033784e-10, 2.3283118336765053e-10,
]);

/** The positive root x0 of ψ as a double-double (hi + lo), so ψ(x) keeps relative accuracy there. */
const DIGAMMA_ROOT_HI = 1.4616321449683622;
const DIGAMMA_ROOT_LO = 9.549995429965697e-17;

/**
 * Taylor coefficients of ψ about x0: ψ(x0 + h) = Σ_{k≥1} (−1)^{k+1} ζ(k + 1, x0) h^k (Hurwitz ζ).
 * The radius is x0 (the pole at 0); we use |h| ≤ 0.2, where 22 terms reach 1e-18 relative.
 */
const DIGAMMA_ROOT_COEF = new Float64Array([
  0.9676722454476212, -0.4427631689835921, 0.258499760955651, -0.16394270544240652,
  0.10782405069126237, -0.07219956125645471, 0.04880428816414311, -0.03316112647484736,
  0.022597648232218104, -0.01542476590494896, 0.010538791616612175, -0.007204534386356869,
  0.004926781395729853, -0.003369801655439328, 0.002305126326734928, -0.0015769367714301972,
  0.0010788252019162967, -0.0007380709389960052, 0.000504953265834602, -0.0003454680251063077,
  0.00023635601564027053, -0.00016170622091974803,
]);

/** Where the asymptotic (Stirling) series take over; 8 terms there reach 1e-17 relative. */
const ASYMPTOTIC_MIN = 10;

/**
 * log Γ(2 + z) for |z| ≤ ½ by the ζ series above. Accurate relative to its value even at z = 0
 * (the zero of log Γ at 2) because the series has no constant term.
 */
function lgammaTwoPlus(z: number): number {
  const w = -z;
  let s = 0;
  for (let k = LGAMMA2_COEF.length - 1; k >= 0; k--) s = s * w + LGAMMA2_COEF[k]!;
  // s·w² collects the k ≥ 2 terms; the first term is (1 − γ)·z.
  return ONE_MINUS_EULER * z + s * w * w;
}

/**
 * Stirling remainder δ(x) = log Γ(x) − [(x − ½) log x − x + ½ log 2π] for x ≥ 10:
 * Σ_{k=1}^{8} B_{2k} / (2k(2k − 1) x^{2k−1}). Finite and → 0 for x → ∞.
 */
function stirlingRemainder(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return (
    r *
    (1 / 12 +
      r2 *
        (-1 / 360 +
          r2 *
            (1 / 1260 +
              r2 *
                (-1 / 1680 +
                  r2 *
                    (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156 + r2 * (-3617 / 122400))))))))
  );
}

/** log Γ(x) for finite x > 0. */
function lgammaPositive(x: number): number {
  if (x >= ASYMPTOTIC_MIN) {
    // (x − ½) log x − x overflows only when log Γ itself does (x ≳ 2.5e305).
    return (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + stirlingRemainder(x);
  }
  if (x < 0.5) {
    // log Γ(x) = log Γ(2 + x) − log(1 + x) − log x, with no rounding of the argument: for tiny x
    // the result is dominated by −log x and stays finite down to the smallest subnormal.
    return lgammaTwoPlus(x) - Math.log1p(x) - Math.log(x);
  }
  if (x < 1.5) {
    // z = x − 1 is exact (Sterbenz). Relative accuracy holds through the zero at x = 1.
    const z = x - 1;
    return lgammaTwoPlus(z) - Math.log1p(z);
  }
  if (x <= 2.5) return lgammaTwoPlus(x - 2);
  // 2.5 < x < 10: shift down into [1.5, 2.5] with Γ(x) = (x − 1)…(y) Γ(y); the subtraction x − m
  // is exact because x's ulp is at least y's. At most 8 factors, each rounding ½ ulp.
  let y = x;
  let product = 1;
  while (y > 2.5) {
    y -= 1;
    product *= y;
  }
  return Math.log(product) + lgammaTwoPlus(y - 2);
}

/**
 * log |sin(πx)| for finite non-integer x, reducing the argument exactly first so that large |x|
 * does not lose the fractional part inside Math.sin.
 */
function logAbsSinPi(x: number): number {
  const r = x - Math.round(x); // exact, in [−½, ½]
  return Math.log(Math.abs(Math.sin(Math.PI * r)));
}

/**
 * Natural log of the absolute value of the gamma function, log |Γ(x)| (scipy's `gammaln`).
 *
 * Method: a ζ-series for log Γ(2 + z) on [0, 2.5] (exact reduction, relative accuracy through the
 * zeros at 1 and 2), the recurrence on (2.5, 10), Stirling's series with 8 terms from 10 on, and
 * reflection log |Γ(x)| = log π − log |sin πx| − log Γ(1 − x) for x < −½.
 *
 * @param x any float64.
 * @returns log |Γ(x)|; `+Infinity` at the poles x ∈ {0, −1, −2, …} and at x = +∞ (and for
 *   x ≳ 2.5e305, where the value overflows); `-Infinity` at x = −∞ (scipy's convention); NaN for
 *   NaN. Never throws.
 */
export function gammaln(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > 0) return x === Infinity ? Infinity : lgammaPositive(x);
  if (x === -Infinity) return -Infinity;
  if (x === Math.floor(x)) return Infinity; // 0, −0 and negative integers are poles
  if (x > -0.5) {
    // |Γ(x)| = Γ(1 + x)/|x|, with log Γ(1 + x) = log Γ(2 + x) − log(1 + x) and 1 + x in (½, 1).
    return lgammaTwoPlus(x) - Math.log1p(x) - Math.log(-x);
  }
  // Reflection. 1 − x is exact here: a non-integer x has an ulp of at most ½.
  return LOG_PI - logAbsSinPi(x) - lgammaPositive(1 - x);
}

/**
 * ψ(2 + z) for |z| ≤ ½: the derivative of the ζ series, (1 − γ) − Σ_{k≥2} (ζ(k) − 1)·(−z)^{k−1},
 * same convergence. Between 1.66 and 2.5 the result is ≥ 0.18, so cancellation costs < 2 ulps.
 */
function digammaTwoPlus(z: number): number {
  const w = -z;
  let s = 0;
  for (let k = DIGAMMA2_COEF.length - 1; k >= 0; k--) s = s * w + DIGAMMA2_COEF[k]!;
  return ONE_MINUS_EULER - s * w;
}

/** ψ(x) for finite x > 0. */
function digammaPositive(x: number): number {
  if (x >= ASYMPTOTIC_MIN) {
    // ψ(x) = log x − 1/(2x) − Σ_{k=1}^{8} B_{2k} / (2k x^{2k}).
    const r = 1 / x;
    const r2 = r * r;
    const series =
      r2 *
      (1 / 12 +
        r2 *
          (-1 / 120 +
            r2 *
              (1 / 252 +
                r2 *
                  (-1 / 240 +
                    r2 * (1 / 132 + r2 * (-691 / 32760 + r2 * (1 / 12 + r2 * (-3617 / 8160))))))));
    return Math.log(x) - 0.5 * r - series;
  }
  let h = x - DIGAMMA_ROOT_HI; // exact near the root (Sterbenz)
  if (Math.abs(h) <= 0.2) {
    // Next to the root, sum the Taylor series about it so the error stays relative.
    h -= DIGAMMA_ROOT_LO;
    let s = 0;
    for (let k = DIGAMMA_ROOT_COEF.length - 1; k >= 0; k--) s = s * h + DIGAMMA_ROOT_COEF[k]!;
    return s * h;
  }
  if (x < 0.5) {
    // ψ(x) = ψ(2 + x) − 1/(1 + x) − 1/x; −1/x dominates for small x.
    return digammaTwoPlus(x) - 1 / (1 + x) - 1 / x;
  }
  if (x < 1.5) return digammaTwoPlus(x - 1) - 1 / x; // x − 1 exact
  if (x <= 2.5) return digammaTwoPlus(x - 2);
  // 2.5 < x < 10: recur down, ψ(x) = ψ(y) + Σ 1/(y + i) with y in (1.5, 2.5]. Every term is
  // positive (ψ(y) ≥ ψ(1.5) > 0), so the sum has no cancellation; x − m is exact as in lgamma.
  let y = x;
  let sum = 0;
  while (y > 2.5) {
    y -= 1;
    sum += 1 / y;
  }
  return digammaTwoPlus(y - 2) + sum;
}

/**
 * The digamma function ψ(x) = d/dx log Γ(x) (scipy's `psi`).
 *
 * Method: a Taylor series about the positive root x0 ≈ 1.4616 for |x − x0| ≤ 0.2 (relative accuracy
 * at the root), a ζ series for ψ(2 + z) on (0, 2.5] with one or two recurrence steps, the downward
 * recurrence (positive terms only) on (2.5, 10), the asymptotic series with 8 terms from 10 on; for
 * x < 0 the reflection ψ(x) = ψ(1 − x) − π cot(πx) with exact argument reduction.
 *
 * @param x any float64.
 * @returns ψ(x); `-Infinity` at +0 and `+Infinity` at −0 (the limits from the right and left, as
 *   scipy), NaN at the negative integers and at −∞, `+Infinity` at +∞; NaN for NaN. Never throws.
 */
export function digamma(x: number): number {
  if (Number.isNaN(x)) return x;
  if (x > 0) return x === Infinity ? Infinity : digammaPositive(x);
  if (x === 0) return -1 / x; // −∞ at +0, +∞ at −0
  if (x === -Infinity || x === Math.floor(x)) return Number.NaN;
  // Reflection; r = x − round(x) is exact, and cot(πx) = cot(πr) by periodicity.
  const r = x - Math.round(x);
  return digammaPositive(1 - x) - Math.PI / Math.tan(Math.PI * r);
}

/**
 * Natural log of the absolute value of the beta function, log |B(a, b)| = log |Γ(a)Γ(b)/Γ(a + b)|
 * (scipy's `betaln`). Symmetric in a and b.
 *
 * For positive arguments with max(a, b) ≥ 10 the log Γ terms are never subtracted directly (that
 * would lose up to log Γ(a + b)·ε absolutely, e.g. 2e-6 at a = 1e9); instead Stirling's formula is
 * combined analytically, with s = min(a, b), t = max(a, b), δ the Stirling remainder:
 *
 *   s ≥ 10:  ½ log 2π − ½ log(s + t) + (s − ½) log(s/(s + t)) + (t − ½) log(t/(s + t)) + δ(s) + δ(t) − δ(s + t)
 *   s < 10:  log Γ(s) + s − (t − ½) log1p(s/t) − s·log(s + t) + δ(t) − δ(s + t)
 *
 * with the logs of s + t written through log1p(s/t) so nothing overflows (betaln(1e308, 1e308) is
 * finite). Below 10 both log Γ values are small and the direct sum is accurate.
 *
 * @param a any float64.
 * @param b any float64.
 * @returns log |B(a, b)|. `-Infinity` when one argument is +∞ and the other positive and finite;
 *   NaN for (+∞, +∞) and for NaN; `+Infinity` when either is 0 or a negative integer (scipy
 *   returns finite limits for some such pairs with integer a + b ≤ 0; we do not). Other negative
 *   arguments use the direct sum of `gammaln` values. Never throws.
 */
export function betaln(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
  const s = Math.min(a, b);
  const t = Math.max(a, b);
  if (s <= 0) {
    if (s === Math.floor(s) || (t <= 0 && t === Math.floor(t))) return Infinity;
    return gammaln(a) + gammaln(b) - gammaln(a + b);
  }
  // Here 0 < s ≤ t.
  if (t === Infinity) return s === Infinity ? Number.NaN : -Infinity;
  if (t < ASYMPTOTIC_MIN) return lgammaPositive(s) + lgammaPositive(t) - lgammaPositive(s + t);
  // In (0, 1]. It is subnormal only for s/t < 2.2e-308, where its few lost bits only touch the
  // tiny correction (t − ½)·log1p(s/t) ≈ s.
  const ratio = s / t;
  const l1p = Math.log1p(ratio); // log((s + t)/t)
  const logSum = Math.log(t) + l1p; // log(s + t) without forming s + t
  const st = s + t; // may be +∞; δ(+∞) = 0 is right
  if (s >= ASYMPTOTIC_MIN) {
    return (
      HALF_LOG_2PI -
      0.5 * logSum +
      (s - 0.5) * (Math.log(ratio) - l1p) -
      (t - 0.5) * l1p +
      stirlingRemainder(s) +
      stirlingRemainder(t) -
      stirlingRemainder(st)
    );
  }
  return (
    lgammaPositive(s) +
    (s - (t - 0.5) * l1p) -
    s * logSum +
    stirlingRemainder(t) -
    stirlingRemainder(st)
  );
}

/**
 * The standard normal distribution function Φ(z) = ½·erfc(−z/√2), through the Chebyshev fit of
 * erfc in Numerical Recipes (one `exp` and a degree-9 polynomial): relative error of erfc at most
 * 2.5e-7 (2.2e-7 measured against Python's `math.erfc` on −6…27, `test/core/special.test.ts`),
 * so absolute error of Φ below 2.5e-7. Enough to bin probabilities (the drift baseline's CDF
 * histogram), not for tail probabilities. Monotone to within that error; NaN gives NaN.
 */
export function normalCdf(z: number): number {
  const x = -z * Math.SQRT1_2;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.5 * a);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t *
                      (0.27886807 +
                        t *
                          (-1.13520398 +
                            t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const erfc = t * Math.exp(-a * a + poly);
  return 0.5 * (x >= 0 ? erfc : 2 - erfc);
}
