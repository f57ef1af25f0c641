/**
 * The report of a table model (`modenorm fit`): one streaming pass over the data (round trip on
 * the worker pool, histograms and tallies on the reading thread), optionally one over data to
 * compare (drift on the pool, histograms beside it), then the page.
 */

import type { DriftTally } from "../drift/tally.js";
import type { DriftOptions, DriftReport } from "../drift/verdict.js";
import type { TableEvaluation } from "../encode/evaluate.js";
import type { ModelSpec } from "../encode/spec.js";
import type { TableStream } from "../io/stream.js";
import { evaluateStream } from "../run/stream-codec.js";
import { driftStream } from "../run/stream-drift.js";
import { num } from "./charts-column.js";
import {
  type ColumnInput,
  categoricalSection,
  minmaxSection,
  mixtureSection,
} from "./column-sections.js";
import { esc, page, slug, table } from "./html.js";
import { addTableBlock, createTablePass, type TablePass } from "./table-pass.js";
import type { Chart } from "./vega.js";

/** Options of the passes. */
export interface PassOptions extends DriftOptions {
  threads?: number;
  onProgress?: (rows: number) => void;
}

/** The data's pass: its counts and its round-trip evaluation. */
export async function passData(
  model: ModelSpec,
  stream: TableStream,
  shown: readonly string[],
  o: PassOptions = {},
): Promise<{ pass: TablePass; evaluation: TableEvaluation }> {
  const pass = createTablePass(model, shown);
  const evaluation = await evaluateStream(model, stream, {
    threads: o.threads,
    onProgress: o.onProgress,
    onTable: (b) => addTableBlock(pass, b.table, b.firstRow),
  });
  return { pass, evaluation };
}

/** The compared data's pass: its counts and its drift against the model's baseline. */
export async function passCompared(
  model: ModelSpec,
  stream: TableStream,
  shown: readonly string[],
  o: PassOptions = {},
): Promise<{ pass: TablePass; report: DriftReport; tally: DriftTally }> {
  const pass = createTablePass(model, shown, false);
  let tally: DriftTally | null = null;
  const { reports } = await driftStream(model, stream, {
    threads: o.threads,
    onProgress: o.onProgress,
    share: o.share,
    critical: o.critical,
    onTable: (b) => addTableBlock(pass, b.table, b.firstRow),
    onReport: (_, t) => {
      tally = t;
    },
  });
  return { pass, report: reports[0]!, tally: tally! };
}

/** What the page's header shows. */
export interface ReportHeader {
  command: string;
  input: string;
  model: string;
  modelSha256: string;
  compared?: string;
}

/** A report's page and its charts (for `--png`). */
export interface Report {
  html: string;
  charts: Chart[];
}

const ORDER = { drift: 0, warn: 1, ok: 2, insufficient_data: 3 } as const;

/** Builds the page of a table model from the passes. */
export async function tableReport(
  header: ReportHeader,
  model: ModelSpec,
  data: { pass: TablePass; evaluation: TableEvaluation },
  compared: { pass: TablePass; report: DriftReport; tally: DriftTally } | null,
): Promise<Report> {
  const charts: Chart[] = [];
  const ids = new Set<string>();
  const idOf = (name: string) => {
    let id = `col-${slug(name)}`;
    for (let i = 2; ids.has(id); i++) id = `col-${slug(name)}-${i}`;
    ids.add(id);
    return id;
  };
  const inputs: ColumnInput[] = data.pass.columns.map((c, j) => {
    const drift = compared?.report.columns[c.index];
    return {
      id: idOf(c.spec.name),
      pass: c,
      tally: data.pass.tally!.columns[c.index]!,
      evaluation: data.evaluation.columns[c.index]!,
      seed: model.seed,
      comparedName: header.compared ?? "",
      compared:
        compared === null || drift === undefined
          ? null
          : { pass: compared.pass.columns[j]!, tally: compared.tally.columns[c.index]!, drift },
    };
  });
  // Drifting columns first when comparing; else the model's order.
  if (compared !== null) {
    inputs.sort(
      (a, b) =>
        ORDER[a.compared?.drift.verdict ?? "insufficient_data"] -
        ORDER[b.compared?.drift.verdict ?? "insufficient_data"],
    );
  }
  const sections: string[] = [];
  for (const input of inputs) {
    const spec = input.pass.spec;
    switch (spec.kind) {
      case "categorical":
        sections.push(await categoricalSection(input, spec, charts));
        break;
      case "minmax":
        sections.push(await minmaxSection(input, charts));
        break;
      default:
        sections.push(await mixtureSection(input, spec, charts));
    }
  }
  const summary = table(
    [
      "column",
      "kind",
      "modes / categories",
      "exact round trip",
      "clipped (GAN layout)",
      ...(compared === null ? [] : ["drift"]),
    ],
    inputs.map((c) => {
      const s = c.pass.spec;
      const ev = c.evaluation;
      const exact =
        ev.compact.exact === ev.rows
          ? "all"
          : `<span class="bad">${ev.compact.exact} of ${ev.rows}</span>`;
      return [
        `<a href="#${c.id}">${esc(s.name)}</a>`,
        s.kind,
        s.kind === "categorical"
          ? String(s.categories.length)
          : s.kind === "minmax"
            ? "–"
            : String(s.modes.length),
        exact,
        String(ev.clipped),
        ...(c.compared === null
          ? compared === null
            ? []
            : ["–"]
          : [
              `<span class="verdict-${c.compared.drift.verdict}">${c.compared.drift.verdict}</span>`,
            ]),
      ];
    }),
    [2, 4],
  );
  const verdict =
    compared === null
      ? ""
      : `<p>Compared with ${esc(header.compared ?? "")}: <span class="verdict-${compared.report.verdict}">${compared.report.verdict}</span>${
          compared.report.drifting.length > 0
            ? ` — ${compared.report.drifting.length} column(s) drift: ${esc(compared.report.drifting.join(", "))}`
            : ""
        } (data drift when a share of ${num(compared.report.share)} of the judged columns drift${
          compared.report.critical.length > 0 ? ` or a critical one does` : ""
        }).</p>`;
  const html = page(
    `modenorm report: ${header.input}`,
    [
      ["command", header.command],
      ["input", header.input],
      ["rows", data.evaluation.rows.toLocaleString("en-US")],
      ...(header.compared === undefined || compared === null
        ? []
        : ([
            [
              "compared with",
              `${header.compared} (${compared.report.rows.toLocaleString("en-US")} rows)`,
            ],
          ] as [string, string][])),
      ["model", header.model],
      ["model SHA-256", header.modelSha256],
      ["seed", String(model.seed)],
      ["columns", `${data.pass.columns.length} shown of ${model.columns.length}`],
    ],
    [`<section id="summary"><h2>Summary</h2>${verdict}${summary}</section>`, ...sections],
  );
  return { html, charts };
}
