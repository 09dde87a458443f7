import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import { createApp } from '../app.ts';
import { releaseListSchema, releaseSchema } from '../protocol/schemas.ts';
import { type Storage, StorageUnavailableError } from '../storage/storage.ts';
import { artifactParts, createRelease, signedFile, type SignedFile, storedFiles, upload } from './release-testing.ts';
import { auditRows, call, insertApp, insertKey } from './testing.ts';

describe('admin releases', () => {
  let ctx: TestContext;
  let dir: string;
  let key: KeyPair;
  let appImage: SignedFile;
  let appId: string;
  const base = '/admin/apps/notes/releases';

  beforeAll(async () => {
    ctx = await createTestContext();
    dir = await mkdtemp(join(tmpdir(), 'releases-test-'));
    key = await generateKeyPair(dir);
    appImage = await signedFile(dir, key, 'notes_1.0.0_amd64.AppImage', 'an AppImage');
    appId = await insertApp(ctx, 'notes');
    await setPublicKey('notes');
  });

  /** Publishing needs artifacts verified against the app's key, so apps here have the test key. */
  async function setPublicKey(slug: string) {
    await ctx.database.db.updateTable('apps').set({ public_key: key.publicKey }).where('slug', '=', slug).execute();
  }
  afterAll(async () => {
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A draft with one uploaded AppImage. */
  /** A stored key without its upload's own folder (`uploads/{id}/`, protocol/storage-keys.ts `stagedKey`). */
  const withoutUploadId = (key: string) => key.replace(/\/uploads\/[0-9a-f-]{36}\//, '/');

  async function draftWithArtifact(version: string) {
    const release = await createRelease(ctx, 'notes', version);
    const res = await upload(ctx, `${base}/${release.id}/artifacts`, artifactParts('linux-x86_64', appImage));
    expect(res.status).toBe(201);
    return release;
  }

  it('creates a draft, normalising a leading v, with defaults, audited', async () => {
    const res = await call(ctx, 'POST', base, { body: { version: 'v1.0.0', notes: 'First' } });
    expect(res.status).toBe(201);
    const release = releaseSchema.parse(res.body);
    expect(release).toMatchObject({ app_id: appId, version: '1.0.0', status: 'draft', channel: 'stable', rollout_percent: 100, notes: 'First', pub_date: null, artifacts: [] });
    const audits = await auditRows(ctx, 'release.create');
    expect(audits.at(-1)).toMatchObject({ actor: 'token:ADMIN_TOKEN', app_id: appId, target: `release:${release.id}` });
    expect(audits.at(-1)!.details).toMatchObject({ version: '1.0.0', channel: 'stable' });

    for (const ref of [release.id, '1.0.0', 'v1.0.0']) {
      const shown = await call(ctx, 'GET', `${base}/${ref}`);
      expect(shown.status).toBe(200);
      expect(shown.body).toEqual(res.body);
    }
  });

  it('refuses a duplicate version, however spelt, with 409 and no audit row', async () => {
    const before = (await auditRows(ctx, 'release.create')).length;
    for (const version of ['1.0.0', 'v1.0.0']) {
      const res = await call(ctx, 'POST', base, { body: { version } });
      expect(res.status).toBe(409);
      expect(res.body.error).toEqual({ code: 'conflict', message: 'release 1.0.0 already exists in app notes; versions are unique per app' });
    }
    expect(await auditRows(ctx, 'release.create')).toHaveLength(before);
  });

  it.each([
    [{ version: '1.2' }, /^version: not a semantic version/],
    [{ version: 'latest' }, /^version: not a semantic version/],
    [{ version: '01.2.3' }, /leading zero/],
    [{ version: '' }, /^version:/],
    [{ version: '1.2.3', channel: 'Beta!' }, /^channel: must be 1–32 characters/],
    [{ version: '1.2.3', channel: 'a'.repeat(33) }, /^channel:/],
    [{ version: '1.2.3', rollout_percent: 101 }, /^rollout_percent:/],
    [{ version: '1.2.3', rollout_percent: 12.5 }, /^rollout_percent:/],
    [{ version: '1.2.3', status: 'published' }, /Unrecognized key/],
    [{ notes: 'no version' }, /^version:/],
  ])('refuses %j with a 400 naming the field', async (body, message) => {
    const res = await call(ctx, 'POST', base, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.message).toMatch(message);
  });

  it('refuses a body that is not JSON with 400', async () => {
    const res = await ctx.app.request(base, { method: 'POST', headers: { authorization: ctx.adminAuth, 'content-type': 'application/json' }, body: '{"version":' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('answers 404 for a release id or version that does not exist, and for garbage', async () => {
    for (const ref of ['00000000-0000-4000-8000-000000000000', '9.9.9', 'not-a-version', '%27%3B']) {
      const res = await call(ctx, 'GET', `${base}/${ref}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await call(ctx, 'GET', '/admin/apps/nope/releases')).status).toBe(404);
  });

  describe('status transitions', () => {
    it('publishes a draft only with an artifact, sets pub_date once, and keeps it when re-published', async () => {
      const empty = await createRelease(ctx, 'notes', '1.1.0');
      const refused = await call(ctx, 'POST', `${base}/${empty.id}/publish`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/^cannot publish release 1\.1\.0: it has no artifacts; upload at least one/);

      const draft = await draftWithArtifact('1.2.0');
      const viaPatch = await call(ctx, 'PATCH', `${base}/${draft.id}`, { body: { status: 'published' } });
      expect(viaPatch.status).toBe(409);
      expect(viaPatch.body.error.message).toBe(
        'cannot change release 1.2.0 from draft to published with PATCH; use POST …/releases/{id}/publish; ' +
          'allowed from draft: draft → published (POST …/releases/{id}/publish)',
      );

      const published = await call(ctx, 'POST', `${base}/${draft.id}/publish`);
      expect(published.status).toBe(200);
      expect(published.body).toMatchObject({ status: 'published', version: '1.2.0' });
      const pubDate = published.body.pub_date as string;
      expect(Date.now() - Date.parse(pubDate)).toBeLessThan(60_000);
      const audit = (await auditRows(ctx, 'release.publish')).at(-1)!;
      expect(audit).toMatchObject({ target: `release:${draft.id}`, app_id: appId });
      expect(audit.details).toMatchObject({ from: 'draft', to: 'published' });

      const again = await call(ctx, 'POST', `${base}/${draft.id}/publish`);
      expect(again.status).toBe(409);
      expect(again.body.error.message).toMatch(/^release 1\.2\.0 is already published; allowed from published: published → archived/);

      const archived = await call(ctx, 'POST', `${base}/${draft.id}/archive`);
      expect(archived.status).toBe(200);
      expect(archived.body).toMatchObject({ status: 'archived', pub_date: pubDate });
      expect((await auditRows(ctx, 'release.archive')).at(-1)!.details).toMatchObject({ from: 'published', to: 'archived' });

      const archiveAgain = await call(ctx, 'POST', `${base}/${draft.id}/archive`);
      expect(archiveAgain.status).toBe(409);
      expect(archiveAgain.body.error.message).toMatch(/allowed from archived: archived → published/);

      const republished = await call(ctx, 'PATCH', `${base}/${draft.id}`, { body: { status: 'published' } });
      expect(republished.status).toBe(200);
      expect(republished.body).toMatchObject({ status: 'published', pub_date: pubDate });

      const viaPatchArchive = await call(ctx, 'PATCH', `${base}/${draft.id}`, { body: { status: 'archived', notes: 'pulled' } });
      expect(viaPatchArchive.status).toBe(200);
      expect(viaPatchArchive.body).toMatchObject({ status: 'archived', notes: 'pulled' });
    });

    it.each([
      ['draft', 'archived', /cannot change release .* from draft to archived with PATCH; allowed from draft: draft → published/],
      ['published', 'draft', /from published to draft with PATCH; allowed from published: published → archived/],
    ] as const)('refuses %s → %s with a 409 naming the allowed transitions', async (from, to, message) => {
      const release = from === 'draft' ? await createRelease(ctx, 'notes', '1.3.0') : await draftWithArtifact('1.3.1');
      if (from === 'published') expect((await call(ctx, 'POST', `${base}/${release.id}/publish`)).status).toBe(200);
      const res = await call(ctx, 'PATCH', `${base}/${release.id}`, { body: { status: to } });
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(message);
      expect((await call(ctx, 'GET', `${base}/${release.id}`)).body.status).toBe(from);
    });

    it('refuses to archive a draft', async () => {
      const draft = await createRelease(ctx, 'notes', '1.3.2');
      const res = await call(ctx, 'POST', `${base}/${draft.id}/archive`);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(/from draft to archived; allowed from draft: draft → published/);
    });

    it('refuses to publish when an artifact\'s bytes are gone from storage', async () => {
      const draft = await draftWithArtifact('1.3.3');
      const [artifact] = await ctx.database.db.selectFrom('artifacts').selectAll().where('release_id', '=', draft.id).execute();
      await ctx.storage.delete(artifact!.storage_key);
      const res = await call(ctx, 'POST', `${base}/${draft.id}/publish`);
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(/stored bytes of notes_1\.0\.0_amd64\.AppImage \(linux-x86_64\) are missing; upload the artifact again/);
    });

    /** The app over ctx's storage whose `head` waits for `answer()`, running `meanwhile` first; `heads` lists the keys asked. */
    function heldStorage(meanwhile: (key: string) => Promise<void> = async () => {}) {
      let headStarted!: () => void;
      let answer!: () => void;
      const started = new Promise<void>((resolve) => (headStarted = resolve));
      const answered = new Promise<void>((resolve) => (answer = resolve));
      const heads: string[] = [];
      const held = new Proxy(ctx.storage, {
        get: (target, name: keyof Storage) =>
          name === 'head'
            ? async (key: string) => (heads.push(key), headStarted(), await meanwhile(key), await answered, target.head(key))
            : typeof target[name] === 'function' ? (target[name] as Function).bind(target) : target[name],
      });
      return { held: { ...ctx, app: createApp({ ...ctx.deps, storage: held }) }, started, answer, heads };
    }

    /** 'done' if `promise` settles within 3 s, else 'still waiting'. */
    async function within3s(promise: Promise<unknown>): Promise<string> {
      let timer: NodeJS.Timeout | undefined;
      const first = await Promise.race([promise.then(() => 'done'), new Promise<string>((resolve) => (timer = setTimeout(resolve, 3000, 'still waiting')))]);
      clearTimeout(timer);
      return first;
    }

    it('checks the stored bytes before locking the release: a hanging storage holds up no other writer of it', async () => {
      const draft = await draftWithArtifact('1.3.4');
      const archived = await draftWithArtifact('1.3.5');
      expect((await call(ctx, 'POST', `${base}/${archived.id}/publish`)).status).toBe(200);
      expect((await call(ctx, 'POST', `${base}/${archived.id}/archive`)).status).toBe(200);
      const cases = [
        { id: draft.id, method: 'POST', path: `${base}/${draft.id}/publish`, body: undefined },
        { id: archived.id, method: 'PATCH', path: `${base}/${archived.id}`, body: { status: 'published' } },
      ] as const;
      for (const { id, method, path, body } of cases) {
        const audited = (await auditRows(ctx, 'release.publish')).length;
        const { held, started, answer } = heldStorage();
        const publishing = call(held, method, path, body ? { body } : {});
        await started;
        const writing = call(ctx, 'PATCH', `${base}/${id}`, { body: { notes: `edited while ${method} publishes` } });
        const first = await within3s(writing);
        answer();
        expect([path, first]).toEqual([path, 'done']);
        expect((await writing).status).toBe(200);
        const published = await publishing;
        expect([published.status, published.body.status]).toEqual([200, 'published']);
        expect(published.body.notes).toBe(`edited while ${method} publishes`);
        expect(await auditRows(ctx, 'release.publish')).toHaveLength(audited + 1);
      }
    });

    it('checks the bytes of artifacts replaced while the storage was checked, and publishes only what it checked', async () => {
      const replacement = await signedFile(dir, key, 'notes_1.0.0_amd64_rebuilt.AppImage', 'a rebuilt AppImage, longer');
      const replace = (id: string) => upload(ctx, `${base}/${id}/artifacts`, artifactParts('linux-x86_64', replacement));

      const draft = await draftWithArtifact('1.3.6');
      const { held, started, answer, heads } = heldStorage();
      const publishing = call(held, 'POST', `${base}/${draft.id}/publish`);
      await started;
      const replacing = replace(draft.id);
      expect(await within3s(replacing)).toBe('done');
      expect((await replacing).status).toBe(200);
      answer();
      const published = await publishing;
      expect(published.status).toBe(200);
      expect(published.body.artifacts.map((a: { file_name: string }) => a.file_name)).toEqual([replacement.name]);
      expect(heads.map(withoutUploadId)).toEqual(['notes/releases/1.3.6/notes_1.0.0_amd64.AppImage', 'notes/releases/1.3.6/notes_1.0.0_amd64_rebuilt.AppImage']);

      // The replacement's bytes gone by the time they are checked: refused as any missing bytes are.
      const gone = await draftWithArtifact('1.3.7');
      const missing = heldStorage();
      const refused = call(missing.held, 'POST', `${base}/${gone.id}/publish`);
      await missing.started;
      const replaced = await replace(gone.id);
      expect(replaced.status).toBe(200);
      const { storage_key } = await ctx.database.db.selectFrom('artifacts').select('storage_key').where('id', '=', replaced.body.id).executeTakeFirstOrThrow();
      await ctx.storage.delete(storage_key);
      missing.answer();
      expect((await refused).status).toBe(409);
      expect((await refused).body.error.message).toMatch(/^cannot publish release 1\.3\.7: the stored bytes of notes_1\.0\.0_amd64_rebuilt\.AppImage \(linux-x86_64\) are missing/);
      expect((await call(ctx, 'GET', `${base}/${gone.id}`)).body.status).toBe('draft');
    });

    it('refuses with 409, changing nothing, a publish whose artifacts change under every storage check', async () => {
      const draft = await draftWithArtifact('1.3.8');
      const replacement = await signedFile(dir, key, 'notes_1.0.0_amd64_other.AppImage', 'another AppImage');
      const audited = (await auditRows(ctx, 'release.publish')).length;
      // Each check sees its artifact replaced by the other file before it answers.
      const churning = heldStorage(async (key) => {
        const next = key.endsWith(replacement.name) ? appImage : replacement;
        expect((await upload(ctx, `${base}/${draft.id}/artifacts`, artifactParts('linux-x86_64', next))).status).toBe(200);
      });
      churning.answer();
      const res = await call(churning.held, 'POST', `${base}/${draft.id}/publish`);
      expect(res.status).toBe(409);
      expect(res.body.error).toEqual({
        code: 'conflict',
        message:
          'cannot publish release 1.3.8: its artifacts changed while their stored bytes were being checked ' +
          '(an upload, replacement or delete ran meanwhile); retry the publish once they are settled',
      });
      expect(churning.heads).toHaveLength(3);
      expect((await call(ctx, 'GET', `${base}/${draft.id}`)).body.status).toBe('draft');
      expect(await auditRows(ctx, 'release.publish')).toHaveLength(audited);
    });
  });

  it('refuses a publish with 503 while the storage cannot say whether the bytes are there, changing nothing', async () => {
    const draft = await draftWithArtifact('1.3.9');
    const archived = await draftWithArtifact('1.3.10');
    expect((await call(ctx, 'POST', `${base}/${archived.id}/publish`)).status).toBe(200);
    expect((await call(ctx, 'POST', `${base}/${archived.id}/archive`)).status).toBe(200);
    const down = new StorageUnavailableError('object storage at http://s3.test is unavailable (ECONNREFUSED)');
    const unreachable = new Proxy(ctx.storage, {
      get: (target, name: keyof Storage) =>
        name === 'head' ? () => Promise.reject(down) : typeof target[name] === 'function' ? (target[name] as Function).bind(target) : target[name],
    });
    const outage = { ...ctx, app: createApp({ ...ctx.deps, storage: unreachable }) };
    for (const [method, path, body] of [['POST', `${base}/${draft.id}/publish`, undefined], ['PATCH', `${base}/${archived.id}`, { status: 'published' }]] as const) {
      const res = await call(outage, method, path, body ? { body } : {});
      expect([method, res.status, res.body]).toEqual([method, 503, { error: { code: 'unavailable', message: 'storage is unavailable; try again shortly' } }]);
    }
    expect((await call(ctx, 'GET', `${base}/${draft.id}`)).body.status).toBe('draft');
    expect((await call(ctx, 'GET', `${base}/${archived.id}`)).body.status).toBe('archived');
  });

  it('shows a publish and an archive to the updater at once: the cached answer is dropped', async () => {
    await insertApp(ctx, 'live');
    await setPublicKey('live');
    const check = async () => {
      const res = await ctx.app.request('/update/live/linux/x86_64/0.0.1');
      return { status: res.status, body: res.status === 200 ? ((await res.json()) as Record<string, unknown>) : null };
    };
    const draft = await createRelease(ctx, 'live', '3.0.0', { notes: 'live notes' });
    expect((await upload(ctx, `/admin/apps/live/releases/${draft.id}/artifacts`, artifactParts('linux-x86_64', appImage))).status).toBe(201);
    // Cached as "nothing to offer" (TTL 15 s): only invalidation can make the next answer differ.
    expect((await check()).status).toBe(204);
    expect((await call(ctx, 'POST', `/admin/apps/live/releases/${draft.id}/publish`)).status).toBe(200);
    const offered = await check();
    expect(offered.status).toBe(200);
    expect(offered.body).toMatchObject({ version: '3.0.0', notes: 'live notes', signature: appImage.signature });
    expect((await call(ctx, 'POST', `/admin/apps/live/releases/${draft.id}/archive`)).status).toBe(200);
    expect((await check()).status).toBe(204);
  });

  describe('editing', () => {
    it('changes notes, channel and rollout, audited with the changes', async () => {
      const draft = await createRelease(ctx, 'notes', '1.4.0');
      const res = await call(ctx, 'PATCH', `${base}/${draft.id}`, { body: { notes: '**new**', channel: 'beta', rollout_percent: 25 } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ notes: '**new**', channel: 'beta', rollout_percent: 25, status: 'draft' });
      expect((await auditRows(ctx, 'release.update')).at(-1)!.details).toEqual({
        version: '1.4.0',
        changes: { notes: '**new**', channel: 'beta', rollout_percent: 25 },
      });
      const empty = await call(ctx, 'PATCH', `${base}/${draft.id}`, { body: {} });
      expect(empty.status).toBe(400);
      expect(empty.body.error.message).toBe('send at least one field to change');
    });

    it('changes the version of an empty draft, never of one with artifacts or a published one', async () => {
      const draft = await createRelease(ctx, 'notes', '1.5.0-rc.1');
      const renamed = await call(ctx, 'PATCH', `${base}/${draft.id}`, { body: { version: 'v1.5.0' } });
      expect(renamed.status).toBe(200);
      expect(renamed.body.version).toBe('1.5.0');
      expect((await call(ctx, 'PATCH', `${base}/${draft.id}`, { body: { version: '1.0.0' } })).status).toBe(409);

      const withArtifact = await draftWithArtifact('1.5.1');
      const refused = await call(ctx, 'PATCH', `${base}/${withArtifact.id}`, { body: { version: '1.5.2' } });
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/while it has artifacts; delete them first/);

      expect((await call(ctx, 'POST', `${base}/${withArtifact.id}/publish`)).status).toBe(200);
      const published = await call(ctx, 'PATCH', `${base}/${withArtifact.id}`, { body: { version: '1.5.2' } });
      expect(published.status).toBe(409);
      expect(published.body.error.message).toMatch(/cannot change: it has been published; create a new release/);
      const rollout = await call(ctx, 'PATCH', `${base}/${withArtifact.id}`, { body: { rollout_percent: 10 } });
      expect(rollout.status).toBe(200);
      expect(rollout.body.rollout_percent).toBe(10);
    });
  });

  describe('deleting', () => {
    it('deletes a draft with its artifacts and stored bytes, audited', async () => {
      const draft = await draftWithArtifact('1.6.0');
      expect((await storedFiles(ctx)).map(withoutUploadId)).toContain('notes/releases/1.6.0/notes_1.0.0_amd64.AppImage');
      const res = await ctx.app.request(`${base}/${draft.id}`, { method: 'DELETE', headers: { authorization: ctx.adminAuth } });
      expect(res.status).toBe(204);
      expect((await call(ctx, 'GET', `${base}/${draft.id}`)).status).toBe(404);
      expect(await ctx.database.db.selectFrom('artifacts').select('id').where('release_id', '=', draft.id).execute()).toEqual([]);
      expect((await storedFiles(ctx)).filter((f) => f.startsWith('notes/releases/1.6.0/'))).toEqual([]);
      expect((await auditRows(ctx, 'release.delete')).at(-1)!.details).toEqual({ version: '1.6.0', artifacts: ['notes_1.0.0_amd64.AppImage'] });
    });

    it('refuses deletes with 503 while the storage is unreachable, changing nothing, so no object is left behind', async () => {
      const draft = await draftWithArtifact('1.6.2');
      await insertApp(ctx, 'doomed');
      await setPublicKey('doomed');
      const doomed = await createRelease(ctx, 'doomed', '1.0.0');
      expect((await upload(ctx, `/admin/apps/doomed/releases/${doomed.id}/artifacts`, artifactParts('linux-x86_64', appImage))).status).toBe(201);
      const artifactId = (await call(ctx, 'GET', `${base}/${draft.id}`)).body.artifacts[0].id as string;
      const down = new StorageUnavailableError('object storage at http://s3.test is unavailable (ECONNREFUSED)');
      const unreachable = new Proxy(ctx.storage, {
        get: (target, name: keyof Storage) =>
          name === 'check' || name === 'delete' ? () => Promise.reject(down) : typeof target[name] === 'function' ? (target[name] as Function).bind(target) : target[name],
      });
      const outage = { ...ctx, app: createApp({ ...ctx.deps, storage: unreachable }) };
      const audited = (await auditRows(ctx, 'release.delete')).length;
      for (const path of [`${base}/${draft.id}`, `${base}/${draft.id}/artifacts/${artifactId}`, '/admin/apps/doomed']) {
        const res = await call(outage, 'DELETE', path);
        expect([res.status, res.body]).toEqual([503, { error: { code: 'unavailable', message: 'storage is unavailable; try again shortly' } }]);
      }
      expect((await call(ctx, 'GET', `${base}/${draft.id}`)).body.artifacts).toHaveLength(1);
      expect((await storedFiles(ctx)).map(withoutUploadId)).toContain('notes/releases/1.6.2/notes_1.0.0_amd64.AppImage');
      expect(await auditRows(ctx, 'release.delete')).toHaveLength(audited);
      expect((await call(ctx, 'GET', '/admin/apps/doomed')).status).toBe(200);
      // Once the storage is back, the same delete goes through and removes the object.
      expect((await call(ctx, 'DELETE', `${base}/${draft.id}`)).status).toBe(204);
      expect((await storedFiles(ctx)).filter((f) => f.startsWith('notes/releases/1.6.2/'))).toEqual([]);
    });

    it('checks the storage before locking anything: a hanging check holds up no other writer of the release or app', async () => {
      await insertApp(ctx, 'held');
      await setPublicKey('held');
      const heldApp = await createRelease(ctx, 'held', '1.0.0');
      expect((await upload(ctx, `/admin/apps/held/releases/${heldApp.id}/artifacts`, artifactParts('linux-x86_64', appImage))).status).toBe(201);
      const draft = await draftWithArtifact('1.6.3');
      const withArtifact = await draftWithArtifact('1.6.4');
      const artifactId = (await call(ctx, 'GET', `${base}/${withArtifact.id}`)).body.artifacts[0].id as string;
      const cases = [
        { remove: `${base}/${draft.id}`, write: `${base}/${draft.id}`, body: { notes: 'edited while its delete waits' } },
        { remove: `${base}/${withArtifact.id}/artifacts/${artifactId}`, write: `${base}/${withArtifact.id}`, body: { notes: 'edited while its artifact delete waits' } },
        { remove: '/admin/apps/held', write: '/admin/apps/held', body: { name: 'Held while its delete waits' } },
      ];
      for (const { remove, write, body } of cases) {
        let checkStarted!: () => void;
        let storageAnswers!: () => void;
        const checking = new Promise<void>((resolve) => (checkStarted = resolve));
        const answered = new Promise<void>((resolve) => (storageAnswers = resolve));
        const slow = new Proxy(ctx.storage, {
          get: (target, name: keyof Storage) =>
            name === 'check'
              ? () => (checkStarted(), answered)
              : typeof target[name] === 'function' ? (target[name] as Function).bind(target) : target[name],
        });
        const deleting = call({ ...ctx, app: createApp({ ...ctx.deps, storage: slow }) }, 'DELETE', remove);
        await checking;
        const writing = call(ctx, 'PATCH', write, { body });
        let timer: NodeJS.Timeout | undefined;
        const first = await Promise.race([writing.then(() => 'write'), new Promise((resolve) => (timer = setTimeout(resolve, 3000, 'still waiting')))]);
        clearTimeout(timer);
        storageAnswers();
        expect([remove, first]).toEqual([remove, 'write']);
        expect((await writing).status).toBe(200);
        expect((await deleting).status).toBe(204);
      }
      expect((await call(ctx, 'GET', `${base}/${draft.id}`)).status).toBe(404);
      expect((await call(ctx, 'GET', `${base}/${withArtifact.id}`)).body.artifacts).toEqual([]);
      expect((await call(ctx, 'GET', '/admin/apps/held')).status).toBe(404);
      expect((await storedFiles(ctx)).filter((f) => f.startsWith('held/') || /^notes\/releases\/1\.6\.[34]\//.test(f))).toEqual([]);
    });

    it('refuses to delete a published or archived release with 409', async () => {
      const release = await draftWithArtifact('1.6.1');
      expect((await call(ctx, 'POST', `${base}/${release.id}/publish`)).status).toBe(200);
      const published = await call(ctx, 'DELETE', `${base}/${release.id}`);
      expect(published.status).toBe(409);
      expect(published.body.error.message).toBe('cannot delete release 1.6.1: it is published, and only drafts can be deleted; archive it instead (POST …/archive)');
      expect((await call(ctx, 'POST', `${base}/${release.id}/archive`)).status).toBe(200);
      expect((await call(ctx, 'DELETE', `${base}/${release.id}`)).status).toBe(409);
      expect((await storedFiles(ctx)).map(withoutUploadId)).toContain('notes/releases/1.6.1/notes_1.0.0_amd64.AppImage');
    });
  });

  describe('keys', () => {
    it('lets a CI key create, upload and edit a draft, but not publish, archive, delete or change status', async () => {
      const ci = await insertKey(ctx, 'ci', appId);
      const release = await createRelease(ctx, 'notes', '1.7.0', {}, ci.auth);
      expect((await auditRows(ctx, 'release.create')).at(-1)!.actor).toBe(`key:${ci.id}`);
      expect((await upload(ctx, `${base}/${release.id}/artifacts`, artifactParts('linux-x86_64', appImage), ci.auth)).status).toBe(201);
      expect((await call(ctx, 'PATCH', `${base}/${release.id}`, { auth: ci.auth, body: { notes: 'from CI' } })).status).toBe(200);
      for (const [method, path, body] of [
        ['POST', `${base}/${release.id}/publish`, undefined],
        ['POST', `${base}/${release.id}/archive`, undefined],
        ['DELETE', `${base}/${release.id}`, undefined],
        ['PATCH', `${base}/${release.id}`, { status: 'published' }],
      ] as const) {
        const res = await call(ctx, method, path, { auth: ci.auth, body });
        expect(res.status).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      }
      expect((await call(ctx, 'POST', `${base}/${release.id}/publish`)).status).toBe(200);
      const late = await call(ctx, 'PATCH', `${base}/${release.id}`, { auth: ci.auth, body: { notes: 'edit after publish' } });
      expect(late.status).toBe(403);
    });

    it('hides another app\'s releases from an app-scoped key (404), even for an admin-scope key', async () => {
      const otherId = await insertApp(ctx, 'other');
      const scoped = await insertKey(ctx, 'admin', otherId);
      const mine = await createRelease(ctx, 'notes', '1.8.0');
      for (const [method, path] of [
        ['GET', base],
        ['GET', `${base}/${mine.id}`],
        ['POST', `${base}/${mine.id}/publish`],
        ['DELETE', `${base}/${mine.id}`],
        ['GET', `/admin/apps/other/releases/${mine.id}`],
      ] as const) {
        const res = await call(ctx, method, path, { auth: scoped.auth });
        expect(res.status).toBe(404);
      }
      expect((await call(ctx, 'GET', `${base}/${mine.id}`)).status).toBe(200);
    });
  });

  describe('listing', () => {
    let list: (query: string) => Promise<{ status: number; body: any }>;
    beforeAll(async () => {
      await insertApp(ctx, 'lister');
      list = (query) => call(ctx, 'GET', `/admin/apps/lister/releases${query}`);
      const create = (version: string, extra: Record<string, unknown> = {}) => createRelease(ctx, 'lister', version, extra);
      await create('1.9.0', { notes: 'fixes 100% of crashes' });
      await create('1.10.0', { notes: 'Dark mode' });
      await create('2.0.0-beta.1', { channel: 'beta' });
      await create('2.0.0-beta.2', { channel: 'beta', notes: 'dark mode polish' });
      await create('0.9.0');
      const published = await create('2.0.0');
      await ctx.database.db.updateTable('releases').set({ status: 'published', pub_date: new Date() }).where('id', '=', published.id).execute();
    });

    it('lists newest first by semantic version, not by text or creation time', async () => {
      const res = await list('');
      expect(res.status).toBe(200);
      const body = releaseListSchema.parse(res.body);
      expect(body.releases.map((r) => r.version)).toEqual(['2.0.0', '2.0.0-beta.2', '2.0.0-beta.1', '1.10.0', '1.9.0', '0.9.0']);
      expect(body.total).toBe(6);
    });

    it('pages with limit and offset, reporting the total', async () => {
      const page = await list('?limit=2&offset=2');
      expect(page.body.releases.map((r: { version: string }) => r.version)).toEqual(['2.0.0-beta.1', '1.10.0']);
      expect(page.body.total).toBe(6);
      const past = await list('?offset=10');
      expect(past.body).toEqual({ releases: [], total: 6 });
    });

    it('filters by status and channel and searches version and notes, case-insensitively', async () => {
      expect((await list('?status=published')).body.releases.map((r: { version: string }) => r.version)).toEqual(['2.0.0']);
      expect((await list('?status=draft')).body.total).toBe(5);
      expect((await list('?status=archived')).body).toEqual({ releases: [], total: 0 });
      expect((await list('?channel=beta')).body.releases.map((r: { version: string }) => r.version)).toEqual(['2.0.0-beta.2', '2.0.0-beta.1']);
      expect((await list('?q=DARK')).body.releases.map((r: { version: string }) => r.version)).toEqual(['2.0.0-beta.2', '1.10.0']);
      expect((await list('?q=beta&status=draft&channel=beta&limit=1')).body.total).toBe(2);
      // `%` and `_` are literal characters in the search, not wildcards.
      expect((await list('?q=100%25')).body.releases.map((r: { version: string }) => r.version)).toEqual(['1.9.0']);
      expect((await list('?q=_')).body.total).toBe(0);
    });

    it('shows an artifact summary per release', async () => {
      const res = await list('?status=published');
      expect(res.body.releases[0].artifacts).toEqual([]);
      const notes = await call(ctx, 'GET', `${base}?q=1.2.0`);
      expect(notes.body.releases[0].artifacts).toEqual([
        { id: expect.any(String), platform: 'linux-x86_64', bundle: 'appimage', file_name: 'notes_1.0.0_amd64.AppImage', size: appImage.bytes.length, is_default: false },
      ]);
    });

    it.each(['?status=live', '?limit=0', '?limit=101', '?offset=-1', '?channel=BETA', '?sort=version', '?limit=1&limit=2'])(
      'refuses %s with 400',
      async (query) => {
        const res = await list(query);
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('invalid_request');
      },
    );
  });
});
