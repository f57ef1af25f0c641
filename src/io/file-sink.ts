/**
 * One output file written block by block: `.csv`, `.csv.gz`, `.parquet`, `.arrow` (IPC file) or
 * `.arrows` (IPC stream). Blocks go to a hidden temporary file beside the output as they come
 * (memory: about one block), and the file is moved into place when complete (`safe-write.ts`), so
 * the output appears only when whole; a failure, an abort or the end of the process removes the
 * temporary file.
 *
 * The values are those a whole-table write (`writeTable`) gives: CSV and gzip bytes are the same
 * (the same text in the same order; deflate's output does not depend on how its input is cut);
 * Arrow files hold one record batch per block instead of one in all, Parquet row groups end at
 * block boundaries.
 */
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { assertUnreachable, InvalidInputError } from "../core/errors.js";
import type { Table } from "../core/table.js";
import { checkTable } from "./columns.js";
import { csvBlocks, csvHeader, encodeCsvText } from "./csv-write.js";
import { createSequentialFile } from "./direct-write.js";
import { formatOf } from "./format.js";
import type { ParquetCompression, TextEncoding } from "./options.js";
import { openParquetWriter } from "./parquet-write.js";
import { createTempFile, ioErrorOf, type TempFile } from "./safe-write.js";

/** Writes blocks of one format into a new file. */
interface BlockWriter {
  /**
   * Writes a block; its arrays are no longer read once this resolves. `csv`: its rows already
   * formatted (CSV writers only; others ignore it).
   */
  write(table: Table, csv?: Uint8Array): Promise<void>;
  close(): Promise<void>;
  /** Stops after a failure (the file is then removed by the caller). */
  abort(): Promise<void>;
}

/**
 * A plain `.csv` file: bytes go to the file in order through `direct-write.ts` (past the page
 * cache where the file system allows, as Parquet files are written).
 */
async function openPlainCsvWriter(
  tmp: string,
  encoding: TextEncoding,
  path: string,
): Promise<BlockWriter> {
  const out = await createSequentialFile(tmp);
  const bytes = (text: string) => {
    const t = encodeCsvText(text, encoding, path);
    return typeof t === "string" ? Buffer.from(t, "utf8") : t;
  };
  let header = true;
  return {
    async write(table, csv) {
      if (csv !== undefined) {
        if (header) await out.write(bytes(csvHeader(table)));
        await out.write(csv);
      } else {
        for (const text of csvBlocks(table, header)) await out.write(bytes(text));
      }
      header = false;
    },
    close: () => out.close(),
    abort: () => out.close().catch(() => undefined),
  };
}

/** A `.csv.gz` file: through gzip, honouring its back-pressure. */
async function openGzipCsvWriter(
  path: string,
  tmp: string,
  encoding: TextEncoding,
): Promise<BlockWriter> {
  const file = createWriteStream(tmp, { flags: "wx" });
  const head = createGzip();
  const done = pipeline(head, file);
  let failure: { error: unknown } | null = null;
  done.catch((error) => {
    failure = { error };
  });
  let header = true;
  const put = async (bytes: string | Uint8Array) => {
    if (failure !== null) throw failure.error;
    // Back-pressure: wait while gzip is behind.
    if (!head.write(bytes)) await Promise.race([done, new Promise((r) => head.once("drain", r))]);
  };
  /** Writes and waits until gzip has taken the bytes: the caller reuses them. */
  const putAll = (bytes: Uint8Array) =>
    Promise.race([
      done.then(() => {
        throw failure?.error ?? new Error(`${path}: closed while writing`);
      }),
      new Promise<void>((resolve, reject) => {
        head.write(bytes, (err) => (err ? reject(err) : resolve()));
      }),
    ]);
  return {
    async write(table, csv) {
      if (csv !== undefined) {
        if (header) await put(encodeCsvText(csvHeader(table), encoding, path));
        if (failure !== null) throw failure.error;
        await putAll(csv);
      } else {
        for (const text of csvBlocks(table, header)) await put(encodeCsvText(text, encoding, path));
      }
      header = false;
      if (failure !== null) throw failure.error;
    },
    async close() {
      head.end();
      await done;
    },
    async abort() {
      head.destroy();
      file.destroy();
      await done.catch(() => undefined);
    },
  };
}

function openBlockWriter(
  path: string,
  tmp: string,
  first: Table,
  compression: ParquetCompression,
  encoding: TextEncoding,
  metadata: Readonly<Record<string, string>>,
): Promise<BlockWriter> {
  const format = formatOf(path);
  switch (format) {
    case "csv":
      return openPlainCsvWriter(tmp, encoding, path);
    case "csv.gz":
      return openGzipCsvWriter(path, tmp, encoding);
    case "parquet":
      return openParquetWriter(tmp, first, path, compression, metadata);
    case "arrow":
    case "arrows":
      return import("./arrow-sink.js").then((a) => a.openArrowWriter(tmp, format));
    default:
      return assertUnreachable(format);
  }
}

/** One output file being written ({@link openFileSink}). */
export interface FileSink {
  /**
   * Writes a block (blocks in row order); its arrays are no longer read once this resolves.
   * `csv`: its rows already formatted in the file's encoding (`csvRowBytes`; CSV files only).
   */
  write(table: Table, csv?: Uint8Array): Promise<void>;
  /** Completes the file and moves it into place; returns the rows written. */
  finish(): Promise<number>;
  /** Removes what was written. */
  abort(): Promise<void>;
}

/**
 * Opens `path` (a file name with a table extension) for writing block by block.
 * @throws IoError the path exists (without `overwrite`) or its directory does not.
 */
export async function openFileSink(
  path: string,
  options: {
    overwrite?: boolean;
    compression?: ParquetCompression;
    encoding?: TextEncoding;
    /** Key-value metadata, kept where the format has a place for it (Parquet's footer). */
    metadata?: Readonly<Record<string, string>>;
  } = {},
): Promise<FileSink> {
  const temp: TempFile = await createTempFile(path, options.overwrite === true);
  let writer: BlockWriter | null = null;
  let empty: Table | null = null;
  let rows = 0;
  const start = async (first: Table) => {
    writer = await openBlockWriter(
      path,
      temp.tmp,
      first,
      options.compression ?? "none",
      options.encoding ?? "utf8",
      options.metadata ?? {},
    );
    return writer;
  };
  const fail = async (err: unknown): Promise<never> => {
    await writer?.abort().catch(() => undefined);
    await temp.discard();
    throw ioErrorOf(path, err);
  };
  return {
    async write(table, csv) {
      // Rows come from the blocks that have some; an empty block only gives the columns.
      if (table.rows === 0) {
        empty ??= table;
        return;
      }
      try {
        checkTable(path, table);
        await (writer ?? (await start(table))).write(table, csv);
        rows += table.rows;
      } catch (err) {
        return fail(err);
      }
    },
    async finish() {
      try {
        if (writer === null) {
          if (empty === null) throw new InvalidInputError(`${path}: no rows to write`);
          checkTable(path, empty);
          await (await start(empty)).write(empty);
        }
        await writer!.close();
        await temp.commit();
      } catch (err) {
        return fail(err);
      }
      return rows;
    },
    async abort() {
      await writer?.abort().catch(() => undefined);
      await temp.discard();
    },
  };
}
