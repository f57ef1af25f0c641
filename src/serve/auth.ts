/**
 * Bearer tokens: the token file's first line is the token; a request's token is compared by
 * SHA-256 digest with a constant-time comparison (digests have one length, so the comparison
 * leaks neither the token's bytes nor its length).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** The digest of the token in `path`. */
export async function readToken(path: string): Promise<Buffer> {
  const text = await readFile(path, "utf8");
  const token = text.split(/\r?\n/)[0]!.trim();
  if (token.length < 16)
    throw new Error(`${path}: the token must be at least 16 characters on the first line.`);
  return digest(token);
}

/** Whether an `Authorization` header carries the token. */
export function authorized(header: string | undefined, token: Buffer): boolean {
  const m = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(header ?? "");
  return m !== null && timingSafeEqual(digest(m[1]!), token);
}
