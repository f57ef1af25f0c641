/**
 * Philox4x32-10 known-answer vectors, the keyed uniforms, and statistical sanity of the samplers.
 *
 * Statistical tests use fixed seeds, so they are deterministic and never flake; their bounds are
 * generous (about 6 standard deviations, stated per test) yet tight enough that a wrong sampler
 * (wrong scale, off-by-one, biased tail) fails them.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidInputError } from "../../src/core/errors.js";
import { philox4x32, Random, resolveRandom, uniformAt, uniformsAt } from "../../src/core/rng.js";
import { gammaln } from "../../src/core/special.js";

const words = (hex: string) => hex.split(" ").map((h) => Number.parseInt(h, 16));
const hex = (a: Uint32Array) => Array.from(a, (x) => x.toString(16).padStart(8, "0")).join(" ");

/** Chi-square statistic and degrees of freedom of observed counts vs expected counts. */
function chiSquare(observed: ArrayLike<number>, expected: ArrayLike<number>): [number, number] {
  let chi2 = 0;
  for (let i = 0; i < observed.length; i++)
    chi2 += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  return [chi2, observed.length - 1];
}

/** chi2 within df + 6·sqrt(2·df): about 6 standard deviations of the chi-square distribution. */
function assertChiSquare(chi2: number, df: number, what: string): void {
  assert.ok(chi2 <= df + 6 * Math.sqrt(2 * df), `${what}: chi2=${chi2.toFixed(1)} with df=${df}`);
}

describe("philox4x32", () => {
  // Random123 tests/kat_vectors, "philox4x32 10" lines: counter, key, expected output.
  const KAT = [
    [
      "00000000 00000000 00000000 00000000",
      "00000000 00000000",
      "6627e8d5 e169c58d bc57ac4c 9b00dbd8",
    ],
    [
      "ffffffff ffffffff ffffffff ffffffff",
      "ffffffff ffffffff",
      "408f276d 41c83b0e a20bc7c6 6d5451fd",
    ],
    [
      "243f6a88 85a308d3 13198a2e 03707344",
      "a4093822 299f31d0",
      "d16cfe09 94fdcceb 5001e420 24126ea1",
    ],
  ] as const;
  for (const [ctr, key, expected] of KAT) {
    test(`philox4x32 matches the Random123 known answer for key ${key}`, () => {
      const c = words(ctr);
      const k = words(key);
      const out = new Uint32Array(4);
      philox4x32(k[0]!, k[1]!, c[0]!, c[1]!, c[2]!, c[3]!, out);
      assert.equal(hex(out), expected);
    });
  }
});

describe("uniformAt", () => {
  test("uniformAt(0, 0, 0) is the 53-bit uniform of the all-zero KAT block", () => {
    const expected = ((0x6627e8d5 >>> 5) * 2 ** 26 + (0xe169c58d >>> 6)) / 2 ** 53;
    assert.equal(uniformAt(0, 0, 0), expected);
  });

  test("uniformAt depends only on its arguments", () => {
    const a = uniformAt(7, 3, 123456789);
    for (let i = 0; i < 100; i++) uniformAt(i, i, i);
    new Random(7).random();
    assert.equal(uniformAt(7, 3, 123456789), a);
    assert.notEqual(uniformAt(7, 4, 123456789), a);
    assert.notEqual(uniformAt(8, 3, 123456789), a);
    assert.notEqual(uniformAt(7, 3, 123456790), a);
  });

  test("uniformAt uses all 53 bits of counter and seed (no aliasing at 2^32)", () => {
    assert.notEqual(uniformAt(0, 0, 2 ** 32), uniformAt(0, 0, 0));
    assert.notEqual(uniformAt(2 ** 32, 0, 5), uniformAt(0, 0, 5));
    assert.notEqual(uniformAt(0, 2 ** 32, 5), uniformAt(0, 0, 5));
    const top = uniformAt(2 ** 53 - 1, 2 ** 53 - 1, 2 ** 53 - 1);
    assert.ok(top >= 0 && top < 1);
  });

  test("uniformsAt equals uniformAt counter by counter, across the 2^32 carry", () => {
    const out = new Float64Array(6);
    const start = 2 ** 32 - 3;
    uniformsAt(11, 2, start, out);
    for (let i = 0; i < out.length; i++) assert.equal(out[i], uniformAt(11, 2, start + i));
  });

  test("uniformAt values lie in [0, 1) on the 2^-53 grid; mean and variance over 1e6 counters", () => {
    const n = 1_000_000;
    const out = new Float64Array(n);
    uniformsAt(42, 0, 0, out);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const u = out[i]!;
      assert.ok(u >= 0 && u < 1 && Number.isInteger(u * 2 ** 53));
      sum += u;
      sq += u * u;
    }
    const mean = sum / n;
    const variance = sq / n - mean * mean;
    // sd(mean) = sqrt(1/12/n) ≈ 2.9e-4; sd(var) ≈ sqrt(1/180/n) ≈ 7.5e-5.
    assert.ok(Math.abs(mean - 0.5) < 6 * 2.9e-4, `mean ${mean}`);
    assert.ok(Math.abs(variance - 1 / 12) < 6 * 7.5e-5, `variance ${variance}`);
  });
});

describe("Random", () => {
  test("Random is deterministic per seed and its first word is the documented Philox block", () => {
    const a = new Random(5);
    const b = new Random(5);
    for (let i = 0; i < 100; i++) assert.equal(a.nextUint32(), b.nextUint32());
    const out = new Uint32Array(4);
    philox4x32(5, 0, 0, 0, 0, 0xffffffff, out);
    assert.equal(new Random(5).nextUint32(), out[0]);
    assert.notEqual(new Random(6).random(), new Random(5).random());
  });

  test("Random rejects seeds that are not integers in [0, 2^53)", () => {
    for (const seed of [-1, 1.5, 2 ** 53, Number.NaN, Infinity]) {
      assert.throws(() => new Random(seed), InvalidInputError, `seed ${seed}`);
    }
  });

  test("resolveRandom: undefined means seed 0, a number seeds, a Random is passed through", () => {
    assert.equal(resolveRandom(undefined).random(), new Random(0).random());
    assert.equal(resolveRandom(9).random(), new Random(9).random());
    const r = new Random(3);
    assert.equal(resolveRandom(r), r);
    assert.throws(() => resolveRandom(-3), InvalidInputError);
  });

  test("fork is deterministic, independent of draws, and gives distinct streams", () => {
    const parent = new Random(1);
    const c0 = parent.fork(0).random();
    for (let i = 0; i < 10; i++) parent.random();
    assert.equal(parent.fork(0).random(), c0);
    const seen = new Set<number>([new Random(1).random(), new Random(0).random()]);
    for (let s = 0; s < 50; s++) seen.add(new Random(1).fork(s).random());
    seen.add(new Random(1).fork(0).fork(0).random());
    assert.equal(seen.size, 53);
    assert.throws(() => parent.fork(-1), InvalidInputError);
  });

  test("random: mean 1/2 and variance 1/12 over 1e6 draws (6 sd bounds)", () => {
    const r = new Random(123);
    const n = 1_000_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const u = r.random();
      sum += u;
      sq += u * u;
    }
    const mean = sum / n;
    assert.ok(Math.abs(mean - 0.5) < 6 * 2.9e-4, `mean ${mean}`);
    assert.ok(Math.abs(sq / n - mean * mean - 1 / 12) < 6 * 7.5e-5);
  });

  test("normal: mean 0, variance 1, kurtosis 3 over 1e6 draws; symmetric tails (6 sd bounds)", () => {
    const r = new Random(2024);
    const n = 1_000_000;
    let s1 = 0;
    let s2 = 0;
    let s4 = 0;
    let above2 = 0;
    let below2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s1 += z;
      s2 += z * z;
      s4 += z ** 4;
      if (z > 2) above2++;
      else if (z < -2) below2++;
    }
    // sd(mean) = 1e-3, sd(var) ≈ 1.4e-3, sd(4th moment) ≈ sqrt(96/n) ≈ 9.8e-3.
    assert.ok(Math.abs(s1 / n) < 6e-3, `mean ${s1 / n}`);
    assert.ok(Math.abs(s2 / n - 1) < 6 * 1.4e-3, `variance ${s2 / n}`);
    assert.ok(Math.abs(s4 / n - 3) < 6 * 9.8e-3, `4th moment ${s4 / n}`);
    // P(Z > 2) = 0.02275: expected 22750 each side, sd ≈ 149.
    for (const c of [above2, below2]) assert.ok(Math.abs(c - 22750) < 6 * 149, `tail count ${c}`);
  });

  test("gamma: mean and variance equal the shape (Marsaglia–Tsang, and shape < 1)", () => {
    const r = new Random(77);
    const n = 200_000;
    for (const shape of [0.3, 1, 2.5, 50]) {
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < n; i++) {
        const g = r.gamma(shape);
        assert.ok(g >= 0);
        sum += g;
        sq += g * g;
      }
      const mean = sum / n;
      const variance = sq / n - mean * mean;
      // sd(mean) = sqrt(shape/n); sd(var) = sqrt((μ4 − σ⁴)/n) with μ4 = 3k² + 6k for Gamma(k).
      const sdVar = Math.sqrt((2 * shape * shape + 6 * shape) / n);
      assert.ok(Math.abs(mean - shape) < 6 * Math.sqrt(shape / n), `shape ${shape}: mean ${mean}`);
      assert.ok(Math.abs(variance - shape) < 6 * sdVar, `shape ${shape}: variance ${variance}`);
    }
    assert.throws(() => r.gamma(0), InvalidInputError);
    assert.throws(() => r.gamma(Number.NaN), InvalidInputError);
  });

  for (const [n, p, method] of [
    [100, 0.1, "inversion"],
    [1000, 0.3, "BTPE"],
    [1000, 0.97, "BTPE on 1 − p"],
    [100_000, 0.01, "BTPE with a long tail"],
  ] as const) {
    test(`binomial(${n}, ${p}) (${method}): chi-square against the exact pmf`, () => {
      const r = new Random(n + Math.round(p * 100));
      const draws = 200_000;
      const counts = new Float64Array(n + 1);
      for (let i = 0; i < draws; i++) {
        const x = r.binomial(n, p);
        assert.ok(Number.isInteger(x) && x >= 0 && x <= n);
        counts[x]!++;
      }
      // Bins with expected count ≥ 20 (so the chi-square approximation holds); the rest pooled.
      const obs: number[] = [];
      const exp: number[] = [];
      let restObs = 0;
      let restExp = 0;
      for (let k = 0; k <= n; k++) {
        const pmf = Math.exp(
          gammaln(n + 1) -
            gammaln(k + 1) -
            gammaln(n - k + 1) +
            k * Math.log(p) +
            (n - k) * Math.log1p(-p),
        );
        if (draws * pmf >= 20) {
          obs.push(counts[k]!);
          exp.push(draws * pmf);
        } else {
          restObs += counts[k]!;
          restExp += draws * pmf;
        }
      }
      obs.push(restObs);
      exp.push(restExp);
      const [chi2, df] = chiSquare(obs, exp);
      assertChiSquare(chi2, df, `binomial(${n}, ${p})`);
    });
  }

  test("binomial edge cases: n = 0, p = 0, p = 1, n up to 2^53 − 1; invalid arguments throw", () => {
    const r = new Random(0);
    assert.equal(r.binomial(0, 0.5), 0);
    assert.equal(r.binomial(10, 0), 0);
    assert.equal(r.binomial(10, 1), 10);
    const big = r.binomial(Number.MAX_SAFE_INTEGER, 0.5);
    assert.ok(Math.abs(big / Number.MAX_SAFE_INTEGER - 0.5) < 1e-6);
    assert.throws(() => r.binomial(-1, 0.5), InvalidInputError);
    assert.throws(() => r.binomial(2.5, 0.5), InvalidInputError);
    assert.throws(() => r.binomial(10, 1.5), InvalidInputError);
  });

  test("multinomial: counts sum exactly to n; category totals pass chi-square", () => {
    const r = new Random(31);
    const pvals = new Float64Array([0.1, 0.2, 0.3, 0.4]);
    const out = new Int32Array(4);
    const totals = new Float64Array(4);
    const draws = 10_000;
    for (let i = 0; i < draws; i++) {
      r.multinomial(100, pvals, out);
      assert.equal(out[0]! + out[1]! + out[2]! + out[3]!, 100);
      for (let j = 0; j < 4; j++) totals[j]! += out[j]!;
    }
    const expected = Array.from(pvals, (p) => p * 100 * draws);
    const [chi2, df] = chiSquare(totals, expected);
    assertChiSquare(chi2, df, "multinomial totals");
  });

  test("multinomial with n = 1e9, unnormalised pvals and zero-probability categories", () => {
    const r = new Random(4);
    const out = new Float64Array(5);
    r.multinomial(1e9, new Float64Array([2, 0, 1, 1, 0]), out);
    assert.equal(out[0]! + out[1]! + out[2]! + out[3]! + out[4]!, 1e9);
    assert.equal(out[1], 0);
    assert.equal(out[4], 0);
    // sd of each count ≈ sqrt(1e9·p(1−p)) ≤ 1.6e4.
    assert.ok(Math.abs(out[0]! - 5e8) < 6 * 1.6e4);
    assert.ok(Math.abs(out[2]! - 2.5e8) < 6 * 1.6e4);
  });

  test("multinomial rejects invalid pvals, lengths and n", () => {
    const r = new Random(0);
    const out = new Float64Array(2);
    assert.throws(() => r.multinomial(5, new Float64Array([0.5, -0.1]), out), InvalidInputError);
    assert.throws(() => r.multinomial(5, new Float64Array([0, 0]), out), InvalidInputError);
    assert.throws(() => r.multinomial(5, new Float64Array([1]), out), InvalidInputError);
    assert.throws(() => r.multinomial(-1, new Float64Array([1, 1]), out), InvalidInputError);
    assert.throws(
      () => r.multinomial(2 ** 31, new Float64Array([1, 1]), new Int32Array(2)),
      InvalidInputError,
    );
  });

  test("dirichlet: mean alpha/sum(alpha); tiny alphas still give a point on the simplex", () => {
    const r = new Random(8);
    const alpha = new Float64Array([2, 3, 5]);
    const out = new Float64Array(3);
    const mean = new Float64Array(3);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      r.dirichlet(alpha, out);
      for (let j = 0; j < 3; j++) mean[j]! += out[j]! / n;
    }
    // Var of component j = a_j(A − a_j)/(A²(A + 1)) ≤ 0.0227 → sd(mean) ≤ 4.8e-4.
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(mean[j]! - alpha[j]! / 10) < 6 * 4.8e-4);
    const tiny = new Float64Array(4).fill(1e-3);
    const t = new Float64Array(4);
    for (let i = 0; i < 100; i++) {
      r.dirichlet(tiny, t);
      const s = t[0]! + t[1]! + t[2]! + t[3]!;
      assert.ok(Math.abs(s - 1) < 1e-12 && t.every((v) => v >= 0 && v <= 1), `draw ${t}`);
    }
    assert.throws(
      () => r.dirichlet(new Float64Array([1, 0]), new Float64Array(2)),
      InvalidInputError,
    );
  });

  test("integer(n) is uniform (chi-square, n = 7) and stays in range for n up to 2^53", () => {
    const r = new Random(99);
    const counts = new Float64Array(7);
    const draws = 700_000;
    for (let i = 0; i < draws; i++) counts[r.integer(7)]!++;
    const [chi2, df] = chiSquare(counts, new Float64Array(7).fill(draws / 7));
    assertChiSquare(chi2, df, "integer(7)");
    for (const n of [1, 2 ** 32, 2 ** 32 + 1, 3 * 2 ** 40, 2 ** 53]) {
      for (let i = 0; i < 100; i++) {
        const x = r.integer(n);
        assert.ok(Number.isInteger(x) && x >= 0 && x < n, `integer(${n}) gave ${x}`);
      }
    }
    assert.equal(r.integer(1), 0);
    for (const n of [0, -1, 1.5, 2 ** 53 + 2]) assert.throws(() => r.integer(n), InvalidInputError);
  });

  test("sampleIndices: distinct, in range, uniform over ordered pairs (Fisher–Yates branch)", () => {
    const r = new Random(12);
    const counts = new Float64Array(25);
    const draws = 200_000;
    for (let i = 0; i < draws; i++) {
      const s = r.sampleIndices(5, 2);
      assert.notEqual(s[0], s[1]);
      counts[s[0]! * 5 + s[1]!]!++;
    }
    const obs: number[] = [];
    for (let a = 0; a < 5; a++)
      for (let b = 0; b < 5; b++) if (a !== b) obs.push(counts[a * 5 + b]!);
    const [chi2, df] = chiSquare(obs, new Float64Array(20).fill(draws / 20));
    assertChiSquare(chi2, df, "sampleIndices(5, 2)");
    const all = r.sampleIndices(10, 10);
    assert.deepEqual(
      Array.from(all).sort((x, y) => x - y),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.equal(r.sampleIndices(10, 0).length, 0);
  });

  test("sampleIndices: Floyd branch (k ≪ n) picks every index equally often", () => {
    const r = new Random(13);
    const n = 1000;
    const counts = new Float64Array(n);
    const draws = 100_000;
    for (let i = 0; i < draws; i++) {
      const s = r.sampleIndices(n, 3);
      assert.ok(s[0] !== s[1] && s[0] !== s[2] && s[1] !== s[2]);
      for (const v of s) counts[v]!++;
    }
    const [chi2, df] = chiSquare(counts, new Float64Array(n).fill((3 * draws) / n));
    assertChiSquare(chi2, df, "sampleIndices(1000, 3)");
    // First position alone must also be uniform (the result is shuffled).
    const first = new Float64Array(10);
    for (let i = 0; i < 50_000; i++) first[r.sampleIndices(1000, 2)[0]! % 10]!++;
    assertChiSquare(...chiSquare(first, new Float64Array(10).fill(5000)), "first index mod 10");
  });

  test("sampleIndices rejects k > n and negative sizes", () => {
    const r = new Random(0);
    assert.throws(() => r.sampleIndices(3, 4), InvalidInputError);
    assert.throws(() => r.sampleIndices(-1, 0), InvalidInputError);
    assert.throws(() => r.sampleIndices(3, -1), InvalidInputError);
  });

  test("shuffle permutes in place, each value equally likely in each position", () => {
    const r = new Random(21);
    const counts = new Float64Array(16);
    const a = new Int32Array(4);
    for (let i = 0; i < 80_000; i++) {
      a.set([0, 1, 2, 3]);
      r.shuffle(a);
      for (let pos = 0; pos < 4; pos++) counts[pos * 4 + a[pos]!]!++;
    }
    assertChiSquare(...chiSquare(counts, new Float64Array(16).fill(20_000)), "shuffle positions");
    const f = new Float64Array([1.5, 2.5, 3.5]);
    r.shuffle(f);
    assert.deepEqual(Array.from(f).sort(), [1.5, 2.5, 3.5]);
  });
});
