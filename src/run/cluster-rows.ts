/**
 * The rows of a clustering: the chosen numeric columns of each part read into a matrix of its
 * kept rows, with its E-step blocks — runs of {@link CLUSTER_BLOCK_ROWS} input rows of one part,
 * so that skipped rows and how parts are read or shared out do not move them. Used where rows
 * are held: this process (`localClusterData`) and queue workers.
 */
import { concatInto } from "../core/array-bin.js";
import { InvalidInputError } from "../core/errors.js";
import { MAX_ABS_VALUE, type Matrix } from "../core/matrix.js";
import { type Column, isNull, numericValue, type Table } from "../core/table.js";
import { BLOCK_ROWS } from "../core/terms.js";
import type { TableStream } from "../io/stream.js";

/** What to do with a row missing a value (null or NaN) in a chosen column. */
export type MissingPolicy = "error" | "skip";

/** One part's chosen columns, its E-step blocks and which rows it skipped. */
export interface PartRows {
  /** The kept rows, row-major, d values each, as read (not standardised); in shared memory. */
  data: Float64Array;
  kept: number;
  inputRows: number;
  /**
   * The part's E-step blocks: block b holds its input rows [b·B, (b+1)·B) (B =
   * {@link CLUSTER_BLOCK_ROWS}) that were kept, i.e. kept rows [starts[b], starts[b + 1]); in
   * shared memory.
   */
  starts: Float64Array;
  /** 1 for each input row skipped for a missing value; null when none was. */
  skipped: Uint8Array | null;
}

/**
 * Input rows per E-step block. Blocks are runs of input rows of one part, so they do not depend
 * on how parts are read or shared out, or on which rows a missing value left out.
 */
export const CLUSTER_BLOCK_ROWS = BLOCK_ROWS;

function describe(v: number): string {
  return Number.isNaN(v) ? "NaN" : String(v);
}

/**
 * The chosen columns of one table's rows: a matrix of its kept rows (row-major) and which rows
 * were skipped for a missing value (null when none was). `firstRow` is the global index of its
 * first row (for messages).
 * @throws InvalidInputError as {@link readPartRows}.
 */
export function tableRows(
  table: Table,
  columns: readonly string[],
  missing: MissingPolicy,
  firstRow = 0,
): { X: Matrix; skipped: Uint8Array | null } {
  const d = columns.length;
  const cols = columns.map((name) => columnOf(table, name));
  const data = new Float64Array(table.rows * d);
  const skip = new Uint8Array(table.rows);
  let any = false;
  let n = 0;
  for (let i = 0; i < table.rows; i++) {
    let absent = -1;
    for (let j = 0; j < d; j++) {
      const c = cols[j]!;
      const v = isNull(c, i) ? Number.NaN : numericValue(c, i);
      if (Number.isNaN(v)) {
        absent = j;
        break;
      }
      if (!(Math.abs(v) <= MAX_ABS_VALUE)) {
        throw new InvalidInputError(
          `column "${c.name}": row ${firstRow + i} is ${describe(v)}; clustering needs finite values within ±${MAX_ABS_VALUE}. Filter or rescale such rows first.`,
        );
      }
      data[n * d + j] = v;
    }
    if (absent >= 0) {
      if (missing === "error") {
        throw new InvalidInputError(
          `column "${columns[absent]}": row ${firstRow + i} is missing (null or NaN). Pass --missing skip to leave such rows out of the fit (their assignment is then empty), or fill them first.`,
        );
      }
      skip[i] = 1;
      any = true;
      continue;
    }
    n++;
  }
  return { X: { data: data.subarray(0, n * d), rows: n, cols: d }, skipped: any ? skip : null };
}

/**
 * Reads the chosen columns of one part (one stream) into a matrix of its kept rows.
 * `firstRow` is the global index of the part's first row (for messages).
 * @throws InvalidInputError naming the column (and, for values, the row and value) for a text
 *   column, a missing value (unless skipped), an infinite value or one beyond ±1e100.
 */
export async function readPartRows(
  stream: TableStream,
  columns: readonly string[],
  missing: MissingPolicy,
  firstRow = 0,
): Promise<PartRows> {
  const d = columns.length;
  const parts: Float64Array[] = [];
  const skippedParts: Uint8Array[] = [];
  const starts: number[] = [];
  let kept = 0;
  let inputRows = 0;
  let anySkipped = false;
  for await (const { table } of stream.blocks()) {
    const r = tableRows(table, columns, missing, firstRow + inputRows);
    // A block starts at every multiple of the block size in input rows: its kept rows before.
    let k = kept;
    for (let i = 0; i < table.rows; i++) {
      if ((inputRows + i) % CLUSTER_BLOCK_ROWS === 0) starts.push(k);
      if (r.skipped === null || r.skipped[i] === 0) k++;
    }
    parts.push(r.X.data);
    skippedParts.push(r.skipped ?? new Uint8Array(table.rows));
    anySkipped ||= r.skipped !== null;
    kept += r.X.rows;
    inputRows += table.rows;
  }
  starts.push(kept);
  return {
    data: concatInto(parts, sharedFloat64(kept * d)),
    kept,
    inputRows,
    starts: concatInto([Float64Array.from(starts)], sharedFloat64(starts.length)),
    skipped: anySkipped ? concatInto(skippedParts, new Uint8Array(inputRows)) : null,
  };
}

/** A Float64Array of `n` zeros in shared memory (for the pool's threads). */
function sharedFloat64(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(n * 8));
}

/**
 * The rows at `indices` (ascending or not) of a row-major matrix of `rows` rows of `d` values.
 * @throws InvalidInputError for an index that is not a row.
 */
export function rowsAtIndices(
  data: Float64Array,
  d: number,
  rows: number,
  indices: Float64Array,
): Float64Array {
  const out = new Float64Array(indices.length * d);
  indices.forEach((i, s) => {
    if (!(Number.isInteger(i) && i >= 0 && i < rows)) {
      throw new InvalidInputError(`row index ${i} is outside the ${rows} rows`);
    }
    out.set(data.subarray(i * d, (i + 1) * d), s * d);
  });
  return out;
}

/** Every part's chosen columns in one matrix in shared memory, with the blocks of every part. */
export interface ClusterRows {
  /** The kept rows of all parts in order (standardised in place by the fit when asked). */
  X: Matrix;
  /** Input rows read. */
  inputRows: number;
  /** Per input row, 1 when it was skipped for a missing value; null when none was. */
  skipped: Uint8Array | null;
  /** Block starts over X: the parts' blocks in part order (see {@link PartRows.starts}). */
  blockStarts: Float64Array;
}

/** Reads every part (in order; `open` gives each part's stream) into {@link ClusterRows}. */
export async function readClusterRows(
  parts: readonly string[],
  open: (part: string) => Promise<TableStream>,
  columns: readonly string[],
  missing: MissingPolicy,
): Promise<ClusterRows> {
  const read: PartRows[] = [];
  let inputRows = 0;
  for (const part of parts) {
    const stream = await open(part);
    try {
      const r = await readPartRows(stream, columns, missing, inputRows);
      read.push(r);
      inputRows += r.inputRows;
    } finally {
      await stream.close();
    }
  }
  const d = columns.length;
  const kept = read.reduce((n, r) => n + r.kept, 0);
  const starts: number[] = [];
  let at = 0;
  for (const r of read) {
    for (let b = 0; b + 1 < r.starts.length; b++) starts.push(at + r.starts[b]!);
    at += r.kept;
  }
  starts.push(at);
  const anySkipped = read.some((r) => r.skipped !== null);
  return {
    X: {
      data: concatInto(
        read.map((r) => r.data),
        sharedFloat64(kept * d),
      ),
      rows: kept,
      cols: d,
    },
    inputRows,
    skipped: anySkipped
      ? concatInto(
          read.map((r) => r.skipped ?? new Uint8Array(r.inputRows)),
          new Uint8Array(inputRows),
        )
      : null,
    blockStarts: Float64Array.from(starts),
  };
}

function columnOf(table: Table, name: string): Exclude<Column, { type: "string" }> {
  const c = table.columns.find((x) => x.name === name);
  if (c === undefined) throw new InvalidInputError(`column "${name}": not in the input.`);
  if (c.type === "string") {
    throw new InvalidInputError(
      `column "${name}": is text, but clustering needs numeric columns. Choose numeric columns with --columns.`,
    );
  }
  return c;
}
