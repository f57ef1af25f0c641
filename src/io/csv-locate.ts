/**
 * Where a row of a CSV input is in its files: the file and the line its record starts on (the
 * header is line 1). Messages about a row found after reading (an unseen category met while
 * encoding) name it as the reader's own messages do. Reads the files again up to that row, so it
 * is for errors only.
 */

import { scanRecords } from "./csv-read.js";
import { formatOf } from "./format.js";
import { type ReadTableOptions, resolveReadOptions } from "./options.js";
import { partSource, readPartHeader, STREAM_CHUNK_BYTES } from "./stream-csv.js";

/** A row's place in a CSV input. */
export interface CsvRowPlace {
  file: string;
  /** 1-based line where the row's record starts. */
  line: number;
}

/**
 * The file and line of data row `row` (0-based over all `files`, in order), or null when the files
 * are not all CSV (or standard input, which cannot be read again) or hold fewer rows.
 */
export async function locateCsvRow(
  files: readonly string[],
  row: number,
  options: Pick<ReadTableOptions, "encoding" | "escapeChar"> = {},
): Promise<CsvRowPlace | null> {
  if (files.some((f) => f === "-" || !["csv", "csv.gz"].includes(formatOf(f)))) return null;
  let left = row;
  for (const file of files) {
    const opts = resolveReadOptions(file, options);
    const gzip = formatOf(file) === "csv.gz";
    const header = await readPartHeader(file, gzip, opts);
    const scan = scanRecords(
      file,
      partSource(file, gzip, STREAM_CHUNK_BYTES),
      header,
      [],
      opts,
      false,
    );
    for await (const { tape } of scan) {
      if (left < tape.count) {
        const line = tape.lines[left]!;
        await scan.return(undefined);
        return { file, line };
      }
      left -= tape.count;
    }
  }
  return null;
}
