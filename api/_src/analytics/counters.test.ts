import { describe, expect, it } from '@jest/globals';
import { hash53, platformKey, UsageCounters } from './counters.ts';
import { countryOf, normalizeCountry } from './country.ts';

const DAY1 = Date.parse('2026-11-20T10:00:00Z');
const DAY2 = Date.parse('2026-11-21T00:00:00Z');
const APP = '00000000-0000-4000-8000-000000000001';

describe('country from the platform header', () => {
  it.each([
    ['DE', 'DE'],
    ['de', 'DE'],
    ['XX', ''], // Cloudflare: unknown
    ['T1', ''], // Cloudflare: Tor
    ['DEU', ''],
    ['D', ''],
    ['', ''],
    ['1A', ''],
    ['é', ''],
    [null, ''],
  ])('%j → %j', (value, expected) => {
    expect(normalizeCountry(value)).toBe(expected);
  });

  it('takes Vercel first, then Cloudflare, and never anything else', () => {
    expect(countryOf(new Headers({ 'x-vercel-ip-country': 'FR', 'cf-ipcountry': 'DE' }))).toBe('FR');
    expect(countryOf(new Headers({ 'x-vercel-ip-country': 'junk', 'cf-ipcountry': 'DE' }))).toBe('DE');
    expect(countryOf(new Headers({ 'x-forwarded-for': '203.0.113.9', 'accept-language': 'fr-FR' }))).toBe('');
  });
});

describe('UsageCounters', () => {
  it('adds checks up per day, app, version, platform, channel and country', () => {
    const counters = new UsageCounters();
    for (let i = 0; i < 3; i++) counters.recordCheck(DAY1, APP, '1.0.0', 'windows-x86_64', 'stable', 'DE', null);
    counters.recordCheck(DAY1, APP, '1.0.0', 'windows-x86_64', 'stable', '', null);
    counters.recordCheck(DAY1, APP, '1.0.0', 'linux-x86_64', 'stable', 'DE', null);
    counters.recordCheck(DAY1, APP, '1.0.0', 'windows-x86_64', 'beta', 'DE', null);
    counters.recordCheck(DAY2, APP, '1.0.0', 'windows-x86_64', 'stable', 'DE', null);
    const { checks, downloads } = counters.drain();
    expect(downloads).toEqual([]);
    expect(checks.map((c) => [c.day, c.platform, c.channel, c.country, c.checks]).sort()).toEqual([
      ['2026-11-20', 'linux-x86_64', 'stable', 'DE', 1],
      ['2026-11-20', 'windows-x86_64', 'beta', 'DE', 1],
      ['2026-11-20', 'windows-x86_64', 'stable', '', 1],
      ['2026-11-20', 'windows-x86_64', 'stable', 'DE', 3],
      ['2026-11-21', 'windows-x86_64', 'stable', 'DE', 1],
    ]);
    expect(counters.size).toBe(0);
    expect(counters.drain()).toEqual({ checks: [], downloads: [] });
  });

  it('counts an install once a day, across flushes, and again the next day', () => {
    const counters = new UsageCounters();
    const check = (now: number, id: string | null) => counters.recordCheck(now, APP, '1.0.0', 'darwin-aarch64', 'stable', '', id);
    check(DAY1, 'install-a');
    check(DAY1, 'install-a');
    check(DAY1, 'install-b');
    check(DAY1, null);
    expect(counters.drain().checks).toMatchObject([{ checks: 4, installs: 2, anonymousChecks: 1 }]);
    check(DAY1 + 3_600_000, 'install-a'); // after a flush, still the same day: not a new install
    expect(counters.drain().checks).toMatchObject([{ checks: 1, installs: 0, anonymousChecks: 0 }]);
    check(DAY2, 'install-a');
    expect(counters.drain().checks).toMatchObject([{ day: '2026-11-21', checks: 1, installs: 1 }]);
  });

  it('treats v1.2.0 and 1.2.0 as one version and one install', () => {
    const counters = new UsageCounters();
    counters.recordCheck(DAY1, APP, 'v1.2.0', 'linux-x86_64', 'stable', '', 'install-a');
    counters.recordCheck(DAY1, APP, '1.2.0', 'linux-x86_64', 'stable', '', 'install-a');
    expect(counters.drain().checks).toMatchObject([{ version: '1.2.0', checks: 2, installs: 1 }]);
  });

  it('keeps counts of the day before apart and writes them with the next drain', () => {
    const counters = new UsageCounters();
    counters.recordCheck(DAY1, APP, '1.0.0', 'linux-x86_64', 'stable', '', null);
    counters.recordCheck(DAY2, APP, '1.0.0', 'linux-x86_64', 'stable', '', null);
    counters.recordCheck(DAY2, APP, '1.0.0', 'linux-x86_64', 'stable', '', null);
    expect(counters.size).toBe(2);
    expect(counters.drain().checks.map((c) => [c.day, c.checks])).toEqual([['2026-11-20', 1], ['2026-11-21', 2]]);
  });

  it('builds each platform key once', () => {
    expect(platformKey('windows', 'x86_64')).toBe('windows-x86_64');
    expect(platformKey('windows', 'x86_64')).toBe(platformKey('windows', 'x86_64'));
  });

  it('hashes installs with a 53-bit keyed hash that depends on the key', () => {
    const a = hash53('install-a', 1, 2);
    expect(Number.isSafeInteger(a)).toBe(true);
    expect(hash53('install-a', 1, 2)).toBe(a);
    expect(hash53('install-a', 3, 2)).not.toBe(a);
    expect(hash53('install-b', 1, 2)).not.toBe(a);
  });

  it('keeps no install id, only keyed hashes that change every day', () => {
    const counters = new UsageCounters();
    counters.recordCheck(DAY1, APP, '1.0.0', 'darwin-aarch64', 'stable', '', 'secret-install-id');
    const batch = counters.drain();
    expect(JSON.stringify(batch)).not.toContain('secret-install-id');
    expect(counters.installsRemembered).toBe(1);
    counters.recordCheck(DAY2, APP, '1.0.0', 'darwin-aarch64', 'stable', '', 'other');
    expect(counters.installsRemembered).toBe(1); // yesterday's tags are gone
  });

  it('bounds memory: new keys past the cap are dropped and counted, known keys still add up', () => {
    const counters = new UsageCounters({ maxKeys: 2 });
    counters.recordCheck(DAY1, APP, '1.0.0', 'linux-x86_64', 'stable', '', null);
    counters.recordDownload(DAY1, APP, '1.0.0', 'a.AppImage', 'linux-x86_64', 'appimage', '');
    counters.recordCheck(DAY1, APP, '2.0.0', 'linux-x86_64', 'stable', '', null);
    counters.recordCheck(DAY1, APP, '1.0.0', 'linux-x86_64', 'stable', '', null);
    counters.recordCheck(DAY1, APP, `1.0.0-${'a'.repeat(200)}`, 'linux-x86_64', 'stable', '', null);
    expect(counters.size).toBe(2);
    expect(counters.dropped).toBe(2);
    expect(counters.drain().checks).toMatchObject([{ version: '1.0.0', checks: 2 }]);
  });

  it('counts an install it can no longer remember as an anonymous check', () => {
    const counters = new UsageCounters({ maxInstallsPerDay: 2 });
    for (const id of ['a', 'b', 'c', 'a']) counters.recordCheck(DAY1, APP, '1.0.0', 'linux-x86_64', 'stable', '', id);
    expect(counters.drain().checks).toMatchObject([{ checks: 4, installs: 2, anonymousChecks: 1 }]);
  });

  it('restore adds a failed batch back to what was counted meanwhile', () => {
    const counters = new UsageCounters();
    counters.recordCheck(DAY1, APP, '1.0.0', 'linux-x86_64', 'stable', '', 'x');
    counters.recordDownload(DAY1, APP, '1.0.0', 'a.AppImage', 'linux-x86_64', 'appimage', 'DE');
    const failed = counters.drain();
    counters.recordCheck(DAY1, APP, '1.0.0', 'linux-x86_64', 'stable', '', null);
    counters.recordDownload(DAY1, APP, '1.0.0', 'a.AppImage', 'linux-x86_64', 'appimage', 'DE');
    counters.restore(failed);
    expect(counters.drain()).toEqual({
      checks: [expect.objectContaining({ checks: 2, installs: 1, anonymousChecks: 1 })],
      downloads: [expect.objectContaining({ fileName: 'a.AppImage', country: 'DE', downloads: 2 })],
    });
  });
});
