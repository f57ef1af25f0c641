/**
 * The build's fingerprint: a hash of the compiled code that reads parts and computes statistics
 * (core, encode, io, run, distributed; JavaScript and WebAssembly) and of the V8 version (its
 * Math functions and its serialization of summaries). Every job carries the coordinator's; a
 * worker of another build refuses the job, since its statistics might differ in the last bit.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PARTS = ["core", "encode", "io", "run", "distributed"];

let cached: string | null = null;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else if (/\.(js|wasm)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** 16 hex digits of SHA-256 over the code's paths and bytes, in path order. */
export function buildFingerprint(): string {
  if (cached !== null) return cached;
  const h = createHash("sha256");
  h.update(`v8 ${process.versions.v8}\0`);
  const all = PARTS.flatMap((p) => files(join(ROOT, p))).sort();
  for (const f of all) {
    h.update(relative(ROOT, f));
    h.update("\0");
    h.update(readFileSync(f));
  }
  cached = h.digest("hex").slice(0, 16);
  return cached;
}
