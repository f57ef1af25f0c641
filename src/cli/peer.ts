/**
 * The peer: `../shared/bench/peer_gmm_encoder.py` (scikit-learn + numpy, the way the field does
 * mode-specific normalization today), run with Debian's python on the same data for comparison.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The peer script beside the project (this file runs from dist/src/cli/). */
export const PEER = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "..",
  "..",
  "shared",
  "bench",
  "peer_gmm_encoder.py",
);
/** Debian's python with scikit-learn (`apt-get install -y python3-sklearn`). */
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

/** Peak resident memory of this process so far (all its threads), in MB. */
export function peakRssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Reads a file of little-endian float64 values (the peer's `.f64` input format). */
export function readF64(path: string): Float64Array {
  const b = readFileSync(path);
  const out = new Float64Array(b.length / 8);
  new Uint8Array(out.buffer).set(b);
  return out;
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

/** {@link runPeer} without blocking the event loop (so progress bars keep moving). */
export function runPeerAsync(args: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PEER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`peer failed (${code}): ${err.split("\n").slice(-5).join("\n")}`));
        return;
      }
      resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}") as Record<string, unknown>);
    });
  });
}
