/**
 * The worker side of {@link WorkerPool}: runs one task per message and answers on the parent port.
 */
import { parentPort } from "node:worker_threads";
import { zeroArray } from "../core/array-bin.js";
import { InvalidInputError } from "../core/errors.js";
import { type MixtureStats, statsLength } from "../core/stats.js";
import type { Column, Table } from "../core/table.js";
import { summarizeBlocks, summarizeRanges } from "../core/terms.js";
import { chunkTallies } from "../drift/tally.js";
import { evaluateTable } from "../encode/evaluate.js";
import type { ModelSpec } from "../encode/spec.js";
import { inverseTable, transformTable } from "../encode/table-codec.js";
import { type TableSummary, tableSummaryBuffers } from "../encode/table-summary.js";
import { csvRowBytes } from "../io/csv-bytes.js";
import { readCsvRange } from "../io/csv-range.js";
import { deserializeError, serializeError } from "./errors.js";
import type {
  CsvFormat,
  Reply,
  Request,
  ReusedBlock,
  SummarizeTask,
  Task,
  TaskKind,
  TaskResults,
} from "./protocol.js";
import { addBlock, codecRange, refineRange, summaryRange } from "./range-tasks.js";
import { placeBlock, sharedArraysOf, transferablesOf } from "./table-blocks.js";

const models = new Map<number, ModelSpec>();
const summaries = new Map<number, TableSummary>();

/** Marks the `uncaught` fault: thrown again outside the task. */
class UncaughtFault extends Error {}

function model(key: number): ModelSpec {
  const m = models.get(key);
  if (m === undefined) {
    throw new Error(`worker: model ${key} is not loaded (was the worker restarted?).`);
  }
  return m;
}

function summarize(t: SummarizeTask): Float64Array {
  const X = { data: new Float64Array(t.x, 0, t.rows * t.cols), rows: t.rows, cols: t.cols };
  const w = t.weights === null ? null : new Float64Array(t.weights, 0, t.rows);
  const parts: MixtureStats[] =
    t.starts == null
      ? summarizeBlocks(X, w, t.terms, t.moment, t.firstBlock, t.lastBlock, t.blockRows)
      : summarizeRanges(
          X,
          w,
          t.terms,
          t.moment,
          new Float64Array(t.starts),
          t.firstBlock,
          t.lastBlock,
        );
  const L = statsLength(t.terms.nComponents, t.terms.nFeatures, t.moment);
  const out = new Float64Array(parts.length * L);
  parts.forEach((p, b) => {
    out.set(p.buffer, b * L);
  });
  return out;
}

function run(task: Task, transfer: ArrayBuffer[]): TaskResults[Task["kind"]] | Promise<unknown> {
  switch (task.kind) {
    case "summarize": {
      const out = summarize(task);
      transfer.push(out.buffer as ArrayBuffer);
      return out;
    }
    case "load-model":
      models.set(task.key, task.model);
      return null;
    case "unload-model":
      models.delete(task.key);
      return null;
    case "encode": {
      const out = transformTable(model(task.key), task.table, {
        layout: task.layout,
        firstRow: task.firstRow,
      });
      transfer.push(...transferablesOf(out));
      return out;
    }
    case "decode": {
      const out = inverseTable(model(task.key), task.table);
      transfer.push(...transferablesOf(out));
      return out;
    }
    case "encode-into":
    case "decode-into": {
      const m = model(task.key);
      const into = task.into as Parameters<typeof placeBlock>[1];
      const out =
        task.kind === "encode-into"
          ? transformTable(m, task.table, {
              layout: task.layout,
              firstRow: task.firstRow,
              into: { columns: into, offset: task.offset },
            })
          : inverseTable(m, task.table);
      return placeBlock(out, into, task.offset);
    }
    case "encode-block": {
      const into = task.spare === null ? undefined : { columns: task.spare, offset: 0 };
      const out = transformTable(model(task.key), task.table, {
        layout: task.layout,
        firstRow: task.firstRow,
        into,
      });
      return reusedBlock(out, task.table, task.spare, transfer, task.csv);
    }
    case "decode-block": {
      for (const c of task.spare ?? []) zeroColumn(c);
      const out = inverseTable(model(task.key), task.table, {
        into: task.spare ?? undefined,
        firstRow: task.firstRow,
      });
      return reusedBlock(out, task.table, task.spare, transfer, task.csv);
    }
    case "evaluate":
      return evaluateTable(model(task.key), task.table, { firstRow: task.firstRow });
    case "drift":
      return chunkTallies(model(task.key), task.table, task.firstRow, task.chunkRows);
    case "summary-add":
      summaries.set(
        task.key,
        addBlock(summaries.get(task.key), undefined, task.options, task.table, task.firstRow),
      );
      return null;
    case "summary-range":
      return summaryRange(task, transfer);
    case "refine-range":
      return refineRange(task);
    case "codec-range":
      return codecRange(task);
    case "summary-take": {
      const summary = summaries.get(task.key) ?? null;
      summaries.delete(task.key);
      // Moved, not copied: the worker has no further use for it.
      if (summary !== null) transfer.push(...tableSummaryBuffers(summary));
      return summary;
    }
    case "csv-range": {
      const out = readCsvRange(task.range);
      for (const t of out.parts) transfer.push(...transferablesOf(t));
      return out;
    }
    case "fault":
      switch (task.mode) {
        case "throw":
          throw deserializeError({
            name: task.errorName ?? "Error",
            message: task.message ?? "fault",
          });
        case "exit":
          process.exit(1);
          break;
        case "uncaught":
          // Never answers: the error escapes the task, as a bug in a callback would.
          throw new UncaughtFault(task.message ?? "uncaught fault");
        default:
          throw new InvalidInputError(`worker: unknown fault mode ${String(task.mode)}.`);
      }
      return null;
    default:
      throw new InvalidInputError(`worker: unknown task ${JSON.stringify(task)}.`);
  }
}

/** Zeroes a typed column's values and null mask (spare arrays hold an earlier block's rows). */
function zeroColumn(c: Column | null): void {
  if (c === null || c.type === "string") return;
  zeroArray(c.values);
  c.nulls?.fill(0);
}

/**
 * The reply of a block task: the result (its ordinary buffers transferred), and which of the
 * task's shared arrays it holds (a codec may return an input or spare array as output; the caller
 * has them already and reuses the others, see {@link ReusedBlock}).
 */
function reusedBlock(
  out: Table,
  input: Table,
  spare: (Column | null)[] | null,
  transfer: ArrayBuffer[],
  format: CsvFormat | undefined,
): ReusedBlock {
  const csv =
    format === undefined ? undefined : csvRowBytes(out, format.encoding, format.name, format.into);
  if (csv !== undefined && csv.buffer instanceof ArrayBuffer) transfer.push(csv.buffer);
  transfer.push(...transferablesOf(out));
  const shared = sharedArraysOf(input, spare);
  const sharedRefs: number[] = [];
  const aliased = new Set<number>();
  const refOf = (a: ArrayBufferView | null): number => {
    if (a === null) return -1;
    const k = shared.findIndex(
      (s) =>
        s.buffer === a.buffer &&
        s.byteOffset === a.byteOffset &&
        s.byteLength === a.byteLength &&
        s.constructor === a.constructor,
    );
    if (k >= 0) return k;
    shared.forEach((s, i) => {
      if (s.buffer === a.buffer) aliased.add(i);
    });
    return -1;
  };
  for (const c of out.columns) {
    if (c.type === "string") sharedRefs.push(-1, -1);
    else sharedRefs.push(refOf(c.values), refOf(c.nulls));
  }
  const csvInto = csv !== undefined && format?.into?.buffer === csv.buffer;
  return { table: out, sharedRefs, sharedAliased: [...aliased], csv, csvInto };
}

function post(reply: Reply, transfer: ArrayBuffer[]): void {
  try {
    parentPort!.postMessage(reply, transfer);
  } catch {
    // A buffer that cannot be detached (e.g. WebAssembly memory): send a copy instead.
    parentPort!.postMessage(reply);
  }
}

parentPort!.on("message", (req: Request) => {
  const transfer: ArrayBuffer[] = [];
  const failed = (err: unknown) => {
    if (err instanceof UncaughtFault) {
      setImmediate(() => {
        throw new Error(err.message);
      });
      return;
    }
    post({ id: req.id, ok: false, error: serializeError(err) }, []);
  };
  try {
    const result = run(req.task, transfer);
    if (result instanceof Promise) {
      // Tasks that read (ranges): answered when done.
      result.then(
        (r) => post({ id: req.id, ok: true, result: r as TaskResults[TaskKind] }, transfer),
        failed,
      );
    } else {
      post({ id: req.id, ok: true, result }, transfer);
    }
  } catch (err) {
    failed(err);
  }
});
