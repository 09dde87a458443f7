/**
 * The shared JSON client against a stubbed `fetch`: error bodies read with the protocol's schema, unknown fields of
 * a newer server accepted (and no response schema a client reads refuses them), and a body that does not match the
 * schema reported with the field that differs.
 */
import { describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { adoptionReportSchema, checksReportSchema, downloadsReportSchema } from '../protocol/analytics.ts';
import { ciArtifactViewSchema, ciReleaseViewSchema, ciUploadResponseSchema, exchangeResponseSchema } from '../protocol/ci.ts';
import { sourceViewSchema } from '../protocol/github.ts';
import { publisherListSchema, publisherSchema } from '../protocol/publishers.ts';
import {
  apiKeyListSchema,
  appListSchema,
  appSchema,
  artifactListSchema,
  auditListSchema,
  channelListSchema,
  createdApiKeySchema,
  errorBodySchema,
  releaseListSchema,
  releaseSchema,
} from '../protocol/schemas.ts';
import { sessionViewSchema } from '../protocol/ui-session.ts';
import { NoAnswer, Refusal, refusalOf, requestJson, send, UnexpectedAnswer } from './json-client.ts';

type Seen = { url: string; init: RequestInit };

/** A fetch that answers every call with `status` and `body`, recording what it was asked. */
function answering(status: number, body: string, headers: Record<string, string> = {}) {
  const seen: Seen[] = [];
  const fetchStub = (async (url: string | URL | Request, init?: RequestInit) => {
    seen.push({ url: String(url), init: init ?? {} });
    return new Response(status === 204 ? null : body, { status, headers: { 'content-type': 'application/json', ...headers } });
  }) as typeof fetch;
  return { fetch: fetchStub, seen };
}

const APP = {
  id: '00000000-0000-4000-8000-000000000001',
  slug: 'my-app',
  name: 'My App',
  description: null,
  public_key: null,
  public_key_id: null,
  release_count: 0,
  latest_version: null,
  download_page: false,
  public_installers: false,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

const failure = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
};

describe('send', () => {
  it('sends JSON with its headers and reads a JSON answer', async () => {
    const server = answering(201, JSON.stringify({ ok: true }));
    const answer = await send({ method: 'POST', url: 'https://u.example/x', body: { a: 1 }, headers: { authorization: 'Bearer k' }, fetch: server.fetch });
    expect(answer).toMatchObject({ status: 201, json: { ok: true } });
    const headers = server.seen[0]!.init.headers as Record<string, string>;
    expect(headers).toEqual({ accept: 'application/json', authorization: 'Bearer k', 'content-type': 'application/json' });
    expect(server.seen[0]!.init.body).toBe('{"a":1}');
  });

  it('reads an error answer with the error-body schema: status, code and message', async () => {
    const server = answering(409, JSON.stringify({ error: { code: 'conflict', message: 'version 1.2.3 exists', hint: 'a newer server may add fields' } }), { 'retry-after': '7' });
    const error = await failure(send({ method: 'POST', url: 'https://u.example/x', fetch: server.fetch }));
    expect(error).toBeInstanceOf(Refusal);
    expect(error).toMatchObject({ status: 409, code: 'conflict', message: 'version 1.2.3 exists', retryAfterSeconds: 7 });
    expect((error as Refusal).body).toEqual({ error: { code: 'conflict', message: 'version 1.2.3 exists' } });
  });

  it('keeps a refusal that is not an error body (a proxy page) as http_<status>, with its text', async () => {
    const error = await failure(send({ method: 'GET', url: 'https://u.example/x', fetch: answering(502, '<html>Bad gateway</html>').fetch }));
    expect(error).toMatchObject({ status: 502, code: 'http_502', body: null, text: '<html>Bad gateway</html>', message: 'the server answered 502' });
    // A body with the right key but the wrong shape is not taken for an error body.
    expect(refusalOf(400, JSON.stringify({ error: { code: 42 } }))).toMatchObject({ code: 'http_400', body: null });
  });

  it('turns a failed fetch into NoAnswer, naming the cause', async () => {
    const failing = (message: string) =>
      (async () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error(message), { code: 'ECONNREFUSED' }) });
      }) as typeof fetch;
    const error = await failure(send({ method: 'GET', url: 'http://127.0.0.1:1/x', fetch: failing('connect ECONNREFUSED 127.0.0.1:1') }));
    expect(error).toBeInstanceOf(NoAnswer);
    expect(error).toMatchObject({ status: null, code: 'network', reason: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(await failure(send({ method: 'GET', url: 'http://x/', fetch: failing('socket closed') }))).toMatchObject({ reason: 'socket closed (ECONNREFUSED)' });
    const timedOut = (async () => {
      throw new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    }) as typeof fetch;
    expect(await failure(send({ method: 'GET', url: 'http://x/', fetch: timedOut }))).toMatchObject({ reason: 'the server did not answer in time' });
  });
});

describe('requestJson', () => {
  it('accepts fields a newer server added, and drops them', async () => {
    const server = answering(200, JSON.stringify({ ...APP, license_gate: 'on', owner: { team: 'x' } }));
    const app = await requestJson({ method: 'GET', url: 'https://u.example/admin/apps/my-app', fetch: server.fetch }, appSchema);
    expect(app).toEqual(APP);
  });

  it('accepts unknown fields in nested CI answers too (an action pinned to @v1 against a newer server)', async () => {
    const view = { id: 'r1', version: '1.2.3', status: 'draft', channel: 'stable', update_url: 'u', artifacts: [], gated: true };
    const read = await requestJson({ method: 'POST', url: 'https://u.example/ci', fetch: answering(200, JSON.stringify(view)).fetch }, ciReleaseViewSchema);
    expect(read).not.toHaveProperty('gated');
    expect(read.version).toBe('1.2.3');
  });

  it('reports a body that does not match the schema with the field that differs', async () => {
    const server = answering(200, JSON.stringify({ ...APP, release_count: 'many' }));
    const error = await failure(requestJson({ method: 'GET', url: 'https://u.example/admin/apps/my-app', fetch: server.fetch }, appSchema));
    expect(error).toBeInstanceOf(UnexpectedAnswer);
    expect(error).toMatchObject({ status: 200, code: 'unexpected_answer' });
    expect((error as UnexpectedAnswer).issue).toMatch(/^release_count: /);
    expect((error as Error).message).toContain('GET https://u.example/admin/apps/my-app answered 200 with an unexpected body (release_count: ');
  });

  it('reports a 2xx that is not JSON as such (issue null), quoting its start', async () => {
    const error = await failure(requestJson({ method: 'GET', url: 'https://u.example/', fetch: answering(200, '<!doctype html><p>hello').fetch }, appSchema));
    expect(error).toMatchObject({ issue: null, text: '<!doctype html><p>hello' });
    expect((error as Error).message).toContain('something other than JSON ("<!doctype html><p>hello")');
  });

  it('reads an empty answer (204) as undefined, which only an optional schema accepts', async () => {
    await expect(requestJson({ method: 'GET', url: 'https://u.example/ui/session', fetch: answering(204, '').fetch }, sessionViewSchema.optional())).resolves.toBeUndefined();
    await expect(requestJson({ method: 'GET', url: 'https://u.example/ui/session', fetch: answering(204, '').fetch }, sessionViewSchema)).rejects.toMatchObject({ issue: null });
  });
});

/**
 * An object schema with a `never` catchall (`z.strictObject`, `.strict()`) refuses unknown keys. None may sit
 * anywhere in a schema a client reads answers with, or an action pinned to @v1 breaks when the server adds a field.
 */
function strictObjectsIn(schema: z.ZodType, path = '$'): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  const inner = (key: string) => strictObjectsIn(def[key] as z.ZodType, path);
  switch (def.type) {
    case 'object': {
      const own = (def.catchall as { _zod?: { def: { type: string } } } | undefined)?._zod?.def.type === 'never' ? [path] : [];
      const shape = def.shape as Record<string, z.ZodType>;
      return [...own, ...Object.entries(shape).flatMap(([key, value]) => strictObjectsIn(value, `${path}.${key}`))];
    }
    case 'array':
      return strictObjectsIn(def.element as z.ZodType, `${path}[]`);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
      return inner('innerType');
    case 'pipe':
      return [...inner('in'), ...inner('out')];
    case 'union':
      return (def.options as z.ZodType[]).flatMap((option) => strictObjectsIn(option, path));
    case 'record':
      return strictObjectsIn(def.valueType as z.ZodType, `${path}{}`);
    default:
      return [];
  }
}

describe('the response schemas the clients read', () => {
  const schemas: Record<string, z.ZodType> = {
    appSchema, appListSchema, apiKeyListSchema, createdApiKeySchema, auditListSchema, artifactListSchema, releaseSchema, releaseListSchema,
    channelListSchema, sessionViewSchema, sourceViewSchema, publisherListSchema, publisherSchema, downloadsReportSchema, checksReportSchema,
    adoptionReportSchema, exchangeResponseSchema, ciReleaseViewSchema, ciArtifactViewSchema, ciUploadResponseSchema, errorBodySchema,
  };
  it.each(Object.keys(schemas))('%s accepts unknown keys at every level', (name) => {
    expect(strictObjectsIn(schemas[name]!)).toEqual([]);
  });

  it('the check finds a strict object where there is one', () => {
    expect(strictObjectsIn(z.object({ list: z.array(z.strictObject({ a: z.string() })).optional() }))).toEqual(['$.list[]']);
    const tagged = z.discriminatedUnion('kind', [z.object({ kind: z.literal('a') }), z.object({ kind: z.literal('b'), b: z.object({}).strict().nullable() })]);
    expect(strictObjectsIn(z.object({ source: tagged }))).toEqual(['$.source.b']);
  });
});
