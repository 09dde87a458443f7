/**
 * registerRelease against the real control plane over HTTP (S3 storage on s3rver), with files signed by the real
 * Tauri signer and put where each upload mode leaves them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { CiArtifact } from '../../../api/_src/protocol/ci.ts';
import { CredentialSource } from '../../shared/src/ci-credentials.ts';
import { ControlPlane } from '../../shared/src/control-plane.ts';
import { startLocalControlPlane, type LocalControlPlane } from '../../shared/src/control-plane-testing.ts';
import { Secret } from '../../shared/src/secret.ts';
import { memoryLogger } from '../../shared/src/testing.ts';
import { discoverArtifacts } from '../../upload-r2/src/discover.ts';
import { uploadPresigned } from '../../upload-r2/src/presigned.ts';
import { uploadDirect } from '../../upload-r2/src/s3-direct.ts';
import { toCiArtifact } from '../../upload-r2/src/summary.ts';
import { parseArtifactsInput, registerRelease, registerSummary } from './register.ts';

let cp: LocalControlPlane;
let adminKey: string;
let ciKey: string;

beforeAll(async () => {
  cp = await startLocalControlPlane();
  await cp.createApp('my-app');
  adminKey = await cp.ciApiKey('my-app', 'admin');
  ciKey = await cp.ciApiKey('my-app', 'ci');
}, 60_000);
afterAll(() => cp?.close());

const plane = (key = adminKey) =>
  new ControlPlane({ serverUrl: cp.url, app: 'my-app', credentials: new CredentialSource({ apiKey: new Secret('api-key', key), logger: memoryLogger() }), logger: memoryLogger() });

async function signedLeg(version: string, files: Record<string, number>, platform: 'linux-x86_64' | 'windows-x86_64' = 'linux-x86_64') {
  const dir = join(cp.dir, `${version}-${Math.random().toString(36).slice(2)}`);
  for (const [path, size] of Object.entries(files)) await cp.signedFile(join(dir, path), randomBytes(size), version);
  return (await discoverArtifacts({ dirs: [dir], platforms: [platform], version }, memoryLogger())).artifacts;
}

const s3 = () => ({
  endpoint: cp.s3.endpoint,
  bucket: cp.s3.bucket,
  region: 'auto',
  accessKeyId: new Secret('id', cp.s3.config.accessKeyId),
  secretAccessKey: new Secret('secret', cp.s3.config.secretAccessKey),
  forcePathStyle: true,
  partSizeBytes: 5 * 1024 * 1024,
});

describe('registerRelease', () => {
  it('presigned uploads are already ready: it only checks them, sets notes and channel, and publishes', async () => {
    const artifacts = await signedLeg('1.0.0', { 'deb/a_1.0.0_amd64.deb': 20_000 });
    await uploadPresigned(plane(), '1.0.0', artifacts, { logger: memoryLogger() });
    const logger = memoryLogger();
    const result = await registerRelease(plane(), { version: '1.0.0', artifacts: artifacts.map(toCiArtifact), notes: 'Fixes', channel: 'beta', publish: true }, logger);
    expect(result.registered).toEqual([]);
    expect(result.alreadyReady.map((a) => a.file_name)).toEqual(['a_1.0.0_amd64.deb']);
    expect(result.published).toBe(true);
    expect(result.view).toMatchObject({ version: '1.0.0', status: 'published', channel: 'beta' });
    expect(logger.text()).toContain('a_1.0.0_amd64.deb (linux-x86_64): already registered and verified.');
    expect((await cp.admin('GET', '/admin/apps/my-app/releases/1.0.0')).body).toMatchObject({ notes: 'Fixes', status: 'published' });

    const again = await registerRelease(plane(), { version: '1.0.0', artifacts: artifacts.map(toCiArtifact), publish: true }, memoryLogger());
    expect(again).toMatchObject({ published: false, view: { status: 'published' } });
  });

  it('files put in the bucket (mode s3) are registered in one call, verified by the server', async () => {
    const artifacts = await signedLeg('2.0.0', { 'nsis/App_2.0.0_x64-setup.exe': 30_000, 'msi/App_2.0.0_x64_en-US.msi': 31_000 }, 'windows-x86_64');
    await uploadDirect(s3(), 'my-app', '2.0.0', artifacts, { logger: memoryLogger() });
    const result = await registerRelease(plane(ciKey), { version: '2.0.0', artifacts: artifacts.map(toCiArtifact), publish: false }, memoryLogger());
    expect(result.registered.map((a) => a.file_name)).toEqual(['App_2.0.0_x64_en-US.msi', 'App_2.0.0_x64-setup.exe']);
    expect(result.view.status).toBe('draft');
    expect(result.view.artifacts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file_name: 'App_2.0.0_x64-setup.exe', bundle: 'nsis', state: 'ready', verified_key_id: expect.stringMatching(/^[0-9A-F]{16}$/) }),
        expect.objectContaining({ file_name: 'App_2.0.0_x64_en-US.msi', bundle: 'msi', state: 'ready' }),
      ]),
    );
    const summary = registerSummary('my-app', result);
    expect(summary).toContain('### Release 2.0.0 of my-app: draft');
    expect(summary).toContain(`\`${cp.url}/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}\``);
    expect(summary).toMatch(/\| windows-x86_64 \| nsis \| App_2\.0\.0_x64-setup\.exe \| 29\.3 KiB \| `[0-9a-f]{64}` \| ready \| [0-9A-F]{16} \| registered \|/);
  });

  it('a file not in the bucket: refused with where it must be and how it gets there', async () => {
    const artifacts = await signedLeg('3.0.0', { 'deb/b_3.0.0_amd64.deb': 1_000 });
    await expect(registerRelease(plane(), { version: '3.0.0', artifacts: artifacts.map(toCiArtifact), publish: false }, memoryLogger())).rejects.toThrow(
      /^Registering 1 artifact\(s\) with release 3\.0\.0 was refused: artifact b_3\.0\.0_amd64\.deb \(linux-x86_64\) refused by rule "not_uploaded": .* Files are registered from \{app\}\/releases\/\{version\}\/uploads\/\{sha256\}\/\{file\} in the bucket: upload them first with upload-r2 \(mode s3\)/,
    );
  });

  it('publishing with a drafts-only key: the draft stays, and the message says who publishes', async () => {
    const artifacts = await signedLeg('4.0.0', { 'deb/c_4.0.0_amd64.deb': 1_000 });
    await uploadPresigned(plane(), '4.0.0', artifacts, { logger: memoryLogger() });
    await expect(registerRelease(plane(ciKey), { version: '4.0.0', artifacts: artifacts.map(toCiArtifact), publish: true }, memoryLogger())).rejects.toThrow(
      /^Publishing release 4\.0\.0 was refused: a "ci" API key creates drafts only.* The draft is registered; an admin publishes it/,
    );
  });

  it('a published release does not take different files', async () => {
    const artifacts = await signedLeg('1.0.0', { 'deb/a_1.0.0_amd64.deb': 20_001 });
    await expect(registerRelease(plane(), { version: '1.0.0', artifacts: artifacts.map(toCiArtifact), publish: false }, memoryLogger())).rejects.toThrow(
      'Release 1.0.0 is already published, and a published release\'s files never change; these differ from what it holds: a_1.0.0_amd64.deb (linux-x86_64).',
    );
  });

  it('publish alone (the final job): no artifacts, just the transition', async () => {
    const artifacts = await signedLeg('5.0.0', { 'deb/d_5.0.0_amd64.deb': 1_000 });
    await uploadPresigned(plane(), '5.0.0', artifacts, { logger: memoryLogger() });
    const result = await registerRelease(plane(), { version: '5.0.0', artifacts: [], publish: true }, memoryLogger());
    expect(result).toMatchObject({ published: true, registered: [], view: { status: 'published' } });
  });
});

describe('parseArtifactsInput', () => {
  const good: CiArtifact = { platform: 'linux-x86_64', bundle: 'deb', file_name: 'a.deb', size: 1, sha256: 'a'.repeat(64), signature: 'c2ln' };

  it('takes upload-r2\'s output, derives a missing bundle from the file name, and reads empty as none', () => {
    expect(parseArtifactsInput(undefined)).toEqual([]);
    const { bundle: _, ...noBundle } = good;
    expect(parseArtifactsInput(JSON.stringify([good, { ...noBundle, file_name: 'My App_1.0.0_x64-setup.exe' }]))).toEqual([good, { ...noBundle, file_name: 'My App_1.0.0_x64-setup.exe', bundle: 'nsis' }]);
  });

  it('takes a DMG, an installer only, with neither bundle nor signature', () => {
    const dmg = { platform: 'darwin-aarch64', file_name: 'My App_1.0.0_aarch64.dmg', size: 1, sha256: 'a'.repeat(64) };
    expect(parseArtifactsInput(JSON.stringify([dmg]))).toEqual([{ ...dmg, bundle: undefined }]);
  });

  it('names the element and field that is wrong', () => {
    expect(() => parseArtifactsInput('[{')).toThrow('Input artifacts is not JSON');
    expect(() => parseArtifactsInput(JSON.stringify([good, { ...good, sha256: 'XYZ' }]))).toThrow('Input artifacts[1].sha256: must be 64 lowercase hex digits.');
    expect(() => parseArtifactsInput(JSON.stringify({ a: 1 }))).toThrow(/^Input artifacts: /);
  });
});
