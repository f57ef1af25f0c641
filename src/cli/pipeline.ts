/**
 * The whole job on a generated table, stage by stage, as the demo and the pipeline benchmark run
 * it: generate Parquet parts, fit (one streaming pass), transform into shards, inverse into
 * shards, compare every decoded value with the input bit for bit, evaluate both layouts; and the
 * peer (scikit-learn + numpy) on the same `value` column when it can run.
 *
 * The table: `value` (five Gaussian modes of very different scales plus 0.1 % outliers between
 * 1e6 and 1e9 in magnitude: the peer's synthetic distribution), `amount` (money: log-normal price
 * modes rounded to cents, rare six- and seven-figure outliers, 0.5 % missing) and `channel` (text,
 * four categories).
 */
import { createWriteStream } from "node:fs";
import { mkdir, open, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { releaseSharedBlocks } from "../core/array-bin.js";
import { Random } from "../core/rng.js";
import { generateMultimodal } from "../core/synthetic.js";
import type { Column, Table } from "../core/table.js";
import { fitMixtureColumn, modesLogLikelihood } from "../encode/mixture-column.js";
import type { ModelSpec, ModeSpec } from "../encode/spec.js";
import { openTableSink, openTableStream, writeTable } from "../io/index.js";
import { writeAtomically } from "../io/safe-write.js";
import { compareTables } from "../run/compare.js";
import { decodeParallel, encodeParallel } from "../run/encode-parallel.js";
import { collectGarbage } from "../run/gc.js";
import { WorkerPool } from "../run/pool.js";
import { decodeStream, encodeStream, evaluateStream } from "../run/stream-codec.js";
import { fitStream } from "../run/stream-fit.js";
import { modelChecksum } from "./model-check.js";
import { peakRssMB, readF64, runPeerAsync } from "./peer.js";

/** Options of {@link runPipeline}. */
export interface PipelineOptions {
  rows: number;
  seed: number;
  /** Working directory (created; the caller removes it). */
  dir: string;
  /** Rows per generated Parquet part. Default 1,048,576. */
  partRows?: number;
  threads?: number;
  /** Run the peer on the `value` column, fitting on this many rows (0: do not run it). */
  peerFitRows: number;
  /**
   * Also fit the `value` column on all its rows in memory (`fitMixtureColumn`), to compare the
   * streaming fit's quality with it. Default false.
   */
  inMemoryFit?: boolean;
  /** Called when a stage starts, e.g. to show progress. */
  onStage?: (stage: string, rows: number | null) => (done: number) => void;
  /**
   * Write a report of the run (`modenorm report` of the input and model) to this HTML file, in a
   * stage of its own; it replaces the file (the caller checks that it is an earlier report).
   */
  reportPath?: string;
}

/** One stage's numbers. */
export interface StageResult {
  stage: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  /** Peak resident memory of the process (all threads) up to the end of the stage. */
  peakRssMB: number;
}

/** What {@link runPipeline} measured. */
export interface PipelineResult {
  rows: number;
  stages: StageResult[];
  /** Decoded values that differ from the input (bit for bit, nulls included), over all columns. */
  failed: number;
  /** Values the dense (GAN) layout clips, over all columns; they still come back in compact. */
  ganClipped: number;
  model: ModelSpec;
  fittedOn: Record<string, string>;
  /** Values the evaluation's compact round trip (in memory, per block) did not give back. */
  evaluateFailed: number;
  /** The `value` column alone, in memory on the worker pool: what the peer measures. */
  valueInMemory: {
    encodeRowsPerSecond: number;
    decodeRowsPerSecond: number;
    failed: number;
  } | null;
  /** `value` column: mean log-likelihood under our kept modes. */
  valueLogLikelihood: number | null;
  /** `value` column: the in-memory fit on all rows ({@link PipelineOptions.inMemoryFit}). */
  inMemoryFit: { seconds: number; valueLogLikelihood: number } | null;
  /** `value` column: mean log-likelihood under the peer's valid modes (weights renormalised). */
  peerValueLogLikelihood: number | null;
  peer: Record<string, unknown> | null;
  peerError: string | null;
}

const CHANNELS = ["web", "store", "phone", "partner"];
const CHANNEL_WEIGHTS = [0.55, 0.3, 0.1, 0.05];
/** (weight, log-mean, log-sd) of the price modes of `amount`. */
const PRICE_MODES: readonly (readonly [number, number, number])[] = [
  [0.35, Math.log(9.99), 0.05],
  [0.3, Math.log(45), 0.4],
  [0.25, Math.log(250), 0.6],
  [0.0995, Math.log(1800), 0.8],
];

function pick(u: number, weights: readonly number[]): number {
  let acc = 0;
  for (let k = 0; k < weights.length; k++) {
    acc += weights[k]!;
    if (u < acc) return k;
  }
  return weights.length - 1;
}

/** Rows [first, first + n) of the demo table (deterministic in (seed, part)). */
export function demoPart(seed: number, part: number, n: number): Table {
  const value = generateMultimodal(n, seed * 100003 + part);
  const rng = new Random(seed).fork(part + 1);
  const amount = new Float64Array(n);
  const nulls = new Uint8Array(n);
  const channel: (string | null)[] = new Array(n);
  const priceWeights = PRICE_MODES.map((m) => m[0]);
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    if (u < 0.005) nulls[i] = 1;
    else if (u < 0.0055) amount[i] = Math.round(10 ** (5 + 2 * rng.random()) * 100) / 100;
    else {
      const [, mu, sd] = PRICE_MODES[pick(rng.random(), priceWeights)]!;
      amount[i] = Math.round(Math.exp(mu + sd * rng.normal()) * 100) / 100;
    }
    channel[i] = CHANNELS[pick(rng.random(), CHANNEL_WEIGHTS)]!;
  }
  const columns: Column[] = [
    { name: "value", type: "float64", values: value, nulls: null },
    { name: "amount", type: "float64", values: amount, nulls },
    { name: "channel", type: "string", values: channel },
  ];
  return { rows: n, columns };
}

/** Mean log-likelihood of the finite values of a float64 file under `modes`, in chunks. */
async function fileLogLikelihood(path: string, modes: ModeSpec[]): Promise<number> {
  const chunk = new Float64Array(1 << 20);
  const fh = await open(path, "r");
  let sum = 0;
  let n = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(new Uint8Array(chunk.buffer), 0, chunk.byteLength);
      const m = bytesRead / 8;
      if (m === 0) break;
      const finite = chunk.subarray(0, m).filter((v) => Number.isFinite(v));
      if (finite.length > 0) {
        sum += modesLogLikelihood(modes, finite) * finite.length;
        n += finite.length;
      }
    }
  } finally {
    await fh.close();
  }
  return sum / n;
}

/** Encodes and decodes the `value` column (from the peer's input file) in memory on the pool. */
async function valueColumnInMemory(model: ModelSpec, f64Path: string, pool: WorkerPool) {
  const x = readF64(f64Path);
  const valueModel = { ...model, columns: model.columns.filter((c) => c.name === "value") };
  const table: Table = {
    rows: x.length,
    columns: [{ name: "value", type: "float64", values: x, nulls: null }],
  };
  let t = performance.now();
  const enc = await encodeParallel(valueModel, table, { pool });
  const encodeSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const dec = await decodeParallel(valueModel, enc, { pool });
  const decodeSeconds = (performance.now() - t) / 1000;
  const y = dec.columns[0]!.values as Float64Array;
  let failed = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) failed++;
  return {
    encodeRowsPerSecond: x.length / encodeSeconds,
    decodeRowsPerSecond: x.length / decodeSeconds,
    failed,
  };
}

/**
 * Runs every stage (see the module comment) in `o.dir`.
 * @throws the stages' errors (a failed peer is reported in `peerError` instead).
 */
export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const partRows = o.partRows ?? 1_048_576;
  const blockRows = 1_048_576;
  const input = join(o.dir, "input");
  const stages: StageResult[] = [];
  const stage = async <T>(
    name: string,
    rows: number,
    body: (tick: (r: number) => void) => Promise<T>,
  ) => {
    const tick = o.onStage?.(name, rows) ?? (() => undefined);
    const t0 = performance.now();
    const out = await body(tick);
    // Stages do not share blocks: what one kept for reuse is not held through the next.
    releaseSharedBlocks();
    collectGarbage();
    const seconds = (performance.now() - t0) / 1000;
    stages.push({
      stage: name,
      rows,
      seconds,
      rowsPerSecond: rows / seconds,
      peakRssMB: peakRssMB(),
    });
    return out;
  };
  await mkdir(input, { recursive: true });
  const peerInput = join(o.dir, "value.f64");
  await stage("generate", o.rows, async (tick) => {
    const f64 = o.peerFitRows > 0 ? createWriteStream(peerInput) : null;
    for (let part = 0, at = 0; at < o.rows; part++, at += partRows) {
      const t = demoPart(o.seed, part, Math.min(partRows, o.rows - at));
      // Input parts as other tools write them (zstd, through DuckDB), not in modenorm's layout.
      await writeTable(join(input, `part-${String(part).padStart(5, "0")}.parquet`), t, {
        compression: "zstd",
      });
      if (f64 !== null) {
        const v = t.columns[0]!.values as Float64Array;
        if (!f64.write(new Uint8Array(v.buffer, v.byteOffset, v.byteLength))) {
          await new Promise<void>((r) => f64.once("drain", () => r()));
        }
      }
      tick(at + t.rows);
    }
    if (f64 !== null)
      await new Promise<void>((r, j) => f64.end((e?: Error | null) => (e ? j(e) : r())));
  });
  // Each stage runs on a pool of its own, as each command of the command line does: workers
  // that end give their memory back before the next stage.
  const fit = await stage("fit", o.rows, async (tick) =>
    fitStream(await openTableStream(input, { blockRows }), {
      seed: o.seed,
      columns: ["value", "amount", "channel"],
      onProgress: tick,
    }),
  );
  const model = fit.model;
  await stage("transform", o.rows, async (tick) => {
    const sink = await openTableSink(join(o.dir, "encoded"), blockRows, { run: {} });
    await encodeStream(model, await openTableStream(input, { blockRows }), sink, {
      threads: o.threads,
      onProgress: tick,
    });
    await sink.finish();
  });
  await stage("inverse", o.rows, async (tick) => {
    const sink = await openTableSink(join(o.dir, "decoded"), blockRows, { run: {} });
    await decodeStream(model, await openTableStream(join(o.dir, "encoded"), { blockRows }), sink, {
      threads: o.threads,
      onProgress: tick,
    });
    await sink.finish();
  });
  const diff = await stage("compare", o.rows, async (tick) =>
    compareTables(input, join(o.dir, "decoded"), { blockRows, onProgress: tick }),
  );
  const evaluation = await stage("evaluate", o.rows, async (tick) =>
    evaluateStream(model, await openTableStream(input, { blockRows }), {
      threads: o.threads,
      onProgress: tick,
    }),
  );
  if (o.reportPath !== undefined) {
    const path = o.reportPath;
    await stage("report", o.rows, async (tick) => {
      // Vega and resvg load only when a report is written.
      const r = await import("../report/index.js");
      const names = model.columns.map((c) => c.name);
      const data = await r.passData(model, await openTableStream(input, { blockRows }), names, {
        threads: o.threads,
        onProgress: tick,
      });
      const page = await r.tableReport(
        {
          command: "modenorm demo",
          input: `${o.rows.toLocaleString("en-US")} generated rows (${input})`,
          model: "the demo's fit",
          modelSha256: modelChecksum(model),
        },
        model,
        data,
        null,
      );
      await writeAtomically(path, true, (tmp) => writeFile(tmp, page.html, { flag: "wx" }));
    });
  }
  let peer: Record<string, unknown> | null = null;
  let peerError: string | null = null;
  let valueInMemory: PipelineResult["valueInMemory"] = null;
  if (o.peerFitRows > 0) {
    const pool = new WorkerPool({ size: o.threads });
    try {
      valueInMemory = await valueColumnInMemory(model, peerInput, pool);
    } finally {
      await pool.close();
    }
    try {
      peer = await runPeerAsync([
        "--input",
        peerInput,
        "--fit-rows",
        String(Math.min(o.peerFitRows, o.rows)),
        "--seed",
        String(o.seed),
      ]);
    } catch (err) {
      peerError = err instanceof Error ? err.message : String(err);
    }
  }
  const valueEval = evaluation.columns.find((c) => c.name === "value");
  let inMemoryFit: PipelineResult["inMemoryFit"] = null;
  if (o.inMemoryFit === true && o.peerFitRows > 0) {
    const x = readF64(peerInput);
    const t = performance.now();
    const spec = fitMixtureColumn(
      { name: "value", type: "float64", values: x, nulls: null },
      "continuous",
      { seed: o.seed },
    );
    const seconds = (performance.now() - t) / 1000;
    inMemoryFit = { seconds, valueLogLikelihood: await fileLogLikelihood(peerInput, spec.modes) };
  }
  let peerValueLogLikelihood: number | null = null;
  const peerModes = peer?.valid_modes as ModeSpec[] | undefined;
  if (Array.isArray(peerModes) && peerModes.length > 0) {
    const total = peerModes.reduce((a, m) => a + m.weight, 0);
    const modes = peerModes.map((m) => ({ weight: m.weight / total, mean: m.mean, std: m.std }));
    peerValueLogLikelihood = await fileLogLikelihood(peerInput, modes);
  }
  return {
    rows: o.rows,
    stages,
    failed: diff.differences,
    ganClipped: evaluation.columns.reduce((s, c) => s + c.clipped, 0),
    model,
    fittedOn: fit.fittedOn,
    valueInMemory,
    inMemoryFit,
    evaluateFailed: evaluation.columns.reduce((s, c) => s + (c.rows - c.compact.exact), 0),
    valueLogLikelihood: valueEval?.meanLogLikelihood ?? null,
    peerValueLogLikelihood,
    peer,
    peerError,
  };
}
