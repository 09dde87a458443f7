/**
 * The memo of plain checks (plain-check-memo.ts) changes how much work a check costs, never its answer: checks through
 * `answerPlainCheck` with one memo answer and count exactly as the same checks read afresh by `answerCheckFromMemory`,
 * over random URLs, headers and snapshot replacements.
 */
import { describe, expect, it } from '@jest/globals';
import { PROPERTY_SEED, prng } from '../../../test/support/prng.ts';
import { answerCheckFromMemory, answerPlainCheck, type CheckAnswer, type UpdateCheckDeps } from './check.ts';
import { plainCheckUrl } from './check-request.ts';
import { PlainCheckMemo } from './plain-check-memo.ts';
import { type AppSnapshot, buildSnapshot, type ReleaseInput } from './snapshot.ts';

const URLS = { publicUrl: () => null, baseUrl: 'https://updates.example.com' };

function release(version: string, channel: string, rollout: number, platforms: readonly [string, string][]): ReleaseInput {
  return {
    id: `r-${version}`, version, notes: `Notes of ${version}`, channel, rollout_percent: rollout, pub_date: new Date('2026-11-02T08:30:00Z'), created_at: new Date('2026-11-02T08:30:00Z'),
    artifacts: platforms.map(([platform, bundle], i) => ({ id: `a-${version}-${i}`, platform, bundle, signature: `c2ln${version}`, storage_key: `k/${version}/${i}`, file_name: `demo_${version}_${i}`, size: 1, sha256: '0'.repeat(64), is_default: false })),
  };
}

const LINUX: [string, string][] = [['linux-x86_64', 'appimage'], ['linux-x86_64', 'deb']];
const ALL: [string, string][] = [...LINUX, ['windows-x86_64', 'nsis'], ['darwin-aarch64', 'app']];
/** The app as it changes: each a snapshot the cache may hold (a new object for the same content too). */
const VERSIONS: (() => AppSnapshot)[] = [
  () => buildSnapshot({ id: 'app-1', slug: 'demo', public_key: null }, [release('1.1.0', 'stable', 100, ALL)], URLS).snapshot,
  () => buildSnapshot({ id: 'app-1', slug: 'demo', public_key: null, channels: [{ name: 'beta', follows: 'stable' }] }, [release('1.2.0', 'stable', 50, LINUX), release('1.1.0', 'stable', 100, ALL), release('1.3.0-beta.1', 'beta', 100, ALL)], URLS).snapshot,
  () => buildSnapshot({ id: 'app-1', slug: 'demo', public_key: null, licensing: 'licensed' }, [release('1.1.0', 'stable', 100, ALL)], URLS).snapshot,
];

function countingDeps(current: () => AppSnapshot) {
  const calls: string[] = [];
  const deps: UpdateCheckDeps = {
    releaseCache: { peek: (slug) => (slug === 'demo' ? current() : null), lookup: (slug) => (slug === 'demo' ? current() : null) },
    analytics: { recordCheck: (...args) => void calls.push(`record ${JSON.stringify(args.slice(0, 5))} ${args[6] ?? null}`) },
    rateLimits: { updateCheck: (peer) => (calls.push(`limit ${peer}`), null) },
    licenses: { grant: () => { throw new Error('not in this test'); }, grantFromMemory: () => null },
  };
  return { deps, calls };
}

const shown = (answer: CheckAnswer | null) => answer && { status: answer.status, headers: answer.headers, body: answer.body === null ? null : Buffer.from(answer.body).toString('utf8') };

describe('the memo of plain checks', () => {
  it(`answers and counts every check as reading it afresh does (seed ${PROPERTY_SEED})`, () => {
    const random = prng(PROPERTY_SEED);
    let snapshot = VERSIONS[0]!();
    const memo = new PlainCheckMemo();
    const viaMemo = countingDeps(() => snapshot);
    const afresh = countingDeps(() => snapshot);
    const etags = new Set<string>([snapshot.etag]);
    let recalled = 0;
    for (let i = 0; i < 5_000; i++) {
      // Each version of the app for 500 checks in turn (a licensed one answers none from memory here), rebuilt now
      // and then in between: a new snapshot object of the same content, as a refresh makes.
      const version = VERSIONS[Math.floor(i / 500) % VERSIONS.length]!;
      if (i % 500 === 0 || random.chance(0.01)) snapshot = version();
      const url = random.pick([
        '/update/demo/linux/x86_64/1.0.0', '/update/demo/linux/x86_64/1.0.0?bundle_type=deb', '/demo/update/windows-x86_64/1.0.0',
        '/update/demo/darwin/aarch64/1.1.0', '/update/demo/linux/x86_64/1.0.0?channel=beta', '/update/demo/linux/x86_64/1.0.0?channel=nope',
        '/update/demo/linux/x86_64/1.0.0?install_id=install-0000001', '/update/demo/linux/x86_64/not-a-version', '/update/other/linux/x86_64/1.0.0',
        '/update/demo/linux/x86_64/1%2E0.0', '/health',
      ]);
      const headers: Record<string, string> = {};
      if (random.chance(0.2)) headers['x-install-id'] = random.pick(['install-0000001', 'install-0000002', 'bad']);
      if (random.chance(0.2)) headers['if-none-match'] = random.pick([...etags]);
      const reader = { get: (name: string) => headers[name] ?? null };
      const peer = random.pick(['192.0.2.1', '192.0.2.2']);
      const before = memo.size;
      const fromMemo = answerPlainCheck(viaMemo.deps, memo, url, reader, peer);
      if (memo.size === before && fromMemo !== null && !('x-install-id' in headers)) recalled++;
      const target = plainCheckUrl(url);
      const reference = target && answerCheckFromMemory(afresh.deps, { ...target, headers: reader, peer });
      expect({ i, url, headers, answer: shown(fromMemo) }).toEqual({ i, url, headers, answer: shown(reference) });
      if (fromMemo?.headers.etag) etags.add(fromMemo.headers.etag);
    }
    expect(viaMemo.calls).toEqual(afresh.calls);
    expect(recalled).toBeGreaterThan(1_000);
  });

  it('answers a URL longer than any real check without remembering it, so made-up long URLs cannot fill memory', () => {
    const memo = new PlainCheckMemo();
    const snapshot = VERSIONS[0]!();
    const { deps } = countingDeps(() => snapshot);
    const long = `/update/demo/linux/x86_64/1.0.0?bundle_type=deb&padding=${'x'.repeat(15_000)}`;
    expect(answerPlainCheck(deps, memo, long, { get: () => null }, '192.0.2.1')).toMatchObject({ status: 200 });
    expect(memo.size).toBe(0);
    expect(answerPlainCheck(deps, memo, '/update/demo/linux/x86_64/1.0.0?bundle_type=deb', { get: () => null }, '192.0.2.1')).toMatchObject({ status: 200 });
    expect(memo.size).toBe(1);
  });

  it("reuses a selection only for the URL's own query, the same snapshot and an open app", () => {
    const memo = new PlainCheckMemo();
    const url = '/update/demo/linux/x86_64/1.0.0';
    let snapshot = VERSIONS[1]!();
    const { deps } = countingDeps(() => snapshot);
    answerPlainCheck(deps, memo, url, { get: (name) => (name === 'x-install-id' ? 'install-0000001' : null) }, '192.0.2.1');
    const check = memo.read(url)!;
    expect(memo.size).toBe(1);
    expect(check.selectionFor(snapshot, check.query)).toBeUndefined();
    answerPlainCheck(deps, memo, url, { get: () => null }, '192.0.2.1');
    expect(check.selectionFor(snapshot, check.query)).toMatchObject({ kind: 'update' });
    expect(check.selectionFor(snapshot, { ...check.query })).toBeUndefined();
    snapshot = VERSIONS[1]!();
    expect(check.selectionFor(snapshot, check.query)).toBeUndefined();
    const licensed = VERSIONS[2]!();
    check.keep(licensed, check.query, { kind: 'up_to_date', staged: false });
    expect(check.selectionFor(licensed, check.query)).toBeUndefined();
  });
});
