/**
 * The report of a clustering model (`modenorm cluster`): one streaming pass assigns every row to
 * its cluster and keeps a stratified scatter sample of two columns; the page shows the scatter
 * with each component's 1σ and 2σ ellipses, the components, and the bound per iteration.
 */
import { type ClusterModel, meanInColumnUnits } from "../encode/cluster-model.js";
import type { TableStream } from "../io/stream.js";
import { scatterSpec } from "./charts-cluster.js";
import { boundSpec, num } from "./charts-column.js";
import {
  addClusterBlock,
  type ClusterPass,
  createClusterPass,
  scatterSample,
} from "./cluster-pass.js";
import { clusterEllipses } from "./ellipse.js";
import { esc, figure, page, table } from "./html.js";
import type { Report, ReportHeader } from "./table-report.js";
import { type Chart, renderChart } from "./vega.js";

/** Reads `stream` once, block by block, into a cluster pass over columns x and y. */
export async function passClusters(
  model: ClusterModel,
  stream: TableStream,
  x: string,
  y: string,
  onProgress?: (rows: number) => void,
): Promise<ClusterPass> {
  const pass = createClusterPass(model, x, y);
  try {
    for await (const b of stream.blocks()) {
      addClusterBlock(pass, b.table, b.firstRow);
      onProgress?.(b.firstRow + b.table.rows);
    }
  } finally {
    await stream.close();
  }
  return pass;
}

/** The page of a clustering model from its pass. */
export async function clusterReport(header: ReportHeader, pass: ClusterPass): Promise<Report> {
  const m = pass.model;
  const [i, j] = pass.xy;
  const xName = m.columns[i]!;
  const yName = m.columns[j]!;
  const points = scatterSample(pass);
  const charts: Chart[] = [];
  const scatter = await renderChart(
    "clusters-scatter",
    `${yName} against ${xName}: ${points.length} sampled rows coloured by cluster, with each component's 1σ (solid) and 2σ (dashed) ellipse`,
    scatterSpec(points, clusterEllipses(m, i, j), m.components, xName, yName),
  );
  charts.push(scatter);
  // EM's bound is a mean log-likelihood per row already; the variational bound is a sum.
  const perRow = m.estimator === "bayesian" ? Math.max(1, m.fit.rows) : 1;
  const bounds = m.fit.lowerBounds.map((b) => b / perRow);
  const bound = await renderChart(
    "clusters-bound",
    `change of the ${m.estimator === "bayesian" ? "variational bound" : "mean log-likelihood"} per row at each iteration, against tol ${num(m.fit.tol)}`,
    boundSpec(bounds, m.fit.tol),
  );
  charts.push(bound);
  const assigned = pass.counts.reduce((a, b) => a + b, 0);
  const components = table(
    ["cluster", "weight", ...m.columns.map((c) => `mean ${esc(c)}`), "rows in the data", "share"],
    m.weights.map((w, k) => [
      String(k),
      num(w),
      ...meanInColumnUnits(m, k).map(num),
      pass.counts[k]!.toLocaleString("en-US"),
      assigned > 0 ? `${((100 * pass.counts[k]!) / assigned).toFixed(1)} %` : "–",
    ]),
    [1, ...m.columns.map((_, c) => c + 2), m.columns.length + 2, m.columns.length + 3],
  );
  const f = m.fit;
  const html = page(
    `modenorm report: ${header.input}`,
    [
      ["command", header.command],
      ["input", header.input],
      ["rows", pass.rows.toLocaleString("en-US")],
      ["model", header.model],
      ["model SHA-256", header.modelSha256],
      ["seed", String(m.seed)],
      [
        "clustering",
        `${m.components} components, ${m.covarianceType} covariances, ${m.estimator === "bayesian" ? "variational Bayes" : "EM"}${m.standardize === null ? "" : ", standardized"} over ${m.columns.join(", ")}`,
      ],
    ],
    [
      `<section id="summary"><h2>Summary</h2><p class="note">${assigned.toLocaleString("en-US")} rows assigned to a cluster${pass.skipped > 0 ? `, ${pass.skipped.toLocaleString("en-US")} skipped for a missing value` : ""}.</p>${components}</section>`,
      `<section id="clusters"><h2>Clusters</h2><p class="note">A sample of at most 5,000 rows (each cluster at least 200 or all of its rows), chosen by a hash of the row index and the model's seed; ellipses from the covariances' 2 × 2 block of the two columns, in the columns' units.</p><div class="charts">${figure(scatter)}</div>
<h3>Fit</h3><p class="note">${f.converged ? "Converged" : '<span class="bad">Did not converge</span>'} after ${f.iterations} iteration(s) of at most ${f.maxIter} on ${f.rows.toLocaleString("en-US")} rows (tol ${num(f.tol)}).</p>${figure(bound)}</section>`,
    ],
  );
  return { html, charts };
}
