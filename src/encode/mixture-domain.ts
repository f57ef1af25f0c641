/**
 * Which values of a mixture column the modes describe: not missing, not one of a mixed column's
 * modal values, and with a finite transformed value t (x, or log(x − offset) for log columns) of
 * magnitude at most {@link FIT_LIMIT}. The fit, the encoder and the drift baseline share it.
 */

/** Values beyond this magnitude are not used to fit the mixture (they are still encoded). */
export const FIT_LIMIT = 1e100;

/** The index of x among the modal values (Object.is: −0 is not 0), or −1. */
export function isModal(x: number, modal: readonly number[]): number {
  for (let j = 0; j < modal.length; j++) if (Object.is(x, modal[j])) return j;
  return -1;
}

/** t(x) for a column with this log offset (undefined: not a log column), NaN outside the domain. */
export function fittedValue(x: number, offset: number | undefined): number {
  const t = offset === undefined ? x : Math.log(x - offset);
  return Number.isFinite(t) && Math.abs(t) <= FIT_LIMIT ? t : Number.NaN;
}
