/**
 * Deterministic, platform-independent random numbers.
 *
 * Everything is built on Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as
 * easy as 1, 2, 3", SC 2011), a counter-based generator: the output is a pure function of a
 * 64-bit key and a 128-bit counter. That gives two tools:
 *
 * - `uniformAt(seed, stream, counter)`: one uniform per (seed, column, row), so what the encoder
 *   samples for a row never depends on chunk size, thread count or shard boundaries.
 * - `Random`: a seeded sequential stream (key from the seed, counter incrementing) for
 *   initialisation and sampling, with `fork` for independent child streams.
 *
 * Philox is implemented with exact integer arithmetic only (Math.imul for the low word of each
 * 32×32 product, the high word recovered exactly from a float64 product, see `mulhi`), so the integer and uniform outputs are bit-identical on
 * every JavaScript engine. Normal, gamma, binomial and Dirichlet variates also call Math.log,
 * Math.exp, Math.sqrt (and nothing else); Math.sqrt is correctly rounded everywhere, Math.log and
 * Math.exp are the fdlibm ports in V8 (Node, Chrome, Deno) and SpiderMonkey, so those variates
 * match across platforms on those engines.
 *
 * Key/counter layout (so that no two uses share a Philox block):
 *   uniformAt:  key = seed (lo, hi words), counter = (counter lo, counter hi, stream lo, stream hi)
 *   Random:     key = seed or a derived key, counter = (block lo, block hi, s0, s1), where the root
 *               stream has s1 = 0xffffffff (a stream ≥ 2^53 that uniformAt never uses) and forked
 *               streams have pseudo-random (key, s0, s1) derived by Philox from the parent.
 */
import { InvalidInputError } from "./errors.js";

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
/** Weyl key increments: the golden ratio and √3 − 1 in 32-bit fixed point. */
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
/** 2^26, to join a 27-bit and a 26-bit word into a 53-bit integer. */
const TWO26 = 67108864;
/** Tag xored into s1 when deriving a child stream, to keep derivation blocks apart from output. */
const FORK_TAG = 0x2545f491;

/**
 * High 32 bits of the 64-bit product a·b of two unsigned 32-bit integers, exact. With lo the exact
 * low word (Math.imul), a·b − lo = hi·2^32; the float64 evaluation of a·b − lo is off by at most
 * 2^11 (two roundings of a value < 2^64), far below 2^31, so rounding to the nearest multiple of
 * 2^32 recovers hi exactly. (Cheaper than four 16-bit partial products.)
 */
function mulhi(a: number, b: number, lo: number): number {
  return Math.round((a * b - (lo >>> 0)) / TWO32) | 0;
}

/**
 * The Philox4x32-10 block function: ten rounds on the counter (c0, c1, c2, c3) under the key
 * (key0, key1), as in Random123 (`philox4x32_R(10, ctr, key)`). Arguments are unsigned 32-bit words
 * (values outside [0, 2^32) are taken modulo 2^32). Checked against Random123's known-answer
 * vectors (`tests/kat_vectors`).
 *
 * @param out receives the four output words; length ≥ 4.
 */
export function philox4x32(
  key0: number,
  key1: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  out: Uint32Array,
): void {
  let k0 = key0 | 0;
  let k1 = key1 | 0;
  let x0 = c0 | 0;
  let x1 = c1 | 0;
  let x2 = c2 | 0;
  let x3 = c3 | 0;
  for (let round = 0; round < 10; round++) {
    const lo0 = Math.imul(M0, x0);
    const hi0 = mulhi(M0, x0 >>> 0, lo0);
    const lo1 = Math.imul(M1, x2);
    const hi1 = mulhi(M1, x2 >>> 0, lo1);
    x0 = hi1 ^ x1 ^ k0;
    x1 = lo1;
    x2 = hi0 ^ x3 ^ k1;
    x3 = lo0;
    k0 = (k0 + W0) | 0;
    k1 = (k1 + W1) | 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

const scratch = new Uint32Array(4);

/** The 53-bit uniform in [0, 1) made of the first two words of a block (numpy's construction). */
function blockToUniform(w0: number, w1: number): number {
  return ((w0 >>> 5) * TWO26 + (w1 >>> 6)) / TWO53;
}

/**
 * A uniform number in [0, 1) with 53 random bits that depends only on its three arguments: the
 * Philox4x32-10 block with key = seed and counter = (counter, stream) as two 64-bit words, its
 * first two output words joined. Use it for per-row randomness keyed by (seed, column, row).
 *
 * Arguments must be integers in [0, 2^53); other values give a deterministic but unspecified
 * result (kernels never throw; validate at the API boundary).
 *
 * @param seed the generator's seed.
 * @param stream e.g. the column index.
 * @param counter e.g. the row index; any integer below 2^53.
 * @returns u in [0, 1), a multiple of 2^−53.
 */
export function uniformAt(seed: number, stream: number, counter: number): number {
  philox4x32(
    seed >>> 0,
    Math.floor(seed / TWO32) >>> 0,
    counter >>> 0,
    Math.floor(counter / TWO32) >>> 0,
    stream >>> 0,
    Math.floor(stream / TWO32) >>> 0,
    scratch,
  );
  return blockToUniform(scratch[0]!, scratch[1]!);
}

/**
 * Fills `out[i] = uniformAt(seed, stream, counterStart + i)` for i < out.length, without
 * allocating. Same argument rules as {@link uniformAt}; counterStart + out.length must stay below
 * 2^53.
 *
 * @param out receives the uniforms.
 */
export function uniformsAt(
  seed: number,
  stream: number,
  counterStart: number,
  out: Float64Array,
): void {
  const k0 = seed >>> 0;
  const k1 = Math.floor(seed / TWO32) >>> 0;
  const s0 = stream >>> 0;
  const s1 = Math.floor(stream / TWO32) >>> 0;
  let lo = counterStart >>> 0;
  let hi = Math.floor(counterStart / TWO32) >>> 0;
  for (let i = 0; i < out.length; i++) {
    philox4x32(k0, k1, lo, hi, s0, s1, scratch);
    out[i] = blockToUniform(scratch[0]!, scratch[1]!);
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
  }
}

function checkCount(what: string, value: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new InvalidInputError(`${what} must be an integer in [0, ${max}], got ${value}.`);
  }
}

/**
 * A seeded stream of random numbers on Philox4x32-10: key = seed, counter = 0, 1, 2, … Each block
 * yields four 32-bit words, consumed in order. The same seed gives the same numbers on every
 * platform. Not cryptographic.
 *
 * Samplers: `random` (uniform), `normal` (Marsaglia polar), `gamma` (Marsaglia–Tsang), `binomial`
 * (inversion for n·min(p, 1 − p) < 30, else BTPE; both exact), `multinomial` (conditional
 * binomials), `dirichlet`, `integer` (unbiased), `sampleIndices`, `shuffle`.
 */
export class Random {
  private readonly k0: number;
  private readonly k1: number;
  private readonly s0: number;
  private readonly s1: number;
  /** Index of the next Philox block, < 2^53. */
  private block = 0;
  private readonly buf = new Uint32Array(4);
  /** Next unread word of `buf`; 4 means empty. */
  private pos = 4;
  private spare = 0;
  private hasSpare = false;

  /**
   * @param seed integer in [0, 2^53).
   * @throws InvalidInputError if the seed is not such an integer.
   */
  constructor(seed: number);
  /** @internal Derived streams (see `fork`). */
  constructor(seed: number, derived: Uint32Array);
  constructor(seed: number, derived?: Uint32Array) {
    if (derived !== undefined) {
      this.k0 = derived[0]!;
      this.k1 = derived[1]!;
      this.s0 = derived[2]!;
      this.s1 = derived[3]!;
      return;
    }
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new InvalidInputError(
        `Random: seed must be an integer in [0, 2^53), got ${seed}. Pass e.g. 0 or 42.`,
      );
    }
    this.k0 = seed >>> 0;
    this.k1 = Math.floor(seed / TWO32) >>> 0;
    this.s0 = 0;
    this.s1 = 0xffffffff;
  }

  /**
   * An independent child stream. The child depends only on this stream's identity (its seed and
   * fork path) and `stream`, not on how many numbers were drawn: `fork(i)` twice gives two equal
   * children. Children's keys come from a Philox block of the parent, so distinct (parent, stream)
   * pairs collide only with probability ~2^−128.
   *
   * @param stream integer in [0, 2^53).
   * @throws InvalidInputError for other values.
   */
  fork(stream: number): Random {
    if (!Number.isSafeInteger(stream) || stream < 0) {
      throw new InvalidInputError(
        `Random.fork: stream must be an integer in [0, 2^53), got ${stream}.`,
      );
    }
    const words = new Uint32Array(4);
    philox4x32(
      this.k0,
      this.k1,
      stream >>> 0,
      Math.floor(stream / TWO32),
      this.s0,
      this.s1 ^ FORK_TAG,
      words,
    );
    return new Random(0, words);
  }

  /** The next 32 random bits, an integer in [0, 2^32). */
  nextUint32(): number {
    if (this.pos === 4) {
      const b = this.block;
      philox4x32(this.k0, this.k1, b >>> 0, Math.floor(b / TWO32), this.s0, this.s1, this.buf);
      this.block = b + 1;
      this.pos = 0;
    }
    return this.buf[this.pos++]!;
  }

  /** A uniform number in [0, 1) with 53 random bits (two words; numpy's construction). */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * TWO26 + b) / TWO53;
  }

  /** A uniform number in (0, 1], for logarithms. */
  private positiveUniform(): number {
    return 1 - this.random();
  }

  /**
   * A uniform integer in [0, n), without modulo bias (rejection of the incomplete top range).
   *
   * @param n integer in [1, 2^53].
   * @throws InvalidInputError for other n.
   */
  integer(n: number): number {
    // 2^53 itself is allowed although it is not a "safe" integer: [0, 2^53) is still exact.
    if (!((Number.isSafeInteger(n) && n >= 1) || n === TWO53)) {
      throw new InvalidInputError(`Random.integer: n must be an integer in [1, 2^53], got ${n}.`);
    }
    return this.integerUnchecked(n);
  }

  private integerUnchecked(n: number): number {
    if (n <= TWO32) {
      const limit = TWO32 - (TWO32 % n);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return x % n;
      }
    }
    const limit = TWO53 - (TWO53 % n);
    for (;;) {
      const x = (this.nextUint32() >>> 5) * TWO26 + (this.nextUint32() >>> 6);
      if (x < limit) return x % n;
    }
  }

  /**
   * A standard normal variate by Marsaglia's polar method; the second variate of each pair is kept
   * for the next call.
   */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.random() - 1;
      v = 2 * this.random() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    this.hasSpare = true;
    return u * m;
  }

  /**
   * A Gamma(shape, 1) variate: Marsaglia & Tsang (2000) for shape ≥ 1; for shape < 1,
   * Gamma(shape + 1)·U^{1/shape}. For very small shapes the result underflows to 0 (use
   * `dirichlet`, which works in log space, for those).
   *
   * @param shape finite, > 0.
   * @throws InvalidInputError for other shapes.
   */
  gamma(shape: number): number {
    if (!(shape > 0) || shape === Infinity) {
      throw new InvalidInputError(`Random.gamma: shape must be finite and > 0, got ${shape}.`);
    }
    if (shape >= 1) return this.gammaAtLeastOne(shape);
    return this.gammaAtLeastOne(shape + 1) * this.positiveUniform() ** (1 / shape);
  }

  /** log of a Gamma(shape) variate, without underflow for small shapes. */
  private logGamma(shape: number): number {
    if (shape >= 1) return Math.log(this.gammaAtLeastOne(shape));
    return Math.log(this.gammaAtLeastOne(shape + 1)) + Math.log(this.positiveUniform()) / shape;
  }

  private gammaAtLeastOne(shape: number): number {
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.random();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /**
   * A Binomial(n, p) variate, exact in distribution: inversion by sequential search when
   * n·min(p, 1 − p) < 30, otherwise BTPE (Kachitvichyanukul & Schmeiser 1988), whose acceptance
   * test is exact up to float64 rounding. Uses the symmetry p ↔ 1 − p.
   *
   * @param n integer in [0, 2^53).
   * @param p probability in [0, 1].
   * @throws InvalidInputError for other arguments.
   */
  binomial(n: number, p: number): number {
    checkCount("Random.binomial: n", n, Number.MAX_SAFE_INTEGER);
    if (!(p >= 0 && p <= 1)) {
      throw new InvalidInputError(`Random.binomial: p must be in [0, 1], got ${p}.`);
    }
    return this.binomialUnchecked(n, p);
  }

  private binomialUnchecked(n: number, p: number): number {
    if (n === 0 || p === 0) return 0;
    if (p === 1) return n;
    if (p <= 0.5) return n * p < 30 ? this.binomialInversion(n, p) : this.binomialBtpe(n, p);
    const q = 1 - p; // exact for p in (½, 1)
    return n - (n * q < 30 ? this.binomialInversion(n, q) : this.binomialBtpe(n, q));
  }

  /** Sequential search from 0; expected n·p + 1 steps. p ≤ ½, n·p < 30. */
  private binomialInversion(n: number, p: number): number {
    const q = 1 - p;
    const ratio = p / q;
    // q^n via log1p: exact-ish even for tiny p; ≥ e^−42 here, so no underflow.
    const q0 = Math.exp(n * Math.log1p(-p));
    for (;;) {
      let x = 0;
      let px = q0;
      let u = this.random();
      while (u > px) {
        u -= px;
        x++;
        px *= ((n - x + 1) / x) * ratio;
        // Rounding can leave u above the total mass; px reaches 0 past n (or by underflow far in
        // the tail, where the mass is < 1e-300): draw again.
        if (px === 0) break;
      }
      if (px !== 0 || u <= px) return x;
    }
  }

  /**
   * BTPE: triangle/parallelogram/exponential-tails acceptance-rejection for p ≤ ½, n·p ≥ 30.
   * Follows the published algorithm (as also used by numpy's `random_binomial_btpe`).
   */
  private binomialBtpe(n: number, p: number): number {
    const r = p;
    const q = 1 - r;
    const fm = n * r + r;
    const m = Math.floor(fm);
    const nrq = n * r * q;
    const p1 = Math.floor(2.195 * Math.sqrt(nrq) - 4.6 * q) + 0.5;
    const xm = m + 0.5;
    const xl = xm - p1;
    const xr = xm + p1;
    const c = 0.134 + 20.5 / (15.3 + m);
    let a = (fm - xl) / (fm - xl * r);
    const laml = a * (1 + a / 2);
    a = (xr - fm) / (xr * q);
    const lamr = a * (1 + a / 2);
    const p2 = p1 * (1 + 2 * c);
    const p3 = p2 + c / laml;
    const p4 = p3 + c / lamr;
    for (;;) {
      const u = this.random() * p4;
      let v = this.random();
      let y: number;
      if (u <= p1) {
        // Triangular region: accept at once.
        return Math.floor(xm - p1 * v + u);
      }
      if (u <= p2) {
        const x = xl + (u - p1) / c;
        v = v * c + 1 - Math.abs(m - x + 0.5) / p1;
        if (v > 1) continue;
        y = Math.floor(x);
      } else if (u <= p3) {
        y = Math.floor(xl + Math.log(v) / laml);
        if (y < 0 || v === 0) continue;
        v = v * (u - p2) * laml;
      } else {
        y = Math.floor(xr - Math.log(v) / lamr);
        if (y > n || v === 0) continue;
        v = v * (u - p3) * lamr;
      }
      const k = Math.abs(y - m);
      if (k <= 20 || k >= nrq / 2 - 1) {
        // Explicit ratio f(y)/f(m) by the recurrence f(i)/f(i − 1) = (a/i − s).
        const s = r / q;
        const aa = s * (n + 1);
        let f = 1;
        if (m < y) {
          for (let i = m + 1; i <= y; i++) f *= aa / i - s;
        } else if (m > y) {
          for (let i = y + 1; i <= m; i++) f /= aa / i - s;
        }
        if (v > f) continue;
        return y;
      }
      // Squeeze on log f(y)/f(m), then the exact test: log f(y)/f(m) by Stirling's formula for
      // m!, (n − m)!, y!, (n − y)!, whose remainders enter with signs + + − −. (numpy's legacy
      // BTPE, following a misprint, adds all four and uses 13680 for 13860; numpy ≥ 2.5 fixed it.)
      const rho = (k / nrq) * ((k * (k / 3 + 0.625) + 0.16666666666666666) / nrq + 0.5);
      const t = (-k * k) / (2 * nrq);
      const logV = Math.log(v);
      if (logV < t - rho) return y;
      if (logV > t + rho) continue;
      const x1 = y + 1;
      const f1 = m + 1;
      const z = n + 1 - m;
      const w = n - y + 1;
      if (
        logV >
        xm * Math.log(f1 / x1) +
          (n - m + 0.5) * Math.log(z / w) +
          (y - m) * Math.log((w * r) / (x1 * q)) +
          stirlingTail(f1) +
          stirlingTail(z) -
          stirlingTail(x1) -
          stirlingTail(w)
      ) {
        continue;
      }
      return y;
    }
  }

  /**
   * Counts of n draws over categories with probabilities `pvals` (normalised by their sum), by
   * sequential conditional binomials: out[j] ~ Binomial(n − Σ_{i<j} out[i], p_j / Σ_{i≥j} p_i).
   * The tail sums are recomputed for each j (O(K²), K is small) rather than updated by
   * subtraction, so small trailing probabilities are not lost to rounding. Counts sum to n
   * exactly; zero-probability categories get 0.
   *
   * @param n integer in [0, 2^53) (at most 2^31 − 1 for an Int32Array `out`).
   * @param pvals length K ≥ 1, finite, ≥ 0, positive sum.
   * @param out length K; receives the counts.
   * @throws InvalidInputError for invalid arguments.
   */
  multinomial(n: number, pvals: Float64Array, out: Float64Array | Int32Array): void {
    const k = pvals.length;
    checkCount(
      "Random.multinomial: n",
      n,
      out instanceof Int32Array ? 2147483647 : Number.MAX_SAFE_INTEGER,
    );
    if (k === 0 || out.length !== k) {
      throw new InvalidInputError(
        `Random.multinomial: pvals (length ${k}) and out (length ${out.length}) must have the same length >= 1.`,
      );
    }
    let total = 0;
    for (let j = 0; j < k; j++) {
      const pj = pvals[j]!;
      if (!(pj >= 0 && pj < Infinity)) {
        throw new InvalidInputError(
          `Random.multinomial: pvals[${j}] must be finite and >= 0, got ${pj}.`,
        );
      }
      total += pj;
    }
    if (!(total > 0 && total < Infinity)) {
      throw new InvalidInputError(
        `Random.multinomial: pvals must have a positive finite sum, got ${total}.`,
      );
    }
    let left = n;
    for (let j = 0; j < k; j++) {
      if (left === 0) {
        out[j] = 0;
        continue;
      }
      let tail = 0;
      for (let i = j; i < k; i++) tail += pvals[i]!;
      // tail >= pvals[j] (a float sum of non-negatives bounds each term), so ratio <= 1; the
      // last category with positive mass gets ratio 1, i.e. everything left.
      const ratio = j === k - 1 ? 1 : tail > 0 ? pvals[j]! / tail : 1;
      const draw = this.binomialUnchecked(left, ratio);
      out[j] = draw;
      left -= draw;
    }
  }

  /**
   * A Dirichlet(alpha) vector from normalised gamma variates. When some alpha < 1 the gammas are
   * drawn in log space and normalised with a max-shift, so tiny concentrations (1e-3) give a valid
   * point on the simplex instead of 0/0.
   *
   * @param alpha length K ≥ 1, finite, > 0.
   * @param out length K; receives the probabilities (sum 1 up to rounding).
   * @throws InvalidInputError for invalid arguments.
   */
  dirichlet(alpha: Float64Array, out: Float64Array): void {
    const k = alpha.length;
    if (k === 0 || out.length !== k) {
      throw new InvalidInputError(
        `Random.dirichlet: alpha (length ${k}) and out (length ${out.length}) must have the same length >= 1.`,
      );
    }
    let small = false;
    for (let j = 0; j < k; j++) {
      const a = alpha[j]!;
      if (!(a > 0 && a < Infinity)) {
        throw new InvalidInputError(
          `Random.dirichlet: alpha[${j}] must be finite and > 0, got ${a}.`,
        );
      }
      if (a < 1) small = true;
    }
    let sum = 0;
    if (!small) {
      for (let j = 0; j < k; j++) {
        const g = this.gammaAtLeastOne(alpha[j]!);
        out[j] = g;
        sum += g;
      }
    } else {
      let max = -Infinity;
      for (let j = 0; j < k; j++) {
        const lg = this.logGamma(alpha[j]!);
        out[j] = lg;
        if (lg > max) max = lg;
      }
      for (let j = 0; j < k; j++) {
        const g = Math.exp(out[j]! - max);
        out[j] = g;
        sum += g;
      }
    }
    for (let j = 0; j < k; j++) out[j]! /= sum;
  }

  /**
   * k distinct indices drawn uniformly from [0, n), in uniformly random order (so the result is a
   * uniform random k-permutation). Partial Fisher–Yates when k is a sizeable fraction of n (O(n)
   * memory), Floyd's algorithm plus a shuffle otherwise (O(k) memory).
   *
   * @param n integer in [0, 2^31).
   * @param k integer in [0, n].
   * @returns Int32Array of length k.
   * @throws InvalidInputError for invalid arguments.
   */
  sampleIndices(n: number, k: number): Int32Array {
    checkCount("Random.sampleIndices: n", n, 2147483647);
    if (!Number.isSafeInteger(k) || k < 0 || k > n) {
      throw new InvalidInputError(
        `Random.sampleIndices: k must be an integer in [0, n=${n}], got ${k}.`,
      );
    }
    const out = new Int32Array(k);
    if (k === 0) return out;
    if (n <= 16 * k) {
      const pool = new Int32Array(n);
      for (let i = 0; i < n; i++) pool[i] = i;
      for (let i = 0; i < k; i++) {
        const j = i + this.integerUnchecked(n - i);
        const t = pool[j]!;
        pool[j] = pool[i]!;
        pool[i] = t;
        out[i] = t;
      }
      return out;
    }
    // Floyd: for j = n − k … n − 1, take t uniform in [0, j]; if t is taken, take j instead.
    const taken = new Set<number>();
    let w = 0;
    for (let j = n - k; j < n; j++) {
      const t = this.integerUnchecked(j + 1);
      const pick = taken.has(t) ? j : t;
      taken.add(pick);
      out[w++] = pick;
    }
    this.shuffle(out);
    return out;
  }

  /** Shuffles `a` in place (Fisher–Yates, uniform over permutations). */
  shuffle(a: Int32Array | Float64Array): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.integerUnchecked(i + 1);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
  }
}

/**
 * The Stirling remainder δ(x) = log Γ(x) − [(x − ½) log x − x + ½ log 2π] to O(x^−11):
 * (13860 − (462 − (132 − (99 − 140/x²)/x²)/x²)/x²)/(166320·x) = 1/(12x) − 1/(360x³) + …
 */
function stirlingTail(x: number): number {
  const x2 = x * x;
  return (13860 - (462 - (132 - (99 - 140 / x2) / x2) / x2) / x2) / x / 166320;
}

/**
 * The generator for a `randomState` option: a number seeds a new `Random`; a `Random` is used as
 * is (and advanced, like passing a numpy `RandomState` to scikit-learn); `undefined` means seed 0.
 *
 * Unlike scikit-learn, whose default (`random_state=None`) draws fresh OS entropy, modenorm is
 * deterministic by default: the same call on the same data gives the same result. Pass different
 * seeds to get different runs.
 *
 * @throws InvalidInputError if a number is not an integer in [0, 2^53).
 */
export function resolveRandom(randomState: number | Random | undefined): Random {
  if (randomState === undefined) return new Random(0);
  if (randomState instanceof Random) return randomState;
  return new Random(randomState);
}
