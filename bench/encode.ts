/**
 * Encoder benchmark against the peer (`shared/bench/peer_gmm_encoder.py`, scikit-learn + numpy)
 * on the same column: fit time, encode/decode speed, values that fail to come back, values the
 * GAN layout clips, and the mean log-likelihood of the kept modes.
 *
 *   node dist/bench/encode.js [--synthetic-rows 1000000] [--peer auto|off]
 *
 * Data: the credit-card `Amount` column (../shared/data, 199,368 rows) and the peer's synthetic
 * column (five modes + 0.1 % outliers). One JSON line per (data, encoder).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateMultimodal } from "../src/core/synthetic.js";
import type { Column } from "../src/core/table.js";
import {
  CLIP,
  fitMixtureColumn,
  mixtureCodec,
  modesLogLikelihood,
} from "../src/encode/mixture-column.js";
import { MODE_LITERAL, type ModeSpec } from "../src/encode/spec.js";
import {
  benchOptions,
  emit,
  machine,
  peakRssMB,
  peerAvailable,
  ROOT,
  readF64,
  runPeer,
} from "./common.js";

const opts = benchOptions(
  "Encode and decode throughput in memory, against the peer on the same data.",
  {
    "synthetic-rows": { default: "1000000", kind: "count", help: "rows of the synthetic column" },
    peer: { default: "auto", help: "off: do not run the peer" },
  },
);
const usePeer = opts.peer !== "off" && peerAvailable();
const syntheticRows = Number(opts["synthetic-rows"]);
const dir = join(tmpdir(), "modenorm-bench");
mkdirSync(dir, { recursive: true });

function ours(data: string, x: Float64Array) {
  const col: Column = { name: data, type: "float64", values: x, nulls: null };
  let t = performance.now();
  const spec = fitMixtureColumn(col, "continuous");
  const fitSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const enc = mixtureCodec.encodeCompact(spec, col, { seed: 0, columnIndex: 0, firstRow: 0 });
  const encodeSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const dec = mixtureCodec.decodeCompact(spec, enc);
  const decodeSeconds = (performance.now() - t) / 1000;
  let notExact = 0;
  let clipped = 0;
  let literals = 0;
  const alpha = enc[0]!.values as Float64Array;
  const mode = enc[1]!.values as Int32Array;
  for (let i = 0; i < x.length; i++) {
    if (!Object.is(dec.values[i], x[i])) notExact++;
    if (mode[i] === MODE_LITERAL) literals++;
    if (mode[i] === MODE_LITERAL || Math.abs(alpha[i]!) > CLIP) clipped++;
  }
  return {
    data,
    rows: x.length,
    encoder: "modenorm (compact layout; GAN layout for 'clipped')",
    validModes: spec.modes.length,
    fitSeconds,
    encodeRowsPerSec: x.length / encodeSeconds,
    decodeRowsPerSec: x.length / decodeSeconds,
    failedRoundTrip: notExact,
    clipped,
    literals,
    meanLogLikKeptModes: modesLogLikelihood(spec.modes, x),
    peakRssMB: peakRssMB(),
  };
}

function peer(data: string, x: Float64Array, args: string[]) {
  const p = runPeer(args);
  const modes = (p.valid_modes as ModeSpec[]).map((m) => ({
    weight: m.weight,
    mean: m.mean,
    std: m.std,
  }));
  const wsum = modes.reduce((s, m) => s + m.weight, 0);
  for (const m of modes) m.weight /= wsum;
  return {
    data,
    rows: x.length,
    encoder: `peer scikit-learn ${(p.versions as { sklearn: string }).sklearn} + numpy`,
    validModes: modes.length,
    fitSeconds: p.fit_s as number,
    encodeRowsPerSec: p.transform_rows_per_s as number,
    decodeRowsPerSec: p.inverse_rows_per_s as number,
    failedRoundTrip: p["n_rel_err_gt_1e-9"] as number,
    clipped: p.n_clipped as number,
    meanLogLikKeptModes: modesLogLikelihood(modes, x),
    peakRssMB: p.peak_rss_mb as number,
  };
}

const sets: { name: string; x: Float64Array; peerArgs: string[] }[] = [];
const creditCsv = join(ROOT, "..", "shared", "data", "creditcard_amount.csv");
if (existsSync(creditCsv)) {
  const lines = readFileSync(creditCsv, "utf8").trim().split("\n").slice(1);
  const x = Float64Array.from(lines, (l) => Number(l.split(",")[1]));
  // The peer reads CSV through pandas, which Debian's scikit-learn does not bring: hand it the
  // same values as raw float64.
  const f64 = join(dir, "credit-amount.f64");
  writeFileSync(f64, new Uint8Array(x.buffer));
  sets.push({ name: "credit Amount", x, peerArgs: ["--input", f64] });
} else {
  process.stderr.write("credit data absent (../shared/data); skipping it\n");
}
const synFile = join(dir, `synthetic-${syntheticRows}.f64`);
let syn: Float64Array;
if (usePeer) {
  if (!existsSync(synFile))
    runPeer(["--gen-synthetic", synFile, "--gen-rows", String(syntheticRows), "--seed", "7"]);
  syn = readF64(synFile);
} else {
  syn = generateMultimodal(syntheticRows, 7);
  writeFileSync(synFile, new Uint8Array(syn.buffer));
}
sets.push({
  name: "synthetic + 0.1% outliers",
  x: syn,
  peerArgs: ["--input", synFile, "--rows", String(syntheticRows)],
});

for (const s of sets) {
  const o = ours(s.name, s.x);
  const p = usePeer ? peer(s.name, s.x, s.peerArgs) : null;
  if (p) emit({ bench: "encode", ...p, machine: machine() });
  emit({
    bench: "encode",
    ...o,
    fitSpeedup: p ? p.fitSeconds / o.fitSeconds : null,
    encodeSpeedup: p ? o.encodeRowsPerSec / p.encodeRowsPerSec : null,
    meanLogLikMinusPeer: p ? o.meanLogLikKeptModes - p.meanLogLikKeptModes : null,
    machine: machine(),
  });
}
