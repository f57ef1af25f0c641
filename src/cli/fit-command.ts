/** `modenorm fit`: one streaming pass of mergeable summaries, then the fit, written as a model file. */
import type { ColumnType } from "../core/table.js";
import { inspectModel } from "../encode/model-file.js";
import type { ColumnKind, ModeChoice, PruneRule, UnseenPolicy } from "../encode/spec.js";
import { checkOverwrite, tableFormatOf } from "../io/index.js";
import type { TableStream } from "../io/stream.js";
import { WorkerPool } from "../run/pool.js";
import { defaultReaderThreads, type FitStreamOptions, fitStream } from "../run/stream-fit.js";
import { openInput, type ReadOptions, type StreamOptions, wantsProgress } from "./command-io.js";
import { printInspect } from "./inspect.js";
import { checkColumnsExist, checkDatetimeColumns } from "./option-checks.js";
import { peakRssMB } from "./peer.js";
import { startProgress } from "./progress.js";
import { firstBlock, queueInput, type RedisOptions, redisRun } from "./queue-input.js";
import {
  aboutFile,
  aboutFileAsync,
  checkOutputPath,
  commandSeconds,
  out,
  writeModel,
} from "./shared.js";
import { noteOutput } from "./signals.js";

export interface FitCommandOptions extends ReadOptions, RedisOptions {
  output: string;
  /** Worker threads that read CSV files. */
  threads?: number;
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

type FitOptions = FitCommandOptions & StreamOptions & { refinePasses?: number };

/** `modenorm fit`: one streaming pass of mergeable summaries, then the fit. */
export async function fitCommand(data: string, o: FitOptions): Promise<void> {
  checkOutputPath(o.output, o.overwrite);
  noteOutput(o.output);
  // The summary worker, and for a CSV file its readers, load while the input is opened and its
  // types inferred (about 0.15 s of 10M rows' fit).
  if (o.redis !== undefined) return fitWith(data, o, {});
  const pools = {
    summary: new WorkerPool({ size: 1 }),
    readers:
      tableFormatOf(data) === "csv"
        ? new WorkerPool({ size: o.threads ?? defaultReaderThreads() })
        : undefined,
  };
  try {
    await fitWith(data, o, pools);
  } finally {
    await pools.summary.close();
    await pools.readers?.close();
  }
}

/** The fit on queue workers (`--redis`): the input's first block here, every pass there. */
async function redisFitOf(
  stream: TableStream,
  o: FitOptions,
  options: FitStreamOptions,
  redis: string,
) {
  const first = await firstBlock(stream);
  const input = await queueInput(stream, o);
  const { redisFit } = await import("../distributed/fit-run.js");
  return redisFit(input, first, options, redisRun({ ...o, redis }));
}

async function fitWith(
  data: string,
  o: FitOptions,
  pools: { summary?: WorkerPool; readers?: WorkerPool },
): Promise<void> {
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
  // Categorical columns of CSV are read as text: the categories are the file's text, exactly.
  const text = Object.keys(kinds).filter((n) => kinds[n] === "categorical");
  const stream = await aboutFileAsync(data, () =>
    openInput(data, o, o.columns, types, (names) => checkColumnsExist(o, names), text),
  );
  try {
    aboutFile(data, () => checkDatetimeColumns(o.datetime, stream.schema));
    await checkOverwrite({ output: o.output, kind: "model", inputs: stream.files });
  } catch (err) {
    await stream.close();
    throw err;
  }
  let progress = startProgress("fit", stream.totalRows, wantsProgress(o));
  let fit: Omit<Awaited<ReturnType<typeof fitStream>>, "seconds">;
  const options: FitStreamOptions = {
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
    refinePasses: o.refinePasses,
    threads: o.threads,
    pools,
    onProgress: (r) => progress.update(r),
    onRefinePass: (pass) => {
      progress.stop();
      const on = wantsProgress(o);
      progress = startProgress(`refine ${pass}`, stream.totalRows, on);
    },
  };
  try {
    fit = await aboutFileAsync(data, async () =>
      o.redis === undefined ? fitStream(stream, options) : redisFitOf(stream, o, options, o.redis),
    );
  } finally {
    progress.stop();
  }
  const { model } = fit;
  for (const [name, weight] of Object.entries(fit.heaviestOnly)) {
    process.stderr.write(
      `modenorm: warning: column "${name}": no mode weighs more than --weight-threshold ${o.weightThreshold ?? 0.005}; kept only the heaviest mode (weight ${weight.toPrecision(4)}). Lower --weight-threshold to keep more modes.\n`,
    );
  }
  await writeModel(o.output, model, o.overwrite);
  const seconds = commandSeconds();
  if (o.json) {
    out(
      JSON.stringify({
        model: o.output,
        rows: fit.rows,
        seconds,
        peakRssMB: peakRssMB(),
        fittedOn: fit.fittedOn,
        refinePasses: fit.refinePasses,
        ...inspectModel(model),
      }),
    );
    return;
  }
  const refined = fit.refinePasses > 0 ? ` (+${fit.refinePasses} refinement pass(es))` : "";
  out(
    `fitted ${model.columns.length} column(s) on ${fit.rows} rows in ${seconds.toFixed(1)} s${refined} → ${o.output}`,
  );
  printInspect(model);
}
