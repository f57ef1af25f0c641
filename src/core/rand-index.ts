/**
 * The adjusted Rand index of two labelings (Hubert & Arabie 1985): 1 for the same partition up to
 * renaming, about 0 for independent ones. As scikit-learn's `adjusted_rand_score`.
 */
import { InvalidInputError } from "./errors.js";

/** `n choose 2` as a double (exact below 2^26.5 items). */
const pairs = (n: number) => (n * (n - 1)) / 2;

/**
 * ARI of `a` and `b` (labels ≥ 0, same length; a negative label leaves the row out of both).
 * @throws InvalidInputError for different lengths.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new InvalidInputError(
      `the labelings have ${a.length} and ${b.length} rows; give one label per row in each.`,
    );
  }
  const table = new Map<number, Map<number, number>>();
  const rowsA = new Map<number, number>();
  const rowsB = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < 0 || y < 0) continue;
    n++;
    let row = table.get(x);
    if (row === undefined) {
      row = new Map();
      table.set(x, row);
    }
    row.set(y, (row.get(y) ?? 0) + 1);
    rowsA.set(x, (rowsA.get(x) ?? 0) + 1);
    rowsB.set(y, (rowsB.get(y) ?? 0) + 1);
  }
  let index = 0;
  for (const row of table.values()) for (const c of row.values()) index += pairs(c);
  let sumA = 0;
  for (const c of rowsA.values()) sumA += pairs(c);
  let sumB = 0;
  for (const c of rowsB.values()) sumB += pairs(c);
  const expected = (sumA * sumB) / pairs(n);
  const max = (sumA + sumB) / 2;
  // One cluster on both sides (or no pairs): the partitions agree.
  if (max === expected) return 1;
  return (index - expected) / (max - expected);
}
