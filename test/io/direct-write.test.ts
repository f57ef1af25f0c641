/**
 * Sequential files written past the page cache: the bytes on disk are exactly the bytes written,
 * whatever the sizes of the pieces and of the file (empty, below one block, around the staging
 * size), with O_DIRECT and without.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Random } from "../../src/core/rng.js";
import { createSequentialFile, DIRECT_ALIGN } from "../../src/io/direct-write.js";

const dir = mkdtempSync(join(tmpdir(), "modenorm-direct-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const STAGE = 4 << 20;
const SIZES = [0, 1, 4095, DIRECT_ALIGN, 4097, STAGE - 1, STAGE, STAGE + 1, 2 * STAGE + 12345];

function bytesOf(n: number, seed: number): Uint8Array {
  const rng = new Random(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rng.random() * 256);
  return b;
}

describe("createSequentialFile", () => {
  for (const direct of [true, false]) {
    it(`${direct ? "O_DIRECT where possible" : "buffered"}: the file holds exactly the bytes written`, async () => {
      const rng = new Random(7);
      for (const [k, size] of SIZES.entries()) {
        const data = bytesOf(size, k);
        const path = join(dir, `f-${direct}-${k}.bin`);
        const out = await createSequentialFile(path, { direct });
        if (!direct) assert.equal(out.direct, false);
        // Pieces of random sizes, some above the staging size.
        for (let at = 0; at < size; ) {
          const n = Math.min(
            size - at,
            1 + Math.floor(rng.random() * (rng.random() < 0.1 ? 2 * STAGE : 70000)),
          );
          await out.write(data.subarray(at, at + n));
          at += n;
        }
        await out.close();
        await out.close(); // a second close does nothing
        const back = readFileSync(path);
        assert.equal(back.length, size, `size ${size}`);
        assert.ok(Buffer.from(data).equals(back), `content of ${size} bytes`);
      }
    });
  }

  it("writes from shared memory too", async () => {
    const shared = new Uint8Array(new SharedArrayBuffer(100000));
    shared.set(bytesOf(100000, 3));
    const path = join(dir, "shared.bin");
    const out = await createSequentialFile(path);
    await out.write(shared.subarray(5));
    await out.close();
    assert.ok(Buffer.from(shared.subarray(5)).equals(readFileSync(path)));
  });

  it("refuses a path that exists, leaving it as it was", async () => {
    const path = join(dir, "exists.bin");
    writeFileSync(path, "keep");
    await assert.rejects(
      createSequentialFile(path),
      (e: NodeJS.ErrnoException) => e.code === "EEXIST",
    );
    assert.equal(readFileSync(path, "utf8"), "keep");
  });
});
