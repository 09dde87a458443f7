/**
 * The admin commands of `tauri-release`, each run as a child process against the real server (`api/_src/local.ts` with
 * PGlite and files, as `npm start` runs it): login and the stored config, every apps/releases/artifacts/keys/
 * publishers/audit/stats subcommand in human and --json form, --dry-run sending nothing, and the exit codes
 * (1 refused, 2 usage, 3 network). Results are checked against what the server then holds, through its own API.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type RunningServer, startServer } from '../support/server.ts';
import { generateTauriKey, type TauriKey, tauriSign } from '../support/tauri-signer.ts';
import { cli, type CliOptions, errorLine } from './run-cli.ts';

let server: RunningServer;
let dir: string;
let key: TauriKey;
/** XDG_CONFIG_HOME of the logged-in user. */
let config: string;

const run = (args: readonly string[], options: CliOptions = {}) => cli(args, { ...options, env: { XDG_CONFIG_HOME: config, ...options.env } });
const auditCount = async () => ((await (await server.admin('/admin/audit?limit=200')).json()) as { entries: unknown[] }).entries.length;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-commands-'));
  config = join(dir, 'config');
  [server, key] = await Promise.all([startServer(), generateTauriKey(dir, 'updater.key')]);
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('login, whoami, logout', () => {
  it('refuses a key the server refuses and stores nothing', async () => {
    const result = await run(['login', '--url', server.url], { input: 'trk_not-a-real-key\n' });
    expect(result.code).toBe(1);
    expect(errorLine(result)).toMatch(/^error: unauthorized: /);
    await expect(stat(join(config, 'tauri-release', 'config.json'))).rejects.toThrow(/ENOENT/);
  });

  it('stores the URL and the key read from stdin in a 0600 file, and never prints the key', async () => {
    const result = await run(['login', '--url', `${server.url}/`], { input: `${server.adminToken}\n` });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`logged in to ${server.url} with key ${server.adminToken.slice(0, 4)}…`);
    const path = join(config, 'tauri-release', 'config.json');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(config, 'tauri-release'))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ url: server.url, key: server.adminToken });
    expect(result.stdout + result.stderr).not.toContain(server.adminToken);
  });

  it('whoami names the server and the key by its prefix only', async () => {
    const human = await run(['whoami']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/server: +http:\/\/127\.0\.0\.1:\d+ \(from config\)/);
    expect(human.stdout).toMatch(/name: +ADMIN_TOKEN/);
    expect(human.stdout + human.stderr).not.toContain(server.adminToken);
    const json = (await run(['whoami', '--json'])).json();
    expect(json).toMatchObject({ url: server.url, key_prefix: 'e2e-…', key_from: 'config', scope: 'admin' });
  });

  it('TAURI_RELEASE_URL and TAURI_RELEASE_KEY override the stored config', async () => {
    const created = (await (await server.admin('/admin/keys', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'env key', scope: 'admin' }) })).json()) as { key: string; key_prefix: string };
    const result = await run(['whoami', '--json'], { env: { TAURI_RELEASE_KEY: created.key } });
    expect(result.json()).toMatchObject({ key_prefix: `${created.key_prefix}…`, key_from: 'env', url_from: 'config', name: 'env key', scope: 'admin' });
    expect(result.stdout).not.toContain(created.key);
  });

  it('logout deletes the stored key; commands then ask to log in (exit 2)', async () => {
    const other = join(dir, 'other-config');
    expect((await cli(['login', '--url', server.url, '--key', server.adminToken], { env: { XDG_CONFIG_HOME: other } })).code).toBe(0);
    const out = await cli(['logout'], { env: { XDG_CONFIG_HOME: other } });
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('logged out');
    await expect(stat(join(other, 'tauri-release', 'config.json'))).rejects.toThrow(/ENOENT/);
    const after = await cli(['apps', 'list'], { env: { XDG_CONFIG_HOME: other } });
    expect(after.code).toBe(2);
    expect(errorLine(after)).toMatch(/^error: usage: no server URL and no API key: run tauri-release login/);
  });
});

describe('apps', () => {
  it('create, list, show and set, human and --json', async () => {
    const created = await run(['apps', 'create', 'my-app', '--name', 'My App', '--public-key-file', `${key.path}.pub`]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain('created app my-app');
    const listed = await run(['apps', 'list']);
    expect(listed.stdout).toMatch(/^SLUG +NAME +LATEST +RELEASES +KEY ID\nmy-app +My App +- +0 +[0-9A-F]{16}$/m);
    const shown = (await run(['apps', 'show', 'my-app', '--json'])).json<{ slug: string; public_key: string }>();
    expect(shown.public_key).toBe(key.publicKey.trim());
    const set = await run(['apps', 'set', 'my-app', '--description', 'Notes app', '--json']);
    expect(set.code).toBe(0);
    expect(set.json()).toMatchObject({ slug: 'my-app', description: 'Notes app' });
    const server_ = (await (await server.admin('/admin/apps/my-app')).json()) as { description: string };
    expect(server_.description).toBe('Notes app');
  });

  it('refuses a bad public key before sending (exit 2, the server\'s own words) and a duplicate slug from the server (exit 1)', async () => {
    const before = await auditCount();
    const bad = await run(['apps', 'create', 'other-app', '--name', 'Other', '--public-key', 'RWQ-raw-line']);
    expect(bad.code).toBe(2);
    expect(errorLine(bad)).toMatch(/^error: usage: public_key: invalid public key: .*raw "RW…" key line/);
    const duplicate = await run(['apps', 'create', 'my-app', '--name', 'Again']);
    expect(duplicate.code).toBe(1);
    expect(errorLine(duplicate)).toBe('error: conflict: an app with slug "my-app" already exists');
    expect(await auditCount()).toBe(before);
  });

  it('--dry-run prints the request, with the key as a prefix, and sends nothing', async () => {
    const before = await auditCount();
    const result = await run(['apps', 'create', 'dry-app', '--name', 'Dry', '--dry-run', '--json']);
    expect(result.code).toBe(0);
    expect(result.json()).toEqual({
      dry_run: true,
      requests: [{ method: 'POST', url: `${server.url}/admin/apps`, headers: { authorization: 'Bearer e2e-…', 'content-type': 'application/json' }, body: { slug: 'dry-app', name: 'Dry' } }],
    });
    expect((await server.admin('/admin/apps/dry-app')).status).toBe(404);
    expect(await auditCount()).toBe(before);
  });
});

describe('releases and artifacts', () => {
  let bundle: string;

  beforeAll(async () => {
    bundle = join(dir, 'my-app_1.0.0_amd64.AppImage');
    await writeFile(bundle, Buffer.alloc(50_000, 7));
    await tauriSign(key, bundle, '1.0.0');
  });

  it('create (with notes from a file), list and show', async () => {
    await writeFile(join(dir, 'notes.md'), 'First release.');
    const created = await run(['releases', 'create', '1.0.0', '--app', 'my-app', '--notes-file', join(dir, 'notes.md'), '--json']);
    expect(created.code).toBe(0);
    expect(created.json()).toMatchObject({ version: '1.0.0', status: 'draft', notes: 'First release.', channel: 'stable' });
    const listed = await run(['releases', 'list', '--app', 'my-app']);
    expect(listed.stdout).toMatch(/^1\.0\.0 +draft +stable +100% +- +0$/m);
    const shown = await run(['releases', 'show', '1.0.0', '--app', 'my-app']);
    expect(shown.stdout).toMatch(/status: +draft/);
    expect(shown.stdout).toContain('no artifacts');
  });

  it('artifacts list and delete (by file name), after an upload', async () => {
    expect((await run(['upload', bundle, '--app', 'my-app', '--version', '1.0.0'])).code).toBe(0);
    const listed = (await run(['artifacts', 'list', '1.0.0', '--app', 'my-app', '--json'])).json<{ artifacts: { file_name: string; verified_key_id: string }[] }>();
    expect(listed.artifacts.map((a) => a.file_name)).toEqual(['my-app_1.0.0_amd64.AppImage']);
    const human = await run(['artifacts', 'list', '1.0.0', '--app', 'my-app']);
    expect(human.stdout).toMatch(/linux-x86_64 +appimage +my-app_1\.0\.0_amd64\.AppImage +48\.8 KiB/);

    const dry = await run(['artifacts', 'delete', '1.0.0', 'my-app_1.0.0_amd64.AppImage', '--app', 'my-app', '--dry-run']);
    expect(dry.stdout).toMatch(/^would send: DELETE .*\/admin\/apps\/my-app\/releases\/1\.0\.0\/artifacts\/[0-9a-f-]{36}$/m);
    const removed = await run(['artifacts', 'delete', '1.0.0', 'my-app_1.0.0_amd64.AppImage', '--app', 'my-app']);
    expect(removed.code).toBe(0);
    expect(((await (await server.admin('/admin/apps/my-app/releases/1.0.0/artifacts')).json()) as { artifacts: unknown[] }).artifacts).toEqual([]);
    // Not there is the server's not_found (exit 1), as `releases show` of an unknown version says it; not a usage error.
    const missing = await run(['artifacts', 'delete', '1.0.0', 'nope.deb', '--app', 'my-app']);
    expect(missing.code).toBe(1);
    expect(errorLine(missing)).toMatch(/^error: not_found: release 1\.0\.0 has no artifact "nope\.deb"/);
    const noRelease = await run(['artifacts', 'delete', '9.9.9', 'nope.deb', '--app', 'my-app']);
    expect(noRelease.code).toBe(1);
    expect(errorLine(noRelease)).toMatch(/^error: not_found: /);
  });

  it('publish refuses a release without artifacts (the server\'s reason, exit 1), then publishes once uploaded', async () => {
    const empty = await run(['releases', 'publish', '1.0.0', '--app', 'my-app']);
    expect(empty.code).toBe(1);
    expect(errorLine(empty)).toMatch(/^error: conflict: /);
    expect((await run(['upload', bundle, '--app', 'my-app', '--version', '1.0.0'])).code).toBe(0);
    const published = await run(['releases', 'publish', '1.0.0', '--app', 'my-app', '--json']);
    expect(published.code).toBe(0);
    expect(published.json()).toMatchObject({ version: '1.0.0', status: 'published' });
  });

  it('notes, rollout, archive and yank change what the server holds', async () => {
    const notes = await run(['releases', 'notes', '1.0.0', '--app', 'my-app', '--notes', 'Fixed the crash.']);
    expect(notes.code).toBe(0);
    const rollout = await run(['releases', 'rollout', '1.0.0', '25%', '--app', 'my-app']);
    expect(rollout.stdout).toContain('1.0.0 is offered to 25% of installs');
    let release = (await (await server.admin('/admin/apps/my-app/releases/1.0.0')).json()) as { notes: string; rollout_percent: number; status: string; yanked_at: string | null };
    expect(release).toMatchObject({ notes: 'Fixed the crash.', rollout_percent: 25 });
    expect((await run(['releases', 'rollout', '1.0.0', '101', '--app', 'my-app'])).code).toBe(2);

    const archived = await run(['releases', 'archive', '1.0.0', '--app', 'my-app']);
    expect(archived.stdout).toContain('archived 1.0.0');
    expect((await run(['releases', 'publish', '1.0.0', '--app', 'my-app'])).code).toBe(0);
    const yanked = await run(['releases', 'yank', '1.0.0', '--app', 'my-app', '--reason', 'broken updater', '--json']);
    expect(yanked.code).toBe(0);
    release = (await (await server.admin('/admin/apps/my-app/releases/1.0.0')).json()) as typeof release;
    expect(release.status).toBe('archived');
    expect(release.yanked_at).not.toBeNull();
    const listed = await run(['releases', 'list', '--app', 'my-app', '--status', 'archived']);
    expect(listed.stdout).toMatch(/^1\.0\.0 +archived \(yanked\)/m);
  });
});

describe('keys', () => {
  it('create prints the key once (or writes it to a 0600 file), list shows prefixes, revoke ends it', async () => {
    const created = await run(['keys', 'create', '--name', 'release bot', '--scope', 'ci', '--app', 'my-app', '--json']);
    expect(created.code).toBe(0);
    const body = created.json<{ id: string; key: string; key_prefix: string }>();
    expect(body.key).toMatch(/^trk_/);
    expect(created.stderr).toContain('shown only this once');

    const file = join(dir, 'bot.key');
    const saved = await run(['keys', 'create', '--name', 'saved bot', '--scope', 'ci', '--out', file]);
    expect(saved.code).toBe(0);
    const savedKey = (await readFile(file, 'utf8')).trim();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(saved.stdout + saved.stderr).not.toContain(savedKey);

    const listed = await run(['keys', 'list']);
    expect(listed.stdout).toMatch(new RegExp(`release bot +${body.key_prefix}… +ci +my-app`));
    expect(listed.stdout).not.toContain(body.key);

    // The CI key works (whoami sees it as ci), until it is revoked by its prefix.
    const who = await cli(['whoami', '--json'], { env: { TAURI_RELEASE_URL: server.url, TAURI_RELEASE_KEY: body.key, XDG_CONFIG_HOME: join(dir, 'none') } });
    expect(who.json()).toMatchObject({ scope: 'ci', app: 'my-app' });
    const unknown = await run(['keys', 'revoke', 'trk_nosuchkey']);
    expect(unknown.code).toBe(1);
    expect(errorLine(unknown)).toMatch(/^error: not_found: no key with id or prefix "trk_nosuchkey"/);
    const revoked = await run(['keys', 'revoke', body.key_prefix]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked release bot (${body.key_prefix}…)`);
    const refused = await cli(['apps', 'list'], { env: { TAURI_RELEASE_URL: server.url, TAURI_RELEASE_KEY: body.key, XDG_CONFIG_HOME: join(dir, 'none') } });
    expect(refused.code).toBe(1);
    expect(errorLine(refused)).toMatch(/^error: unauthorized: /);
    expect(refused.stderr).not.toContain(body.key);
  });
});

describe('publishers', () => {
  it('add, list and remove a trusted workflow', async () => {
    const added = await run(['publishers', 'add', '--app', 'my-app', '--repository', 'octo-org/octo-repo', '--repository-id', '101', '--owner-id', '202', '--workflow', 'release.yml', '--ref', 'refs/tags/v*', '--can-publish', '--json']);
    expect(added.code).toBe(0);
    const publisher = added.json<{ id: string; allowed_refs: string[]; can_publish: boolean }>();
    expect(publisher).toMatchObject({ allowed_refs: ['refs/tags/v*'], can_publish: true });
    const listed = await run(['publishers', 'list', '--app', 'my-app']);
    expect(listed.stdout).toMatch(/octo-org\/octo-repo +release\.yml +- +refs\/tags\/v\* +yes/);
    const bad = await run(['publishers', 'add', '--app', 'my-app', '--repository', 'not a repo', '--repository-id', '1', '--owner-id', '2']);
    expect(bad.code).toBe(2);
    expect(errorLine(bad)).toMatch(/^error: usage: repository: /);
    expect((await run(['publishers', 'remove', publisher.id, '--app', 'my-app'])).code).toBe(0);
    expect((await run(['publishers', 'list', '--app', 'my-app', '--json'])).json()).toEqual({ publishers: [] });
  });
});

describe('audit and stats', () => {
  it('audit lists what the commands above did, filterable by action', async () => {
    const result = await run(['audit', '--app', 'my-app', '--action', 'release.yank', '--json']);
    expect(result.code).toBe(0);
    const { entries } = result.json<{ entries: { action: string; details: { reason?: string } }[] }>();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'release.yank', details: expect.objectContaining({ reason: 'broken updater' }) });
    const human = await run(['audit', '--limit', '3']);
    expect(human.stdout.split('\n')[0]).toMatch(/^ID +AT +ACTOR +ACTION +TARGET +DETAILS$/);
    expect((await run(['audit', '--since', 'yesterday'])).code).toBe(2);
  });

  it('stats reports downloads and adoption from the server\'s analytics', async () => {
    // Two update checks from an install on 0.9.0, so adoption has something to count.
    for (const id of ['a', 'b']) await fetch(`${server.url}/update/my-app/linux/x86_64/0.9.0?bundle_type=appimage`, { headers: { 'x-install-id': `install-${id}` } });
    const result = await run(['stats', '--app', 'my-app', '--json']);
    expect(result.code).toBe(0);
    const body = result.json<{ downloads: { app: string; total: number }; adoption: { versions: { version: string }[] } }>();
    expect(body.downloads.app).toBe('my-app');
    expect(body.adoption.versions.map((v) => v.version)).toContain('0.9.0');
    const human = await run(['stats', '--app', 'my-app']);
    expect(human.stdout).toMatch(/^adoption .*installs$/m);
    expect(human.stdout).toMatch(/^0\.9\.0 +\d+ +\d+\.\d%$/m);
  });
});

describe('usage, refusals and the network', () => {
  it('--help on the CLI and on each command', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    for (const words of ['login', 'apps create', 'releases rollout', 'upload', 'doctor', 'keys revoke']) expect(top.stdout).toContain(`  ${words} `);
    const help = await run(['releases', 'rollout', '--help']);
    expect(help.stdout).toMatch(/^usage: tauri-release releases rollout <version> <percent> --app <app> \[options\]$/m);
    expect(help.stdout).toContain('--dry-run');
    expect(help.stdout).toContain('exit codes: 0 ok');
  });

  it('unknown commands, options and missing arguments are usage errors (exit 2), one line each', async () => {
    for (const args of [['frobnicate'], ['apps'], ['apps', 'list', '--colour'], ['releases', 'show', '--app', 'my-app'], ['upload', '--app', 'my-app']]) {
      const result = await run(args);
      expect(result.code).toBe(2);
      expect(errorLine(result)).toMatch(/^error: usage: /);
    }
  });

  it('a server error answer is exit 1 with the server\'s code and message, also as JSON', async () => {
    const result = await run(['releases', 'show', '9.9.9', '--app', 'my-app', '--json']);
    expect(result.code).toBe(1);
    expect(errorLine(result)).toBe('error: not_found: release "9.9.9" not found in app my-app');
    expect(result.json()).toEqual({ error: { code: 'not_found', message: 'release "9.9.9" not found in app my-app' } });
  });

  it('a server that cannot be reached is exit 3', async () => {
    const port = await freePort(); // nothing listens there
    const result = await run(['apps', 'list'], { env: { TAURI_RELEASE_URL: `http://127.0.0.1:${port}` } });
    expect(result.code).toBe(3);
    expect(errorLine(result)).toMatch(new RegExp(`^error: network: GET http://127\\.0\\.0\\.1:${port}/admin/apps: .*ECONNREFUSED`));
  });

  it('under an older Node, bin.mjs runs the CLI through Node 24', async () => {
    const older = '/usr/bin/node';
    const exists = await stat(older).then(() => true, () => false);
    if (!exists) return;
    const result = await run(['apps', 'list', '--json'], { node: older });
    expect(result.code).toBe(0);
    expect(result.json<{ apps: { slug: string }[] }>().apps.map((a) => a.slug)).toContain('my-app');
  });
});
