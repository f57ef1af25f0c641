/**
 * Arrow IPC output block by block: a file (IPC file or stream format) and standard output (IPC
 * stream), one record batch per block. Loaded only when an output is Arrow, so that other
 * commands do not load the Arrow library (about 180 ms of start-up).
 */
import { once } from "node:events";
import { type FileHandle, open } from "node:fs/promises";
import { AsyncByteQueue, RecordBatchFileWriter, RecordBatchStreamWriter } from "apache-arrow";
import type { Table } from "../core/table.js";
import { batchOfTable } from "./arrow.js";

/** Collects what an Arrow writer emits, to be written to the file after each batch. */
class ChunkQueue extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: the base class's parameter type is not exported
  override write(value: any): void {
    const b: Uint8Array = ArrayBuffer.isView(value)
      ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
      : new Uint8Array(value);
    if (b.byteLength > 0) this.chunks.push(b);
  }
}

/** Writes blocks into a new file `tmp` as an Arrow IPC file (`arrow`) or stream (`arrows`). */
export async function openArrowWriter(
  tmp: string,
  format: "arrow" | "arrows",
): Promise<{
  /** Writes a block; its arrays are no longer read once this resolves. */
  write(table: Table): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}> {
  const fh: FileHandle = await open(tmp, "wx");
  const queue = new ChunkQueue();
  const writer = format === "arrow" ? new RecordBatchFileWriter() : new RecordBatchStreamWriter();
  writer.reset(queue);
  // The chunks are views of the block's arrays: written before `write` resolves.
  const flush = async () => {
    for (const b of queue.chunks) {
      let done = 0;
      while (done < b.length) done += (await fh.write(b, done, b.length - done)).bytesWritten;
    }
    queue.chunks = [];
  };
  let closed = false;
  return {
    async write(table) {
      writer.write(batchOfTable(table));
      await flush();
    },
    async close() {
      writer.finish();
      await flush();
      closed = true;
      await fh.close();
    },
    async abort() {
      queue.chunks = [];
      if (!closed) await fh.close().catch(() => undefined);
      closed = true;
    },
  };
}

/** An Arrow IPC stream on standard output: `write` each block, then `finish`. */
export function openStdoutArrowWriter(): {
  write(table: Table): Promise<void>;
  finish(): Promise<void>;
} {
  const writer = new RecordBatchStreamWriter();
  const node = writer.toNodeStream();
  const piped = new Promise<void>((resolve, reject) => {
    node.on("end", () => resolve());
    node.on("error", reject);
  });
  node.pipe(process.stdout, { end: false });
  return {
    async write(table) {
      writer.write(batchOfTable(table));
      // Back-pressure: wait while standard output is behind (bounded memory).
      if (process.stdout.writableNeedDrain) await once(process.stdout, "drain");
    },
    async finish() {
      writer.finish();
      writer.close();
      await piped;
    },
  };
}
