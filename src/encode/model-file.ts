/**
 * The model file: {@link ModelSpec} as pretty-printed JSON, written in a stable key order and read
 * back with every field validated. One schema table drives both: it lists each object's fields in
 * the order they are written, with the rule each value must follow; cross-field checks (shapes,
 * sums, orderings) sit in a second, per-kind table.
 */
import { InvalidInputError } from "../core/errors.js";
import type { ColumnType, TimeUnit } from "../core/table.js";
import { CDF_BINS } from "./baseline.js";
import { CATEGORICAL_DTYPES, isCanonicalCategory } from "./categorical.js";
import {
  CLUSTER_FORMAT,
  type ColumnKind,
  type ColumnSpec,
  MODEL_FORMAT,
  MODEL_VERSION,
  type ModelSpec,
  type ModeSpec,
} from "./spec.js";

/** Model file versions this build reads (1 has no drift baseline, 1 and 2 no fit trace). */
export const READABLE_VERSIONS: readonly number[] = [1, 2, MODEL_VERSION];

/** Tolerance of Σ weights = 1 for a mixture column's modes. */
export const WEIGHT_SUM_TOLERANCE = 1e-6;

const COLUMN_TYPES: readonly ColumnType[] = [
  "float64",
  "float32",
  "int64",
  "int32",
  "bool",
  "string",
  "timestamp",
];
const TIME_UNITS: readonly TimeUnit[] = ["s", "ms", "us", "ns"];
const MIXTURE_KINDS = ["continuous", "integer", "datetime", "log", "mixed"] as const;
const KINDS: readonly ColumnKind[] = [...MIXTURE_KINDS, "minmax", "categorical"];

/** A validation failure at a JSON path; turned into an InvalidInputError naming the source. */
class Problem {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

function fail(path: string, message: string): never {
  throw new Problem(path, message);
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === "string")
    return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  if (typeof v === "object") return "an object";
  return String(v);
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A rule: `check` throws a Problem; `order` copies a checked value with keys in schema order. */
interface Rule {
  check(v: unknown, path: string): void;
  order?(v: unknown): unknown;
}

function leaf(test: (v: unknown) => boolean, expected: string): Rule {
  return {
    check(v, path) {
      if (!test(v)) fail(path, `must be ${expected}, got ${show(v)}`);
    },
  };
}

const finiteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

const R = {
  string: leaf((v) => typeof v === "string", "a string"),
  name: leaf((v) => typeof v === "string" && v.length > 0, "a non-empty string"),
  boolean: leaf((v) => typeof v === "boolean", "true or false"),
  finite: leaf(finiteNumber, "a finite number"),
  finiteOrNull: leaf((v) => v === null || finiteNumber(v), "a finite number or null"),
  positive: leaf((v) => finiteNumber(v) && v > 0, "a finite number > 0"),
  nonNegative: leaf((v) => finiteNumber(v) && v >= 0, "a finite number ≥ 0"),
  count: leaf((v) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0, "an integer ≥ 0"),
  oneOf<T extends string>(values: readonly T[]): Rule {
    return leaf(
      (v) => typeof v === "string" && (values as readonly string[]).includes(v),
      `one of ${values.map((x) => `"${x}"`).join(", ")}`,
    );
  },
  arrayOf(item: Rule): Rule {
    return {
      check(v, path) {
        if (!Array.isArray(v)) fail(path, `must be an array, got ${show(v)}`);
        for (let i = 0; i < v.length; i++) item.check(v[i], `${path}[${i}]`);
      },
      order(v) {
        return item.order === undefined ? [...(v as unknown[])] : (v as unknown[]).map(item.order);
      },
    };
  },
  object(shape: Shape): Rule {
    return {
      check(v, path) {
        if (!isObject(v)) fail(path, `must be an object, got ${show(v)}`);
        for (const f of shape) {
          const x = v[f.key];
          const at = join(path, f.key);
          if (x === undefined) {
            if (!f.optional) fail(at, "is missing");
          } else f.rule.check(x, at);
        }
        for (const k of Object.keys(v)) {
          if (v[k] !== undefined && !shape.some((f) => f.key === k)) {
            fail(
              join(path, k),
              `is not a field of this object (known: ${shape.map((f) => f.key).join(", ")})`,
            );
          }
        }
      },
      order(v) {
        const o: Obj = {};
        for (const f of shape) {
          const x = (v as Obj)[f.key];
          if (x !== undefined) o[f.key] = f.rule.order === undefined ? x : f.rule.order(x);
        }
        return o;
      },
    };
  },
};

interface Field {
  key: string;
  rule: Rule;
  optional?: boolean;
}
type Shape = readonly Field[];

const req = (key: string, rule: Rule): Field => ({ key, rule });
const opt = (key: string, rule: Rule): Field => ({ key, rule, optional: true });

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

const MODE_SHAPE: Shape = [
  req("weight", R.nonNegative),
  req("mean", R.finite),
  req("std", R.positive),
];

const share = leaf((v) => finiteNumber(v) && v >= 0 && v <= 1, "a number in [0, 1]");

const BASELINE_SHAPE: Shape = [
  req("size", R.positive),
  req("min", R.finite),
  req("max", R.finite),
  req("occupancy", R.arrayOf(share)),
  req("fitted", R.positive),
  req("lowCut", R.finite),
  req("lowShare", share),
  req("clippedMean", R.finite),
  req("clippedStd", R.nonNegative),
  req("cdf", R.arrayOf(share)),
];

const FIT_SHAPE: Shape = [
  req("iterations", R.count),
  req("converged", R.boolean),
  req("tol", R.positive),
  req("bounds", R.arrayOf(R.finite)),
];

const TAIL: Shape = [req("nullable", R.boolean), req("rows", R.count), req("nullCount", R.count)];

/** Every kind's fields, in the order they are written. */
const COLUMN_SHAPES: Record<"mixture" | "minmax" | "categorical", Shape> = {
  mixture: [
    req("name", R.name),
    req("kind", R.oneOf(MIXTURE_KINDS)),
    req("dtype", R.oneOf(COLUMN_TYPES)),
    opt("unit", R.oneOf(TIME_UNITS)),
    req("modes", R.arrayOf(R.object(MODE_SHAPE))),
    req("scale", R.positive),
    req("modeChoice", R.oneOf(["sample", "argmax"])),
    opt("offset", R.finite),
    opt("modalValues", R.arrayOf(R.finite)),
    ...TAIL,
    req("meanLogLikelihood", R.finiteOrNull),
    opt("baseline", R.object(BASELINE_SHAPE)),
    opt("fit", R.object(FIT_SHAPE)),
  ],
  minmax: [
    req("name", R.name),
    req("kind", R.oneOf(["minmax"])),
    req("dtype", R.oneOf(COLUMN_TYPES.filter((t) => t !== "string"))),
    opt("unit", R.oneOf(TIME_UNITS)),
    req("min", R.finite),
    req("max", R.finite),
    ...TAIL,
  ],
  categorical: [
    req("name", R.name),
    req("kind", R.oneOf(["categorical"])),
    req("dtype", R.oneOf(CATEGORICAL_DTYPES)),
    req("categories", R.arrayOf(R.string)),
    req("order", R.oneOf(["frequency", "first-seen"])),
    req("counts", R.arrayOf(R.count)),
    req("unseen", R.oneOf(["error", "other"])),
    ...TAIL,
  ],
};

/** Cross-field checks, run after the column's shape checked out. */
type Check = (c: Obj, path: string) => void;

const COMMON_CHECKS: Check[] = [
  (c, p) => {
    if ((c.nullCount as number) > (c.rows as number))
      fail(join(p, "nullCount"), `is ${c.nullCount}, more than rows (${c.rows})`);
  },
  (c, p) => {
    if (c.dtype === "timestamp" && c.unit === undefined)
      fail(join(p, "unit"), `is missing (a timestamp column needs its unit: s, ms, us or ns)`);
    if (c.dtype !== "timestamp" && c.unit !== undefined)
      fail(join(p, "unit"), `is set, but dtype is "${c.dtype}", not "timestamp"`);
  },
];

const KIND_CHECKS: Record<"mixture" | "minmax" | "categorical", Check[]> = {
  mixture: [
    (c, p) => {
      const modes = c.modes as ModeSpec[];
      if (modes.length === 0) fail(join(p, "modes"), "is empty (a mixture column needs ≥ 1 mode)");
      let sum = 0;
      for (const m of modes) sum += m.weight;
      if (!(Math.abs(sum - 1) <= WEIGHT_SUM_TOLERANCE))
        fail(join(p, "modes"), `weights sum to ${sum}, not 1 (± ${WEIGHT_SUM_TOLERANCE})`);
    },
    (c, p) => {
      if (c.kind === "log" && c.offset === undefined)
        fail(join(p, "offset"), `is missing (a log column needs its offset)`);
      if (c.kind === "mixed" && c.modalValues === undefined)
        fail(join(p, "modalValues"), `is missing (a mixed column needs its modal values)`);
    },
    (c, p) => {
      const f = c.fit as Obj | undefined;
      if (f !== undefined && (f.bounds as unknown[]).length !== f.iterations)
        fail(
          join(p, "fit.bounds"),
          `has ${(f.bounds as unknown[]).length} entries, but fit.iterations is ${f.iterations}`,
        );
    },
    (c, p) => {
      const b = c.baseline as Obj | undefined;
      if (b === undefined) return;
      const slots = (c.modes as unknown[]).length + ((c.modalValues as unknown[]) ?? []).length + 1;
      const occupancy = b.occupancy as number[];
      const cdf = b.cdf as number[];
      if (occupancy.length !== slots)
        fail(
          join(p, "baseline.occupancy"),
          `has ${occupancy.length} entries, but the column has ${slots} slots (modes, modal values, literal)`,
        );
      if (cdf.length !== CDF_BINS)
        fail(join(p, "baseline.cdf"), `has ${cdf.length} entries, not ${CDF_BINS}`);
      if ((b.min as number) > (b.max as number))
        fail(join(p, "baseline.min"), `is ${b.min}, greater than max (${b.max})`);
      if ((b.fitted as number) > (b.size as number))
        fail(join(p, "baseline.fitted"), `is ${b.fitted}, more than size (${b.size})`);
    },
    (c, p) => {
      const mv = (c.modalValues as number[] | undefined) ?? [];
      for (let j = 0; j < mv.length; j++) {
        const k = mv.findIndex((x) => Object.is(x, mv[j]));
        if (k < j) fail(join(p, `modalValues[${j}]`), `duplicates modalValues[${k}] (${mv[j]})`);
      }
    },
  ],
  minmax: [
    (c, p) => {
      if ((c.min as number) > (c.max as number))
        fail(join(p, "min"), `is ${c.min}, greater than max (${c.max})`);
    },
  ],
  categorical: [
    (c, p) => {
      const cats = c.categories as string[];
      const counts = c.counts as number[];
      if (counts.length !== cats.length) {
        fail(
          join(p, "counts"),
          `has ${counts.length} entries, but categories has ${cats.length}; they must align`,
        );
      }
      const seen = new Map<string, number>();
      for (let j = 0; j < cats.length; j++) {
        const k = seen.get(cats[j]!);
        if (k !== undefined) fail(join(p, `categories[${j}]`), `duplicates categories[${k}]`);
        seen.set(cats[j]!, j);
        if (!isCanonicalCategory(c.dtype as ColumnType, cats[j]!)) {
          fail(
            join(p, `categories[${j}]`),
            `is ${show(cats[j])}, which is not the canonical text of a value of dtype ${c.dtype} (e.g. "1", "-0", "NaN", "true")`,
          );
        }
      }
      let sum = 0;
      for (const n of counts) sum += n;
      const expected = (c.rows as number) - (c.nullCount as number);
      if (sum !== expected)
        fail(join(p, "counts"), `sum to ${sum}, but rows − nullCount is ${expected}`);
      if (c.order === "frequency") {
        for (let j = 1; j < counts.length; j++) {
          if (counts[j]! > counts[j - 1]!) {
            fail(
              join(p, `counts[${j}]`),
              `is ${counts[j]}, more than counts[${j - 1}] (${counts[j - 1]}), but order is "frequency"`,
            );
          }
        }
      }
    },
  ],
};

function family(kind: ColumnKind): "mixture" | "minmax" | "categorical" {
  return kind === "minmax" || kind === "categorical" ? kind : "mixture";
}

/** A column: dispatch on `kind`, then its shape, then the cross checks. */
const COLUMN: Rule = {
  check(v, path) {
    if (!isObject(v)) fail(path, `must be an object, got ${show(v)}`);
    const kind = v.kind;
    if (kind === undefined) fail(join(path, "kind"), "is missing");
    if (typeof kind !== "string" || !(KINDS as readonly string[]).includes(kind)) {
      fail(
        join(path, "kind"),
        `is ${show(kind)}, not a kind this build knows (${KINDS.join(", ")})`,
      );
    }
    const fam = family(kind as ColumnKind);
    R.object(COLUMN_SHAPES[fam]).check(v, path);
    for (const check of [...COMMON_CHECKS, ...KIND_CHECKS[fam]]) check(v, path);
  },
  order(v) {
    return R.object(COLUMN_SHAPES[family((v as Obj).kind as ColumnKind)]).order!(v);
  },
};

const COLUMNS: Rule = {
  check(v, path) {
    R.arrayOf(COLUMN).check(v, path);
    if ((v as Obj[]).length === 0) fail(path, "is empty (a model describes at least one column)");
    const first = new Map<string, number>();
    (v as Obj[]).forEach((c, i) => {
      const k = first.get(c.name as string);
      if (k !== undefined)
        fail(
          `${path}[${i}].name`,
          `is ${JSON.stringify(c.name)}, already the name of ${path}[${k}]`,
        );
      first.set(c.name as string, i);
    });
  },
  order: R.arrayOf(COLUMN).order!,
};

const MODEL_SHAPE: Shape = [
  req("format", R.oneOf([MODEL_FORMAT])),
  req("version", R.count),
  req("seed", R.count),
  req("columns", COLUMNS),
];
const MODEL = R.object(MODEL_SHAPE);

const READ_FIX =
  "The file is damaged or was edited by hand: refit the model (modenorm fit) or restore the file.";
const WRITE_FIX = "The model was built wrongly; this is a bug in the code that made it.";

/** Checks `format` and `version` first, so another file type or version gets a precise message. */
function validate(v: unknown, subject: string, fix: string): asserts v is ModelSpec {
  try {
    if (!isObject(v)) fail("", `the top level must be an object, got ${show(v)}`);
    if (v.format === CLUSTER_FORMAT) {
      throw new InvalidInputError(
        `${subject}: is a clustering model (written by modenorm cluster); this command needs a model written by modenorm fit. Inspect it with modenorm inspect.`,
      );
    }
    if (v.format !== MODEL_FORMAT) {
      throw new InvalidInputError(
        `${subject}: format is ${show(v.format)}, not "${MODEL_FORMAT}": this is not a modenorm model file. Pass a file written by modenorm fit.`,
      );
    }
    if (typeof v.version !== "number" || !READABLE_VERSIONS.includes(v.version)) {
      throw new InvalidInputError(
        `${subject}: version is ${show(v.version)}, but this build of modenorm reads version ${READABLE_VERSIONS.join(", ")} only. Use the modenorm version that wrote the file, or refit the model with this one.`,
      );
    }
    MODEL.check(v, "");
    if (v.version === 1) {
      const at = (v.columns as Obj[]).findIndex((c) => c.baseline !== undefined);
      if (at >= 0) fail(`columns[${at}].baseline`, "is set, but version 1 files have no baseline");
    }
    if (v.version !== MODEL_VERSION) {
      const at = (v.columns as Obj[]).findIndex((c) => c.fit !== undefined);
      if (at >= 0)
        fail(`columns[${at}].fit`, `is set, but version ${v.version} files have no fit trace`);
    }
  } catch (e) {
    if (e instanceof Problem) {
      throw new InvalidInputError(
        `${subject}: ${e.path === "" ? "" : `${e.path} `}${e.message}. ${fix}`,
      );
    }
    throw e;
  }
}

/** JSON text of a value, 2-space indented like JSON.stringify, but −0 written as -0. */
function write(v: unknown, indent: string): string {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : JSON.stringify(v);
  if (typeof v !== "object" || v === null) return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => inner + write(x, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return "{}";
  const body = entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${write(x, inner)}`);
  return `{\n${body.join(",\n")}\n${indent}}`;
}

/**
 * The model file's text: keys in a fixed order (the schema's), 2-space indentation, numbers in
 * shortest round-trip form (−0 kept as `-0`); no final newline (as JSON.stringify).
 * @throws InvalidInputError when the model would not pass {@link modelFromJson}, e.g. a NaN or
 *   ±Infinity anywhere (JSON cannot hold them), with the JSON path of the offending field.
 */
export function modelToJson(model: ModelSpec): string {
  validate(model, "model", WRITE_FIX);
  return write(MODEL.order!(model), "");
}

/**
 * Offset of the first JSON syntax error in text (a small recursive-descent checker; V8's messages
 * do not always carry a position), or −1 if it finds none.
 */
function syntaxErrorOffset(text: string): number {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{" || c === "[") {
      const close = c === "{" ? "}" : "]";
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === "{") {
          ws();
          if (text[i] !== '"') throw i;
          string();
          ws();
          if (text[i] !== ":") throw i;
          i++;
        }
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === close) {
          i++;
          return;
        } else throw i;
      }
    }
    if (c === '"') {
      string();
      return;
    }
    for (const lit of ["true", "false", "null"]) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) i = NUMBER.lastIndex;
    else throw i;
  };
  const string = (): void => {
    i++;
    while (i < text.length) {
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return;
      }
      if (ch < 0x20) throw i;
      if (ch === 0x5c) {
        const e = text[i + 1];
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6;
        else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw i + 1;
      } else i++;
    }
    throw i;
  };
  try {
    value();
    ws();
    return i < text.length ? i : -1;
  } catch (e) {
    return typeof e === "number" ? e : -1;
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `line ${line}, column ${column} (offset ${offset})`;
}

/**
 * Parses and validates a model file.
 * @param text the file's contents.
 * @param source named in error messages (the file path); default "model".
 * @throws InvalidInputError naming the source, the JSON path (e.g. `columns[2].modes[1].std`) and
 *   the problem: not JSON (with line and column), wrong `format`, unsupported `version`, missing,
 *   unknown or mistyped fields, non-finite or out-of-range numbers (negative weights, std or scale
 *   ≤ 0, min > max), mode weights not summing to 1 ± 1e-6, misaligned counts / categories,
 *   non-canonical or duplicate categories, unknown kinds, duplicate column names.
 */
export function modelFromJson(text: string, source?: string): ModelSpec {
  const subject = source === undefined ? "model" : `model file "${source}"`;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    const at = syntaxErrorOffset(text);
    const where = at >= 0 ? ` at ${lineColumn(text, at)}` : "";
    throw new InvalidInputError(
      `${subject}: not valid JSON${where}: ${(e as Error).message}. Pass the file written by modenorm fit, or restore it.`,
    );
  }
  validate(v, subject, READ_FIX);
  return v;
}

/** One column of {@link inspectModel}. */
export interface InspectedColumn {
  name: string;
  kind: ColumnKind;
  /** Mixture kinds: the kept modes, in encoding order. */
  modes?: ModeSpec[];
  /** Categorical: the categories, in index order. */
  categories?: string[];
  /** Minmax: the fitted range. */
  min?: number;
  max?: number;
}

/** The shape of `modenorm inspect --json`. */
export interface ModelInspection {
  columns: InspectedColumn[];
}

/**
 * A summary of a model, the stable shape of `modenorm inspect --json`:
 * `{"columns":[{"name":…,"kind":…,"modes":[{"weight":…,"mean":…,"std":…}]}]}` — `modes` for the
 * mixture kinds, `categories` for categorical, `min` and `max` for minmax. Keys in this order.
 */
export function inspectModel(model: ModelSpec): ModelInspection {
  return {
    columns: model.columns.map((c: ColumnSpec): InspectedColumn => {
      const out: InspectedColumn = { name: c.name, kind: c.kind };
      if (c.kind === "categorical") out.categories = [...c.categories];
      else if (c.kind === "minmax") {
        out.min = c.min;
        out.max = c.max;
      } else out.modes = c.modes.map((m) => ({ weight: m.weight, mean: m.mean, std: m.std }));
      return out;
    }),
  };
}
