/**
 * The CSV reader's fast path (`csv-scan.ts`, WebAssembly) against the JavaScript reader it
 * stands in for: the same ranges read with the fast path on and off give the same values (bit
 * for bit), nulls, end positions and errors, on numbers of every shape and on records it must
 * leave to the JavaScript reader; and type inference from the first rows gives the same types.
 * Each test also checks that the fast path did read records, so that it cannot pass by never
 * running.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import type { ColumnType, Table } from "../../src/core/table.js";
import { type CsvRange, readCsvRange } from "../../src/io/csv-range.js";
import { fastPathRecords, setCsvFastPath } from "../../src/io/csv-scan.js";
import { openTableStream, type TableStreamOptions } from "../../src/io/index.js";
import type { ReadTableOptions } from "../../src/io/options.js";
import { resolveReadOptions } from "../../src/io/options.js";
import { sharedFile } from "../cli/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "modenorm-csv-scan-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic generator of numbers in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function digits(r: () => number, n: number, first = false): string {
  let t = "";
  for (let i = 0; i < n; i++)
    t += String(Math.floor(r() * (first && i === 0 ? 9 : 10)) + (first && i === 0 ? 1 : 0));
  return t;
}

/**
 * Number text a double keeps exactly, of many shapes: with probability `hard`, of the shapes the
 * fast path leaves to JavaScript (long mantissas, large exponents) among others.
 */
function exactNumber(r: () => number, hard: number): string {
  const sign = r() < 0.3 ? "-" : r() < 0.1 ? "+" : "";
  if (r() >= hard) {
    const m = digits(r, 1 + Math.floor(r() * 12), true);
    const point = Math.floor(r() * (m.length + 1));
    return r() < 0.1
      ? `${sign}${m}e${Math.floor(r() * 44) - 22}`
      : `${sign}${m.slice(0, point) || "0"}.${m.slice(point)}`;
  }
  const pick = r();
  if (pick < 0.1)
    return ["0", "-0", "-0.0", "0e5", "+3", ".5", "5.", "1E5", "0.000", "007", "-00.5e-3"][
      Math.floor(r() * 11)
    ]!;
  if (pick < 0.3) return sign + digits(r, 1 + Math.floor(r() * 15), true);
  if (pick < 0.55) {
    const a = Math.floor(r() * 8);
    const b = Math.floor(r() * (15 - a));
    return `${sign}${a === 0 ? "0" : digits(r, a, true)}.${digits(r, b)}`;
  }
  if (pick < 0.75) {
    const m = digits(r, 1 + Math.floor(r() * 15), true);
    const e = Math.floor(r() * 560) - 280;
    return `${sign}${m[0]}.${m.slice(1)}${r() < 0.5 ? "e" : "E"}${e < 0 ? "-" : r() < 0.5 ? "+" : ""}${Math.abs(e)}`;
  }
  if (pick < 0.9) return String((r() - 0.5) * 10 ** Math.floor(r() * 40 - 20));
  return `${sign}${digits(r, 2, true)}e${Math.floor(r() * 40) - 20}`;
}

function intNumber(r: () => number, maxDigits: number): string {
  const sign = r() < 0.4 ? "-" : r() < 0.1 ? "+" : "";
  if (r() < 0.05) return "+0";
  if (r() < 0.05) return `${sign}00${digits(r, 2, true)}`;
  return sign + digits(r, 1 + Math.floor(r() * maxDigits), true);
}

function skipField(r: () => number, i: number): string {
  const pick = r();
  if (pick < 0.1) return `"quoted, ${i}"`;
  if (pick < 0.3) return "";
  if (pick < 0.5) return `caf\u00e9 ${i}`;
  return `w${i}`;
}

/**
 * A file of `rows` records `t,x,n,k,u` (x float64, n int64, k int32, t and u text); `hard` as in
 * {@link exactNumber}, and the share of records with a quote, an odd null or an empty text field.
 */
function numbersFile(seed: number, rows: number, hard: number): string {
  const r = rng(seed);
  let s = "t,x,n,k,u\n";
  for (let i = 0; i < rows; i++) {
    const x = r() < 0.03 ? (r() < 0.5 ? "" : "NA") : exactNumber(r, hard);
    const n = r() < 0.02 ? "" : intNumber(r, r() < hard ? 18 : 15);
    const k = r() < 0.02 ? "NA" : intNumber(r, 9);
    const end = r() < 0.1 ? "\r\n" : "\n";
    const t = r() < hard ? skipField(r, i) : `w${i}`;
    s += `${t},${x},${n},${k},${r() < hard ? skipField(r, i) : ""}${i === rows - 1 && r() < 0.5 ? "" : end}`;
  }
  return s;
}

function write(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

interface RangeRead {
  start: number;
  next: number;
  rows: number;
  error: string | null;
  columns: { values: string; nulls: string }[];
}

/** Reads `[from, to)` of the file as a worker does, with the fast path on or off. */
function readRange(
  path: string,
  text: Buffer,
  from: number,
  to: number,
  types: Record<string, ColumnType>,
  options: ReadTableOptions,
  fast: boolean,
): RangeRead {
  const header = text.subarray(0, text.indexOf(10)).toString().split(",");
  const names = Object.keys(types);
  const dataStart = text.indexOf(10) + 1;
  const range: CsvRange = {
    path,
    size: text.length,
    from: Math.max(from, dataStart),
    trusted: from <= dataStart,
    to,
    fileColumns: header.length,
    selected: names.map((n) => header.indexOf(n)),
    specs: names.map((name) => ({ name, type: types[name]!, unit: "s" })),
    opts: resolveReadOptions(path, { ...options, types }),
    blockRows: 1000,
    into: null,
  };
  setCsvFastPath(fast);
  try {
    const out = readCsvRange(range);
    return {
      start: out.start,
      next: out.next,
      rows: out.rows,
      error: out.error,
      columns: names.map((_, k) => {
        let values = "";
        let nulls = "";
        for (const part of out.parts) {
          const c = part.columns[k]!;
          if (c.type === "string") continue;
          const v = c.values;
          values += Buffer.from(v.buffer, v.byteOffset, part.rows * v.BYTES_PER_ELEMENT).toString(
            "hex",
          );
          for (let i = 0; i < part.rows; i++) nulls += c.nulls?.[i] === 1 ? "1" : "0";
        }
        return { values, nulls };
      }),
    };
  } finally {
    setCsvFastPath(true);
  }
}

/** Reads the file in ranges cut at `cuts` both ways; asserts the same; returns the fast records. */
function compareRanges(
  path: string,
  types: Record<string, ColumnType>,
  cuts: readonly number[],
  options: ReadTableOptions = {},
): number {
  const text = readFileSync(path);
  const bounds = [0, ...cuts.filter((c) => c > 0 && c < text.length), text.length];
  const before = fastPathRecords();
  for (let i = 0; i + 1 < bounds.length; i++) {
    const js = readRange(path, text, bounds[i]!, bounds[i + 1]!, types, options, false);
    const fast = readRange(path, text, bounds[i]!, bounds[i + 1]!, types, options, true);
    assert.deepEqual(fast, js, `${path}: range [${bounds[i]}, ${bounds[i + 1]})`);
  }
  return fastPathRecords() - before;
}

describe("CSV fast path: the values of the JavaScript reader", () => {
  test("numbers of every shape, nulls, text to skip, CRLF, in ranges", () => {
    for (const [seed, hard] of [
      [1, 0.02],
      [2, 0.05],
      [3, 1],
    ] as const) {
      const path = write(`numbers-${seed}.csv`, numbersFile(seed, 4000, hard));
      const size = readFileSync(path).length;
      const cuts = [1, 2, 3, 5, 8].map((k) => Math.floor((size * k) / 9) + seed);
      const fast = compareRanges(path, { x: "float64", n: "int64", k: "int32" }, cuts, {
        nonNumeric: "null",
      });
      // One column selected, the others skipped; float64 only; integers read as float64.
      const x = compareRanges(path, { x: "float64" }, cuts, { nonNumeric: "null" });
      const n = compareRanges(path, { k: "float64" }, [], { nonNumeric: "null" });
      // Mostly plain files: the fast path reads most records.
      if (hard < 1) {
        for (const read of [fast, x, n])
          assert.ok(read > 2000, `the fast path read ${read} records`);
      }
    }
  });

  test("records it leaves to JavaScript, and the errors JavaScript raises", () => {
    const cases: [string, string, Record<string, ColumnType>, ReadTableOptions?][] = [
      ["inexact.csv", `a,b\n${"1.5,2\n".repeat(300)}0.10000000000000001,3\n`, { a: "float64" }],
      ["long-int.csv", `a,b\n${"1,2\n".repeat(300)}12345678901234567,3\n`, { a: "int64" }],
      ["minus-zero-int.csv", `a,b\n${"1,2\n".repeat(300)}-0,3\n`, { a: "int64" }],
      ["int32-overflow.csv", `a,b\n${"1,2\n".repeat(300)}2147483648,3\n`, { a: "int32" }],
      ["text.csv", `a,b\n${"1,2\n".repeat(300)}abc,3\n`, { a: "float64" }],
      ["spaces.csv", `a,b\n${"1,2\n".repeat(300)} 7 ,3\n\t8,4\n`, { a: "float64" }],
      ["fields.csv", `a,b\n${"1,2\n".repeat(300)}3\n4,5,6\n`, { a: "float64" }],
      ["blank.csv", `a,b\n${"1,2\n".repeat(300)}\n\n5,6\n`, { a: "float64" }],
      ["lone-cr.csv", `a,b\n${"1,2\n".repeat(300)}3,4\r5,6\n`, { a: "float64" }],
      ["quote.csv", `a,b\n${"1,2\n".repeat(300)}"3",4\n5,"x\ny"\n7,8\n`, { a: "float64" }],
      [
        "escape.csv",
        `a,b\n${"1,2\n".repeat(300)}3,x\\,y\n5,6\n`,
        { a: "float64" },
        { escapeChar: "\\" },
      ],
      [
        "specials.csv",
        `a,b\n${"1,2\n".repeat(300)}nan,1\n-Infinity,2\ninf,3\n1e400,4\n`,
        { a: "float64" },
      ],
      ["cut-sign.csv", `a,b\n${"-1,2\n".repeat(300)}-`, { a: "float64" }],
      ["exponent-end.csv", `a\n${"1\n".repeat(300)}1e`, { a: "float64" }],
      ["bad-utf8.csv", `a,b\n${"1,x\n".repeat(300)}2,\u00ff\n`, { a: "float64" }],
      [
        "number-null.csv",
        `a,b\n${"1,2\n".repeat(300)}-1,3\n`,
        { a: "float64" },
        { nullValues: ["-1"] },
      ],
    ];
    let fast = 0;
    for (const [name, text, types, options] of cases) {
      const path = write(name, text);
      const size = Buffer.byteLength(text);
      fast += compareRanges(path, types, [7, Math.floor(size / 2), size - 3], options);
    }
    const bad = Buffer.concat([
      Buffer.from(`a,b\n${"1,x\n".repeat(300)}`),
      Buffer.from([0x32, 0x2c, 0xff, 0x0a]),
    ]);
    const path = write("invalid-utf8.csv", bad);
    fast += compareRanges(path, { a: "float64" }, [100]);
    assert.ok(fast > 4000, `the fast path read ${fast} records`);
  });
});

describe("CSV fast path: 16- and 17-digit decimals", () => {
  /**
   * A double whose shortest text is long (most have 16 or 17 digits): mostly between 1e-5 and
   * 1e8 (powers of ten within ±22 for the digits, the fast path's), sometimes of any magnitude.
   */
  function fullDouble(r: () => number): number {
    const x = (r() - 0.5) * 10 ** Math.floor(r() < 0.02 ? r() * 60 - 30 : r() * 13 - 4);
    return r() < 0.05 ? Math.fround(x) : x;
  }

  test("shortest texts of doubles, with trailing zeros, exponents and 18-19 digits, in ranges", () => {
    const r = rng(11);
    let text = "x,n\n";
    for (let i = 0; i < 6000; i++) {
      const v = fullDouble(r);
      let x = String(v);
      const pick = r();
      const point = x.includes(".") ? "" : ".";
      // Trailing zeros keep the value: up to 19 digits the fast path's, beyond JavaScript's.
      if (pick < 0.05 && !x.includes("e")) x += `${point}${"0".repeat(1 + Math.floor(r() * 2))}`;
      else if (pick < 0.055 && !x.includes("e")) x += `${point}0000`;
      // The same digits with an exponent (`1.2345678901234567e+2`).
      else if (pick < 0.08) x = v.toExponential();
      // A 16- or 17-digit integer in an int64 column: left to JavaScript.
      const n = r() < 0.1 ? String(Math.floor(r() * 9e16) + 1e15) : String(Math.floor(r() * 1e6));
      text += `${x},${n}\n`;
    }
    const path = write("full-precision.csv", text);
    const size = Buffer.byteLength(text);
    const cuts = [1, 3, 5, 7].map((k) => Math.floor((size * k) / 8));
    const fast = compareRanges(path, { x: "float64" }, cuts);
    // The tokenizer reads the next 16 records after one the fast path leaves (about 2 %).
    assert.ok(fast > 3500, `the fast path read ${fast} of 6,000 records`);
    compareRanges(path, { x: "float64", n: "int64" }, cuts);
  });

  test("a last digit moved: the double it names, or the JavaScript reader's error", () => {
    const r = rng(12);
    let fast = 0;
    let kept = 0;
    for (let i = 0; i < 120; i++) {
      let t = "";
      while (t.replace(/[-.]|e.*$/g, "").replace(/^0+/, "").length < 16) t = String(fullDouble(r));
      const at = t.search(/\d(e|$)/);
      const d = Number(t[at]);
      const moved = d === 0 ? 1 : d === 9 ? 8 : d + (r() < 0.5 ? 1 : -1);
      const text = `${t.slice(0, at)}${moved}${t.slice(at + 1)}`;
      if (String(Number(text)) === text) kept++;
      const path = write(`moved-${i}.csv`, `x,y\n${"0.1,2\n".repeat(300)}${t},3\n${text},4\n`);
      fast += compareRanges(path, { x: "float64" }, []);
    }
    // Both kinds occur: texts that name another double, and texts that no double keeps.
    assert.ok(kept > 5 && kept < 115, `${kept} of 120 moved texts are a double's shortest text`);
    assert.ok(fast > 120 * 300, `the fast path read ${fast} records`);
  });
});

/** What `body` gives (or its error's message) with the fast path on or off. */
async function withFastPath(fast: boolean, body: () => Promise<unknown>): Promise<unknown> {
  setCsvFastPath(fast);
  try {
    return await body();
  } catch (err) {
    return { error: (err as Error).message };
  } finally {
    setCsvFastPath(true);
  }
}

/** The schema of a file as a stream infers it, with the fast path on or off. */
function schemaOf(path: string, options: TableStreamOptions, fast: boolean): Promise<unknown> {
  return withFastPath(fast, async () => {
    const s = await openTableStream(path, options);
    await s.close();
    return s.schema;
  });
}

describe("CSV fast path: type inference from the first rows", () => {
  test("the types the JavaScript inference gives", async () => {
    const r = rng(7);
    const ints = (n: number) =>
      Array.from({ length: n }, () => intNumber(r, 15).replace(/^[+-]?00/, "")).join("\n");
    const badUtf8 = Buffer.concat([
      Buffer.from(`a,b\n${"1,x\n".repeat(300)}`),
      Buffer.from([0x32, 0x2c, 0xff, 0x0a]),
    ]);
    const files: [string, string | Buffer, TableStreamOptions, boolean][] = [
      // name, text, options, whether the fast path reads rows of it
      ["ints.csv", `a\n${ints(3000)}\n`, {}, true],
      ["ints-then-float.csv", `a\n${ints(300)}\n2.5\n`, {}, true],
      ["float-after-block.csv", `a\n${ints(300)}\n2.5\n`, { blockRows: 100 }, true],
      ["minus-zero.csv", `a\n${ints(300)}\n-0\n`, {}, true],
      ["exponent.csv", `a,b\n${"1,x\n".repeat(300)}1e3,y\n`, { columns: ["a"] }, true],
      ["all-null.csv", `a,b\n${"NA,1\n".repeat(300)},2\n`, {}, true],
      ["nulls.csv", `a,b\n${"1,\n".repeat(300)}NA,2.5\nnull,NULL\n`, {}, true],
      ["two-columns.csv", `t,x,n\n${"w,1.5,2\n".repeat(300)}`, { columns: ["x", "n"] }, true],
      ["leading-zero.csv", `a\n${"1\n".repeat(300)}007\n`, {}, false],
      ["null.csv", `a\n${"1\n".repeat(300)}\n2\n`, {}, false],
      ["na.csv", `a,b\n${"1,2\n".repeat(300)}NA,3\n`, {}, false],
      ["text.csv", `a,b\n${"1,2\n".repeat(300)}x,3\n`, {}, false],
      ["long.csv", `a\n${"1\n".repeat(300)}12345678901234567890123\n`, {}, false],
      ["forced.csv", `a,b\n${"1,2\n".repeat(300)}3.5,4\n`, { types: { a: "int64" } }, false],
      ["forced-float.csv", `a,b\n${"1,2\n".repeat(300)}3,4\n`, { types: { a: "float64" } }, true],
      ["short.csv", "a,b\n1,2\n3.5,4", {}, true],
      ["header-only.csv", "a,b\n", {}, false],
      ["crlf.csv", `a,b\r\n${"1,2\r\n".repeat(300)}`, {}, true],
      [
        "wide-row.csv",
        `t,a\n${"x".repeat(3 << 20)},1\n${"y,2\n".repeat(300)}`,
        { columns: ["a"] },
        true,
      ],
      ["bad-utf8.csv", badUtf8, { columns: ["a"] }, true],
    ];
    for (const [name, text, options, decides] of files) {
      const path = write(`infer-${name}`, text);
      const before = fastPathRecords();
      const fast = await schemaOf(path, options, true);
      const used = fastPathRecords() > before;
      const js = await schemaOf(path, options, false);
      assert.deepEqual(fast, js, name);
      if (decides) assert.ok(used, `${name}: the fast path read its rows`);
    }
  });
});

/** Every block of a stream read by the one-thread reader (values as hex, nulls), or its error. */
function blocksOf(path: string, options: TableStreamOptions, fast: boolean): Promise<unknown> {
  return withFastPath(fast, async () => {
    const s = await openTableStream(path, options);
    const out: unknown[] = [];
    try {
      for await (const b of s.blocks()) out.push(blockSnapshot(b.firstRow, b.table));
    } finally {
      await s.close();
    }
    return out;
  });
}

function blockSnapshot(firstRow: number, t: Table): unknown {
  return {
    firstRow,
    rows: t.rows,
    columns: t.columns.map((c) => {
      if (c.type === "string") return c.values;
      const v = c.values;
      const hex = Buffer.from(v.buffer, v.byteOffset, t.rows * v.BYTES_PER_ELEMENT).toString("hex");
      const nulls = c.nulls === null ? "" : Array.from(c.nulls.subarray(0, t.rows)).join("");
      return { type: c.type, hex, nulls: nulls.includes("1") ? nulls : "" };
    }),
  };
}

describe("CSV fast path in the one-thread reader (.csv.gz, standard input)", () => {
  test("the blocks and errors of the JavaScript reader, plain and gzipped", async () => {
    const files: [string, string, TableStreamOptions][] = [
      [
        "plain",
        numbersFile(11, 5000, 0.02),
        { columns: ["x", "n", "k"], types: { x: "float64", n: "int64", k: "int32" } },
      ],
      [
        "hard",
        numbersFile(12, 3000, 1),
        { columns: ["x", "k"], types: { x: "float64", k: "float64" }, nonNumeric: "null" },
      ],
      ["inferred", `a,b\n${"1.5,2\n-3,NA\n".repeat(2000)}`, {}],
      ["error", `a,b\n${"1.5,2\n".repeat(3000)}x,2\n`, { types: { a: "float64" } }],
      ["widening", `a,b\n${"1,2\n".repeat(1500)}2.5,3\n`, {}],
    ];
    let fast = 0;
    for (const [name, text, options] of files) {
      for (const gz of [false, true]) {
        const path = write(`one-thread-${name}.csv${gz ? ".gz" : ""}`, gz ? gzipSync(text) : text);
        for (const blockRows of [1000, 4096]) {
          const opts = { ...options, blockRows };
          const js = await blocksOf(path, opts, false);
          const before = fastPathRecords();
          const got = await blocksOf(path, opts, true);
          const read = fastPathRecords() - before;
          fast += read;
          const what = `${name}${gz ? ".gz" : ""}, blocks of ${blockRows}`;
          assert.deepEqual(got, js, what);
          if (name !== "hard") assert.ok(read > 1000, `${what}: the fast path read ${read}`);
        }
      }
    }
    assert.ok(fast > 20000, `the fast path read ${fast} records`);
  });

  test("two streams read in turn, block by block, each read what it reads alone", async () => {
    // Quoted fields every 700 records: the scanner stops and resumes between blocks.
    let text = "t,x\n";
    for (let i = 0; i < 8000; i++) text += `${i % 700 === 0 ? '"q,1"' : "w"},${i}.25\n`;
    const a = write("turn-a.csv.gz", gzipSync(text));
    const b = write("turn-b.csv.gz", gzipSync(`s,u,v\n${"z,7,0.25\nz,-1,3e5\n".repeat(4000)}`));
    const optionsA = { blockRows: 500, columns: ["x"] };
    const optionsB = { blockRows: 500, columns: ["u", "v"] };
    const alone = [await blocksOf(a, optionsA, true), await blocksOf(b, optionsB, true)];
    const before = fastPathRecords();
    const sa = await openTableStream(a, optionsA);
    const sb = await openTableStream(b, optionsB);
    const ia = sa.blocks()[Symbol.asyncIterator]();
    const ib = sb.blocks()[Symbol.asyncIterator]();
    const got: unknown[][] = [[], []];
    for (let doneA = false, doneB = false; !doneA || !doneB; ) {
      if (!doneA) {
        const r = await ia.next();
        if (r.done === true) doneA = true;
        else got[0]!.push(blockSnapshot(r.value.firstRow, r.value.table));
      }
      if (!doneB) {
        const r = await ib.next();
        if (r.done === true) doneB = true;
        else got[1]!.push(blockSnapshot(r.value.firstRow, r.value.table));
      }
    }
    await sa.close();
    await sb.close();
    assert.deepEqual(got, alone);
    assert.ok(fastPathRecords() - before > 10000, "the fast path read the records");
  });
});

describe("CSV fast path on the shared data", () => {
  test("IMDb numeric columns (escapes in the text) and the credit-card file: the same blocks", async (t) => {
    const imdb = sharedFile(t, "imdb_movies.csv");
    const credit = sharedFile(t, "creditcard_amount.csv");
    if (imdb === null || credit === null) return;
    const cases: [string, TableStreamOptions][] = [
      [
        imdb,
        {
          escapeChar: "\\",
          blockRows: 2000,
          columns: ["imdbRating", "ratingCount", "duration", "year", "nrOfWins", "Action"],
        },
      ],
      [imdb, { escapeChar: "\\", blockRows: 3000, columns: ["imdbRating", "duration"] }],
      [credit, { blockRows: 10000 }],
    ];
    for (const [path, options] of cases) {
      const js = await blocksOf(path, options, false);
      const before = fastPathRecords();
      const fast = await blocksOf(path, options, true);
      assert.deepEqual(fast, js, `${path} ${JSON.stringify(options.columns ?? "all")}`);
      assert.ok(fastPathRecords() - before > 5000, `${path}: the fast path read records`);
    }
  });
});
