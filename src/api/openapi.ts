import { z } from 'zod';
import type { Operation, ResponseSpec } from './operation';
import { Problem } from './responses';

type JsonSchema = Record<string, unknown>;

/** JSON Schema (2020-12, as OpenAPI 3.1 uses) of what a client sends or receives. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Koa's `/v1/campaigns/:id` is OpenAPI's `/v1/campaigns/{id}`. */
export function openApiPath(koaPath: string): string {
  return koaPath.replace(/:(\w+)/g, '{$1}');
}

/** Path and query parameters, one per property of their object schema. */
function parameters(operation: Operation): JsonSchema[] {
  const listed: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', operation.params],
    ['query', operation.query],
  ] as const) {
    if (!schema) continue;
    const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(json.properties ?? {})) {
      const { description, ...propertySchema } = property;
      listed.push({
        name,
        in: where,
        required: where === 'path' || (json.required ?? []).includes(name),
        schema: propertySchema,
        ...(description ? { description } : {}),
      });
    }
  }
  return listed;
}

function requestBody(operation: Operation): JsonSchema | undefined {
  const body = operation.body ?? operation.documentedBody;
  if (body) return { required: true, content: { 'application/json': { schema: schemaOf(body, 'input') } } };
  if (operation.rawBodyType)
    return { required: true, content: { [operation.rawBodyType]: { schema: { type: 'string' } } } };
  return undefined;
}

const PROBLEM = { $ref: '#/components/schemas/Problem' };

function response(spec: ResponseSpec, status: number): JsonSchema {
  const { description, schema, contentType } =
    typeof spec === 'string' ? { description: spec, schema: undefined, contentType: undefined } : spec;
  if (status >= 400) return { description, content: { 'application/problem+json': { schema: PROBLEM } } };
  if (schema)
    return { description, content: { [contentType ?? 'application/json']: { schema: schemaOf(schema, 'output') } } };
  if (contentType) return { description, content: { [contentType]: { schema: { type: 'string' } } } };
  return { description };
}

/** The answers every operation may give besides its own: by access, then validation. */
function commonResponses(operation: Operation): Record<number, ResponseSpec | undefined> {
  const keyed = operation.access === 'company' || operation.access === 'admin' || operation.access === 'any';
  return {
    ...(operation.params || operation.query || operation.body
      ? { 400: 'a request part is invalid: `errors` names each bad field' }
      : {}),
    ...(keyed ? { 401: 'missing, unknown or revoked API key' } : {}),
    ...(operation.access === 'company' ? { 403: 'a company API key is needed' } : {}),
    ...(operation.access === 'admin' ? { 403: 'the admin API key is needed' } : {}),
    ...(operation.body ? { 415: 'the body is not JSON' } : {}),
  };
}

function securityOf(operation: Operation): JsonSchema[] | undefined {
  if (operation.access === 'public' || operation.access === 'signed') return [];
  return undefined; // the document's default: an API key
}

/** The OpenAPI 3.1 document of the API, generated from the operations (the same schemas that validate). */
export function openApiDocument(operations: readonly Operation[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const operation of operations) {
    const responses = Object.fromEntries(
      Object.entries({ ...commonResponses(operation), ...operation.responses }).flatMap(([status, spec]) =>
        spec ? [[status, response(spec, Number(status))]] : [],
      ),
    );
    const pathKey = openApiPath(operation.path);
    paths[pathKey] ??= {};
    const path = paths[pathKey];
    const parameterList = parameters(operation);
    const body = requestBody(operation);
    const security = securityOf(operation);
    path[operation.method] = {
      operationId: `${operation.method}${operation.path.replace(/[/:{}-]+(\w)?/g, (_, next: string | undefined) => (next ?? '').toUpperCase())}`,
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      tags: [operation.tag],
      'x-access': operation.access,
      ...(parameterList.length > 0 ? { parameters: parameterList } : {}),
      ...(body ? { requestBody: body } : {}),
      ...(security ? { security } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Disparo API',
      version: info.version,
      description:
        'WhatsApp campaigns paced per number. Every call except health, docs and provider webhooks carries an API key (`Authorization: Bearer <key>` or `X-Api-Key`); a key sees only its company’s data, and another company’s ids answer 404. Errors are `application/problem+json`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { apiKey: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      },
      schemas: { Problem: schemaOf(Problem, 'output') },
    },
    paths,
  };
}
