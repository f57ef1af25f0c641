/**
 * Bytes of a CSV file, in large chunks, from the start each time it is asked (the reader makes
 * two passes: infer types, then convert). A file up to `WHOLE_FILE_BYTES` is read once and kept;
 * a larger one is read again in `CHUNK_BYTES` pieces. `.csv.gz` is decompressed as a stream
 * (kept in memory after the first pass when it decompresses to at most `WHOLE_FILE_BYTES`).
 */
import { createReadStream } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { createGunzip, gunzip } from "node:zlib";
import { InvalidInputError } from "../core/errors.js";
import { errorMessage, IoError } from "./errors.js";

/** Files (or decompressed streams) up to this size are held in memory between the passes. */
export const WHOLE_FILE_BYTES = 256 * 1024 * 1024;
/** Read size for larger files. */
export const CHUNK_BYTES = 64 * 1024 * 1024;

/** Yields the file's bytes from the start, in order, as Buffers. Callable more than once. */
export type ByteSource = () => AsyncGenerator<Buffer>;

/** Bytes of an uncompressed file of `size` bytes. */
export function fileSource(path: string, size: number): ByteSource {
  let cached: Buffer | null = null;
  return async function* () {
    if (size <= WHOLE_FILE_BYTES) {
      if (cached === null) {
        try {
          cached = await readFile(path);
        } catch (err) {
          throw new IoError(`${path}: cannot read: ${errorMessage(err)}`, { cause: err });
        }
      }
      yield cached;
      return;
    }
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(path, "r");
    } catch (err) {
      throw new IoError(`${path}: cannot read: ${errorMessage(err)}`, { cause: err });
    }
    try {
      for (;;) {
        const buf = Buffer.allocUnsafe(CHUNK_BYTES);
        let filled = 0;
        while (filled < CHUNK_BYTES) {
          const { bytesRead } = await fh.read(buf, filled, CHUNK_BYTES - filled, null);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        if (filled === 0) return;
        yield filled === CHUNK_BYTES ? buf : buf.subarray(0, filled);
        if (filled < CHUNK_BYTES) return;
      }
    } finally {
      await fh.close();
    }
  };
}

const gunzipAsync = promisify(gunzip);

/**
 * Decompressed bytes of a gzip file of `size` compressed bytes: decompressed in one call (and
 * kept) when it fits in `WHOLE_FILE_BYTES`, else streamed in pieces of about `CHUNK_BYTES / 4`.
 */
export function gzipSource(path: string, size: number): ByteSource {
  let cached: Buffer[] | null = null;
  let tryWhole = size <= WHOLE_FILE_BYTES / 4;
  return async function* () {
    if (cached === null && tryWhole) {
      let compressed: Buffer;
      try {
        compressed = await readFile(path);
      } catch (err) {
        throw new IoError(`${path}: cannot read: ${errorMessage(err)}`, { cause: err });
      }
      try {
        cached = [await gunzipAsync(compressed, { maxOutputLength: WHOLE_FILE_BYTES })];
      } catch (err) {
        if ((err as { code?: string }).code !== "ERR_BUFFER_TOO_LARGE") {
          throw new InvalidInputError(
            `${path}: not a valid gzip file, or truncated: ${errorMessage(err)}`,
            { cause: err },
          );
        }
        tryWhole = false;
      }
    }
    if (cached !== null) {
      yield* cached;
      return;
    }
    const keep: Buffer[] = [];
    let kept = 0;
    let keeping = true;
    const stream = createReadStream(path).pipe(createGunzip());
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const target = CHUNK_BYTES / 4;
    const emit = (): Buffer => {
      const out = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (keeping) {
        kept += out.length;
        if (kept <= WHOLE_FILE_BYTES) keep.push(out);
        else keeping = false;
      }
      return out;
    };
    try {
      for await (const chunk of stream) {
        pending.push(chunk as Buffer);
        pendingBytes += (chunk as Buffer).length;
        if (pendingBytes >= target) yield emit();
      }
    } catch (err) {
      stream.destroy();
      throw new InvalidInputError(
        `${path}: not a valid gzip file, or truncated: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    if (pendingBytes > 0) yield emit();
    if (keeping) cached = keep;
  };
}
