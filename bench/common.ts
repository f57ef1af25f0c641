/** Shared pieces of the benchmarks: machine facts, the peer, data files. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateBlobs } from "../src/core/synthetic.js";
import type { Table } from "../src/core/table.js";

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

/** One `--name value` option of a benchmark. */
export interface BenchOption {
  /** The value when the option is not given (not checked against `kind`). */
  default: string;
  /** One line for `--help`. */
  help: string;
  /** `count`: a whole number ≥ 1; `counts`: a comma-separated list of them; otherwise any text. */
  kind?: "count" | "counts" | "text";
}

/**
 * The options of a benchmark from argv: `--help` prints what the benchmark does and its options,
 * and exits 0; an unknown option, a missing value or a value of the wrong kind is an error that
 * names it, exits 2 and runs nothing (a benchmark can write gigabytes before its first line).
 */
export function benchOptions<K extends string>(
  what: string,
  spec: Record<K, BenchOption>,
  argv: string[] = process.argv.slice(2),
): Record<K, string> {
  const script = process.argv[1]?.replace(/^.*[\\/]dist[\\/]/, "dist/") ?? "bench";
  const names = Object.keys(spec) as K[];
  const usage = [
    `${what}\n`,
    `usage: node ${script} [options]\n`,
    ...names.map(
      (n) => `${`  --${n} <value>`.padEnd(30)}${spec[n].help} (default: ${spec[n].default})`,
    ),
    `${"  --help".padEnd(30)}print this and exit`,
  ].join("\n");
  const fail = (message: string): never => {
    process.stderr.write(`error: ${message}\n\n${usage}\n`);
    process.exit(2);
  };
  let parsed: { values: Record<string, string | boolean | undefined> };
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        help: { type: "boolean" },
        ...Object.fromEntries(names.map((n) => [n, { type: "string" as const }])),
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    return fail((e as Error).message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  const out = {} as Record<K, string>;
  for (const n of names) {
    const v = parsed.values[n] as string | undefined;
    // The default stands as written (it may say what happens when the option is not given).
    if (v === undefined) {
      out[n] = spec[n].default;
      continue;
    }
    const kind = spec[n].kind ?? "text";
    const bad = (x: string) =>
      !/^[1-9][0-9_]*$/.test(x) || !Number.isSafeInteger(Number(x.replaceAll("_", "")));
    if (kind === "count" && bad(v))
      fail(`--${n} ${JSON.stringify(v)}: expected a whole number ≥ 1`);
    if (kind === "counts" && v.split(",").some(bad)) {
      fail(`--${n} ${JSON.stringify(v)}: expected whole numbers ≥ 1 separated by commas`);
    }
    out[n] = kind === "text" ? v : v.replaceAll("_", "");
  }
  return out;
}

/**
 * Blobs with known clusters as a table of float64 columns x, y, z (4 blobs, standard deviations
 * 0.5, 1, 1.5, 0.8), and each row's true blob.
 */
export function blobTable(n: number, seed: number): { table: Table; truth: Int32Array } {
  const b = generateBlobs(n, 3, 4, seed, [0.5, 1, 1.5, 0.8]);
  return {
    table: {
      rows: n,
      columns: ["x", "y", "z"].map((name, j) => ({
        name,
        type: "float64" as const,
        values: Float64Array.from({ length: n }, (_, i) => b.data[i * 3 + j]!),
        nulls: null,
      })),
    },
    truth: b.labels,
  };
}
