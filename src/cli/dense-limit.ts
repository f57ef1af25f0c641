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
import { stat } from "node:fs/promises";
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

/**
 * Refuses a dense transform whose blocks in flight cannot fit in memory: the encoder holds
 * `threads + 1` output blocks of `blockRows` rows × the layout's width in float32 at once (one per
 * worker and one being written). The budget is half of the machine's memory, leaving room for the
 * input blocks and the rest.
 * @throws InvalidInputError naming the size, the budget and a `--block-rows` that fits.
 */
export function checkDenseMemory(
  modelPath: string,
  model: ModelSpec,
  blockRows: number,
  threads: number,
  memoryBytes: number,
): void {
  const width = denseSpans(model).reduce((n, s) => n + s.outputs.length, 0);
  const need = (threads + 1) * blockRows * width * 4;
  const budget = memoryBytes / 2;
  if (need <= budget) return;
  const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const fits = Math.max(1, Math.floor(budget / ((threads + 1) * width * 4)));
  throw new InvalidInputError(
    `${modelPath}: the dense layout (${width} columns) would hold ${gb(need)} of blocks in memory (${threads + 1} blocks of ${blockRows} rows × ${width * 4} bytes), more than half of this machine's memory (${gb(budget)}); pass --block-rows ${fits} or less, fewer --threads, or use the compact layout (--layout compact)`,
  );
}

/**
 * An upper bound of the rows of `stream`: its count when known (Parquet), else for plain CSV files
 * their size in bytes (a row takes at least one byte), else null (gzip, standard input).
 */
export async function rowsAtMost(stream: {
  files: string[];
  totalRows: number | null;
}): Promise<number | null> {
  if (stream.totalRows !== null) return stream.totalRows;
  let bytes = 0;
  for (const f of stream.files) {
    if (!f.toLowerCase().endsWith(".csv")) return null;
    bytes += (await stat(f)).size;
  }
  return bytes;
}
