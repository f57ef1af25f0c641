/**
 * The few typed errors modenorm throws. Messages start with the subject, name the offending
 * value (file, column, row, parameter) and say how to fix it.
 */

/** Invalid input data or an invalid parameter value. */
export class InvalidInputError extends Error {
  override name = "InvalidInputError";
}

/** A method that needs a fitted model was called on an unfitted one. */
export class NotFittedError extends Error {
  override name = "NotFittedError";
}

/**
 * The fit produced an unusable model, e.g. a covariance that is not positive definite because a
 * component collapsed onto a single point. Raising `regCovar` or lowering `nComponents` fixes it.
 */
export class DegenerateFitError extends Error {
  override name = "DegenerateFitError";
}

/** Exhaustiveness check for `switch` over string-literal unions. */
export function assertUnreachable(x: never): never {
  throw new Error(`unreachable: ${String(x)}`);
}
