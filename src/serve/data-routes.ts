/**
 * The data routes: transform, inverse, score and drift of the rows in a request, with the same
 * results as the CLI (the same library calls; `firstRow` places a request's rows in a larger
 * data set, so a request split in two gives the same rows as one request).
 *
 * JSON bodies (`{"rows": …}` or `{"columns": …}`) are answered in the same shape. CSV bodies are
 * read block by block from the request stream and answered block by block (drift: one JSON
 * report), so a large body never has to fit in memory; the first block is read before the answer
 * starts, so an error in it is a 400, and an error in a later block ends the answer early (an
 * incomplete chunked body, never one that looks complete).
 */
import { Readable, Transform } from "node:stream";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Table } from "../core/table.js";
import { addToDriftTally, createDriftTally, driftReport, driftTable } from "../drift/index.js";
import { scoreTable } from "../encode/score.js";
import type { ModelSpec } from "../encode/spec.js";
import { inverseTable, type Layout, layoutFields, transformTable } from "../encode/table-codec.js";
import { csvBlocks } from "../io/csv-write.js";
import { openCsvReadableStream } from "../io/stream.js";
import { BodyError, type Field, parseJson, tableFromJson, tableToJson } from "./json-table.js";
import type { Metrics } from "./metrics.js";

export const DIRECTIONS = ["transform", "inverse", "score", "drift"] as const;
export type Direction = (typeof DIRECTIONS)[number];

interface Query {
  layout?: Layout;
  firstRow?: number;
  share?: number;
  critical?: string;
}

/** Rows per block of a CSV body. */
const CSV_BLOCK_ROWS = 65_536;

function fieldsOf(model: ModelSpec, direction: Direction, layout: Layout): Field[] {
  if (direction === "inverse") return layoutFields(model, layout);
  return model.columns.map((c) => ({
    name: c.name,
    type: c.dtype,
    ...("unit" in c && c.unit !== undefined ? { unit: c.unit } : {}),
  }));
}

function apply(
  model: ModelSpec,
  direction: Exclude<Direction, "drift">,
  t: Table,
  layout: Layout,
  firstRow: number,
): Table {
  switch (direction) {
    case "transform":
      return transformTable(model, t, { layout, firstRow });
    case "inverse":
      return inverseTable(model, t, { firstRow });
    case "score":
      return scoreTable(model, t);
  }
}

/** Counts a body's bytes and fails it beyond `limit` (413). */
function counted(limit: number): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > limit) {
        const err = Object.assign(new Error(`the body is larger than ${limit} bytes.`), {
          statusCode: 413,
        });
        done(err);
      } else done(null, chunk);
    },
  });
}

export async function dataRoute(
  direction: Direction,
  model: ModelSpec,
  req: FastifyRequest,
  reply: FastifyReply,
  metrics: Metrics,
  name: string,
  csvLimit: number,
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
    const { table, shape } = tableFromJson(parseJson(req.body), fields, firstRow);
    metrics.rows.inc({ model: name, direction }, table.rows);
    reply.header("Content-Type", "application/json; charset=utf-8");
    if (direction === "drift") return driftTable(model, table, options);
    return tableToJson(apply(model, direction, table, layout, firstRow), shape);
  }
  const body = req.body as NodeJS.ReadableStream | undefined;
  if (body === undefined || typeof (body as { pipe?: unknown }).pipe !== "function")
    throw new BodyError("send rows as application/json or text/csv.");
  const source = (body as NodeJS.ReadableStream).pipe(counted(csvLimit));
  const types = Object.fromEntries(fields.map((f) => [f.name, f.type]));
  const stream = await openCsvReadableStream("the request body", source as never, {
    columns: fields.map((f) => f.name),
    types,
    blockRows: CSV_BLOCK_ROWS,
  });
  const blocks = stream.blocks();
  const first = await blocks.next();
  if (direction === "drift") {
    const tally = createDriftTally(model);
    let rows = 0;
    for (let r = first; !r.done; r = await blocks.next()) {
      addToDriftTally(model, tally, r.value.table);
      rows += r.value.table.rows;
    }
    if (rows === 0) throw new BodyError("the body has no rows.");
    metrics.rows.inc({ model: name, direction }, rows);
    reply.header("Content-Type", "application/json; charset=utf-8");
    return driftReport(model, tally, firstRow, options);
  }
  // The first block is done before the answer starts: its errors are a 400.
  const head = first.done
    ? null
    : apply(model, direction, first.value.table, layout, firstRow + first.value.firstRow);
  if (head !== null) metrics.rows.inc({ model: name, direction }, head.rows);
  async function* answer(): AsyncGenerator<string> {
    if (head === null) return;
    yield* csvBlocks(head, true);
    for (let r = await blocks.next(); !r.done; r = await blocks.next()) {
      const out = apply(
        model,
        direction as Exclude<Direction, "drift">,
        r.value.table,
        layout,
        firstRow + r.value.firstRow,
      );
      metrics.rows.inc({ model: name, direction }, out.rows);
      yield* csvBlocks(out, false);
    }
  }
  reply.header("Content-Type", "text/csv; charset=utf-8");
  return reply.send(Readable.from(answer()));
}
