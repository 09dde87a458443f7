import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import { generateTauriKey, minisignSign } from '../../../test/support/tauri-signer.ts';
import type { CiUploadResponse } from '../protocol/ci.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import {
  type CiHarness,
  createCiHarness,
  declare,
  insertApp,
  releasesPath,
  sendBytes,
  sha256Of,
  type SignedArtifact,
  signedArtifact,
} from './testing.ts';

/** Signature checks at ingest, with real files from `tauri signer sign`, through the filesystem upload target. */
describe('CI API: what complete refuses, and what it keeps', () => {
  let h: CiHarness;
  let dir: string;
  let key: KeyPair;
  let otherKey: KeyPair;
  let good: SignedArtifact;
  const base = releasesPath('my-app', '1.0.0');

  const request = (body: unknown) => h.call('POST', `${base}/uploads`, { body });
  const complete = (upload: CiUploadResponse, body?: unknown) => h.call('POST', `${base}/uploads/${upload.upload_id}/complete`, body === undefined ? {} : { body });
  const slot = () => h.ctx.database.db.selectFrom('artifacts').selectAll().where('platform', '=', 'linux-x86_64').execute();

  beforeAll(async () => {
    h = await createCiHarness();
    dir = await mkdtemp(join(tmpdir(), 'ci-ingest-'));
    [key, otherKey] = await Promise.all([generateKeyPair(dir), mkdtemp(join(dir, 'other-')).then(generateKeyPair)]);
    await insertApp(h, 'my-app', key.publicKey);
    expect((await h.call('POST', releasesPath('my-app'), { body: { version: '1.0.0' } })).status).toBe(201);
    good = await signedArtifact(dir, key, 'my-app_1.0.0_amd64.AppImage', randomBytes(4000), '1.0.0');
    // The slot holds a ready artifact; every refusal below must leave it as it is.
    const requested = await request(declare('linux-x86_64', good));
    await sendBytes(h, requested.body, good.bytes);
    expect((await complete(requested.body)).status).toBe(200);
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a signature made with another key when the upload is requested, naming both key ids', async () => {
    const foreign = await signedArtifact(await mkdtemp(join(dir, 'f-')), otherKey, good.name, good.bytes, '1.0.0');
    const res = await request(declare('linux-x86_64', foreign));
    expect(res.status).toBe(422);
    const expected = tauriPublicKeyId(key.publicKey)!;
    const found = tauriPublicKeyId(otherKey.publicKey)!;
    expect(res.body.error).toEqual({
      code: 'invalid_request',
      message: expect.stringContaining(`refused by rule "key_id_mismatch": signed with key ${found} but the app's public key is ${expected}`),
    });
  });

  it.each([
    [
      'one flipped byte',
      async () => {
        const flipped = Buffer.from(good.bytes);
        flipped[2000]! ^= 0x80;
        return { declared: { ...declare('linux-x86_64', good), sha256: sha256Of(flipped) }, bytes: flipped };
      },
      /refused by rule "invalid_signature": the signature does not match the file's 4000 bytes: the file was changed after it was signed/,
    ],
    [
      'a signature for another version',
      async () => {
        const file = await signedArtifact(dir, key, 'my-app_1.0.0_amd64.AppImage', randomBytes(500), '0.9.9');
        return { declared: declare('linux-x86_64', file), bytes: file.bytes };
      },
      /refused by rule "signed_version_mismatch": the artifact was signed for version "0\.9\.9" but the release is "1\.0\.0"/,
    ],
    [
      'bytes other than the declared sha256',
      async () => ({ declared: { ...declare('linux-x86_64', good), sha256: 'f'.repeat(64) }, bytes: good.bytes }),
      /refused by rule "sha256_mismatch": the stored bytes have SHA-256 [0-9a-f]{64} but f{64} was declared/,
    ],
    [
      'fewer bytes than declared',
      async () => ({ declared: declare('linux-x86_64', good), bytes: good.bytes.slice(0, 3000) }),
      /refused by rule "size_mismatch": the stored object is 3000 bytes but 4000 were declared/,
    ],
  ])('refuses %s at complete, deletes the bytes, keeps the ready artifact, and says so again on a retry', async (_name, make, message) => {
    const before = await slot();
    const { declared, bytes } = await make();
    const requested = await request(declared);
    expect(requested.status).toBe(201);
    expect((await sendBytes(h, requested.body, bytes)).status).toBe(200);
    const refused = await complete(requested.body);
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toMatch(message);
    expect(refused.body.error.message).toMatch(/^artifact my-app_1\.0\.0_amd64\.AppImage \(linux-x86_64\) refused by rule/);

    const upload = await h.ctx.database.db.selectFrom('artifact_uploads').selectAll().where('id', '=', requested.body.upload_id).executeTakeFirstOrThrow();
    expect(await h.ctx.storage.head(upload.storage_key)).toBeNull();
    expect(await slot()).toEqual(before);
    const again = await complete(requested.body);
    expect(again.status).toBe(422);
    expect(again.body.error.message).toContain(refused.body.error.message);
    // The URL of a refused upload is spent.
    expect((await sendBytes(h, requested.body, good.bytes)).status).toBe(409);
  });

  it('refuses a signature whose trusted comment was edited after signing (invalid_global_signature)', async () => {
    const text = Buffer.from(good.signature, 'base64').toString('utf8').replace(/version:1\.0\.0/, 'version:1.0.0\tnote:edited');
    const requested = await request({ ...declare('linux-x86_64', good), signature: Buffer.from(text).toString('base64') });
    expect(requested.status).toBe(201);
    await sendBytes(h, requested.body, good.bytes);
    const refused = await complete(requested.body);
    expect(refused.status).toBe(422);
    expect(refused.body.error.message).toMatch(/refused by rule "invalid_global_signature": the trusted comment ".*note:edited" does not match its signature/);
  });

  it('accepts a legacy "Ed" signature (minisign -l) as the Tauri client does', async () => {
    const legacyDir = await mkdtemp(join(dir, 'legacy-'));
    const legacyKey = await generateTauriKey(legacyDir, 'legacy');
    await insertApp(h, 'legacy-app', legacyKey.publicKey);
    await h.call('POST', releasesPath('legacy-app'), { body: { version: '1.0.0' } });
    const bytes = randomBytes(1500);
    const path = join(legacyDir, 'legacy_1.0.0_amd64.AppImage');
    await writeFile(path, bytes);
    const signature = await minisignSign(legacyKey, path, 'timestamp:1700000000\tfile:legacy_1.0.0_amd64.AppImage\tversion:1.0.0', { legacy: true });
    expect(Buffer.from(Buffer.from(signature, 'base64').toString('utf8').split('\n')[1]!, 'base64').subarray(0, 2).toString()).toBe('Ed');
    const file = { name: 'legacy_1.0.0_amd64.AppImage', bytes, signature, sha256: sha256Of(bytes) };
    const legacyBase = releasesPath('legacy-app', '1.0.0');
    const requested = await h.call<CiUploadResponse>('POST', `${legacyBase}/uploads`, { body: declare('linux-x86_64', file) });
    await sendBytes(h, requested.body, bytes);
    const done = await h.call('POST', `${legacyBase}/uploads/${requested.body.upload_id}/complete`);
    expect(done).toMatchObject({ status: 200, body: { state: 'ready', verified_key_id: tauriPublicKeyId(legacyKey.publicKey) } });
  });

  it('answers 409 not_uploaded to a complete before the PUT; the same upload completes after it', async () => {
    const file = await signedArtifact(dir, key, 'my-app_1.0.0_amd64.deb', randomBytes(600), '1.0.0');
    const requested = await request(declare('linux-x86_64', file));
    const early = await complete(requested.body);
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/refused by rule "not_uploaded": nothing is stored for this upload yet: PUT the file to the upload URL first/);
    expect((await sendBytes(h, requested.body, file.bytes)).status).toBe(200);
    expect(await complete(requested.body)).toMatchObject({ status: 200, body: { bundle: 'deb', state: 'ready' } });
  });

  it('refuses an expired upload URL with 403; a fresh upload of the same artifact succeeds', async () => {
    const file = await signedArtifact(dir, key, 'my-app_1.0.0_x86_64.rpm', randomBytes(700), '1.0.0');
    h.clock.offsetMs = -2 * 60 * 60 * 1000;
    const stale = await request(declare('linux-x86_64', file));
    h.clock.offsetMs = 0;
    expect(Date.parse(stale.body.expires_at)).toBeLessThan(Date.now());
    const put = await h.app.request(stale.body.target.method === 'PUT' ? stale.body.target.url : '', { method: 'PUT', body: new Uint8Array(file.bytes) });
    expect(put.status).toBe(403);
    expect(((await put.json()) as { error: { message: string } }).error.message).toMatch(/^this upload URL expired at .*; request a new upload/);

    const fresh = await request(declare('linux-x86_64', file));
    expect((await sendBytes(h, fresh.body, file.bytes)).status).toBe(200);
    expect(await complete(fresh.body)).toMatchObject({ status: 200, body: { bundle: 'rpm', state: 'ready', sha256: file.sha256 } });
  });

  it('refuses more bytes than declared at the PUT (413) and stores nothing', async () => {
    const requested = await request({ ...declare('linux-x86_64', good), size: 1000 });
    const target = requested.body.target as { url: string };
    // Without Content-Length the body is counted as it streams.
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(good.bytes.slice(0, 800));
        controller.enqueue(good.bytes.slice(800, 1600));
        controller.close();
      },
    });
    const res = await h.app.request(target.url, { method: 'PUT', body: streamed, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/has 1600 bytes or more but the upload declared 1000/);
    const upload = await h.ctx.database.db.selectFrom('artifact_uploads').select('storage_key').where('id', '=', requested.body.upload_id).executeTakeFirstOrThrow();
    expect(await h.ctx.storage.head(upload.storage_key)).toBeNull();
    const declared = await h.app.request(target.url, { method: 'PUT', headers: { 'content-length': '4000' }, body: new Uint8Array(good.bytes) });
    expect(declared.status).toBe(413);
  });

  it.each([
    ['a wrong token', (url: string) => url.replace(/token=.*/, 'token=AAAA')],
    ['no token', (url: string) => url.replace(/\?token=.*/, '')],
    ['an unknown upload', (url: string) => url.replace(/uploads\/[0-9a-f-]+/, 'uploads/00000000-0000-4000-8000-000000000000')],
    ['an id that is not one', (url: string) => url.replace(/uploads\/[0-9a-f-]+/, 'uploads/..%2f..%2fetc')],
  ])('refuses a PUT with %s (403), storing nothing', async (_name, mangle) => {
    const requested = await request(declare('linux-x86_64', good));
    const res = await h.app.request(mangle((requested.body.target as { url: string }).url), { method: 'PUT', body: new Uint8Array(good.bytes) });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'forbidden',
      message: 'invalid upload URL: unknown upload or wrong token; use the URL from POST …/uploads exactly as returned',
    });
    const upload = await h.ctx.database.db.selectFrom('artifact_uploads').select('storage_key').where('id', '=', requested.body.upload_id).executeTakeFirstOrThrow();
    expect(await h.ctx.storage.head(upload.storage_key)).toBeNull();
  });

  it.each([
    ['an unknown field', { ...{ platform: 'linux-x86_64', file_name: 'a.AppImage', size: 1, sha256: 'a'.repeat(64), signature: 'x' }, extra: 1 }, 400, /Unrecognized key/],
    ['a bad platform', { platform: 'linux-sparc', file_name: 'a.AppImage', size: 1, sha256: 'a'.repeat(64), signature: 'x' }, 400, /^platform: must be \{os\}-\{arch\}/],
    ['an uppercase sha256', { platform: 'linux-x86_64', file_name: 'a.AppImage', size: 1, sha256: 'A'.repeat(64), signature: 'x' }, 400, /^sha256: must be 64 lowercase hex digits/],
    ['a path as file name', { platform: 'linux-x86_64', file_name: '../a.AppImage', size: 1, sha256: 'a'.repeat(64), signature: 'x' }, 400, /file name "\.\.\/a\.AppImage" is not allowed/],
    ['a bundle of another OS', { platform: 'darwin-aarch64', file_name: 'a.AppImage', size: 1, sha256: 'a'.repeat(64), signature: 'x' }, 400, /an? appimage bundle cannot be installed on darwin/],
    ['a malformed signature', { platform: 'linux-x86_64', file_name: 'a.AppImage', size: 1, sha256: 'a'.repeat(64), signature: 'not a signature' }, 400, /signature/],
    ['a zero size', { platform: 'linux-x86_64', file_name: 'a.AppImage', size: 0, sha256: 'a'.repeat(64), signature: 'x' }, 400, /^size:/],
  ])('refuses an upload request with %s (400)', async (_name, body, status, message) => {
    const res = await request(body);
    expect(res.status).toBe(status);
    expect(res.body.error.message).toMatch(message);
  });

  it('refuses bad completes: unknown upload (404), parts for a single PUT (400), a body that is not JSON (400)', async () => {
    expect((await h.call('POST', `${base}/uploads/00000000-0000-4000-8000-000000000000/complete`)).status).toBe(404);
    expect((await h.call('POST', `${base}/uploads/nope/complete`)).status).toBe(404);
    const requested = await request(declare('linux-x86_64', good));
    await sendBytes(h, requested.body, good.bytes);
    const parts = await complete(requested.body, { parts: [{ part_number: 1, etag: '"x"' }] });
    expect(parts.status).toBe(400);
    expect(parts.body.error.message).toMatch(/is a single PUT, not multipart; complete it without "parts"/);
    const garbled = await h.app.request(`${base}/uploads/${requested.body.upload_id}/complete`, {
      method: 'POST',
      headers: { authorization: h.ctx.adminAuth, 'content-type': 'application/json' },
      body: '{"parts":',
    });
    expect(garbled.status).toBe(400);
    expect(await complete(requested.body)).toMatchObject({ status: 200 });
  });
});
