/** Reports: self-contained HTML pages and PNG charts of models, round trips, clusters and drift. */
export * from "./axis.js";
export * from "./cluster-pass.js";
export * from "./cluster-report.js";
export * from "./density.js";
export * from "./ellipse.js";
export * from "./histogram.js";
export * from "./html.js";
export * from "./png.js";
export * from "./table-pass.js";
export * from "./table-report.js";
export * from "./vega.js";
