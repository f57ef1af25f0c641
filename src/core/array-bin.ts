/**
 * Typed arrays kept for reuse between blocks of a stream. A block's arrays that have been read,
 * encoded or written are put in the bin, and the next block of the same shape takes them instead
 * of allocating: a stream of a billion rows then runs on a few dozen arrays instead of allocating
 * (and the system zeroing, and later unmapping) tens of gigabytes. On the machine the README
 * measures, a fresh 8 MB array costs 3.6–6.4 ms against 0.15 ms to overwrite a kept one.
 *
 * An ordinary bin keeps arrays that own a whole ordinary ArrayBuffer, by kind and length; views
 * into a larger buffer, shared memory and detached buffers are ignored.
 *
 * A shared bin ({@link sharedBlockBin}, one per thread) keeps shared memory instead, and hands
 * out views: a request for n elements gets a view of the first n of a buffer whose size is n's
 * byte length rounded up to a power of two, so the short last block of a stream reuses a buffer
 * of the full blocks' size class, and the kept buffers fall into a few size classes whatever the
 * streams. Shared blocks are what the stream runners send to worker threads: they are not
 * transferred (moved between threads), so a block crosses to a worker and back without creating
 * new ArrayBuffers; on this machine those made the main thread collect garbage about every
 * 50 ms, its concurrent marking about a fifth of the transform's CPU. V8 does not count shared
 * memory towards garbage collection, so a dropped shared buffer may stay allocated for long: the
 * shared bin lives as long as the thread, streams put every block back into it, and a run that
 * ends trims it to a few buffers per size class ({@link SHARED_KEEP}) for the next run, then
 * collects garbage, which frees the buffers it dropped (`collectGarbage` in `run/gc.ts`).
 *
 * Either bin keeps an array once however often it is put, and at most `limit` per kind and
 * length (size class); a taker owns what it takes until it puts it back.
 */
import type { Column, Table } from "./table.js";

/** The array types of table columns and null masks. */
export type BinArray = Float64Array | Float32Array | Int32Array | BigInt64Array | Uint8Array;

/** The constructor of each array type, by which arrays are sorted in the bin. */
type BinArrayClass =
  | Float64ArrayConstructor
  | Float32ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor;

/** Default arrays kept per kind and length. */
export const DEFAULT_BIN_LIMIT = 16;

/** Buffers per size class the stream runners leave in the shared bin when a run ends. */
export const SHARED_KEEP = 4;

/** Smallest size class (bytes) of a shared bin. */
const MIN_SHARED_BYTES = 4096;

export class ArrayBin {
  /** Ordinary bin: arrays by `kind:length`. Shared bin: buffers by byte size (a power of two). */
  private readonly free = new Map<string, (BinArray | SharedArrayBuffer)[]>();
  private held = new WeakSet<ArrayBufferLike>();
  private accepting = true;
  readonly shared: boolean;
  readonly limit: number;

  /** `limit` arrays (buffers) kept per kind and length (size class); `shared`: see the module comment. */
  constructor(limit = DEFAULT_BIN_LIMIT, options: { shared?: boolean } = {}) {
    this.limit = limit;
    this.shared = options.shared === true;
  }

  /** Keeps `a` for reuse when this bin keeps its kind of memory (see the module comment). */
  put(a: ArrayBufferView | null | undefined): void {
    if (a === null || a === undefined || !this.accepting) return;
    const buffer = a.buffer;
    let key: string;
    let item: BinArray | SharedArrayBuffer;
    if (this.shared) {
      if (!isSharedBuffer(buffer) || a.byteOffset !== 0 || !isSizeClass(buffer.byteLength)) return;
      key = String(buffer.byteLength);
      item = buffer;
    } else {
      if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
      if (a.byteOffset !== 0 || a.byteLength !== buffer.byteLength) return;
      key = `${a.constructor.name}:${(a as BinArray).length}`;
      item = a as BinArray;
    }
    if (this.held.has(buffer)) return;
    let list = this.free.get(key);
    if (list === undefined) {
      list = [];
      this.free.set(key, list);
    }
    if (list.length >= this.limit) return;
    list.push(item);
    this.held.add(buffer);
  }

  /** Puts the values and null masks of the typed columns of `table`. */
  putTable(table: Table): void {
    for (const c of table.columns) this.putColumn(c);
  }

  /** Puts a typed column's values and null mask. */
  putColumn(c: Column | null): void {
    if (c === null || c.type === "string") return;
    this.put(c.values);
    this.put(c.nulls);
  }

  /**
   * A kept array of `type` with exactly `length` elements, or null. Its contents are what the
   * last owner left unless `zero` (then all zero, as a new array).
   */
  take<C extends BinArrayClass>(type: C, length: number, zero = false): InstanceType<C> | null {
    let a: BinArray;
    if (this.shared) {
      // Of the length's size class, or of the next one up: a first estimate that was too large
      // (e.g. rows a CSV range may hold) still serves, instead of new memory being touched.
      const want = sizeClass(length * type.BYTES_PER_ELEMENT);
      const buffer = this.free.get(String(want))?.pop() ?? this.free.get(String(2 * want))?.pop();
      if (buffer === undefined) return null;
      this.held.delete(buffer as SharedArrayBuffer);
      a = viewOf(type, buffer as SharedArrayBuffer, length);
    } else {
      const kept = this.free.get(`${type.name}:${length}`)?.pop();
      if (kept === undefined) return null;
      a = kept as BinArray;
      this.held.delete(a.buffer);
    }
    if (zero) zeroArray(a);
    return a as InstanceType<C>;
  }

  /**
   * {@link take}, or a new array (all zero) when the bin has none: in shared memory for a shared
   * bin (a view of a buffer of the length's size class), else an ordinary array.
   */
  alloc<C extends BinArrayClass>(type: C, length: number, zero = false): InstanceType<C> {
    const kept = this.take(type, length, zero);
    if (kept !== null) return kept;
    if (!this.shared) return new type(length) as InstanceType<C>;
    return newSharedArray(type, length);
  }

  /**
   * Drops every kept array and keeps nothing more until {@link open}: for a stream that ended,
   * whose consumer may still hand back arrays (a sink writing its last shard), so that a process
   * running one stream after another does not hold the arrays of the finished ones.
   */
  clear(): void {
    this.free.clear();
    this.held = new WeakSet();
    this.accepting = false;
  }

  /**
   * Drops kept arrays (buffers) beyond `keep` of each kind and length (size class): what a run
   * that ended leaves for the next one.
   */
  trim(keep: number): void {
    for (const list of this.free.values()) {
      for (const a of list.splice(keep))
        this.held.delete(a instanceof SharedArrayBuffer ? a : a.buffer);
    }
  }

  /** Keeps arrays again after {@link clear} (a new pass over the stream). */
  open(): void {
    this.accepting = true;
  }

  /** Bytes of the arrays (buffers) kept now. */
  get bytes(): number {
    let n = 0;
    for (const list of this.free.values()) for (const a of list) n += a.byteLength;
    return n;
  }

  /** Arrays kept now (all kinds). */
  get size(): number {
    let n = 0;
    for (const list of this.free.values()) n += list.length;
    return n;
  }
}

/** The first `length` elements of `buffer` as a `type` array. */
function viewOf(type: BinArrayClass, buffer: SharedArrayBuffer, length: number): BinArray {
  const ctor = type as unknown as new (b: SharedArrayBuffer, offset: number, n: number) => BinArray;
  return new ctor(buffer, 0, length);
}

/** Whether `b` is shared memory (false where SharedArrayBuffer does not exist). */
/**
 * A new array of `length` elements (all zero) in shared memory of a size class, as a shared bin
 * makes them: such an array can be put in a shared bin and serve later blocks.
 */
export function newSharedArray<C extends BinArrayClass>(type: C, length: number): InstanceType<C> {
  const bytes = sizeClass(length * type.BYTES_PER_ELEMENT);
  return viewOf(type, new SharedArrayBuffer(bytes), length) as InstanceType<C>;
}

export function isSharedBuffer(b: ArrayBufferLike): b is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== "undefined" && b instanceof SharedArrayBuffer;
}

/** The size class of `bytes`: the next power of two, at least {@link MIN_SHARED_BYTES}. */
function sizeClass(bytes: number): number {
  let c = MIN_SHARED_BYTES;
  while (c < bytes) c *= 2;
  return c;
}

function isSizeClass(bytes: number): boolean {
  return bytes >= MIN_SHARED_BYTES && sizeClass(bytes) === bytes;
}

let threadSharedBin: ArrayBin | null = null;

/**
 * This thread's shared bin (see the module comment): where the stream runners take the blocks
 * they send to workers, and put them back. Never cleared; {@link releaseSharedBlocks} drops what
 * it keeps.
 */
export function sharedBlockBin(): ArrayBin {
  threadSharedBin ??= new ArrayBin(DEFAULT_BIN_LIMIT, { shared: true });
  return threadSharedBin;
}

/**
 * Drops the shared blocks this thread keeps for reuse, e.g. in a long-lived process after a large
 * stream. They are freed by the next full garbage collection once no thread refers to them any
 * more (V8 does not collect because of them: follow with `collectGarbage` from `run/gc.ts`).
 */
export function releaseSharedBlocks(): void {
  threadSharedBin = null;
}

/**
 * A null mask (all zero) for a column of `length` rows whose values are `values`: in shared
 * memory from {@link sharedBlockBin} when the values are shared (so the whole block stays in
 * shared memory and its mask is reused like its values), else an ordinary array.
 */
export function nullMaskFor(values: ArrayBufferView, length: number): Uint8Array {
  if (isSharedBuffer(values.buffer)) return sharedBlockBin().alloc(Uint8Array, length, true);
  return new Uint8Array(length);
}

/** Copies `parts` one after another into `out` (from its start) and returns `out`. */
export function concatInto<A extends Float64Array | Uint8Array>(parts: readonly A[], out: A): A {
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Sets every element of `a` to zero (as a new array). */
export function zeroArray(a: BinArray): void {
  if (a instanceof BigInt64Array) a.fill(0n);
  else a.fill(0);
}

/** The array class of a typed column's values. */
export function valuesClass(type: Exclude<Column["type"], "string">): BinArrayClass {
  switch (type) {
    case "float64":
      return Float64Array;
    case "float32":
      return Float32Array;
    case "int32":
      return Int32Array;
    case "int64":
    case "timestamp":
      return BigInt64Array;
    case "bool":
      return Uint8Array;
  }
}
