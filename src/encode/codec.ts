/**
 * The contract every column kind implements. Specs are plain data ({@link ColumnSpec}); a codec is
 * a set of pure functions of (spec, input).
 *
 * Two layouts:
 * - compact: per column a few typed columns (`<name>.alpha` float64 + `<name>.mode` int32 for
 *   mixture kinds, `<name>.index` int32 for categorical, …). Exact: decoding gives back every value
 *   bit for bit.
 * - dense: the GAN-facing float32 matrix of CTGAN: per column spans of `tanh` values and `softmax`
 *   one-hots. Lossy by design (float32, values clipped to the activation ranges).
 */
import type { Column, ColumnType } from "../core/table.js";
import type { ColumnSpec } from "./spec.js";

/** Where a column's rows sit in the whole data set: per-row randomness is keyed by these. */
export interface EncodeContext {
  /** The model's seed. */
  seed: number;
  /** The column's position in the model (the random stream of the column). */
  columnIndex: number;
  /** Global index of the first row of this chunk. */
  firstRow: number;
  /**
   * `auto` (default): the WebAssembly encoder where it applies, else TypeScript; `js`: always the
   * TypeScript reference. Both give the same bits; `js` exists to test that.
   */
  kernel?: "auto" | "js";
  /**
   * Where the compact layout's columns may be written: columns of exactly this chunk's rows (in
   * `compactFields` order; null for a field the codec allocates). A codec may write into them and
   * return them, or allocate its own; callers tell by the buffers. Not used by the dense layout.
   */
  outputs?: readonly (Column | null)[];
}

/** One output column of a layout. */
export interface OutputField {
  name: string;
  type: ColumnType;
}

/** A span of the dense layout (CTGAN's `SpanInfo` with names). */
export interface DenseSpan {
  /** The source column. */
  column: string;
  activation: "tanh" | "softmax";
  /** The dense layout's output column names of this span, in order. */
  outputs: string[];
}

export interface ColumnCodec<S extends ColumnSpec> {
  /** The compact layout's columns for this spec. */
  compactFields(spec: S): OutputField[];
  /** Encodes a column (all its rows) into the compact layout's columns, in `compactFields` order. */
  encodeCompact(spec: S, col: Column, ctx: EncodeContext): Column[];
  /**
   * Decodes the compact columns back into the original column (named `spec.name`). `into`: a
   * column of exactly these rows, values and null mask all zero (as new arrays), that the codec
   * may write into and return, or ignore; callers tell by the buffers. `firstRow`: the global
   * index of the first row (default 0), for messages.
   */
  decodeCompact(spec: S, cols: Column[], into?: Column | null, firstRow?: number): Column;
  /** The dense layout's spans for this spec. */
  denseSpans(spec: S): DenseSpan[];
  /** Encodes into the dense layout: one Float32Array per output of `denseSpans`, in order. */
  encodeDense(spec: S, col: Column, ctx: EncodeContext): Float32Array[];
  /** Decodes dense outputs (argmax of each softmax span, as CTGAN does). */
  decodeDense(spec: S, outputs: Float32Array[]): Column;
}
