/**
 * The whole GitHub release of a six-platform matrix against the local fake GitHub REST API (several drafts may share
 * a tag, a separate uploads host, secondary rate limits, lost answers): the plan job creates the draft once, six
 * legs upload in parallel (one through a rate limit and a 502 after its upload was stored), the publish job
 * publishes once with latest.json; a re-run changes nothing; a leg with other bytes replaces its assets and says so.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../shared/src/testing.ts';
import { type FakeGithub, startFakeGithub } from '../../../test/support/fake-github.ts';
import { GithubApi, GithubApiError } from './github-api.ts';
import { Secret } from '../../shared/src/secret.ts';
import { githubAssetName } from './release-files.ts';
import { type ModeInputs, runMode } from './modes.ts';
import { fakeGithubApi, writeLeg } from './testing.ts';
import { installFakeMacos } from '../../../test/support/fake-macos/index.ts';
import { notarizedDmgCheck } from '../../upload-r2/src/notarized.ts';

const REPO = 'octo/my-app';
const TOKEN = 'ghs_test_token';
const LEGS = ['darwin-aarch64', 'darwin-x86_64', 'linux-x86_64', 'linux-aarch64', 'windows-x86_64', 'windows-aarch64'];

let github: FakeGithub;
let root: string;
beforeAll(async () => {
  github = await startFakeGithub();
  github.addRepository(REPO, { token: TOKEN });
  root = await mkdtemp(join(tmpdir(), 'github-release-'));
});
afterAll(async () => {
  await github?.close();
  await rm(root, { recursive: true, force: true });
});

const tagEnv = (version: string) => ({ GITHUB_REF: `refs/tags/v${version}`, GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: `v${version}` });
const base: Omit<ModeInputs, 'mode'> = { bundleDirs: [], latestJson: false, serverUrl: '' };
const writes = () => github.requests.filter((r) => r.method !== 'GET').length;
const releasesOf = (tag: string) => github.repositories.get(REPO)!.releases.filter((r) => r.tag_name === tag);

async function legDir(version: string, platform: string, seed = 'build-1'): Promise<string> {
  const dir = join(root, `${version}-${platform}-${seed}`);
  await writeLeg(dir, platform, version, seed);
  return dir;
}

/** One whole workflow run: plan (create), every leg in parallel (upload), publish. */
async function workflowRun(version: string, options: { seed?: string; beforeLegs?: () => void } = {}) {
  const env = tagEnv(version);
  const plan = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
  const created = await runMode(plan.api, { ...base, mode: 'create' }, env, memoryLogger());
  const releaseId = String(created.release.id);
  const dirs = await Promise.all(LEGS.map((platform) => legDir(version, platform, options.seed)));
  options.beforeLegs?.();
  const legs = await Promise.all(
    LEGS.map(async (platform, i) => {
      const logger = memoryLogger();
      const { api, waits } = fakeGithubApi(github.url, REPO, TOKEN, logger);
      const result = await runMode(api, { ...base, mode: 'upload', releaseId, platform, bundleDirs: [dirs[i]!] }, env, logger);
      return { platform, result, logger, waits };
    }),
  );
  const publishLogger = memoryLogger();
  const publisher = fakeGithubApi(github.url, REPO, TOKEN, publishLogger);
  const published = await runMode(publisher.api, { ...base, mode: 'publish', releaseId, latestJson: true, serverUrl: github.url }, env, publishLogger);
  return { created, legs, published, publishLogger };
}

const EXPECTED_ASSETS = [
  'My.App_1.2.0_aarch64.dmg',
  'My.App_1.2.0_arm64-setup.exe',
  'My.App_1.2.0_arm64-setup.exe.sig',
  'My.App_1.2.0_x64-setup.exe',
  'My.App_1.2.0_x64-setup.exe.sig',
  'My.App_1.2.0_x64.dmg',
  'My.App_1.2.0_x64_en-US.msi',
  'My.App_1.2.0_x64_en-US.msi.sig',
  'My.App_aarch64.app.tar.gz',
  'My.App_aarch64.app.tar.gz.sig',
  'My.App_x64.app.tar.gz',
  'My.App_x64.app.tar.gz.sig',
  'latest.json',
  'my-app-1.2.0-1.x86_64.rpm',
  'my-app-1.2.0-1.x86_64.rpm.sig',
  'my-app_1.2.0_aarch64.AppImage',
  'my-app_1.2.0_aarch64.AppImage.sig',
  'my-app_1.2.0_amd64.AppImage',
  'my-app_1.2.0_amd64.AppImage.sig',
  'my-app_1.2.0_amd64.deb',
  'my-app_1.2.0_amd64.deb.sig',
  'my-app_1.2.0_arm64.deb',
  'my-app_1.2.0_arm64.deb.sig',
].sort();

describe('a six-leg release on GitHub', () => {
  it('one draft, every asset once (one leg through a rate limit and a lost answer), then one published release with latest.json', async () => {
    const { legs, published, publishLogger } = await workflowRun('1.2.0', {
      beforeLegs: () => {
        // A secondary rate limit on the first leg to read the release; the Linux x64 deb stored but its answer lost.
        github.inject({ status: 403, headers: { 'retry-after': '3' }, match: (r) => r.method === 'GET' && /\/releases\/\d+$/.test(r.path) });
        github.inject({ status: 502, after: true, match: (r) => r.host === 'uploads' && r.path.endsWith('amd64.deb') });
        github.inject({ status: 429, headers: { 'retry-after': '1' }, match: (r) => r.host === 'uploads' && r.path.endsWith('x64_en-US.msi.sig') });
      },
    });

    const releases = releasesOf('v1.2.0');
    expect(releases).toHaveLength(1);
    const [release] = releases;
    expect(release!.draft).toBe(false);
    expect(release!.prerelease).toBe(false);
    expect(release!.make_latest).toBe('true');
    expect(release!.assets.map((a) => a.name).sort()).toEqual(EXPECTED_ASSETS);
    expect(published.status).toBe('published');
    expect(github.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(github.requests.filter((r) => r.method === 'POST' && r.url === `/repos/${REPO}/releases`)).toHaveLength(1);

    // Every wait GitHub asked for was made, and the lost answer was found to be a stored asset, not uploaded twice.
    const waits = legs.flatMap((leg) => leg.waits);
    expect(waits).toEqual(expect.arrayContaining([3000, 1000]));
    const linux = legs.find((leg) => leg.platform === 'linux-x86_64')!;
    expect(linux.result.report.find((r) => r.name === 'my-app_1.2.0_amd64.deb')!.outcome).toBe('uploaded');
    expect(linux.logger.text()).toMatch(/HTTP 502.*attempt 2 of 6/);
    expect(release!.assets.filter((a) => a.name === 'my-app_1.2.0_amd64.deb')).toHaveLength(1);
    for (const leg of legs) expect(leg.result.report.every((r) => r.outcome === 'uploaded')).toBe(true);

    const latest = JSON.parse(release!.assets.find((a) => a.name === 'latest.json')!.data.toString('utf8'));
    expect(latest.version).toBe('1.2.0');
    expect(Object.keys(latest.platforms)).toEqual([
      'darwin-aarch64', 'darwin-aarch64-app', 'darwin-x86_64', 'darwin-x86_64-app',
      'linux-aarch64', 'linux-aarch64-appimage', 'linux-aarch64-deb',
      'linux-x86_64', 'linux-x86_64-appimage', 'linux-x86_64-deb', 'linux-x86_64-rpm',
      'windows-aarch64', 'windows-aarch64-nsis', 'windows-x86_64', 'windows-x86_64-msi', 'windows-x86_64-nsis',
    ]);
    const win = latest.platforms['windows-x86_64'];
    expect(win.url).toBe(`${github.url}/${REPO}/releases/download/v1.2.0/My.App_1.2.0_x64-setup.exe`);
    expect(Buffer.from(win.signature, 'base64').toString()).toContain('My App_1.2.0_x64-setup.exe.sig (build-1)');
    expect(latest.platforms['linux-x86_64'].url).toMatch(/amd64\.AppImage$/);
    // The URLs latest.json names serve the bytes, now that the release is published.
    const download = await fetch(latest.platforms['darwin-aarch64'].url);
    expect(download.status).toBe(200);
    expect(await download.text()).toContain('macos/My App.app.tar.gz build-1');
    expect(publishLogger.text()).toContain('Published release');
  });

  it('a re-run of the whole workflow changes nothing', async () => {
    const before = writes();
    const ids = releasesOf('v1.2.0')[0]!.assets.map((a) => a.id).sort();
    const { created, legs, published, publishLogger } = await workflowRun('1.2.0');
    expect(writes()).toBe(before);
    expect(created.release.id).toBe(releasesOf('v1.2.0')[0]!.id);
    expect(releasesOf('v1.2.0')).toHaveLength(1);
    expect(releasesOf('v1.2.0')[0]!.assets.map((a) => a.id).sort()).toEqual(ids);
    for (const leg of legs) expect(leg.result.report.every((r) => r.outcome === 'unchanged')).toBe(true);
    expect(published.report).toEqual([{ name: 'latest.json', size: expect.any(Number), outcome: 'unchanged' }]);
    expect(publishLogger.text()).toContain('already published: nothing to do');
  });

  it('a leg with other bytes for the same names replaces those assets and says so', async () => {
    const { release } = (await runMode(fakeGithubApi(github.url, REPO, TOKEN, memoryLogger()).api, { ...base, mode: 'create' }, tagEnv('1.2.0'), memoryLogger()));
    const logger = memoryLogger();
    const dir = await legDir('1.2.0', 'windows-aarch64', 'build-2');
    const { api } = fakeGithubApi(github.url, REPO, TOKEN, logger);
    const result = await runMode(api, { ...base, mode: 'upload', releaseId: String(release.id), platform: 'windows-aarch64', bundleDirs: [dir] }, tagEnv('1.2.0'), logger);
    expect(result.report.map((r) => r.outcome)).toEqual(['replaced', 'replaced']);
    expect(logger.entries.filter((e) => e.level === 'warning').map((e) => e.message)).toEqual([
      expect.stringMatching(/^My\.App_1\.2\.0_arm64-setup\.exe: the release has other bytes under this name .*replacing it with .*sha256:[0-9a-f]{64}/),
      expect.stringMatching(/^My\.App_1\.2\.0_arm64-setup\.exe\.sig: the release has other bytes/),
    ]);
    const stored = releasesOf('v1.2.0')[0]!.assets.filter((a) => a.name.startsWith('My.App_1.2.0_arm64'));
    expect(stored).toHaveLength(2);
    const text = (a: { name: string; data: Buffer }) => (a.name.endsWith('.sig') ? Buffer.from(a.data.toString(), 'base64') : a.data).toString();
    expect(stored.every((a) => text(a).includes('build-2'))).toBe(true);
  });
});

describe('pre-releases and drafts that share a tag', () => {
  it('a pre-release version makes a pre-release that is not marked latest; an existing draft of the tag is reused', async () => {
    const repo = github.repositories.get(REPO)!;
    // Someone's earlier hand-made draft of the same tag (GitHub allows several): the plan job reuses it, and says so.
    github.addRelease(REPO, { tag: 'v2.0.0-beta.1', files: {}, draft: true });
    github.addRelease(REPO, { tag: 'v2.0.0-beta.1', files: {}, draft: true });
    const logger = memoryLogger();
    const { api } = fakeGithubApi(github.url, REPO, TOKEN, logger);
    const created = await runMode(api, { ...base, mode: 'create', body: 'Beta notes.' }, tagEnv('2.0.0-beta.1'), logger);
    expect(repo.releases.filter((r) => r.tag_name === 'v2.0.0-beta.1')).toHaveLength(2);
    expect(logger.text()).toMatch(/warning: 2 releases have the tag v2\.0\.0-beta\.1/);
    const published = await runMode(api, { ...base, mode: 'publish', releaseId: String(created.release.id) }, {}, logger);
    expect(published.release.prerelease).toBe(true);
    expect(repo.releases.find((r) => r.id === created.release.id)!.make_latest).toBe('false');
  });

  it('a patch of an older line is not marked the latest release; a higher version, or another app\'s tags, do not stop one', async () => {
    const LINES = 'octo/lines';
    github.addRepository(LINES, { token: TOKEN });
    const ship = async (tag: string) => {
      const logger = memoryLogger();
      const { api } = fakeGithubApi(github.url, LINES, TOKEN, logger);
      const env = { GITHUB_REF: `refs/tags/${tag}` };
      const { release } = await runMode(api, { ...base, mode: 'create' }, env, logger);
      await runMode(api, { ...base, mode: 'publish', releaseId: String(release.id) }, env, logger);
      return { latest: github.repositories.get(LINES)!.releases.find((r) => r.id === release.id)!.make_latest, log: logger.text() };
    };
    expect((await ship('v2.0.0')).latest).toBe('true');
    const backport = await ship('v1.2.5');
    expect(backport.latest).toBe('false');
    expect(backport.log).toContain('1.2.5 is lower than 2.0.0 (v2.0.0), published already: it is not marked the latest release.');
    expect((await ship('cli-v9.0.0')).latest).toBe('true');
    expect((await ship('v2.0.1')).latest).toBe('true');
  });

  it('a new tag gets a draft named after it, with the notes given or GitHub\'s generated ones', async () => {
    const { api } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
    const given = await runMode(api, { ...base, mode: 'create', name: 'My App 3.0', body: 'Faster.' }, tagEnv('3.0.0'), memoryLogger());
    expect(given.release).toMatchObject({ tag_name: 'v3.0.0', name: 'My App 3.0', body: 'Faster.', draft: true, prerelease: false });
    const generated = await runMode(api, { ...base, mode: 'create', version: '3.1.0' }, {}, memoryLogger());
    expect(generated.release).toMatchObject({ tag_name: 'v3.1.0', name: 'v3.1.0', draft: true });
    expect(generated.release.body).toContain("What's Changed");
  });

  it("a re-run for a tag whose published release is older than the releases listed reuses it, not a new draft GitHub could not publish", async () => {
    const OLD = 'octo/long-history';
    github.addRepository(OLD, { token: TOKEN });
    github.addRelease(OLD, { tag: 'v0.1.0', files: {} });
    for (let i = 1; i <= 500; i++) github.addRelease(OLD, { tag: `nightly-${i}`, files: {} });
    const logger = memoryLogger();
    const { api } = fakeGithubApi(github.url, OLD, TOKEN, logger);
    const created = await runMode(api, { ...base, mode: 'create' }, tagEnv('0.1.0'), logger);
    const repo = github.repositories.get(OLD)!;
    expect(repo.releases.filter((r) => r.tag_name === 'v0.1.0')).toHaveLength(1);
    expect(created.release.id).toBe(repo.releases.find((r) => r.tag_name === 'v0.1.0')!.id);
    expect(logger.text()).toMatch(/published release \d+ for v0\.1\.0 already exists \(a re-run\): reusing it/);
  });

  it('a re-run for a tag whose draft is older than the 500 releases listed first reuses that draft', async () => {
    const OLD = 'octo/old-draft';
    github.addRepository(OLD, { token: TOKEN });
    github.addRelease(OLD, { tag: 'v0.2.0', draft: true, files: {} });
    for (let i = 1; i <= 600; i++) github.addRelease(OLD, { tag: `nightly-${i}`, files: {} });
    const logger = memoryLogger();
    const { api } = fakeGithubApi(github.url, OLD, TOKEN, logger);
    const created = await runMode(api, { ...base, mode: 'create' }, tagEnv('0.2.0'), logger);
    const drafts = github.repositories.get(OLD)!.releases.filter((r) => r.tag_name === 'v0.2.0');
    expect(drafts).toHaveLength(1);
    expect(created.release.id).toBe(drafts[0]!.id);
    expect(logger.text()).toMatch(/draft release \d+ for v0\.2\.0 already exists \(a re-run\): reusing it/);
  });

  it('a draft older than the 1000 releases GitHub lists cannot be found: the log says to delete it after publishing', async () => {
    const OLD = 'octo/ancient-draft';
    github.addRepository(OLD, { token: TOKEN });
    github.addRelease(OLD, { tag: 'v0.3.0', draft: true, files: {} });
    for (let i = 1; i <= 1000; i++) github.addRelease(OLD, { tag: `nightly-${i}`, files: {} });
    const logger = memoryLogger();
    const { api } = fakeGithubApi(github.url, OLD, TOKEN, logger);
    await runMode(api, { ...base, mode: 'create' }, tagEnv('0.3.0'), logger);
    expect(github.repositories.get(OLD)!.releases.filter((r) => r.tag_name === 'v0.3.0')).toHaveLength(2);
    expect(logger.text()).toMatch(/GitHub lists only the 1000 newest releases.*if an earlier run made a draft for v0\.3\.0.*delete the older draft of v0\.3\.0/s);
  });

  it('a create whose answer is lost (502 after GitHub made the draft) finds that draft instead of making a second', async () => {
    github.inject({ status: 502, after: true, match: ({ method, path }) => method === 'POST' && /\/releases$/.test(path) });
    const logger = memoryLogger();
    const { api } = fakeGithubApi(github.url, REPO, TOKEN, logger);
    const created = await runMode(api, { ...base, mode: 'create' }, tagEnv('3.3.0'), logger);
    expect(releasesOf('v3.3.0')).toHaveLength(1);
    expect(created.release.id).toBe(releasesOf('v3.3.0')[0]!.id);
    expect(logger.text()).toMatch(/HTTP 502.*looking for the draft/);
  });

  it('a create refused with a 5xx before GitHub made anything is tried again', async () => {
    github.inject({ status: 503, match: ({ method, path }) => method === 'POST' && /\/releases$/.test(path) });
    const { api } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
    await runMode(api, { ...base, mode: 'create' }, tagEnv('3.4.0'), memoryLogger());
    expect(releasesOf('v3.4.0')).toHaveLength(1);
  });
});

describe('release notes', () => {
  it("publish takes the body input, else the server's notes register-release handed on, else keeps GitHub's generated ones", async () => {
    const { api } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
    const created = await runMode(api, { ...base, mode: 'create' }, tagEnv('3.2.0'), memoryLogger());
    expect(created.release.body).toContain("What's Changed");
    const releaseId = String(created.release.id);
    const logger = memoryLogger();
    const fromServer = await runMode(api, { ...base, mode: 'publish', releaseId, serverNotes: 'From the server.' }, {}, logger);
    expect(fromServer.release.body).toBe('From the server.');
    expect(logger.text()).toContain("Release notes from the tauri-release server's release.");
    const given = await runMode(api, { ...base, mode: 'publish', releaseId, body: 'Given.', serverNotes: 'From the server.' }, {}, memoryLogger());
    expect(given.release.body).toBe('Given.');
    const patches = github.requests.filter((r) => r.method === 'PATCH').length;
    await runMode(api, { ...base, mode: 'publish', releaseId, body: 'Given.' }, {}, memoryLogger());
    expect(github.requests.filter((r) => r.method === 'PATCH').length).toBe(patches);
  });
});

describe('the DMG', () => {
  it('is attached only once notarized (a stapled ticket, Gatekeeper), as upload-r2 uploads it; one never notarized is skipped and named', async () => {
    const mac = await installFakeMacos();
    try {
      const { api } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
      const { release } = await runMode(api, { ...base, mode: 'create' }, tagEnv('3.8.0'), memoryLogger());
      const arm = await legDir('3.8.0', 'darwin-aarch64');
      const intel = await legDir('3.8.0', 'darwin-x86_64');
      const notarized = join(arm, 'dmg/My App_3.8.0_aarch64.dmg');
      const state = await mac.state();
      state.signatures = { [notarized]: 'Developer ID Application: Octo Org (TEAM123456)', [join(intel, 'dmg/My App_3.8.0_x64.dmg')]: 'Developer ID Application: Octo Org (TEAM123456)' };
      state.stapled = [notarized];
      await writeFile(join(mac.dir, 'state.json'), JSON.stringify(state));
      const checkDmg = notarizedDmgCheck(mac.runner(memoryLogger()));

      const upload = async (platform: string, dir: string) => {
        const logger = memoryLogger();
        const result = await runMode(api, { ...base, mode: 'upload', releaseId: String(release.id), platform, bundleDirs: [dir], checkDmg }, tagEnv('3.8.0'), logger);
        return { result, logger };
      };
      expect((await upload('darwin-aarch64', arm)).result.report.map((r) => r.name)).toContain('My.App_3.8.0_aarch64.dmg');
      const { result, logger } = await upload('darwin-x86_64', intel);
      expect(result.report.map((r) => r.name)).toEqual(['My.App_x64.app.tar.gz', 'My.App_x64.app.tar.gz.sig']);
      expect(result.skipped).toEqual([{ path: join(intel, 'dmg/My App_3.8.0_x64.dmg'), reason: expect.stringMatching(/^not notarized: no ticket is stapled/) }]);
      expect(logger.text()).toMatch(/warning: My App_3\.8\.0_x64\.dmg is not attached: not notarized/);
      expect(releasesOf('v3.8.0')[0]!.assets.map((a) => a.name).filter((name) => name.endsWith('.dmg'))).toEqual(['My.App_3.8.0_aarch64.dmg']);
    } finally {
      await mac.cleanup();
    }
  });
});

it("leaves out an earlier version's DMG left in the bundle folder", async () => {
  const dir = await legDir('3.9.0', 'darwin-aarch64');
  await writeFile(join(dir, 'dmg/My App_3.8.9_aarch64.dmg'), 'an earlier build, notarized and stapled');
  const { api } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
  const { release } = await runMode(api, { ...base, mode: 'create' }, tagEnv('3.9.0'), memoryLogger());
  const logger = memoryLogger();
  const result = await runMode(api, { ...base, mode: 'upload', releaseId: String(release.id), platform: 'darwin-aarch64', bundleDirs: [dir] }, tagEnv('3.9.0'), logger);
  expect(result.report.map((r) => r.name).filter((name) => name.endsWith('.dmg'))).toEqual(['My.App_3.9.0_aarch64.dmg']);
  expect(logger.text()).toMatch(/warning: My App_3\.8\.9_aarch64\.dmg is not attached: a DMG of another build/);
});

describe('notes longer than GitHub takes', () => {
  it('fails on the body input before any call, counting characters as GitHub does, not bytes', async () => {
    const { api } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
    const tooLong = 'x'.repeat(125_001);
    const before = github.requests.length;
    await expect(runMode(api, { ...base, mode: 'create', body: tooLong }, tagEnv('3.5.0'), memoryLogger())).rejects.toThrow(/^Input body is 125001 characters, and GitHub takes at most 125000/);
    await expect(runMode(api, { ...base, mode: 'publish', releaseId: '1', body: tooLong }, {}, memoryLogger())).rejects.toThrow(/^Input body is 125001 characters/);
    expect(github.requests.length).toBe(before);
    const created = await runMode(api, { ...base, mode: 'create', body: 'é'.repeat(125_000) }, tagEnv('3.5.0'), memoryLogger());
    expect(created.release.body).toHaveLength(125_000);
  });

  it("creates the draft without GitHub's generated notes when GitHub refuses them as too long", async () => {
    const repo = github.repositories.get(REPO)!;
    repo.generatedNotes = '* A pull request (#1)\n'.repeat(6_000);
    try {
      const logger = memoryLogger();
      const { api } = fakeGithubApi(github.url, REPO, TOKEN, logger);
      const created = await runMode(api, { ...base, mode: 'create' }, tagEnv('3.6.0'), logger);
      expect(created.release.draft).toBe(true);
      expect(releasesOf('v3.6.0')).toHaveLength(1);
      expect(logger.text()).toMatch(/warning: GitHub refused its own generated notes for v3\.6\.0 \(.*HTTP 422: Validation Failed: body is too long \(maximum is 125000 characters\)\)/);
    } finally {
      delete repo.generatedNotes;
    }
  });

  it("says GitHub's reason for a 422, not only \"Validation Failed\"", async () => {
    const { api } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
    const { release } = await runMode(api, { ...base, mode: 'create' }, tagEnv('3.7.0'), memoryLogger());
    const error = (await api.updateRelease(release.id, { body: 'y'.repeat(125_001) }).catch((e: unknown) => e)) as GithubApiError;
    expect(error.message).toMatch(/HTTP 422: Validation Failed: body is too long \(maximum is 125000 characters\)$/);
    expect(error.fields).toEqual(['body']);
  });
});

describe('failures', () => {
  it('names what is missing or wrong in the inputs', async () => {
    const { api } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
    await expect(runMode(api, { ...base, mode: 'upload', platform: 'linux-x86_64', bundleDirs: [root] }, {}, memoryLogger())).rejects.toThrow(/release-id is empty.*needs\.plan\.outputs\.release-id/);
    await expect(runMode(api, { ...base, mode: 'publish', releaseId: 'v1' }, {}, memoryLogger())).rejects.toThrow(/must be a GitHub release id/);
    await expect(runMode(api, { ...base, mode: 'create' }, { GITHUB_REF: 'refs/heads/main' }, memoryLogger())).rejects.toThrow(/not started by a tag/);
    await expect(runMode(api, { ...base, mode: 'upload', releaseId: '1', platform: 'linux-x86_64', bundleDirs: [join(root, 'nope')] }, {}, memoryLogger())).rejects.toThrow(/is not a folder/);
    await expect(runMode(api, { ...base, mode: 'publish', releaseId: '999999' }, {}, memoryLogger())).rejects.toThrow(/octo\/my-app has no release 999999 this token can see: pass the release-id output of mode create/);
  });

  it('a token without contents: write gets the hint; a wrong one is not retried', async () => {
    github.inject({ status: 403, message: 'Resource not accessible by integration' });
    const { api, waits } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
    await expect(api.listReleases()).rejects.toThrow(/HTTP 403: Resource not accessible by integration\. Does the token have `contents: write`/);
    const wrong = fakeGithubApi(github.url, REPO, 'ghs_wrong', memoryLogger());
    await expect(wrong.api.getRelease(1)).rejects.toThrow(/HTTP 401: Bad credentials/);
    expect([...waits, ...wrong.waits]).toEqual([]);
  });

  it('an answer that echoes the token back does not get it into the message or the log', async () => {
    github.inject({ status: 502, message: `proxy refused Authorization: Bearer ${TOKEN}` });
    github.inject({ status: 422, message: `token ${TOKEN} may not do this` });
    const logger = memoryLogger();
    const { api } = fakeGithubApi(github.url, REPO, TOKEN, logger);
    const error = (await api.getRelease(1).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('HTTP 422: token *** may not do this');
    expect(logger.text()).toContain('Authorization: Bearer ***');
    expect(`${error.message}\n${logger.text()}`).not.toContain(TOKEN);
  });

  it('retries 5xx until the attempts run out, and does not wait longer than it may for a rate limit', async () => {
    github.inject({ status: 500, times: 6 });
    const { api, waits } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
    await expect(api.listReleases()).rejects.toBeInstanceOf(GithubApiError);
    expect(waits).toHaveLength(5);
    github.inject({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600) } });
    await expect(api.listReleases()).rejects.toThrow(/GitHub asks to wait \d+ s, longer than this step waits: re-run the job later/);
  });

  it('a GitHub that stops answering fails a call after its own timeout, not the long one uploads get', async () => {
    github.mode('hang');
    try {
      const waits: number[] = [];
      const api = new GithubApi({
        apiUrl: github.url, repository: REPO, token: new Secret('github-token', TOKEN), logger: memoryLogger(),
        attempts: 2, timeoutMs: 120_000, callTimeoutMs: 200, backoff: () => 10, sleep: async (ms) => void waits.push(ms),
      });
      const started = Date.now();
      await expect(api.listReleases()).rejects.toThrow(/releases: no answer/);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(waits).toEqual([10]);
    } finally {
      github.mode('ok');
    }
  }, 20_000);

  it('waits a minute for a secondary rate limit that names no wait', async () => {
    github.inject({ status: 403, message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' });
    const { api, waits } = fakeGithubApi(github.url, REPO, TOKEN, memoryLogger());
    await api.listReleases();
    expect(waits).toEqual([60_000]);
  });
});

describe('githubAssetName', () => {
  it('spells a name as GitHub stores it', () => {
    expect(githubAssetName('My App_1.2.0_x64-setup.exe')).toBe('My.App_1.2.0_x64-setup.exe');
    expect(githubAssetName('app (beta)+1.dmg')).toBe('app..beta..1.dmg');
    expect(githubAssetName('my-app_1.2.0_amd64.AppImage.sig')).toBe('my-app_1.2.0_amd64.AppImage.sig');
  });
});

// Kept last: the fixture writer's files must stay what tauri build names them.
it('writes files a real bundle folder has', async () => {
  const dir = join(root, 'probe');
  await writeLeg(dir, 'linux-x86_64', '9.9.9');
  await writeFile(join(dir, 'README.txt'), 'not an asset');
  const { releaseFiles } = await import('./release-files.ts');
  const files = await releaseFiles([dir], ['linux-x86_64']);
  expect(files.map((f) => [f.name, f.kind])).toEqual([
    ['my-app-9.9.9-1.x86_64.rpm', 'updater'],
    ['my-app-9.9.9-1.x86_64.rpm.sig', 'signature'],
    ['my-app_9.9.9_amd64.AppImage', 'updater'],
    ['my-app_9.9.9_amd64.AppImage.sig', 'signature'],
    ['my-app_9.9.9_amd64.deb', 'updater'],
    ['my-app_9.9.9_amd64.deb.sig', 'signature'],
  ]);
});
