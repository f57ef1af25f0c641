/** Shared pieces of the benchmarks: machine facts, the peer, data files. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (bench files run from dist/bench/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export {
  machine,
  PEER,
  PYTHON,
  peakRssMB,
  peerAvailable,
  readF64,
  runPeer,
} from "../src/cli/peer.js";

/** Prints one JSON line. */
export function emit(o: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

/** `--name value` from argv, or the default. */
export function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1]! : dflt;
}
