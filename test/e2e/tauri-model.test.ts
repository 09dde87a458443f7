/**
 * The Tauri client model in test/support/tauri.ts checked on its own, so that the end-to-end test's verdicts can be
 * trusted: the real signer with Debian minisign, and the plugin's URL, JSON and endpoint-loop rules against a bare
 * node:http server that answers whatever each case needs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildCheckUrl, checkForUpdate, compareSemver, generateKeyPair, hasMinisign, type KeyPair, parseRemoteRelease,
  parseSemver, sign, UPDATER_USER_AGENT, verifySignature,
} from '../support/tauri.ts';

const minisign = await hasMinisign();
const LINUX = { target: 'linux', arch: 'x86_64', currentVersion: '1.0.0', bundleType: 'appimage' };

describe('buildCheckUrl (§1.2)', () => {
  it('replaces placeholders in the path (percent-encoded by URL parsing) and in the query (literal)', () => {
    const url = buildCheckUrl('https://u.example/{{target}}/{{arch}}/{{current_version}}?b={{bundle_type}}&t={{target}}', {
      ...LINUX, currentVersion: '1.8.0+1',
    });
    expect(url).toBe('https://u.example/linux/x86_64/1.8.0%2B1?b=appimage&t=linux');
  });
  it('leaves unknown placeholders alone, as the plugin has no custom variables', () => {
    expect(buildCheckUrl('https://u.example/{{channel}}/{{arch}}', LINUX)).toBe('https://u.example/%7B%7Bchannel%7D%7D/x86_64');
  });
});

describe('semver as the Rust crate orders it (§1.7)', () => {
  const v = (s: string) => parseSemver(s)!;
  it('rejects what the crate rejects', () => {
    for (const bad of ['1.2', 'v1.2.3', ' 1.2.3', '01.2.3', '1.2.3-01', '1.2.3-', '1.2.3+']) expect(parseSemver(bad)).toBeNull();
  });
  it('sorts a pre-release below its release and build metadata in the crate order', () => {
    expect(compareSemver(v('1.2.3-beta.1'), v('1.2.3'))).toBe(-1);
    expect(compareSemver(v('1.2.3-beta.2'), v('1.2.3-beta.11'))).toBe(-1);
    expect(compareSemver(v('1.2.3-1'), v('1.2.3-alpha'))).toBe(-1);
    expect(compareSemver(v('1.0.0+2'), v('1.0.0+1'))).toBe(1);
    expect(compareSemver(v('1.0.0'), v('1.0.0+1'))).toBe(-1);
    expect(compareSemver(v('1.10.0'), v('1.9.9'))).toBe(1);
  });
});

describe('parseRemoteRelease (§1.5)', () => {
  const base = { version: '1.2.3', url: 'https://x.example/a', signature: 'c2ln' };
  it('accepts the name alias and leading v', () => {
    const { version: _, ...rest } = base;
    expect(parseRemoteRelease({ ...rest, name: 'v1.2.3' }).version).toBe('1.2.3');
    expect(() => parseRemoteRelease({ ...base, name: '1.2.3' })).toThrow(/duplicate field/);
  });
  it.each([
    ['a non-RFC 3339 pub_date', { ...base, pub_date: '2020-06-22' }, /pub_date/],
    ['an impossible date', { ...base, pub_date: '2021-02-29T00:00:00Z' }, /pub_date/],
    ['loose semver', { ...base, version: '1.2' }, /strict semver/],
    ['no url in the dynamic form', { version: '1.2.3', signature: 's' }, /`url` field was not set/],
    ['no signature in the dynamic form', { version: '1.2.3', url: 'https://x.example/a' }, /`signature` field was not set/],
    ['a relative url', { ...base, url: '/a' }, /url/],
    ['one broken platform entry', { version: '1.2.3', platforms: { 'linux-x86_64': { url: 'https://x/a', signature: 's' }, 'darwin-aarch64': { url: 'https://x/b' } } }, /darwin-aarch64/],
  ])('rejects %s', (_name, json, message) => {
    expect(() => parseRemoteRelease(json)).toThrow(message);
  });
  it('accepts RFC 3339 with offsets and fractions', () => {
    expect(parseRemoteRelease({ ...base, pub_date: '2024-11-01T12:00:00.123+02:00' }).pubDate).toBe('2024-11-01T12:00:00.123+02:00');
  });
});

describe('checkForUpdate against a bare server (§1.3, §1.4, §1.6)', () => {
  let server: Server;
  let base = '';
  const seen: Record<string, string | undefined>[] = [];
  const routes: Record<string, (res: import('node:http').ServerResponse) => void> = {
    '/404': (res) => res.writeHead(404).end('nope'),
    '/500': (res) => res.writeHead(500).end(),
    '/204': (res) => res.writeHead(204).end(),
    '/html': (res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>'),
    '/bad-json': (res) => res.writeHead(200).end(JSON.stringify({ version: '1.2' })),
    '/redirect': (res) => res.writeHead(302, { Location: '/dynamic' }).end(),
    '/dynamic': (res) => res.writeHead(200).end(JSON.stringify({ version: 'v2.0.0', pub_date: '2024-11-01T12:00:00Z', url: 'https://x.example/a', signature: 's' })),
    '/static': (res) => res.writeHead(200).end(JSON.stringify({ version: '2.0.0', platforms: {
      'linux-x86_64': { url: 'https://x.example/appimage', signature: 'a' },
      'linux-x86_64-deb': { url: 'https://x.example/deb', signature: 'd' },
    } })),
  };
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url, ua: req.headers['user-agent'], accept: req.headers.accept, encoding: req.headers['accept-encoding'] });
      (routes[new URL(req.url!, 'http://x').pathname] ?? routes['/404']!)(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('sends the plugin headers and no Accept-Encoding', async () => {
    seen.length = 0;
    await checkForUpdate(`${base}/204`, LINUX);
    expect(seen).toEqual([{ path: '/204', ua: UPDATER_USER_AGENT, accept: 'application/json', encoding: undefined }]);
  });
  it('moves past non-2xx endpoints and a JSON that is not a release, and follows redirects', async () => {
    const outcome = await checkForUpdate([`${base}/404`, `${base}/500`, `${base}/bad-json`, `${base}/redirect`], LINUX);
    expect(outcome.kind).toBe('update');
    expect(outcome.attempts.map((a) => a.status)).toEqual([404, 500, 200, 200]);
    if (outcome.kind === 'update') expect(outcome.update.version).toBe('2.0.0');
  });
  it('stops at 204 without trying later endpoints', async () => {
    const outcome = await checkForUpdate([`${base}/204`, `${base}/dynamic`], LINUX);
    expect(outcome).toMatchObject({ kind: 'no-update', reason: 'no-content', attempts: [{ status: 204 }] });
  });
  it('aborts on a 2xx that is not JSON', async () => {
    await expect(checkForUpdate([`${base}/html`, `${base}/dynamic`], LINUX)).rejects.toThrow(/error decoding response body/);
  });
  it('reports ReleaseNotFound when every endpoint is non-2xx, and the parse error when one JSON was invalid', async () => {
    await expect(checkForUpdate([`${base}/404`, `${base}/500`], LINUX)).rejects.toThrow(/Could not fetch a valid release JSON/);
    await expect(checkForUpdate([`${base}/bad-json`, `${base}/404`], LINUX)).rejects.toThrow(/strict semver/);
  });
  it('picks the bundle-specific static key first, and fails when the platform is missing even with no newer version', async () => {
    const deb = await checkForUpdate(`${base}/static`, { ...LINUX, bundleType: 'deb' });
    expect(deb.kind === 'update' && deb.update.url).toBe('https://x.example/deb');
    const rpm = await checkForUpdate(`${base}/static`, { ...LINUX, bundleType: 'rpm' });
    expect(rpm.kind === 'update' && rpm.update.url).toBe('https://x.example/appimage');
    await expect(checkForUpdate(`${base}/static`, { ...LINUX, target: 'darwin', arch: 'aarch64', currentVersion: '9.0.0' }))
      .rejects.toThrow(/TargetsNotFound/);
  });
  it('applies the default comparator: equal or older is no update', async () => {
    expect(await checkForUpdate(`${base}/dynamic`, { ...LINUX, currentVersion: '2.0.0' })).toMatchObject({ kind: 'no-update', reason: 'not-newer' });
    expect(await checkForUpdate(`${base}/dynamic`, { ...LINUX, currentVersion: '2.0.0-rc.1' })).toMatchObject({ kind: 'update' });
  });
});

(minisign ? describe : describe.skip)(`real signer + Debian minisign (§1.9, §3)${minisign ? '' : ' — SKIPPED: minisign not installed, run .ci/system-packages.sh'}`, () => {
  let dir: string;
  let keys: KeyPair;
  let other: KeyPair;
  const file = () => join(dir, 'my-app_1.2.3_amd64.AppImage');
  let bytes: Buffer;
  let signature: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tauri-model-'));
    keys = await generateKeyPair(dir);
    await mkdir(join(dir, 'other'));
    other = await generateKeyPair(join(dir, 'other'));
    bytes = randomBytes(64 * 1024);
    await writeFile(file(), bytes);
    signature = await sign(file(), keys, '1.2.3');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes keys and signatures in the double-base64 form tauri.conf.json and manifests use', () => {
    expect(keys.publicKey.startsWith('dW50cnVzdGVkIGNvbW1lbnQ6')).toBe(true);
    expect(signature.startsWith('dW50cnVzdGVkIGNvbW1lbnQ6')).toBe(true);
  });
  it('verifies an untouched file and reads the signed version', async () => {
    const verdict = await verifySignature(bytes, signature, keys.publicKey, '1.2.3');
    expect(verdict).toMatchObject({ ok: true, signedVersion: '1.2.3' });
  });
  it('rejects a flipped byte, a different key, a different announced version, and a raw RW… key', async () => {
    const tampered = Buffer.from(bytes);
    tampered[1000] = tampered[1000]! ^ 0x01;
    expect(await verifySignature(tampered, signature, keys.publicKey, '1.2.3')).toMatchObject({ ok: false, reason: 'InvalidSignature' });
    expect(await verifySignature(bytes, signature, other.publicKey, '1.2.3')).toMatchObject({ ok: false, reason: 'InvalidSignature' });
    expect(await verifySignature(bytes, signature, keys.publicKey, '1.2.4')).toMatchObject({ ok: false, reason: 'SignedVersionMismatch' });
    const rawKeyLine = Buffer.from(keys.publicKey, 'base64').toString('utf8').split('\n')[1]!;
    expect((await verifySignature(bytes, signature, rawKeyLine, '1.2.3')).ok).toBe(false);
  });
  it('accepts a signature without a signed version unless requireSignedVersion is on', async () => {
    const unversioned = await sign(file(), keys);
    expect(await verifySignature(bytes, unversioned, keys.publicKey, '1.2.3')).toMatchObject({ ok: true, signedVersion: null });
    expect(await verifySignature(bytes, unversioned, keys.publicKey, '1.2.3', { requireSignedVersion: true }))
      .toMatchObject({ ok: false, reason: 'MissingSignedVersion' });
  });
});
