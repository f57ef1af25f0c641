/**
 * The jobs of distributed table commands (transform, inverse, evaluate, fit): each names global
 * rows of the input (the parts they lie in and the rows of the first part before them), how to
 * read them, and what to do with them; never the rows themselves. Schemas as in `protocol.ts`.
 */
import Type, { type Static } from "typebox";
import { ReadSpec } from "./protocol.js";

/** A part as the coordinator saw it: a changed part is refused. */
const FileStamp = Type.Object(
  {
    path: Type.String({ minLength: 1, maxLength: 4096 }),
    size: Type.Integer({ minimum: 0 }),
    mtimeMs: Type.Number({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type FileStamp = Static<typeof FileStamp>;

const ColumnTypeSchema = Type.Union([
  Type.Literal("float64"),
  Type.Literal("int64"),
  Type.Literal("int32"),
  Type.Literal("float32"),
  Type.Literal("bool"),
  Type.Literal("string"),
  Type.Literal("timestamp"),
]);

/** How the input is read: the columns, their types, the CSV options. */
const InputFields = {
  run: Type.String({ pattern: "^[0-9a-f]{16}$" }),
  build: Type.String({ pattern: "^[0-9a-f]{16}$" }),
  /** The job's place in its step's fold. */
  index: Type.Integer({ minimum: 0 }),
  read: ReadSpec,
  columns: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), { maxItems: 65_536 }),
  types: Type.Record(Type.String({ maxLength: 1024 }), ColumnTypeSchema),
};

/** Global rows [firstRow, firstRow + rows), `skip` rows into the first part. */
const RangeFields = {
  files: Type.Array(FileStamp, { minItems: 1, maxItems: 1_000_000 }),
  skip: Type.Integer({ minimum: 0 }),
  rows: Type.Integer({ minimum: 0 }),
  firstRow: Type.Integer({ minimum: 0 }),
  blockRows: Type.Integer({ minimum: 1, maximum: 2 ** 30 }),
};

/** The model, as its file's JSON (validated by the worker as the command line validates it). */
const ModelText = Type.String({ minLength: 2, maxLength: 64 * 2 ** 20 });

/** Count the rows of one part. */
export const CountJob = Type.Object(
  { kind: Type.Literal("count"), ...InputFields, file: FileStamp },
  { additionalProperties: false },
);

/** Encode or decode a range into shard `index` of the output being written in `output.dir`. */
export const CodecJob = Type.Object(
  {
    kind: Type.Union([Type.Literal("encode"), Type.Literal("decode")]),
    ...InputFields,
    ...RangeFields,
    model: ModelText,
    layout: Type.Union([Type.Literal("compact"), Type.Literal("dense")]),
    output: Type.Object(
      {
        /** The partial directory the shard goes into. */
        dir: Type.String({ minLength: 1, maxLength: 4096 }),
        /** The output's name (in messages). */
        name: Type.String({ minLength: 1, maxLength: 4096 }),
        format: Type.Union([
          Type.Literal("parquet"),
          Type.Literal("csv"),
          Type.Literal("csv.gz"),
          Type.Literal("arrow"),
        ]),
        compression: Type.Union([Type.Literal("none"), Type.Literal("zstd")]),
        encoding: Type.Union([Type.Literal("utf8"), Type.Literal("latin1")]),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

/** Evaluate the round trip of a range: one evaluation per block. */
export const EvaluateJob = Type.Object(
  { kind: Type.Literal("evaluate"), ...InputFields, ...RangeFields, model: ModelText },
  { additionalProperties: false },
);

/** JSON made by `toExactJson` (options, specs): parsed and checked by the code that uses it. */
const ExactJson = Type.String({ minLength: 2, maxLength: 16 * 2 ** 20 });

/**
 * A fit's summary of a range (options: the summary options with every column's kind), its
 * sample left empty, with a histogram of the row hashes each mixture column would sample.
 */
export const SummaryJob = Type.Object(
  { kind: Type.Literal("summary"), ...InputFields, ...RangeFields, options: ExactJson },
  { additionalProperties: false },
);

/** The rows of a range that mixture columns sample below their thresholds. */
export const SampleJob = Type.Object(
  {
    kind: Type.Literal("sample"),
    ...InputFields,
    ...RangeFields,
    seed: Type.Number(),
    sampleSize: Type.Integer({ minimum: 1, maximum: 2 ** 30 }),
    samples: Type.Array(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 1024 }),
          kind: Type.Union([
            Type.Literal("continuous"),
            Type.Literal("integer"),
            Type.Literal("datetime"),
            Type.Literal("log"),
            Type.Literal("mixed"),
          ]),
          threshold: Type.Integer({ minimum: 0, maximum: 2 ** 32 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 65_536 },
    ),
  },
  { additionalProperties: false },
);

/** A refinement pass's statistics of a range, per block (specs: the columns' specs). */
export const RefineJob = Type.Object(
  { kind: Type.Literal("refine"), ...InputFields, ...RangeFields, specs: ExactJson },
  { additionalProperties: false },
);

export type SummaryJob = Static<typeof SummaryJob>;
export type SampleJob = Static<typeof SampleJob>;
export type RefineJob = Static<typeof RefineJob>;
export type CountJob = Static<typeof CountJob>;
export type CodecJob = Static<typeof CodecJob>;
export type EvaluateJob = Static<typeof EvaluateJob>;
export type TableJob = CountJob | CodecJob | EvaluateJob | SummaryJob | SampleJob | RefineJob;

/** Results of the table jobs. */
export interface CountResult {
  index: number;
  rows: number;
}
/** The shard's manifest entry. */
export interface CodecResult {
  index: number;
  file: string;
  firstRow: number;
  rows: number;
  bytes: number;
  edges?: string;
}
export interface EvaluateResult {
  index: number;
  /** The blocks' evaluations in block order, as {@link toExactJson} text. */
  blocks: string;
}
/** Base64 of V8's serialization (typed arrays, maps and every number kept). */
export interface SummaryResult {
  index: number;
  /** `{ summary: TableSummary, histograms: Record<column, Uint32Array> }`. */
  summary: string;
}
export interface SampleResult {
  index: number;
  /** `ColumnSummary[]`, in the job's `samples` order. */
  samples: string;
}
export interface RefineResult {
  index: number;
  /** Per block, per spec: the block's statistics, or null (no value took part); exact JSON. */
  blocks: string;
}
export type TableResult =
  | CountResult
  | CodecResult
  | EvaluateResult
  | SummaryResult
  | SampleResult
  | RefineResult;

/**
 * JSON that keeps every number: ±Infinity, NaN and −0 (which `JSON.stringify` turns into null
 * or 0) are written as `{"$n": "-Infinity"}` and so on.
 */
export function toExactJson(value: unknown): string {
  return JSON.stringify(value, (_, v) =>
    typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))
      ? { $n: Object.is(v, -0) ? "-0" : String(v) }
      : v,
  );
}

/** The value of {@link toExactJson} text. */
export function fromExactJson(text: string): unknown {
  return JSON.parse(text, (_, v) =>
    v !== null && typeof v === "object" && typeof v.$n === "string" && Object.keys(v).length === 1
      ? Number(v.$n)
      : v,
  );
}
