/**
 * The HTTP service: the model registry and the data routes on Fastify, with Prometheus metrics
 * and bearer tokens for writes. `buildApp` returns the application without listening, so tests
 * and the `serve` command share it.
 */

import { STATUS_CODES } from "node:http";
import swagger from "@fastify/swagger";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { InvalidInputError } from "../core/errors.js";
import { requireBaseline } from "../drift/index.js";
import type { WorkerPool } from "../run/pool.js";
import { authorized } from "./auth.js";
import { ARROW_STREAM, DIRECTIONS, dataRoute } from "./data-routes.js";
import { BodyError, parseJson } from "./json-table.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { ModelRegistry, RegistryError, type RegistryWrites } from "./registry.js";
import {
  AliasAnswer,
  DataQuery,
  ErrorAnswer,
  ModelInfoAnswer,
  ModelListAnswer,
  NameParams,
  NameVersionParams,
  UploadAnswer,
} from "./schemas.js";
import { Turns } from "./turns.js";

export interface AppOptions {
  /** The registry's directory. */
  models: string;
  /** SHA-256 digest of the bearer token; null: no token (loopback only). */
  token: Buffer | null;
  /** Whether reads (GET and the data routes) need the token too. */
  tokenReads?: boolean;
  /** Largest JSON body (data and model uploads), bytes. Default 16 MiB. */
  jsonLimit?: number;
  /** Largest CSV body, bytes (streamed, counted). Default 1 GiB. */
  csvLimit?: number;
  /** Milliseconds a request may take. Default 120,000. */
  requestTimeout?: number;
  /** Worker threads for bodies of 65,536 rows or more (transform, inverse); none: all on this thread. */
  pool?: WorkerPool;
  /** Where the registry's writes go; default: this process's registry. */
  writes?: RegistryWrites;
  /** The text of `/metrics`; default: this process's metrics. */
  metricsText?: () => Promise<string>;
}

/** The service, ready to `listen`. */
export async function buildApp(
  o: AppOptions,
): Promise<{ app: FastifyInstance; metrics: Metrics; registry: ModelRegistry }> {
  const registry = new ModelRegistry(o.models);
  const writes = o.writes ?? registry;
  const app = Fastify({
    bodyLimit: o.jsonLimit ?? 16 * 2 ** 20,
    requestTimeout: o.requestTimeout ?? 120_000,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  const metrics = createMetrics(async () => {
    const out: Record<string, number | null> = {};
    for (const name of await registry.list()) {
      // A name whose alias file cannot be read has no active version to report.
      out[name] = await registry.active(name).catch(() => null);
    }
    return out;
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: "modenorm",
        version: "1",
        description:
          "Mode-specific normalization as a service: a versioned model registry and transform, inverse, score and drift routes.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });

  // Bodies: JSON kept as text (parsed in the handlers, so a model upload keeps −0 and is
  // validated as the CLI validates a file); CSV passed through as a stream, counted.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) =>
    done(null, body),
  );
  app.addContentTypeParser("text/csv", (_req, payload, done) => done(null, payload));
  app.addContentTypeParser(ARROW_STREAM, (_req, payload, done) => done(null, payload));

  // Per route (method and template), decided once: whether its requests need the token.
  const needsToken = new Map<string, boolean>();
  const tokenNeeded = (req: FastifyRequest): boolean => {
    const template = req.routeOptions.url;
    const key = `${req.method} ${template}`;
    let needs = template === undefined ? undefined : needsToken.get(key);
    if (needs === undefined) {
      const path = template ?? req.url.split("?")[0]!;
      const write =
        req.method !== "GET" &&
        path.startsWith("/v1/") &&
        !DIRECTIONS.some((d) => path.endsWith(`/${d}`));
      needs = path.startsWith("/v1/") && (write || o.tokenReads === true);
      if (template !== undefined) needsToken.set(key, needs);
    }
    return needs;
  };
  const started = new WeakMap<FastifyRequest, bigint>();
  app.addHook("onRequest", (req, reply, done) => {
    metrics.inFlight.inc();
    started.set(req, process.hrtime.bigint());
    if (tokenNeeded(req) && (o.token === null || !authorized(req.headers.authorization, o.token))) {
      reply.header("WWW-Authenticate", 'Bearer realm="modenorm"');
      reply.code(401).send({
        statusCode: 401,
        error: "Unauthorized",
        message:
          o.token === null
            ? "this server has no token file, so it takes no writes (start it with --token-file)."
            : "a valid bearer token is needed (Authorization: Bearer <token>).",
      });
      return;
    }
    done();
  });
  app.addHook("onResponse", (req, reply, done) => {
    metrics.inFlight.dec();
    const t0 = started.get(req);
    metrics.answered(
      req.method,
      req.routeOptions.url ?? "unmatched",
      reply.statusCode,
      t0 === undefined ? null : Number(process.hrtime.bigint() - t0) / 1e9,
    );
    done();
  });

  app.setErrorHandler(
    (
      err: Error & { statusCode?: number; code?: string; row?: number; column?: string },
      _req,
      reply,
    ) => {
      if (err instanceof RegistryError)
        return reply.code(err.status).send({
          statusCode: err.status,
          error: STATUS_CODES[err.status],
          message: err.message,
        });
      if (err instanceof BodyError || err instanceof InvalidInputError) {
        const row = err instanceof BodyError ? err.row : /\brow (\d+)/.exec(err.message)?.[1];
        const column =
          err instanceof BodyError ? err.column : /column "([^"]+)"/.exec(err.message)?.[1];
        return reply.code(400).send({
          statusCode: 400,
          error: "Bad Request",
          message: err.message,
          ...(row === undefined ? {} : { row: Number(row) }),
          ...(column === undefined ? {} : { column }),
        });
      }
      const status = err.statusCode ?? 500;
      if (status >= 500) app.log.error(err);
      return reply.code(status).send({
        statusCode: status,
        error: STATUS_CODES[status] ?? "Error",
        message: status >= 500 ? "internal error" : err.message,
        ...(err.code === undefined ? {} : { code: err.code }),
      });
    },
  );

  const op = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      const r = await fn();
      metrics.registryOps.inc({ op: what, result: "ok" });
      return r;
    } catch (err) {
      metrics.registryOps.inc({
        op: what,
        result:
          err instanceof RegistryError
            ? "refused"
            : err instanceof InvalidInputError
              ? "invalid"
              : "error",
      });
      throw err;
    }
  };

  app.get("/livez", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    try {
      const names = await registry.list();
      for (const n of names) {
        if ((await registry.active(n)) !== null) await registry.model(n);
      }
      return { status: "ready", models: names.length };
    } catch (err) {
      return reply.code(503).send({ status: "not ready", message: (err as Error).message });
    }
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => {
    reply.header("Content-Type", metrics.registry.contentType);
    return o.metricsText === undefined ? metrics.registry.metrics() : o.metricsText();
  });

  app.get(
    "/v1/models",
    {
      schema: {
        summary: "List the models and their active versions",
        response: { 200: ModelListAnswer },
      },
    },
    async () => {
      const names = await registry.list();
      const models = [];
      for (const name of names) models.push({ name, active: await registry.active(name) });
      return { models };
    },
  );
  app.get(
    "/v1/models/:name",
    {
      schema: {
        summary: "A model's versions, active version and activation history",
        params: NameParams,
        response: { 200: ModelInfoAnswer, 404: ErrorAnswer },
      },
    },
    async (req) => registry.describe(req.params.name),
  );
  app.get(
    "/v1/models/:name/versions/:v",
    { schema: { summary: "A version's model file", params: NameVersionParams } },
    async (req, reply) => {
      const { name, v } = req.params;
      const text = await registry.text(name, Number(v));
      reply.header("Content-Type", "application/json; charset=utf-8");
      return text;
    },
  );
  app.post(
    "/v1/models/:name/versions",
    {
      schema: {
        summary:
          "Upload a model file as a new version (the same content again returns its version)",
        params: NameParams,
        security: [{ bearer: [] }],
        response: { 200: UploadAnswer, 201: UploadAnswer, 400: ErrorAnswer, 401: ErrorAnswer },
      },
    },
    async (req, reply) => {
      const { name } = req.params;
      if (typeof req.body !== "string")
        throw new BodyError("upload the model file as application/json.");
      const r = await op("upload", () => writes.upload(name, req.body as string));
      reply
        .code(r.created ? 201 : 200)
        .header("Location", `/v1/models/${name}/versions/${r.version}`);
      return { name, ...r };
    },
  );
  app.put(
    "/v1/models/:name/active",
    {
      schema: {
        summary: 'Make a version the active one (body: {"version": v})',
        params: NameParams,
        security: [{ bearer: [] }],
        response: { 200: AliasAnswer, 404: ErrorAnswer },
      },
    },
    async (req) => {
      const { name } = req.params;
      const body = parseJson(req.body) as { version?: unknown };
      if (
        typeof body !== "object" ||
        body === null ||
        !Number.isSafeInteger(body.version) ||
        (body.version as number) < 1
      )
        throw new BodyError('the body must be {"version": <a version number ≥ 1>}.');
      return op("activate", () => writes.activate(name, body.version as number));
    },
  );
  app.post(
    "/v1/models/:name/rollback",
    {
      schema: {
        summary: "Make the previously active version active again",
        params: NameParams,
        security: [{ bearer: [] }],
        response: { 200: AliasAnswer, 409: ErrorAnswer },
      },
    },
    async (req) => op("rollback", () => writes.rollback(req.params.name)),
  );
  app.delete(
    "/v1/models/:name/versions/:v",
    {
      schema: {
        summary: "Delete a version (not the active one)",
        params: NameVersionParams,
        security: [{ bearer: [] }],
      },
    },
    async (req, reply) => {
      const { name, v } = req.params;
      await op("delete", () => writes.remove(name, Number(v)));
      return reply.code(204).send();
    },
  );

  const turns = new Turns();
  for (const direction of DIRECTIONS) {
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const { name, v } = req.params as { name: string; v?: string };
      const { model, version } = await registry.model(
        name,
        v === undefined ? undefined : Number(v),
      );
      if (direction === "drift") requireBaseline(model, `model "${name}" v${version}`);
      reply.header("X-Model-Version", String(version));
      try {
        return await dataRoute(direction, model, req, reply, {
          metrics,
          name,
          streamLimit: o.csvLimit ?? 2 ** 30,
          pool: o.pool ?? null,
          turns,
        });
      } catch (err) {
        if (err instanceof BodyError || err instanceof InvalidInputError)
          metrics.rowErrors.inc({
            model: name,
            direction,
            reason: err instanceof BodyError ? "body" : "value",
          });
        throw err;
      }
    };
    const query = DataQuery;
    const summary = `${direction} rows with the active version (JSON rows or columns, or CSV; the answer in the same format)`;
    app.post(
      `/v1/models/:name/${direction}`,
      { schema: { summary, params: NameParams, querystring: query } },
      handler,
    );
    app.post(
      `/v1/models/:name/versions/:v/${direction}`,
      {
        schema: {
          summary: summary.replace("the active version", "version v"),
          params: NameVersionParams,
          querystring: query,
        },
      },
      handler,
    );
  }
  return { app: app as unknown as FastifyInstance, metrics, registry };
}
