/**
 * End to end: the server as `npm start` runs it, serving an app from a (fake, local) GitHub repository's releases,
 * and a Tauri v2 client model that checks, downloads and verifies the update with Debian `minisign -V` as the judge.
 * Public repositories are downloaded from GitHub's URLs; private ones only through the server, whose output must
 * never show the token. The static failover manifest follows the synced releases.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVERY_BUNDLE, publishRelease, signedFile } from '../../api/_src/github/testing.ts';
import { type FakeGithub, startFakeGithub } from '../support/fake-github.ts';
import { expectStatus, type RunningServer, startServer } from '../support/server.ts';
import { checkForUpdate, downloadAndVerify, generateKeyPair, hasMinisign, type KeyPair } from '../support/tauri.ts';

const minisign = await hasMinisign();
const TOKEN = 'ghp_e2eSecretTokenThatMustNeverShow0001';

(minisign ? describe : describe.skip)(`a Tauri client updating from GitHub Releases through the real server${minisign ? '' : ' — SKIPPED: Debian minisign is not installed'}`, () => {
  let server: RunningServer;
  let github: FakeGithub;
  let dir: string;
  let key: KeyPair;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'github-e2e-'));
    [github, key] = await Promise.all([startFakeGithub(), generateKeyPair(dir)]);
    server = await startServer({ env: { GITHUB_API_URL: github.url, RATE_LIMITS: 'off' } });
  });
  afterAll(async () => {
    await server?.stop();
    await github?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function githubApp(slug: string, repository: string, token?: string) {
    await expectStatus(await server.admin('/admin/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug, name: slug, public_key: key.publicKey }) }), 201);
    return expectStatus(
      await server.admin(`/admin/apps/${slug}/source`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'github', repository, tag_prefix: 'desktop-v', ...(token ? { token } : {}) }),
      }),
      200,
    );
  }

  it('a public repository: every platform and bundle type updates from GitHub\'s own URLs, and minisign accepts what it downloads', async () => {
    github.addRepository('octo/desktop');
    const files = await Promise.all(EVERY_BUNDLE.map((b) => signedFile(dir, key, b.name('1.2.0'), '1.2.0')));
    publishRelease(github, 'octo/desktop', 'desktop-v1.2.0', files);
    const view = await githubApp('desktop', 'octo/desktop');
    expect(view.report.outcome).toBe('ok');
    const endpoint = `${server.url}/update/desktop/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`;
    for (const [i, bundle] of EVERY_BUNDLE.entries()) {
      const outcome = await checkForUpdate(endpoint, { target: bundle.target, arch: bundle.arch, currentVersion: '1.1.0', bundleType: bundle.bundle });
      if (outcome.kind !== 'update') throw new Error(`${bundle.name('1.2.0')}: no update: ${JSON.stringify(outcome)}`);
      expect(outcome.update.url.startsWith(`${github.url}/octo/desktop/releases/download/`)).toBe(true);
      const { bytes, verdict } = await downloadAndVerify(outcome.update, key.publicKey, { requireSignedVersion: true });
      expect(verdict).toMatchObject({ ok: true, signedVersion: '1.2.0' });
      expect(bytes.equals(files[i]!.bytes)).toBe(true);
    }
    // The static failover manifest in storage follows the sync.
    const manifest = await expectStatus(await fetch(`${server.url}/desktop/latest.json`), 200);
    expect(manifest.version).toBe('1.2.0');
    expect(Object.keys(manifest.platforms)).toEqual(expect.arrayContaining(['linux-x86_64', 'darwin-aarch64', 'windows-x86_64']));
  });

  it('a private repository: the update downloads through the server only, and the token is in no URL and no log', async () => {
    github.addRepository('octo/private-desktop', { private: true, token: TOKEN });
    const file = await signedFile(dir, key, 'App_2.0.0_amd64.AppImage', '2.0.0', 200_000);
    publishRelease(github, 'octo/private-desktop', 'desktop-v2.0.0', [file]);
    const view = await githubApp('private-desktop', 'octo/private-desktop', TOKEN);
    expect(view).toMatchObject({ private: true, report: { outcome: 'ok' } });
    const outcome = await checkForUpdate(`${server.url}/update/private-desktop/{{target}}/{{arch}}/{{current_version}}`, { target: 'linux', arch: 'x86_64', currentVersion: '1.0.0', bundleType: 'appimage' });
    if (outcome.kind !== 'update') throw new Error(`no update: ${JSON.stringify(outcome)}`);
    expect(outcome.update.url).toBe(`${server.url}/download/private-desktop/2.0.0/App_2.0.0_amd64.AppImage`);
    const { bytes, verdict } = await downloadAndVerify(outcome.update, key.publicKey);
    expect(verdict.ok).toBe(true);
    expect(bytes.equals(file.bytes)).toBe(true);
    for (const request of github.requests) {
      expect(request.url).not.toContain(TOKEN);
      if (request.headers.authorization !== undefined) expect(request.url.startsWith('/repos/octo/private-desktop/')).toBe(true);
    }
    expect(server.output()).not.toContain(TOKEN);
    expect(JSON.stringify(await expectStatus(await server.admin('/admin/audit?app=private-desktop'), 200))).not.toContain(TOKEN);
  });
});
