/**
 * Redis connections from a URL: `redis://[user[:password]@]host[:port][/db]` or `rediss://…` for
 * TLS (the server name checked against the certificate; a CA file from `MODENORM_REDIS_CA` when
 * the server's certificate is not signed by a system CA). Messages name the host and port, never
 * the password.
 */
import { readFileSync } from "node:fs";
import { InvalidInputError } from "../core/errors.js";
import { IoError } from "../io/errors.js";

/** ioredis options (BullMQ passes them on). */
export interface RedisConnection {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  tls?: { servername: string; ca?: Buffer };
  /** BullMQ workers need blocking commands to wait for ever. */
  maxRetriesPerRequest: null;
  /**
   * Reconnect with a backoff of 100 ms to 2 s until the caller gives up (`stop()`): then the
   * connections end, so that a process whose Redis is gone can exit.
   */
  retryStrategy: (times: number) => number | null;
}

/** Raised when Redis stays unreachable: names host, port and the cause. */
export class RedisUnreachableError extends IoError {
  override name = "RedisUnreachableError";
}

/**
 * The start of the message of a Redis that did not answer for `seconds`: host, port, the last
 * connection error, and what to check.
 */
export function unreachable(url: string, seconds: number, lastError: string): string {
  const cause = lastError === "" ? "" : ` (${lastError})`;
  return `Redis at ${redisAddress(url)}: unreachable for ${Math.round(seconds)} s${cause}; start it, or check --redis (address, user, password, TLS),`;
}

/** `host:port` of a URL, for messages. */
export function redisAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "6379"}`;
  } catch {
    return "(an invalid URL)";
  }
}

/**
 * The connection options of a Redis URL.
 * @throws InvalidInputError for another scheme, a bad port or database number, or an unreadable
 *   CA file.
 */
export function redisConnection(
  url: string,
  env = process.env,
): RedisConnection & { stop(): void } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidInputError(
      `--redis: ${JSON.stringify(url.replace(/\/\/[^@/]*@/, "//…@"))} is not a URL; give redis://[user:password@]host:port[/db] or rediss://… for TLS.`,
    );
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    throw new InvalidInputError(
      `--redis: the scheme is ${u.protocol}; give redis://host:port or rediss://host:port (TLS).`,
    );
  }
  const port = u.port === "" ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, "");
  const db = dbText === "" ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) {
    throw new InvalidInputError(
      `--redis: the database is ${JSON.stringify(dbText)}; give a number, e.g. /0.`,
    );
  }
  let stopped = false;
  const c: RedisConnection & { stop(): void } = {
    host: u.hostname,
    port,
    db,
    maxRetriesPerRequest: null,
    retryStrategy: (times) => (stopped ? null : Math.min(100 * times, 2000)),
    stop: () => {
      stopped = true;
    },
  };
  if (u.username !== "") c.username = decodeURIComponent(u.username);
  if (u.password !== "") c.password = decodeURIComponent(u.password);
  if (u.protocol === "rediss:") {
    c.tls = { servername: u.hostname };
    const caFile = env.MODENORM_REDIS_CA;
    if (caFile !== undefined && caFile !== "") {
      try {
        c.tls.ca = readFileSync(caFile);
      } catch (err) {
        throw new InvalidInputError(
          `MODENORM_REDIS_CA: cannot read ${caFile} (${(err as Error).message}); give the PEM file of the CA that signed the server's certificate.`,
        );
      }
    }
  }
  return c;
}
