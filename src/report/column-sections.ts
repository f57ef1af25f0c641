/**
 * The HTML sections of a table model's columns: per mixture column its density, modes, fit and
 * round trip; per categorical column its category bars; per minmax column its histogram; and,
 * when comparing, the old and new densities, the mode occupancy and the drift statistics.
 */

import type { ColumnDriftTally } from "../drift/tally.js";
import type { ColumnDrift, DriftStatistic } from "../drift/verdict.js";
import type { ColumnEvaluation } from "../encode/evaluate.js";
import type { CategoricalColumnSpec, MixtureColumnSpec } from "../encode/spec.js";
import {
  boundSpec,
  categorySpec,
  histogramChartData,
  histogramSpec,
  num,
  weightsSpec,
} from "./charts-column.js";
import { compareDensitySpec, occupancySpec } from "./charts-compare.js";
import { type ExtremeValue, encodeExtremes } from "./extremes.js";
import { plottedValues } from "./histogram.js";
import { esc, figure, table } from "./html.js";
import type { ColumnPass } from "./table-pass.js";
import { type Chart, renderChart } from "./vega.js";

/** Categories drawn as bars; the others are summed into one bar. */
export const TOP_CATEGORIES = 20;

/** The compared data's side of a column. */
export interface ComparedColumn {
  pass: ColumnPass;
  tally: ColumnDriftTally;
  drift: ColumnDrift;
}

/** What a column section needs. */
export interface ColumnInput {
  id: string;
  pass: ColumnPass;
  tally: ColumnDriftTally;
  evaluation: ColumnEvaluation;
  seed: number;
  compared: ComparedColumn | null;
  comparedName: string;
}

const pct = (n: number, d: number) =>
  d > 0 ? `${((100 * n) / d).toFixed(d >= 1e5 ? 3 : 1)} %` : "–";
const count = (n: number) => n.toLocaleString("en-US");

/** The x axis title of a mixture column (the modes' space). */
function spaceOf(spec: MixtureColumnSpec): string {
  if (spec.kind === "log") return `ln(${spec.name} − ${num(spec.offset ?? 0)})`;
  if (spec.kind === "datetime") return `${spec.name} (${spec.unit ?? "ns"} since 1970)`;
  return spec.name;
}

function axisNote(c: ColumnPass): string {
  const h = c.histogram!;
  const parts = [`${h.counts.length} bins on a ${h.axis.kind} axis`];
  if (h.below + h.above > 0)
    parts.push(
      `${count(h.below)} value(s) below and ${count(h.above)} above the fit data's range, not drawn`,
    );
  if (h.modal > 0) parts.push(`${count(h.modal)} modal value(s) in their own slots`);
  if (h.notPlotted > 0)
    parts.push(`${count(h.notPlotted)} value(s) outside the modes' domain (NaN, ±∞, ≤ offset)`);
  if (h.nulls > 0) parts.push(`${count(h.nulls)} missing`);
  return parts.join("; ");
}

function extremeRows(list: readonly ExtremeValue[]): string[][] {
  return list.map((e) => [
    esc(e.value),
    count(e.row),
    e.mode >= 0 ? String(e.mode) : "literal",
    e.storedAs === "literal" ? "–" : num(e.alpha),
    e.sigmas === null ? "–" : num(e.sigmas),
    e.storedAs,
  ]);
}

function statName(s: DriftStatistic): string {
  return s.category === undefined ? s.name : `${s.name} [${esc(s.category)}]`;
}

/** The drift table of a column and its compare charts. */
async function compareBlock(input: ColumnInput, charts: Chart[]): Promise<string> {
  const cmp = input.compared!;
  const d = cmp.drift;
  const stats = table(
    ["statistic", "data", "fit data", "score", "warn at", "drift at", "level"],
    d.statistics.map((s) => [
      statName(s),
      num(s.value),
      num(s.baseline),
      num(s.score),
      num(s.warnAt),
      num(s.driftAt),
      `<span class="verdict-${s.level}">${s.level}</span>`,
    ]),
    [1, 2, 3, 4, 5],
  );
  const figs: string[] = [];
  const spec = input.pass.spec;
  const h = input.pass.histogram;
  if (h !== null && cmp.pass.histogram !== null) {
    const title = spec.kind === "minmax" || spec.kind === "categorical" ? spec.name : spaceOf(spec);
    const c = await renderChart(
      `${input.id}-compare`,
      `${spec.name}: density of the data and of ${input.comparedName}`,
      compareDensitySpec(h, cmp.pass.histogram, h.axis, title),
    );
    charts.push(c);
    figs.push(figure(c));
  }
  const slots = slotLabels(input);
  if (slots !== null && input.tally.kind !== "minmax" && cmp.tally.kind !== "minmax") {
    const old = input.tally.kind === "mixture" ? input.tally.slots : input.tally.counts;
    const now = cmp.tally.kind === "mixture" ? cmp.tally.slots : cmp.tally.counts;
    const c = await renderChart(
      `${input.id}-occupancy`,
      `${spec.name}: share of values per ${spec.kind === "categorical" ? "category" : "slot (most likely mode)"}`,
      occupancySpec(slots.labels, slots.keep(old), slots.keep(now)),
    );
    charts.push(c);
    figs.push(figure(c));
  }
  return `<h3>Compared with ${esc(input.comparedName)}: <span class="verdict-${d.verdict}">${d.verdict}</span></h3>
<p class="note">${count(d.rows)} rows, ${count(d.values)} values; statistics of the compared data against the model's baseline (the fit data), as <code>modenorm drift</code> judges them.</p>
${stats}<div class="charts">${figs.join("")}</div>`;
}

/** Slot labels of the occupancy chart (categorical: the top categories then the rest). */
function slotLabels(
  input: ColumnInput,
): { labels: string[]; keep: (c: readonly number[]) => number[] } | null {
  const spec = input.pass.spec;
  if (spec.kind === "minmax") return null;
  if (spec.kind === "categorical") {
    const top = Math.min(TOP_CATEGORIES, spec.categories.length);
    const labels = [...spec.categories.slice(0, top).map((c) => short(c)), "other / unseen"];
    return {
      labels,
      keep: (c) => [...c.slice(0, top), c.slice(top).reduce((a, b) => a + b, 0)],
    };
  }
  const labels = [
    ...spec.modes.map((_, k) => `mode ${k}`),
    ...(spec.modalValues ?? []).map((v) => `= ${num(v)}`),
    "literal",
  ];
  return { labels, keep: (c) => [...c] };
}

function short(s: string): string {
  return s.length > 24 ? `${s.slice(0, 23)}…` : s;
}

/** A mixture column's section. */
export async function mixtureSection(
  input: ColumnInput,
  spec: MixtureColumnSpec,
  charts: Chart[],
): Promise<string> {
  const { id, pass, evaluation: ev } = input;
  const h = pass.histogram!;
  const hist = await renderChart(
    `${id}-density`,
    `${spec.name}: histogram, mixture density and its ${spec.modes.length} mode(s)`,
    histogramSpec(histogramChartData(h, spec.modes), h.axis, spaceOf(spec)),
  );
  const weights = await renderChart(
    `${id}-modes`,
    `${spec.name}: weight, mean and standard deviation of each mode`,
    weightsSpec(spec.modes, spec.kind === "log" ? " (log)" : ""),
  );
  charts.push(hist, weights);
  let fit = `<p class="note">The model file holds no fit trace (written before model version 3): refit to see the bound per iteration.</p>`;
  if (spec.fit !== undefined) {
    const f = spec.fit;
    const bound = await renderChart(
      `${id}-bound`,
      `${spec.name}: change of the variational bound per value at each iteration, against tol ${num(f.tol)}`,
      boundSpec(f.bounds, f.tol),
    );
    charts.push(bound);
    fit = `<p class="note">${f.converged ? "Converged" : '<span class="bad">Did not converge</span>'} after ${f.iterations} iteration(s) (tol ${num(f.tol)} on the change of the bound per value; final bound ${num(f.bounds[f.bounds.length - 1] ?? Number.NaN)} per value). Refinement passes over all rows, if any, moved the modes after this fit.</p>${figure(bound)}`;
  }
  const extremes = encodeExtremes(pass.extremes!, spec, input.seed, pass.index);
  const n = ev.rows;
  const modal = h.modal;
  const alpha = n - ev.nulls - ev.literals - ev.residuals - modal;
  const roundTrip = table(
    ["compact layout", "rows", "share"],
    [
      ["decoded bit for bit", count(ev.compact.exact), pct(ev.compact.exact, n)],
      ["stored as alpha alone", count(alpha), pct(alpha, n)],
      ["alpha and a residual", count(ev.residuals), pct(ev.residuals, n)],
      ["literal (the value itself)", count(ev.literals), pct(ev.literals, n)],
      ...(modal > 0 ? [["modal value (its own code)", count(modal), pct(modal, n)]] : []),
      ["missing", count(ev.nulls), pct(ev.nulls, n)],
      ["clipped in the dense (GAN) layout", count(ev.clipped), pct(ev.clipped, n)],
    ],
    [1, 2],
  );
  const ext = table(
    ["value", "row", "mode", "alpha", "σ from its mode", "stored as"],
    [...extremeRows(extremes.low), ...extremeRows(extremes.high)],
    [1, 3, 4],
  );
  const lost = ev.rows - ev.compact.exact;
  return `<section id="${id}" class="column"><h2>${esc(spec.name)} <small>${spec.kind}</small></h2>
<p class="note">${spec.modes.length} mode(s); ${count(plottedValues(h))} values drawn of ${count(h.rows)} rows; ${esc(axisNote(pass))}.</p>
<div class="charts">${figure(hist)}${figure(weights)}</div>
<h3>Fit</h3>${fit}
<h3>Round trip</h3>
<p class="note">${lost === 0 ? "Every value came back bit for bit." : `<span class="bad">${count(lost)} value(s) did not come back exactly</span> (max relative error ${num(ev.compact.maxRelError)}).`} Dense (GAN) layout: max relative error ${num(ev.dense.maxRelError)}.</p>
<div class="charts">${roundTrip}${ext}</div>
${input.compared === null ? "" : await compareBlock(input, charts)}
</section>`;
}

/** Bars of the top categories of a column, with one bar for the rest. */
export function categoryBars(
  spec: CategoricalColumnSpec,
  counts: readonly number[],
): { label: string; count: number }[] {
  const order = spec.categories.map((c, i) => ({ label: c, count: counts[i] ?? 0 }));
  order.sort((a, b) => b.count - a.count);
  const bars = order
    .slice(0, TOP_CATEGORIES)
    .map((b) => ({ label: short(b.label), count: b.count }));
  const rest =
    order.slice(TOP_CATEGORIES).reduce((s, b) => s + b.count, 0) +
    (counts[spec.categories.length] ?? 0);
  if (order.length > TOP_CATEGORIES || (counts[spec.categories.length] ?? 0) > 0)
    bars.push({
      label: `other (${Math.max(0, order.length - TOP_CATEGORIES)} + unseen)`,
      count: rest,
    });
  return bars;
}

/** A categorical column's section. */
export async function categoricalSection(
  input: ColumnInput,
  spec: CategoricalColumnSpec,
  charts: Chart[],
): Promise<string> {
  const t = input.tally;
  if (t.kind !== "categorical") throw new Error("a categorical column has a categorical tally");
  const bars = categoryBars(spec, t.counts);
  const chart = await renderChart(
    `${input.id}-categories`,
    `${spec.name}: rows per category`,
    categorySpec(bars),
  );
  charts.push(chart);
  const ev = input.evaluation;
  const unseen = t.counts[spec.categories.length] ?? 0;
  return `<section id="${input.id}" class="column"><h2>${esc(spec.name)} <small>categorical</small></h2>
<p class="note">${spec.categories.length} categories in the model; ${count(t.rows)} rows, ${count(t.nulls)} missing, ${count(unseen)} of categories the model has not seen. Round trip: ${count(ev.compact.exact)} of ${count(ev.rows)} rows bit for bit (${pct(ev.compact.exact, ev.rows)}).</p>
<div class="charts">${figure(chart)}</div>
${input.compared === null ? "" : await compareBlock(input, charts)}
</section>`;
}

/** A minmax column's section: its histogram on [min, max]. */
export async function minmaxSection(input: ColumnInput, charts: Chart[]): Promise<string> {
  const spec = input.pass.spec;
  const h = input.pass.histogram!;
  const chart = await renderChart(
    `${input.id}-density`,
    `${spec.name}: histogram over the fitted [min, max]`,
    histogramSpec(histogramChartData(h, []), h.axis, spec.name),
  );
  charts.push(chart);
  const ev = input.evaluation;
  return `<section id="${input.id}" class="column"><h2>${esc(spec.name)} <small>minmax</small></h2>
<p class="note">${esc(axisNote(input.pass))}. Round trip: ${count(ev.compact.exact)} of ${count(ev.rows)} rows bit for bit (${pct(ev.compact.exact, ev.rows)}), ${count(ev.literals)} literal(s).</p>
<div class="charts">${figure(chart)}</div>
${input.compared === null ? "" : await compareBlock(input, charts)}
</section>`;
}
