/** The bin of arrays streams reuse: what it keeps, what it ignores, what a taker gets. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArrayBin, nullMaskFor, sharedBlockBin } from "../../src/core/array-bin.js";

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

  it("a shared bin gives views of shared buffers by size class, and keeps only those", () => {
    const bin = new ArrayBin(16, { shared: true });
    const a = bin.alloc(Float64Array, 1000);
    const buffer = a.buffer as ArrayBufferLike;
    assert.ok(buffer instanceof SharedArrayBuffer);
    assert.equal(a.length, 1000);
    assert.equal(buffer.byteLength, 8192, "8,000 bytes round up to the 8 KiB class");
    a.fill(5);
    bin.put(a);
    bin.put(a);
    bin.put(new Float64Array(1024)); // ordinary memory: not kept
    bin.put(new Float64Array(new SharedArrayBuffer(8000))); // not a size class: not kept
    bin.put(new Float64Array(new SharedArrayBuffer(8192), 8, 10)); // not at the start
    assert.equal(bin.size, 1);
    // Another type and length of the same class gets the same memory, as the last owner left it.
    const b = bin.take(Int32Array, 2000);
    assert.ok(b !== null);
    assert.equal(b.buffer, a.buffer);
    assert.equal(b.length, 2000);
    assert.equal(new Float64Array(b.buffer, 0, 1)[0], 5);
    assert.equal(bin.take(Int32Array, 2000), null, "taken once");
    bin.put(b);
    const z = bin.take(Uint8Array, 5000, true);
    assert.ok(z !== null && z.length === 5000 && z.every((v) => v === 0), "zeroed on request");
    assert.equal(bin.take(Float64Array, 2000), null, "16,000 bytes are another class");
  });

  it("a null mask is shared when the values are, from this thread's shared bin", () => {
    const shared = sharedBlockBin().alloc(Float64Array, 10);
    const mask = nullMaskFor(shared, 10);
    assert.ok(mask.buffer instanceof SharedArrayBuffer);
    assert.deepEqual([...mask], new Array(10).fill(0));
    const plain = nullMaskFor(new Float64Array(10), 10);
    assert.ok(plain.buffer instanceof ArrayBuffer);
    assert.equal(plain.length, 10);
    sharedBlockBin().put(mask);
    sharedBlockBin().put(shared);
  });
  it("a shared bin serves a length from a kept buffer of its size class or the next one up", () => {
    const bin = new ArrayBin(16, { shared: true });
    const big = bin.alloc(Float64Array, 100_000); // 800,000 bytes: the 1 MiB class
    bin.put(big);
    const half = bin.take(Float64Array, 40_000); // 320,000 bytes: the 512 KiB class, one down
    assert.ok(half !== null);
    assert.equal(half.buffer, big.buffer);
    assert.equal(half.length, 40_000);
    bin.put(half);
    assert.equal(bin.take(Float64Array, 10_000), null, "two classes down: not served");
  });
});
