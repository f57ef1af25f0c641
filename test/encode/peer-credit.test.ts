/**
 * Against the peer encoder (scikit-learn + numpy) on the real credit-card `Amount` column. The
 * peer's kept modes and losses are in test/fixtures/peer-credit.json, written by
 * scripts/golden/make-peer-fixtures.mjs with Debian's scikit-learn 1.2.1.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { Column } from "../../src/core/table.js";
import { evaluateTable } from "../../src/encode/evaluate.js";
import { fitMixtureColumn, modesLogLikelihood } from "../../src/encode/mixture-column.js";
import type { ModeSpec } from "../../src/encode/spec.js";
import { fitTable } from "../../src/encode/table-codec.js";

const CSV = new URL("../../../../shared/data/creditcard_amount.csv", import.meta.url);
const peer = JSON.parse(
  readFileSync(new URL("../../../test/fixtures/peer-credit.json", import.meta.url), "utf8"),
) as { validModes: ModeSpec[]; failedRoundTrip: number; clipped: number; rows: number };

function amount(): Float64Array | null {
  if (!existsSync(CSV)) return null;
  const lines = readFileSync(CSV, "utf8").trim().split("\n").slice(1);
  return Float64Array.from(lines, (l) => Number(l.split(",")[1]));
}

describe("against the peer on the credit-card Amount column", () => {
  const x = amount();

  it("loses no value where the peer loses 0.11 %, and clips fewer in the GAN layout", (t) => {
    if (x === null) return t.skip("../shared/data/creditcard_amount.csv is absent");
    const col: Column = { name: "Amount", type: "float64", values: x, nulls: null };
    const table = { rows: x.length, columns: [col] };
    const ev = evaluateTable(fitTable(table), table).columns[0]!;
    assert.equal(peer.rows, x.length);
    assert.equal(ev.compact.exact, x.length, "every value back bit for bit");
    assert.ok(peer.failedRoundTrip > 0.001 * x.length, `the peer lost ${peer.failedRoundTrip}`);
    assert.ok(ev.clipped < peer.clipped, `clipped ${ev.clipped} vs the peer's ${peer.clipped}`);
  });

  it("fits modes whose mean log-likelihood is at least the peer's", (t) => {
    if (x === null) return t.skip("../shared/data/creditcard_amount.csv is absent");
    const spec = fitMixtureColumn(
      { name: "Amount", type: "float64", values: x, nulls: null },
      "continuous",
    );
    const w = peer.validModes.reduce((s, m) => s + m.weight, 0);
    const peerModes = peer.validModes.map((m) => ({ ...m, weight: m.weight / w }));
    const ours = modesLogLikelihood(spec.modes, x);
    const theirs = modesLogLikelihood(peerModes, x);
    assert.ok(ours >= theirs, `ours ${ours} vs peer ${theirs}`);
  });
});
