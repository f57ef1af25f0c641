/**
 * Sequential file writing that bypasses the page cache (`O_DIRECT`) where the file system allows
 * it, for large outputs written once: bytes go from two reused staging buffers straight to the
 * device, so the kernel neither copies them nor allocates page-cache pages for them. On the
 * machine the README measures, new page-cache pages cost about 3 s of CPU per GB written (a
 * virtual machine whose free memory is handed back to the host), O_DIRECT about 0.1 s.
 *
 * O_DIRECT needs the buffer address, the length and the file offset aligned to the device's
 * logical block: the staging buffers are written in multiples of {@link DIRECT_ALIGN} bytes from an
 * aligned place found once per buffer (JavaScript cannot see addresses, so it is probed: the
 * kernel refuses a misaligned buffer with EINVAL). The last, partial block is written padded and
 * the file truncated to its length. A file system without O_DIRECT (EINVAL on open or on every
 * probe) gets ordinary buffered writes; so does a tiny file.
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { errorCode } from "./errors.js";

/** Alignment of direct writes (address, length, offset): a page, a multiple of any logical block. */
export const DIRECT_ALIGN = 4096;

/** Bytes written per direct write (a multiple of {@link DIRECT_ALIGN}). */
const STAGE_BYTES = 4 << 20;

/** A staging buffer with its aligned window (null: no alignment found, direct I/O unusable). */
interface Stage {
  buffer: Uint8Array;
  window: Uint8Array | null;
}

/** Staging buffers kept for the next file (each writer takes two and gives them back). */
const spare: Stage[] = [];

function takeStage(): Stage {
  return spare.pop() ?? { buffer: new Uint8Array(STAGE_BYTES + DIRECT_ALIGN), window: null };
}

/** Finds the stage's aligned window by writing one block at file offset 0 from each candidate. */
async function alignStage(fh: FileHandle, stage: Stage): Promise<boolean> {
  if (stage.window !== null) return true;
  for (let at = 0; at < DIRECT_ALIGN; at += 16) {
    try {
      await fh.write(stage.buffer, at, DIRECT_ALIGN, 0);
    } catch (err) {
      if (errorCode(err) === "EINVAL") continue;
      throw err;
    }
    stage.window = stage.buffer.subarray(at, at + STAGE_BYTES);
    return true;
  }
  return false;
}

/** Writes a file front to back: `write` bytes in order, then `close`. */
export interface SequentialWriter {
  write(bytes: Uint8Array): Promise<void>;
  /** Writes what is left and closes the file (also after a failure, to release it). */
  close(): Promise<void>;
  /** Whether the page cache is bypassed. */
  readonly direct: boolean;
}

/**
 * Creates `path` (which must not exist: EEXIST otherwise) for sequential writing, with O_DIRECT
 * when the file system takes it (`direct: false` forces buffered writes).
 */
export async function createSequentialFile(
  path: string,
  options: { direct?: boolean } = {},
): Promise<SequentialWriter> {
  const flags = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY;
  if (options.direct !== false && constants.O_DIRECT !== undefined) {
    let fh: FileHandle | null = null;
    try {
      fh = await open(path, flags | constants.O_DIRECT, 0o644);
    } catch (err) {
      if (errorCode(err) !== "EINVAL") throw err;
    }
    if (fh !== null) {
      const stages = [takeStage(), takeStage()];
      if ((await alignStage(fh, stages[0]!)) && (await alignStage(fh, stages[1]!))) {
        return directWriter(fh, stages);
      }
      spare.push(...stages);
      // No aligned buffer works (an unusual file system): start over without O_DIRECT.
      await fh.close();
      const again = await open(path, constants.O_WRONLY | constants.O_TRUNC);
      return bufferedWriter(again);
    }
  }
  return bufferedWriter(await open(path, flags, 0o644));
}

function bufferedWriter(fh: FileHandle): SequentialWriter {
  return {
    direct: false,
    async write(bytes) {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
        done += bytesWritten;
      }
    },
    close: () => fh.close(),
  };
}

function directWriter(fh: FileHandle, stages: Stage[]): SequentialWriter {
  let current = 0;
  let fill = 0;
  let fileOffset = 0;
  // The other stage's write, in flight while this one fills.
  let inFlight: Promise<unknown> = Promise.resolve();
  let closed = false;
  const put = async (window: Uint8Array, length: number) => {
    let done = 0;
    while (done < length) {
      const { bytesWritten } = await fh.write(window, done, length - done, fileOffset + done);
      if (bytesWritten === 0 || bytesWritten % DIRECT_ALIGN !== 0) {
        throw new Error(`short direct write (${bytesWritten} of ${length - done} bytes)`);
      }
      done += bytesWritten;
    }
  };
  const ship = async (length: number) => {
    const window = stages[current]!.window!;
    await inFlight;
    inFlight = put(window, length);
    inFlight.catch(() => undefined); // surfaces at the next ship or at close
    fileOffset += length;
    current = 1 - current;
    fill = 0;
  };
  return {
    direct: true,
    async write(bytes) {
      let at = 0;
      while (at < bytes.length) {
        const window = stages[current]!.window!;
        const take = Math.min(bytes.length - at, window.length - fill);
        window.set(bytes.subarray(at, at + take), fill);
        fill += take;
        at += take;
        if (fill === window.length) await ship(window.length);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        const length = fileOffset + fill;
        if (fill > 0) {
          const padded = Math.ceil(fill / DIRECT_ALIGN) * DIRECT_ALIGN;
          stages[current]!.window!.fill(0, fill, padded);
          await ship(padded);
        }
        await inFlight;
        await fh.truncate(length);
      } finally {
        await fh.close();
        spare.push(...stages);
      }
    },
  };
}
