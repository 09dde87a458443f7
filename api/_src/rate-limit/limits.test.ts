import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../config.ts';
import { testEngines } from '../../../test/support/postgres.ts';
import type { DatabaseHandle } from '../../../db/connect.ts';
import { migrateToLatest } from '../../../db/migrate.ts';
import { addressBucket, clientAddress, NO_TRUSTED_PROXIES, parseTrustedProxies } from './client-ip.ts';
import { RateLimits, type RateLimitSettings } from './limits.ts';
import { DatabaseWindows, MAX_BUCKETS, MemoryWindows, secondsLeft, WINDOW_MS } from './window.ts';

const headers = (values: Record<string, string>) => new Headers(values);

describe('client address', () => {
  it('is the socket peer when no proxy is trusted, whatever the headers claim', () => {
    const forged = headers({ 'x-forwarded-for': '203.0.113.9', 'x-real-ip': '203.0.113.9', 'cf-connecting-ip': '203.0.113.9', 'x-vercel-forwarded-for': '203.0.113.9' });
    expect(clientAddress('198.51.100.7', forged, NO_TRUSTED_PROXIES)).toBe('198.51.100.7');
    expect(clientAddress('::ffff:198.51.100.7', forged, NO_TRUSTED_PROXIES)).toBe('198.51.100.7');
  });

  it('takes the right-most untrusted X-Forwarded-For hop from a trusted proxy, and nothing from another peer', () => {
    const trusted = parseTrustedProxies('loopback, 10.0.0.0/8');
    // The client forged the first entry; our proxy at 10.1.2.3 appended the address it saw.
    const chain = headers({ 'x-forwarded-for': '203.0.113.9, 198.51.100.20, 10.1.2.3' });
    expect(clientAddress('127.0.0.1', chain, trusted)).toBe('198.51.100.20');
    expect(clientAddress('10.9.9.9', chain, trusted)).toBe('198.51.100.20');
    expect(clientAddress('198.51.100.99', chain, trusted)).toBe('198.51.100.99');
    // A malformed hop ends the walk: what is left of it cannot be trusted.
    expect(clientAddress('127.0.0.1', headers({ 'x-forwarded-for': '203.0.113.9, not-an-ip' }), trusted)).toBe('127.0.0.1');
    expect(clientAddress('127.0.0.1', headers({}), trusted)).toBe('127.0.0.1');
  });

  it("reads Vercel's headers on every request when vercel is trusted", () => {
    const vercel = parseTrustedProxies('vercel');
    expect(clientAddress('10.0.0.1', headers({ 'x-vercel-forwarded-for': '198.51.100.3, 10.0.0.1', 'x-forwarded-for': '203.0.113.9' }), vercel)).toBe('198.51.100.3');
    expect(clientAddress('10.0.0.1', headers({ 'x-real-ip': '198.51.100.4' }), vercel)).toBe('198.51.100.4');
    expect(clientAddress('10.0.0.1', headers({ 'x-vercel-forwarded-for': 'garbage' }), vercel)).toBe('10.0.0.1');
  });

  it("trusts cf-connecting-ip only from Cloudflare's ranges", () => {
    const cloudflare = parseTrustedProxies('cloudflare');
    const header = headers({ 'cf-connecting-ip': '198.51.100.5' });
    expect(clientAddress('162.158.1.1', header, cloudflare)).toBe('198.51.100.5');
    expect(clientAddress('2606:4700::1', header, cloudflare)).toBe('198.51.100.5');
    expect(clientAddress('198.51.100.77', header, cloudflare)).toBe('198.51.100.77');
  });

  it('refuses a TRUSTED_PROXIES entry that is not an address, a range or a known name', () => {
    expect(() => loadConfig({ TRUSTED_PROXIES: 'vercel, everyone' })).toThrow(/TRUSTED_PROXIES: "everyone" is not an IP address or CIDR range/);
    expect(() => loadConfig({ TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES: "10.0.0.0\/33" has an invalid prefix length/);
    expect(loadConfig({ TRUSTED_PROXIES: 'cloudflare,192.168.0.0/16,::1' }).rateLimits.trustedProxies.cloudflare).not.toBeNull();
  });

  it('counts IPv6 clients by their /64, IPv4 clients alone', () => {
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2');
    expect(addressBucket('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2');
    expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0');
    expect(addressBucket('::1')).toBe('0:0:0:0');
    expect(addressBucket('198.51.100.7')).toBe('198.51.100.7');
  });
});

const settings = (overrides: Partial<RateLimitSettings> = {}): RateLimitSettings => ({
  enabled: true,
  store: 'memory',
  updatesPerMinute: 3,
  publicPerMinute: 2,
  authFailuresPerMinute: 2,
  trustedProxies: NO_TRUSTED_PROXIES,
  ...overrides,
});

describe('RateLimits in memory', () => {
  const none = headers({});
  it('refuses the check past the limit until the window ends, with the seconds left', () => {
    let now = 10 * WINDOW_MS + 45_000;
    const limits = new RateLimits(settings(), undefined as never, () => now);
    for (let i = 0; i < 3; i++) expect(limits.updateCheck('198.51.100.1', none)).toBeNull();
    const refused = limits.updateCheck('198.51.100.1', none);
    expect(refused).toMatchObject({ status: 429, code: 'rate_limited', retryAfterSeconds: 15 });
    expect(limits.updateCheck('198.51.100.2', none)).toBeNull();
    now += 15_000; // the next window
    expect(limits.updateCheck('198.51.100.1', none)).toBeNull();
  });

  it('keeps update checks and other public requests in separate buckets', () => {
    const limits = new RateLimits(settings(), undefined as never, () => 0);
    for (let i = 0; i < 3; i++) limits.updateCheck('198.51.100.1', none);
    expect(limits.publicRequest('198.51.100.1', none)).toBeNull();
    expect(limits.publicRequest('198.51.100.1', none)).toBeNull();
    expect(limits.publicRequest('198.51.100.1', none)).not.toBeNull();
  });

  it('refuses authentication from an address, or with a key prefix, whose failures used up the window', async () => {
    const limits = new RateLimits(settings(), undefined as never, () => 0);
    const key = 'trk_AAAAAAAAwhatever';
    await limits.assertAuthAllowed('198.51.100.1', key);
    await limits.authFailed('198.51.100.1', key);
    await limits.authFailed('198.51.100.2', key);
    // The prefix is spent from any address; the addresses themselves have one failure each.
    await expect(limits.assertAuthAllowed('198.51.100.3', 'trk_AAAAAAAAother')).rejects.toMatchObject({ status: 429 });
    await expect(limits.assertAuthAllowed('198.51.100.1', 'trk_BBBBBBBBother')).resolves.toBeUndefined();
    await limits.authFailed('198.51.100.1', null);
    await expect(limits.assertAuthAllowed('198.51.100.1', null)).rejects.toMatchObject({ status: 429, retryAfterSeconds: 60 });
  });

  it('does nothing when RATE_LIMITS=off', async () => {
    const limits = new RateLimits(settings({ enabled: false, updatesPerMinute: 1 }), undefined as never, () => 0);
    for (let i = 0; i < 10; i++) expect(limits.updateCheck('198.51.100.1', none)).toBeNull();
    for (let i = 0; i < 10; i++) await limits.authFailed('198.51.100.1', null);
    await expect(limits.assertAuthAllowed('198.51.100.1', null)).resolves.toBeUndefined();
  });

  it('holds at most MAX_BUCKETS buckets; more addresses share one overflow bucket, and nobody is reset', () => {
    const windows = new MemoryWindows();
    windows.add('first', 0);
    windows.add('first', 0);
    for (let i = windows.size; i < MAX_BUCKETS; i++) windows.add(`a${i}`, 0);
    expect(windows.size).toBe(MAX_BUCKETS);
    expect(windows.add('sprayed-1', 0)).toBe(1);
    expect(windows.add('sprayed-2', 0)).toBe(2);
    expect(windows.size).toBe(MAX_BUCKETS + 1);
    expect(windows.add('first', 0)).toBe(3);
  });

  it('says at least one second is left', () => {
    expect(secondsLeft(WINDOW_MS - 1)).toBe(1);
    expect(secondsLeft(0)).toBe(60);
  });
});

describe.each(testEngines)('RATE_LIMIT_STORE=database on $name', ({ open }) => {
  let database: DatabaseHandle;
  beforeAll(async () => {
    database = await open();
    await migrateToLatest(database.db);
  });
  afterAll(async () => {
    await database.close();
  });

  it('counts in one row per bucket and window, shared by every instance, and sweeps old windows', async () => {
    const start = 1_000 * WINDOW_MS;
    const one = new DatabaseWindows(database.db);
    const other = new DatabaseWindows(database.db);
    const counts = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? one : other).add('ip:198.51.100.1', start + i)));
    expect(counts.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await other.count('ip:198.51.100.1', start + 59_000)).toBe(10);
    expect(await other.count('ip:198.51.100.1', start + WINDOW_MS)).toBe(0);
    // Three windows later the first window's row is swept by the next count.
    await new DatabaseWindows(database.db).add('ip:198.51.100.2', start + 3 * WINDOW_MS);
    const rows = await database.db.selectFrom('rate_limit_windows').select(['bucket']).execute();
    expect(rows.map((row) => row.bucket)).toEqual(['ip:198.51.100.2']);
  });

  it('limits failed authentications across instances', async () => {
    const now = () => 2_000 * WINDOW_MS;
    const instances = [0, 1, 2].map(() => new RateLimits(settings({ store: 'database' }), database.db, now));
    await instances[0]!.authFailed('203.0.113.50', null);
    await instances[1]!.authFailed('203.0.113.50', null);
    await expect(instances[2]!.assertAuthAllowed('203.0.113.50', null)).rejects.toMatchObject({ status: 429 });
  });
});
