/**
 * Charts as static SVG: a Vega spec (built by the typed functions of `charts-*.ts`) rendered on
 * the server with `renderer: "none"` and `toSVG()`. Text and axes are drawn in `currentColor`, so
 * the page's light or dark scheme colours them; data colours read on both backgrounds.
 */
import { type Config, type EncodeEntry, type Mark, parse, type Spec, View } from "vega";

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

/** Renders a spec to SVG without a browser or canvas (see {@link compactSvg}). */
export async function renderSvg(spec: Spec): Promise<string> {
  const view = new View(parse(spec), { renderer: "none" });
  try {
    return compactSvg(await view.toSVG());
  } finally {
    view.finalize();
  }
}

const DECIMALS = /-?\d+\.\d{2,}/g;

/**
 * Geometry rounded to 1/10 of a pixel: Vega writes coordinates with all their digits
 * (`M9.332858878823895,149.89333333333335h…`), which makes up most of a chart's bytes and none of
 * what is seen. Only path data and transforms are rounded, never text.
 */
export function compactSvg(svg: string): string {
  return svg.replace(/ (d|transform)="([^"]*)"/g, (_, name: string, value: string) => {
    const v = value.replace(DECIMALS, (n) => String(Math.round(Number(n) * 10) / 10));
    return ` ${name}="${v}"`;
  });
}

/** A chart from its spec. */
export async function renderChart(id: string, title: string, spec: Spec): Promise<Chart> {
  return { id, title, svg: await renderSvg(spec) };
}

/** A colour given as a constant or through a scale's field. */
export type Paint = { value: string } | { scale: string; field: string };

/** A line through fields `x` and `y` of `data` on scales x and y; `extra` adds encodings. */
export function lineMark(name: string, data: string, stroke: Paint, extra: EncodeEntry = {}): Mark {
  return {
    type: "line",
    name,
    from: { data },
    encode: {
      enter: {
        x: { scale: "x", field: "x" },
        y: { scale: "y", field: "y" },
        stroke,
        strokeWidth: { value: 1.5 },
        ...extra,
      },
    },
  };
}

/** One line per group of `data` rows (a facet group per line, its mark named `name`). */
export function facetLines(
  name: string,
  data: string,
  groupby: string | string[],
  stroke: Paint,
  extra: EncodeEntry = {},
): Mark {
  return {
    type: "group",
    from: { facet: { name: `${name}_rows`, data, groupby } },
    encode: { enter: { width: { signal: "width" }, height: { signal: "height" } } },
    clip: true,
    marks: [lineMark(name, `${name}_rows`, stroke, extra)],
  };
}

/** A mark of one item per row of `data`, encoded once (`enter`); `more` adds e.g. clipping. */
export function dataMark(
  type: "rect" | "symbol" | "rule" | "text",
  name: string,
  data: string,
  enter: EncodeEntry,
  more: { clip?: boolean } = {},
): Mark {
  return { type, name, from: { data }, ...more, encode: { enter } };
}

/** Horizontal bars from 0 to `field` on scale x, one per `key` of band scale y. */
export function barsMark(
  name: string,
  data: string,
  field: string,
  key: string,
  fill: Paint,
): Mark {
  return {
    type: "rect",
    name,
    from: { data },
    encode: {
      enter: {
        x: { scale: "x", value: 0 },
        x2: { scale: "x", field },
        y: { scale: "y", field: key },
        height: { scale: "y", band: 1 },
        fill,
      },
    },
  };
}
