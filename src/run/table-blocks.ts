/**
 * Tables cut into row blocks and put back together: the unit the parallel runners send to
 * workers. Blocks travel either in their own transferable buffers or in shared memory (staged in
 * reused buffers, results written by the workers into whole shared columns); string columns
 * travel as arrays (structured clone).
 */
import { isSharedBuffer } from "../core/array-bin.js";
import { assertUnreachable } from "../core/errors.js";
import { type Column, copyRows, type Table } from "../core/table.js";

/** Rows [start, end) of the given columns, each in a fresh, transferable buffer. */
export const sliceColumns = copyRows;

/** The distinct, detachable buffers under a table's typed columns: its transfer list. */
export function transferablesOf(table: Table): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | null) => {
    // Shared memory is shared, not transferred.
    if (a !== null && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  };
  for (const c of table.columns) {
    if (c.type === "string") continue;
    add(c.values);
    add(c.nulls);
  }
  return [...out];
}

/**
 * The arrays in shared memory of `table`'s typed columns and of `spare` (values, then null mask,
 * column by column): the list both sides of a block task index the same way.
 */
export function sharedArraysOf(
  table: Table,
  spare: readonly (Column | null)[] | null,
): ArrayBufferView[] {
  const out: ArrayBufferView[] = [];
  for (const c of [...table.columns, ...(spare ?? [])]) {
    if (c === null || c.type === "string") continue;
    if (isShared(c.values)) out.push(c.values);
    if (c.nulls !== null && isShared(c.nulls)) out.push(c.nulls);
  }
  return out;
}

/** The values array of a typed (non-string) column. */
export type TypedValues = Exclude<Column, { type: "string" }>["values"];

/**
 * Writes blocks of a table, arriving in any order, into whole columns allocated when the first
 * block arrives (so the blocks can be dropped as they come: peak memory is the output plus the
 * blocks in flight). A null mask is created only if some block has one, which is what the codecs
 * produce for the whole table.
 */
export class TableAssembler {
  private columns: Column[] | null = null;

  constructor(readonly rows: number) {}

  /** Copies `part` (rows [firstRow, firstRow + part.rows)) into place. */
  add(firstRow: number, part: Table): void {
    if (this.columns === null) this.columns = part.columns.map((c) => emptyLike(c, this.rows));
    const cols = this.columns;
    if (part.columns.length !== cols.length) {
      throw new Error(
        `TableAssembler: a block has ${part.columns.length} columns, another ${cols.length}.`,
      );
    }
    part.columns.forEach((p, j) => {
      const c = cols[j]!;
      if (p.name !== c.name || p.type !== c.type) {
        throw new Error(
          `TableAssembler: block column ${j} is ${p.name} (${p.type}), expected ${c.name} (${c.type}).`,
        );
      }
      if (c.type === "string") {
        const v = (p as typeof c).values;
        for (let i = 0; i < v.length; i++) c.values[firstRow + i] = v[i]!;
        return;
      }
      const pt = p as Exclude<Column, { type: "string" }>;
      (c.values as TypedValues & { set(a: ArrayLike<unknown>, o: number): void }).set(
        pt.values as never,
        firstRow,
      );
      if (pt.nulls !== null) {
        if (c.nulls === null) c.nulls = new Uint8Array(this.rows);
        c.nulls.set(pt.nulls, firstRow);
      }
    });
  }

  /** The whole table; `empty` gives the columns when no block arrived (zero rows). */
  finish(empty: () => Table): Table {
    if (this.columns === null) return empty();
    return { rows: this.rows, columns: this.columns };
  }
}

function emptyLike(c: Column, n: number): Column {
  switch (c.type) {
    case "string":
      return { ...c, values: new Array<string | null>(n).fill(null) };
    case "float64":
      return { ...c, values: new Float64Array(n), nulls: null };
    case "float32":
      return { ...c, values: new Float32Array(n), nulls: null };
    case "int64":
      return { ...c, values: new BigInt64Array(n), nulls: null };
    case "int32":
      return { ...c, values: new Int32Array(n), nulls: null };
    case "bool":
      return { ...c, values: new Uint8Array(n), nulls: null };
    case "timestamp":
      return { ...c, values: new BigInt64Array(n), nulls: null };
    default:
      return assertUnreachable(c);
  }
}

type TypedColumn = Exclude<Column, { type: "string" }>;

function isShared(a: ArrayBufferView): boolean {
  return isSharedBuffer(a.buffer);
}

function sharedArray<T extends TypedValues | Uint8Array>(like: T, n: number): T {
  const ctor = like.constructor as new (b: SharedArrayBuffer, o: number, n: number) => T;
  return new ctor(new SharedArrayBuffer(n * like.BYTES_PER_ELEMENT), 0, n);
}

/**
 * Whole-table output columns in shared memory, shaped like `schema` (a zero-row result of the same
 * task): every typed column gets `rows` values and a null mask (all present); string columns are
 * null, they travel back in the replies. Pages nobody writes are never touched. Columns of `reuse`
 * (an earlier result) with the same name, type and row count in shared memory are used again.
 */
export function sharedOutput(
  schema: Table,
  rows: number,
  reuse: Table | null = null,
): (TypedColumn | null)[] {
  return schema.columns.map((c): TypedColumn | null => {
    if (c.type === "string") return null;
    const found = reuse?.columns.find((o) => o.name === c.name && o.type === c.type);
    const old = found === undefined || found.type === "string" ? null : found;
    const fits = (a: ArrayBufferView | null | undefined): boolean =>
      a !== null && a !== undefined && isShared(a) && (a as TypedValues).length === rows;
    const values = old !== null && fits(old.values) ? old.values : sharedArray(c.values, rows);
    // A reused mask is cleared: a block without missing values does not write its part.
    const nulls =
      old !== null && fits(old.nulls)
        ? old.nulls!.fill(0)
        : new Uint8Array(new SharedArrayBuffer(rows));
    return { ...c, values, nulls } as TypedColumn;
  });
}

/** What a block task that wrote into {@link sharedOutput} sends back. */
export interface PlacedBlock {
  /** The block's string columns (null where the column went into shared memory). */
  columns: (Column | null)[];
  /** Whether the block had any missing value, per column. */
  nulls: boolean[];
}

/** Whether `part` is the view of `whole`'s rows from `offset` on. */
function sameRows(
  part: ArrayBufferView,
  whole: ArrayBufferView & { BYTES_PER_ELEMENT: number },
  offset: number,
): boolean {
  return (
    part.buffer === whole.buffer &&
    part.byteOffset === whole.byteOffset + offset * whole.BYTES_PER_ELEMENT
  );
}

/** Worker side: copies a block's typed columns into `into` at row `offset`; returns the rest. */
export function placeBlock(
  block: Table,
  into: (TypedColumn | null)[],
  offset: number,
): PlacedBlock {
  if (block.columns.length !== into.length) {
    throw new Error(
      `placeBlock: a block has ${block.columns.length} columns, the output ${into.length}.`,
    );
  }
  const nulls: boolean[] = [];
  const columns = block.columns.map((c, j): Column | null => {
    const dst = into[j];
    if (dst === null || dst === undefined || c.type === "string") {
      nulls.push(false);
      return c;
    }
    if (c.type !== dst.type || c.name !== dst.name) {
      throw new Error(
        `placeBlock: block column ${j} is ${c.name} (${c.type}), expected ${dst.name} (${dst.type}).`,
      );
    }
    // A codec that wrote into the output already (the same memory) needs no copy.
    if (!sameRows(c.values, dst.values, offset)) {
      (dst.values as TypedValues & { set(a: ArrayLike<unknown>, o: number): void }).set(
        c.values as never,
        offset,
      );
    }
    if (c.nulls !== null && !sameRows(c.nulls, dst.nulls!, offset)) dst.nulls!.set(c.nulls, offset);
    nulls.push(c.nulls !== null);
    return null;
  });
  return { columns, nulls };
}

/**
 * Calling side of {@link sharedOutput}: gathers the replies' string columns and drops the null masks
 * no block used, so the table is what the sequential codec gives for the whole input.
 */
export class SharedAssembler {
  private readonly masks: boolean[];
  private readonly strings: (Array<string | null> | null)[];

  constructor(
    readonly rows: number,
    private readonly into: (TypedColumn | null)[],
    private readonly schema: Table,
  ) {
    this.masks = into.map(() => false);
    this.strings = into.map((c) => (c === null ? new Array<string | null>(rows).fill(null) : null));
  }

  add(firstRow: number, part: PlacedBlock): void {
    part.nulls.forEach((had, j) => {
      if (had) this.masks[j] = true;
    });
    part.columns.forEach((c, j) => {
      const dst = this.strings[j];
      if (c === null || dst === null || dst === undefined || c.type !== "string") return;
      for (let i = 0; i < c.values.length; i++) dst[firstRow + i] = c.values[i]!;
    });
  }

  finish(): Table {
    const columns = this.schema.columns.map((c, j): Column => {
      const shared = this.into[j];
      if (shared === null || shared === undefined)
        return { ...c, values: this.strings[j]! } as Column;
      return { ...shared, nulls: this.masks[j] ? shared.nulls : null } as Column;
    });
    return { rows: this.rows, columns };
  }
}

function spareKey(a: ArrayBufferView, rows: number): string {
  return `${a.constructor.name}:${rows}`;
}

/**
 * Rows [start, end) of the given columns for a worker, without allocating: typed columns already in
 * shared memory are viewed in place, others are copied into this stager's shared buffers (reused
 * for every block, so one stager per block in flight); string columns are sliced.
 */
export class BlockStager {
  private readonly buffers: (TypedValues | Uint8Array | null)[] = [];

  /** `spare`: buffers kept between uses (e.g. per worker pool), given back by `dispose`. */
  constructor(
    private readonly columns: readonly Column[],
    private readonly blockRows: number,
    private readonly spare: Map<string, (TypedValues | Uint8Array)[]> = new Map(),
  ) {}

  private view<T extends TypedValues | Uint8Array>(
    slot: number,
    a: T,
    start: number,
    end: number,
  ): T {
    if (isShared(a)) return a.subarray(start, end) as T;
    let buf = this.buffers[slot] as T | null | undefined;
    if (buf === null || buf === undefined) {
      const kept = this.spare.get(spareKey(a, this.blockRows))?.pop() as T | undefined;
      buf = kept ?? sharedArray(a, this.blockRows);
      this.buffers[slot] = buf;
    }
    const out = buf.subarray(0, end - start) as T;
    (out as TypedValues & { set(a: ArrayLike<unknown>, o: number): void }).set(
      a.subarray(start, end) as never,
      0,
    );
    return out;
  }

  /** Gives this stager's buffers back to its spares. */
  dispose(): void {
    for (const b of this.buffers) {
      if (b === null || b === undefined) continue;
      const key = spareKey(b, this.blockRows);
      const list = this.spare.get(key) ?? [];
      list.push(b);
      this.spare.set(key, list);
    }
    this.buffers.length = 0;
  }

  stage(start: number, end: number): Table {
    if (end - start > this.blockRows) {
      throw new Error(`BlockStager: ${end - start} rows exceed the block size ${this.blockRows}.`);
    }
    return {
      rows: end - start,
      columns: this.columns.map((c, j): Column => {
        if (c.type === "string") return { ...c, values: c.values.slice(start, end) };
        const values = this.view(2 * j, c.values, start, end);
        const nulls = c.nulls === null ? null : this.view(2 * j + 1, c.nulls, start, end);
        return { ...c, values, nulls } as Column;
      }),
    };
  }
}
