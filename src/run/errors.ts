/**
 * Errors of the thread runner, and how errors cross the thread boundary: a worker sends
 * `{ name, message, stack }` and the pool rebuilds an error of the same class with the same message,
 * so an `InvalidInputError` thrown in a worker is an `InvalidInputError` for the caller.
 */
import { DegenerateFitError, InvalidInputError, NotFittedError } from "../core/errors.js";
import { IoError } from "../io/errors.js";

/**
 * A worker died (process.exit, an uncaught error, a failed start) while it held tasks, or the pool
 * was closed under them. Retrying on a fresh pool may succeed; the data was not at fault.
 */
export class WorkerCrashError extends Error {
  override name = "WorkerCrashError";
}

/** What a worker sends for a thrown value. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

/** Flattens any thrown value for postMessage. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: "Error", message: String(err) };
}

const CLASSES: Record<string, new (message: string) => Error> = {
  InvalidInputError,
  NotFittedError,
  DegenerateFitError,
  IoError,
  WorkerCrashError,
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
};

/**
 * Rebuilds a worker's error as the same class (the typed errors of modenorm and the built-in
 * ones), with the same message; the worker's stack is kept as `stack`. Unknown classes become an
 * `Error` whose `name` is the worker's.
 */
export function deserializeError(e: SerializedError): Error {
  const Ctor = Object.hasOwn(CLASSES, e.name) ? CLASSES[e.name]! : Error;
  const err = new Ctor(e.message);
  if (err.name !== e.name) err.name = e.name;
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

/** Never an unhandled rejection while a promise waits in a queue; its awaiter still sees it. */
export function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}
