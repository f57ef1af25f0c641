/** `modenorm drift`: does new data still look like the data the model was fitted on? */

import { requireBaseline } from "../drift/index.js";
import type { DriftReport, DriftStatistic } from "../drift/verdict.js";
import { driftStream } from "../run/stream-drift.js";
import { openInput, type ReadOptions, type StreamOptions, wantsProgress } from "./command-io.js";
import { UsageError } from "./option-checks.js";
import { peakRssMB } from "./peer.js";
import { startProgress } from "./progress.js";
import { withRowPlace } from "./row-place.js";
import {
  aboutFileAsync,
  commandSeconds,
  EXIT_DRIFT,
  out,
  readModel,
  typesFromModel,
} from "./shared.js";

export interface DriftCommandOptions extends ReadOptions, StreamOptions {
  model: string;
  threads?: number;
  share?: number;
  critical?: string[];
  chunkRows?: number;
}

/** Short names of the statistics in the terminal table. */
const SHORT: Record<DriftStatistic["name"], string> = {
  nullRate: "nulls",
  outOfRange: "range",
  logLikelihood: "Δℓ",
  lowTail: "tail",
  modePsi: "modePSI",
  cdfDistance: "cdf",
  categoryPsi: "PSI",
  categoryShare: "share",
  unseen: "unseen",
};

const num = (x: number) => (Math.abs(x) >= 100 || x === 0 ? x.toPrecision(3) : x.toFixed(3));

/** One statistic as `name value/threshold` with `!` for warn and `!!` for drift. */
function shown(s: DriftStatistic): string {
  const change = s.name === "logLikelihood" ? s.value - s.baseline : s.score;
  const mark = s.level === "drift" ? "!!" : s.level === "warn" ? "!" : "";
  const what = s.category === undefined ? SHORT[s.name] : `${SHORT[s.name]}[${s.category}]`;
  return `${what} ${num(change)}/${num(s.level === "drift" ? s.driftAt : s.warnAt)}${mark}`;
}

function printReport(r: DriftReport, chunked: boolean): void {
  const where = chunked ? `rows ${r.firstRow}–${r.firstRow + r.rows - 1}` : `${r.rows} rows`;
  const judged = r.columns.filter((c) => c.verdict !== "insufficient_data").length;
  out(
    `${where}: ${r.verdict}` +
      (r.drifting.length > 0
        ? ` — ${r.drifting.length} of ${judged} columns drift (${r.drifting.join(", ")})`
        : ""),
  );
  if (chunked && r.verdict === "ok") return;
  out(
    "  column               kind          verdict            statistics (change/threshold, ! warn, !! drift)",
  );
  const order = { drift: 0, warn: 1, ok: 2, insufficient_data: 3 } as const;
  for (const c of [...r.columns].sort((a, b) => order[a.verdict] - order[b.verdict])) {
    out(
      `  ${c.name.padEnd(20).slice(0, 20)} ${c.kind.padEnd(13)} ${c.verdict.padEnd(18)} ${c.statistics.map(shown).join("  ")}`,
    );
  }
}

/**
 * Checks `data` against the model's baseline. Exit code 0 when no report drifts (warnings
 * allowed), {@link EXIT_DRIFT} when one does; errors exit as every command's.
 */
export async function driftCommand(data: string, o: DriftCommandOptions): Promise<void> {
  const model = await readModel(o.model);
  requireBaseline(model, `model file "${o.model}"`);
  for (const c of o.critical ?? []) {
    if (!model.columns.some((s) => s.name === c))
      throw new UsageError(
        `--critical names column "${c}", which model file "${o.model}" does not have (its columns: ${model.columns.map((s) => s.name).join(", ")}).`,
      );
  }
  const stream = await openInput(
    data,
    o,
    model.columns.map((c) => c.name),
    typesFromModel(model),
  );
  const chunked = o.chunkRows !== undefined;
  const progress = startProgress("drift", stream.totalRows, wantsProgress(o));
  let result: Awaited<ReturnType<typeof driftStream>>;
  try {
    result = await aboutFileAsync(data, () =>
      withRowPlace(data, stream.files, o, () =>
        driftStream(model, stream, {
          threads: o.threads,
          share: o.share,
          critical: o.critical,
          chunkRows: o.chunkRows,
          onProgress: (r) => progress.update(r),
          // Time-ordered chunks are printed as they complete (not with --json: one object).
          onReport: o.json || !chunked ? undefined : (r) => printReport(r, true),
        }),
      ),
    );
  } finally {
    progress.stop();
  }
  const drifted = result.reports.some((r) => r.verdict === "drift");
  if (drifted) process.exitCode = EXIT_DRIFT;
  const verdict = drifted
    ? "drift"
    : result.reports.some((r) => r.verdict === "warn")
      ? "warn"
      : result.reports.every((r) => r.verdict === "insufficient_data")
        ? "insufficient_data"
        : "ok";
  if (o.json) {
    const body = chunked
      ? { verdict, rows: result.rows, chunks: result.reports }
      : result.reports[0]!;
    out(
      JSON.stringify({
        ...body,
        model: o.model,
        seconds: commandSeconds(),
        peakRssMB: peakRssMB(),
      }),
    );
    return;
  }
  if (!chunked) printReport(result.reports[0]!, false);
  else {
    const n = result.reports.filter((r) => r.verdict === "drift").length;
    out(`${result.reports.length} chunks: ${n} drift; overall ${verdict}`);
  }
}
