/** `modenorm inspect`: a model's columns and modes, without loading the table machinery. */
import { inspectModel, modelFromJson } from "../encode/model-file.js";
import { CLUSTER_FORMAT, type ModelSpec } from "../encode/spec.js";
import { out, readModelText } from "./shared.js";

/** The `format` field of a JSON object's text, or undefined (the model readers say what is wrong). */
function formatOf(text: string): unknown {
  try {
    return (JSON.parse(text) as { format?: unknown }).format;
  } catch {
    return undefined;
  }
}

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

/** `modenorm inspect`: a model file of `fit` or a clustering model of `cluster`. */
export async function inspectCommand(modelPath: string, o: { json?: boolean }): Promise<void> {
  const text = await readModelText(modelPath);
  // The clustering model's code loads only for such a file.
  if (formatOf(text) === CLUSTER_FORMAT) {
    const { clusterModelFromJson, meanInColumnUnits } = await import("../encode/cluster-model.js");
    const { printCluster } = await import("./cluster-print.js");
    const m = clusterModelFromJson(text, `clustering model file "${modelPath}"`);
    if (o.json) {
      out(
        JSON.stringify({
          ...m,
          meansInColumnUnits: m.weights.map((_, k) => meanInColumnUnits(m, k)),
        }),
      );
      return;
    }
    out(
      `${modelPath}: clustering of ${m.fit.rows} rows into ${m.components} components, seed ${m.seed}`,
    );
    printCluster(m);
    return;
  }
  const model = modelFromJson(text, modelPath);
  if (o.json) {
    // The dense layout's spans need the codecs: loaded only for --json.
    const { denseSpans } = await import("../encode/table-codec.js");
    out(JSON.stringify({ ...inspectModel(model), dense: denseSpans(model) }));
    return;
  }
  out(`${modelPath}: ${model.columns.length} column(s), seed ${model.seed}`);
  printInspect(model);
}
