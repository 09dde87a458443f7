/**
 * check.ts's contract with its two adapters: `answerCheck` counts every check it is given, `answerCheckFromMemory`
 * counts exactly the checks it answers and nothing it leaves to `answerCheck`, so a check is counted once whichever
 * adapter answers it.
 */
import { describe, expect, it } from '@jest/globals';
import { ApiError, RateLimitedError } from '../http/errors.ts';
import { answerCheck, answerCheckFromMemory, type UpdateCheckDeps } from './check.ts';
import { type CheckRequest, plainCheckUrl } from './check-request.ts';
import { type AppSnapshot, buildSnapshot } from './snapshot.ts';

const { snapshot } = buildSnapshot({ id: 'app-1', slug: 'demo', public_key: null }, [{
  id: 'r1', version: '1.1.0', notes: null, channel: 'stable', rollout_percent: 100, pub_date: new Date('2026-11-02T08:30:00Z'), created_at: new Date('2026-11-02T08:30:00Z'),
  artifacts: [{ id: 'a1', platform: 'linux-x86_64', bundle: 'appimage', signature: 'c2ln', storage_key: 'k', file_name: 'demo.AppImage', size: 1, sha256: '0'.repeat(64), is_default: false }],
}], { publicUrl: () => null, baseUrl: 'https://updates.example.com' });

function counting(options: { cached?: boolean; refuse?: boolean } = {}) {
  const counts = { limited: 0, recorded: 0 };
  const snapshots = new Map<string, AppSnapshot>([['demo', snapshot]]);
  const deps: UpdateCheckDeps = {
    releaseCache: {
      peek: (slug) => (options.cached === false ? undefined : (snapshots.get(slug) ?? null)),
      lookup: (slug) => (options.cached === false ? Promise.resolve(snapshots.get(slug) ?? null) : (snapshots.get(slug) ?? null)),
    },
    analytics: { recordCheck: () => void counts.recorded++ },
    rateLimits: { updateCheck: () => (counts.limited++, options.refuse ? new RateLimitedError('update checks', 30) : null) },
  };
  return { deps, counts };
}

const request = (url: string, headers: Record<string, string> = {}): CheckRequest =>
  ({ ...plainCheckUrl(url)!, headers: { get: (name) => headers[name] ?? null }, peer: '192.0.2.1' });

describe('the update check', () => {
  it('answers a cached check from memory, counted once in the rate limit and in analytics', () => {
    const { deps, counts } = counting();
    expect(answerCheckFromMemory(deps, request('/update/demo/linux/x86_64/1.0.0'))).toMatchObject({ status: 200 });
    expect(answerCheckFromMemory(deps, request('/demo/update/linux-x86_64/1.1.0'))).toMatchObject({ status: 204, body: null });
    expect(counts).toEqual({ limited: 2, recorded: 2 });
  });

  it('leaves what it cannot answer from memory to answerCheck with nothing counted, which then counts it once', async () => {
    for (const [url, cached, status] of [
      ['/update/demo/linux/x86_64/not-a-version', true, 400],
      ['/update/demo/linux/x86_64/1.0.0?channel=nope', true, 404],
      ['/update/nope/linux/x86_64/1.0.0', true, 404],
      ['/update/demo/linux/x86_64/1.0.0', false, 200],
    ] as const) {
      const { deps, counts } = counting({ cached });
      expect(answerCheckFromMemory(deps, request(url))).toBeNull();
      expect({ url, ...counts }).toEqual({ url, limited: 0, recorded: 0 });
      const answered = await Promise.resolve().then(() => answerCheck(deps, request(url))).then((answer) => answer.status, (error: ApiError) => error.status);
      expect({ url, answered, limited: counts.limited }).toEqual({ url, answered: status, limited: 1 });
    }
  });

  it('answers a refused address 429 from either entry, without analytics', () => {
    const { deps, counts } = counting({ refuse: true });
    const fromMemory = answerCheckFromMemory(deps, request('/update/demo/linux/x86_64/1.0.0'));
    expect(fromMemory).toMatchObject({ status: 429, headers: { 'retry-after': '30', 'cache-control': 'no-store' } });
    expect(answerCheck(deps, request('/update/demo/linux/x86_64/not-a-version'))).toEqual(fromMemory);
    expect(counts).toEqual({ limited: 2, recorded: 0 });
  });

  it('answers 304 when If-None-Match holds the answer’s ETag', () => {
    const { deps } = counting();
    const first = answerCheckFromMemory(deps, request('/update/demo/linux/x86_64/1.0.0'))!;
    const again = answerCheckFromMemory(deps, request('/update/demo/linux/x86_64/1.0.0', { 'if-none-match': `W/${first.headers.etag}` }));
    expect(again).toEqual({ status: 304, headers: { 'cache-control': first.headers['cache-control'], etag: first.headers.etag }, body: null });
  });
});
