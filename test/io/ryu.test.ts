/**
 * The WebAssembly shortest-double printer (`writeDouble`, Ryū) against `String(x)`: the same text
 * on every kind of finite, non-zero double (random bit patterns over the whole exponent range,
 * subnormals, powers of two and ten and their neighbours, short decimals, the extremes).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Random } from "../../src/core/rng.js";
import { writeDouble } from "../../src/io/ryu.js";
import { randomDouble } from "../helpers/data.js";

const out = new Uint8Array(32);
const decoder = new TextDecoder();
const text = (x: number) => decoder.decode(out.subarray(0, writeDouble(x, out, 0)));

/** x and its neighbours one and two ulps away. */
function* around(x: number): Generator<number> {
  const f = new Float64Array([x]);
  const b = new BigUint64Array(f.buffer);
  const base = b[0]!;
  for (const d of [-2n, -1n, 0n, 1n, 2n]) {
    b[0] = base + d;
    if (Number.isFinite(f[0]!) && f[0] !== 0) yield f[0]!;
  }
}

function check(x: number): void {
  for (const v of [x, -x]) {
    const got = text(v);
    if (got !== String(v)) assert.fail(`writeDouble(${String(v)}) wrote ${got}`);
  }
}

test("writeDouble writes String(x) at the edges", () => {
  const edges = [
    Number.MIN_VALUE,
    Number.MAX_VALUE,
    Number.EPSILON,
    2 ** -1022,
    2 ** -1074 * 3,
    1e21,
    1e-7,
    1e-6,
    1e22,
    1e23,
    5e-324,
    0.1,
    0.2,
    0.3,
    1 / 3,
    2 / 3,
    2 ** 53 + 2,
    123456789012345680,
    1.5e-7,
    2.5,
    0.5,
    1,
    10,
    100,
    1e15,
    1e16,
    1e17,
  ];
  for (const e of edges) for (const x of around(e)) check(x);
  for (let p = -1074; p <= 1023; p++) for (const x of around(2 ** p)) check(x);
  for (let p = -323; p <= 308; p++) for (const x of around(Number(`1e${p}`))) check(x);
});

test("writeDouble writes String(x) on a million random doubles of each kind", () => {
  const rng = new Random(2026);
  for (let i = 0; i < 1_000_000; i++) {
    const x = randomDouble(rng);
    if (Number.isFinite(x) && x !== 0) check(x);
    check((rng.random() - 0.5) * 10 ** Math.floor(rng.random() * 44 - 22));
    const m = Math.floor(rng.random() * 10 ** Math.floor(1 + rng.random() * 17));
    if (m !== 0) check(m / 10 ** Math.floor(rng.random() * 20));
  }
});
