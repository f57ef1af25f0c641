/** The table commands: fit, transform, inverse, evaluate, inspect. */
import type { ColumnType, Table } from "../core/table.js";
import { evaluateTable } from "../encode/evaluate.js";
import { inspectModel } from "../encode/model-file.js";
import type { ColumnKind, ModeChoice, PruneRule, UnseenPolicy } from "../encode/spec.js";
import {
  denseSpans,
  fitTable,
  inverseTable,
  type Layout,
  layoutFields,
  transformTable,
} from "../encode/table-codec.js";
import { readTable, writeTable } from "../io/index.js";
import type { NonNumericPolicy, TextEncoding } from "../io/options.js";
import { decodeParallel, encodeParallel } from "../run/encode-parallel.js";
import {
  aboutFile,
  aboutFileAsync,
  checkOutputPath,
  out,
  readModel,
  typesFromModel,
  writeModel,
} from "./shared.js";

/** Options every reading command takes. */
export interface ReadOptions {
  encoding?: TextEncoding;
  nonNumeric?: NonNumericPolicy;
  escapeChar?: string;
}

export interface FitCommandOptions extends ReadOptions {
  output: string;
  columns?: string[];
  categorical?: string[];
  continuous?: string[];
  integer?: string[];
  log?: string[];
  minmax?: string[];
  datetime?: string[];
  mixed?: Record<string, number[]>;
  seed: number;
  maxModes?: number;
  weightThreshold?: number;
  prior?: number;
  priors?: "weak" | "sklearn";
  modeChoice?: ModeChoice;
  prune?: PruneRule;
  scale?: number;
  unseen?: UnseenPolicy;
  categoryOrder?: "frequency" | "first-seen";
  overwrite?: boolean;
  json?: boolean;
}

const FORCED_TYPE: Partial<Record<ColumnKind, ColumnType>> = {
  continuous: "float64",
  log: "float64",
  mixed: "float64",
  minmax: "float64",
  integer: "int64",
};

/** `modenorm fit`. */
export async function fitCommand(data: string, o: FitCommandOptions): Promise<void> {
  checkOutputPath(o.output, o.overwrite);
  const kinds: Record<string, ColumnKind> = {};
  const lists: [ColumnKind, string[] | undefined][] = [
    ["categorical", o.categorical],
    ["continuous", o.continuous],
    ["integer", o.integer],
    ["log", o.log],
    ["minmax", o.minmax],
    ["datetime", o.datetime],
  ];
  for (const [kind, names] of lists) for (const n of names ?? []) kinds[n] = kind;
  for (const n of Object.keys(o.mixed ?? {})) kinds[n] = "mixed";
  // Columns the user declared numeric are read as numbers, so stray text is reported (or, with
  // --non-numeric null, read as missing) instead of turning the column into text.
  const types: Record<string, ColumnType> = {};
  for (const [n, k] of Object.entries(kinds)) {
    const t = FORCED_TYPE[k];
    if (t !== undefined) types[n] = t;
  }
  const table = await readTable(data, {
    columns: o.columns,
    types,
    encoding: o.encoding,
    nonNumeric: o.nonNumeric,
    escapeChar: o.escapeChar ?? null,
  });
  const model = aboutFile(data, () =>
    fitTable(table, {
      columns: o.columns,
      kinds: Object.fromEntries(Object.entries(kinds).filter(([, k]) => k !== "mixed")),
      mixed: o.mixed,
      seed: o.seed,
      mixture: {
        maxModes: o.maxModes,
        weightThreshold: o.weightThreshold,
        weightConcentrationPrior: o.prior,
        priors: o.priors,
        modeChoice: o.modeChoice,
        prune: o.prune,
        scale: o.scale,
      },
      unseen: o.unseen,
      categoryOrder: o.categoryOrder,
    }),
  );
  await writeModel(o.output, model, o.overwrite);
  if (o.json) {
    out(JSON.stringify({ model: o.output, rows: table.rows, ...inspectModel(model) }));
    return;
  }
  out(`fitted ${model.columns.length} column(s) on ${table.rows} rows → ${o.output}`);
  printInspect(model);
}

function printInspect(model: Parameters<typeof inspectModel>[0]): void {
  for (const c of inspectModel(model).columns) {
    const detail =
      c.modes !== undefined
        ? `${c.modes.length} mode(s)`
        : "categories" in c && Array.isArray(c.categories)
          ? `${c.categories.length} categories`
          : "";
    out(`  ${c.name}: ${c.kind}${detail ? `, ${detail}` : ""}`);
    for (const m of c.modes ?? []) {
      out(
        `    weight ${m.weight.toFixed(4)}  mean ${m.mean.toPrecision(7)}  std ${m.std.toPrecision(7)}`,
      );
    }
  }
}

export interface TransformCommandOptions extends ReadOptions {
  model: string;
  output: string;
  layout: Layout;
  threads?: number;
  overwrite?: boolean;
  json?: boolean;
}

async function readForModel(data: string, modelPath: string, o: ReadOptions) {
  const model = await readModel(modelPath);
  const table = await readTable(data, {
    columns: model.columns.map((c) => c.name),
    types: typesFromModel(model),
    encoding: o.encoding,
    nonNumeric: o.nonNumeric,
    escapeChar: o.escapeChar ?? null,
  });
  return { model, table };
}

/** `modenorm transform`. */
export async function transformCommand(data: string, o: TransformCommandOptions): Promise<void> {
  checkOutputPath(o.output, o.overwrite);
  const { model, table } = await readForModel(data, o.model, o);
  const t0 = performance.now();
  // Worker threads give the same bits as one thread: blocks and per-row randomness are keyed by
  // the global row index, never by the thread count.
  const encoded = await aboutFileAsync(data, () =>
    o.threads === 1
      ? Promise.resolve(transformTable(model, table, { layout: o.layout }))
      : encodeParallel(model, table, { layout: o.layout, threads: o.threads }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await writeTable(o.output, encoded, { overwrite: o.overwrite });
  const summary = {
    output: o.output,
    layout: o.layout,
    rows: table.rows,
    columns: encoded.columns.length,
    encodeSeconds: seconds,
    ...(o.layout === "dense" ? { spans: denseSpans(model) } : {}),
  };
  if (o.json) out(JSON.stringify(summary));
  else
    out(
      `encoded ${table.rows} rows into ${encoded.columns.length} ${o.layout} column(s) → ${o.output}`,
    );
}

export interface InverseCommandOptions extends ReadOptions {
  model: string;
  output: string;
  threads?: number;
  overwrite?: boolean;
  json?: boolean;
}

/** `modenorm inverse`. */
export async function inverseCommand(encodedPath: string, o: InverseCommandOptions): Promise<void> {
  checkOutputPath(o.output, o.overwrite);
  const model = await readModel(o.model);
  // Read the layout's columns with their exact types (an all-integer alpha column must not turn
  // into int64, and residuals beyond 2^53 must stay int64).
  let encoded: Table | null = null;
  let lastError: unknown = null;
  for (const layout of ["compact", "dense"] as const) {
    const fields = layoutFields(model, layout);
    try {
      encoded = await readTable(encodedPath, {
        columns: fields.map((f) => f.name),
        types: Object.fromEntries(
          fields.map((f) => [f.name, f.type === "float32" ? "float64" : f.type]),
        ),
        encoding: o.encoding,
        escapeChar: o.escapeChar ?? null,
      });
      break;
    } catch (err) {
      lastError = err;
    }
  }
  if (encoded === null) {
    // Neither layout's columns are all there: say what is missing for both.
    const header = await readTable(encodedPath, { encoding: o.encoding }).catch(() => null);
    if (header !== null) aboutFile(encodedPath, () => inverseTable(model, header)); // the detailed layout error
    throw lastError;
  }
  const enc = encoded;
  const decoded = await aboutFileAsync(encodedPath, () =>
    o.threads === 1
      ? Promise.resolve(inverseTable(model, enc))
      : decodeParallel(model, enc, { threads: o.threads }),
  );
  await writeTable(o.output, decoded, { overwrite: o.overwrite });
  if (o.json) out(JSON.stringify({ output: o.output, rows: decoded.rows }));
  else out(`decoded ${decoded.rows} rows → ${o.output}`);
}

export interface EvaluateCommandOptions extends ReadOptions {
  model: string;
  json?: boolean;
}

/** `modenorm evaluate`. */
export async function evaluateCommand(data: string, o: EvaluateCommandOptions): Promise<void> {
  const { model, table } = await readForModel(data, o.model, o);
  const result = aboutFile(data, () => evaluateTable(model, table));
  if (o.json) {
    out(JSON.stringify(result));
    return;
  }
  out(`rows ${result.rows}`);
  out(
    "column               kind         exact/rows           literals  GAN clipped  dense max rel err  mean log-lik",
  );
  for (const c of result.columns) {
    out(
      [
        c.name.padEnd(20).slice(0, 20),
        c.kind.padEnd(12),
        `${c.compact.exact}/${c.rows}`.padEnd(20),
        String(c.literals).padStart(8),
        String(c.clipped).padStart(12),
        c.dense.maxRelError.toExponential(2).padStart(18),
        c.meanLogLikelihood === null ? "" : c.meanLogLikelihood.toFixed(4).padStart(13),
      ].join(" "),
    );
  }
  const lost = result.columns.reduce((s, c) => s + (c.rows - c.compact.exact), 0);
  out(
    lost === 0
      ? "every value came back bit for bit (compact layout)"
      : `${lost} value(s) did not come back exactly`,
  );
  if (lost > 0) process.exitCode = 1;
}

/** `modenorm inspect`. */
export async function inspectCommand(modelPath: string, o: { json?: boolean }): Promise<void> {
  const model = await readModel(modelPath);
  if (o.json) {
    out(JSON.stringify({ ...inspectModel(model), dense: denseSpans(model) }));
    return;
  }
  out(`${modelPath}: ${model.columns.length} column(s), seed ${model.seed}`);
  printInspect(model);
}
