import { describe, expect, it, jest } from '@jest/globals';
import { Hono } from 'hono';
import * as z from 'zod';
import { errorResponse, UnavailableError } from './errors.ts';
import { idParam, readJson, readOptionalJson, readQuery } from './request.ts';
import { assertStorableText, isStorableText, storablePath } from './storable-text.ts';
import { StorageUnavailableError } from '../storage/storage.ts';

const bodySchema = z.object({ notes: z.string().optional(), channels: z.array(z.object({ name: z.string() })).optional() }).strict();
const querySchema = z.object({ actor: z.string().optional(), q: z.string().optional() }).strict();

function testApp(): Hono {
  const app = new Hono();
  app.onError(errorResponse);
  app.use('*', storablePath(['/apps/{app}/releases/{release}']));
  app.post('/body', async (c) => c.json(await readJson(c, bodySchema)));
  app.get('/query', (c) => c.json(readQuery(c, querySchema)));
  app.get('/apps/:app/releases/:release', (c) => c.json(c.req.param()));
  app.get('/db', () => {
    throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' });
  });
  return app;
}

const post = (body: string) => testApp().request('/body', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

async function refusal(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, ...body.error };
}

describe('the storable text rule', () => {
  it('accepts any text Postgres can store, surrogate pairs (emoji) included', () => {
    for (const text of ['', 'plain', 'ÄÖÜ', '💩', 'a\u0001b', '\ufffd', '\ud83d\udca9x']) expect(isStorableText(text)).toBe(true);
  });

  it('refuses U+0000 and unpaired surrogates wherever they are', () => {
    for (const text of ['\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '\udca9x', '\udca9\ud83d']) expect(isStorableText(text)).toBe(false);
  });

  it('names the field in its 400', () => {
    expect(() => assertStorableText('a\u0000', 'platform')).toThrow('platform: must not contain U+0000 or unpaired surrogates');
    expect(() => assertStorableText(42, 'platform')).not.toThrow();
  });
});

describe('readJson', () => {
  it('refuses NUL and lone surrogates in values with a 400 naming the field path', async () => {
    expect(await refusal(await post('{"notes":"\\u0000"}'))).toEqual({ status: 400, code: 'invalid_request', message: 'notes: must not contain U+0000 or unpaired surrogates' });
    expect((await refusal(await post('{"notes":"a\\ud800b"}'))).message).toBe('notes: must not contain U+0000 or unpaired surrogates');
    expect((await refusal(await post('{"channels":[{"name":"ok"},{"name":"\\udfff"}]}'))).message).toBe('channels.1.name: must not contain U+0000 or unpaired surrogates');
  });

  it('refuses them in keys too, before the schema could name the key as unknown', async () => {
    expect((await refusal(await post('{"no\\u0000tes":"x"}'))).message).toBe('"no\\u0000tes" (a key): must not contain U+0000 or unpaired surrogates');
  });

  it('walks a body nested 20,000 levels deep without running out of stack', async () => {
    const deep = `{"notes":${'['.repeat(20_000)}"\\u0000"${']'.repeat(20_000)}}`;
    const { status, message } = await refusal(await post(deep));
    expect(status).toBe(400);
    expect(message).toMatch(/^notes\.0\.0\.0\..*: must not contain U\+0000 or unpaired surrogates$/);
    expect((await post(`{"notes":${'['.repeat(20_000)}${']'.repeat(20_000)}}`)).status).toBe(400); // the schema's refusal
  });

  it('still accepts storable text, emoji included', async () => {
    const res = await post('{"notes":"fixed 💩 \\ud83d\\udca9","channels":[{"name":"beta"}]}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ notes: 'fixed 💩 💩', channels: [{ name: 'beta' }] });
  });
});

describe('readQuery', () => {
  it('refuses NUL in a value, naming the parameter', async () => {
    expect(await refusal(await testApp().request('/query?actor=a%00b'))).toEqual({ status: 400, code: 'invalid_request', message: 'actor: must not contain U+0000 or unpaired surrogates' });
  });

  it('refuses NUL in a parameter name', async () => {
    expect((await refusal(await testApp().request('/query?q%00=1'))).message).toBe('query parameter "q\\u0000": must not contain U+0000 or unpaired surrogates');
  });

  it('passes undecodable escapes through as the storable text Hono makes of them', async () => {
    const res = await testApp().request('/query?q=%ED%A0%80');
    expect(await res.json()).toEqual({ q: '%ED%A0%80' });
  });
});

describe('storablePath', () => {
  it('refuses a path parameter that decodes to NUL, naming it from the documented path', async () => {
    expect(await refusal(await testApp().request('/apps/a%00b/releases/1.0.0'))).toEqual({ status: 400, code: 'invalid_request', message: 'app: must not contain U+0000 or unpaired surrogates' });
    expect((await refusal(await testApp().request('/apps/demo/releases/%00'))).message).toBe('release: must not contain U+0000 or unpaired surrogates');
  });

  it('names the segment of a path no documented route fits', async () => {
    expect((await refusal(await testApp().request('/elsewhere/%00'))).message).toBe('path segment 2: must not contain U+0000 or unpaired surrogates');
  });

  it('lets ordinary and escaped storable paths through', async () => {
    const res = await testApp().request('/apps/demo/releases/1.0.0%2Bbuild');
    expect(await res.json()).toEqual({ app: 'demo', release: '1.0.0+build' });
  });
});

describe('readJson: charset and encoding', () => {
  const send = (headers: Record<string, string>, body: BodyInit = '{"notes":"x"}') => testApp().request('/body', { method: 'POST', headers, body });

  it('reads UTF-8 JSON however the charset is spelled', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'application/json; charset=utf8']) {
      expect(await (await send({ 'content-type': type })).json()).toEqual({ notes: 'x' });
    }
    expect(await (await send({ 'content-type': 'application/json', 'content-encoding': 'identity' })).json()).toEqual({ notes: 'x' });
  });

  it('says why it refuses a body in another charset or compressed, instead of calling it invalid', async () => {
    const utf16 = Buffer.from('\ufeff{"notes":"x"}', 'utf16le');
    expect(await refusal(await send({ 'content-type': 'application/json; charset=utf-16' }, utf16))).toEqual({
      status: 400, code: 'invalid_request', message: 'JSON bodies are UTF-8; got charset=utf-16',
    });
    const { gzipSync } = await import('node:zlib');
    expect(await refusal(await send({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync('{"notes":"x"}')))).toEqual({
      status: 400, code: 'invalid_request', message: 'request bodies are read uncompressed; got Content-Encoding: gzip',
    });
  });
});

describe('errorResponse', () => {
  it('answers a database refusing unstorable text (SQLSTATE 22021, 22P05) with a 400, not a 500, and logs the miss', async () => {
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await refusal(await testApp().request('/db'))).toEqual({ status: 400, code: 'invalid_request', message: 'text must not contain U+0000 or unpaired surrogates' });
      expect(logged).toHaveBeenCalledTimes(1);
    } finally {
      logged.mockRestore();
    }
  });

  it("logs a failure's path without a claim token, which reveals a buyer's license key to whoever reads the log", async () => {
    const app = new Hono();
    app.onError(errorResponse);
    app.get('/claim/:token', () => {
      throw new Error('boom');
    });
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect((await app.request('/claim/c2VjcmV0LWNsYWltLXRva2Vu')).status).toBe(500);
      expect(logged).toHaveBeenCalledTimes(1);
      expect(logged.mock.calls[0]![0]).toMatch(/^GET \/claim\/… failed: /);
    } finally {
      logged.mockRestore();
    }
  });
});

describe('errorResponse logging of 503s', () => {
  async function logOf(error: unknown): Promise<{ status: number; lines: string[] }> {
    const app = new Hono();
    app.onError(errorResponse);
    app.get('/x', () => {
      throw error;
    });
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const { status } = await app.request('/x');
      return { status, lines: logged.mock.calls.map((call) => String(call[0])) };
    } finally {
      logged.mockRestore();
    }
  }

  it('logs a storage refusal, which shows nowhere else (a full disk)', async () => {
    const full = new StorageUnavailableError('the disk under /data/objects refused the write (ENOSPC: it is full)');
    const { status, lines } = await logOf(new UnavailableError('storage', full));
    expect(status).toBe(503);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^GET \/x failed: UnavailableError: storage is unavailable.*\n[\s\S]*caused by StorageUnavailableError: .*ENOSPC: it is full/);
  });

  it('does not log each request a database outage answers 503', async () => {
    const { status, lines } = await logOf(new UnavailableError('the database', new Error('Connection terminated unexpectedly')));
    expect(status).toBe(503);
    expect(lines).toEqual([]);
  });
});

describe('readOptionalJson', () => {
  const schema = z.object({ reason: z.string().optional() }).strict();
  const app = new Hono();
  app.onError(errorResponse);
  app.post('/action', async (c) => c.json(await readOptionalJson(c, schema)));
  /** A POST as @hono/node-server hands it over: always a body stream, empty when the client sent nothing. */
  const postStream = (chunks: string[], headers: Record<string, string> = {}) =>
    app.request(
      new Request('http://localhost/action', {
        method: 'POST',
        headers,
        body: new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit),
    );

  it('takes a POST with no body as {}, however the empty body arrives', async () => {
    expect(await (await app.request('/action', { method: 'POST' })).json()).toEqual({});
    for (const headers of [{}, { 'content-length': '0' }] as Record<string, string>[]) {
      const res = await postStream([], headers);
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: {} });
    }
  });

  it('reads a JSON body, and refuses a body that is not declared JSON', async () => {
    expect(await (await postStream(['{"reason":"chargeback"}'], { 'content-type': 'application/json' })).json()).toEqual({ reason: 'chargeback' });
    expect(await refusal(await postStream(['{"reason":"x"}']))).toEqual({
      status: 400,
      code: 'invalid_request',
      message: 'expected Content-Type: application/json, got none',
    });
  });
});

describe('idParam', () => {
  it('takes a UUID in either case as the stored lower-case id, and refuses anything else with a 400 naming the id', () => {
    expect(idParam('8F14E45F-CEEA-467F-A8F2-3B2A0E5D1C7B', 'webhook')).toBe('8f14e45f-ceea-467f-a8f2-3b2a0e5d1c7b');
    expect(() => idParam('my-hook', 'webhook')).toThrow(expect.objectContaining({
      status: 400,
      code: 'invalid_request',
      message: 'the webhook id must be a UUID (the "id" field of the webhook)',
    }));
  });
});
