/** What every command shares: exit codes, error reporting, model files, safe writes, options. */
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { InvalidArgumentError } from "commander";
import { DegenerateFitError, InvalidInputError, NotFittedError } from "../core/errors.js";
import type { ColumnType } from "../core/table.js";
import { modelFromJson, modelToJson } from "../encode/model-file.js";
import type { ModelSpec } from "../encode/spec.js";
import { IoError } from "../io/errors.js";
import { writeAtomically } from "../io/safe-write.js";
import { UsageError } from "./option-checks.js";

/** Exit codes (documented in the README and `--help`). */
export const EXIT_OK = 0;
/** Bad input: data, model file, an existing output path, a refused operation. */
export const EXIT_INPUT = 1;
/** Command-line usage error: unknown command or option, invalid option value, contradictory options. */
export const EXIT_USAGE = 2;
/** `modenorm drift`: the data drifted (a verdict, not an error). */
export const EXIT_DRIFT = 3;
/** An unexpected internal error (a bug: please report it); EX_SOFTWARE of sysexits.h. */
export const EXIT_INTERNAL = 70;

/** Prints an error as one line (no stack for expected errors) and returns its exit code. */
export function reportError(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`modenorm: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const expected =
    err instanceof InvalidInputError ||
    err instanceof IoError ||
    err instanceof DegenerateFitError ||
    err instanceof NotFittedError;
  const e = err as Error;
  if (expected) {
    process.stderr.write(`modenorm: ${e.message}\n`);
    return EXIT_INPUT;
  }
  process.stderr.write(`modenorm: internal error: ${e?.stack ?? String(err)}\n`);
  return EXIT_INTERNAL;
}

/** Refuses to replace an existing output path unless allowed. */
export function checkOutputPath(path: string, overwrite: boolean | undefined): void {
  if (!overwrite && existsSync(path)) {
    throw new InvalidInputError(`${path}: already exists; pass --overwrite to replace it.`);
  }
}

/** The text of a model file. */
export async function readModelText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new IoError(
      code === "ENOENT"
        ? `${path}: no such model file`
        : `${path}: cannot read: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Reads and validates a model file. */
export async function readModel(path: string): Promise<ModelSpec> {
  return modelFromJson(await readModelText(path), path);
}

/** Writes a model file atomically. */
export async function writeModel(
  path: string,
  model: ModelSpec,
  overwrite: boolean | undefined,
): Promise<void> {
  await writeModelText(path, modelToJson(model), overwrite);
}

/** Writes a model file's text (any kind of model) atomically, with a final newline. */
export async function writeModelText(
  path: string,
  text: string,
  overwrite: boolean | undefined,
): Promise<void> {
  checkOutputPath(path, overwrite);
  // Through a registered temporary file: removed on any failure and when the process ends.
  await writeAtomically(path, overwrite === true, (tmp) =>
    writeFile(tmp, `${text}\n`, { flag: "wx" }),
  );
}

/** The input types a model implies, so reading forces them (and stray text is reported). */
export function typesFromModel(model: ModelSpec): Record<string, ColumnType> {
  const types: Record<string, ColumnType> = {};
  for (const c of model.columns) types[c.name] = c.dtype;
  return types;
}

/** Parses `--mixed col=0,-9999` (repeatable). */
export function mixedOption(
  value: string,
  previous: Record<string, number[]> = {},
): Record<string, number[]> {
  const eq = value.indexOf("=");
  if (eq <= 0) {
    throw new InvalidArgumentError(
      `--mixed expects column=value[,value…] (e.g. --mixed balance=0,-9999), got ${JSON.stringify(value)}.`,
    );
  }
  const name = value.slice(0, eq);
  if (Object.hasOwn(previous, name)) {
    throw new InvalidArgumentError(
      `--mixed names column "${name}" twice; give all its modal values at once (--mixed ${name}=v1,v2).`,
    );
  }
  const values = value
    .slice(eq + 1)
    .split(",")
    .map((v) => {
      const x = Number(v);
      if (v.trim() === "" || !Number.isFinite(x)) {
        throw new InvalidArgumentError(
          `--mixed ${name}: ${JSON.stringify(v)} is not a finite number (modal values are finite numbers).`,
        );
      }
      return x;
    });
  return { ...previous, [name]: values };
}

/**
 * Runs `fn`; an `InvalidInputError` whose message does not name a file yet gets `path: ` in
 * front, so every message about data says which file it is about.
 */
export function aboutFile<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InvalidInputError && !err.message.startsWith(path)) {
      throw new InvalidInputError(`${path}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** {@link aboutFile} for asynchronous work. */
export async function aboutFileAsync<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidInputError && !err.message.startsWith(path)) {
      throw new InvalidInputError(`${path}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Seconds since this process started: what a command reports as its time, so that a reported
 * time and rate cover what the user waited for (start-up, reading, the last write and rename).
 */
export function commandSeconds(): number {
  return process.uptime();
}

/** Writes a line to stdout. */
export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
