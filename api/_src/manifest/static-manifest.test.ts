/**
 * The static manifest read the way the Tauri v2 client reads it (test/support/tauri.ts, docs/reference/tauri-updater.md
 * §1.4–1.6): the whole file must parse, and each install looks up `{os}-{arch}-{bundle}` then `{os}-{arch}`.
 * The file is served over real HTTP, behind a dynamic endpoint that answers 503, so the client falls through to it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkForUpdate, type ClientPlatform, parseRemoteRelease } from '../../../test/support/tauri.ts';
import { type AppInput, type ArtifactInput, buildSnapshot, type ReleaseInput } from '../update/snapshot.ts';
import { channelsOf, staticManifest } from './static-manifest.ts';

const CDN = 'https://cdn.example.com';
let ids = 0;
const artifact = (platform: string, bundle: string | null, file_name: string, extra: Partial<ArtifactInput> = {}): ArtifactInput => ({
  id: `a${++ids}`,
  platform,
  bundle,
  signature: Buffer.from(`untrusted comment: signature from tauri secret key\n${file_name}`).toString('base64'),
  storage_key: `app/releases/x/${file_name}`,
  file_name,
  size: 1,
  sha256: '0'.repeat(64),
  is_default: false,
  ...extra,
});
const release = (version: string, artifacts: ArtifactInput[], extra: Partial<ReleaseInput> = {}): ReleaseInput => ({
  id: `r-${version}`,
  version,
  notes: `notes of ${version}`,
  channel: 'stable',
  rollout_percent: 100,
  pub_date: new Date('2026-11-20T10:00:00Z'),
  created_at: new Date('2026-11-01T00:00:00Z'),
  artifacts,
  ...extra,
});
const snapshotOf = (...releases: ReleaseInput[]) => snapshotWith({}, ...releases);
const snapshotWith = (app: Partial<AppInput>, ...releases: ReleaseInput[]) =>
  buildSnapshot({ id: 'app', slug: 'app', public_key: null, ...app }, releases, {
    publicUrl: (key) => `${CDN}/${key}`,
    baseUrl: 'http://api.example.com',
  }).snapshot;

/** Every bundle type on the main platforms; MSI marked default on Windows; aarch64 Linux with a deb only. */
const full = (version: string, extra: Partial<ReleaseInput> = {}) =>
  release(
    version,
    [
      artifact('linux-x86_64', 'appimage', `app_${version}_amd64.AppImage`),
      artifact('linux-x86_64', 'deb', `app_${version}_amd64.deb`),
      artifact('linux-x86_64', 'rpm', `app-${version}-1.x86_64.rpm`),
      artifact('linux-aarch64', 'deb', `app_${version}_arm64.deb`),
      artifact('windows-x86_64', 'nsis', `app_${version}_x64-setup.exe`),
      artifact('windows-x86_64', 'msi', `app_${version}_x64_en-US.msi`, { is_default: true }),
      artifact('darwin-aarch64', 'app', `app_${version}_aarch64.app.tar.gz`),
      artifact('darwin-x86_64', 'app', `app_${version}_x64.app.tar.gz`),
    ],
    extra,
  );

/** What a platform key's bundle must be served as, by file name. */
const FILE_OF_BUNDLE: Record<string, RegExp> = {
  appimage: /\.AppImage$/,
  deb: /\.deb$/,
  rpm: /\.rpm$/,
  msi: /\.msi$/,
  nsis: /-setup\.exe$/,
  app: /\.app\.tar\.gz$/,
};

describe('staticManifest', () => {
  const snapshot = snapshotOf(
    release('1.1.0', [artifact('windows-i686', 'nsis', 'app_1.1.0_x86-setup.exe'), artifact('linux-x86_64', 'appimage', 'app_1.1.0_amd64.AppImage')]),
    full('1.2.0'),
    full('1.3.0', { rollout_percent: 25 }),
    full('1.4.0-rc.1'),
    full('2.0.0-beta.1', { channel: 'beta' }),
  );
  const result = staticManifest(snapshot, 'stable');
  if (result.kind !== 'manifest') throw new Error(`expected a manifest, got ${result.kind}`);
  const { manifest } = result;

  it('holds the newest fully rolled-out stable release, in tauri-action format the client parses', () => {
    // 1.3.0 is at 25% and 1.4.0-rc.1 is a pre-release: neither may reach a client that sends no install id.
    expect(manifest).toMatchObject({ version: '1.2.0', notes: 'notes of 1.2.0', pub_date: '2026-11-20T10:00:00Z' });
    expect(Object.keys(manifest)).toEqual(['version', 'notes', 'pub_date', 'platforms']);
    const parsed = parseRemoteRelease(JSON.parse(new TextDecoder().decode(result.body)));
    expect(parsed).toMatchObject({ version: '1.2.0', data: { kind: 'static' } });
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'public, max-age=60, s-maxage=60, stale-while-revalidate=60', etag: result.etag });
  });

  it('has a key for every artifact and a plain key per platform, and each bundle key points at that bundle', () => {
    expect(Object.keys(manifest.platforms)).toEqual([
      'darwin-aarch64',
      'darwin-aarch64-app',
      'darwin-x86_64',
      'darwin-x86_64-app',
      'linux-aarch64',
      'linux-aarch64-deb',
      'linux-x86_64',
      'linux-x86_64-appimage',
      'linux-x86_64-deb',
      'linux-x86_64-rpm',
      'windows-x86_64',
      'windows-x86_64-msi',
      'windows-x86_64-nsis',
    ]);
    for (const [key, { url, signature }] of Object.entries(manifest.platforms)) {
      const bundle = /^[a-z]+-[a-z0-9_]+-([a-z]+)$/.exec(key)?.[1];
      if (bundle) expect([key, url]).toEqual([key, expect.stringMatching(FILE_OF_BUNDLE[bundle]!)]);
      expect(url.startsWith(`${CDN}/`)).toBe(true);
      expect(Buffer.from(signature, 'base64').toString()).toContain(url.slice(url.lastIndexOf('/') + 1));
    }
    // The plain key is what a client that does not name its bundle gets from the API: the default.
    expect(manifest.platforms['linux-x86_64']!.url).toMatch(/\.AppImage$/);
    expect(manifest.platforms['windows-x86_64']!.url).toMatch(/\.msi$/); // marked default
    expect(manifest.platforms['linux-aarch64']!.url).toMatch(/\.deb$/); // the only one
    // The trade-off: one version per file, so a platform 1.2.0 lacks has no key even though 1.1.0 had one.
    expect(manifest.platforms['windows-i686']).toBeUndefined();
  });

  it('is memoised per snapshot and channel, and knows stable and the channels of published releases', () => {
    expect(staticManifest(snapshot, 'stable')).toBe(result);
    expect(channelsOf(snapshot)).toEqual(['beta', 'stable']);
    expect(staticManifest(snapshot, 'nightly')).toEqual({ kind: 'unknown_channel' });
    const beta = staticManifest(snapshot, 'beta');
    expect(beta.kind === 'manifest' && beta.manifest.version).toBe('2.0.0-beta.1');
  });

  it('serves a channel from the channels it follows: beta gets stable when stable is newer', () => {
    const channels = [{ name: 'beta', follows: 'stable' }, { name: 'nightly', follows: 'beta' }, { name: 'lts', follows: null }];
    const versionIn = (snap: ReturnType<typeof snapshotOf>, channel: string) => {
      const built = staticManifest(snap, channel);
      return built.kind === 'manifest' ? built.manifest.version : built.kind;
    };
    const older = snapshotWith({ channels }, full('1.2.0'), full('2.0.0-beta.1', { channel: 'beta' }));
    expect(['stable', 'beta', 'nightly', 'lts', 'other'].map((c) => versionIn(older, c))).toEqual(['1.2.0', '2.0.0-beta.1', '2.0.0-beta.1', 'no_release', 'unknown_channel']);
    expect(channelsOf(older)).toEqual(['beta', 'lts', 'nightly', 'stable']);
    const newer = snapshotWith({ channels }, full('2.0.0'), full('2.0.0-beta.1', { channel: 'beta' }));
    expect(['stable', 'beta', 'nightly'].map((c) => versionIn(newer, c))).toEqual(['2.0.0', '2.0.0', '2.0.0']);
    // A channel known only because a release was once published in it still exists, empty: its file is deleted.
    expect(versionIn(snapshotWith({ published_channels: ['canary'] }), 'canary')).toBe('no_release');
  });

  it('carries the critical and minimum-version fields the app reads from rawJson, and no per-install field', () => {
    const built = staticManifest(snapshotOf(full('1.2.0', { critical: true, min_supported_version: '1.1.0' })), 'stable');
    expect(built.kind === 'manifest' && built.manifest).toMatchObject({ version: '1.2.0', critical: true, min_supported_version: '1.1.0' });
    expect(built.kind === 'manifest' && 'below_minimum' in built.manifest).toBe(false);
    const plain = staticManifest(snapshotOf(full('1.2.0')), 'stable');
    expect(plain.kind === 'manifest' && Object.keys(plain.manifest)).toEqual(['version', 'notes', 'pub_date', 'platforms']);
  });

  it.each([
    ['no release at all', snapshotOf(), 'stable'],
    ['only a partial rollout', snapshotOf(full('1.0.0', { rollout_percent: 99 })), 'stable'],
    ['only a pre-release on stable', snapshotOf(full('1.0.0-rc.1')), 'stable'],
    ['only unsigned artifacts', snapshotOf(release('1.0.0', [artifact('linux-x86_64', 'appimage', 'a.AppImage', { signature: '' })])), 'stable'],
  ])('has no release with %s', (_, emptySnapshot, channel) => {
    expect(staticManifest(emptySnapshot, channel)).toEqual({ kind: 'no_release' });
  });

  it('leaves out an unsigned artifact but keeps the signed ones', () => {
    const partly = snapshotOf(
      release('1.0.0', [
        artifact('linux-x86_64', 'appimage', 'a.AppImage'),
        artifact('linux-x86_64', 'deb', 'a.deb', { signature: '  ' }),
      ]),
    );
    const built = staticManifest(partly, 'stable');
    expect(built.kind === 'manifest' && Object.keys(built.manifest.platforms)).toEqual(['linux-x86_64', 'linux-x86_64-appimage']);
  });

  describe('through the Tauri client, as the second endpoint after an API that answers 503', () => {
    let server: Server;
    let endpoints: string[];
    beforeAll(async () => {
      server = createServer((req, res) => {
        if (req.url?.startsWith('/api/')) {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"code":"unavailable","message":"down"}}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(result.body);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      endpoints = [`${base}/api/update/app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`, `${base}/app/latest.json`];
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const client = (target: string, arch: string, bundleType: string): ClientPlatform => ({ target, arch, bundleType, currentVersion: '1.0.0' });
    it.each([
      ['linux', 'x86_64', 'appimage', /_amd64\.AppImage$/],
      ['linux', 'x86_64', 'deb', /_amd64\.deb$/],
      ['linux', 'x86_64', 'rpm', /\.x86_64\.rpm$/],
      ['linux', 'x86_64', 'unknown', /_amd64\.AppImage$/],
      ['linux', 'aarch64', 'deb', /_arm64\.deb$/],
      ['linux', 'aarch64', 'unknown', /_arm64\.deb$/],
      ['windows', 'x86_64', 'nsis', /_x64-setup\.exe$/],
      ['windows', 'x86_64', 'msi', /_x64_en-US\.msi$/],
      ['windows', 'x86_64', 'unknown', /_x64_en-US\.msi$/],
      ['darwin', 'aarch64', 'app', /_aarch64\.app\.tar\.gz$/],
      ['darwin', 'x86_64', 'app', /_x64\.app\.tar\.gz$/],
    ])('%s-%s (%s) gets 1.2.0 from the static file', async (target, arch, bundleType, file) => {
      const outcome = await checkForUpdate(endpoints, client(target, arch, bundleType));
      expect(outcome.kind).toBe('update');
      if (outcome.kind !== 'update') return;
      expect(outcome.attempts.map((a) => a.status)).toEqual([503, 200]);
      expect(outcome.update.version).toBe('1.2.0');
      expect(outcome.update.url).toMatch(file);
    });

    it('fails for a platform the newest release lacks, as the client does (TargetsNotFound): the file is a fallback only', async () => {
      await expect(checkForUpdate(endpoints, client('windows', 'i686', 'nsis'))).rejects.toThrow(
        'TargetsNotFound: ["windows-i686-nsis","windows-i686"]',
      );
    });
  });
});
