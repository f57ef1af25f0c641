/**
 * Mergeable sufficient statistics: the unit of work of every fit.
 *
 * An E-step over a block of rows produces, for responsibilities r_ik and sample weights w_i,
 *
 *   weightSum  Σ_i w_i
 *   logLik     Σ_i w_i log p(x_i)            (variational model: its expected analogue)
 *   entropy    Σ_i w_i Σ_k r_ik log r_ik     (needed by the variational bound; <= 0)
 *   N_k        Σ_i w_i r_ik                                   (K)
 *   S_k        Σ_i w_i r_ik (x_i − c_k)                         (K·d)
 *   Q_k        Σ_i w_i r_ik (x_i − c_k)(x_i − c_k)ᵀ  ("full", K·d·d) or its diagonal ("diag", K·d)
 *
 * about per-component shifts c_k (K·d): the component means of the E-step that produced them, so
 * the moments stay centred and Q_k does not cancel catastrophically however far component k lies
 * from the data's mean (a narrow mode at 0 beside outliers at 1e9, over 10⁹ rows). All of them
 * are sums, so statistics of disjoint blocks (with the same shifts) merge by addition and the
 * M-step only ever sees the merged result. Merging blocks in a fixed order gives a
 * result that does not depend on how blocks were spread over threads or machines.
 *
 * The whole object lives in one Float64Array so it can be transferred between threads or sent over
 * a queue without conversion: `[weightSum, logLik, entropy, N(K), S(K·d), Q(K·d·d | K·d)]`.
 */
import { InvalidInputError } from "./errors.js";

/** Which second moments a fit needs: full d×d matrices (full, tied) or their diagonals. */
export type MomentKind = "full" | "diag";

/** Sufficient statistics of a block of rows for a K-component mixture in d dimensions. */
export interface MixtureStats {
  readonly nComponents: number;
  readonly nFeatures: number;
  readonly moment: MomentKind;
  /** The shifts c_k, K·d row-major; identical for every block that is merged. */
  readonly shift: Float64Array;
  /** Layout: `[weightSum, logLik, entropy, N(K), S(K·d), Q]`, see the module comment. */
  readonly buffer: Float64Array;
}

/** Offsets of the parts of a stats buffer. */
export const STATS_WEIGHT = 0;
export const STATS_LOGLIK = 1;
export const STATS_ENTROPY = 2;
export const STATS_N = 3;

/** Length of a stats buffer for K components in d dimensions. */
export function statsLength(k: number, d: number, moment: MomentKind): number {
  return 3 + k + k * d + (moment === "full" ? k * d * d : k * d);
}

/** Offset of S (K·d, row-major by component) in the buffer. */
export function statsOffsetS(k: number): number {
  return 3 + k;
}

/** Offset of Q (K·d·d or K·d, row-major by component) in the buffer. */
export function statsOffsetQ(k: number, d: number): number {
  return 3 + k + k * d;
}

/** New zeroed statistics about per-component shifts (K·d, copied). */
export function createStats(
  k: number,
  d: number,
  moment: MomentKind,
  shift: Float64Array,
): MixtureStats {
  if (shift.length !== k * d) {
    throw new InvalidInputError(
      `stats: shift has length ${shift.length}, expected K·d = ${k * d}.`,
    );
  }
  return {
    nComponents: k,
    nFeatures: d,
    moment,
    shift: Float64Array.from(shift),
    buffer: new Float64Array(statsLength(k, d, moment)),
  };
}

/**
 * Adds `src` into `target` (target += src). Both must have the same shape and shift.
 * Addition is exact-order: merging blocks 0, 1, 2, … in that order always gives the same bits.
 * @throws InvalidInputError when shapes or shifts differ.
 */
export function mergeStatsInto(target: MixtureStats, src: MixtureStats): void {
  if (
    target.nComponents !== src.nComponents ||
    target.nFeatures !== src.nFeatures ||
    target.moment !== src.moment ||
    target.buffer.length !== src.buffer.length
  ) {
    throw new InvalidInputError(
      `stats: cannot merge statistics of shape (K=${src.nComponents}, d=${src.nFeatures}, ${src.moment}) into (K=${target.nComponents}, d=${target.nFeatures}, ${target.moment}).`,
    );
  }
  for (let j = 0; j < target.shift.length; j++) {
    if (target.shift[j] !== src.shift[j]) {
      throw new InvalidInputError(
        `stats: cannot merge statistics taken about different shifts (${src.shift[j]} vs ${target.shift[j]} at index ${j}); merge only statistics of the same E-step.`,
      );
    }
  }
  const t = target.buffer;
  const s = src.buffer;
  for (let i = 0; i < t.length; i++) t[i]! += s[i]!;
}

/** Merges a list of statistics in list order into a fresh object. */
export function mergeStats(parts: readonly MixtureStats[]): MixtureStats {
  const first = parts[0];
  if (first === undefined) throw new InvalidInputError("stats: nothing to merge.");
  const out = createStats(first.nComponents, first.nFeatures, first.moment, first.shift);
  for (const p of parts) mergeStatsInto(out, p);
  return out;
}
