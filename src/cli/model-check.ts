/**
 * Decoding with the model an encoded table was made with. `modenorm transform` records the
 * SHA-256 of its model: a directory output in `_manifest.json` (with its layout and columns), a
 * Parquet file in its footer's key-value metadata. `inverse` refuses another model, and input
 * that records no model at all (a CSV or Arrow file, standard input, generated rows), unless
 * `--no-model-check` says to decode it anyway.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError } from "../core/errors.js";
import { modelToJson } from "../encode/model-file.js";
import type { ModelSpec } from "../encode/spec.js";
import { type Layout, layoutFields } from "../encode/table-codec.js";
import {
  MANIFEST_NAME,
  RUN_METADATA_KEY,
  readParquetKeyValues,
  type ShardManifest,
  tableFormatOf,
} from "../io/index.js";

/** SHA-256 (hex) of a model's canonical JSON: what a manifest records as `run.model`. */
export function modelChecksum(model: ModelSpec): string {
  return createHash("sha256").update(modelToJson(model)).digest("hex");
}

/** The manifest of a directory input, or null when `path` is not a directory with one. */
async function manifestOf(path: string): Promise<ShardManifest | null> {
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) return null;
  const text = await readFile(join(path, MANIFEST_NAME), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    return JSON.parse(text) as ShardManifest;
  } catch {
    throw new InvalidInputError(`${path}/${MANIFEST_NAME}: is not JSON; the output is damaged`);
  }
}

const OVERRIDE = "pass --no-model-check to decode it with this model anyway";

/** What an encoded input records of the run that wrote it. */
interface RunRecord {
  run: { command?: unknown; model?: unknown; layout?: unknown };
  /** The columns a manifest lists (a Parquet file's are checked when they are read). */
  columns: { name: string; type: string }[] | null;
  layout: Layout;
}

/** The record of `path`: a directory's manifest or a Parquet file's footer; null if none. */
async function runRecordOf(path: string): Promise<RunRecord | null> {
  if (path === "-") return null;
  if (tableFormatOf(path) === "parquet") {
    const text = (await readParquetKeyValues(path))?.get(RUN_METADATA_KEY);
    if (text === undefined) return null;
    try {
      const run = JSON.parse(text) as RunRecord["run"];
      return { run, columns: null, layout: run.layout === "dense" ? "dense" : "compact" };
    } catch {
      throw new InvalidInputError(`${path}: its ${RUN_METADATA_KEY} metadata is not JSON`);
    }
  }
  const m = await manifestOf(path.replace(/[/\\]+$/, ""));
  if (m === null) return null;
  const run = (m.run ?? {}) as RunRecord["run"];
  // The layout the run was asked for; the columns listed must be that layout's.
  const layout =
    run.layout === "dense" || run.layout === "compact"
      ? run.layout
      : ((m.info as { layout?: Layout } | undefined)?.layout ?? "compact");
  return { run, columns: m.columns ?? [], layout };
}

/**
 * Checks that `encodedPath` was encoded with `model` (read from `modelPath`).
 * @throws InvalidInputError when it was encoded with another model (naming both checksums), by
 *   another command, in columns the model does not make, or records no model at all.
 */
export async function checkEncodedWith(
  encodedPath: string,
  model: ModelSpec,
  modelPath: string,
): Promise<void> {
  const record = await runRecordOf(encodedPath);
  if (record === null) {
    throw new InvalidInputError(
      `${encodedPath}: records no model (modenorm transform records its model's checksum in a directory output's ${MANIFEST_NAME} or a Parquet file's metadata; CSV, Arrow and standard input have no place for it), so it cannot be checked that ${modelPath} is the model it was encoded with; if it is (or the rows were generated in that model's layout), ${OVERRIDE}`,
    );
  }
  const { run, layout } = record;
  if (run.command !== "transform") {
    throw new InvalidInputError(
      `${encodedPath}: was written by modenorm ${String(run.command)}, not by transform: it is not an encoded table; ${OVERRIDE}`,
    );
  }
  const have = modelChecksum(model);
  if (run.model !== have) {
    throw new InvalidInputError(
      `${encodedPath}: was encoded with the model of SHA-256 ${String(run.model)}, but ${modelPath} has SHA-256 ${have}: decoding with another model gives wrong values. Use the model it was encoded with, or ${OVERRIDE}`,
    );
  }
  if (record.columns === null) return;
  const want = layoutFields(model, layout).map((f) => `${f.name}:${f.type}`);
  const got = record.columns.map((c) => `${c.name}:${c.type}`);
  if (want.join("\n") !== got.join("\n")) {
    throw new InvalidInputError(
      `${encodedPath}: ${MANIFEST_NAME} lists the columns ${got.slice(0, 4).join(", ")}${got.length > 4 ? ", …" : ""}, but the ${layout} layout of ${modelPath} has ${want.slice(0, 4).join(", ")}${want.length > 4 ? ", …" : ""}; the output is damaged or was edited: regenerate it, or ${OVERRIDE}`,
    );
  }
}
