import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { MAX_JSON_BYTES } from '../http/request.ts';

interface Case {
  name: string;
  method: string;
  path: string;
  contentType?: string | null;
  body?: string | Uint8Array<ArrayBuffer>;
  status: number;
  message?: RegExp;
}

const TEN_MB = 'x'.repeat(10 * 1024 * 1024);
const json = (value: unknown) => JSON.stringify(value);

const CASES: Case[] = [
  { name: 'malformed JSON', method: 'POST', path: '/admin/apps', body: '{"slug": "a",', status: 400, message: /not valid JSON/ },
  { name: 'JSON with a trailing comma', method: 'POST', path: '/admin/apps', body: '{"slug": "a", "name": "b",}', status: 400, message: /not valid JSON/ },
  { name: 'no Content-Type', method: 'POST', path: '/admin/apps', contentType: null, body: new TextEncoder().encode(json({ slug: 'a', name: 'b' })), status: 400, message: /expected Content-Type: application\/json, got none/ },
  { name: 'form Content-Type', method: 'POST', path: '/admin/apps', contentType: 'application/x-www-form-urlencoded', body: 'slug=a&name=b', status: 400, message: /expected Content-Type: application\/json/ },
  { name: 'text/plain with JSON', method: 'POST', path: '/admin/keys', contentType: 'text/plain', body: json({ name: 'k', scope: 'ci' }), status: 400, message: /Content-Type/ },
  { name: 'empty body', method: 'POST', path: '/admin/apps', body: '', status: 400, message: /empty/ },
  { name: 'JSON array', method: 'POST', path: '/admin/apps', body: '[]', status: 400, message: /must be a JSON object/ },
  { name: 'JSON null', method: 'PATCH', path: '/admin/apps/some-app', body: 'null', status: 400, message: /must be a JSON object/ },
  { name: 'JSON string', method: 'POST', path: '/admin/keys', body: '"hello"', status: 400, message: /must be a JSON object/ },
  { name: 'invalid UTF-8', method: 'POST', path: '/admin/apps', body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), status: 400, message: /UTF-8/ },
  { name: 'empty object', method: 'POST', path: '/admin/apps', body: '{}', status: 400, message: /slug: .*name: /s },
  { name: 'slug is a number', method: 'POST', path: '/admin/apps', body: json({ slug: 42, name: 'b' }), status: 400, message: /^slug: / },
  { name: 'name is an object', method: 'POST', path: '/admin/apps', body: json({ slug: 'a', name: { x: 1 } }), status: 400, message: /^name: / },
  { name: 'public_key is a number', method: 'POST', path: '/admin/apps', body: json({ slug: 'a', name: 'b', public_key: 7 }), status: 400, message: /^public_key: / },
  { name: 'description too long', method: 'PATCH', path: '/admin/apps/some-app', body: json({ description: 'd'.repeat(2001) }), status: 400, message: /^description: / },
  { name: 'scope is an array', method: 'POST', path: '/admin/keys', body: json({ name: 'k', scope: ['admin'] }), status: 400, message: /^scope: / },
  { name: 'unknown field', method: 'POST', path: '/admin/apps', body: json({ slug: 'a', name: 'b', owner: 'me' }), status: 400, message: /owner/ },
  { name: 'a 1 MB unknown key name, message capped', method: 'POST', path: '/admin/apps', body: json({ slug: 'a', name: 'b', ['k'.repeat(1_000_000)]: 1 }), status: 400, message: /^.{1,1100}$/s },
  { name: 'body just over 1 MiB', method: 'POST', path: '/admin/apps', body: json({ slug: 'a', name: 'n'.repeat(MAX_JSON_BYTES) }), status: 413, message: /larger than 1048576 bytes/ },
  { name: '10 MB string', method: 'POST', path: '/admin/apps', body: json({ slug: 'a', name: TEN_MB }), status: 413 },
  { name: '10 MB string in a patch', method: 'PATCH', path: '/admin/apps/some-app', body: json({ description: TEN_MB }), status: 413 },
  { name: '100 kB slug in the URL', method: 'GET', path: `/admin/apps/${'s'.repeat(100_000)}`, status: 404 },
  { name: 'NUL byte in the app slug', method: 'GET', path: '/admin/apps/a%00b', status: 400, message: /^app: must not contain U\+0000/ },
  { name: 'NUL byte in a key\'s app', method: 'POST', path: '/admin/keys', body: json({ name: 'k', scope: 'ci', app: 'a\u0000' }), status: 400, message: /^app: must not contain U\+0000/ },
  { name: 'NUL byte in release notes', method: 'POST', path: '/admin/apps/some-app/releases', body: json({ version: '3.0.53', notes: '\u0000' }), status: 400, message: /^notes: must not contain U\+0000 or unpaired surrogates$/ },
  { name: 'lone surrogate in an app name', method: 'PATCH', path: '/admin/apps/some-app', body: json({ name: 'a\ud800' }), status: 400, message: /^name: must not contain/ },
  { name: 'non-UUID key id', method: 'DELETE', path: '/admin/keys/not-a-uuid', status: 400, message: /UUID/ },
  { name: 'almost-UUID key id', method: 'DELETE', path: '/admin/keys/00000000-0000-4000-8000-00000000000g', status: 400, message: /UUID/ },
  { name: 'non-UUID, non-slug app', method: 'GET', path: '/admin/apps/%27%3B%20drop%20table%20apps%3B--', status: 404 },
  { name: 'unknown app in a key', method: 'POST', path: '/admin/keys', body: json({ name: 'k', scope: 'ci', app: '00000000-0000-4000-8000-zzzzzzzzzzzz' }), status: 404 },
  { name: 'unknown query parameter', method: 'GET', path: '/admin/keys?include=hash', status: 400, message: /include/ },
  { name: 'bad limit', method: 'GET', path: '/admin/audit?limit=1e9', status: 400, message: /^limit: / },
  { name: 'negative before', method: 'GET', path: '/admin/audit?before=-5', status: 400, message: /^before: / },
  { name: 'huge before', method: 'GET', path: '/admin/audit?before=99999999999999999999', status: 400, message: /^before: / },
  { name: 'NUL byte as the audit app', method: 'GET', path: '/admin/audit?app=%00', status: 400, message: /^app: must not contain U\+0000/ },
  { name: 'NUL byte in the audit actor', method: 'GET', path: '/admin/audit?actor=a%00b', status: 400, message: /^actor: must not contain U\+0000/ },
];

describe('admin API: bad input is a 4xx JSON error, never a 500', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
    await ctx.app.request('/admin/apps', {
      method: 'POST',
      headers: { authorization: ctx.adminAuth, 'content-type': 'application/json' },
      body: json({ slug: 'some-app', name: 'Some app' }),
    });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it.each(CASES)('$name → $status', async ({ method, path, contentType, body, status, message }) => {
    const headers: Record<string, string> = { authorization: ctx.adminAuth };
    if (contentType !== null) headers['content-type'] = contentType ?? 'application/json';
    const res = await ctx.app.request(path, { method, headers, body });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const payload = (await res.json()) as { error: { code: string; message: string } };
    expect({ status: res.status, code: typeof payload.error?.code }).toEqual({ status, code: 'string' });
    if (message) expect(payload.error.message).toMatch(message);
  });

  it('changed nothing', async () => {
    const apps = await ctx.database.db.selectFrom('apps').select('slug').execute();
    expect(apps).toEqual([{ slug: 'some-app' }]);
    expect(await ctx.database.db.selectFrom('api_keys').select('id').execute()).toEqual([]);
  });
});
