/** Channel fallback, yanks and critical fields, decided by `selectUpdate` over a built snapshot. */
import { describe, expect, it } from '@jest/globals';
import { parseRemoteRelease } from '../../../test/support/tauri.ts';
import type { BundleType } from '../protocol/platforms.ts';
import { parseVersion } from '../protocol/semver.ts';
import type { ChannelConfig } from '../protocol/channels.ts';
import { selectUpdate } from './select.ts';
import { type AppInput, buildSnapshot, type ReleaseInput } from './snapshot.ts';

const release = (version: string, channel = 'stable', extra: Partial<ReleaseInput> = {}): ReleaseInput => ({
  id: `r-${version}`,
  version,
  notes: null,
  channel,
  rollout_percent: 100,
  pub_date: null,
  created_at: new Date('2026-11-01T00:00:00Z'),
  artifacts: [
    { id: `a-${version}-appimage`, platform: 'linux-x86_64', bundle: 'appimage', signature: 'c2ln', storage_key: `k-${version}`, file_name: `app_${version}.AppImage`, size: 1, sha256: '0'.repeat(64), is_default: false },
    { id: `a-${version}-deb`, platform: 'linux-x86_64', bundle: 'deb', signature: 'c2ln', storage_key: `d-${version}`, file_name: `app_${version}.deb`, size: 1, sha256: '0'.repeat(64), is_default: false },
  ],
  ...extra,
});
const snapshotOf = (app: Partial<AppInput>, ...releases: ReleaseInput[]) =>
  buildSnapshot({ id: 'app', slug: 'app', public_key: null, ...app }, releases, { publicUrl: () => null, baseUrl: 'http://x' }).snapshot;
const query = (current: string, channel = 'stable', bundle: BundleType | null = null) => ({
  current: parseVersion(current),
  os: 'linux' as const,
  arch: 'x86_64' as const,
  bundle,
  channel,
  installId: null,
});
const outcome = (snapshot: ReturnType<typeof snapshotOf>, current: string, channel?: string, bundle?: BundleType | null) => {
  const selection = selectUpdate(snapshot, query(current, channel, bundle));
  return selection.kind === 'update' ? selection.release.versionText : selection.kind;
};

describe('channel fallback', () => {
  const channels: ChannelConfig[] = [
    { name: 'beta', follows: 'stable' },
    { name: 'nightly', follows: 'beta' },
    { name: 'lts', follows: null },
  ];
  const snapshot = snapshotOf(
    { channels, published_channels: ['stable', 'beta', 'nightly', 'canary', 'lts'] },
    release('1.0.0'),
    release('1.1.0'),
    release('1.2.0-beta.1', 'beta'),
    release('1.3.0-nightly.1', 'nightly'),
    release('2.0.0-rc.1', 'stable'), // a pre-release filed under stable by mistake: served to nobody
    release('0.9.5', 'lts'),
  );

  it.each([
    // channel, running, offered
    ['stable', '1.0.0', '1.1.0'],
    ['stable', '1.1.0', 'up_to_date'],
    ['beta', '1.0.0', '1.2.0-beta.1'],
    ['beta', '1.2.0-beta.1', 'up_to_date'],
    ['nightly', '1.0.0', '1.3.0-nightly.1'],
    ['nightly', '1.2.0-beta.1', '1.3.0-nightly.1'],
    ['lts', '0.9.0', '0.9.5'],
    ['lts', '0.9.5', 'up_to_date'], // lts follows nothing: stable's 1.1.0 is not offered
    ['canary', '0.1.0', 'up_to_date'], // known from its past releases, none published now, follows nothing
    ['unknown', '0.1.0', 'unknown_channel'],
    ['Stable', '0.1.0', 'unknown_channel'],
  ])('a %s client on %s is offered %s', (channel, current, expected) => {
    expect(outcome(snapshot, current, channel)).toBe(expected);
  });

  it('gives a beta client stable when stable is newer than every beta', () => {
    const later = snapshotOf({ channels }, release('1.2.0-beta.1', 'beta'), release('1.2.0'), release('1.1.0'));
    expect(outcome(later, '1.2.0-beta.1', 'beta')).toBe('1.2.0');
    expect(outcome(later, '1.0.0', 'nightly')).toBe('1.2.0');
  });

  it('knows a channel from a published release even when it is not configured, and stable always', () => {
    const plain = snapshotOf({}, release('1.0.0'), release('1.1.0-beta.1', 'beta'));
    expect(outcome(plain, '1.0.0', 'beta')).toBe('1.1.0-beta.1');
    expect(outcome(plain, '1.1.0-beta.1', 'beta')).toBe('up_to_date');
    expect(outcome(snapshotOf({}), '1.0.0', 'stable')).toBe('up_to_date');
    expect(outcome(snapshotOf({}), '1.0.0', 'beta')).toBe('unknown_channel');
  });
});

describe('yank with a replacement', () => {
  // 2.0.0 was yanked (it is archived, so not among the served releases) and replaced by 1.9.1.
  const snapshot = snapshotOf(
    { yanked: [{ version: '2.0.0', replacement_release_id: 'r-1.9.1' }, { version: '1.9.5', replacement_release_id: null }] },
    release('1.9.0'),
    release('1.9.1'),
    release('1.9.2-beta.1', 'beta'),
  );

  it.each([
    // running, channel, offered, as a replacement
    ['2.0.0', 'stable', '1.9.1', true], // the yanked version: the lower replacement
    ['2.0.0', 'beta', '1.9.1', true], // whatever channel it asks on
    ['1.9.0', 'stable', '1.9.1', false], // others: the newest as usual, never the yanked 2.0.0
    ['1.9.1', 'stable', 'up_to_date', false],
    ['1.9.5', 'stable', 'up_to_date', false], // yanked without a replacement: only something newer would do
    ['2.0.0+1', 'stable', 'up_to_date', false], // another build is another version
  ])('an install on %s (%s) is offered %s', (current, channel, expected, replaces) => {
    const selection = selectUpdate(snapshot, query(current, channel));
    expect(selection.kind === 'update' ? selection.release.versionText : selection.kind).toBe(expected);
    expect(selection.kind === 'update' && selection.replacesYanked).toBe(replaces);
  });

  it('marks the replacement body with the yanked version, which ordinary answers never carry', () => {
    const selection = selectUpdate(snapshot, query('2.0.0'));
    if (selection.kind !== 'update') throw new Error(selection.kind);
    const json = JSON.parse(new TextDecoder().decode(selection.answer.body));
    expect(json).toMatchObject({ version: '1.9.1', replaces_yanked: '2.0.0' });
    expect(parseRemoteRelease(json)).toMatchObject({ version: '1.9.1' });
    expect(selection.answer.etag).not.toBe(selection.artifact.etag);
    const ordinary = selectUpdate(snapshot, query('1.9.0'));
    if (ordinary.kind !== 'update') throw new Error(ordinary.kind);
    expect(JSON.parse(new TextDecoder().decode(ordinary.answer.body))).not.toHaveProperty('replaces_yanked');
  });

  it('prefers a newer release over the replacement once there is one', () => {
    const later = snapshotOf({ yanked: [{ version: '2.0.0', replacement_release_id: 'r-1.9.1' }] }, release('1.9.1'), release('2.0.1'));
    expect(outcome(later, '2.0.0')).toBe('2.0.1');
  });

  it('falls back to the usual answer when the replacement is no longer published or lacks the bundle', () => {
    const gone = snapshotOf({ yanked: [{ version: '2.0.0', replacement_release_id: 'r-archived' }] }, release('1.9.1'));
    expect(outcome(gone, '2.0.0')).toBe('up_to_date');
    const noRpm = snapshotOf({ yanked: [{ version: '2.0.0', replacement_release_id: 'r-1.9.1' }] }, release('1.9.1'));
    expect(outcome(noRpm, '2.0.0', 'stable', 'rpm')).toBe('up_to_date');
    expect(outcome(noRpm, '2.0.0', 'stable', 'deb')).toBe('1.9.1');
  });
});

describe('critical and minimum supported version', () => {
  const snapshot = snapshotOf(
    {},
    release('1.0.0'),
    release('1.5.0', 'stable', { critical: true }),
    release('2.0.0', 'stable', { critical: true, min_supported_version: '1.5.0' }),
  );
  const body = (current: string) => {
    const selection = selectUpdate(snapshot, query(current));
    if (selection.kind !== 'update') throw new Error(selection.kind);
    return JSON.parse(new TextDecoder().decode(selection.answer.body)) as Record<string, unknown>;
  };

  it.each([
    ['0.9.0', { version: '2.0.0', critical: true, min_supported_version: '1.5.0', below_minimum: true }],
    ['1.4.9', { version: '2.0.0', critical: true, min_supported_version: '1.5.0', below_minimum: true }],
    ['1.5.0', { version: '2.0.0', critical: true, min_supported_version: '1.5.0', below_minimum: false }],
    ['1.9.0', { version: '2.0.0', critical: true, min_supported_version: '1.5.0', below_minimum: false }],
  ])('an install on %s reads %j from rawJson', (current, fields) => {
    const json = body(current);
    expect(json).toMatchObject(fields);
    // Still exactly what the Tauri client accepts: the extra fields are ignored by its parser.
    expect(parseRemoteRelease(json)).toMatchObject({ version: '2.0.0', data: { kind: 'dynamic' } });
  });

  it.each([
    ['no policy', {}, ['version', 'notes', 'pub_date', 'url', 'signature']],
    ['critical only', { critical: true }, ['version', 'notes', 'pub_date', 'url', 'signature', 'critical']],
    ['a minimum only', { min_supported_version: '1.0.0' }, ['version', 'notes', 'pub_date', 'url', 'signature', 'min_supported_version', 'below_minimum']],
  ])('a release with %s has the body keys %j', (_, policy, keys) => {
    const selection = selectUpdate(snapshotOf({}, release('1.5.0', 'stable', policy)), query('1.0.0'));
    if (selection.kind !== 'update') throw new Error(selection.kind);
    expect(Object.keys(JSON.parse(new TextDecoder().decode(selection.answer.body)))).toEqual(keys);
  });

  it('gives the two bodies their own ETags', () => {
    const below = selectUpdate(snapshot, query('1.0.0'));
    const above = selectUpdate(snapshot, query('1.6.0'));
    if (below.kind !== 'update' || above.kind !== 'update') throw new Error('expected updates');
    expect(below.answer.etag).not.toBe(above.answer.etag);
    expect(above.answer.etag).toBe(above.artifact.etag);
  });
});
