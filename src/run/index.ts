export * from "./compare.js";
export * from "./encode-parallel.js";
export * from "./errors.js";
export * from "./gc.js";
export * from "./pool.js";
export * from "./protocol.js";
export * from "./stream-codec.js";
export * from "./thread-source.js";
