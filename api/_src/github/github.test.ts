import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac, randomUUID } from 'node:crypto';
import { type FakeGithub, startFakeGithub } from '../../../test/support/fake-github.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import type { SourceView, SyncReport } from '../protocol/github.ts';
import { EVERY_BUNDLE, publishRelease, type SignedFile, signedFile } from './testing.ts';

const SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

describe('GitHub Releases as an app source', () => {
  let github: FakeGithub;
  let ctx: TestContext;
  let dir: string;
  let key: KeyPair;
  let otherKey: KeyPair;
  let files120: SignedFile[];
  let slugCounter = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'github-source-'));
    [github, key, otherKey] = await Promise.all([startFakeGithub(), generateKeyPair(await mkdtemp(join(dir, 'k-'))), generateKeyPair(await mkdtemp(join(dir, 'o-')))]);
    files120 = await Promise.all(EVERY_BUNDLE.map((b) => signedFile(dir, key, b.name('1.2.0'), '1.2.0')));
    ctx = await createTestContext({
      env: { GITHUB_API_URL: github.url, GITHUB_TIMEOUT_SECONDS: '0.5', SECRETS_KEY, RATE_LIMITS: 'off', UPDATE_CACHE_TTL_SECONDS: '0' },
    });
  });
  afterAll(async () => {
    await ctx.deps.github.stop();
    await ctx.close();
    await github.close();
    await rm(dir, { recursive: true, force: true });
  });

  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    ctx.app.request(path, {
      method: init.method ?? 'GET',
      headers: { authorization: ctx.adminAuth, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  const check = (slug: string, target: string, arch: string, current: string, query = '') => ctx.app.request(`/update/${slug}/${target}/${arch}/${current}${query}`);

  /** A new app on a new fake repository, with the source set; returns the slug, repository and the PUT's answer. */
  async function githubApp(options: { private?: boolean; token?: string; tagPrefix?: string; channels?: string[]; publicKey?: string } = {}) {
    const slug = `gh-app-${++slugCounter}`;
    const repository = `octo/${slug}`;
    github.addRepository(repository, { private: options.private, token: options.token });
    expect((await admin('/admin/apps', { method: 'POST', body: { slug, name: slug, public_key: options.publicKey ?? key.publicKey } })).status).toBe(201);
    if (options.channels) {
      const channels = options.channels.map((name) => ({ name, follows: 'stable' }));
      expect((await admin(`/admin/apps/${slug}/channels`, { method: 'PUT', body: { channels } })).status).toBe(200);
    }
    return { slug, repository };
  }
  async function setSource(slug: string, repository: string, extra: Record<string, unknown> = {}): Promise<SourceView & { kind: 'github' }> {
    const res = await admin(`/admin/apps/${slug}/source`, { method: 'PUT', body: { kind: 'github', repository, tag_prefix: 'desktop-v', ...extra } });
    expect(res.status).toBe(200);
    return (await res.json()) as SourceView & { kind: 'github' };
  }
  async function sync(slug: string, full = false): Promise<SyncReport> {
    const res = await admin(`/admin/apps/${slug}/source/sync${full ? '?full=true' : ''}`, { method: 'POST' });
    expect(res.status).toBe(200);
    return ((await res.json()) as { report: SyncReport }).report;
  }

  it('offers a published desktop-v1.2.0 release to a 1.1.0 client on every platform and bundle type, from GitHub\'s URLs', async () => {
    const { slug, repository } = await githubApp();
    const release = publishRelease(github, repository, 'desktop-v1.2.0', files120, { body: 'Faster sync' });
    const view = await setSource(slug, repository);
    expect(view.report?.outcome).toBe('ok');
    expect(view.webhook_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(view.private).toBe(false);
    for (const [i, bundle] of EVERY_BUNDLE.entries()) {
      const res = await check(slug, bundle.target, bundle.arch, '1.1.0', `?bundle_type=${bundle.bundle}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Record<string, string>;
      const asset = release.assets.find((a) => a.name === files120[i]!.name)!;
      expect(body).toMatchObject({ version: '1.2.0', notes: 'Faster sync', signature: files120[i]!.signature });
      expect(body.url).toBe(`${github.url}/${repository}/releases/download/desktop-v1.2.0/${encodeURIComponent(asset.name)}`);
      expect(new Date(body.pub_date!).getTime()).toBe(new Date(release.published_at!).getTime());
    }
    // Up to date: nothing to offer.
    expect((await check(slug, 'linux', 'x86_64', '1.2.0')).status).toBe(204);
    // Through /download (a link from the dashboard, an old manifest), a public asset is a redirect to GitHub's own URL.
    const viaServer = await ctx.app.request(`/download/${slug}/1.2.0/${encodeURIComponent(files120[2]!.name)}`);
    expect(viaServer.status).toBe(302);
    expect(viaServer.headers.get('location')).toBe(`${github.url}/${repository}/releases/download/desktop-v1.2.0/${encodeURIComponent(files120[2]!.name)}`);
    // The release is an ordinary one in the admin API, marked as synced.
    const audit = await ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'github.sync').execute();
    expect(audit.some((row) => (row.details as { added?: string[] })?.added?.includes('1.2.0'))).toBe(true);
  });

  it('never offers a pre-release on stable; with a beta channel, beta clients get it', async () => {
    const { slug, repository } = await githubApp();
    publishRelease(github, repository, 'desktop-v1.2.0', files120.slice(2, 3));
    const pre = await signedFile(dir, key, 'App_1.3.0-rc.1_amd64.AppImage', '1.3.0-rc.1');
    publishRelease(github, repository, 'desktop-v1.3.0-rc.1', [pre], { prerelease: true });
    const view = await setSource(slug, repository);
    expect(view.report?.skipped).toContainEqual(expect.objectContaining({ tag: 'desktop-v1.3.0-rc.1', reason: expect.stringContaining('never served on stable') }));
    expect(((await (await check(slug, 'linux', 'x86_64', '1.1.0')).json()) as { version: string }).version).toBe('1.2.0');

    const withBeta = await githubApp({ channels: ['beta'] });
    publishRelease(github, withBeta.repository, 'desktop-v1.2.0', files120.slice(2, 3));
    publishRelease(github, withBeta.repository, 'desktop-v1.3.0-rc.1', [pre], { prerelease: true });
    await setSource(withBeta.slug, withBeta.repository);
    expect(((await (await check(withBeta.slug, 'linux', 'x86_64', '1.1.0')).json()) as { version: string }).version).toBe('1.2.0');
    expect(((await (await check(withBeta.slug, 'linux', 'x86_64', '1.1.0', '?channel=beta')).json()) as { version: string }).version).toBe('1.3.0-rc.1');
  });

  it('leaves out a bundle without its .sig and one whose signature is by another key, and says why', async () => {
    const { slug, repository } = await githubApp();
    const foreign = await signedFile(dir, otherKey, 'App_1.2.0_x64-setup.exe', '1.2.0');
    const [appImage, deb] = [files120[2]!, files120[4]!];
    publishRelease(github, repository, 'desktop-v1.2.0', [appImage, deb, foreign], { withoutSig: [deb.name] });
    publishRelease(github, repository, 'desktop-vnext', [], {});
    const view = await setSource(slug, repository);
    const skipped = view.report!.skipped;
    expect(skipped).toContainEqual(expect.objectContaining({ file_name: deb.name, reason: expect.stringContaining('no App_1.2.0_amd64.deb.sig') }));
    expect(skipped).toContainEqual(expect.objectContaining({ file_name: foreign.name, reason: expect.stringMatching(/does not verify.*key/) }));
    expect(skipped).toContainEqual(expect.objectContaining({ tag: 'desktop-vnext', reason: expect.stringContaining('semantic version') }));
    expect((await check(slug, 'linux', 'x86_64', '1.1.0', '?bundle_type=appimage')).status).toBe(200);
    // No deb and no Windows bundle: those installs are told there is nothing for them.
    expect((await check(slug, 'linux', 'x86_64', '1.1.0', '?bundle_type=deb')).status).toBe(204);
    expect((await check(slug, 'windows', 'x86_64', '1.1.0')).status).toBe(204);
  });

  it('skips a release whose notes the database cannot store (U+0000), says why, and serves the others', async () => {
    const { slug, repository } = await githubApp();
    publishRelease(github, repository, 'desktop-v1.2.0', files120.slice(2, 3), { body: 'Fine' });
    const later = await signedFile(dir, key, 'App_1.3.0_amd64.AppImage', '1.3.0');
    publishRelease(github, repository, 'desktop-v1.3.0', [later], { body: 'Broken\u0000notes' });
    const view = await setSource(slug, repository);
    expect(view.report?.outcome).toBe('ok');
    expect(view.report?.skipped).toContainEqual(expect.objectContaining({ tag: 'desktop-v1.3.0', file_name: null, reason: expect.stringContaining('U+0000') }));
    expect(((await (await check(slug, 'linux', 'x86_64', '1.1.0')).json()) as { version: string }).version).toBe('1.2.0');
  });

  it('checks each asset once: an unchanged list is a 304 that costs no rate limit, and a full re-list downloads nothing again', async () => {
    const { slug, repository } = await githubApp();
    publishRelease(github, repository, 'desktop-v1.2.0', files120.slice(0, 3));
    await setSource(slug, repository);
    const downloads = () => github.requests.filter((r) => r.url.includes(`/${repository}/releases/download/`)).length;
    expect(downloads()).toBe(6); // three bundles and their three .sig files
    const remaining = github.rateLimit.remaining;
    const listings = () => github.requests.filter((r) => r.url.startsWith(`/repos/${repository}/releases?`));
    const before = listings().length;
    const report = await sync(slug);
    expect(report.outcome).toBe('unchanged');
    expect(listings().slice(before).map((r) => [r.status, r.headers['if-none-match'] !== undefined])).toEqual([[304, true]]);
    expect(github.rateLimit.remaining).toBe(remaining);
    expect((await sync(slug, true)).outcome).toBe('ok');
    expect(downloads()).toBe(6);
    expect((await check(slug, 'darwin', 'aarch64', '1.1.0')).status).toBe(200);
  });

  it.each([
    ['answers 500', 'error', 'unavailable'],
    ['is rate-limited (403, x-ratelimit-remaining: 0)', 'rate-limited', 'rate_limited'],
    ['does not answer', 'hang', 'unavailable'],
  ] as const)('keeps serving the last synced releases when GitHub %s, and says when it retries', async (_, mode, code) => {
    const { slug, repository } = await githubApp();
    publishRelease(github, repository, 'desktop-v1.2.0', files120.slice(2, 3));
    await setSource(slug, repository);
    publishRelease(github, repository, 'desktop-v1.3.0', [await signedFile(dir, key, 'App_1.3.0_amd64.AppImage', '1.3.0')]);
    github.mode(mode);
    try {
      const report = await sync(slug);
      expect(report.outcome).toBe('failed');
      expect(report.error?.code).toBe(code);
      expect(report.releases.map((r) => r.version)).toEqual(['1.2.0']);
      if (mode === 'rate-limited') expect(new Date(report.next_sync_at).getTime()).toBe(github.rateLimit.resetAt * 1000);
      else expect(new Date(report.next_sync_at).getTime()).toBeGreaterThan(Date.now());
      const res = await check(slug, 'linux', 'x86_64', '1.1.0');
      expect(res.status).toBe(200);
      expect(((await res.json()) as { version: string }).version).toBe('1.2.0');
    } finally {
      github.mode('ok');
    }
    // Nothing was negative-cached: the next sync sees 1.3.0.
    expect((await sync(slug)).outcome).toBe('ok');
    expect(((await (await check(slug, 'linux', 'x86_64', '1.1.0')).json()) as { version: string }).version).toBe('1.3.0');
  });

  it('follows Link pagination past 100 releases and ignores tags of another prefix', async () => {
    const { slug, repository } = await githubApp();
    const appImage = files120[2]!;
    publishRelease(github, repository, 'desktop-v1.2.0', [appImage]);
    for (let i = 0; i < 105; i++) github.addRelease(repository, { tag: `cli-v0.0.${i}`, files: {} });
    const view = await setSource(slug, repository);
    expect(view.report?.github_requests).toBeGreaterThanOrEqual(2);
    expect(view.report?.skipped.filter((s) => s.tag.startsWith('cli-'))).toEqual([]);
    expect(((await (await check(slug, 'linux', 'x86_64', '1.1.0')).json()) as { version: string }).version).toBe('1.2.0');
  });

  it('archives a release deleted on GitHub, and keeps an admin\'s rollout and yank of a synced release', async () => {
    const { slug, repository } = await githubApp();
    publishRelease(github, repository, 'desktop-v1.1.5', [await signedFile(dir, key, 'App_1.1.5_amd64.AppImage', '1.1.5')]);
    const doomed = publishRelease(github, repository, 'desktop-v1.2.0', files120.slice(2, 3));
    await setSource(slug, repository);
    const releases = (await (await admin(`/admin/apps/${slug}/releases`)).json()) as { releases: { id: string; version: string }[] };
    const v115 = releases.releases.find((r) => r.version === '1.1.5')!;
    expect((await admin(`/admin/apps/${slug}/releases/${v115.id}`, { method: 'PATCH', body: { rollout_percent: 0 } })).status).toBe(200);
    github.repositories.get(repository)!.releases.splice(github.repositories.get(repository)!.releases.indexOf(doomed), 1);
    const report = await sync(slug);
    expect(report.outcome).toBe('ok');
    expect((await check(slug, 'linux', 'x86_64', '1.1.0')).status).toBe(204); // 1.2.0 gone, 1.1.5 at 0 %
    const row = await ctx.database.db.selectFrom('releases').select(['status', 'rollout_percent', 'version']).where('github_release_id', 'is not', null).where('version', 'in', ['1.1.5', '1.2.0']).orderBy('version').execute();
    expect(row.filter((r) => r.version === '1.2.0' || r.version === '1.1.5').map((r) => [r.version, r.status, r.rollout_percent])).toEqual(
      expect.arrayContaining([['1.1.5', 'published', 0], ['1.2.0', 'archived', 100]]),
    );
  });

  it('a synced release yanked from the admin API stays yanked through later syncs; its installs get the replacement', async () => {
    const { slug, repository } = await githubApp();
    publishRelease(github, repository, 'desktop-v1.1.5', [await signedFile(dir, key, 'App_1.1.5_amd64.AppImage', '1.1.5')]);
    publishRelease(github, repository, 'desktop-v1.2.0', files120.slice(2, 3));
    await setSource(slug, repository);
    expect((await admin(`/admin/apps/${slug}/releases/1.2.0/yank`, { method: 'POST', body: { replacement: '1.1.5', reason: 'crash on start' } })).status).toBe(200);
    publishRelease(github, repository, 'desktop-v1.0.1', [await signedFile(dir, key, 'App_1.0.1_amd64.AppImage', '1.0.1')]);
    expect((await sync(slug)).outcome).toBe('ok');
    const onYanked = (await (await check(slug, 'linux', 'x86_64', '1.2.0')).json()) as { version: string; replaces_yanked?: string };
    expect(onYanked).toMatchObject({ version: '1.1.5', replaces_yanked: '1.2.0' });
    expect(((await (await check(slug, 'linux', 'x86_64', '1.0.0')).json()) as { version: string }).version).toBe('1.1.5');
  });

  it('says clearly when the repository was renamed, or the token is refused', async () => {
    const { slug, repository } = await githubApp();
    publishRelease(github, repository, 'desktop-v1.2.0', files120.slice(2, 3));
    await setSource(slug, repository);
    github.repositories.get(repository)!.renamedTo = 'octo/renamed';
    try {
      const report = await sync(slug);
      expect(report.error).toEqual({ code: 'moved', message: expect.stringContaining('renamed or transferred') });
      expect((await check(slug, 'linux', 'x86_64', '1.1.0')).status).toBe(200);
    } finally {
      delete github.repositories.get(repository)!.renamedTo;
    }
    const view = await setSource(slug, repository, { token: 'ghp_wrongwrongwrong' });
    expect(view.report?.error?.code).toBe('unauthorized');
    expect(view.private).toBe(true);
    expect(JSON.stringify(view)).not.toContain('ghp_wrongwrongwrong');
  });

  describe('private repositories', () => {
    const TOKEN = 'github_pat_11AAAAAAA0secretsecretsecret';
    let logged: string[];
    let spies: ReturnType<typeof jest.spyOn>[];
    beforeEach(() => {
      logged = [];
      spies = (['log', 'info', 'warn', 'error'] as const).map((level) => jest.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' '))));
    });
    afterEach(() => spies.forEach((spy) => spy.mockRestore()));

    it('serves downloads only through the server, with the token in the Authorization header and nowhere else', async () => {
      const { slug, repository } = await githubApp({ private: true, token: TOKEN });
      const appImage = files120[2]!;
      publishRelease(github, repository, 'desktop-v1.2.0', [appImage]);
      const view = await setSource(slug, repository, { token: TOKEN });
      expect(view).toMatchObject({ private: true, report: { outcome: 'ok' } });
      expect(JSON.stringify(view)).not.toContain(TOKEN);
      const stored = await ctx.database.db.selectFrom('github_sources').select('token_sealed').where('repository', '=', repository).executeTakeFirstOrThrow();
      expect(stored.token_sealed).toMatch(/^v1\./);
      expect(stored.token_sealed).not.toContain(TOKEN);

      const update = (await (await check(slug, 'linux', 'x86_64', '1.1.0')).json()) as { url: string };
      expect(update.url).toBe(`http://updates.test/download/${slug}/1.2.0/${encodeURIComponent(appImage.name)}`);
      const res = await ctx.app.request(new URL(update.url).pathname);
      expect(res.status).toBe(302);
      const location = res.headers.get('location')!;
      expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/signed-assets\/\d+\?X-Amz-Signature=/);
      expect(location).not.toContain(TOKEN);
      expect(Buffer.from(await (await fetch(location)).arrayBuffer()).equals(appImage.bytes)).toBe(true);
      const ours = github.requests.filter((r) => r.url.includes(repository) || r.url.startsWith('/signed-assets/'));
      // GitHub's own browser URL is of no use to a client without a GitHub session.
      const release = github.repositories.get(repository)!.releases[0]!;
      expect((await fetch(`${github.url}/${repository}/releases/download/${release.tag_name}/${appImage.name}`)).status).toBe(404);

      expect(ours.length).toBeGreaterThan(0);
      for (const request of ours) {
        expect(request.url).not.toContain(TOKEN);
        const { authorization, ...others } = request.headers;
        if (request.url.startsWith('/signed-assets/')) expect(authorization).toBeUndefined();
        else expect(authorization).toBe(`Bearer ${TOKEN}`);
        expect(JSON.stringify(others)).not.toContain(TOKEN);
      }
      expect(logged.join('\n')).not.toContain(TOKEN);
      const audit = await ctx.database.db.selectFrom('audit_log').select('details').where('action', '=', 'app.source').execute();
      expect(JSON.stringify(audit)).not.toContain(TOKEN);
    });
  });

  describe('the release webhook', () => {
    /** A delivery under a new X-GitHub-Delivery id unless `delivery` names one (`null`: no header). */
    const deliver = (slug: string, body: string, signature?: string, event = 'release', delivery: string | null = randomUUID()) =>
      ctx.app.request(`/github/webhook?app=${slug}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': event,
          ...(delivery === null ? {} : { 'x-github-delivery': delivery }),
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        body,
      });
    const sign256 = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

    it('refuses unsigned and wrongly signed deliveries with 401, audited; a good one refreshes the app at once', async () => {
      const { slug, repository } = await githubApp();
      publishRelease(github, repository, 'desktop-v1.2.0', files120.slice(2, 3));
      const { webhook_secret: secret } = await setSource(slug, repository);
      publishRelease(github, repository, 'desktop-v1.3.0', [await signedFile(dir, key, 'App_1.3.0_amd64.AppImage', '1.3.0')]);
      const body = JSON.stringify({ action: 'published', release: { tag_name: 'desktop-v1.3.0' }, repository: { full_name: repository } });
      const listings = () => github.requests.filter((r) => r.url.startsWith(`/repos/${repository}/releases?`)).length;
      const before = listings();

      for (const signature of [undefined, sign256('not-the-secret', body), 'sha256=zz']) {
        const res = await deliver(slug, body, signature);
        expect(res.status).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
      }
      expect(listings()).toBe(before);
      const refusals = await ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'github.webhook_refused').execute();
      expect(refusals.filter((r) => r.target?.startsWith('app:')).length).toBeGreaterThanOrEqual(3);
      expect(((await (await check(slug, 'linux', 'x86_64', '1.1.0')).json()) as { version: string }).version).toBe('1.2.0');

      const res = await deliver(slug, body, sign256(secret!, body));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ ok: true, action: 'published', synced: true });
      expect(((await (await check(slug, 'linux', 'x86_64', '1.1.0')).json()) as { version: string }).version).toBe('1.3.0');
      // A ping is acknowledged without a sync.
      const ping = JSON.stringify({ zen: 'Keep it logically awesome.' });
      expect(await (await deliver(slug, ping, sign256(secret!, ping), 'ping')).json()).toMatchObject({ ok: true, synced: false });
    });

    /** An app synced with 1.2.0, and 1.3.0 published on GitHub since; `listings()` counts its release-list requests. */
    async function appWithNewRelease() {
      const { slug, repository } = await githubApp();
      publishRelease(github, repository, 'desktop-v1.2.0', files120.slice(2, 3));
      const { webhook_secret: secret } = await setSource(slug, repository);
      publishRelease(github, repository, 'desktop-v1.3.0', [await signedFile(dir, key, 'App_1.3.0_amd64.AppImage', '1.3.0')]);
      const listings = () => github.requests.filter((r) => r.url.startsWith(`/repos/${repository}/releases?`)).length;
      const served = async () => ((await (await check(slug, 'linux', 'x86_64', '1.1.0')).json()) as { version: string }).version;
      const published = (action = 'published') => JSON.stringify({ action, release: { tag_name: 'desktop-v1.3.0' }, repository: { full_name: repository } });
      return { slug, secret: secret!, listings, served, published };
    }

    it('answers a replayed delivery 200 duplicate without asking GitHub, also under a made-up delivery id', async () => {
      const { slug, secret, served, published } = await appWithNewRelease();
      const body = published();
      const id = randomUUID();
      const first = await deliver(slug, body, sign256(secret, body), 'release', id);
      expect(await first.json()).toMatchObject({ synced: true });
      expect(await served()).toBe('1.3.0');

      const before = github.requests.length;
      for (const delivery of [id, randomUUID()]) {
        const replay = await deliver(slug, body, sign256(secret, body), 'release', delivery);
        expect(replay.status).toBe(200);
        expect(await replay.json()).toMatchObject({ duplicate: true, synced: false });
      }
      expect(github.requests.length).toBe(before);
    });

    it('syncs a redelivery of a delivery whose sync failed (GitHub answering 500), and only then records it', async () => {
      const { slug, secret, listings, served, published } = await appWithNewRelease();
      const body = published();
      const id = randomUUID();
      github.mode('error');
      try {
        const failed = await deliver(slug, body, sign256(secret, body), 'release', id);
        expect(failed.status).toBe(200);
        expect(await failed.json()).not.toHaveProperty('duplicate');
      } finally {
        github.mode('ok');
      }
      expect(await served()).toBe('1.2.0');

      const before = listings();
      const redelivery = await deliver(slug, body, sign256(secret, body), 'release', id);
      expect(await redelivery.json()).toMatchObject({ synced: true });
      expect(listings()).toBeGreaterThan(before);
      expect(await served()).toBe('1.3.0');
      expect(await (await deliver(slug, body, sign256(secret, body), 'release', id)).json()).toMatchObject({ duplicate: true });
    });

    it('syncs two deliveries with different ids', async () => {
      const { slug, secret, listings, published } = await appWithNewRelease();
      for (const action of ['published', 'edited']) {
        const before = listings();
        const body = published(action);
        const res = await deliver(slug, body, sign256(secret, body));
        expect(await res.json()).toMatchObject({ action, synced: true });
        expect(res.status).toBe(200);
        expect(listings()).toBe(before + 1);
      }
    });

    it('refuses a signed delivery without X-GitHub-Delivery with a 400 naming the header, without a sync', async () => {
      const { slug, secret, published } = await appWithNewRelease();
      const before = github.requests.length;
      const body = published();
      for (const delivery of [null, 'not a guid']) {
        const res = await deliver(slug, body, sign256(secret, body), 'release', delivery);
        expect(res.status).toBe(400);
        expect(((await res.json()) as { error: { message: string } }).error.message).toContain('X-GitHub-Delivery');
      }
      expect(github.requests.length).toBe(before);
    });

    it('answers 404 for an app that is not served from GitHub', async () => {
      const res = await deliver('no-such-app', '{}', 'sha256=00');
      expect(res.status).toBe(404);
    });
  });

  it('switching back to storage archives the synced releases, audited', async () => {
    const { slug, repository } = await githubApp();
    publishRelease(github, repository, 'desktop-v1.2.0', files120.slice(2, 3));
    await setSource(slug, repository);
    const res = await admin(`/admin/apps/${slug}/source`, { method: 'PUT', body: { kind: 'storage' } });
    expect(await res.json()).toEqual({ kind: 'storage' });
    expect((await check(slug, 'linux', 'x86_64', '1.1.0')).status).toBe(204);
    const rows = await ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'app.source').execute();
    expect(rows.some((r) => (r.details as { to?: { kind?: string }; archived?: string[] })?.to?.kind === 'storage')).toBe(true);
  });

  it('refuses a bad source with a 400 naming the field, and a CI key with 403', async () => {
    const { slug } = await githubApp();
    for (const body of [{ kind: 'github', repository: 'not a repo' }, { kind: 'github', repository: 'a/b', tag_prefix: 'x y' }, { kind: 'gitlab' }, { kind: 'github', repository: 'a/b', token: 'has space' }]) {
      const res = await admin(`/admin/apps/${slug}/source`, { method: 'PUT', body });
      expect(res.status).toBe(400);
    }
    expect((await admin(`/admin/apps/${slug}/source/sync`, { method: 'POST' })).status).toBe(409);
  });
});
