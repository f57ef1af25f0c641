/** The bin of arrays streams reuse: what it keeps, what it ignores, what a taker gets. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArrayBin } from "../../src/core/array-bin.js";

describe("ArrayBin", () => {
  it("gives back a kept array of the same kind and length, once", () => {
    const bin = new ArrayBin();
    const a = new Float64Array(8).fill(3);
    bin.put(a);
    bin.put(a); // kept once however often it is put
    assert.equal(bin.size, 1);
    assert.equal(bin.take(Float64Array, 7), null, "another length");
    assert.equal(bin.take(Int32Array, 8), null, "another kind");
    const got = bin.take(Float64Array, 8);
    assert.equal(got, a);
    assert.equal(got![0], 3, "contents as the last owner left them");
    assert.equal(bin.take(Float64Array, 8), null, "taken once");
  });

  it("zeroes on request", () => {
    const bin = new ArrayBin();
    bin.put(new BigInt64Array(4).fill(7n));
    bin.put(new Uint8Array(4).fill(1));
    assert.deepEqual([...bin.take(BigInt64Array, 4, true)!], [0n, 0n, 0n, 0n]);
    assert.deepEqual([...bin.take(Uint8Array, 4, true)!], [0, 0, 0, 0]);
  });

  it("ignores views into larger buffers, shared memory, detached buffers and null", () => {
    const bin = new ArrayBin();
    bin.put(new Float64Array(new ArrayBuffer(64), 8, 4));
    bin.put(new Float64Array(new SharedArrayBuffer(32)));
    const detached = new Float64Array(4);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    bin.put(detached);
    bin.put(null);
    bin.put(undefined);
    assert.equal(bin.size, 0);
  });

  it("clear drops what it kept and keeps nothing until open", () => {
    const bin = new ArrayBin();
    bin.put(new Float64Array(2));
    bin.clear();
    assert.equal(bin.size, 0);
    bin.put(new Float64Array(2));
    assert.equal(bin.size, 0);
    bin.open();
    bin.put(new Float64Array(2));
    assert.equal(bin.size, 1);
  });

  it("keeps at most `limit` arrays of a kind and length, and puts tables' columns", () => {
    const bin = new ArrayBin(2);
    for (let i = 0; i < 5; i++) bin.put(new Int32Array(3));
    assert.equal(bin.size, 2);
    bin.putTable({
      rows: 2,
      columns: [
        { name: "x", type: "float64", values: new Float64Array(2), nulls: new Uint8Array(2) },
        { name: "s", type: "string", values: ["a", null] },
      ],
    });
    assert.equal(bin.size, 4);
    assert.ok(bin.take(Uint8Array, 2) !== null);
  });
});
