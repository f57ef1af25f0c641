/**
 * The report page: one HTML file with its style and every chart inline (SVG), no script and
 * nothing fetched (a Content-Security-Policy forbids it), readable in light and dark schemes
 * (`prefers-color-scheme`). Every text from data or model is escaped.
 */
import type { Chart } from "./vega.js";

/** `<meta name="generator">` of every report: what `--overwrite` recognises as a report. */
export const REPORT_GENERATOR = "modenorm report";

/** Escapes text for HTML content and attribute values. */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An id fragment from a column name (letters, digits, `-`; unique with a counter when needed). */
export function slug(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
  return s === "" ? "column" : s.slice(0, 40);
}

const STYLE = `
:root { color-scheme: light dark; --bg: #ffffff; --fg: #1b1f24; --muted: #5b6470; --line: #d8dde3; --card: #f6f8fa; --ok: #2f7d32; --warn: #a66300; --bad: #b3261e; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #111418; --fg: #e3e6ea; --muted: #9aa4af; --line: #2e353d; --card: #181c21; --ok: #7cc47f; --warn: #e0a54a; --bad: #f07167; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1180px; padding: 24px; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
h1 { font-size: 22px; margin: 0 0 8px; } h2 { font-size: 18px; margin: 0 0 6px; } h3 { font-size: 14px; margin: 14px 0 4px; color: var(--muted); font-weight: 600; }
a { color: inherit; }
header dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
header dt { color: var(--muted); } header dd { margin: 0; overflow-wrap: anywhere; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
section { border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin: 18px 0; background: var(--card); }
table { border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; }
figure { margin: 0; color: var(--fg); max-width: 100%; }
figure svg { max-width: 100%; height: auto; display: block; }
figure svg text { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
figcaption { color: var(--muted); font-size: 12px; }
p.note { color: var(--muted); margin: 6px 0; }
.verdict-ok { color: var(--ok); } .verdict-warn { color: var(--warn); } .verdict-drift { color: var(--bad); font-weight: 600; } .verdict-insufficient_data { color: var(--muted); }
.bad { color: var(--bad); font-weight: 600; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
`;

/** A chart as a figure with a caption. */
export function figure(c: Chart, caption?: string): string {
  return `<figure id="${esc(c.id)}" aria-label="${esc(c.title)}">${c.svg}<figcaption>${esc(caption ?? c.title)}</figcaption></figure>`;
}

/** A table from a header and rows of cells (HTML already escaped); `numeric` right-aligns columns. */
export function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  numeric: readonly number[] = [],
): string {
  const cls = (i: number) => (numeric.includes(i) ? ' class="n"' : "");
  return `<table><thead><tr>${head.map((h, i) => `<th${cls(i)}>${h}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

/** The whole page. `header` is a list of (label, value) pairs, as text. */
export function page(
  title: string,
  header: readonly [string, string][],
  body: readonly string[],
): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="${REPORT_GENERATOR}">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${esc(title)}</h1><dl>${header.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl></header>
${body.join("\n")}
</body>
</html>
`;
}
