/**
 * Decoding with the model an encoded table was made with. A directory written by `modenorm
 * transform` records the SHA-256 of its model (and its layout and columns) in `_manifest.json`;
 * `inverse` refuses another model, and input that records no model at all (a single file, standard
 * input, generated data), unless `--no-model-check` says to decode it anyway.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { InvalidInputError } from "../core/errors.js";
import { modelToJson } from "../encode/model-file.js";
import type { ModelSpec } from "../encode/spec.js";
import { type Layout, layoutFields } from "../encode/table-codec.js";
import { MANIFEST_NAME, type ShardManifest } from "../io/index.js";

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
  const m = encodedPath === "-" ? null : await manifestOf(encodedPath.replace(/[/\\]+$/, ""));
  if (m === null) {
    throw new InvalidInputError(
      `${encodedPath}: records no model (only a directory written by modenorm transform records its model's checksum in ${MANIFEST_NAME}), so it cannot be checked that ${modelPath} is the model it was encoded with; if it is (or the rows were generated in that model's layout), ${OVERRIDE}`,
    );
  }
  const run = (m.run ?? {}) as { command?: unknown; model?: unknown };
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
  const layout = (m.info as { layout?: Layout } | undefined)?.layout ?? "compact";
  const want = layoutFields(model, layout).map((f) => `${f.name}:${f.type}`);
  const got = (m.columns ?? []).map((c) => `${c.name}:${c.type}`);
  if (want.join("\n") !== got.join("\n")) {
    throw new InvalidInputError(
      `${encodedPath}: ${MANIFEST_NAME} lists the columns ${got.slice(0, 4).join(", ")}${got.length > 4 ? ", …" : ""}, but the ${layout} layout of ${modelPath} has ${want.slice(0, 4).join(", ")}${want.length > 4 ? ", …" : ""}; the output is damaged or was edited: regenerate it, or ${OVERRIDE}`,
    );
  }
}
