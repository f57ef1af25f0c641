/**
 * Rows in messages as the user finds them: errors raised while encoding name a row by its 0-based
 * index over the whole input (`column "c": row 2 …`); the command line names the line of the CSV
 * file instead (the header is line 1), as the CSV reader's own messages do, or the row counted
 * from 1 for Parquet and Arrow input (and standard input, which cannot be read again).
 */
import { InvalidInputError } from "../core/errors.js";
import { locateCsvRow } from "../io/csv-locate.js";
import type { ReadTableOptions } from "../io/options.js";

/** `column "<name>": row <index>` as the encoders write it. */
const ROW_IN_MESSAGE = /(column "(?:[^"\\]|\\.)*": )row (\d+)(?=\D|$)/;

/** The error with its row named by file line or 1-based row; other errors as they are. */
export async function placeRow(
  err: unknown,
  input: string,
  files: readonly string[],
  read: Pick<ReadTableOptions, "encoding" | "escapeChar">,
): Promise<unknown> {
  if (!(err instanceof InvalidInputError)) return err;
  const m = ROW_IN_MESSAGE.exec(err.message);
  if (m === null) return err;
  const row = Number(m[2]);
  let place = `row ${row + 1} (counting data rows from 1)`;
  try {
    const at = await locateCsvRow(files, row, read);
    if (at !== null)
      place = at.file === input ? `line ${at.line}` : `line ${at.line} of ${at.file}`;
  } catch {
    // The input cannot be read again (it changed or went away): the row number stands.
  }
  const message = err.message.replace(ROW_IN_MESSAGE, `$1${place}`);
  return new InvalidInputError(message, { cause: err });
}

/** Runs `fn`; an error naming a row gets its place ({@link placeRow}). */
export async function withRowPlace<T>(
  input: string,
  files: readonly string[],
  read: Pick<ReadTableOptions, "encoding" | "escapeChar">,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw await placeRow(err, input, files, read);
  }
}
