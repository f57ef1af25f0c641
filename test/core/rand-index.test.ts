import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { InvalidInputError } from "../../src/core/errors.js";
import { adjustedRandIndex } from "../../src/core/rand-index.js";

const fixture = JSON.parse(
  readFileSync(new URL("../../../test/fixtures/rand-index.json", import.meta.url), "utf8"),
) as { cases: { name: string; a: number[]; b: number[]; ari: number }[] };

describe("adjustedRandIndex", () => {
  for (const c of fixture.cases) {
    it(`adjustedRandIndex matches scikit-learn within 1e-12: ${c.name}`, () => {
      const got = adjustedRandIndex(c.a, c.b);
      assert.ok(Math.abs(got - c.ari) <= 1e-12, `${got} against ${c.ari}`);
      assert.ok(Math.abs(adjustedRandIndex(c.b, c.a) - c.ari) <= 1e-12, "symmetric");
    });
  }

  it("adjustedRandIndex leaves out rows with a negative label and refuses unequal lengths", () => {
    assert.equal(adjustedRandIndex([0, 0, 1, 1, -1], [1, 1, 0, 0, 0]), 1);
    assert.throws(() => adjustedRandIndex([0, 1], [0]), InvalidInputError);
  });
});
