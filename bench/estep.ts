/**
 * E-step throughput, one thread: the TypeScript reference kernel (`ts`) vs the WebAssembly SIMD
 * kernel (`wasm`, bit-identical per-row values) and its fast-exp variant (`wasm-fast`), K in
 * {1, 3, 10}, on 10M Float64 values held in memory, drawn from the K-component mixture that is
 * also the model (means 10 apart, σ from 1 to 2; far components put some exp arguments in the
 * subnormal range, which costs the exact kernels extra). Prints one JSON line per (kernel, K):
 * values/s, best and median of the timed reps after 2 warm-up reps.
 *
 * Run: `npm run build && node dist/bench/estep.js [--n 10000000] [--reps 5]`.
 */
import { cpus, platform, release } from "node:os";
import { estep1d } from "../src/core/kernels/estep-1d.js";
import {
  estep1dWasm,
  estep1dWasmFast,
  wasmSimdAvailable,
} from "../src/core/kernels/estep-1d-wasm.js";
import { benchOptions } from "./common.js";

type Kernel = typeof estep1d;

/** Deterministic data: xorshift64* uniforms, Box-Muller normals around K means. */
function makeData(n: number, K: number, seed: number): Float64Array {
  let s = BigInt(seed) | 1n;
  const mask = (1n << 64n) - 1n;
  const uniform = (): number => {
    s ^= s >> 12n;
    s ^= (s << 25n) & mask;
    s ^= s >> 27n;
    return Number(((s * 2685821657736338717n) & mask) >> 11n) / 2 ** 53 || 2 ** -53;
  };
  const x = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const t = 2 * Math.PI * uniform();
    const k0 = Math.floor(uniform() * K);
    const k1 = Math.floor(uniform() * K);
    x[i] = 10 * k0 + (1 + k0 / K) * r * Math.cos(t);
    if (i + 1 < n) x[i + 1] = 10 * k1 + (1 + k1 / K) * r * Math.sin(t);
  }
  return x;
}

function params(K: number): { a: Float64Array; mu: Float64Array; b: Float64Array } {
  const a = new Float64Array(K);
  const mu = new Float64Array(K);
  const b = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    const sigma = 1 + k / K;
    mu[k] = 10 * k + 0.3;
    a[k] = Math.log(1 / K) - 0.5 * Math.log(2 * Math.PI) - Math.log(sigma);
    b[k] = 0.5 / (sigma * sigma);
  }
  return { a, mu, b };
}

function timeKernel(
  kernel: Kernel,
  x: Float64Array,
  K: number,
  warmup: number,
  reps: number,
): { best: number; median: number; check: number } {
  const { a, mu, b } = params(K);
  const out = new Float64Array(3 + 3 * K);
  const scratch = new Float64Array(4 * K + 3);
  const seconds: number[] = [];
  for (let r = 0; r < warmup + reps; r++) {
    const t0 = process.hrtime.bigint();
    kernel(x, 0, x.length, null, K, a, mu, b, out, scratch);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r >= warmup) seconds.push(dt);
  }
  seconds.sort((p, q) => p - q);
  const median = seconds[Math.floor(seconds.length / 2)]!;
  return { best: x.length / seconds[0]!, median: x.length / median, check: out[1]! };
}

const opts = benchOptions("E-step throughput of one thread: TypeScript and WebAssembly kernels.", {
  n: { default: "10000000", kind: "count", help: "values held in memory" },
  reps: { default: "5", kind: "count", help: "timed repetitions after 2 warm-ups" },
});
const n = Number(opts.n);
const reps = Number(opts.reps);
const warmup = 2;
const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  node: process.version,
  os: `${platform()} ${release()}`,
};
const kernels: [string, Kernel][] = [["ts", estep1d]];
if (wasmSimdAvailable()) kernels.push(["wasm", estep1dWasm], ["wasm-fast", estep1dWasmFast]);
else console.error("estep bench: WebAssembly SIMD unavailable; timing the TypeScript kernel only");

for (const K of [1, 3, 10]) {
  const x = makeData(n, K, 12345 + K);
  for (const [name, kernel] of kernels) {
    const r = timeKernel(kernel, x, K, warmup, reps);
    console.log(
      JSON.stringify({
        bench: "estep1d",
        kernel: name,
        K,
        n,
        warmup,
        reps,
        valuesPerSecBest: Math.round(r.best),
        valuesPerSecMedian: Math.round(r.median),
        logLikPerRow: r.check / n,
        machine,
      }),
    );
  }
}
