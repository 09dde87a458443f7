/**
 * `tauri-release integrations …` and `apps set --download-page/--public-installers`, run as a child process against
 * the real server (`api/_src/local.ts`, which makes a SECRETS_KEY under DATA_DIR). The signing secret goes in by
 * stdin or --secret and comes out nowhere (not in a result, a note, --json or --dry-run); the provider's signed
 * purchase then creates a license of the mapped policy, and after a rotation only the new secret is accepted.
 * Usage errors exit 2 before anything is sent; refusals (the server's, or a policy the app does not have) exit 1.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newPurchase, purchased, signAs } from '../../api/_src/billing/testing.ts';
import { SIGNATURE_HEADERS } from '../../api/_src/billing/signatures.ts';
import { expectStatus, type RunningServer, startServer } from '../support/server.ts';
import { cli, type CliOptions, errorLine } from './run-cli.ts';

let server: RunningServer;
let dir: string;
let config: string;
const run = (args: readonly string[], options: CliOptions = {}) => cli(args, { ...options, env: { XDG_CONFIG_HOME: config, ...options.env } });
const app = ['--app', 'sold-app'];
const FIRST_SECRET = 'whsec_first0123456789';
const SECOND_SECRET = 'whsec_second0123456789';

/** A Stripe purchase of `price`, signed with `secret`, posted to `webhookUrl`. */
async function deliverPurchase(webhookUrl: string, secret: string, price: string): Promise<Response> {
  const body = purchased(newPurchase('stripe', price), new Date());
  return fetch(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADERS.stripe]: signAs('stripe', secret, body, Math.floor(Date.now() / 1000)) },
    body,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-integrations-'));
  config = join(dir, 'config');
  server = await startServer();
  expect((await run(['login', '--url', server.url, '--key', server.adminToken])).code).toBe(0);
  expect((await run(['apps', 'create', 'sold-app', '--name', 'Sold App'])).code).toBe(0);
  expect((await run(['policies', 'create', ...app, '--name', 'Yearly'])).code).toBe(0);
  expect((await run(['policies', 'create', ...app, '--name', 'Monthly', '--days', '31'])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('integrations', () => {
  let id = '';
  let webhookUrl = '';

  it('refuses bad options before sending anything', async () => {
    // A policy the app does not have is not found, as an unknown artifact or key is: the line names those it has.
    const unknownPolicy = await run(['integrations', 'add', ...app, '--provider', 'stripe', '--secret', FIRST_SECRET, '--price', 'price_yearly=Lifetime']);
    expect(unknownPolicy.code).toBe(1);
    expect(errorLine(unknownPolicy)).toBe('error: not_found: --price price_yearly: no policy "Lifetime" in this app; it has "Monthly", "Yearly"');
    const unknownId = await run(['integrations', 'add', ...app, '--provider', 'stripe', '--secret', FIRST_SECRET, '--price', 'price_yearly=00000000-0000-4000-8000-000000000000']);
    expect(unknownId.code).toBe(1);
    expect(errorLine(unknownId)).toMatch(/^error: not_found: --price price_yearly: no policy "00000000-0000-4000-8000-000000000000" in this app; it has /);
    const malformed = await run(['integrations', 'add', ...app, '--provider', 'stripe', '--secret', FIRST_SECRET, '--price', 'price_yearly']);
    expect(errorLine(malformed)).toContain('--price takes id=policy');
    const provider = await run(['integrations', 'add', ...app, '--provider', 'gumroad', '--secret', FIRST_SECRET]);
    expect(provider.code).toBe(2);
    expect(errorLine(provider)).toMatch(/^error: usage: provider: /);
    const short = await run(['integrations', 'add', ...app, '--provider', 'stripe', '--secret', 'abc']);
    expect(short.code).toBe(2);
    expect(errorLine(short)).toMatch(/signing_secret: /);
    expect(short.stderr).not.toContain('abc');
    const listed = (await run(['integrations', 'list', ...app, '--json'])).json<{ integrations: unknown[] }>();
    expect(listed.integrations).toEqual([]);
  });

  it('--dry-run shows the request with the secret hidden, and sends nothing', async () => {
    const dry = await run(['integrations', 'add', ...app, '--provider', 'stripe', '--secret-stdin', '--price', 'price_yearly=Yearly', '--dry-run'], { input: `${FIRST_SECRET}\n` });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would send: POST ${server.url}/admin/apps/sold-app/integrations`);
    expect(dry.stdout).toContain('"signing_secret": "(hidden)"');
    expect(dry.stdout + dry.stderr).not.toContain(FIRST_SECRET);
    expect((await run(['integrations', 'list', ...app, '--json'])).json<{ integrations: unknown[] }>().integrations).toEqual([]);
  });

  it('adds one with the secret from stdin, prints its webhook URL and never the secret', async () => {
    const added = await run(['integrations', 'add', ...app, '--provider', 'stripe', '--secret-stdin', '--price', 'price_yearly=Yearly', '--description', 'Stripe live'], { input: `${FIRST_SECRET}\n` });
    expect(added.code).toBe(0);
    expect(added.stdout + added.stderr).not.toContain(FIRST_SECRET);
    id = /id: +([0-9a-f-]{36})/.exec(added.stdout)![1]!;
    webhookUrl = `${server.url}/billing/${id}/webhook`;
    expect(added.stderr).toContain(`Give stripe this webhook URL: ${webhookUrl}`);
    expect(added.stdout).toMatch(/prices: +price_yearly → Yearly \(/);
    const shown = await run(['integrations', 'show', id, ...app, '--json']);
    expect(shown.json()).toMatchObject({ id, provider: 'stripe', description: 'Stripe live', active: true, webhook_url: webhookUrl });
    expect(shown.stdout).not.toContain(FIRST_SECRET);
    const listed = await run(['integrations', 'list', ...app]);
    expect(listed.stdout).toContain('price_yearly=Yearly');
    expect(listed.stdout).toContain(webhookUrl);

    const delivered = await deliverPurchase(webhookUrl, FIRST_SECRET, 'price_yearly');
    expect(await expectStatus(delivered, 200)).toMatchObject({ outcome: 'created' });
  });

  it('rotates the secret, replaces the prices and switches it off and on', async () => {
    const rotated = await run(['integrations', 'update', id, ...app, '--secret-stdin', '--price', 'price_yearly=Yearly', '--price', 'price_monthly=Monthly'], { input: `${SECOND_SECRET}\n` });
    expect(rotated.code).toBe(0);
    expect(rotated.stderr).toContain('signing secret was replaced');
    expect(rotated.stdout + rotated.stderr).not.toContain(SECOND_SECRET);
    expect(rotated.stdout).toContain('price_monthly → Monthly');
    expect((await deliverPurchase(webhookUrl, FIRST_SECRET, 'price_monthly')).status).toBe(401);
    expect(await expectStatus(await deliverPurchase(webhookUrl, SECOND_SECRET, 'price_monthly'), 200)).toMatchObject({ outcome: 'created' });

    expect((await run(['integrations', 'update', id, ...app, '--active', 'off', '--description', '', '--json'])).json()).toMatchObject({ active: false, description: null });
    expect((await deliverPurchase(webhookUrl, SECOND_SECRET, 'price_monthly')).status).toBe(404);
    expect((await run(['integrations', 'update', id, ...app, '--active', 'on', '--json'])).json()).toMatchObject({ active: true });

    const nothing = await run(['integrations', 'update', id, ...app]);
    expect(nothing.code).toBe(2);
    expect(errorLine(nothing)).toContain('nothing to change');
    const unknownPolicy = await run(['integrations', 'update', id, ...app, '--price', 'price_monthly=Weekly']);
    expect(unknownPolicy.code).toBe(1);
    expect(errorLine(unknownPolicy)).toMatch(/^error: not_found: --price price_monthly: no policy "Weekly" in this app; it has /);
    const audit = (await (await server.admin('/admin/audit?action=integration.update')).json()) as { entries: { details: unknown }[] };
    expect(JSON.stringify(audit.entries)).not.toContain(SECOND_SECRET);
    expect(audit.entries.some((entry) => JSON.stringify(entry.details).includes('"signing_secret":"replaced"'))).toBe(true);
  });

  it('removes it; removing again is refused', async () => {
    const removed = await run(['integrations', 'remove', id, ...app]);
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`deleted integration ${id}`);
    expect((await deliverPurchase(webhookUrl, SECOND_SECRET, 'price_yearly')).status).toBe(404);
    const again = await run(['integrations', 'remove', id, ...app]);
    expect(again.code).toBe(1);
    expect(errorLine(again)).toMatch(/^error: not_found: /);
  });
});

describe('apps set --download-page / --public-installers', () => {
  it('switches both on and off, as the server then holds them', async () => {
    const on = await run(['apps', 'set', 'sold-app', '--download-page', 'on', '--public-installers', 'on']);
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(new RegExp(`download page: +on: ${server.url}/apps/sold-app`));
    expect(on.stdout).toMatch(/public installers: +on/);
    expect(await expectStatus(await server.admin('/admin/apps/sold-app'), 200)).toMatchObject({ download_page: true, public_installers: true });
    expect((await fetch(`${server.url}/apps/sold-app`)).status).toBe(200);

    expect((await run(['apps', 'set', 'sold-app', '--download-page', 'off', '--json'])).json()).toMatchObject({ download_page: false, public_installers: true });
    expect((await fetch(`${server.url}/apps/sold-app`)).status).toBe(404);

    const bad = await run(['apps', 'set', 'sold-app', '--public-installers', 'yes']);
    expect(bad.code).toBe(2);
    expect(errorLine(bad)).toContain('--public-installers takes on or off');
    const audit = (await (await server.admin('/admin/audit?action=app.update')).json()) as { entries: { details: Record<string, unknown> }[] };
    expect(audit.entries[0]?.details).toMatchObject({ download_page: { from: true, to: false } });
  });
});
