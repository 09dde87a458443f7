/**
 * The licensed selection over a snapshot: the one selection (select.ts) with the license's predicate, for the
 * newest release, the patch line of the client's channels, and a yank's replacement; and its headers.
 */
import { describe, expect, it } from '@jest/globals';
import { licenseAccess, type LicenseAllowance } from '../licensing/access.ts';
import { day, license, policy } from '../licensing/testing.ts';
import { parseVersion } from '../protocol/semver.ts';
import { licensedAnswer, licensedEligibility } from './licensed.ts';
import { selectUpdate } from './select.ts';
import { buildSnapshot, type ReleaseInput } from './snapshot.ts';
import type { WithdrawnInput } from './withdrawn.ts';

const release = (version: string, publishedDay: number, channel = 'stable'): ReleaseInput => ({
  id: `r-${version}`, version, notes: null, channel, rollout_percent: 100, pub_date: day(publishedDay), created_at: day(publishedDay),
  artifacts: [{ id: `a-${version}`, platform: 'linux-x86_64', bundle: 'appimage', signature: 'c2ln', storage_key: `k-${version}`, file_name: `${version}.AppImage`, size: 1, sha256: '0'.repeat(64), is_default: false }],
});

const allowance = (overrides: Parameters<typeof policy>[0] = {}, now = day(500)): LicenseAllowance => {
  const access = licenseAccess(license(), policy(overrides), now);
  if (!access.allowed) throw new Error(access.code);
  return access;
};

type Extra = { yanked?: { version: string; replacement_release_id: string | null }[]; withdrawn?: WithdrawnInput[]; channel?: string };
const offered = (releases: ReleaseInput[], current: string, grant: LicenseAllowance, extra: Extra = {}) => {
  const app = { id: 'app', slug: 'app', public_key: null, licensing: 'licensed' as const, yanked: extra.yanked, withdrawn: extra.withdrawn, channels: [{ name: 'beta', follows: 'stable' }] };
  const { snapshot } = buildSnapshot(app, releases, { publicUrl: () => null, baseUrl: 'http://x' });
  const channel = extra.channel ?? 'stable';
  const selection = selectUpdate(snapshot, { current: parseVersion(current), os: 'linux', arch: 'x86_64', bundle: null, channel }, licensedEligibility(snapshot, snapshot.channels.get(channel)!, grant));
  return selection.kind === 'update' ? selection.release.versionText : selection.kind;
};

describe('the licensed selection', () => {
  const releases = [release('1.0.0', 10), release('1.1.0', 300), release('1.1.1', 400), release('1.2.0', 420)];

  it('offers the newest release dated at or before the cutoff, never one after it', () => {
    expect(offered(releases, '0.9.0', allowance())).toBe('1.1.0');
    expect(offered(releases, '1.1.0', allowance())).toBe('up_to_date');
    expect(offered(releases, '0.9.0', allowance({ expiryStrategy: 'allow' }))).toBe('1.2.0');
  });

  it('takes the patch line from the releases of the client’s channels', () => {
    expect(offered(releases, '0.9.0', allowance({ patchLineAfterExpiry: true }))).toBe('1.1.1');
    // A beta-only 1.3.0 dated before the cutoff makes 1.3 the line of beta clients, not of stable ones.
    const withBeta = [...releases, release('1.3.0-beta.1', 200, 'beta'), release('1.3.0-beta.2', 450, 'beta')];
    expect(offered(withBeta, '0.9.0', allowance({ patchLineAfterExpiry: true }))).toBe('1.1.1');
    expect(offered(withBeta, '0.9.0', allowance({ patchLineAfterExpiry: true }), { channel: 'beta' })).toBe('1.3.0-beta.2');
  });

  it('offers a yank’s replacement only when the license may have it', () => {
    const yanked = [{ version: '1.5.0', replacement_release_id: 'r-1.2.0' }];
    expect(offered(releases, '1.5.0', allowance({ expiryStrategy: 'allow' }), { yanked })).toBe('1.2.0');
    expect(offered(releases, '1.5.0', allowance(), { yanked })).toBe('up_to_date');
  });

  it('keeps the patch line of a release yanked after the cutoff: its replacement in the line stays eligible', () => {
    // 1.1.0, the newest release before the cutoff, is yanked for 1.1.1, a fix published after the cutoff.
    const withdrawn = [{ version: '1.1.0', channel: 'stable', first_published_at: day(300).toISOString(), entitlement_date: null, required_entitlements: [] }];
    const yanked = [{ version: '1.1.0', replacement_release_id: 'r-1.1.1' }];
    const left = releases.filter((r) => r.version !== '1.1.0');
    expect(offered(left, '0.9.0', allowance({ patchLineAfterExpiry: true }), { yanked, withdrawn })).toBe('1.1.1');
    expect(offered(left, '1.1.0', allowance({ patchLineAfterExpiry: true }), { yanked, withdrawn })).toBe('1.1.1');
    // Without the rule the line plays no part: the cutoff offers 1.0.0, and the yanked 1.1.0's installs nothing.
    expect(offered(left, '0.9.0', allowance(), { yanked, withdrawn })).toBe('1.0.0');
    expect(offered(left, '1.1.0', allowance(), { yanked, withdrawn })).toBe('up_to_date');
  });

  it('answers private, no-store, without ETag', () => {
    const { snapshot } = buildSnapshot({ id: 'app', slug: 'app', public_key: null, licensing: 'licensed' }, releases, { publicUrl: () => null, baseUrl: 'http://x' });
    const update = licensedAnswer(selectUpdate(snapshot, { current: parseVersion('0.9.0'), os: 'linux', arch: 'x86_64', bundle: null, channel: 'stable' }) as never);
    expect(update.status).toBe(200);
    expect(update.headers).toEqual({ 'content-type': 'application/json', 'cache-control': 'private, no-store', 'content-length': String(update.body!.byteLength) });
    expect(licensedAnswer({ kind: 'up_to_date', staged: false })).toEqual({ status: 204, headers: { 'cache-control': 'private, no-store' }, body: null });
  });
});
