export * from "./cluster-data.js";
export * from "./connection.js";
export * from "./run.js";
export * from "./worker.js";
