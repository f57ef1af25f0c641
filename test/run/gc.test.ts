/** collectGarbage runs a full collection even when Node was started without --expose-gc. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { collectGarbage } from "../../src/run/gc.js";

test("an object nothing refers to is collected (its finalizer runs)", async () => {
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined", "run without --expose-gc");
  let finalized = 0;
  const registry = new FinalizationRegistry(() => {
    finalized++;
  });
  (() => {
    // A shared buffer, as the stream runners drop them: V8 does not collect because of it.
    registry.register(new SharedArrayBuffer(1 << 20), "block");
  })();
  for (let i = 0; i < 20 && finalized === 0; i++) {
    collectGarbage();
    await tick();
  }
  assert.equal(finalized, 1);
});
