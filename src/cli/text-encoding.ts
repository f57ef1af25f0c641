/**
 * The text encoding of a round trip's CSV: `transform` records its input's encoding in a directory
 * output's manifest (`info.inputEncoding`), and `inverse` writes CSV in that encoding unless
 * `--output-encoding` says otherwise, so that a Latin-1 input comes back as the same bytes.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { TEXT_ENCODINGS, type TextEncoding } from "../io/options.js";
import { MANIFEST_NAME } from "../io/shards.js";

/**
 * The input encoding recorded in the manifest of the directory `encoded`, or null (not a
 * directory, no manifest, or none recorded: an output of an earlier version).
 */
export async function recordedEncoding(encoded: string): Promise<TextEncoding | null> {
  try {
    if (!(await stat(encoded)).isDirectory()) return null;
    const manifest = JSON.parse(await readFile(join(encoded, MANIFEST_NAME), "utf8"));
    const e = manifest?.info?.inputEncoding;
    return TEXT_ENCODINGS.includes(e) ? (e as TextEncoding) : null;
  } catch {
    // No readable manifest: the reader reports a damaged one when it opens the directory.
    return null;
  }
}

/** The encoding `inverse` writes CSV in: the option, else the recorded one, else UTF-8. */
export async function outputEncoding(
  encoded: string,
  option: TextEncoding | undefined,
): Promise<TextEncoding> {
  return option ?? (await recordedEncoding(encoded)) ?? "utf8";
}
