/**
 * The service's request and response schemas, in TypeBox: Fastify validates requests with them
 * (a 400 naming the field), types the handlers' parameters, and `@fastify/swagger` writes the
 * OpenAPI description from them. Bodies of the data routes are JSON, CSV or Arrow streams read by
 * the handlers themselves (`json-table.ts`, `data-routes.ts`), so they have no schema here.
 */
import { Type } from "@fastify/type-provider-typebox";

/** `{name}`: at most 63 characters here; the registry checks the pattern (`registry.ts`). */
export const NameParams = Type.Object({ name: Type.String({ maxLength: 63 }) });

/** `{name}` and a version `{v}`: 1 to 999,999,999. */
export const NameVersionParams = Type.Object({
  name: Type.String({ maxLength: 63 }),
  v: Type.String({ pattern: "^[1-9][0-9]{0,8}$" }),
});

/** Query of the data routes. */
export const DataQuery = Type.Object({
  layout: Type.Optional(Type.Union([Type.Literal("compact"), Type.Literal("dense")])),
  firstRow: Type.Optional(Type.Integer({ minimum: 0 })),
  share: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
  critical: Type.Optional(Type.String({ maxLength: 4096 })),
});

const Activation = Type.Object({ version: Type.Integer(), at: Type.String() });

export const AliasAnswer = Type.Object({
  active: Type.Union([Type.Integer(), Type.Null()]),
  history: Type.Array(Activation),
  last: Type.Optional(Type.Integer()),
});

export const ModelInfoAnswer = Type.Object({
  name: Type.String(),
  active: Type.Union([Type.Integer(), Type.Null()]),
  versions: Type.Array(
    Type.Object({
      version: Type.Integer(),
      sha256: Type.String(),
      bytes: Type.Integer(),
      createdAt: Type.String(),
    }),
  ),
  history: Type.Array(Activation),
});

export const ModelListAnswer = Type.Object({
  models: Type.Array(
    Type.Object({ name: Type.String(), active: Type.Union([Type.Integer(), Type.Null()]) }),
  ),
});

export const UploadAnswer = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  created: Type.Boolean(),
  sha256: Type.String(),
});

export const ErrorAnswer = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  row: Type.Optional(Type.Integer()),
  column: Type.Optional(Type.String()),
});
