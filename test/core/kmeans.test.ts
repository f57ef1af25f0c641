/** k-means++ seeding and Lloyd's algorithm. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InvalidInputError } from "../../src/core/errors.js";
import { kmeans, kmeansPlusPlus } from "../../src/core/kmeans.js";
import { Random } from "../../src/core/rng.js";

/** n points around each centre (row-major, d wide) with the given spread; returns X and truth. */
function blobs(
  centres: number[][],
  n: number,
  spread: number,
  seed: number,
): { X: Float64Array; truth: Int32Array; d: number } {
  const d = centres[0]!.length;
  const rng = new Random(seed);
  const X = new Float64Array(centres.length * n * d);
  const truth = new Int32Array(centres.length * n);
  let row = 0;
  for (let c = 0; c < centres.length; c++) {
    for (let i = 0; i < n; i++, row++) {
      truth[row] = c;
      for (let t = 0; t < d; t++) X[row * d + t] = centres[c]![t]! + spread * rng.normal();
    }
  }
  return { X, truth, d };
}

/** Whether `labels` equal `truth` up to a relabelling of clusters. */
function samePartition(labels: Int32Array, truth: Int32Array): boolean {
  const map = new Map<number, number>();
  const back = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const a = labels[i]!;
    const b = truth[i]!;
    if ((map.has(a) && map.get(a) !== b) || (back.has(b) && back.get(b) !== a)) return false;
    map.set(a, b);
    back.set(b, a);
  }
  return true;
}

function inertiaOf(X: Float64Array, d: number, centers: Float64Array, labels: Int32Array): number {
  let s = 0;
  for (let i = 0; i < labels.length; i++) {
    for (let t = 0; t < d; t++) s += (X[i * d + t]! - centers[labels[i]! * d + t]!) ** 2;
  }
  return s;
}

describe("kmeans", () => {
  test("kmeans recovers well-separated 2-D clusters (labels up to permutation)", () => {
    const centres = [
      [0, 0],
      [10, 0],
      [0, 10],
      [10, 10],
    ];
    const { X, truth, d } = blobs(centres, 100, 0.5, 1);
    const r = kmeans(X, truth.length, d, 4, { rng: new Random(0) });
    assert.ok(samePartition(r.labels, truth));
    for (let c = 0; c < 4; c++) {
      const found = centres.some(
        (m) => Math.hypot(r.centers[c * 2]! - m[0]!, r.centers[c * 2 + 1]! - m[1]!) < 0.2,
      );
      assert.ok(found, `centre ${c} at (${r.centers[c * 2]}, ${r.centers[c * 2 + 1]})`);
    }
    assert.ok(Math.abs(r.inertia - inertiaOf(X, d, r.centers, r.labels)) <= 1e-9 * r.inertia);
  });

  test("kmeans recovers 1-D clusters on 100k rows in a few iterations", () => {
    const { X, truth } = blobs([[-20], [0], [15], [40], [90]], 20_000, 1, 2);
    const r = kmeans(X, truth.length, 1, 5, { rng: new Random(3) });
    assert.ok(samePartition(r.labels, truth));
    assert.ok(r.nIter < 20, `nIter ${r.nIter}`);
  });

  test("kmeans inertia never increases with more iterations from the same start", () => {
    // Overlapping clusters so that Lloyd needs many iterations.
    const rng = new Random(5);
    const n = 2000;
    const X = new Float64Array(n * 2);
    for (let i = 0; i < X.length; i++) X[i] = rng.random();
    const init = kmeansPlusPlus(X, n, 2, 8, new Random(6)).centers;
    let previous = Infinity;
    let reachedEnd = false;
    for (let maxIter = 1; maxIter <= 60; maxIter++) {
      const r = kmeans(X, n, 2, 8, { rng: new Random(0), init, maxIter, tol: 0 });
      assert.ok(
        r.inertia <= previous * (1 + 1e-12),
        `maxIter ${maxIter}: ${r.inertia} > ${previous}`,
      );
      previous = r.inertia;
      if (r.nIter < maxIter) reachedEnd = true;
    }
    assert.ok(previous < Infinity);
    assert.ok(reachedEnd || previous > 0);
  });

  test("kmeans with integer sample weights equals repeating the rows", () => {
    const { X, d } = blobs(
      [
        [0, 0],
        [3, 1],
        [1, 4],
      ],
      20,
      1.2,
      7,
    );
    const n = X.length / d;
    const rng = new Random(8);
    const weights = new Float64Array(n);
    for (let i = 0; i < n; i++) weights[i] = 1 + rng.integer(3);
    const repeated: number[] = [];
    const owner: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < weights[i]!; c++) {
        repeated.push(X[i * d]!, X[i * d + 1]!);
        owner.push(i);
      }
    }
    const Xr = Float64Array.from(repeated);
    const init = X.slice(0, 3 * d);
    const w = kmeans(X, n, d, 3, { rng: new Random(0), sampleWeight: weights, init });
    const r = kmeans(Xr, owner.length, d, 3, { rng: new Random(0), init });
    assert.equal(w.nIter, r.nIter);
    for (let i = 0; i < w.centers.length; i++) {
      assert.ok(Math.abs(w.centers[i]! - r.centers[i]!) <= 1e-12 * (1 + Math.abs(r.centers[i]!)));
    }
    for (let j = 0; j < owner.length; j++) assert.equal(r.labels[j], w.labels[owner[j]!]);
    assert.ok(Math.abs(w.inertia - r.inertia) <= 1e-12 * r.inertia);
  });

  test("kmeans with k == n puts every row in its own cluster with zero inertia", () => {
    const X = new Float64Array([0, 0, 1, 0, 0, 1, 5, 5, 2, 3]);
    const r = kmeans(X, 5, 2, 5, { rng: new Random(1) });
    assert.equal(new Set(r.labels).size, 5);
    assert.equal(r.inertia, 0);
  });

  test("kmeans is deterministic for a fixed seed", () => {
    const { X, truth, d } = blobs(
      [
        [0, 0, 0],
        [1, 1, 1],
      ],
      200,
      1,
      9,
    );
    const a = kmeans(X, truth.length, d, 6, { rng: new Random(11) });
    const b = kmeans(X, truth.length, d, 6, { rng: new Random(11) });
    assert.deepEqual(a.centers, b.centers);
    assert.deepEqual(a.labels, b.labels);
    assert.equal(a.inertia, b.inertia);
    assert.equal(a.nIter, b.nIter);
  });

  test("kmeans relocates an empty cluster to the farthest row", () => {
    // The third initial centre is far from every row, so its cluster starts empty.
    const X = new Float64Array([0, 0.1, 0.2, 10, 10.1, 10.2, 20, 20.5]);
    const r = kmeans(X, 8, 1, 3, { rng: new Random(0), init: new Float64Array([0.1, 10.1, 1000]) });
    assert.deepEqual(Array.from(r.labels), [0, 0, 0, 1, 1, 1, 2, 2]);
    assert.ok(Math.abs(r.centers[2]! - 20.25) < 1e-12);
  });

  test("kmeans with duplicate rows and more clusters than distinct values stays finite", () => {
    const X = new Float64Array([1, 1, 1, 1, 7, 7]);
    const r = kmeans(X, 6, 1, 3, { rng: new Random(2) });
    assert.ok(
      r.centers.every((c) => c === 1 || c === 7),
      `centres ${r.centers}`,
    );
    assert.equal(r.inertia, 0);
    for (let i = 0; i < 6; i++) assert.equal(r.centers[r.labels[i]!], X[i]);
  });

  test("kmeans labels are the nearest final centre for every row", () => {
    const { X, truth, d } = blobs(
      [
        [0, 0],
        [2, 2],
      ],
      150,
      1.5,
      12,
    );
    const r = kmeans(X, truth.length, d, 5, { rng: new Random(4), maxIter: 3 });
    for (let i = 0; i < truth.length; i++) {
      const own =
        (X[i * 2]! - r.centers[r.labels[i]! * 2]!) ** 2 +
        (X[i * 2 + 1]! - r.centers[r.labels[i]! * 2 + 1]!) ** 2;
      for (let c = 0; c < 5; c++) {
        const other =
          (X[i * 2]! - r.centers[c * 2]!) ** 2 + (X[i * 2 + 1]! - r.centers[c * 2 + 1]!) ** 2;
        assert.ok(own <= other);
      }
    }
  });

  test("kmeans rejects invalid arguments with InvalidInputError and a clear message", () => {
    const X = new Float64Array([1, 2, 3, 4]);
    const rng = new Random(0);
    const bad: [() => unknown, RegExp][] = [
      [() => kmeans(X, 4, 1, 5, { rng }), /k=5 clusters need at least k rows, but X has n=4/],
      [() => kmeans(X, 4, 1, 0, { rng }), /k must be an integer >= 1/],
      [() => kmeans(X, 3, 1, 2, { rng }), /X has length 4 but n·d = 3·1 = 3/],
      [
        () => kmeans(new Float64Array([1, Number.NaN]), 2, 1, 1, { rng }),
        /X\[row 1, col 0\] is NaN/,
      ],
      [
        () => kmeans(X, 4, 1, 2, { rng, sampleWeight: new Float64Array([1, -1, 1, 1]) }),
        /sampleWeight\[1\] is -1/,
      ],
      [
        () => kmeans(X, 4, 1, 2, { rng, sampleWeight: new Float64Array(3) }),
        /sampleWeight has length 3/,
      ],
      [() => kmeans(X, 4, 1, 2, { rng, sampleWeight: new Float64Array(4) }), /positive finite sum/],
      [() => kmeans(X, 4, 1, 2, { rng, maxIter: 0 }), /maxIter must be an integer >= 1/],
      [() => kmeans(X, 4, 1, 2, { rng, tol: -1 }), /tol must be finite and >= 0/],
      [() => kmeans(X, 4, 1, 2, { rng, init: new Float64Array(3) }), /init has length 3 but k·d/],
      [() => kmeansPlusPlus(X, 4, 1, 7, rng), /kmeansPlusPlus: k=7 clusters need at least k rows/],
    ];
    for (const [call, message] of bad) {
      assert.throws(
        call,
        (e: unknown) => e instanceof InvalidInputError && message.test(e.message),
      );
    }
  });
});

describe("kmeansPlusPlus", () => {
  test("kmeansPlusPlus picks distinct rows and returns them as centres", () => {
    const { X, d } = blobs(
      [
        [0, 0],
        [5, 5],
      ],
      50,
      1,
      13,
    );
    const n = X.length / d;
    const { centers, indices } = kmeansPlusPlus(X, n, d, 10, new Random(14));
    assert.equal(new Set(indices).size, 10);
    for (let c = 0; c < 10; c++) {
      assert.equal(centers[c * d], X[indices[c]! * d]);
      assert.equal(centers[c * d + 1], X[indices[c]! * d + 1]);
    }
  });

  test("kmeansPlusPlus seeds one centre per well-separated cluster", () => {
    const { X, truth, d } = blobs([[0], [100], [200], [300]], 50, 1, 15);
    const { indices } = kmeansPlusPlus(X, truth.length, d, 4, new Random(16));
    assert.equal(new Set(Array.from(indices, (i) => truth[i])).size, 4);
  });

  test("kmeansPlusPlus never picks a zero-weight row while positive-weight rows remain", () => {
    const rng = new Random(17);
    const n = 200;
    const X = new Float64Array(n);
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      X[i] = rng.normal();
      w[i] = i % 2 === 0 ? 0 : 1 + rng.random();
    }
    for (let seed = 0; seed < 20; seed++) {
      const { indices } = kmeansPlusPlus(X, n, 1, 10, new Random(seed), w);
      for (const i of indices) assert.ok(w[i]! > 0, `picked zero-weight row ${i}`);
    }
  });

  test("kmeansPlusPlus is deterministic for a fixed seed", () => {
    const { X, truth, d } = blobs([[0, 1]], 300, 1, 18);
    const a = kmeansPlusPlus(X, truth.length, d, 7, new Random(19));
    const b = kmeansPlusPlus(X, truth.length, d, 7, new Random(19));
    assert.deepEqual(a.indices, b.indices);
  });
});
