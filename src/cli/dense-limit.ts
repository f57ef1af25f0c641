/**
 * The dense layout's width limit. The dense layout has one float32 column per one-hot slot: a
 * categorical column of 100,000 distinct ids becomes 100,000 columns, 400 KB a row (a 1.3 MB CSV
 * became a 27 GB file). `transform --layout dense` refuses, before writing anything, a layout wider
 * than {@link DEFAULT_MAX_DENSE_COLUMNS} columns in total, unless `--max-dense-columns` raises it.
 *
 * Why 4,096 in total: that is 16 KiB a row in float32, already 16 GiB per million rows, and about
 * ten times the widest GAN inputs of the CTGAN / CTAB-GAN benchmarks (a few hundred columns). A
 * limit on the total (not per column) bounds what matters, the row width, however the width is
 * spread; the message names the widest columns, which are the ones to change.
 */
import { InvalidInputError } from "../core/errors.js";
import type { ModelSpec } from "../encode/spec.js";
import { denseSpans } from "../encode/table-codec.js";

/** Default largest number of columns of a dense layout. */
export const DEFAULT_MAX_DENSE_COLUMNS = 4096;

/**
 * Refuses a dense layout of `model` wider than `limit` columns.
 * @throws InvalidInputError naming the model file, the width, and the widest columns with their
 *   kind and number of categories or modes, and the ways out the CLI has.
 */
export function checkDenseWidth(modelPath: string, model: ModelSpec, limit: number): void {
  const spans = denseSpans(model);
  const width = spans.reduce((n, s) => n + s.outputs.length, 0);
  if (width <= limit) return;
  const perColumn = new Map<string, number>();
  for (const s of spans) perColumn.set(s.column, (perColumn.get(s.column) ?? 0) + s.outputs.length);
  const widest = [...perColumn.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  const about = widest.map(([name, w]) => {
    const spec = model.columns.find((c) => c.name === name)!;
    const what =
      spec.kind === "categorical"
        ? `categorical, ${spec.categories.length} categories`
        : "modes" in spec
          ? `${spec.kind}, ${spec.modes.length} modes`
          : spec.kind;
    return `"${name}" (${what}: ${w} columns)`;
  });
  // A numeric id can be refitted as a number; any column can be left out.
  const numeric = widest
    .map(([name]) => model.columns.find((c) => c.name === name)!)
    .filter((c) => c.kind === "categorical" && c.dtype !== "string")
    .map((c) => c.name);
  const refit =
    numeric.length > 0
      ? `refit ${numeric.map((n) => `"${n}"`).join(", ")} as numbers (fit --integer ${numeric.join(",")} or --continuous) or leave columns out (fit --columns)`
      : "refit leaving these columns out (fit --columns)";
  throw new InvalidInputError(
    `${modelPath}: the dense layout would have ${width} columns (${width * 4} bytes a row), more than the limit of ${limit}; widest: ${about.join(", ")}. Use the compact layout (--layout compact, the default), ${refit}, or raise the limit with --max-dense-columns ${width}`,
  );
}
