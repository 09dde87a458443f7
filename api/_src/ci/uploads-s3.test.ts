import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningS3rver, startS3rver } from '../../../test/support/s3rver.ts';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import type { CiUploadResponse } from '../protocol/ci.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import { artifactKey, directUploadKey } from '../protocol/storage-keys.ts';
import { S3Storage } from '../storage/s3.ts';
import { type CiHarness, createCiHarness, declare, insertApp, releasesPath, runLeg, sendBytes, signedArtifact } from './testing.ts';

const KIB = 1024;

/** S3 storage that writes down the key of every HEAD it sends the bucket. */
class HeadCountingS3Storage extends S3Storage {
  readonly heads: string[] = [];
  override async head(key: string) {
    this.heads.push(key);
    return super.head(key);
  }
}

/** The CI upload flow against a real S3 server (s3rver checks SigV4, expiry and signed headers), over real HTTP. */
describe('CI API uploads to S3: presigned PUT and presigned multipart', () => {
  let s3: RunningS3rver;
  let storage: HeadCountingS3Storage;
  let h: CiHarness;
  let dir: string;
  let key: KeyPair;
  const base = releasesPath('s3-app', '1.0.0');

  const request = (body: unknown) => h.call<CiUploadResponse>('POST', `${base}/uploads`, { body });
  const complete = (upload: CiUploadResponse, body?: unknown) => h.call('POST', `${base}/uploads/${upload.upload_id}/complete`, body === undefined ? {} : { body });
  const stagedKey = async (upload: CiUploadResponse) =>
    (await h.ctx.database.db.selectFrom('artifact_uploads').select('storage_key').where('id', '=', upload.upload_id).executeTakeFirstOrThrow()).storage_key;
  const stored = async (objectKey: string) => {
    const object = await storage.get(objectKey);
    return object ? Buffer.from(await new Response(object.body).arrayBuffer()) : null;
  };

  beforeAll(async () => {
    s3 = await startS3rver();
    storage = new HeadCountingS3Storage(s3.config);
    // Multipart from 200 KiB in 64 KiB parts, so the test needs no 64 MiB file; the rules are the same.
    h = await createCiHarness({ storage, uploadLimits: { multipartThresholdBytes: 200 * KIB, partSizeBytes: 64 * KIB } });
    dir = await mkdtemp(join(tmpdir(), 'ci-s3-'));
    key = await generateKeyPair(dir);
    await insertApp(h, 's3-app', key.publicKey);
    expect((await h.call('POST', releasesPath('s3-app'), { body: { version: '1.0.0' } })).status).toBe(201);
  });
  afterAll(async () => {
    await h.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads a small file with one presigned PUT straight to the bucket, then verifies it there', async () => {
    const file = await signedArtifact(dir, key, 's3_1.0.0_amd64.AppImage', randomBytes(150 * KIB), '1.0.0');
    const requested = await request(declare('linux-x86_64', file));
    expect(requested.status).toBe(201);
    const { target } = requested.body;
    expect(target).toEqual({ method: 'PUT', url: expect.stringContaining(`${s3.endpoint}/${s3.bucket}/s3-app/releases/1.0.0/uploads/${requested.body.upload_id}/`), headers: {} });
    expect((target as { url: string }).url).toMatch(/X-Amz-Signature=[0-9a-f]{64}/);
    expect((target as { url: string }).url).not.toMatch(/x-amz-checksum/i);

    expect((await sendBytes(h, requested.body, file.bytes)).status).toBe(200);
    const done = await complete(requested.body);
    expect(done).toMatchObject({ status: 200, body: { state: 'ready', verified_key_id: tauriPublicKeyId(key.publicKey), size: 150 * KIB } });
    expect(await stored(await stagedKey(requested.body))).toEqual(Buffer.from(file.bytes));
  });

  it('signs the Content-Type into the URL when one is declared: the same type passes, another is refused by the bucket', async () => {
    const file = await signedArtifact(dir, key, 's3_1.0.0_x86_64.rpm', randomBytes(10 * KIB), '1.0.0');
    const requested = await request(declare('linux-x86_64', file, { content_type: 'application/x-rpm' }));
    const target = requested.body.target as { url: string; headers: Record<string, string> };
    expect(target.headers).toEqual({ 'content-type': 'application/x-rpm' });
    const wrong = await fetch(target.url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: new Uint8Array(file.bytes) });
    expect(wrong.status).toBe(403);
    await wrong.arrayBuffer();
    expect((await sendBytes(h, requested.body, file.bytes)).status).toBe(200);
    expect(await complete(requested.body)).toMatchObject({ status: 200, body: { bundle: 'rpm', state: 'ready' } });
  });

  it('uploads a large file as a presigned multipart upload of equal parts, assembled at complete', async () => {
    const size = 300 * KIB + 123;
    const file = await signedArtifact(dir, key, 's3_1.0.0_amd64.deb', randomBytes(size), '1.0.0');
    const requested = await request(declare('linux-x86_64', file));
    expect(requested.status).toBe(201);
    const target = requested.body.target;
    if (target.method !== 'MULTIPART') throw new Error(`expected MULTIPART, got ${target.method}`);
    expect(target.part_size).toBe(64 * KIB);
    expect(target.parts.map((part) => part.part_number)).toEqual([1, 2, 3, 4, 5]);
    for (const part of target.parts) expect(part.url).toMatch(new RegExp(`partNumber=${part.part_number}&uploadId=[0-9a-f]+|uploadId=[0-9a-f]+.*partNumber=${part.part_number}`));

    const sent = await sendBytes(h, requested.body, file.bytes);
    expect(sent.status).toBe(200);
    expect(sent.parts!.every((part) => /^"[0-9a-f]{32}"$/.test(part.etag))).toBe(true);

    // Every part, once, in any order; anything else is refused before the bucket is asked.
    const missing = await complete(requested.body, { parts: sent.parts!.slice(0, 4) });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/^expected parts 1–5, each once, with the ETag its PUT answered: .*; got part numbers 1, 2, 3, 4$/);
    expect((await complete(requested.body, { parts: [...sent.parts!.slice(0, 4), sent.parts![0]!] })).status).toBe(400);
    expect((await complete(requested.body)).body.error.message).toMatch(/^this is a multipart upload; send parts 1–5/);

    const done = await complete(requested.body, { parts: [...sent.parts!].reverse() });
    expect(done).toMatchObject({ status: 200, body: { bundle: 'deb', state: 'ready', size, sha256: file.sha256 } });
    expect(await stored(await stagedKey(requested.body))).toEqual(Buffer.from(file.bytes));
    // Repeating the complete (a retried request) answers the same without assembling again.
    expect(await complete(requested.body, { parts: sent.parts })).toMatchObject({ status: 200, body: done.body });
  });

  it('refuses an expired presigned URL at the bucket (403); a fresh upload of the same artifact succeeds', async () => {
    const file = await signedArtifact(dir, key, 's3_1.0.0_x64-setup.exe', randomBytes(20 * KIB), '1.0.0');
    h.clock.offsetMs = -2 * 60 * 60 * 1000; // signed two hours ago, valid for one
    const stale = await request(declare('windows-x86_64', file));
    h.clock.offsetMs = 0;
    const put = await fetch((stale.body.target as { url: string }).url, { method: 'PUT', body: new Uint8Array(file.bytes) });
    expect(put.status).toBe(403);
    expect(await put.text()).toMatch(/<Code>AccessDenied<\/Code>\s*<Message>Request has expired<\/Message>/);
    expect((await complete(stale.body)).body.error.message).toMatch(/refused by rule "not_uploaded"/);

    const fresh = await request(declare('windows-x86_64', file));
    expect((await sendBytes(h, fresh.body, file.bytes)).status).toBe(200);
    expect(await complete(fresh.body)).toMatchObject({ status: 200, body: { platform: 'windows-x86_64', bundle: 'nsis', state: 'ready' } });
  });

  it('refuses a size mismatch at complete with both numbers, and deletes the object from the bucket', async () => {
    const file = await signedArtifact(dir, key, 's3_1.0.0_x64_en-US.msi', randomBytes(30 * KIB), '1.0.0');
    const requested = await request(declare('windows-x86_64', file));
    const short = file.bytes.slice(0, 29 * KIB);
    expect((await fetch((requested.body.target as { url: string }).url, { method: 'PUT', body: short })).status).toBe(200);
    const refused = await complete(requested.body);
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toBe(
      `artifact s3_1.0.0_x64_en-US.msi (windows-x86_64) refused by rule "size_mismatch": the stored object is ${29 * KIB} bytes but ${30 * KIB} were declared; upload the whole file (and declare its real size)`,
    );
    expect(await storage.head(await stagedKey(requested.body))).toBeNull();
  });

  it('refuses a sha256 mismatch after a multipart upload, and deletes the assembled object', async () => {
    const file = await signedArtifact(dir, key, 's3_1.0.0_aarch64.AppImage', randomBytes(250 * KIB), '1.0.0');
    const requested = await request({ ...declare('linux-aarch64', file), sha256: '0'.repeat(64) });
    const sent = await sendBytes(h, requested.body, file.bytes);
    const refused = await complete(requested.body, { parts: sent.parts });
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toMatch(`refused by rule "sha256_mismatch": the stored bytes have SHA-256 ${file.sha256} but ${'0'.repeat(64)} was declared`);
    expect(await storage.head(await stagedKey(requested.body))).toBeNull();
  });

  it('registers artifacts already in the bucket in one call, with one HEAD per key it looks at', async () => {
    await insertApp(h, 's3-direct', key.publicKey);
    const linux = await signedArtifact(dir, key, 'direct_3.0.0_amd64.AppImage', randomBytes(20 * KIB), '3.0.0');
    const windows = await signedArtifact(dir, key, 'Direct_3.0.0_x64-setup.exe', randomBytes(20 * KIB), '3.0.0');
    const linuxKey = directUploadKey('s3-direct', '3.0.0', linux.sha256, linux.name);
    const windowsLegacyKey = artifactKey('s3-direct', '3.0.0', windows.name); // as older upload-r2 releases wrote it
    await storage.put(linuxKey, linux.bytes);
    await storage.put(windowsLegacyKey, windows.bytes);
    storage.heads.length = 0;

    const registered = await h.call('POST', releasesPath('s3-direct'), { body: { version: '3.0.0', artifacts: [declare('linux-x86_64', linux), declare('windows-x86_64', windows)] } });
    expect(registered).toMatchObject({ status: 201, body: { artifacts: [{ platform: 'linux-x86_64', state: 'ready' }, { platform: 'windows-x86_64', state: 'ready' }] } });
    const headsByKey = Object.fromEntries(storage.heads.map((headed) => [headed, storage.heads.filter((other) => other === headed).length]));
    // The legacy key is asked about only once the content-addressed key is found empty; verification asks nothing again.
    expect(headsByKey).toEqual({ [linuxKey]: 1, [directUploadKey('s3-direct', '3.0.0', windows.sha256, windows.name)]: 1, [windowsLegacyKey]: 1 });
  });

  it('runs a whole leg against S3 and publishes; the updater points at the verified object', async () => {
    await insertApp(h, 's3-live', key.publicKey);
    const file = await signedArtifact(dir, key, 'live_2.0.0_aarch64.app.tar.gz', randomBytes(220 * KIB), '2.0.0');
    const leg = await runLeg(h, h.ctx.adminAuth, 's3-live', '2.0.0', 'darwin-aarch64', file);
    expect(leg.statuses).toEqual([201, 201, 200, 200]);
    expect((await h.call('POST', `${releasesPath('s3-live', '2.0.0')}/publish`)).status).toBe(200);
    const check = await h.app.request('/update/s3-live/darwin/aarch64/1.0.0');
    expect(check.status).toBe(200);
    const manifest = (await check.json()) as { url: string; signature: string };
    expect(manifest.signature).toBe(file.signature);
    const download = await h.app.request(new URL(manifest.url).pathname);
    expect(download.status).toBe(302);
    const bytes = await fetch(download.headers.get('location')!);
    expect(Buffer.from(await bytes.arrayBuffer())).toEqual(Buffer.from(file.bytes));
  });
});
