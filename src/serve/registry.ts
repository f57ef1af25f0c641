/**
 * The model registry on disk: per name, immutable integer versions and a movable `active` alias
 * with the history of its moves (so a rollback goes back to the version that was active before,
 * not to v − 1).
 *
 *   <root>/<name>/v<version>.json   the model file, as uploaded (validated), never rewritten
 *   <root>/<name>/alias.json        {"active": v | null, "history": [{"version", "at"}]}
 *
 * Every file is written to a temporary name, flushed and moved into place (a version by a hard
 * link that fails if the version exists, so two writers never share a number); writes of one
 * name are serialised in this process. Names match {@link NAME}; a path is resolved and checked
 * to stay inside the root.
 */
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve, sep } from "node:path";
import { modelFromJson, modelToJson } from "../encode/model-file.js";
import type { ModelSpec } from "../encode/spec.js";
import { writeAtomically } from "../io/safe-write.js";

/** Model names: lower-case letters, digits, `.`, `_`, `-`; 1–63 characters; not starting with a dot. */
export const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** How long a read of a name's alias file serves later reads, in milliseconds. */
export const ALIAS_TTL_MS = 1000;

/** A registry error with the HTTP status it maps to. */
export class RegistryError extends Error {
  override name = "RegistryError";
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

export interface VersionInfo {
  version: number;
  sha256: string;
  bytes: number;
  createdAt: string;
}

export interface Activation {
  version: number;
  at: string;
}

export interface ModelInfo {
  name: string;
  active: number | null;
  versions: VersionInfo[];
  history: Activation[];
}

/** A name's alias file: the active version and the history of its moves. */
export interface Alias {
  active: number | null;
  history: Activation[];
  /** The highest version ever given (a deleted version's number is never given again). */
  last?: number;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The registry's writes: {@link ModelRegistry}'s own, or another process's that holds them. */
export interface RegistryWrites {
  upload(
    name: string,
    text: string,
  ): Promise<{ version: number; created: boolean; sha256: string }>;
  activate(name: string, version: number): Promise<Alias>;
  rollback(name: string): Promise<Alias>;
  remove(name: string, version: number): Promise<void>;
}

export class ModelRegistry implements RegistryWrites {
  readonly root: string;
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Parsed models by `name@version` (versions never change). */
  private readonly cache = new Map<string, ModelSpec>();
  private readonly aliases = new Map<string, { alias: Alias; at: number }>();

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** The directory of a name, checked. */
  private dir(name: string): string {
    if (!NAME.test(name) || name.includes("..")) {
      throw new RegistryError(
        400,
        `model name ${JSON.stringify(name.slice(0, 80))} is not valid: use 1–63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit.`,
      );
    }
    const d = resolve(this.root, name);
    if (!d.startsWith(this.root + sep))
      throw new RegistryError(
        400,
        `model name ${JSON.stringify(name)} leaves the models directory.`,
      );
    return d;
  }

  /** Runs `fn` after every earlier write of `name` in this process. */
  private serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  }

  private async versions(name: string): Promise<number[]> {
    let files: string[];
    try {
      files = await readdir(this.dir(name));
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return [];
      throw err;
    }
    return files
      .map((f) => /^v([1-9][0-9]{0,8})\.json$/.exec(f))
      .filter((m) => m !== null)
      .map((m) => Number(m![1]))
      .sort((a, b) => a - b);
  }

  /**
   * The alias file of a name. Reads are cached for {@link ALIAS_TTL_MS} (the data routes read it
   * on every request); this process's own writes update the cache at once, another process's
   * show within that time.
   */
  private async alias(name: string, fresh = false): Promise<Alias> {
    const hit = this.aliases.get(name);
    if (!fresh && hit !== undefined && performance.now() - hit.at < ALIAS_TTL_MS) return hit.alias;
    let alias: Alias;
    try {
      alias = JSON.parse(await readFile(join(this.dir(name), "alias.json"), "utf8")) as Alias;
    } catch (err) {
      if ((err as { code?: string }).code !== "ENOENT") throw err;
      alias = { active: null, history: [] };
    }
    this.aliases.set(name, { alias, at: performance.now() });
    return alias;
  }

  private async writeAlias(name: string, a: Alias): Promise<void> {
    await writeAtomically(join(this.dir(name), "alias.json"), true, (tmp) =>
      writeFile(tmp, `${JSON.stringify(a, null, 2)}\n`, { flag: "wx" }),
    );
    this.aliases.set(name, { alias: a, at: performance.now() });
  }

  /**
   * Drops what this process keeps of a name (its alias and parsed versions), so that the next
   * read sees the files as another process left them.
   */
  forget(name: string): void {
    this.aliases.delete(name);
    for (const key of [...this.cache.keys()]) {
      if (key.startsWith(`${name}@`)) this.cache.delete(key);
    }
  }

  /** Names in the registry, sorted. */
  async list(): Promise<string[]> {
    await mkdir(this.root, { recursive: true });
    const out: string[] = [];
    for (const f of await readdir(this.root)) {
      if (NAME.test(f) && (await this.versions(f)).length > 0) out.push(f);
    }
    return out.sort();
  }

  /** A name's active version (null when none is). */
  async active(name: string): Promise<number | null> {
    return (await this.alias(name)).active;
  }

  /** A name's versions, active version and activation history. */
  async describe(name: string): Promise<ModelInfo> {
    const versions = await this.versions(name);
    if (versions.length === 0) throw new RegistryError(404, `no model named "${name}".`);
    const infos: VersionInfo[] = [];
    for (const v of versions) {
      const path = join(this.dir(name), `v${v}.json`);
      const text = await readFile(path, "utf8");
      infos.push({
        version: v,
        sha256: sha256(text),
        bytes: Buffer.byteLength(text),
        createdAt: (await stat(path)).mtime.toISOString(),
      });
    }
    const a = await this.alias(name);
    return { name, active: a.active, versions: infos, history: a.history };
  }

  /** The model text of a version. */
  async text(name: string, version: number): Promise<string> {
    try {
      return await readFile(join(this.dir(name), `v${version}.json`), "utf8");
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT")
        throw new RegistryError(404, `model "${name}" has no version ${version}.`);
      throw err;
    }
  }

  /** A version's model (the active one when `version` is undefined). */
  async model(name: string, version?: number): Promise<{ model: ModelSpec; version: number }> {
    let v = version;
    if (v === undefined) {
      const a = await this.alias(name);
      if (a.active === null) {
        const known = (await this.versions(name)).length > 0;
        throw new RegistryError(
          404,
          known
            ? `model "${name}" has no active version; activate one (PUT /v1/models/${name}/active).`
            : `no model named "${name}".`,
        );
      }
      v = a.active;
    }
    const key = `${name}@${v}`;
    let m = this.cache.get(key);
    if (m === undefined) {
      m = modelFromJson(await this.text(name, v), `${name} v${v}`);
      this.cache.set(key, m);
    }
    return { model: m, version: v };
  }

  /**
   * Stores a model as the next version (validated as the CLI validates a model file). The same
   * content as an existing version returns that version (`created` false): retries are safe. The
   * first version of a name becomes active.
   */
  async upload(
    name: string,
    text: string,
  ): Promise<{ version: number; created: boolean; sha256: string }> {
    const model = modelFromJson(text, `uploaded model "${name}"`);
    const canonical = `${modelToJson(model)}\n`;
    const digest = sha256(canonical);
    return this.serial(name, async () => {
      const dir = this.dir(name);
      await mkdir(dir, { recursive: true });
      const existing = await this.versions(name);
      for (const v of existing) {
        if (sha256(await this.text(name, v)) === digest)
          return { version: v, created: false, sha256: digest };
      }
      const before = await this.alias(name, true);
      let v = Math.max(existing.at(-1) ?? 0, before.last ?? 0) + 1;
      for (;;) {
        try {
          await writeAtomically(join(dir, `v${v}.json`), false, (tmp) =>
            writeFile(tmp, canonical, { flag: "wx" }),
          );
          break;
        } catch (err) {
          if (!/already exists/.test((err as Error).message)) throw err;
          v++;
        }
      }
      const a = await this.alias(name, true);
      const first = a.active === null && existing.length === 0;
      await this.writeAlias(name, {
        active: first ? v : a.active,
        history: first ? [...a.history, { version: v, at: new Date().toISOString() }] : a.history,
        last: v,
      });
      return { version: v, created: true, sha256: digest };
    });
  }

  /** Makes `version` the active one (recorded in the history). */
  async activate(name: string, version: number): Promise<Alias> {
    return this.serial(name, async () => {
      await this.text(name, version);
      const a = await this.alias(name, true);
      if (a.active === version) return a;
      const next = {
        ...a,
        active: version,
        history: [...a.history, { version, at: new Date().toISOString() }],
      };
      await this.writeAlias(name, next);
      return next;
    });
  }

  /** Moves the alias back to the version active before the current one. */
  async rollback(name: string): Promise<Alias> {
    return this.serial(name, async () => {
      const a = await this.alias(name, true);
      const versions = new Set(await this.versions(name));
      if (versions.size === 0) throw new RegistryError(404, `no model named "${name}".`);
      // The latest earlier activation of another version that still exists.
      for (let i = a.history.length - 2; i >= 0; i--) {
        const v = a.history[i]!.version;
        if (v !== a.active && versions.has(v)) {
          const next = {
            ...a,
            active: v,
            history: [...a.history, { version: v, at: new Date().toISOString() }],
          };
          await this.writeAlias(name, next);
          return next;
        }
      }
      throw new RegistryError(
        409,
        `model "${name}" has no earlier active version to roll back to.`,
      );
    });
  }

  /** Deletes a version (refused for the active one). */
  async remove(name: string, version: number): Promise<void> {
    return this.serial(name, async () => {
      await this.text(name, version);
      const a = await this.alias(name, true);
      if (a.active === version)
        throw new RegistryError(
          409,
          `version ${version} of "${name}" is active; activate another version first.`,
        );
      await rm(join(this.dir(name), `v${version}.json`));
      this.cache.delete(`${name}@${version}`);
    });
  }
}
