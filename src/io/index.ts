export * from "./errors.js";
export * from "./format.js";
export * from "./options.js";
export * from "./shards.js";
export * from "./sink.js";
export * from "./stream.js";
export * from "./table-io.js";
