/**
 * register-release's main with `@actions/core` mocked, against the real control plane; `core.getIDToken` hands out
 * tokens of the local issuer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createCoreMock } from '../../shared/src/core-mock.ts';
import { startLocalControlPlane, type LocalControlPlane } from '../../shared/src/control-plane-testing.ts';
import { CREDENTIAL_ENV, CREDENTIAL_SCOPE_ENV, CredentialSource } from '../../shared/src/ci-credentials.ts';
import { ControlPlane } from '../../shared/src/control-plane.ts';
import { Secret } from '../../shared/src/secret.ts';
import { memoryLogger } from '../../shared/src/testing.ts';
import { discoverArtifacts } from '../../upload-r2/src/discover.ts';
import { uploadPresigned } from '../../upload-r2/src/presigned.ts';
import { toCiArtifact } from '../../upload-r2/src/summary.ts';

const core = createCoreMock();
jest.unstable_mockModule('@actions/core', () => core);
const { run } = await import('./main.ts');

let cp: LocalControlPlane;
let artifactsJson: string;
const saved = { ...process.env };

beforeAll(async () => {
  cp = await startLocalControlPlane();
  await cp.createApp('my-app', { canPublish: true });
  await cp.createApp('drafts-only', { canPublish: false });
  const dir = join(cp.dir, 'bundle');
  await cp.signedFile(join(dir, 'macos', 'My App.app.tar.gz'), randomBytes(30_000), '1.5.0');
  const { artifacts } = await discoverArtifacts({ dirs: [dir], platforms: ['darwin-aarch64'], version: '1.5.0' }, memoryLogger());
  const admin = new ControlPlane({ serverUrl: cp.url, app: 'my-app', credentials: new CredentialSource({ apiKey: new Secret('k', await cp.ciApiKey('my-app', 'admin')), logger: memoryLogger() }), logger: memoryLogger() });
  await uploadPresigned(admin, '1.5.0', artifacts, { logger: memoryLogger() });
  artifactsJson = JSON.stringify(artifacts.map(toCiArtifact));
}, 60_000);
afterAll(async () => {
  process.env = saved;
  await cp?.close();
});

beforeEach(() => {
  for (const name of [CREDENTIAL_ENV, CREDENTIAL_SCOPE_ENV, 'GITHUB_REF']) delete process.env[name];
  Object.assign(process.env, { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://runner.invalid/idtoken?x=1', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'r', GITHUB_STEP_SUMMARY: '/dev/null' });
  core.getIDToken.mockImplementation(async (audience) => cp.issuer.mint({ aud: audience }));
});

describe('register-release main', () => {
  it('registers (checks) the leg, publishes, and writes release id, update URL, status and the summary', async () => {
    core.reset({ 'server-url': cp.url, app: 'my-app', artifacts: artifactsJson, notes: 'Dark mode.\n\nAnd fixes.', publish: 'true' });
    process.env.GITHUB_REF = 'refs/tags/v1.5.0';
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.recorded.outputs).toEqual({
      'release-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'update-url': `${cp.url}/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`,
      status: 'published',
      version: '1.5.0',
      notes: 'Dark mode.\n\nAnd fixes.',
    });
    expect(core.recorded.secrets).toContain(core.recorded.exported[CREDENTIAL_ENV]);
    // Handed to actions/github-release in a later step of the job, for the GitHub release's notes.
    expect(core.recorded.exported.TAURI_RELEASE_NOTES).toBe('Dark mode.\n\nAnd fixes.');
    expect(core.recorded.summary).toContain('### Release 1.5.0 of my-app: published (published by this step)');
    expect(core.recorded.summary).toMatch(/\| darwin-aarch64 \| app \| My App_aarch64\.app\.tar\.gz \| 29\.3 KiB \| `[0-9a-f]{64}` \| ready \| [0-9A-F]{16} \| checked \|/);
    expect((await cp.admin('GET', '/admin/apps/my-app/releases/1.5.0')).body.notes).toBe('Dark mode.\n\nAnd fixes.');
  });

  it('a drafts-only publisher: the step fails naming who publishes, after the draft is made', async () => {
    core.reset({ 'server-url': cp.url, app: 'drafts-only', version: '0.1.0', publish: 'true' });
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringMatching(/^Publishing release 0\.1\.0 was refused: .*can_publish is false.*The draft is registered; an admin publishes it/));
    expect((await cp.admin('GET', '/admin/apps/drafts-only/releases/0.1.0')).body.status).toBe('draft');
  });

  it('an api-key is used as given (masked), with no OIDC token', async () => {
    const key = await cp.ciApiKey('my-app', 'ci');
    core.reset({ 'server-url': cp.url, app: 'my-app', version: '1.6.0', 'api-key': key });
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.getIDToken).not.toHaveBeenCalled();
    expect(core.recorded.secrets).toEqual([key]);
    expect(core.recorded.exported).toEqual({});
    expect(core.recorded.outputs.status).toBe('draft');
  });

  it('bad inputs fail the step before any call: artifacts, publish, server-url, app', async () => {
    for (const [inputs, message] of [
      [{ artifacts: '{"x":1}' }, 'Input artifacts: '],
      [{ publish: 'yes' }, 'Input publish must be true or false, not "yes".'],
      [{ 'server-url': 'updates.example.com' }, 'Input server-url "updates.example.com" is not a URL'],
      [{ app: '' }, 'Input app is empty'],
    ] as const) {
      core.reset({ 'server-url': cp.url, app: 'my-app', version: '9.0.0', ...inputs });
      await run();
      expect(core.setFailed).toHaveBeenCalledWith(expect.stringContaining(message));
      expect(core.getIDToken).not.toHaveBeenCalled();
    }
  });
});
