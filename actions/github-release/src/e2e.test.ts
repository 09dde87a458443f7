/**
 * The bundled action (dist/index.js) run as the runner runs it, in its three modes, against the fake GitHub REST API:
 * inputs and outputs through the runner's files, the token masked, the summary written. Rebuild with
 * `npm run build:actions github-release` after changing src/.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJob } from '../../shared/src/testing.ts';
import { type FakeGithub, startFakeGithub } from '../../../test/support/fake-github.ts';
import { type FakeMacos, installFakeMacos } from '../../../test/support/fake-macos/index.ts';
import { writeLeg } from './testing.ts';

const ACTION = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const REPO = 'octo/desktop';
const TOKEN = 'ghs_e2e_secret_token';

let github: FakeGithub;
let mac: FakeMacos;
beforeAll(async () => {
  github = await startFakeGithub();
  github.addRepository(REPO, { token: TOKEN });
  mac = await installFakeMacos();
});
afterAll(async () => {
  await github?.close();
  await mac?.cleanup();
});

it('plan job creates the draft, a macOS leg attaches its DMG and updater bundle, the publish job publishes with latest.json', async () => {
  const env = { GITHUB_API_URL: github.url, GITHUB_SERVER_URL: github.url, GITHUB_REPOSITORY: REPO, GITHUB_REF: 'refs/tags/v4.0.0', GITHUB_REF_TYPE: 'tag', GITHUB_REF_NAME: 'v4.0.0' };
  const token = { 'github-token': TOKEN };

  const plan = await createJob();
  const created = await plan.run(ACTION, { inputs: { ...token }, env });
  expect(created.errors).toEqual([]);
  expect(created.code).toBe(0);
  expect(created.outputs).toMatchObject({ 'release-id': expect.stringMatching(/^\d+$/), tag: 'v4.0.0', status: 'draft' });
  expect(created.commands).toContainEqual(expect.objectContaining({ command: 'add-mask', message: TOKEN }));
  await plan.cleanup();

  const leg = await createJob();
  const bundle = join(leg.workspace, 'bundle');
  await writeLeg(bundle, 'darwin-aarch64', '4.0.0');
  // The DMG as notarize-dmg leaves it on a Mac (the fake xcrun and spctl answer from this state): signed and stapled.
  const dmg = join(bundle, 'dmg/My App_4.0.0_aarch64.dmg');
  await writeFile(join(mac.dir, 'state.json'), JSON.stringify({ ...(await mac.state()), signatures: { [dmg]: 'Developer ID Application: Octo Org (TEAM123456)' }, stapled: [dmg] }));
  const upload = await leg.run(ACTION, {
    inputs: { ...token, mode: 'upload', 'release-id': created.outputs['release-id']!, platform: 'darwin-aarch64', 'bundle-dir': bundle },
    env,
    pathPrepend: [mac.binDir],
  });
  expect(upload.errors).toEqual([]);
  expect(JSON.parse(upload.outputs.assets!)).toEqual([
    { name: 'My.App_4.0.0_aarch64.dmg', size: expect.any(Number), outcome: 'uploaded' },
    { name: 'My.App_aarch64.app.tar.gz', size: expect.any(Number), outcome: 'uploaded' },
    { name: 'My.App_aarch64.app.tar.gz.sig', size: expect.any(Number), outcome: 'uploaded' },
  ]);
  expect(upload.summary).toContain('| My.App_4.0.0_aarch64.dmg |');
  expect(upload.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n')).not.toContain(TOKEN);
  await leg.cleanup();

  const final = await createJob();
  const publish = await final.run(ACTION, { inputs: { ...token, mode: 'publish', 'release-id': created.outputs['release-id']!, 'latest-json': 'true' }, env });
  expect(publish.errors).toEqual([]);
  expect(publish.outputs.status).toBe('published');
  const release = github.repositories.get(REPO)!.releases[0]!;
  expect(release.draft).toBe(false);
  const latest = JSON.parse(release.assets.find((a) => a.name === 'latest.json')!.data.toString());
  expect(Object.keys(latest.platforms)).toEqual(['darwin-aarch64', 'darwin-aarch64-app']);
  expect(latest.platforms['darwin-aarch64'].url).toBe(`${github.url}/${REPO}/releases/download/v4.0.0/My.App_aarch64.app.tar.gz`);

  const bad = await final.run(ACTION, { inputs: { ...token, mode: 'ship' }, env });
  expect(bad.code).toBe(1);
  expect(bad.errors).toEqual(['Input mode must be create, upload or publish, not "ship".']);
  await final.cleanup();
});
