export * from "./core/index.js";
export * from "./drift/index.js";
export * from "./encode/index.js";
export * from "./io/index.js";
export * from "./run/index.js";
