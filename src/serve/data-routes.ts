/**
 * The data routes: transform, inverse, score and drift of the rows in a request, with the same
 * results as the CLI (the same library calls; `firstRow` places a request's rows in a larger
 * data set, so a request split in two gives the same rows as one request).
 *
 * JSON bodies (`{"rows": …}` or `{"columns": …}`) are answered in the same shape. CSV and Arrow
 * bodies of up to 8 MiB (by Content-Length) are read whole and answered in one piece, so an error
 * anywhere in them is a 400. Larger bodies, or bodies of unannounced size, are read block by
 * block from the request stream and answered block by block (drift: one JSON report), so a large
 * body never has to fit in memory; the first block is read before the answer starts, so an error
 * in it is a 400, and an error in a later block ends the answer early (an incomplete chunked body,
 * never one that looks complete).
 */
import { Readable, Transform } from "node:stream";
import {
  type Field as ArrowField,
  type RecordBatch,
  RecordBatchReader,
  RecordBatchStreamWriter,
} from "apache-arrow";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Static } from "typebox";
import type { Table } from "../core/table.js";
import { addToDriftTally, createDriftTally, driftReport, driftTable } from "../drift/index.js";
import { scoreTable } from "../encode/score.js";
import type { ModelSpec } from "../encode/spec.js";
import { inverseTable, type Layout, layoutFields, transformTable } from "../encode/table-codec.js";
import { batchOfTable, openArrowReader, specOfField, tableFromBatch } from "../io/arrow.js";
import { readFlatStream, writeFlatStream } from "../io/arrow-flat.js";
import type { ColumnSpec } from "../io/columns.js";
import { csvRowBytes } from "../io/csv-bytes.js";
import { csvBlocks, csvHeader } from "../io/csv-write.js";
import { openCsvBytes, openCsvReadableStream } from "../io/stream.js";
import { decodeParallel, encodeParallel } from "../run/encode-parallel.js";
import type { WorkerPool } from "../run/pool.js";
import { BodyError, type Field, parseJson, tableFromJson, tableToJsonBytes } from "./json-table.js";
import type { Metrics } from "./metrics.js";
import type { DataQuery } from "./schemas.js";
import type { Turns } from "./turns.js";

export const DIRECTIONS = ["transform", "inverse", "score", "drift"] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** The data routes' query, as their schema (`schemas.ts`) validates it. */
type Query = Static<typeof DataQuery>;

/** Rows per block of a CSV body. */
const CSV_BLOCK_ROWS = 16_384;

function fieldsOf(model: ModelSpec, direction: Direction, layout: Layout): Field[] {
  if (direction === "inverse") return layoutFields(model, layout);
  return model.columns.map((c) => ({
    name: c.name,
    type: c.dtype,
    ...("unit" in c && c.unit !== undefined ? { unit: c.unit } : {}),
  }));
}

/** Bodies of at least this many rows run on the worker pool when the service has one. */
const PARALLEL_ROWS = 65_536;

async function apply(
  model: ModelSpec,
  direction: Exclude<Direction, "drift">,
  t: Table,
  layout: Layout,
  firstRow: number,
  pool: WorkerPool | null,
): Promise<Table> {
  const parallel = pool !== null && t.rows >= PARALLEL_ROWS;
  switch (direction) {
    case "transform":
      return parallel
        ? encodeParallel(model, t, { pool, layout, firstRow })
        : transformTable(model, t, { layout, firstRow });
    case "inverse":
      return parallel ? decodeParallel(model, t, { pool }) : inverseTable(model, t, { firstRow });
    case "score":
      return scoreTable(model, t);
  }
}

/** The error of a body larger than `limit` bytes (413). */
function tooLarge(limit: number): Error {
  return Object.assign(new Error(`the body is larger than ${limit} bytes.`), { statusCode: 413 });
}

/** Counts a body's bytes and fails it beyond `limit` (413). */
function counted(limit: number): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limit) done(tooLarge(limit));
      else done(null, chunk);
    },
  });
}

/**
 * A body of announced `size` (HTTP delivers no more) gathered from its chunks, with no stream in
 * between; a body cut off before its end is a 400.
 */
function wholeBody(body: NodeJS.ReadableStream, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let ended = false;
    body.on("data", (c: Buffer) => {
      chunks.push(c);
      bytes += c.length;
    });
    body.once("end", () => {
      ended = true;
      resolve(Buffer.concat(chunks, bytes));
    });
    body.once("error", reject);
    body.once("close", () => {
      if (!ended) reject(new BodyError(`the body ended after ${bytes} of ${size} bytes.`));
    });
  });
}

/** What a data route needs besides the request: the service's parts and the model's name. */
export interface RouteContext {
  metrics: Metrics;
  /** The model's name (a metric label). */
  name: string;
  /** Largest streamed body, bytes. */
  streamLimit: number;
  pool: WorkerPool | null;
  /** The service's turns: a body in memory is worked on in a turn of its own. */
  turns: Turns;
}

export async function dataRoute(
  direction: Direction,
  model: ModelSpec,
  req: FastifyRequest,
  reply: FastifyReply,
  { metrics, name, streamLimit, pool, turns }: RouteContext,
): Promise<unknown> {
  const q = req.query as Query;
  const layout = q.layout ?? "compact";
  const firstRow = q.firstRow ?? 0;
  const options = {
    share: q.share,
    critical: q.critical?.split(",").filter((s) => s !== ""),
    firstRow,
  };
  const fields = fieldsOf(model, direction, layout);
  if (typeof req.body === "string") {
    await turns.next();
    const { table, shape } = tableFromJson(parseJson(req.body), fields, firstRow);
    const answer =
      direction === "drift"
        ? driftTable(model, table, options)
        : tableToJsonBytes(await apply(model, direction, table, layout, firstRow, pool), shape);
    // Rows are counted once they went through (a refused body counts as a row error instead).
    metrics.rows.inc({ model: name, direction }, table.rows);
    reply.header("Content-Type", "application/json; charset=utf-8");
    return answer;
  }
  const body = req.body as NodeJS.ReadableStream | undefined;
  if (body === undefined || typeof (body as { pipe?: unknown }).pipe !== "function")
    throw new BodyError(
      "send rows as application/json, text/csv or application/vnd.apache.arrow.stream.",
    );
  const arrow = (req.headers["content-type"] ?? "").startsWith(ARROW_STREAM);
  // A small body (its size announced) is read whole before any work and answered in one piece:
  // Arrow parsed in one go, without the streaming reader's per-message promises; CSV read from
  // memory, so that concurrent requests do not interleave block by block.
  const size = Number(req.headers["content-length"] ?? Number.NaN);
  if (size > streamLimit) throw tooLarge(streamLimit);
  const whole = size <= SMALL_BODY ? await wholeBody(body, size) : null;
  if (whole !== null) await turns.next();
  const source = whole ?? body.pipe(counted(streamLimit));
  const blocks = arrow ? await arrowBlocks(source, fields) : await csvBlocksOf(source, fields);
  const first = await blocks.next();
  if (direction === "drift") {
    const tally = createDriftTally(model);
    let rows = 0;
    for (let r = first; !r.done; r = await blocks.next()) {
      addToDriftTally(model, tally, r.value);
      rows += r.value.rows;
    }
    if (rows === 0) throw new BodyError("the body has no rows.");
    metrics.rows.inc({ model: name, direction }, rows);
    reply.header("Content-Type", "application/json; charset=utf-8");
    return driftReport(model, tally, firstRow, options);
  }
  const run = async (t: Table, at: number) => {
    const out = await apply(model, direction, t, layout, firstRow + at, pool);
    metrics.rows.inc({ model: name, direction }, out.rows);
    return out;
  };
  // The first block is done before the answer starts: its errors are a 400.
  const head = first.done ? null : await run(first.value, 0);
  async function* tables(): AsyncGenerator<Table> {
    if (head === null) return;
    yield head;
    let at = head.rows;
    for (let r = await blocks.next(); !r.done; r = await blocks.next()) {
      yield await run(r.value, at);
      at += r.value.rows;
    }
  }
  if (arrow) {
    const writer = new RecordBatchStreamWriter();
    reply.header("Content-Type", ARROW_STREAM);
    if (whole !== null) {
      const out: Table[] = [];
      for await (const t of tables()) out.push(t);
      if (out.length > 0) return reply.send(writeFlatStream(out));
      writer.finish();
      return reply.send(Buffer.from(writer.toUint8Array(true)));
    }
    const node = writer.toNodeStream();
    void (async () => {
      try {
        for await (const t of tables()) writer.write(batchOfTable(t));
        writer.finish();
        writer.close();
      } catch (err) {
        // A later block failed: end the answer early (an incomplete stream, never a whole one).
        node.destroy(err as Error);
      }
    })();
    reply.header("Content-Type", ARROW_STREAM);
    return reply.send(node);
  }
  reply.header("Content-Type", "text/csv; charset=utf-8");
  if (whole !== null) {
    const parts: Uint8Array[] = [];
    for await (const t of tables()) {
      if (parts.length === 0) parts.push(Buffer.from(csvHeader(t)));
      // Copied at once: the scratch memory serves the next request.
      parts.push(Buffer.from(csvRowBytes(t, "utf8", "the answer", scratch)));
    }
    return reply.send(Buffer.concat(parts));
  }
  async function* csvText(): AsyncGenerator<string> {
    let header = true;
    for await (const t of tables()) {
      yield* csvBlocks(t, header);
      header = false;
    }
  }
  return reply.send(Readable.from(csvText()));
}

/** Bodies up to this size (announced by Content-Length) are read whole (Arrow and CSV). */
const SMALL_BODY = 8 * 2 ** 20;

/** The media type of Arrow IPC streams. */
export const ARROW_STREAM = "application/vnd.apache.arrow.stream";

/** Memory that whole CSV answers are formatted in before they are copied out. */
const scratch = new Uint8Array(2 ** 20);

/**
 * A CSV body's blocks, typed as `fields`: from memory in blocks of about its rows (bytes / 16,
 * so that a small body is one block of its own size; more, smaller blocks give the same answer),
 * or from the request stream in blocks of 16,384 rows.
 */
async function csvBlocksOf(
  source: NodeJS.ReadableStream | Buffer,
  fields: readonly Field[],
): Promise<AsyncIterator<Table>> {
  const options = {
    columns: fields.map((f) => f.name),
    types: Object.fromEntries(fields.map((f) => [f.name, f.type])),
  };
  const stream =
    source instanceof Buffer
      ? await openCsvBytes("the request body", source, {
          ...options,
          blockRows: Math.min(CSV_BLOCK_ROWS, Math.max(64, Math.ceil(source.length / 16))),
        })
      : await openCsvReadableStream("the request body", source as never, {
          ...options,
          blockRows: CSV_BLOCK_ROWS,
        });
  const blocks = stream.blocks();
  return {
    async next() {
      const r = await blocks.next();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value.table };
    },
  };
}

/** An Arrow IPC stream body's record batches as tables of `fields`. */
async function arrowBlocks(
  source: NodeJS.ReadableStream | Uint8Array,
  fields: readonly Field[],
): Promise<AsyncIterator<Table>> {
  // A body in memory of flat columns is read directly; others through apache-arrow's reader.
  const flat = source instanceof Uint8Array ? readFlatStream(source) : null;
  const { specs, batches } =
    flat !== null
      ? { specs: flat.specs, batches: null }
      : source instanceof Uint8Array
        ? await readWhole(source)
        : await openArrowReader("the request body", source as never);
  const wanted = fields.map((f) => {
    const s = specs.find((x) => x.name === f.name);
    if (s === undefined)
      throw new BodyError(
        `the Arrow stream has no column "${f.name}" (it has ${specs.map((x) => x.name).join(", ")}).`,
        undefined,
        f.name,
      );
    return s;
  });
  if (flat !== null) {
    const index = wanted.map((s) => flat.specs.indexOf(s));
    let i = 0;
    return {
      async next() {
        const t = flat.tables[i++];
        return t === undefined
          ? { done: true, value: undefined }
          : { done: false, value: { rows: t.rows, columns: index.map((k) => t.columns[k]!) } };
      },
    };
  }
  return {
    async next() {
      const r = await batches!.next();
      return r.done
        ? { done: true, value: undefined }
        : { done: false, value: tableFromBatch(r.value, wanted) };
    },
  };
}

/**
 * A whole Arrow IPC stream in memory, read synchronously (the streaming reader's per-message
 * promises cost more than a small body's work).
 */
async function readWhole(bytes: Uint8Array): Promise<{
  specs: ColumnSpec[];
  batches: { next(): Promise<IteratorResult<RecordBatch>> };
}> {
  let all: RecordBatch[];
  let fields: ArrowField[];
  try {
    const reader = RecordBatchReader.from(bytes).open();
    fields = reader.schema.fields;
    all = reader.readAll();
  } catch (err) {
    throw new BodyError(`the body is not an Arrow IPC stream (${(err as Error).message}).`);
  }
  const specs = fields.map((f) => {
    const spec = specOfField(f);
    if (spec === null)
      throw new BodyError(
        `column "${f.name}" has Arrow type ${String(f.type)}, which modenorm cannot read.`,
        undefined,
        f.name,
      );
    return spec;
  });
  let i = 0;
  return {
    specs,
    batches: {
      async next() {
        return i < all.length
          ? { done: false, value: all[i++]! }
          : { done: true, value: undefined };
      },
    },
  };
}
