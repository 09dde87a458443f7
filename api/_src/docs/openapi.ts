/**
 * @module docs/openapi
 * Builds the OpenAPI 3.1 document from the route registry. Schemas come from the route's own zod
 * schemas through `z.toJSONSchema` (JSON Schema 2020-12, which OpenAPI 3.1 uses as is): request
 * bodies and query strings as their `input` side, responses as their `output` side.
 */
import * as z from 'zod';
import { errorBodySchema } from '../protocol/schemas.ts';
import type { RouteDoc } from './registry.ts';

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, JsonSchema> };
}

export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  'x-access'?: string;
  security: Record<string, string[]>[];
  parameters: Parameter[];
  requestBody?: { required: true; description?: string; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: JsonSchema }> }>;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

const ERROR_REF = { $ref: '#/components/schemas/Error' };

export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function operationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

function parameters(route: RouteDoc): Parameter[] {
  const result: Parameter[] = [];
  for (const [, name] of route.path.matchAll(/\{([^}]+)\}/g)) {
    result.push({ name: name!, in: 'path', required: true, description: route.params?.[name!], schema: { type: 'string' } });
  }
  if (route.query) {
    const object = jsonSchema(route.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, property] of Object.entries(object.properties ?? {})) {
      const { description, ...schema } = property;
      result.push({ name, in: 'query', required: object.required?.includes(name) ?? false, description: description as string | undefined, schema });
    }
  }
  return result;
}

function responses(route: RouteDoc): Operation['responses'] {
  const all: RouteDoc['responses'] = { ...route.responses };
  if (route.body || route.rawBody || route.query) all[400] ??= { description: 'invalid request; `error.message` says which field and why' };
  if (route.body) all[413] ??= { description: 'the JSON body is larger than 1 MiB' };
  if (route.auth === 'api-key') all[401] ??= { description: 'missing, malformed, unknown or revoked API key' };
  if (route.auth === 'session') all[401] ??= { description: 'no session cookie, or the session has ended (expired, signed out, key revoked)' };
  const result: Operation['responses'] = {};
  for (const status of Object.keys(all).sort()) {
    const doc = all[Number(status)]!;
    const content = doc.schema
      ? { [doc.contentType ?? 'application/json']: { schema: jsonSchema(doc.schema, 'output') } }
      : doc.contentType
        ? { [doc.contentType]: { schema: { type: 'string', contentEncoding: 'binary' } } }
        : Number(status) >= 400
          ? { 'application/json': { schema: ERROR_REF } }
          : undefined;
    const headers = doc.headers
      ? Object.fromEntries(Object.entries(doc.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]))
      : undefined;
    result[status] = { description: doc.description, ...(headers && { headers }), ...(content && { content }) };
  }
  return result;
}

function operation(route: RouteDoc): Operation {
  const op: Operation = {
    operationId: operationId(route.method, route.path),
    summary: route.summary,
    ...(route.description && { description: route.description }),
    tags: [route.tag],
    ...(route.access && { 'x-access': route.access }),
    security: route.auth === 'api-key' ? [{ bearerAuth: [] }] : route.auth === 'session' ? [{ sessionCookie: [] }] : [],
    parameters: parameters(route),
    responses: responses(route),
  };
  if (route.body) {
    op.requestBody = { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } };
  } else if (route.rawBody) {
    const schema = route.rawBody.schema ? jsonSchema(route.rawBody.schema, 'input') : { type: 'string', contentEncoding: 'binary' };
    op.requestBody = { required: true, description: route.rawBody.description, content: { [route.rawBody.contentType]: { schema } } };
  }
  return op;
}

export function buildOpenApi(routes: readonly RouteDoc[]): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  const tags: string[] = [];
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`two docs for ${route.method.toUpperCase()} ${route.path}`);
    item[route.method] = operation(route);
    if (!tags.includes(route.tag)) tags.push(route.tag);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'tauri-release',
      version: '1',
      description:
        'Update server for Tauri v2 apps: the updater endpoints installed apps call, and the admin API that CI and ' +
        'people use to register apps, publish releases and upload signed artifacts. Admin calls need ' +
        '`Authorization: Bearer <api key>`. Every error is `{"error":{"code","message"}}`.',
    },
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      schemas: { Error: jsonSchema(errorBodySchema, 'output') },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API key (trk_…) or ADMIN_TOKEN' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'tr_session', description: 'the dashboard session from POST /ui/session' },
      },
    },
  };
}
