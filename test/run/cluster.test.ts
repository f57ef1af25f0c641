/**
 * Clustering through the run layer: blobs with known clusters are found (adjusted Rand index
 * against the truth), the model is bit-identical for any thread count and equal to the
 * estimator's in-memory fit, the model file round-trips, and missing values are refused or
 * skipped as asked.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { BayesianGaussianMixture } from "../../src/core/bayesian-gaussian-mixture.js";
import type { CovarianceType } from "../../src/core/covariance.js";
import { InvalidInputError } from "../../src/core/errors.js";
import { GaussianMixture } from "../../src/core/gaussian-mixture.js";
import { adjustedRandIndex } from "../../src/core/rand-index.js";
import { generateBlobs } from "../../src/core/synthetic.js";
import type { Table } from "../../src/core/table.js";
import {
  assignRows,
  clusterModelFromJson,
  clusterModelToJson,
  standardizeRows,
} from "../../src/encode/cluster-model.js";
import type { TableStream } from "../../src/io/stream.js";
import {
  assignmentBlock,
  type ClusterOptions,
  clusterFit,
  localClusterData,
} from "../../src/run/cluster.js";
import {
  type ClusterRows,
  type MissingPolicy,
  readClusterRows,
} from "../../src/run/cluster-rows.js";
import { WorkerPool } from "../../src/run/pool.js";

const COLS = ["a", "b", "c"];

/** A table stream over in-memory blocks of `blockRows` rows. */
function streamOf(t: Table, blockRows: number): TableStream {
  return {
    schema: t.columns.map((c) => ({ name: c.name, type: c.type })),
    files: ["memory"],
    totalRows: t.rows,
    async *blocks() {
      for (let s = 0; s < t.rows; s += blockRows) {
        const e = Math.min(t.rows, s + blockRows);
        yield {
          firstRow: s,
          table: {
            rows: e - s,
            columns: t.columns.map((c) =>
              c.type === "string"
                ? { ...c, values: c.values.slice(s, e) }
                : {
                    ...c,
                    values: c.values.slice(s, e),
                    nulls: c.nulls === null ? null : c.nulls.slice(s, e),
                  },
            ) as Table["columns"],
          },
        };
      }
    },
    close: async () => undefined,
  } as TableStream;
}

function blobTable(n: number, seed: number): { table: Table; truth: Int32Array } {
  const b = generateBlobs(n, 3, 4, seed, [0.6, 1, 1.4, 0.8]);
  const columns = COLS.map((name, j) => ({
    name,
    type: "float64" as const,
    values: Float64Array.from({ length: n }, (_, i) => b.data[i * 3 + j]!),
    nulls: null,
  }));
  return { table: { rows: n, columns }, truth: b.labels };
}

const pools = new Map<number, WorkerPool>();
function pool(threads: number): WorkerPool {
  let p = pools.get(threads);
  if (p === undefined) {
    p = new WorkerPool({ size: threads });
    pools.set(threads, p);
  }
  return p;
}
after(async () => {
  for (const p of pools.values()) await p.close();
});

/** The rows of tables read as parts, each in blocks of `blockRows`. */
function read(parts: Table[], blockRows: number, missing: "error" | "skip" = "error") {
  return readClusterRows(
    parts.map((_, i) => `part${i}`),
    async (name) => streamOf(parts[Number(name.slice(4))]!, blockRows),
    COLS,
    missing,
  );
}

async function cluster(
  t: Table,
  o: Partial<ClusterOptions> & { missing?: MissingPolicy },
  threads = 2,
  blockRows = 4096,
) {
  const { missing = "error", ...options } = o;
  const rows = await read([t], blockRows, missing);
  const model = await clusterFit(localClusterData(rows, pool(threads)), {
    columns: COLS,
    components: 4,
    ...options,
  });
  return { rows, model };
}

function labelsOf(model: Awaited<ReturnType<typeof cluster>>["model"], rows: ClusterRows) {
  const b = assignmentBlock(model, rows, 0, 0, rows.inputRows);
  return b.table.columns[0]!.values as Int32Array;
}

describe("cluster", () => {
  const { table, truth } = blobTable(20_000, 2);

  for (const type of ["full", "tied", "diag", "spherical"] as CovarianceType[]) {
    for (const bayesian of [false, true]) {
      it(`cluster finds 4 blobs (${type}${bayesian ? ", bayesian" : ""}): adjusted Rand index ≥ 0.97`, async () => {
        const { rows, model } = await cluster(table, { covarianceType: type, bayesian });
        assert.equal(model.fit.converged, true);
        const ari = adjustedRandIndex(labelsOf(model, rows), truth);
        assert.ok(ari >= 0.97, `ARI ${ari}`);
      });
    }
  }

  it("cluster gives the same model bits for 1, 2 and 3 threads and any block size read", async () => {
    const texts = new Set<string>();
    for (const [threads, blockRows] of [
      [1, 20_000],
      [2, 4096],
      [3, 777],
    ] as const) {
      const { model } = await cluster(
        table,
        { standardize: true, bayesian: true },
        threads,
        blockRows,
      );
      texts.add(clusterModelToJson(model));
    }
    assert.equal(texts.size, 1);
  });

  it("cluster over parts with skipped rows: blocks are runs of each part's input rows, the same bits however read", async () => {
    const whole = blobTable(150_000, 2).table;
    const a = whole.columns[0]!;
    if (a.type !== "float64") throw new Error("float64 expected");
    a.nulls = new Uint8Array(whole.rows);
    for (let i = 0; i < whole.rows; i += 37) a.nulls[i] = 1;
    const cut = (s: number, e: number): Table => ({
      rows: e - s,
      columns: whole.columns.map((c) =>
        c.type === "string"
          ? c
          : { ...c, values: c.values.slice(s, e), nulls: c.nulls?.slice(s, e) ?? null },
      ) as Table["columns"],
    });
    const parts = [cut(0, 70_000), cut(70_000, 150_000)];
    const texts = new Set<string>();
    for (const [threads, blockRows] of [
      [1, 70_000],
      [3, 5_000],
    ] as const) {
      const rows = await read(parts, blockRows, "skip");
      // Part 0: blocks of input rows [0, 65536), [65536, 70000); part 1: [0, 65536), [65536, 80000);
      // the starts of the four blocks and the end.
      const keptBefore = (n: number) => n - Math.ceil(n / 37);
      assert.deepEqual(
        [...rows.blockStarts],
        [0, keptBefore(65_536)].concat(
          [0, 65_536, 80_000].map((n) => {
            // Part 1's input row 0 is global row 70,000 (a multiple of 37 plus 33).
            let k = 0;
            for (let i = 0; i < n; i++) if ((70_000 + i) % 37 !== 0) k++;
            return keptBefore(70_000) + k;
          }),
        ),
      );
      const model = await clusterFit(localClusterData(rows, pool(threads)), {
        columns: COLS,
        components: 4,
        standardize: true,
      });
      assert.equal(model.fit.skippedRows, Math.ceil(150_000 / 37));
      texts.add(clusterModelToJson(model));
    }
    assert.equal(texts.size, 1);
  });

  it("cluster equals the estimator's in-memory fit bit for bit (one fitting loop)", async () => {
    for (const bayesian of [false, true]) {
      const { rows, model } = await cluster(table, { bayesian, covarianceType: "diag" });
      const opts = {
        nComponents: 4,
        covarianceType: "diag" as const,
        randomState: 0,
        tol: 1e-3,
        maxIter: 100,
      };
      const est = bayesian ? new BayesianGaussianMixture(opts) : new GaussianMixture(opts);
      est.fit(rows.X);
      assert.deepEqual(model.weights, [...est.weights]);
      assert.deepEqual(model.terms.precChol, [...est.eStepTerms().precChol]);
      assert.deepEqual(model.fit.lowerBounds, est.lowerBounds);
    }
  });

  it("cluster's model file round-trips and assigns the same labels and probabilities", async () => {
    const { rows, model } = await cluster(table, { standardize: true });
    const back = clusterModelFromJson(clusterModelToJson(model), "test");
    assert.deepEqual(back, model);
    const a = assignmentBlock(model, rows, 0, 0, rows.inputRows).table;
    // From the raw values again, standardised by the model read back.
    const raw = await read([table], 5000);
    standardizeRows(back.standardize, raw.X);
    const labels = new Int32Array(raw.X.rows);
    const resp = new Float64Array(raw.X.rows * 4);
    assignRows(back, raw.X, labels, resp);
    assert.deepEqual(labels, a.columns[0]!.values);
    for (let k = 0; k < 4; k++) {
      const p = a.columns[1 + k]!.values as Float64Array;
      for (let i = 0; i < raw.X.rows; i += 997) assert.equal(p[i], resp[i * 4 + k]);
    }
  });

  it("cluster refuses a missing value naming column and row, or skips it with an empty assignment", async () => {
    const t = blobTable(3000, 5).table;
    const b = t.columns[1]!;
    if (b.type !== "float64") throw new Error("float64 expected");
    b.nulls = new Uint8Array(t.rows);
    b.nulls[1234] = 1;
    t.columns[2]!.values[2500] = Number.NaN;
    await assert.rejects(
      read([t], 1000),
      (e: Error) =>
        e instanceof InvalidInputError &&
        /column "b": row 1234 is missing.*--missing skip/.test(e.message),
    );
    const { rows, model } = await cluster(t, { missing: "skip" });
    assert.equal(model.fit.rows, 2998);
    assert.equal(model.fit.skippedRows, 2);
    const a = assignmentBlock(model, rows, 0, 0, rows.inputRows).table;
    assert.equal(a.rows, 3000);
    const label = a.columns[0]!;
    assert.ok(label.type === "int32" && label.nulls !== null);
    assert.equal(label.nulls[1234], 1);
    assert.equal(label.nulls[2500], 1);
    assert.equal(label.nulls[0], 0);
    // Assigning in two blocks gives the same as in one.
    const first = assignmentBlock(model, rows, 0, 0, 2000);
    const second = assignmentBlock(model, rows, first.kept, 2000, 3000);
    assert.deepEqual(
      [
        ...(first.table.columns[1]!.values as Float64Array),
        ...(second.table.columns[1]!.values as Float64Array),
      ],
      [...(a.columns[1]!.values as Float64Array)],
    );
  });

  it("cluster refuses infinite and huge values and too few rows, with the fix", async () => {
    const t = blobTable(100, 3).table;
    t.columns[0]!.values[42] = Number.POSITIVE_INFINITY;
    await assert.rejects(
      read([t], 64),
      /column "a": row 42 is Infinity; clustering needs finite values/,
    );
    t.columns[0]!.values[42] = 1e200;
    await assert.rejects(read([t], 64), /row 42 is 1e\+200/);
    const small = blobTable(3, 3).table;
    await assert.rejects(cluster(small, {}), /at least 4 rows.*Lower --components/);
  });

  it("clusterModelFromJson names the field that is wrong", () => {
    assert.throws(() => clusterModelFromJson("{", "m.json"), /m\.json: not valid JSON/);
    assert.throws(
      () =>
        clusterModelFromJson(JSON.stringify({ format: "modenorm.model", version: 2 }), "m.json"),
      /m\.json: format is "modenorm\.model", not "modenorm\.clustering"/,
    );
  });
});
