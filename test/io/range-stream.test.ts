/**
 * A run of rows of a multi-part input (`openRangeStream`) is those rows of the whole input, in
 * the whole input's blocks: Parquet parts read directly and through DuckDB (row groups outside
 * the range skipped), CSV parts (read from their start), ranges starting inside a part, across
 * parts, over an empty part, and at the very end.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { demoPart } from "../../src/cli/pipeline.js";
import { copyRows, type Table } from "../../src/core/table.js";
import { concatTables } from "../../src/io/columns.js";
import { openTableStream, writeTable } from "../../src/io/index.js";
import { openRangeStream } from "../../src/io/range-stream.js";
import type { TableBlock } from "../../src/io/stream.js";
import { assertSameTable } from "../run/conformance-cases.js";

const SIZES = [5000, 0, 1, 7000, 3000];

/** The table with an explicit null mask on every numeric column (absent means none missing). */
function withMasks(t: Table): Table {
  return {
    rows: t.rows,
    columns: t.columns.map((c) =>
      c.type === "string" || c.nulls !== null ? c : { ...c, nulls: new Uint8Array(t.rows) },
    ) as Table["columns"],
  };
}
const BLOCK = 1000;
const TYPES = { value: "float64", amount: "float64", channel: "string" } as const;

describe("row ranges of multi-part inputs", () => {
  let root: string;
  const whole: Record<string, Table> = {};
  const files: Record<string, string[]> = {};

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "modenorm-range-"));
    const kinds = [
      ["fixed", "parquet", {}],
      ["duckdb", "parquet", { compression: "zstd" as const }],
      ["csv", "csv", {}],
    ] as const;
    for (const [name, ext, opts] of kinds) {
      mkdirSync(join(root, name));
      files[name] = [];
      for (const [p, n] of SIZES.entries()) {
        const f = join(root, name, `part-${p}.${ext}`);
        await writeTable(f, demoPart(2, p, n), opts);
        files[name]!.push(f);
      }
      const s = await openTableStream(files[name]!, { types: TYPES, blockRows: BLOCK });
      const blocks: Table[] = [];
      for await (const b of s.blocks()) blocks.push(b.table);
      await s.close();
      whole[name] = concatTables(
        blocks,
        blocks.reduce((a, t) => a + t.rows, 0),
      );
    }
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  /** Part index and rows before the range in it, as a coordinator finds them. */
  function place(first: number): { p: number; skip: number } {
    let at = 0;
    for (let p = 0; p < SIZES.length; p++) {
      if (first < at + SIZES[p]! || p === SIZES.length - 1) return { p, skip: first - at };
      at += SIZES[p]!;
    }
    throw new Error("unreachable");
  }

  for (const name of ["fixed", "duckdb", "csv"]) {
    it(`${name}: every range gives the whole input's rows and blocks`, async () => {
      const total = SIZES.reduce((a, b) => a + b, 0);
      const ranges: [number, number][] = [
        [0, total],
        [2000, 3000],
        [4000, 2000],
        [5000, 1],
        [6000, 7000],
        [14000, 1001],
        [total - 1, 1],
        [3000, 9001],
      ];
      for (const [first, rows] of ranges) {
        const { p, skip } = place(first);
        const stream = await openRangeStream(
          { files: files[name]!.slice(p), skip, rows, firstRow: first },
          { types: TYPES, blockRows: BLOCK },
        );
        const got: TableBlock[] = [];
        for await (const b of stream.blocks()) got.push(b);
        await stream.close();
        const what = `${name} rows ${first}+${rows}`;
        assert.deepEqual(
          got.map((b) => [b.firstRow, b.table.rows]),
          Array.from({ length: Math.ceil(rows / BLOCK) }, (_, k) => [
            first + k * BLOCK,
            Math.min(BLOCK, rows - k * BLOCK),
          ]),
          `${what}: blocks`,
        );
        const table = concatTables(
          got.map((b) => b.table),
          rows,
        );
        assertSameTable(
          withMasks(table),
          withMasks(copyRows(whole[name]!.columns, first, first + rows)),
          what,
        );
      }
    });
  }

  it("parts that end before the range does are named", async () => {
    const stream = await openRangeStream(
      { files: files.csv!.slice(3), skip: 0, rows: 20_000, firstRow: 5001 },
      { types: TYPES, blockRows: BLOCK },
    );
    await assert.rejects(async () => {
      for await (const _ of stream.blocks());
    }, /ended 10000 row\(s\) before the range/);
    await stream.close();
  });
});
