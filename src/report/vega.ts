/**
 * Charts as static SVG: a Vega spec (built by the typed functions of `charts-*.ts`) rendered on
 * the server with `renderer: "none"` and `toSVG()`. Text and axes are drawn in `currentColor`, so
 * the page's light or dark scheme colours them; data colours read on both backgrounds.
 */
import { parse, type Config, type Spec, View } from "vega";

/** A rendered chart: its id (unique in a report, also the PNG's file name) and SVG. */
export interface Chart {
  id: string;
  /** What the chart shows, for its caption and the image's title. */
  title: string;
  svg: string;
}

/** The font the charts name (DejaVu Sans: Debian's default; the PNG renderer loads its files). */
export const CHART_FONT = "DejaVu Sans";

/** Series colours (Tableau 10): distinguishable, and readable on white and on near-black. */
export const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/** Fill of histogram bars (behind the curves). */
export const BAR_FILL = "#8c9aab";

const INK = "currentColor";

/** Axes, titles and legends in the page's text colour and one font. */
export const CHART_CONFIG: Config = {
  axis: {
    labelColor: INK,
    titleColor: INK,
    domainColor: INK,
    tickColor: INK,
    gridColor: INK,
    gridOpacity: 0.12,
    labelFont: CHART_FONT,
    titleFont: CHART_FONT,
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: "normal",
  },
  legend: {
    labelColor: INK,
    titleColor: INK,
    labelFont: CHART_FONT,
    titleFont: CHART_FONT,
    labelFontSize: 11,
    titleFontSize: 11,
  },
  title: { color: INK, font: CHART_FONT, fontSize: 13, fontWeight: "normal", anchor: "start" },
  text: { fill: INK, font: CHART_FONT, fontSize: 11 },
};

/** Width and height of a chart's plot area (pixels; the page scales them down to fit). */
export const WIDTH = 560;
export const HEIGHT = 220;

/** A spec with the common size, padding and configuration. */
export function chartSpec(parts: Spec, size: { width?: number; height?: number } = {}): Spec {
  return {
    width: size.width ?? WIDTH,
    height: size.height ?? HEIGHT,
    padding: 8,
    autosize: { type: "pad" },
    config: CHART_CONFIG,
    ...parts,
  };
}

/** Renders a spec to SVG without a browser or canvas. */
export async function renderSvg(spec: Spec): Promise<string> {
  const view = new View(parse(spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A chart from its spec. */
export async function renderChart(id: string, title: string, spec: Spec): Promise<Chart> {
  return { id, title, svg: await renderSvg(spec) };
}
