/**
 * Tables cut into row blocks and put back together: the unit the parallel encoder sends to workers.
 * Typed columns are copied into their own buffers so they can be transferred; string columns travel
 * as arrays (structured clone).
 */
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

type TypedValues = Exclude<Column, { type: "string" }>["values"];

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
