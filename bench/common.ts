/** Shared pieces of the benchmarks: machine facts, the peer, data files. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (bench files run from dist/bench/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The peer benchmark beside the project. */
export const PEER = join(ROOT, "..", "shared", "bench", "peer_gmm_encoder.py");
/** Debian's python with scikit-learn. */
export const PYTHON = "/usr/bin/python3";

/** What machine a number came from. */
export function machine(): Record<string, unknown> {
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/** Whether the peer can run here (script present and scikit-learn importable). */
export function peerAvailable(): boolean {
  if (!existsSync(PEER) || !existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ["-c", "import sklearn"], { stdio: "ignore" });
  return r.status === 0;
}

/** Runs the peer with arguments; returns its JSON line, or throws with its stderr tail. */
export function runPeer(args: string[]): Record<string, unknown> {
  const r = spawnSync(PYTHON, [PEER, ...args], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) {
    throw new Error(
      `peer failed (${r.status}): ${(r.stderr ?? "").split("\n").slice(-5).join("\n")}`,
    );
  }
  const line = r.stdout.trim().split("\n").pop() ?? "{}";
  return JSON.parse(line) as Record<string, unknown>;
}

/** Reads a little-endian float64 file. */
export function readF64(path: string): Float64Array {
  const b = readFileSync(path);
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** Peak resident set size of this process so far, in MB. */
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Prints one JSON line. */
export function emit(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

/** `--name value` from argv, or the default. */
export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : dflt;
}
