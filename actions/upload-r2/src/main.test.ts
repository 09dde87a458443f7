/**
 * upload-r2's main with `@actions/core` mocked (inputs, outputs, masks, exported variables, summary), against the
 * real control plane; `core.getIDToken` hands out tokens of the local issuer, as the runner would.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createCoreMock } from '../../shared/src/core-mock.ts';
import { startLocalControlPlane, type LocalControlPlane } from '../../shared/src/control-plane-testing.ts';
import { CREDENTIAL_ENV, CREDENTIAL_SCOPE_ENV } from '../../shared/src/ci-credentials.ts';

const core = createCoreMock();
jest.unstable_mockModule('@actions/core', () => core);
const { run } = await import('./main.ts');

let cp: LocalControlPlane;
let bundle: string;
const saved = { ...process.env };

beforeAll(async () => {
  cp = await startLocalControlPlane();
  await cp.createApp('my-app');
  bundle = join(cp.dir, 'target', 'x86_64-unknown-linux-gnu', 'release', 'bundle');
  await cp.signedFile(join(bundle, 'deb', 'my-app_3.0.0_amd64.deb'), randomBytes(40_000), '3.0.0');
  await cp.signedFile(join(bundle, 'appimage', 'my-app_3.0.0_amd64.AppImage'), randomBytes(60_000), '3.0.0');
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

const inputs = (over: Record<string, string> = {}) => ({ 'server-url': `${cp.url}/`, app: 'my-app', version: '3.0.0', platform: 'linux-x86_64', 'bundle-dir': bundle, ...over });

describe('upload-r2 main', () => {
  it('exchanges the OIDC token (masked, passed on to later steps), uploads, and writes the artifacts output and the summary', async () => {
    core.reset(inputs());
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.getIDToken).toHaveBeenCalledWith(cp.url);

    const credential = core.recorded.exported[CREDENTIAL_ENV]!;
    expect(credential).toMatch(/^trci_/);
    expect(core.recorded.secrets).toContain(credential);
    expect(JSON.parse(core.recorded.exported[CREDENTIAL_SCOPE_ENV]!)).toEqual({ server: cp.url, app: 'my-app', expires_at: expect.any(String) });
    // Masked before anything was logged.
    expect(core.setSecret.mock.invocationCallOrder[0]!).toBeLessThan(core.info.mock.invocationCallOrder.find((order, i) => String(core.info.mock.calls[i]![0]).startsWith('Exchanged'))!);

    const artifacts = JSON.parse(core.recorded.outputs.artifacts!);
    expect(artifacts).toEqual([
      { platform: 'linux-x86_64', bundle: 'appimage', file_name: 'my-app_3.0.0_amd64.AppImage', size: 60_000, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), signature: expect.any(String) },
      { platform: 'linux-x86_64', bundle: 'deb', file_name: 'my-app_3.0.0_amd64.deb', size: 40_000, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), signature: expect.any(String) },
    ]);
    expect(core.recorded.summary).toContain('| my-app_3.0.0_amd64.deb | linux-x86_64 | deb | 39.1 KiB | `' + artifacts[1].sha256 + '` | presigned PUT, ');
    expect(core.recorded.log.join('\n')).not.toContain(credential);
  });

  it('reuses the credential an earlier step exported, without asking for an OIDC token', async () => {
    core.reset(inputs());
    await run();
    Object.assign(process.env, { [CREDENTIAL_ENV]: core.recorded.exported[CREDENTIAL_ENV], [CREDENTIAL_SCOPE_ENV]: core.recorded.exported[CREDENTIAL_SCOPE_ENV] });
    core.reset(inputs());
    await run();
    expect(core.setFailed).not.toHaveBeenCalled();
    expect(core.getIDToken).not.toHaveBeenCalled();
    expect(core.recorded.secrets).toContain(process.env[CREDENTIAL_ENV]);
    expect(core.recorded.summary).toContain('already uploaded (same sha256)');
  });

  it('without id-token: write and without api-key: fails saying which to add', async () => {
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL;
    core.reset(inputs());
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringContaining('add `permissions: id-token: write` to the job, or pass a CI API key as api-key'));
    expect(core.recorded.outputs).toEqual({});
  });

  it('an empty S3 secret in mode s3 is called out as an empty secret', async () => {
    core.reset(inputs({ mode: 's3', 's3-endpoint': cp.s3.endpoint, 's3-bucket': 'artifacts', 's3-access-key-id': 'S3RVER', 's3-secret-access-key': '  ' }));
    await run();
    expect(core.setFailed).toHaveBeenCalledWith(expect.stringMatching(/^mode is s3 but s3-secret-access-key is empty \(an unset or misspelled/));
    expect(core.recorded.secrets).toContain('S3RVER');
  });

  it('an unknown mode, a bad platform and a missing version are refused before anything is read', async () => {
    core.reset(inputs({ mode: 'ftp' }));
    await run();
    expect(core.setFailed).toHaveBeenLastCalledWith('Input mode must be presigned or s3, not "ftp".');
    core.reset(inputs({ platform: 'linux-x64' }));
    await run();
    expect(core.setFailed).toHaveBeenLastCalledWith(expect.stringContaining('"linux-x64" is not a platform key'));
    core.reset(inputs({ version: '' }));
    await run();
    expect(core.setFailed).toHaveBeenLastCalledWith(expect.stringContaining('Input version is empty and this run was not started by a tag'));
  });
});
