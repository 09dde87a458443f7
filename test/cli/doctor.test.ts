/**
 * `tauri-release doctor` as a child process against the real server, on an app with a published release uploaded
 * by the CLI itself: a correct tauri.conf.json (every check ok, exit 0), then one broken setup per check, each
 * reported under its own name with a fix, and exit 1. The signing-key check runs the real `tauri signer sign`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '../support/server.ts';
import { generateTauriKey, type TauriKey, tauriSign } from '../support/tauri-signer.ts';
import { cli, type CliOptions } from './run-cli.ts';

let server: RunningServer;
let dir: string;
let key: TauriKey;
let otherKey: TauriKey;

interface Finding {
  check: string;
  status: 'ok' | 'problem' | 'skipped';
  message: string;
  fix?: string;
}
interface Report {
  ok: boolean;
  problems: number;
  findings: Finding[];
}

const run = (args: readonly string[], options: CliOptions = {}) =>
  cli(args, { ...options, env: { TAURI_RELEASE_URL: server.url, TAURI_RELEASE_KEY: server.adminToken, XDG_CONFIG_HOME: join(dir, 'no-config'), ...options.env } });

/** A correct Tauri 2 config for doc-app, with `change` applied to a copy. */
function config(change: (config: Record<string, any>) => void = () => {}): Record<string, unknown> {
  const value: Record<string, any> = {
    productName: 'Doc App',
    version: '1.1.0',
    identifier: 'com.example.docapp',
    bundle: { active: true, createUpdaterArtifacts: true },
    plugins: {
      updater: {
        pubkey: key.publicKey.trim(),
        endpoints: [`${server.url}/update/doc-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`, `${server.url}/doc-app/latest.json`],
      },
    },
  };
  change(value);
  return value;
}

let configCount = 0;
async function doctor(conf: Record<string, unknown>, env: Record<string, string> = { TAURI_SIGNING_PRIVATE_KEY: key.path, TAURI_SIGNING_PRIVATE_KEY_PASSWORD: '' }) {
  const path = join(dir, `tauri.${++configCount}.conf.json`);
  await writeFile(path, JSON.stringify(conf, null, 2));
  const result = await run(['doctor', '--app', 'doc-app', '--config', path, '--json'], { env });
  return { result, report: result.json<Report>() };
}

const problems = (report: Report) => report.findings.filter((f) => f.status === 'problem');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-doctor-'));
  [server, key, otherKey] = await Promise.all([startServer(), generateTauriKey(dir, 'updater.key'), generateTauriKey(dir, 'other.key')]);
  expect((await run(['apps', 'create', 'doc-app', '--name', 'Doc App', '--public-key-file', `${key.path}.pub`])).code).toBe(0);
  const bundle = join(dir, 'doc-app_1.0.0_amd64.AppImage');
  await writeFile(bundle, Buffer.alloc(40_000, 3));
  await tauriSign(key, bundle, '1.0.0');
  expect((await run(['upload', bundle, '--app', 'doc-app', '--version', '1.0.0', '--publish'])).code).toBe(0);
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a correct setup', () => {
  it('passes every check, the signing key included, and exits 0', async () => {
    const { result, report } = await doctor(config());
    expect(result.code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.findings.map((f) => `${f.check} ${f.status}`)).toEqual([
      'pubkey ok',
      'updater-artifacts ok',
      'endpoints ok',
      'endpoints ok',
      'failover ok',
      'signing-key ok',
      'version ok',
    ]);
    expect(report.findings.find((f) => f.check === 'endpoints')!.message).toBe(`${server.url}/update/doc-app/linux/x86_64/0.0.0?bundle_type=appimage answers 200 (linux-x86_64 appimage)`);
    expect(report.findings.find((f) => f.check === 'version')!.message).toBe('version 1.1.0 is newer than 1.0.0, the latest published');
  });

  it('prints each finding on its own line in human form; without a signing key that check is skipped, not failed', async () => {
    const path = join(dir, 'src-tauri', 'tauri.conf.json');
    await rm(join(dir, 'src-tauri'), { recursive: true, force: true });
    await mkdir(join(dir, 'src-tauri'));
    // The version comes from the package.json the config points to, as Tauri reads it.
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'doc-app', version: '1.2.0' }));
    await writeFile(path, JSON.stringify(config((c) => (c.version = '../package.json'))));
    const result = await run(['doctor', '--app', 'doc-app'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ok +pubkey: plugins\.updater\.pubkey is the server's key for doc-app \([0-9A-F]{16}\)$/m);
    expect(result.stdout).toMatch(/^skipped +signing-key: TAURI_SIGNING_PRIVATE_KEY is not set here/m);
    expect(result.stdout).toMatch(/^ok +version: version 1\.2\.0 is newer than 1\.0\.0/m);
    expect(result.stdout).toMatch(/no problems found for doc-app\n$/);
  });
});

describe('broken setups, each finding named', () => {
  it('pubkey: another key than the server verifies with', async () => {
    const { result, report } = await doctor(config((c) => (c.plugins.updater.pubkey = otherKey.publicKey.trim())));
    expect(result.code).toBe(1);
    expect(problems(report).map((f) => f.check)).toEqual(['pubkey', 'signing-key']);
    expect(problems(report)[0]!.message).toMatch(/^plugins\.updater\.pubkey is key [0-9A-F]{16}, but the server verifies doc-app's uploads with key [0-9A-F]{16}/);
    expect(problems(report)[0]!.fix).toContain(key.publicKey.trim());
  });

  it('updater-artifacts: bundle.createUpdaterArtifacts not set', async () => {
    const { result, report } = await doctor(config((c) => delete c.bundle.createUpdaterArtifacts));
    expect(result.code).toBe(1);
    expect(problems(report)).toEqual([
      {
        check: 'updater-artifacts',
        status: 'problem',
        message: 'bundle.createUpdaterArtifacts is not set, so tauri build writes no updater bundles or .sig files',
        fix: 'set "bundle": {"createUpdaterArtifacts": true} in tauri.conf.json',
      },
    ]);
  });

  it('endpoints: an update URL with a misspelt app answers 404', async () => {
    const { result, report } = await doctor(config((c) => (c.plugins.updater.endpoints[0] = `${server.url}/update/doc-ap/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`)));
    expect(result.code).toBe(1);
    const found = problems(report);
    expect(found.map((f) => f.check)).toEqual(['endpoints']);
    expect(found[0]!.message).toBe(`${server.url}/update/doc-ap/linux/x86_64/0.0.0?bundle_type=appimage answers 404: no app "doc-ap" (linux-x86_64 appimage)`);
    expect(found[0]!.fix).toContain(`${server.url}/update/doc-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`);
  });

  it('failover: no static latest.json as a second endpoint', async () => {
    const { result, report } = await doctor(config((c) => c.plugins.updater.endpoints.pop()));
    expect(result.code).toBe(1);
    const found = problems(report);
    expect(found.map((f) => f.check)).toEqual(['failover']);
    expect(found[0]!.fix).toContain(`"${server.url}/doc-app/latest.json"`);
  });

  it('signing-key: TAURI_SIGNING_PRIVATE_KEY is another key\'s private half', async () => {
    const { result, report } = await doctor(config(), { TAURI_SIGNING_PRIVATE_KEY: (await readFile(otherKey.path, 'utf8')).trim(), TAURI_SIGNING_PRIVATE_KEY_PASSWORD: '' });
    expect(result.code).toBe(1);
    const found = problems(report);
    expect(found.map((f) => f.check)).toEqual(['signing-key']);
    expect(found[0]!.message).toMatch(/^TAURI_SIGNING_PRIVATE_KEY is not the private half of plugins\.updater\.pubkey \(signed with key [0-9A-F]{16} but/);
    expect(result.stdout).not.toContain((await readFile(otherKey.path, 'utf8')).trim());
  });

  it('signing-key: TAURI_SIGNING_PRIVATE_KEY names a path that cannot be read is a finding, not an internal error', async () => {
    const folder = join(dir, 'key-folder');
    await mkdir(folder, { recursive: true });
    const { result, report } = await doctor(config(), { TAURI_SIGNING_PRIVATE_KEY: folder, TAURI_SIGNING_PRIVATE_KEY_PASSWORD: '' });
    expect(result.code).toBe(1);
    const found = problems(report);
    expect(found.map((f) => f.check)).toEqual(['signing-key']);
    expect(found[0]!.message).toBe(`TAURI_SIGNING_PRIVATE_KEY names ${folder}, which cannot be read (EISDIR)`);
    expect(result.stderr).not.toMatch(/internal/);
  });

  it('version: not newer than the latest published', async () => {
    const { result, report } = await doctor(config((c) => (c.version = '1.0.0')));
    expect(result.code).toBe(1);
    expect(problems(report)).toEqual([
      {
        check: 'version',
        status: 'problem',
        message: 'version 1.0.0 is not newer than 1.0.0, the latest published: installs on 1.0.0 would never be offered this build',
        fix: 'bump "version" above 1.0.0 before building the next release',
      },
    ]);
  });

  it('several at once, in human form with a fix under each', async () => {
    const path = join(dir, 'broken.conf.json');
    await writeFile(path, JSON.stringify(config((c) => {
      delete c.bundle.createUpdaterArtifacts;
      c.plugins.updater.endpoints = [c.plugins.updater.endpoints[0]];
      c.version = '0.9.0';
    })));
    const result = await run(['doctor', '--app', 'doc-app', '--config', path]);
    expect(result.code).toBe(1);
    expect(result.stdout.match(/^PROBLEM +[a-z-]+:/gm)).toEqual(['PROBLEM  updater-artifacts:', 'PROBLEM  failover:', 'PROBLEM  version:']);
    expect(result.stdout.match(/^ +fix: /gm)).toHaveLength(3);
    expect(result.stdout).toMatch(/3 problems found for doc-app\n$/);
  });

  it('a config that is not JSON, or an unknown app, is not a finding: usage (2) and the server\'s refusal (1)', async () => {
    const path = join(dir, 'broken.json5');
    await writeFile(path, '{ // json5\n }');
    expect((await run(['doctor', '--app', 'doc-app', '--config', path])).code).toBe(2);
    const unknown = await run(['doctor', '--app', 'nope', '--config', join(dir, 'broken.conf.json')]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: not_found: app "nope" not found');
  });
});

describe('a licensed app', () => {
  const licensedConfig = (endpoints: string[]) => config((c) => (c.plugins.updater.endpoints = endpoints));
  const updateUrl = () => `${server.url}/update/lic-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}`;
  let ciKey = '';

  beforeAll(async () => {
    expect((await run(['apps', 'create', 'lic-app', '--name', 'Lic App', '--public-key-file', `${key.path}.pub`])).code).toBe(0);
    const bundle = join(dir, 'lic-app_1.0.0_amd64.AppImage');
    await writeFile(bundle, Buffer.alloc(40_000, 5));
    await tauriSign(key, bundle, '1.0.0');
    expect((await run(['upload', bundle, '--app', 'lic-app', '--version', '1.0.0', '--publish'])).code).toBe(0);
    expect((await run(['licensing', '--app', 'lic-app', '--mode', 'licensed'])).code).toBe(0);
    const keyFile = join(dir, 'lic-app-ci.key');
    expect((await run(['keys', 'create', '--name', 'lic-ci', '--scope', 'ci', '--app', 'lic-app', '--out', keyFile])).code).toBe(0);
    ciKey = (await readFile(keyFile, 'utf8')).trim();
  });

  async function licensedDoctor(endpoints: string[], env: Record<string, string> = {}) {
    const path = join(dir, `tauri.${++configCount}.conf.json`);
    await writeFile(path, JSON.stringify(licensedConfig(endpoints), null, 2));
    const result = await run(['doctor', '--app', 'lic-app', '--config', path, '--json'], { env });
    return { result, report: result.json<Report>() };
  }

  it('passes with the update endpoint alone: its 401 license_required is the right answer, and no latest.json is right', async () => {
    const { result, report } = await licensedDoctor([updateUrl()]);
    expect(result.code).toBe(0);
    expect(report.findings.map((f) => `${f.check} ${f.status}`)).toEqual(['pubkey ok', 'updater-artifacts ok', 'endpoints ok', 'failover ok', 'signing-key skipped', 'version ok']);
    expect(report.findings.find((f) => f.check === 'endpoints')!.message).toBe(
      `${server.url}/update/lic-app/linux/x86_64/0.0.0?bundle_type=appimage answers 401 license_required (linux-x86_64 appimage): lic-app is licensed, and installs send their key (Authorization: License <key>)`,
    );
  });

  it('names a listed latest.json as the problem, with the fix to remove it, whether the key may read the mode or not', async () => {
    for (const env of [{}, { TAURI_RELEASE_KEY: ciKey }] as Record<string, string>[]) {
      const { result, report } = await licensedDoctor([updateUrl(), `${server.url}/lic-app/latest.json`], env);
      expect(result.code).toBe(1);
      expect(problems(report)).toEqual([
        {
          check: 'failover',
          status: 'problem',
          message: `${server.url}/lic-app/latest.json is listed, but lic-app is licensed and has no static latest.json (it answers 404 app_licensed)`,
          fix: `remove it from plugins.updater.endpoints: a licensed app lists only ${updateUrl()}`,
        },
      ]);
    }
  });
});
