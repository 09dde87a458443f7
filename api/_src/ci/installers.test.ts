/**
 * A macOS leg's DMG through the CI API: an installer only, registered without bundle or signature, checked for size
 * and SHA-256 where it is stored, published beside the signed .app.tar.gz, never offered to the updater, and the
 * file the latest link redirects to.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import { type CiUploadResponse, ciReleaseViewSchema } from '../protocol/ci.ts';
import { artifactKey } from '../protocol/storage-keys.ts';
import { auditRows, type CiHarness, createCiHarness, declare, insertApp, insertKey, releasesPath, sendBytes, sha256Of, type SignedArtifact, signedArtifact } from './testing.ts';

describe('CI API: a DMG is an installer only', () => {
  let h: CiHarness;
  let dir: string;
  let key: KeyPair;
  let admin: string;
  let app: SignedArtifact;
  const dmg = { name: 'My App_1.0.0_aarch64.dmg', bytes: randomBytes(4000) };
  const dmgFields = (extra: Record<string, unknown> = {}) => ({ platform: 'darwin-aarch64', file_name: dmg.name, size: dmg.bytes.byteLength, sha256: sha256Of(dmg.bytes), ...extra });

  beforeAll(async () => {
    h = await createCiHarness();
    dir = await mkdtemp(join(tmpdir(), 'ci-installers-'));
    key = await generateKeyPair(dir);
    const appId = await insertApp(h, 'my-app', key.publicKey);
    admin = await insertKey(h, 'admin', appId);
    app = await signedArtifact(dir, key, 'My App_aarch64.app.tar.gz', randomBytes(3000), '1.0.0');
  });
  afterAll(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses what a DMG cannot be: signed, a bundle type, or for another OS', async () => {
    await h.call('POST', releasesPath('my-app'), { auth: admin, body: { version: '1.0.0' } });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [dmgFields({ signature: app.signature }), /installer only \(a DMG\): Tauri never signs it for the updater, so send no "signature"/],
      [dmgFields({ bundle: 'app' }), /omit "bundle"/],
      [dmgFields({ platform: 'linux-x86_64' }), /is a macOS disk image, but platform is linux-x86_64/],
    ];
    for (const [body, message] of cases) {
      const answer = await h.call('POST', `${releasesPath('my-app', '1.0.0')}/uploads`, { auth: admin, body });
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toMatch(message);
    }
    // An updater bundle still needs its signature.
    const unsigned = await h.call('POST', `${releasesPath('my-app', '1.0.0')}/uploads`, { auth: admin, body: { ...declare('darwin-aarch64', app), signature: undefined } });
    expect(unsigned.status).toBe(400);
  });

  it('uploads, checks (size, sha256) and publishes it beside the .app.tar.gz; the updater never sees it', async () => {
    const version = releasesPath('my-app', '1.0.0');
    const leg = async (body: Record<string, unknown>, bytes: Uint8Array) => {
      const requested = await h.call<CiUploadResponse>('POST', `${version}/uploads`, { auth: admin, body });
      expect(requested.status).toBe(201);
      expect((await sendBytes(h, requested.body, bytes)).status).toBe(200);
      return h.call('POST', `${version}/uploads/${requested.body.upload_id}/complete`, { auth: admin });
    };
    // Wrong bytes for the declared digest: refused, as for any artifact.
    const wrong = await leg(dmgFields(), randomBytes(4000));
    expect(wrong.status).toBe(422);
    expect(wrong.body.error.message).toMatch(/refused by rule "sha256_mismatch"/);

    const installer = await leg(dmgFields(), dmg.bytes);
    expect(installer.status).toBe(200);
    expect(installer.body).toMatchObject({ platform: 'darwin-aarch64', bundle: null, file_name: dmg.name, state: 'ready', verified_key_id: null, installer_only: true });
    expect((await leg(declare('darwin-aarch64', app), app.bytes)).body).toMatchObject({ bundle: 'app', installer_only: false, verified_key_id: expect.any(String) });

    const published = await h.call('POST', `${version}/publish`, { auth: admin });
    expect(published.status).toBe(200);
    expect(ciReleaseViewSchema.parse(published.body).artifacts.map((a) => [a.file_name, a.installer_only])).toEqual(
      expect.arrayContaining([
        [dmg.name, true],
        ['My App_aarch64.app.tar.gz', false],
      ]),
    );
    expect((await auditRows(h, 'artifact.upload')).map((row) => row.details)).toContainEqual(expect.objectContaining({ file_name: dmg.name, installer_only: true }));

    const check = await h.app.request('/update/my-app/darwin/aarch64/0.9.0');
    expect(((await check.json()) as { url: string }).url).toMatch(/My%20App_aarch64\.app\.tar\.gz$/);
    const latest = await h.app.request('/download/my-app/latest/darwin-aarch64?bundle=dmg');
    expect(latest.status).toBe(302);
    const file = await h.app.request(new URL(latest.headers.get('location')!).pathname);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(Buffer.from(dmg.bytes));
  });

  it('one call registers a DMG already in storage, and repeating it is a no-op', async () => {
    const bytes = randomBytes(2500);
    const name = 'My App_1.1.0_aarch64.dmg';
    await h.ctx.storage.put(artifactKey('my-app', '1.1.0', name), bytes);
    const body = { version: '1.1.0', artifacts: [{ platform: 'darwin-aarch64', file_name: name, size: bytes.byteLength, sha256: sha256Of(bytes) }] };
    const first = await h.call('POST', releasesPath('my-app'), { auth: admin, body });
    expect(first.status).toBe(201);
    expect(first.body.artifacts).toEqual([expect.objectContaining({ file_name: name, installer_only: true, state: 'ready' })]);
    const again = await h.call('POST', releasesPath('my-app'), { auth: admin, body });
    expect(again.status).toBe(200);
    expect(again.body.artifacts).toEqual(first.body.artifacts);
  });
});
