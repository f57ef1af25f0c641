/**
 * File-system problems of the I/O layer: a missing file, a directory where a file was expected,
 * an existing output file, a failed write. Bad *content* (malformed CSV, not Parquet, unknown
 * column) is an `InvalidInputError` from `core/errors.ts` instead: retrying cannot fix it.
 */
import { InvalidInputError } from "../core/errors.js";
import type { ColumnType } from "../core/table.js";

/** A file-system problem. The message starts with the path; `cause` holds the Node error. */
export class IoError extends Error {
  override name = "IoError";
}

/**
 * A block of a stream needs a column wider than the type decided from the first block (integers,
 * then a decimal): the message says which and how to force it. When `restartable`, the stream
 * has widened its schema (`column` now reads as `to`), and a consumer that starts its pass over
 * (`blocks()` again) reads every row with the wider type.
 */
export class TypeWidening extends InvalidInputError {
  constructor(
    message: string,
    readonly column: string,
    readonly to: ColumnType,
    readonly restartable: boolean,
  ) {
    super(message);
  }
}

/** `err.code` of a Node system error, or undefined. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/** The message of any thrown value. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
