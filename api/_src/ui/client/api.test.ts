/**
 * The dashboard's wrapper of the JSON client, against a stubbed global `fetch`: the CSRF header on mutations only,
 * the session cookie sent, a 401 telling the signed-out listeners, and answers checked with the page's schema.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { CSRF_HEADER } from '../../protocol/ui-session.ts';
import { ApiFailure, answerOf, api, failureOf, onSignedOut, setCsrfToken } from './api.ts';

const realFetch = globalThis.fetch;
let seen: { url: string; init: RequestInit }[];
let answer: { status: number; body: string };

beforeEach(() => {
  seen = [];
  answer = { status: 200, body: '{"name":"x"}' };
  globalThis.fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    seen.push({ url: String(url), init: init ?? {} });
    return new Response(answer.status === 204 ? null : answer.body, { status: answer.status });
  }) as typeof fetch;
  setCsrfToken('csrf-1');
});
afterEach(() => {
  globalThis.fetch = realFetch;
  setCsrfToken(null);
});

const named = z.object({ name: z.string() });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );

describe('api', () => {
  it('sends the CSRF header on a mutation, not on a read, and always the session cookie', async () => {
    await api.get('/admin/apps/x', named);
    await api.post('/admin/apps', { name: 'x' }, named);
    const [read, write] = seen.map((request) => request.init);
    expect(read!.headers).not.toHaveProperty(CSRF_HEADER);
    expect(write!.headers).toMatchObject({ [CSRF_HEADER]: 'csrf-1', 'content-type': 'application/json' });
    expect(read!.credentials).toBe('same-origin');
    expect(write!.body).toBe('{"name":"x"}');
  });

  it('returns the answer as the schema reads it, and turns a mismatch into a bad_response failure', async () => {
    answer.body = '{"name":"x","added_later":1}';
    await expect(api.get('/admin/apps/x', named)).resolves.toEqual({ name: 'x' });
    answer.body = '{"name":7}';
    const error = await failure(api.get('/admin/apps/x', named));
    expect(error).toBeInstanceOf(ApiFailure);
    expect(error).toMatchObject({ status: 200, code: 'bad_response' });
    expect((error as Error).message).toContain('name: ');
  });

  it('shows the API\'s own code and message, and tells the signed-out listeners about a 401 only', async () => {
    let signedOut = 0;
    const stop = onSignedOut(() => signedOut++);
    answer = { status: 409, body: '{"error":{"code":"conflict","message":"version 1.0.0 exists"}}' };
    expect(await failure(api.post('/admin/apps/x/releases', {}))).toMatchObject({ status: 409, code: 'conflict', message: 'version 1.0.0 exists' });
    expect(signedOut).toBe(0);
    answer = { status: 401, body: '{"error":{"code":"unauthorized","message":"the session expired"}}' };
    expect(await failure(api.get('/admin/apps', named))).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(signedOut).toBe(1);
    stop();
  });

  it('reads a 204 as undefined for an optional schema, and reports an unreachable server as network', async () => {
    answer = { status: 204, body: '' };
    await expect(api.get('/ui/session', named.optional())).resolves.toBeUndefined();
    globalThis.fetch = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    expect(await failure(api.get('/ui/session', named))).toMatchObject({ status: 0, code: 'network' });
  });
});

describe('answers read without api (the XHR upload)', () => {
  it('failureOf reads the error body; answerOf checks a 2xx with the schema', () => {
    expect(failureOf(422, '{"error":{"code":"signature_mismatch","message":"bad signature"}}')).toMatchObject({ code: 'signature_mismatch', message: 'bad signature' });
    expect(failureOf(502, '<html>')).toMatchObject({ code: 'http_502', message: 'the server answered 502' });
    expect(answerOf('POST', '/admin/x', 201, '{"name":"a.exe"}', named)).toEqual({ name: 'a.exe' });
    expect(() => answerOf('POST', '/admin/x', 201, '<html>', named)).toThrow('answered with something other than JSON');
  });
});
