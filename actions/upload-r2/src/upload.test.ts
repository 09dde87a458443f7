/**
 * Both upload modes against the real control plane over HTTP, with artifacts in a real S3 server (s3rver), files
 * signed by the real Tauri signer. Upload limits are lowered so a 1.2 MiB file goes multipart.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { artifactKey, directUploadKey } from '../../../api/_src/protocol/storage-keys.ts';
import { CredentialSource } from '../../shared/src/ci-credentials.ts';
import { ControlPlane } from '../../shared/src/control-plane.ts';
import { startLocalControlPlane, type LocalControlPlane } from '../../shared/src/control-plane-testing.ts';
import { Secret } from '../../shared/src/secret.ts';
import { memoryLogger } from '../../shared/src/testing.ts';
import { discoverArtifacts, type LocalArtifact } from './discover.ts';
import { uploadPresigned } from './presigned.ts';
import { toCiArtifact } from './summary.ts';
import { createS3Client, uploadDirect, type S3Settings } from './s3-direct.ts';

let cp: LocalControlPlane;
let apiKey: string;

beforeAll(async () => {
  cp = await startLocalControlPlane({ uploadLimits: { multipartThresholdBytes: 1024 * 1024, partSizeBytes: 256 * 1024 } });
  await cp.createApp('my-app');
  apiKey = await cp.ciApiKey('my-app', 'admin');
}, 60_000);
afterAll(() => cp?.close());

const plane = (key = apiKey) =>
  new ControlPlane({ serverUrl: cp.url, app: 'my-app', credentials: new CredentialSource({ apiKey: new Secret('api-key', key), logger: memoryLogger() }), logger: memoryLogger() });

async function leg(version: string, files: Record<string, number>, platform: 'linux-x86_64' | 'darwin-aarch64' | 'windows-x86_64' = 'linux-x86_64'): Promise<LocalArtifact[]> {
  const dir = join(cp.dir, `${version}-${platform}-${Object.keys(files).length}-${Math.random().toString(36).slice(2)}`);
  for (const [path, size] of Object.entries(files)) await cp.signedFile(join(dir, path), randomBytes(size), version);
  return (await discoverArtifacts({ dirs: [dir], platforms: [platform], version }, memoryLogger())).artifacts;
}

const release = async (version: string) => (await cp.admin('GET', `/admin/apps/my-app/releases/${version}`)).body;

describe('presigned mode', () => {
  it('uploads a small file in one PUT and a larger one in parts; the server verifies both and they are ready', async () => {
    const artifacts = await leg('1.0.0', { 'deb/my-app_1.0.0_amd64.deb': 200_000, 'appimage/my-app_1.0.0_amd64.AppImage': 1_200_000 });
    const logger = memoryLogger();
    const reports = await uploadPresigned(plane(), '1.0.0', artifacts, { logger, concurrency: 2 });
    expect(reports.map((r) => [r.artifact.fileName, r.how])).toEqual([
      ['my-app_1.0.0_amd64.AppImage', 'presigned multipart (5 parts)'],
      ['my-app_1.0.0_amd64.deb', 'presigned PUT'],
    ]);
    expect(logger.text()).toContain('my-app_1.0.0_amd64.AppImage (linux-x86_64): 1.1 MiB in 5 parts of 256.0 KiB, 2 at a time');
    expect(logger.text()).toMatch(/my-app_1\.0\.0_amd64\.deb \(linux-x86_64\): verified by the server \(size, sha256, signature by key [0-9A-F]{16}\)/);
    const view = await plane().createRelease({ version: '1.0.0' });
    expect(view.artifacts.map((a) => [a.file_name, a.bundle, a.state, a.sha256])).toEqual(
      expect.arrayContaining(artifacts.map((a) => [a.fileName, a.bundle, 'ready', a.sha256])),
    );
  });

  it('a re-run sends nothing that the release already holds with the same sha256, and replaces what changed', async () => {
    const first = await leg('1.1.0', { 'deb/a_1.1.0_amd64.deb': 50_000 });
    const firstLog = memoryLogger();
    await uploadPresigned(plane(), '1.1.0', first, { logger: firstLog });
    expect(firstLog.text()).toContain('Release 1.1.0 of my-app is a draft');
    expect(firstLog.text()).toContain('; 1 artifact(s) to upload.');
    const againLog = memoryLogger();
    const again = await uploadPresigned(plane(), '1.1.0', first, { logger: againLog });
    expect(again.map((r) => r.how)).toEqual(['already uploaded (same sha256)']);
    expect(againLog.text()).toContain('; all 1 artifact(s) already there, nothing to upload.');
    const rebuilt = await leg('1.1.0', { 'deb/a_1.1.0_amd64.deb': 60_000 });
    expect((await uploadPresigned(plane(), '1.1.0', rebuilt, { logger: memoryLogger() })).map((r) => r.how)).toEqual(['presigned PUT']);
    expect((await release('1.1.0')).artifacts).toEqual([expect.objectContaining({ file_name: 'a_1.1.0_amd64.deb', size: 60_000, sha256: rebuilt[0]!.sha256 })]);
  });

  it('a published release takes no other bytes: refused before uploading, with what to do', async () => {
    const files = await leg('1.2.0', { 'deb/b_1.2.0_amd64.deb': 10_000 });
    await uploadPresigned(plane(), '1.2.0', files, { logger: memoryLogger() });
    await plane().publish('1.2.0');
    expect((await uploadPresigned(plane(), '1.2.0', files, { logger: memoryLogger() })).map((r) => r.how)).toEqual(['already uploaded (same sha256)']);
    const other = await leg('1.2.0', { 'deb/b_1.2.0_amd64.deb': 11_000 });
    await expect(uploadPresigned(plane(), '1.2.0', other, { logger: memoryLogger() })).rejects.toThrow(
      'Release 1.2.0 is already published, and a published release\'s files never change; these differ from what it holds: b_1.2.0_amd64.deb (linux-x86_64). Release a new version (a new tag) instead.',
    );
  });

  it('a file signed with another key is refused at the upload request, before any byte is sent', async () => {
    const { generateKeyPair, sign } = await import('../../../test/support/tauri.ts');
    const { writeFile, mkdir } = await import('node:fs/promises');
    const otherKey = await generateKeyPair(await import('node:fs/promises').then((fs) => fs.mkdtemp(join(cp.dir, 'other-'))));
    const dir = join(cp.dir, 'foreign');
    await mkdir(join(dir, 'deb'), { recursive: true });
    await writeFile(join(dir, 'deb', 'c_1.3.0_amd64.deb'), randomBytes(5_000));
    await sign(join(dir, 'deb', 'c_1.3.0_amd64.deb'), otherKey, '1.3.0');
    const { artifacts } = await discoverArtifacts({ dirs: [dir], platforms: ['linux-x86_64'], version: '1.3.0' }, memoryLogger());
    await expect(uploadPresigned(plane(), '1.3.0', artifacts, { logger: memoryLogger() })).rejects.toThrow(
      /^c_1\.3\.0_amd64\.deb \(linux-x86_64\): the upload request was refused: artifact c_1\.3\.0_amd64\.deb \(linux-x86_64\) refused by rule "key_id_mismatch": /,
    );
  });
});

describe('mode s3', () => {
  const s3 = (): S3Settings => ({
    endpoint: cp.s3.endpoint,
    bucket: cp.s3.bucket,
    region: 'auto',
    accessKeyId: new Secret('s3-access-key-id', cp.s3.config.accessKeyId),
    secretAccessKey: new Secret('s3-secret-access-key', cp.s3.config.secretAccessKey),
    forcePathStyle: true,
    partSizeBytes: 5 * 1024 * 1024,
  });

  /** The release's artifact row of that file: what the server serves, and from which key. */
  const row = (version: string, fileName: string) =>
    cp.harness.ctx.database.db
      .selectFrom('artifacts')
      .innerJoin('releases', 'releases.id', 'artifacts.release_id')
      .select(['artifacts.sha256', 'artifacts.storage_key', 'artifacts.state'])
      .where('releases.version', '=', version)
      .where('artifacts.file_name', '=', fileName)
      .executeTakeFirstOrThrow();
  /** The SHA-256 of the bytes the bucket holds at `key`. */
  async function storedSha256(key: string): Promise<string> {
    const client = createS3Client(s3());
    try {
      const object = await client.send(new GetObjectCommand({ Bucket: cp.s3.bucket, Key: key }));
      return createHash('sha256').update(await object.Body!.transformToByteArray()).digest('hex');
    } finally {
      client.destroy();
    }
  }

  it('puts each file at {app}/releases/{version}/uploads/{sha256}/{file}; a re-run skips it; the server registers it from there', async () => {
    const artifacts = await leg('2.0.0', { 'nsis/My App_2.0.0_x64-setup.exe': 6 * 1024 * 1024, 'msi/My App_2.0.0_x64_en-US.msi': 100_000 }, 'windows-x86_64');
    const [msi, exe] = artifacts as [LocalArtifact, LocalArtifact];
    const logger = memoryLogger();
    const reports = await uploadDirect(s3(), 'my-app', '2.0.0', artifacts, { logger, concurrency: 2 });
    expect(reports.map((r) => [r.artifact.fileName, r.how])).toEqual([
      ['My App_2.0.0_x64_en-US.msi', 'S3 PUT'],
      ['My App_2.0.0_x64-setup.exe', 'S3 multipart (2 parts)'],
    ]);
    const client = createS3Client(s3());
    const head = await client.send(new HeadObjectCommand({ Bucket: cp.s3.bucket, Key: `my-app/releases/2.0.0/uploads/${exe.sha256}/My App_2.0.0_x64-setup.exe` }));
    expect(head).toMatchObject({ ContentLength: 6 * 1024 * 1024, Metadata: { sha256: exe.sha256 } });
    const object = await client.send(new GetObjectCommand({ Bucket: cp.s3.bucket, Key: `my-app/releases/2.0.0/uploads/${msi.sha256}/My App_2.0.0_x64_en-US.msi` }));
    expect((await object.Body!.transformToByteArray()).length).toBe(100_000);
    client.destroy();

    expect((await uploadDirect(s3(), 'my-app', '2.0.0', artifacts, { logger: memoryLogger() })).map((r) => r.how)).toEqual([
      'already in the bucket (same sha256)',
      'already in the bucket (same sha256)',
    ]);
    const view = await plane().createRelease({
      version: '2.0.0',
      artifacts: artifacts.map(toCiArtifact),
    });
    expect(view.artifacts.map((a) => a.state)).toEqual(['ready', 'ready']);
    expect(await row('2.0.0', exe.fileName)).toEqual({ sha256: exe.sha256, storage_key: directUploadKey('my-app', '2.0.0', exe.sha256, exe.fileName), state: 'ready' });

    // A re-run of the whole job with the same bytes, once published: nothing is sent, the registration is a no-op.
    await plane().publish('2.0.0');
    expect((await uploadDirect(s3(), 'my-app', '2.0.0', artifacts, { logger: memoryLogger() })).map((r) => r.how)).toEqual([
      'already in the bucket (same sha256)',
      'already in the bucket (same sha256)',
    ]);
    expect((await plane().createRelease({ version: '2.0.0', artifacts: artifacts.map(toCiArtifact) })).artifacts).toEqual(view.artifacts);
  });

  it('a re-run with other bytes leaves a published artifact\'s stored bytes as they were, and its registration is refused', async () => {
    const built = await leg('2.3.0', { 'deb/e_2.3.0_amd64.deb': 20_000 });
    await uploadDirect(s3(), 'my-app', '2.3.0', built, { logger: memoryLogger() });
    await plane().createRelease({ version: '2.3.0', artifacts: built.map(toCiArtifact) });
    await plane().publish('2.3.0');

    // Tauri builds are not reproducible: the re-run's file has the same name, other bytes and another signature.
    const rebuilt = await leg('2.3.0', { 'deb/e_2.3.0_amd64.deb': 20_000 });
    expect((await uploadDirect(s3(), 'my-app', '2.3.0', rebuilt, { logger: memoryLogger() })).map((r) => r.how)).toEqual(['S3 PUT']);
    await expect(plane().createRelease({ version: '2.3.0', artifacts: rebuilt.map(toCiArtifact) })).rejects.toThrow(
      /published release's artifacts are immutable; these differ from what it holds: e_2\.3\.0_amd64\.deb \(linux-x86_64\)/,
    );
    const published = await row('2.3.0', 'e_2.3.0_amd64.deb');
    expect(published.sha256).toBe(built[0]!.sha256);
    expect(await storedSha256(published.storage_key)).toBe(built[0]!.sha256);
    // The refused re-run's own upload is deleted: nothing would ever point at it.
    await expect(storedSha256(directUploadKey('my-app', '2.3.0', rebuilt[0]!.sha256, rebuilt[0]!.fileName))).rejects.toThrow(/NoSuchKey|not exist/i);
  });

  it('registers a file an older upload-r2 put at {app}/releases/{version}/{file}', async () => {
    const [legacy] = (await leg('2.4.0', { 'deb/f_2.4.0_amd64.deb': 30_000 })) as [LocalArtifact];
    const key = artifactKey('my-app', '2.4.0', legacy.fileName);
    const client = createS3Client(s3());
    await client.send(new PutObjectCommand({ Bucket: cp.s3.bucket, Key: key, Body: await readFile(legacy.path), Metadata: { sha256: legacy.sha256 } }));
    client.destroy();
    const view = await plane().createRelease({ version: '2.4.0', artifacts: [toCiArtifact(legacy)] });
    expect(view.artifacts).toEqual([expect.objectContaining({ file_name: legacy.fileName, sha256: legacy.sha256, state: 'ready' })]);
    expect(await row('2.4.0', legacy.fileName)).toEqual({ sha256: legacy.sha256, storage_key: key, state: 'ready' });
  });

  it('wrong credentials and a missing bucket are explained', async () => {
    const artifacts = await leg('2.1.0', { 'deb/d_2.1.0_amd64.deb': 1_000 });
    await expect(uploadDirect({ ...s3(), secretAccessKey: new Secret('s', 'wrong') }, 'my-app', '2.1.0', artifacts, { logger: memoryLogger() })).rejects.toThrow(
      /^checking s3:\/\/artifacts\/my-app\/releases\/2\.1\.0\/uploads\/[0-9a-f]{64}\/d_2\.1\.0_amd64\.deb: HTTP 403\. Check s3-access-key-id and s3-secret-access-key, and that they may write to bucket artifacts\./,
    );
    await expect(uploadDirect({ ...s3(), bucket: 'nope' }, 'my-app', '2.1.0', artifacts, { logger: memoryLogger() })).rejects.toThrow(
      /NoSuchBucket.*Bucket nope does not exist at http:\/\/127\.0\.0\.1:\d+: check s3-bucket and s3-endpoint\./,
    );
  });

  it('an endpoint where nothing answers is named as the thing to check, not as a reason to re-run', async () => {
    const artifacts = await leg('2.2.0', { 'deb/d_2.2.0_amd64.deb': 1_000 });
    const settings = { logger: memoryLogger(), attempts: 1 };
    await expect(uploadDirect({ ...s3(), endpoint: 'http://127.0.0.1:1' }, 'my-app', '2.2.0', artifacts, settings)).rejects.toThrow(
      /^checking s3:\/\/artifacts\/my-app\/releases\/2\.2\.0\/uploads\/[0-9a-f]{64}\/d_2\.2\.0_amd64\.deb: .*connect ECONNREFUSED 127\.0\.0\.1:1\. Nothing answered at http:\/\/127\.0\.0\.1:1: check s3-endpoint \(the host and port, and that the runner can reach it\)\.$/,
    );
    await expect(uploadDirect({ ...s3(), endpoint: 'https://storage.nonexistent.invalid' }, 'my-app', '2.2.0', artifacts, settings)).rejects.toThrow(
      /ENOTFOUND.*Nothing answered at https:\/\/storage\.nonexistent\.invalid: check s3-endpoint/,
    );
  });
});
