#!/usr/bin/env node
/**
 * Runs the peer encoder (../shared/bench/peer_gmm_encoder.py: scikit-learn's
 * BayesianGaussianMixture + numpy, run with Debian's /usr/bin/python3) on the credit-card
 * `Amount` column and keeps what the tests compare against: its kept modes and its round-trip
 * losses. Writes test/fixtures/peer-credit.json.
 *
 *   node scripts/golden/make-peer-fixtures.mjs
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const csv = join(root, "..", "shared", "data", "creditcard_amount.csv");
const lines = readFileSync(csv, "utf8").trim().split("\n").slice(1);
const x = Float64Array.from(lines, (l) => Number(l.split(",")[1]));
const dir = mkdtempSync(join(tmpdir(), "peer-"));
const f64 = join(dir, "amount.f64");
writeFileSync(f64, new Uint8Array(x.buffer));
const r = spawnSync(
  "/usr/bin/python3",
  [join(root, "..", "shared", "bench", "peer_gmm_encoder.py"), "--input", f64],
  {
    encoding: "utf8",
  },
);
rmSync(dir, { recursive: true });
if (r.status !== 0) throw new Error(r.stderr);
const p = JSON.parse(r.stdout.trim().split("\n").pop());
const out = {
  generator: "scripts/golden/make-peer-fixtures.mjs",
  peer: "shared/bench/peer_gmm_encoder.py",
  data: "shared/data/creditcard_amount.csv, column Amount",
  versions: p.versions,
  rows: p.rows,
  seed: p.seed,
  validModes: p.valid_modes.map((m) => ({ weight: m.weight, mean: m.mean, std: m.std })),
  failedRoundTrip: p["n_rel_err_gt_1e-9"],
  clipped: p.n_clipped,
  nIter: p.n_iter,
  converged: p.converged,
};
writeFileSync(
  join(root, "test", "fixtures", "peer-credit.json"),
  `${JSON.stringify(out, null, 2)}\n`,
);
console.log(
  JSON.stringify({
    written: "test/fixtures/peer-credit.json",
    failedRoundTrip: out.failedRoundTrip,
    modes: out.validModes.length,
  }),
);
