/** Numeric comparison helpers for tests. */
import assert from "node:assert/strict";

/** Flattens nested arrays / typed arrays / numbers into a number[]. */
export function flat(x: unknown): number[] {
  const out: number[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === "number") out.push(v);
    else if (
      v !== null &&
      typeof v === "object" &&
      typeof (v as ArrayLike<unknown>).length === "number"
    ) {
      const a = v as ArrayLike<unknown>;
      for (let i = 0; i < a.length; i++) walk(a[i]);
    } else throw new Error(`not numeric: ${String(v)}`);
  };
  walk(x);
  return out;
}

/**
 * Asserts |actual − expected| <= rtol·|expected| + atol element-wise, where atol = rtol × the
 * largest |expected| of the array (so entries that are ~0 relative to their neighbours — e.g.
 * off-diagonal covariances — are compared on the array's scale). Reports the worst element.
 * Returns the worst relative error (relative to |expected| + that scale).
 */
export function assertClose(
  actual: unknown,
  expected: unknown,
  rtol: number,
  what: string,
): number {
  const a = flat(actual);
  const e = flat(expected);
  assert.equal(a.length, e.length, `${what}: length ${a.length} vs expected ${e.length}`);
  let scale = 0;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i]! - e[i]!);
    const bound = rtol * Math.abs(e[i]!) + rtol * scale;
    const rel = err / (Math.abs(e[i]!) + scale || 1);
    if (rel > worst || Number.isNaN(err)) {
      worst = Number.isNaN(err) ? Number.POSITIVE_INFINITY : rel;
      worstAt = i;
    }
    if (!(err <= bound) && !(a[i] === e[i])) {
      assert.fail(`${what}[${i}]: got ${a[i]}, expected ${e[i]} (|diff| ${err} > ${bound})`);
    }
  }
  void worstAt;
  return worst;
}
