/** `modenorm inspect`: a model's columns and modes, without loading the table machinery. */
import { inspectModel } from "../encode/model-file.js";
import type { ModelSpec } from "../encode/spec.js";
import { out, readModel } from "./shared.js";

/** Prints a model's columns, one line each, and every kept mode of its mixture columns. */
export function printInspect(model: ModelSpec): void {
  for (const c of inspectModel(model).columns) {
    const detail =
      c.modes !== undefined
        ? `${c.modes.length} mode(s)`
        : "categories" in c && Array.isArray(c.categories)
          ? `${c.categories.length} categories`
          : "";
    out(`  ${c.name}: ${c.kind}${detail ? `, ${detail}` : ""}`);
    for (const m of c.modes ?? []) {
      out(
        `    weight ${m.weight.toFixed(4)}  mean ${m.mean.toPrecision(7)}  std ${m.std.toPrecision(7)}`,
      );
    }
  }
}

/** `modenorm inspect`. */
export async function inspectCommand(modelPath: string, o: { json?: boolean }): Promise<void> {
  const model = await readModel(modelPath);
  if (o.json) {
    // The dense layout's spans need the codecs: loaded only for --json.
    const { denseSpans } = await import("../encode/table-codec.js");
    out(JSON.stringify({ ...inspectModel(model), dense: denseSpans(model) }));
    return;
  }
  out(`${modelPath}: ${model.columns.length} column(s), seed ${model.seed}`);
  printInspect(model);
}
