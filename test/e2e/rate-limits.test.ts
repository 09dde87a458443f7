/**
 * The limiter on the real server (`npm start`'s code path), where update checks for cached apps are answered on
 * node:http ahead of Hono: a spoofed X-Forwarded-For from an untrusted peer changes nothing, the same header
 * from a trusted proxy names the client, and failed authentication is limited per address and per key prefix.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type RunningServer, startServer } from '../support/server.ts';

const LIMITS = { RATE_LIMIT_UPDATES_PER_MINUTE: '5', RATE_LIMIT_PUBLIC_PER_MINUTE: '1000', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' };

/** A burst that began late in a minute could straddle two windows and see its count reset: start it early in one. */
async function awayFromWindowEdge(): Promise<void> {
  const intoWindow = Date.now() % 60_000;
  if (intoWindow > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoWindow + 50));
}

async function createApp(server: RunningServer, slug: string): Promise<void> {
  const res = await server.admin('/admin/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug, name: slug }) });
  expect(res.status).toBe(201);
}

const check = (server: RunningServer, slug: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/update/${slug}/linux/x86_64/1.0.0`, { headers });

async function expectRateLimited(res: Response): Promise<void> {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(await res.json()).toEqual({ error: { code: 'rate_limited', message: expect.stringMatching(/^too many .+ from this address; retry after \d+ s$/) } });
}

describe('rate limits, no trusted proxy', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ env: LIMITS });
    await createApp(server, 'limited');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('counts every check from the socket address, whatever X-Forwarded-For claims', async () => {
    await awayFromWindowEdge();
    for (let i = 0; i < 5; i++) {
      const res = await check(server, 'limited', { 'x-forwarded-for': `203.0.113.${i}`, 'x-real-ip': `203.0.113.${i}` });
      expect(res.status).toBe(204);
    }
    await expectRateLimited(await check(server, 'limited', { 'x-forwarded-for': '203.0.113.200' }));
    // Both answer paths count in the same bucket: an unknown app goes through Hono, and is refused too.
    await expectRateLimited(await check(server, 'no-such-app'));
  });

  it('refuses authentication from an address after its failures, even with a correct key, until the window ends', async () => {
    await awayFromWindowEdge();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/admin/apps`, { headers: { authorization: `Bearer trk_guess${i}aaaaaaaaaaaaaaaaaaaaaaaa` } });
      expect(res.status).toBe(401);
    }
    await expectRateLimited(await server.admin('/admin/apps'));
    const signIn = await fetch(`${server.url}/ui/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ key: server.adminToken }),
    });
    await expectRateLimited(signIn);
  });
});

describe('rate limits behind a trusted proxy (TRUSTED_PROXIES=loopback)', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer({ env: { ...LIMITS, TRUSTED_PROXIES: 'loopback' } });
    await createApp(server, 'proxied');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gives each forwarded client its own bucket, and takes the hop the proxy appended, not a forged one', async () => {
    await awayFromWindowEdge();
    for (let i = 0; i < 12; i++) expect((await check(server, 'proxied', { 'x-forwarded-for': `198.51.100.${i}` })).status).toBe(204);
    for (let i = 0; i < 5; i++) {
      // The client forged the first entry each time; the proxy appended the real 198.51.100.77.
      const res = await check(server, 'proxied', { 'x-forwarded-for': `203.0.113.${i}, 198.51.100.77` });
      expect(res.status).toBe(204);
    }
    await expectRateLimited(await check(server, 'proxied', { 'x-forwarded-for': '203.0.113.99, 198.51.100.77' }));
    expect((await check(server, 'proxied', { 'x-forwarded-for': '198.51.100.78' })).status).toBe(204);
  });

  it('limits failures per key prefix across addresses', async () => {
    await awayFromWindowEdge();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${server.url}/admin/apps`, { headers: { authorization: `Bearer trk_SAMEPREFIX${i}bbbbbbbbbbbbbbbbbbbb`, 'x-forwarded-for': `198.51.100.${100 + i}` } });
      expect(res.status).toBe(401);
    }
    await expectRateLimited(await fetch(`${server.url}/admin/apps`, { headers: { authorization: 'Bearer trk_SAMEPREFIXzzzzzzzz', 'x-forwarded-for': '198.51.100.150' } }));
    // Another prefix from another address is still only refused for being wrong.
    expect((await fetch(`${server.url}/admin/apps`, { headers: { authorization: 'Bearer trk_OTHERPREFIXzzzz', 'x-forwarded-for': '198.51.100.151' } })).status).toBe(401);
  });
});
