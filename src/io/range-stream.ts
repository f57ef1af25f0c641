/**
 * A run of consecutive rows of a multi-part input as a {@link TableStream}: global rows
 * [firstRow, firstRow + rows), which start `skip` rows into the first of `files` and may go on
 * into the next ones. A queue worker reads its job's rows so (one shard of a transform, say).
 *
 * Blocks have `blockRows` rows and global indices from `firstRow`, so when `firstRow` is a
 * multiple of `blockRows` they are exactly the blocks the whole input's stream gives for those
 * rows (which cross part boundaries the same way). Parquet parts are read from the range's row
 * groups on; other parts are read from their start and the rows before `skip` dropped (at most
 * one part of extra reading per range).
 */
import { InvalidInputError } from "../core/errors.js";
import { copyRows, type Table } from "../core/table.js";
import { IoError } from "./errors.js";
import { formatOf } from "./format.js";
import {
  openTableStream,
  reblock,
  type TableBlock,
  type TableStream,
  type TableStreamOptions,
} from "./stream.js";

/** Which rows to read. */
export interface RowRange {
  /** The parts the range touches, in input order. */
  files: string[];
  /** Rows of the first part before the range. */
  skip: number;
  rows: number;
  /** Global index of the range's first row. */
  firstRow: number;
}

/**
 * Opens the rows of `range` (see the module comment); every part is read with `options`, which
 * should fix the column types (a part's own inference could differ from the whole input's).
 * @throws IoError when the parts end before the range does (changed since they were counted).
 */
export async function openRangeStream(
  range: RowRange,
  options: TableStreamOptions & { blockRows: number },
): Promise<TableStream> {
  if (range.files.length === 0 || range.skip < 0 || range.rows < 0) {
    throw new InvalidInputError("a row range needs a part, and rows and skip of at least 0");
  }
  if (formatOf(range.files[0]!) === "parquet") {
    const all = await openTableStream(range.files, {
      ...options,
      rowRange: { skip: range.skip, rows: range.rows },
    });
    return {
      schema: all.schema,
      files: all.files,
      totalRows: all.totalRows,
      // Where blocks take their arrays from is the Parquet stream's (see `TableStream.bin`).
      get bin() {
        return all.bin;
      },
      set bin(bin) {
        all.bin = bin;
      },
      async *blocks() {
        for await (const b of all.blocks()) {
          yield { firstRow: range.firstRow + b.firstRow, table: b.table };
        }
      },
      close: () => all.close(),
    };
  }
  // The first part gives the schema; every part is opened with the same options.
  const head = await openTableStream(range.files[0]!, options);
  let first: TableStream | null = head;
  let active: AsyncGenerator<TableBlock> | null = null;
  let open: TableStream | null = null;

  async function* tables(): AsyncGenerator<Table> {
    let skip = range.skip;
    let left = range.rows;
    for (const path of range.files) {
      if (left === 0) break;
      const part = first ?? (await openTableStream(path, options));
      first = null;
      open = part;
      try {
        for await (const b of part.blocks()) {
          const t = b.table;
          if (skip >= t.rows) {
            skip -= t.rows;
            continue;
          }
          const take = Math.min(left, t.rows - skip);
          yield skip === 0 && take === t.rows ? t : copyRows(t.columns, skip, skip + take);
          skip = 0;
          left -= take;
          if (left === 0) break;
        }
      } finally {
        await part.close();
        open = null;
      }
    }
    if (left > 0 || skip > 0) {
      throw new IoError(
        `${range.files.join(", ")}: ended ${left} row(s) before the range asked of them (rows ${range.firstRow}–${range.firstRow + range.rows - 1}); were the parts changed since the run counted them?`,
      );
    }
  }

  async function* blocks(): AsyncGenerator<TableBlock> {
    for await (const b of reblock(tables(), options.blockRows)) {
      yield { firstRow: range.firstRow + b.firstRow, table: b.table };
    }
  }

  return {
    schema: head.schema,
    files: range.files,
    totalRows: range.rows,
    blocks() {
      active = blocks();
      return active;
    },
    async close() {
      await active?.return(undefined);
      active = null;
      await (open as TableStream | null)?.close();
      await (first as TableStream | null)?.close();
      first = null;
    },
  };
}
