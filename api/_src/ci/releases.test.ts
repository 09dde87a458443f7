import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertRelease } from '../../../test/support/release-fixtures.ts';
import { type LocalIssuer, startLocalIssuer } from '../../../test/support/oidc-issuer.ts';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import { ciReleaseViewSchema, ciUploadResponseSchema, type CiUploadResponse } from '../protocol/ci.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import { artifactKey } from '../protocol/storage-keys.ts';
import {
  auditRows,
  type CiHarness,
  createCiHarness,
  declare,
  insertApp,
  insertKey,
  oidcCredential,
  releasesPath,
  runLeg,
  sendBytes,
  sha256Of,
  type SignedArtifact,
  signedArtifact,
} from './testing.ts';

const UPDATE_URL = 'http://updates.test/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}';
const ACTOR = 'oidc:octo-org/octo-repo@1234567890';

describe('CI API: releases, uploads and publishing (filesystem storage)', () => {
  let issuer: LocalIssuer;
  let h: CiHarness;
  let dir: string;
  let key: KeyPair;
  let keyId: string;
  let app: { id: string; slug: string };
  let publisher: string;
  let appImage: SignedArtifact;
  let nsis: SignedArtifact;

  const updateCheck = async (slug: string, current: string, query = '') => {
    const res = await h.app.request(`/update/${slug}/linux/x86_64/${current}${query}`);
    return { status: res.status, body: res.status === 200 ? ((await res.json()) as Record<string, string>) : null };
  };

  beforeAll(async () => {
    issuer = await startLocalIssuer();
    h = await createCiHarness({ env: { OIDC_ISSUER: issuer.url, OIDC_AUDIENCE: issuer.audience } });
    dir = await mkdtemp(join(tmpdir(), 'ci-releases-'));
    key = await generateKeyPair(dir);
    keyId = tauriPublicKeyId(key.publicKey)!;
    app = { id: await insertApp(h, 'my-app', key.publicKey), slug: 'my-app' };
    [appImage, nsis] = await Promise.all([
      signedArtifact(dir, key, 'my-app_1.0.0_amd64.AppImage', randomBytes(3000), '1.0.0'),
      // Signed without --app-version: the trusted comment has no version, which the client accepts too.
      signedArtifact(dir, key, 'My App_1.0.0_x64-setup.exe', randomBytes(2000)),
    ]);
    publisher = await oidcCredential(h, issuer, app, true);
  });
  afterAll(async () => {
    await h.close();
    await issuer.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('takes a release from a credential to the updater: create, upload, complete, publish, serve', async () => {
    const created = await h.call('POST', releasesPath('my-app'), { auth: publisher, body: { version: 'v1.0.0', notes: 'First' } });
    expect(created.status).toBe(201);
    expect(ciReleaseViewSchema.parse(created.body)).toEqual({
      id: expect.any(String),
      version: '1.0.0',
      status: 'draft',
      channel: 'stable',
      artifacts: [],
      notes: 'First',
      update_url: UPDATE_URL,
    });

    const requested = await h.call<CiUploadResponse>('POST', `${releasesPath('my-app', '1.0.0')}/uploads`, { auth: publisher, body: declare('linux-x86_64', appImage) });
    expect(requested.status).toBe(201);
    const upload = ciUploadResponseSchema.parse(requested.body);
    expect(upload.target).toEqual({ method: 'PUT', url: expect.stringMatching(/^http:\/\/updates\.test\/ci\/uploads\/[0-9a-f-]{36}\?token=[A-Za-z0-9_-]{43}$/), headers: {} });
    expect(upload.artifact).toMatchObject({ platform: 'linux-x86_64', bundle: 'appimage', state: 'pending', verified_key_id: null, sha256: appImage.sha256 });
    expect(Date.parse(upload.expires_at) - Date.now()).toBeGreaterThan(55 * 60_000);

    // Nothing is offered, and nothing can be published, until the upload is complete.
    expect((await updateCheck('my-app', '0.9.0')).status).toBe(204);
    const early = await h.call('POST', `${releasesPath('my-app', '1.0.0')}/publish`, { auth: publisher });
    expect(early.status).toBe(409);
    expect(early.body.error.message).toMatch(/artifact my-app_1\.0\.0_amd64\.AppImage \(linux-x86_64\) is not verified; its upload was not completed/);

    expect((await sendBytes(h, upload, appImage.bytes)).status).toBe(200);
    const completed = await h.call('POST', `${releasesPath('my-app', '1.0.0')}/uploads/${upload.upload_id}/complete`, { auth: publisher });
    expect(completed.status).toBe(200);
    expect(completed.body).toEqual({ ...upload.artifact, state: 'ready', verified_key_id: keyId });
    // A repeated complete (a retried request) answers the same.
    expect(await h.call('POST', `${releasesPath('my-app', '1.0.0')}/uploads/${upload.upload_id}/complete`, { auth: publisher })).toMatchObject({ status: 200, body: completed.body });

    const published = await h.call('POST', `${releasesPath('my-app', '1.0.0')}/publish`, { auth: publisher });
    expect(published.status).toBe(200);
    expect(published.body).toMatchObject({ status: 'published', artifacts: [completed.body] });

    const offered = await updateCheck('my-app', '0.9.0');
    expect(offered).toMatchObject({ status: 200, body: { version: '1.0.0', notes: 'First', signature: appImage.signature } });
    const download = await h.app.request(new URL(offered.body!.url!).pathname);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(Buffer.from(appImage.bytes));

    const [row] = await h.ctx.database.db.selectFrom('artifacts').selectAll().where('id', '=', completed.body.id).execute();
    expect(row!.storage_key).toBe(`my-app/releases/1.0.0/uploads/${upload.upload_id}/my-app_1.0.0_amd64.AppImage`);
    const release = created.body.id as string;
    expect((await auditRows(h, 'release.create')).at(-1)).toMatchObject({ actor: ACTOR, app_id: app.id, target: `release:${release}` });
    expect((await auditRows(h, 'artifact.upload')).at(-1)).toMatchObject({
      actor: ACTOR,
      target: `artifact:${completed.body.id}`,
      details: expect.objectContaining({ version: '1.0.0', sha256: appImage.sha256, verified_key_id: keyId, upload_id: upload.upload_id, via: 'ci' }),
    });
    expect((await auditRows(h, 'release.publish')).at(-1)).toMatchObject({ actor: ACTOR, target: `release:${release}`, details: expect.objectContaining({ from: 'draft', to: 'published' }) });
  });

  it('re-uploading a platform and bundle replaces the artifact once the new upload completes, deleting the old bytes', async () => {
    await h.call('POST', releasesPath('my-app'), { auth: publisher, body: { version: '1.1.0' } });
    const first = await signedArtifact(dir, key, 'my-app_1.1.0_amd64.AppImage', randomBytes(1500), '1.1.0');
    const one = await runLeg(h, publisher, 'my-app', '1.1.0', 'linux-x86_64', first);
    expect(one.statuses).toEqual([200, 201, 200, 200]);
    const oldKey = (await h.ctx.database.db.selectFrom('artifacts').select('storage_key').where('id', '=', one.complete.body.id).executeTakeFirstOrThrow()).storage_key;

    const second = await signedArtifact(join(dir), key, 'my-app_1.1.0_amd64.AppImage', randomBytes(1700), '1.1.0');
    const requested = await h.call<CiUploadResponse>('POST', `${releasesPath('my-app', '1.1.0')}/uploads`, { auth: publisher, body: declare('linux-x86_64', second) });
    expect(requested.status).toBe(201);
    expect(requested.body.artifact).toMatchObject({ id: one.complete.body.id, state: 'pending', sha256: second.sha256 });
    // Until the new bytes are checked, the release still holds the ready artifact.
    const during = await h.call('POST', releasesPath('my-app'), { auth: publisher, body: { version: '1.1.0' } });
    expect(during.body.artifacts).toEqual([one.complete.body]);

    expect((await sendBytes(h, requested.body, second.bytes)).status).toBe(200);
    const replaced = await h.call('POST', `${releasesPath('my-app', '1.1.0')}/uploads/${requested.body.upload_id}/complete`, { auth: publisher });
    expect(replaced).toMatchObject({ status: 200, body: { id: one.complete.body.id, state: 'ready', sha256: second.sha256, size: 1700 } });
    expect(await h.ctx.storage.head(oldKey)).toBeNull();
    const rows = await h.ctx.database.db.selectFrom('artifacts').innerJoin('releases', 'releases.id', 'artifacts.release_id').select('artifacts.id').where('releases.version', '=', '1.1.0').execute();
    expect(rows).toHaveLength(1);
    expect((await auditRows(h, 'artifact.replace')).at(-1)).toMatchObject({ target: `artifact:${one.complete.body.id}`, details: expect.objectContaining({ sha256: second.sha256 }) });
  });

  it('is idempotent across a re-run of the whole workflow, before and after publishing', async () => {
    const file = await signedArtifact(dir, key, 'My App_1.2.0_x64-setup.exe', randomBytes(1200), '1.2.0');
    const first = await runLeg(h, publisher, 'my-app', '1.2.0', 'windows-x86_64', file);
    expect(first.statuses).toEqual([201, 201, 200, 200]);
    const again = await runLeg(h, publisher, 'my-app', '1.2.0', 'windows-x86_64', file);
    expect(again.statuses).toEqual([200, 201, 200, 200]);
    expect(again.complete.body).toMatchObject({ id: first.complete.body.id, state: 'ready', sha256: file.sha256 });

    const published = await h.call('POST', `${releasesPath('my-app', '1.2.0')}/publish`, { auth: publisher });
    expect(published.status).toBe(200);
    const publications = (await auditRows(h, 'release.publish')).length;

    // A re-run after publishing: the release is reused, the same publish is a no-op, new bytes are refused.
    const reused = await h.call('POST', releasesPath('my-app'), { auth: publisher, body: { version: '1.2.0', auto_publish: true } });
    expect(reused).toMatchObject({ status: 200, body: published.body });
    const republished = await h.call('POST', `${releasesPath('my-app', '1.2.0')}/publish`, { auth: publisher });
    expect(republished).toMatchObject({ status: 200, body: published.body });
    expect(await auditRows(h, 'release.publish')).toHaveLength(publications);
    const upload = await h.call('POST', `${releasesPath('my-app', '1.2.0')}/uploads`, { auth: publisher, body: declare('windows-x86_64', file) });
    expect(upload.status).toBe(409);
    expect(upload.body.error.message).toMatch(/^cannot upload an artifact: release 1\.2\.0 is published, and a published release's artifacts are immutable/);
    const notes = await h.call('POST', releasesPath('my-app'), { auth: publisher, body: { version: '1.2.0', notes: 'changed' } });
    expect(notes.status).toBe(409);
    expect(notes.body.error.message).toMatch(/release 1\.2\.0 is published with other notes than this request's; CI does not change a live release/);
  });

  it('one call registers artifacts already in storage, verified there, and publishes; repeating it is a no-op', async () => {
    const linux = await signedArtifact(dir, key, 'my-app_2.0.0_amd64.AppImage', randomBytes(2500), '2.0.0');
    const windows = await signedArtifact(dir, key, 'My App_2.0.0_x64-setup.exe', randomBytes(2600), '2.0.0');
    for (const file of [linux, windows]) await h.ctx.storage.put(artifactKey('my-app', '2.0.0', file.name), file.bytes);
    const body = { version: '2.0.0', notes: 'one call', artifacts: [declare('linux-x86_64', linux), declare('windows-x86_64', windows)], auto_publish: true };

    const created = await h.call('POST', releasesPath('my-app'), { auth: publisher, body });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ version: '2.0.0', status: 'published', update_url: UPDATE_URL });
    expect(created.body.artifacts).toEqual([
      expect.objectContaining({ platform: 'linux-x86_64', bundle: 'appimage', state: 'ready', verified_key_id: keyId, sha256: linux.sha256 }),
      expect.objectContaining({ platform: 'windows-x86_64', bundle: 'nsis', state: 'ready', verified_key_id: keyId, sha256: windows.sha256 }),
    ]);
    expect(await updateCheck('my-app', '1.0.0')).toMatchObject({ status: 200, body: { version: '2.0.0', signature: linux.signature } });

    expect(await h.call('POST', releasesPath('my-app'), { auth: publisher, body })).toMatchObject({ status: 200, body: created.body });
    const other = await signedArtifact(dir, key, 'my-app_2.0.0_amd64.AppImage', randomBytes(2500), '2.0.0');
    const changed = await h.call('POST', releasesPath('my-app'), { auth: publisher, body: { ...body, artifacts: [declare('linux-x86_64', other)] } });
    expect(changed.status).toBe(409);
    expect(changed.body.error.message).toMatch(/published release's artifacts are immutable; these differ from what it holds: my-app_2\.0\.0_amd64\.AppImage \(linux-x86_64\)/);
  });

  it('one call refuses an artifact whose stored bytes do not match its signature, registering none of them', async () => {
    const good = await signedArtifact(dir, key, 'my-app_2.1.0_amd64.deb', randomBytes(900), '2.1.0');
    const bad = await signedArtifact(dir, key, 'my-app_2.1.0_amd64.AppImage', randomBytes(900), '2.1.0');
    const flipped = Buffer.from(bad.bytes);
    flipped[100]! ^= 0x01;
    await h.ctx.storage.put(artifactKey('my-app', '2.1.0', good.name), good.bytes);
    await h.ctx.storage.put(artifactKey('my-app', '2.1.0', bad.name), flipped);
    const res = await h.call('POST', releasesPath('my-app'), {
      auth: publisher,
      body: { version: '2.1.0', artifacts: [declare('linux-x86_64', good), { ...declare('linux-x86_64', bad), sha256: sha256Of(flipped) }] },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(/^artifact my-app_2\.1\.0_amd64\.AppImage \(linux-x86_64\) refused by rule "invalid_signature": the signature does not match the file's 900 bytes/);
    const release = await h.call('POST', releasesPath('my-app'), { auth: publisher, body: { version: '2.1.0' } });
    expect(release.body).toMatchObject({ status: 'draft', artifacts: [] });
  });

  it('one call refuses an artifact nothing is stored for, saying to upload it to the bucket first', async () => {
    const missing = await signedArtifact(dir, key, 'my-app_2.2.0_amd64.AppImage', randomBytes(700), '2.2.0');
    const res = await h.call('POST', releasesPath('my-app'), { auth: publisher, body: { version: '2.2.0', artifacts: [declare('linux-x86_64', missing)] } });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/refused by rule "not_uploaded": nothing is stored for this artifact in the bucket: upload it first \(upload-r2 with mode s3/);
  });

  it('a drafts-only credential builds the draft but cannot publish it; an admin can', async () => {
    const drafts = { id: await insertApp(h, 'drafts-app', key.publicKey), slug: 'drafts-app' };
    const credential = await oidcCredential(h, issuer, drafts, false);
    const file = await signedArtifact(dir, key, 'drafts_3.0.0_amd64.AppImage', randomBytes(800), '3.0.0');
    expect((await runLeg(h, credential, 'drafts-app', '3.0.0', 'linux-x86_64', file)).statuses).toEqual([201, 201, 200, 200]);

    const auto = await h.call('POST', releasesPath('drafts-app'), { auth: credential, body: { version: '3.0.0', auto_publish: true } });
    expect(auto).toMatchObject({ status: 200, body: { status: 'draft' } });
    const refused = await h.call('POST', `${releasesPath('drafts-app', '3.0.0')}/publish`, { auth: credential });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/trusted publisher that may create drafts only \(can_publish is false\)/);
    expect((await updateCheck('drafts-app', '2.0.0')).status).toBe(204);

    const admin = await h.call('POST', '/admin/apps/drafts-app/releases/3.0.0/publish');
    expect(admin).toMatchObject({ status: 200, body: { status: 'published' } });
    expect(await updateCheck('drafts-app', '2.0.0')).toMatchObject({ status: 200, body: { version: '3.0.0' } });
  });

  it('static API keys keep working: a ci key makes drafts only, an admin key publishes', async () => {
    const keyed = await insertApp(h, 'keyed-app', key.publicKey);
    const ciKey = await insertKey(h, 'ci', keyed);
    const adminKey = await insertKey(h, 'admin', keyed);
    const file = await signedArtifact(dir, key, 'keyed_1.0.0_amd64.AppImage', randomBytes(700), '1.0.0');
    expect((await runLeg(h, ciKey, 'keyed-app', '1.0.0', 'linux-x86_64', file)).statuses).toEqual([201, 201, 200, 200]);
    expect(await h.call('POST', releasesPath('keyed-app'), { auth: ciKey, body: { version: '1.0.0', auto_publish: true } })).toMatchObject({ status: 200, body: { status: 'draft' } });
    const refused = await h.call('POST', `${releasesPath('keyed-app', '1.0.0')}/publish`, { auth: ciKey });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/a "ci" API key creates drafts only/);
    expect(await h.call('POST', `${releasesPath('keyed-app', '1.0.0')}/publish`, { auth: adminKey })).toMatchObject({ status: 200, body: { status: 'published' } });
    // An app-scoped key sees no other app.
    expect((await h.call('POST', releasesPath('my-app'), { auth: ciKey, body: { version: '9.0.0' } })).status).toBe(404);
    expect((await h.call('POST', releasesPath('my-app'), { auth: null, body: { version: '9.0.0' } })).status).toBe(401);
  });

  describe('publishing refuses what was not verified (admin and CI alike)', () => {
    it('an app without a public key: no upload, no publish, and the message says how to fix it', async () => {
      const keyless = await insertApp(h, 'keyless', null);
      const upload = await h.call('POST', `${releasesPath('keyless', '1.0.0')}/uploads`, { body: declare('linux-x86_64', appImage) });
      expect(upload.status).toBe(404); // no such release yet
      await h.call('POST', releasesPath('keyless'), { body: { version: '1.0.0' } });
      const refused = await h.call('POST', `${releasesPath('keyless', '1.0.0')}/uploads`, { body: declare('linux-x86_64', appImage) });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/refused by rule "no_public_key": the app has no public key .*set the app's public_key .* tauri\.conf\.json plugins\.updater\.pubkey/);

      await insertRelease(h.ctx.database.db, keyless, { version: '1.1.0', status: 'draft', pubDate: null, artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', content: appImage.bytes, verifiedKeyId: null }] }, h.ctx.storage);
      for (const res of [await h.call('POST', '/admin/apps/keyless/releases/1.1.0/publish'), await h.call('POST', `${releasesPath('keyless', '1.1.0')}/publish`)]) {
        expect(res.status).toBe(409);
        expect(res.body.error.message).toMatch(/^cannot publish release 1\.1\.0: app keyless has no public key, so its artifacts cannot be verified; set the app's public_key/);
      }
    });

    it.each([
      ['never verified', '4.0.1', { verifiedKeyId: null }, /its signature was never verified \(it was uploaded while the app had no public key\): upload it again/],
      ['verified against an older key', '4.0.2', { verifiedKeyId: 'AAAAAAAAAAAAAAAA' }, /it was verified against key AAAAAAAAAAAAAAAA, but the app's public key is now [0-9A-F]{16}: upload it again/],
      ['still pending', '4.0.3', { state: 'pending' as const }, /its upload was not completed \(state pending\)/],
    ])('an artifact %s', async (_name, version, fixture, message) => {
      await insertRelease(h.ctx.database.db, app.id, { version, status: 'draft', pubDate: null, artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', content: appImage.bytes, ...fixture }] }, h.ctx.storage);
      for (const res of [await h.call('POST', `/admin/apps/my-app/releases/${version}/publish`), await h.call('POST', `${releasesPath('my-app', version)}/publish`, { auth: publisher })]) {
        expect(res.status).toBe(409);
        expect(res.body.error.message).toMatch(message);
      }
    });

    it('the updater serves only ready artifacts verified at ingest', async () => {
      const served = await insertApp(h, 'served', key.publicKey);
      await insertRelease(h.ctx.database.db, served, { version: '1.0.0', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', state: 'pending' }] });
      await insertRelease(h.ctx.database.db, served, { version: '1.0.1', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', verifiedKeyId: null }] });
      expect((await updateCheck('served', '0.1.0')).status).toBe(204);
      await insertRelease(h.ctx.database.db, served, { version: '0.9.0', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }] });
      h.ctx.deps.releaseCache.invalidate(served);
      expect(await updateCheck('served', '0.1.0')).toMatchObject({ status: 200, body: { version: '0.9.0' } });
    });
  });

  it('lists every CI route in /openapi.json', async () => {
    const doc = (await (await h.ctx.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/ci/apps/{app}/releases'] ?? {})).toEqual(['post']);
    for (const path of ['/ci/apps/{app}/releases/{version}/uploads', '/ci/apps/{app}/releases/{version}/uploads/{upload}/complete', '/ci/apps/{app}/releases/{version}/publish']) {
      expect(doc.paths[path]?.post).toBeDefined();
    }
    expect(doc.paths['/ci/uploads/{upload}']?.put).toBeDefined();
  });
});
