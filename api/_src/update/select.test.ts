import { describe, expect, it } from '@jest/globals';
import type { BundleType, OperatingSystem } from '../protocol/platforms.ts';
import { parseVersion } from '../protocol/semver.ts';
import { selectUpdate } from './select.ts';
import { type ArtifactInput, buildSnapshot, type ReleaseInput } from './snapshot.ts';

let ids = 0;
const artifact = (platform: string, bundle: string | null, extra: Partial<ArtifactInput> = {}): ArtifactInput => ({
  id: `a${++ids}`,
  platform,
  bundle,
  signature: 'c2ln',
  storage_key: `k${ids}`,
  file_name: `${platform}-${bundle}-${ids}`,
  size: 1,
  sha256: '0'.repeat(64),
  is_default: false,
  ...extra,
});
const release = (version: string, artifacts: ArtifactInput[], channel = 'stable'): ReleaseInput => ({
  id: `r-${version}`,
  version,
  notes: null,
  channel,
  rollout_percent: 100,
  pub_date: null,
  created_at: new Date('2026-11-01T00:00:00Z'),
  artifacts,
});
const snapshotOf = (...releases: ReleaseInput[]) =>
  buildSnapshot({ id: 'app', slug: 'app', public_key: null }, releases, { publicUrl: () => null, baseUrl: 'http://x' }).snapshot;
const query = (current: string, os: OperatingSystem = 'linux', bundle: BundleType | null = null, channel = 'stable') => ({
  current: parseVersion(current),
  os,
  arch: 'x86_64' as const,
  bundle,
  channel,
});

describe('selectUpdate reasons', () => {
  const snapshot = snapshotOf(
    release('1.2.0', [artifact('linux-x86_64', 'appimage', { signature: '' })]),
    release('1.1.0', [artifact('linux-x86_64', 'deb'), artifact('windows-x86_64', 'nsis')]),
    release('1.0.0', [artifact('linux-x86_64', 'appimage')]),
  );

  it('sorts releases newest first whatever the row order', () => {
    expect(snapshot.releases.map((r) => r.versionText)).toEqual(['1.2.0', '1.1.0', '1.0.0']);
  });

  it('says up_to_date when nothing eligible is newer', () => {
    expect(selectUpdate(snapshot, query('1.2.0')).kind).toBe('up_to_date');
  });

  it('says unknown_channel for a channel the app neither configures nor ever published on', () => {
    expect(selectUpdate(snapshot, query('0.1.0', 'linux', null, 'beta')).kind).toBe('unknown_channel');
  });

  it('says unsigned when the only fit has no signature', () => {
    expect(selectUpdate(snapshot, query('1.1.0', 'linux', 'appimage')).kind).toBe('unsigned');
  });

  it('says no_matching_artifact when newer releases lack the platform or bundle', () => {
    expect(selectUpdate(snapshot, query('1.1.0', 'darwin')).kind).toBe('no_matching_artifact');
    expect(selectUpdate(snapshot, query('1.0.0', 'linux', 'rpm')).kind).toBe('no_matching_artifact');
  });

  it('walks past an unsigned newest release to an older fitting one', () => {
    const result = selectUpdate(snapshot, query('0.9.0', 'linux', 'appimage'));
    expect(result).toMatchObject({ kind: 'update', release: { versionText: '1.0.0' } });
  });

  it('does not switch an install to another bundle when its default is unsigned', () => {
    const unsignedDefault = snapshotOf(
      release('2.0.0', [artifact('windows-x86_64', 'msi', { is_default: true, signature: '' }), artifact('windows-x86_64', 'nsis')]),
    );
    expect(selectUpdate(unsignedDefault, query('1.0.0', 'windows')).kind).toBe('unsigned');
    expect(selectUpdate(unsignedDefault, query('1.0.0', 'windows', 'nsis'))).toMatchObject({ kind: 'update', artifact: { bundle: 'nsis' } });
  });
});
