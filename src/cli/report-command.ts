/**
 * `modenorm report`: one self-contained HTML page (and optionally a PNG per chart) of a model and
 * the data it encodes — a table model's densities, modes, fit and round trip, a clustering's
 * scatter and ellipses, and, with `--compare`, the drift of other data. The input is streamed
 * once (the compared data once more), in bounded memory; the page and the PNGs are written under
 * temporary names and renamed when complete.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ColumnType } from "../core/table.js";
import { requireBaseline } from "../drift/index.js";
import { type ClusterModel, clusterModelFromJson } from "../encode/cluster-model.js";
import { modelFromJson } from "../encode/model-file.js";
import { CLUSTER_FORMAT, type ModelSpec } from "../encode/spec.js";
import { errorMessage, IoError } from "../io/errors.js";
import { resolveInputs } from "../io/glob.js";
import { checkOverwrite } from "../io/index.js";
import { makeDirectory } from "../io/make-dir.js";
import { writeAtomically } from "../io/safe-write.js";
import type { Report, ReportHeader } from "../report/index.js";
import {
  openInput,
  type ReadOptions,
  type StreamOptions,
  sha256,
  wantsProgress,
} from "./command-io.js";
import { modelChecksum } from "./model-check.js";
import { UsageError } from "./option-checks.js";
import { peakRssMB } from "./peer.js";
import { startProgress } from "./progress.js";
import { withRowPlace } from "./row-place.js";
import {
  aboutFileAsync,
  checkOutputPath,
  commandSeconds,
  out,
  readModelText,
  typesFromModel,
} from "./shared.js";
import { noteOutput } from "./signals.js";

export interface ReportCommandOptions extends ReadOptions, StreamOptions {
  model: string;
  output: string;
  compare?: string;
  png?: string;
  columns?: string[];
  threads?: number;
  share?: number;
  critical?: string[];
  overwrite?: boolean;
}

/** A page above this size is reported with a warning (browsers struggle past ~10 MB). */
export const REPORT_WARN_BYTES = 10 * 1024 * 1024;

/** The report's modules (Vega, resvg) load only for this command. */
const reports = () => import("../report/index.js");

/** The command line as typed, for the page's header (arguments with spaces quoted). */
function commandLine(): string {
  const args = process.argv
    .slice(2)
    .map((a) => (/^[\w./:=,@+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  return `modenorm ${args.join(" ")}`;
}

/** `modenorm report`. */
export async function reportCommand(data: string, o: ReportCommandOptions): Promise<void> {
  if (!/\.html?$/i.test(o.output))
    throw new UsageError(
      `-o must name an .html file (the report is one HTML page), got "${o.output}".`,
    );
  if (o.compare === "-" && data === "-")
    throw new UsageError(
      "<data> and --compare cannot both be standard input; give one of them as a file.",
    );
  noteOutput(o.output);
  checkOutputPath(o.output, o.overwrite);
  const text = await readModelText(o.model);
  // The format is the first field of both kinds of model file.
  const isCluster = text.slice(0, 512).includes(`"${CLUSTER_FORMAT}"`);
  const inputs = [
    ...(await inputFiles(data)),
    ...(o.compare === undefined ? [] : await inputFiles(o.compare)),
    o.model,
  ];
  await checkOverwrite({ output: o.output, kind: "report", inputs });
  const r = await reports();
  const fonts = o.png === undefined ? null : r.dejavuFonts();
  const progress = startProgress("report", null, wantsProgress(o));
  let built: { report: Report; rows: number };
  try {
    built = isCluster
      ? await clusterRun(data, o, clusterModelFromJson(text, o.model), sha256(text), (n) =>
          progress.update(n),
        )
      : await tableRun(data, o, modelFromJson(text, o.model), (n) => progress.update(n));
  } finally {
    progress.stop();
  }
  const { report, rows } = built;
  const bytes = Buffer.byteLength(report.html);
  const pngs: string[] = [];
  if (o.png !== undefined && fonts !== null) {
    const dir = o.png;
    await makeDirectory(dir).catch((err: unknown) => {
      throw new IoError(`--png ${dir}: cannot create the directory: ${errorMessage(err)}`, {
        cause: err,
      });
    });
    for (const c of report.charts) {
      const path = join(o.png, `${c.id}.png`);
      const png = r.svgToPng(c.svg, fonts);
      await writeAtomically(path, o.overwrite === true, (tmp) =>
        writeFile(tmp, png, { flag: "wx" }),
      );
      pngs.push(path);
    }
  }
  await writeAtomically(o.output, o.overwrite === true, (tmp) =>
    writeFile(tmp, report.html, { flag: "wx" }),
  );
  if (bytes > REPORT_WARN_BYTES)
    process.stderr.write(
      `modenorm: warning: ${o.output} is ${(bytes / 1048576).toFixed(1)} MB, more than browsers open comfortably; choose fewer columns with --columns\n`,
    );
  if (o.json) {
    out(
      JSON.stringify({
        output: o.output,
        bytes,
        rows,
        charts: report.charts.length,
        png: o.png === undefined ? null : { dir: o.png, files: pngs.length },
        seconds: commandSeconds(),
        peakRssMB: peakRssMB(),
      }),
    );
    return;
  }
  out(
    `report of ${rows.toLocaleString("en-US")} rows (${report.charts.length} charts, ${(bytes / 1024).toFixed(0)} KB) in ${commandSeconds().toFixed(1)} s → ${o.output}`,
  );
  if (o.png !== undefined) out(`${pngs.length} PNG file(s) → ${o.png}`);
}

async function inputFiles(path: string): Promise<string[]> {
  if (path === "-") return [];
  return (await aboutFileAsync(path, () => resolveInputs(path))).files;
}

function header(o: ReportCommandOptions, data: string, sha256: string): ReportHeader {
  return {
    command: commandLine(),
    input: data === "-" ? "standard input" : data,
    model: o.model,
    modelSha256: sha256,
    ...(o.compare === undefined
      ? {}
      : { compared: o.compare === "-" ? "standard input" : o.compare }),
  };
}

/** The columns shown: `--columns` (each checked against the model) or all. */
function shownColumns(o: ReportCommandOptions, names: readonly string[], what: string): string[] {
  for (const c of o.columns ?? []) {
    if (!names.includes(c))
      throw new UsageError(
        `--columns names column "${c}", which ${what} "${o.model}" does not have (its columns: ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", …" : ""}).`,
      );
  }
  return o.columns ?? [...names];
}

async function tableRun(
  data: string,
  o: ReportCommandOptions,
  model: ModelSpec,
  onProgress: (rows: number) => void,
): Promise<{ report: Report; rows: number }> {
  const r = await reports();
  const names = model.columns.map((c) => c.name);
  const shown = shownColumns(o, names, "model file");
  if (o.compare !== undefined) requireBaseline(model, `model file "${o.model}"`);
  for (const c of o.critical ?? []) {
    if (!names.includes(c))
      throw new UsageError(
        `--critical names column "${c}", which model file "${o.model}" does not have (its columns: ${names.join(", ")}).`,
      );
  }
  // Every model column is read and evaluated (a row's mode depends on its column's index), and
  // the columns shown are drawn.
  const types = typesFromModel(model);
  const stream = await openInput(data, o, names, types);
  const first = await aboutFileAsync(data, () =>
    withRowPlace(data, stream.files, o, () =>
      r.passData(model, stream, shown, { threads: o.threads, onProgress }),
    ),
  );
  let compared: Awaited<ReturnType<typeof r.passCompared>> | null = null;
  if (o.compare !== undefined) {
    const other = o.compare;
    const s2 = await openInput(other, o, names, types);
    compared = await aboutFileAsync(other, () =>
      withRowPlace(other, s2.files, o, () =>
        r.passCompared(model, s2, shown, {
          threads: o.threads,
          onProgress,
          share: o.share,
          critical: o.critical,
        }),
      ),
    );
  }
  const report = await r.tableReport(header(o, data, modelChecksum(model)), model, first, compared);
  return { report, rows: first.evaluation.rows };
}

async function clusterRun(
  data: string,
  o: ReportCommandOptions,
  model: ClusterModel,
  sha: string,
  onProgress: (rows: number) => void,
): Promise<{ report: Report; rows: number }> {
  if (o.compare !== undefined)
    throw new UsageError(
      `--compare needs a model written by modenorm fit; "${o.model}" is a clustering model (written by modenorm cluster).`,
    );
  const shown = shownColumns(o, model.columns, "clustering model");
  if (o.columns !== undefined && shown.length !== 2)
    throw new UsageError(
      `--columns with a clustering model names the scatter's two columns (x,y), got ${shown.length}.`,
    );
  const [x, y] =
    o.columns === undefined ? [model.columns[0]!, model.columns[1] ?? model.columns[0]!] : shown;
  const r = await reports();
  const types: Record<string, ColumnType> = {};
  for (const c of model.columns) types[c] = "float64";
  const stream = await openInput(data, o, model.columns, types);
  const pass = await aboutFileAsync(data, () =>
    withRowPlace(data, stream.files, o, () => r.passClusters(model, stream, x!, y!, onProgress)),
  );
  return { report: await r.clusterReport(header(o, data, sha), pass), rows: pass.rows };
}
