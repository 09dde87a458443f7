/**
 * @module http/request
 * Strict request reading for the API. Unlike hono's `validator('json')`, which hands a schema
 * `{}` when the Content-Type is not JSON, a body that is not `application/json`, is empty, is not
 * valid JSON, or is larger than `MAX_JSON_BYTES` is refused here with a 4xx that says which; so is text the
 * database cannot store, in a body or a query string (`storable-text.ts`).
 */
import type { Context } from 'hono';
import type * as z from 'zod';
import { isUuid } from '../protocol/uuid.ts';
import { ApiError, badRequest } from './errors.ts';
import { assertStorableJson, assertStorableText } from './storable-text.ts';

export const MAX_JSON_BYTES = 1024 * 1024;

const JSON_TYPE = /^application\/json\s*(;|$)/i;

const tooLarge = () => new ApiError(413, 'payload_too_large', `request body is larger than ${MAX_JSON_BYTES} bytes`);

/** The raw body, at most `limit` bytes (413 past it); for signatures computed over the exact bytes (webhooks). */
export async function readBytes(request: Request, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limit) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

async function readText(request: Request, limit: number): Promise<string> {
  const bytes = await readBytes(request, limit);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw badRequest('request body is not valid UTF-8');
  }
}

/**
 * Reads the JSON body and validates it with `schema`; a ZodError becomes a 400 in `errorResponse`.
 * @example const body = await readJson(c, createAppBodySchema);
 */
export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const type = c.req.header('content-type');
  if (!type || !JSON_TYPE.test(type)) {
    throw badRequest(`expected Content-Type: application/json, got ${type ? JSON.stringify(type.slice(0, 100)) : 'none'}`);
  }
  // JSON between systems is UTF-8 (RFC 8259 §8.1), and bodies are read as sent: a body in another charset or
  // compressed would otherwise be refused as "not valid UTF-8" or "not valid JSON", which hides the cause.
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) throw badRequest(`JSON bodies are UTF-8; got charset=${charset.slice(0, 40)}`);
  const encoding = c.req.header('content-encoding');
  if (encoding !== undefined && !/^\s*identity\s*$/i.test(encoding)) {
    throw badRequest(`request bodies are read uncompressed; got Content-Encoding: ${encoding.slice(0, 40)}`);
  }
  const text = await readText(c.req.raw, MAX_JSON_BYTES);
  if (text.trim() === '') throw badRequest('request body is empty; send a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest(`request body is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw badRequest('request body must be a JSON object');
  }
  assertStorableJson(value);
  return parseOrThrow(schema, value);
}

/**
 * `readJson` for an action whose body may be left out: no Content-Type and nothing to read parses `{}`. Under
 * node:http every POST has a body stream, empty when the client sent nothing, so emptiness is read, not assumed
 * from a missing stream.
 */
export async function readOptionalJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  if (c.req.header('content-type') !== undefined) return readJson(c, schema);
  const length = c.req.header('content-length');
  if (length === undefined || length === '0') {
    if ((await readBytes(c.req.raw, MAX_JSON_BYTES)).length === 0) return parseOrThrow(schema, {});
  }
  throw badRequest('expected Content-Type: application/json, got none');
}

const MAX_MESSAGE = 1000;

/** Like `schema.parse`, but the 400's message is capped: an unknown key can be a megabyte long. */
function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const message = result.error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw badRequest(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message);
}

/**
 * Validates the query string with `schema` (use a strict object so unknown parameters are refused).
 * A parameter given twice is refused rather than silently taking one of the values.
 */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const all = c.req.queries();
  for (const [name, values] of Object.entries(all)) {
    if (values.length > 1) throw badRequest(`query parameter "${name.slice(0, 50)}" is given more than once`);
    assertStorableText(name, `query parameter ${JSON.stringify(name.slice(0, 50))}`);
    assertStorableText(values[0], name);
  }
  return parseOrThrow(schema, c.req.query());
}

/**
 * A path's `{id}` of one of an app's `thing`s (webhook, integration, …), lower-cased as ids are stored; a 400 that
 * says which id is meant when it is not a UUID (a slug or a name where the id belongs).
 */
export function idParam(value: string, thing: string): string {
  if (!isUuid(value)) throw badRequest(`the ${thing} id must be a UUID (the "id" field of the ${thing})`);
  return value.toLowerCase();
}
