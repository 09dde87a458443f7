/**
 * `tauri-release licensing|policies|licenses …` run as a child process against the real server (`api/_src/local.ts`,
 * which makes a SECRETS_KEY under DATA_DIR): the key printed once (or written to a 0600 file), never again; every
 * license action; --dry-run sending nothing; usage errors (exit 2) before anything is sent, refusals exit 1. Results
 * are checked against what the server then holds, through its own API.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '../support/server.ts';
import { cli, type CliOptions, errorLine } from './run-cli.ts';

let server: RunningServer;
let dir: string;
let config: string;
const run = (args: readonly string[], options: CliOptions = {}) => cli(args, { ...options, env: { XDG_CONFIG_HOME: config, ...options.env } });
const app = ['--app', 'paid-app'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-licenses-'));
  config = join(dir, 'config');
  server = await startServer();
  expect((await run(['login', '--url', server.url, '--key', server.adminToken])).code).toBe(0);
  expect((await run(['apps', 'create', 'paid-app', '--name', 'Paid App'])).code).toBe(0);
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('licensing and policies', () => {
  it('switches the app to licensed and creates a policy', async () => {
    const shown = await run(['licensing', ...app]);
    expect(shown.stdout).toMatch(/mode: +open/);
    expect((await run(['licensing', ...app, '--mode', 'licensed', '--json'])).json()).toMatchObject({ mode: 'licensed', secrets_key: true });
    const bad = await run(['policies', 'create', ...app, '--name', 'Yearly', '--days', 'a year']);
    expect(bad.code).toBe(2);
    expect(errorLine(bad)).toContain('--days must be a whole number');
    const created = await run(['policies', 'create', ...app, '--name', 'Yearly', '--max-machines', '2', '--entitlement', 'pro', '--strategy', 'revoke', '--grace-days', '7']);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/expiry: +revoke \(\+7 grace days\), from creation/);
    const listed = (await run(['policies', 'list', ...app, '--json'])).json<{ policies: { name: string; max_machines: number }[] }>();
    expect(listed.policies).toEqual([expect.objectContaining({ name: 'Yearly', max_machines: 2 })]);
    const refused = await run(['policies', 'create', ...app, '--name', 'Yearly']);
    expect(refused.code).toBe(1);
    expect(errorLine(refused)).toMatch(/^error: conflict: /);
  });
});

describe('licensing rotate-file-key', () => {
  type Listed = { keys: { kid: string; status: string }[] };

  it('gives the app a new license-file key, listing the retired one; --remove-previous drops it; --dry-run sends nothing', async () => {
    const dry = await run(['licensing', 'rotate-file-key', ...app, '--dry-run']);
    expect(dry.stdout).toContain(`would send: POST ${server.url}/admin/apps/paid-app/licensing/file-key/rotate`);
    const first = (await run(['licensing', 'rotate-file-key', ...app, '--json'])).json<Listed>();
    expect(first.keys.map((k) => k.status)).toEqual(['current']);
    const second = await run(['licensing', 'rotate-file-key', ...app]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^KID +STATUS +CREATED +LISTED UNTIL +PUBLIC KEY/);
    expect(second.stdout).toMatch(new RegExp(`${first.keys[0]!.kid} +retired`));
    const leaked = second.stdout.split('\n')[1]!.split(/ +/)[0]!;
    const third = (await run(['licensing', 'rotate-file-key', ...app, '--remove-previous', '--json'])).json<Listed>();
    expect(third.keys.map((k) => k.kid)).not.toContain(leaked);
    expect(third.keys.map((k) => [k.kid, k.status]).slice(1)).toEqual([[first.keys[0]!.kid, 'retired']]);
    const published = await fetch(`${server.url}/.well-known/tauri-release/paid-app/license-keys.json`);
    expect(((await published.json()) as Listed).keys).toEqual(third.keys);
    const audit = (await (await server.admin('/admin/audit?action=license.rotate_file_key')).json()) as { entries: unknown[] };
    expect(audit.entries).toHaveLength(3);
  });
});

describe('licenses', () => {
  let policy = '';
  beforeAll(async () => {
    policy = (await run(['policies', 'list', ...app, '--json'])).json<{ policies: { id: string }[] }>().policies[0]!.id;
  });

  it('prints a new key once, and never again', async () => {
    const created = await run(['licenses', 'create', ...app, '--policy', policy, '--external-id', 'import:order-1']);
    expect(created.code).toBe(0);
    expect(created.stderr).toContain('shown only this once');
    const key = /license key: +(trl_[0-9A-Z]+)/.exec(created.stdout)?.[1];
    expect(key).toMatch(/^trl_[0-9A-Z]{33}$/);
    const id = /id: +([0-9a-f-]{36})/.exec(created.stdout)![1]!;
    const shown = await run(['licenses', 'show', id, ...app]);
    expect(shown.stdout).toMatch(/status: +active/);
    expect(shown.stdout).not.toContain(key);
    const again = await run(['licenses', 'create', ...app, '--policy', policy, '--external-id', 'import:order-1', '--json']);
    expect(again.json()).toMatchObject({ id, created: false, key: null });
    const found = (await run(['licenses', 'list', ...app, '--search', key!, '--json'])).json<{ licenses: { id: string }[] }>();
    expect(found.licenses.map((l) => l.id)).toEqual([id]);
    // The external id reads the same in the list as in show: with its source.
    expect(shown.stdout).toMatch(/^external id: +import:order-1$/m);
    expect((await run(['licenses', 'list', ...app, '--search', key!])).stdout).toMatch(new RegExp(`^${id} .* import:order-1$`, 'm'));
    const check = await fetch(`${server.url}/update/paid-app/linux/x86_64/0.1.0`, { headers: { authorization: `License ${key}`, 'x-install-id': 'install-cli-1' } });
    expect(check.status).toBe(204);
  });

  it('writes a rotated key to a 0600 file with --out, not to the terminal', async () => {
    const created = (await run(['licenses', 'create', ...app, '--policy', policy, '--json'])).json<{ id: string; key: string }>();
    const file = join(dir, 'rotated.key');
    const rotated = await run(['licenses', 'rotate', created.id, ...app, '--out', file]);
    expect(rotated.code).toBe(0);
    const key = (await readFile(file, 'utf8')).trim();
    expect(key).toMatch(/^trl_/);
    expect(key).not.toBe(created.key);
    expect(rotated.stdout + rotated.stderr).not.toContain(key);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('suspends, reinstates, renews and revokes; --dry-run sends nothing', async () => {
    const { id } = (await run(['licenses', 'create', ...app, '--policy', policy, '--json'])).json<{ id: string }>();
    const dry = await run(['licenses', 'revoke', id, ...app, '--dry-run']);
    expect(dry.stdout).toContain(`would send: POST ${server.url}/admin/apps/paid-app/licenses/${id}/revoke`);
    expect((await run(['licenses', 'suspend', id, ...app, '--reason', 'chargeback', '--json'])).json()).toMatchObject({ status: 'suspended' });
    expect((await run(['licenses', 'reinstate', id, ...app, '--json'])).json()).toMatchObject({ status: 'active' });
    const renewed = (await run(['licenses', 'renew', id, ...app, '--until', '2031-01-01T00:00:00Z', '--json'])).json();
    expect(renewed).toMatchObject({ expires_at: '2031-01-01T00:00:00.000Z' });
    expect((await run(['licenses', 'revoke', id, ...app])).stdout).toMatch(/status: +revoked/);
    const refused = await run(['licenses', 'reinstate', id, ...app]);
    expect(refused.code).toBe(1);
    expect(errorLine(refused)).toMatch(/^error: conflict: the license is revoked/);
    const audit = (await (await server.admin(`/admin/audit?action=license.suspend`)).json()) as { entries: { details: { reason: string } }[] };
    expect(audit.entries[0]?.details.reason).toBe('chargeback');
  });

  it('lists machines and refuses to deactivate an unknown one', async () => {
    const { id, key } = (await run(['licenses', 'create', ...app, '--policy', policy, '--json'])).json<{ id: string; key: string }>();
    await fetch(`${server.url}/update/paid-app/linux/x86_64/0.1.0`, { headers: { authorization: `License ${key}`, 'x-install-id': 'install-cli-2' } });
    const machines = (await run(['licenses', 'machines', id, ...app, '--json'])).json<{ machines: { id: string }[] }>().machines;
    expect(machines).toHaveLength(1);
    const done = await run(['licenses', 'deactivate', id, machines[0]!.id, ...app]);
    expect(done.stdout).toContain(`deactivated machine ${machines[0]!.id}`);
    const unknown = await run(['licenses', 'deactivate', id, '00000000-0000-4000-8000-000000000000', ...app]);
    expect(unknown.code).toBe(1);
    expect(errorLine(unknown)).toMatch(/^error: not_found: /);
  });
});
