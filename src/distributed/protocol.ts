/**
 * What coordinator and workers say to each other through Redis: job payloads and results, with
 * TypeBox schemas every worker checks before it acts (a payload that fails is a poisoned job:
 * it fails once, without retries). Jobs carry part paths, block ranges and small constants,
 * never rows; results carry per-block statistics as base64 of their float64 bytes (BullMQ
 * stores results as JSON, which would lose −0 and NaN and cost 3× the bytes).
 */
import Type, { type Static } from "typebox";
import type { ComponentTerms } from "../core/terms.js";

/** The queue of work jobs; the queue of fold (parent) jobs is `${WORK_QUEUE}-fold`. */
export const DEFAULT_QUEUE = "modenorm";

/** How a part is read: the CLI's reading options. */
export const ReadSpec = Type.Object(
  {
    encoding: Type.Union([Type.Literal("utf8"), Type.Literal("latin1")]),
    escapeChar: Type.Union([Type.String({ minLength: 1, maxLength: 1 }), Type.Null()]),
    nonNumeric: Type.Union([Type.Literal("error"), Type.Literal("null")]),
  },
  { additionalProperties: false },
);
export type ReadSpec = Static<typeof ReadSpec>;

const Base64 = Type.String({ maxLength: 256 * 2 ** 20, pattern: "^[A-Za-z0-9+/]*={0,2}$" });

/** What every work job names: the run, the build, the part and how to read it. */
const PartFields = {
  run: Type.String({ pattern: "^[0-9a-f]{16}$" }),
  build: Type.String({ pattern: "^[0-9a-f]{16}$" }),
  /** Absolute path of the part, inside the worker's data root. */
  part: Type.String({ minLength: 1, maxLength: 4096 }),
  /** The part's index in the run (its place in the fold). */
  index: Type.Integer({ minimum: 0 }),
  /** Size and modification time the coordinator saw: a changed part is refused. */
  size: Type.Integer({ minimum: 0 }),
  mtimeMs: Type.Number({ minimum: 0 }),
  read: ReadSpec,
  columns: Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
    minItems: 1,
    maxItems: 4096,
  }),
  missing: Type.Union([Type.Literal("error"), Type.Literal("skip")]),
};

/** Count a part's rows (and load it into the worker's cache). */
export const ScanJob = Type.Object(
  { kind: Type.Literal("scan"), ...PartFields },
  { additionalProperties: false },
);
/** The part's kept rows at `indices` (ascending, within the part; float64 bytes). */
export const RowsJob = Type.Object(
  { kind: Type.Literal("rows"), ...PartFields, indices: Base64 },
  { additionalProperties: false },
);
/** The E-step over blocks [firstBlock, lastBlock) of the part. */
export const EstepJob = Type.Object(
  {
    kind: Type.Literal("estep"),
    ...PartFields,
    firstBlock: Type.Integer({ minimum: 0 }),
    lastBlock: Type.Integer({ minimum: 0 }),
    terms: Type.Object(
      {
        nComponents: Type.Integer({ minimum: 1, maximum: 10_000 }),
        nFeatures: Type.Integer({ minimum: 1, maximum: 4096 }),
        covarianceType: Type.Union([
          Type.Literal("full"),
          Type.Literal("tied"),
          Type.Literal("diag"),
          Type.Literal("spherical"),
        ]),
        logConst: Base64,
        means: Base64,
        precChol: Base64,
      },
      { additionalProperties: false },
    ),
    moment: Type.Union([Type.Literal("full"), Type.Literal("diag")]),
    standardize: Type.Union([
      Type.Object(
        { center: Type.Array(Type.Number()), scale: Type.Array(Type.Number()) },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);
export type ScanJob = Static<typeof ScanJob>;
export type RowsJob = Static<typeof RowsJob>;
export type EstepJob = Static<typeof EstepJob>;
/** The jobs of a distributed clustering. */
export type ClusterJob = ScanJob | RowsJob | EstepJob;

/** Results of the work jobs. */
export interface ScanResult {
  index: number;
  inputRows: number;
  kept: number;
  /** Blocks of the part (runs of CLUSTER_BLOCK_ROWS input rows). */
  blocks: number;
}
export interface RowsResult {
  index: number;
  rows: string;
}
export interface EstepResult {
  index: number;
  firstBlock: number;
  /** lastBlock − firstBlock blocks' statistics, one after another (float64 bytes). */
  stats: string;
}
export type ClusterResult = ScanResult | RowsResult | EstepResult;

/** Float64 values as base64 of their bytes (little-endian, as the machine holds them). */
export function toBase64(a: Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
}

/** The float64 values of {@link toBase64} text. */
export function fromBase64(text: string): Float64Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length % 8 !== 0)
    throw new Error("float64 data: the byte count is not a multiple of 8");
  const out = new Float64Array(bytes.length / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** E-step constants as a job carries them (float64 arrays as base64). */
export function termsToJob(t: ComponentTerms): EstepJob["terms"] {
  return {
    nComponents: t.nComponents,
    nFeatures: t.nFeatures,
    covarianceType: t.covarianceType,
    logConst: toBase64(t.logConst),
    means: toBase64(t.means),
    precChol: toBase64(t.precChol),
  };
}

/** The E-step constants a job carries. */
export function termsFromJob(t: EstepJob["terms"]): ComponentTerms {
  return {
    nComponents: t.nComponents,
    nFeatures: t.nFeatures,
    covarianceType: t.covarianceType,
    logConst: fromBase64(t.logConst),
    means: fromBase64(t.means),
    precChol: fromBase64(t.precChol),
  };
}
