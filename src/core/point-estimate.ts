/**
 * The plain Gaussian-mixture density of point-estimate parameters (weights, means, covariances),
 * whatever model produced them. It puts fits of different models and tools on one scale: the
 * mean log-likelihood of the data.
 */
import { type CovarianceType, computePrecisionCholesky, logDetCholesky } from "./covariance.js";
import type { Matrix } from "./matrix.js";
import { type ComponentTerms, evaluateRows, HALF_LOG_2PI } from "./terms.js";

/**
 * E-step constants of the plain mixture density with the given parameters (covariances shaped per
 * type). Components of weight 0 get log weight −∞ and never win.
 * @throws DegenerateFitError when a covariance is not positive definite.
 */
export function pointEstimateTerms(
  weights: Float64Array,
  means: Float64Array,
  covariances: Float64Array,
  type: CovarianceType,
  k: number,
  d: number,
): ComponentTerms {
  const precChol = computePrecisionCholesky(covariances, type, k, d, 0);
  const logDet = logDetCholesky(precChol, type, k, d);
  const logConst = new Float64Array(k);
  for (let c = 0; c < k; c++) logConst[c] = Math.log(weights[c]!) - d * HALF_LOG_2PI + logDet[c]!;
  return { nComponents: k, nFeatures: d, covarianceType: type, logConst, means, precChol };
}

/** Mean log-likelihood of the rows of X under the plain mixture density of `terms`. */
export function meanLogLikelihood(X: Matrix, terms: ComponentTerms): number {
  const logProb = new Float64Array(X.rows);
  evaluateRows(X, terms, { logProb });
  let s = 0;
  for (let i = 0; i < X.rows; i++) s += logProb[i]!;
  return s / X.rows;
}
