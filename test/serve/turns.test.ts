/**
 * The service's turns: requests' work continues in arrival order, one per turn of the event loop,
 * so that the loop polls (accepts connections, reads sockets) between any two.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Turns } from "../../src/serve/turns.js";

describe("Turns", () => {
  it("lets callers go on in the order they came", async () => {
    const turns = new Turns();
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        await turns.next();
        order.push(i);
      }),
    );
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  it("lets one caller go per turn: the loop turns between two callers' work", async () => {
    const turns = new Turns();
    // Counts the loop's turns: an immediate that queues itself runs once per turn.
    let turn = 0;
    let ticking = true;
    const tick = () => {
      turn++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const seen: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        await turns.next();
        seen.push(turn);
      }),
    );
    ticking = false;
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, `turns ${seen}`);
  });

  it("puts a caller that comes while others wait after them, and starts again when empty", async () => {
    const turns = new Turns();
    const order: string[] = [];
    const first = turns.next().then(() => {
      order.push("a");
      // Comes while b waits: goes after b.
      return turns.next().then(() => order.push("c"));
    });
    const second = turns.next().then(() => order.push("b"));
    await Promise.all([first, second]);
    assert.deepEqual(order, ["a", "b", "c"]);
    // The queue is empty now; a new caller is let go all the same.
    await turns.next();
  });

  it("keeps the order across the queue's compaction (more than 4,096 callers at once)", async () => {
    const turns = new Turns();
    const order: number[] = [];
    const n = 9_000;
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await turns.next();
        order.push(i);
      }),
    );
    assert.equal(order.length, n);
    for (let i = 0; i < n; i++) assert.equal(order[i], i);
  });
});
