/**
 * Chart specs of `report --compare`: a column's old and new densities on the same bins
 * (`old_density`, `new_density`) and the share of rows per slot — each kept mode (by the most
 * likely mode), modal value and the literal slot — in old and new data (`occupancy`).
 */
import type { Spec } from "vega";
import type { PlotAxis } from "./axis.js";
import { densityTitle, xScaleAxis } from "./charts-column.js";
import { densityBars, type Histogram } from "./histogram.js";
import { chartSpec, dataMark, lineMark, PALETTE } from "./vega.js";

/** Old and new densities as steps over the same bins. */
export function compareDensitySpec(
  old: Histogram,
  now: Histogram,
  a: PlotAxis,
  xTitle: string,
): Spec {
  const steps = (h: Histogram) => {
    const bars = densityBars(h);
    const pts = bars.map((b) => ({ x: b.x0, y: b.density }));
    const last = bars[bars.length - 1];
    if (last !== undefined) pts.push({ x: last.x1, y: last.density });
    return pts;
  };
  const o = steps(old);
  const n = steps(now);
  let top = 0;
  for (const p of [...o, ...n]) top = Math.max(top, p.y);
  const { scale, axis } = xScaleAxis(a, xTitle);
  const line = (name: string, data: string, color: string) =>
    lineMark(
      name,
      data,
      { value: color },
      {
        interpolate: { value: "step-after" },
        strokeWidth: { value: 1.8 },
      },
    );
  return chartSpec({
    data: [
      { name: "old", values: o },
      { name: "new", values: n },
    ],
    scales: [
      scale,
      { name: "y", type: "linear", domain: [0, top > 0 ? top : 1], range: "height", nice: true },
      {
        name: "legend",
        type: "ordinal",
        domain: ["data", "compared"],
        range: [PALETTE[0]!, PALETTE[1]!],
      },
    ],
    axes: [axis, { orient: "left", scale: "y", title: densityTitle(a), tickCount: 5, grid: true }],
    legends: [{ stroke: "legend", orient: "top", direction: "horizontal", symbolType: "stroke" }],
    marks: [line("old_density", "old", PALETTE[0]!), line("new_density", "new", PALETTE[1]!)],
  });
}

/** Grouped bars of the share of values per slot, data against compared data. */
export function occupancySpec(
  labels: readonly string[],
  old: readonly number[],
  now: readonly number[],
): Spec {
  const share = (c: readonly number[]) => {
    const s = c.reduce((a, b) => a + b, 0);
    return c.map((v) => (s > 0 ? v / s : 0));
  };
  const so = share(old);
  const sn = share(now);
  const rows = labels.flatMap((label, i) => [
    { slot: label, set: "data", share: so[i]! },
    { slot: label, set: "compared", share: sn[i]! },
  ]);
  return chartSpec(
    {
      data: [{ name: "slots", values: rows }],
      scales: [
        { name: "x", type: "band", domain: [...labels], range: "width", padding: 0.2 },
        {
          name: "y",
          type: "linear",
          domain: { data: "slots", field: "share" },
          range: "height",
          nice: true,
        },
        {
          name: "color",
          type: "ordinal",
          domain: ["data", "compared"],
          range: [PALETTE[0]!, PALETTE[1]!],
        },
      ],
      axes: [
        {
          orient: "bottom",
          scale: "x",
          labelAngle: labels.length > 6 ? -40 : 0,
          labelAlign: labels.length > 6 ? "right" : "center",
        },
        {
          orient: "left",
          scale: "y",
          title: "share of values",
          format: "~%",
          grid: true,
          tickCount: 5,
        },
      ],
      legends: [{ fill: "color", orient: "top", direction: "horizontal" }],
      marks: [
        {
          type: "group",
          from: { facet: { name: "slot", data: "slots", groupby: "slot" } },
          encode: { enter: { x: { scale: "x", field: "slot" } } },
          // Inside the group, its width is the slot's band (Vega's grouped-bar idiom).
          signals: [{ name: "width", update: "bandwidth('x')" }],
          scales: [{ name: "pos", type: "band", range: "width", domain: ["data", "compared"] }],
          marks: [
            dataMark("rect", "occupancy", "slot", {
              x: { scale: "pos", field: "set" },
              width: { scale: "pos", band: 1 },
              y: { scale: "y", field: "share" },
              y2: { scale: "y", value: 0 },
              fill: { scale: "color", field: "set" },
            }),
          ],
        },
      ],
    },
    { height: 160 },
  );
}
