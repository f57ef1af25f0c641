/**
 * Where a mixture column's extreme values sit and how the compact layout stores them: the few
 * smallest and largest finite values are kept while the rows stream by (with their global row),
 * then encoded alone with the row's own index, which gives the bits a full transform writes
 * (a row's mode is drawn from a generator keyed by seed, column and row, never by its block).
 */
import { type Column, isNull } from "../core/table.js";
import { fittedValue } from "../encode/mixture-domain.js";
import { type MixtureColumnSpec, MODE_LITERAL } from "../encode/spec.js";
import { codecOf } from "../encode/table-codec.js";
import { eachValue } from "./histogram.js";

/** Extreme values kept at each end. */
export const EXTREMES = 5;

interface Kept {
  x: number;
  row: number;
  /** The value alone as a one-row column of the input's type (a copy). */
  cell: Column;
}

/** The smallest and largest finite values seen so far, ascending and descending. */
export interface ExtremeTracker {
  low: Kept[];
  high: Kept[];
}

export function createExtremes(): ExtremeTracker {
  return { low: [], high: [] };
}

function cellOf(col: Column, i: number): Column {
  if (col.type === "string") throw new Error("a mixture column is numeric");
  return { ...col, values: col.values.slice(i, i + 1), nulls: null } as Column;
}

/** Inserts into `list` kept in order by `before`, at most {@link EXTREMES} long. */
function insert(list: Kept[], k: Kept, before: (a: number, b: number) => boolean): void {
  let at = list.length;
  while (at > 0 && before(k.x, list[at - 1]!.x)) at--;
  if (at >= EXTREMES) return;
  list.splice(at, 0, k);
  if (list.length > EXTREMES) list.pop();
}

/**
 * Adds a block's column whose first row has global index `firstRow`. On ties the earlier row is
 * kept (blocks arrive in row order).
 */
export function addExtremes(e: ExtremeTracker, col: Column, firstRow: number): void {
  const { low, high } = e;
  eachValue(col, 0, col.values.length, (x, i) => {
    if (!Number.isFinite(x)) return;
    if (low.length < EXTREMES || x < low[low.length - 1]!.x)
      insert(low, { x, row: firstRow + i, cell: cellOf(col, i) }, (a, b) => a < b);
    if (high.length < EXTREMES || x > high[high.length - 1]!.x)
      insert(high, { x, row: firstRow + i, cell: cellOf(col, i) }, (a, b) => a > b);
  });
}

/** How the compact layout stores a value. */
export type StoredAs = "alpha" | "residual" | "literal" | "modal";

/** One extreme value as the compact layout stores it. */
export interface ExtremeValue {
  /** The value as text (int64 and timestamps exactly). */
  value: string;
  row: number;
  /** Its code in `<name>.mode`: a mode 0…K−1, K + j for modal value j, −1 literal. */
  mode: number;
  alpha: number;
  storedAs: StoredAs;
  /** |t − μ| / σ of its mode (null when it has no mode). */
  sigmas: number | null;
}

/** The kept extremes encoded alone at their rows: smallest first, then largest. */
export function encodeExtremes(
  e: ExtremeTracker,
  spec: MixtureColumnSpec,
  seed: number,
  columnIndex: number,
): { low: ExtremeValue[]; high: ExtremeValue[] } {
  const codec = codecOf(spec);
  const one = (k: Kept): ExtremeValue => {
    const out = codec.encodeCompact(spec, k.cell, { seed, columnIndex, firstRow: k.row });
    const alphaCol = out.find((c) => c.name === `${spec.name}.alpha`)!;
    const modeCol = out.find((c) => c.name === `${spec.name}.mode`)!;
    const residualCol = out.find((c) => c.name === `${spec.name}.residual`);
    const mode = Number(modeCol.values[0]);
    const alpha = Number(alphaCol.values[0]);
    const K = spec.modes.length;
    const storedAs: StoredAs =
      mode === MODE_LITERAL
        ? "literal"
        : mode >= K
          ? "modal"
          : residualCol !== undefined && !isNull(residualCol, 0)
            ? "residual"
            : "alpha";
    let sigmas: number | null = null;
    if (mode >= 0 && mode < K) {
      const t = fittedValue(k.x, spec.kind === "log" ? (spec.offset ?? 0) : undefined);
      const m = spec.modes[mode]!;
      sigmas = Math.abs(t - m.mean) / m.std;
    }
    return { value: String(k.cell.values[0]), row: k.row, mode, alpha, storedAs, sigmas };
  };
  return { low: e.low.map(one), high: e.high.map(one) };
}
