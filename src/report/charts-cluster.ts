/**
 * The chart spec of a clustering: a scatter of two columns coloured by cluster
 * (`scatter_points`) with each component's 1σ (solid) and 2σ (dashed) ellipse (`ellipse`, one
 * line per component and level).
 */
import type { Spec } from "vega";
import { round4 } from "./axis.js";
import type { ScatterPoint } from "./cluster-pass.js";
import type { EllipsePoint } from "./ellipse.js";
import { chartSpec, dataMark, facetLines, PALETTE } from "./vega.js";

/** Scatter and ellipses; the axes cover the points and the 1σ ellipses. */
export function scatterSpec(
  points: readonly ScatterPoint[],
  ellipses: readonly EllipsePoint[],
  components: number,
  xTitle: string,
  yTitle: string,
): Spec {
  const pts = points.map((p) => ({ x: round4(p.x), y: round4(p.y), k: p.k }));
  const ell = ellipses.map((e) => ({ ...e, x: round4(e.x), y: round4(e.y) }));
  const range = (f: (p: { x: number; y: number }) => number) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const p of [...pts, ...ell.filter((e) => e.level === 1)]) {
      lo = Math.min(lo, f(p));
      hi = Math.max(hi, f(p));
    }
    return hi > lo ? [lo, hi] : [lo - 1, lo + 1];
  };
  const clusters = Array.from({ length: components }, (_, k) => k);
  return chartSpec(
    {
      data: [
        { name: "points", values: pts },
        { name: "ellipses", values: ell },
      ],
      scales: [
        {
          name: "x",
          type: "linear",
          domain: range((p) => p.x),
          range: "width",
          nice: true,
          zero: false,
        },
        {
          name: "y",
          type: "linear",
          domain: range((p) => p.y),
          range: "height",
          nice: true,
          zero: false,
        },
        { name: "color", type: "ordinal", domain: clusters, range: PALETTE },
      ],
      axes: [
        {
          orient: "bottom",
          scale: "x",
          title: xTitle,
          grid: true,
          format: "~s",
          labelOverlap: true,
        },
        { orient: "left", scale: "y", title: yTitle, grid: true, format: "~s" },
      ],
      legends: [{ fill: "color", title: "cluster", orient: "right", symbolType: "circle" }],
      marks: [
        dataMark(
          "symbol",
          "scatter_points",
          "points",
          {
            x: { scale: "x", field: "x" },
            y: { scale: "y", field: "y" },
            size: { value: 9 },
            fill: { scale: "color", field: "k" },
            fillOpacity: { value: 0.45 },
          },
          { clip: true },
        ),
        facetLines(
          "ellipse",
          "ellipses",
          ["k", "level"],
          { scale: "color", field: "k" },
          {
            strokeWidth: { value: 2 },
            strokeDash: { signal: "datum.level === 2 ? [5, 3] : []" },
          },
        ),
      ],
    },
    { width: 520, height: 360 },
  );
}
