/**
 * `/admin/apps/{app}/webhooks` as mounted in the app: who may call it, what it accepts, that the secret is
 * shown once and never stored in the audit log, and that private targets are refused by default.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { auditRows, call, insertApp, insertKey } from '../admin/testing.ts';
import { createdWebhookSchema, deliveryListSchema, webhookListSchema, webhookSchema } from './schemas.ts';

describe('/admin/apps/{app}/webhooks', () => {
  let ctx: TestContext;
  let appId: string;
  const base = '/admin/apps/hooks-app/webhooks';
  const url = 'https://hooks.example.com/tauri-release';

  beforeAll(async () => {
    ctx = await createTestContext();
    appId = await insertApp(ctx, 'hooks-app');
    await insertApp(ctx, 'other-app');
  });
  afterAll(async () => {
    await ctx.deps.webhooks.stop();
    await ctx.close();
  });

  it('creates a webhook with defaults, shows its secret once, and audits it without the secret or the full URL', async () => {
    const created = await call(ctx, 'POST', base, { body: { url: 'https://hooks.slack.com/services/T0/B0/secretpart', format: 'slack', description: 'releases channel' } });
    expect(created.status).toBe(201);
    const body = createdWebhookSchema.parse(created.body);
    expect(body).toMatchObject({
      app_id: appId,
      url: 'https://hooks.slack.com/services/T0/B0/secretpart',
      description: 'releases channel',
      events: null,
      format: 'slack',
      active: true,
      circuit: { open: false, opened_at: null, consecutive_failures: 0 },
      last_success_at: null,
    });
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(body.secret.startsWith(body.secret_hint.replace('…', ''))).toBe(true);

    const shown = await call(ctx, 'GET', `${base}/${body.id}`);
    expect(webhookSchema.parse(shown.body)).toEqual(webhookSchema.parse(created.body));
    expect(JSON.stringify(shown.body)).not.toContain(body.secret);
    const listed = webhookListSchema.parse((await call(ctx, 'GET', base)).body);
    expect(listed.webhooks.map((hook) => hook.id)).toEqual([body.id]);
    expect(JSON.stringify(listed)).not.toContain(body.secret);

    const [audit] = (await auditRows(ctx, 'webhook.create')).filter((row) => row.target === `webhook:${body.id}`);
    expect(audit).toMatchObject({ actor: 'token:ADMIN_TOKEN', app_id: appId });
    expect(audit!.details).toEqual({ url: 'https://hooks.slack.com/…', events: null, format: 'slack', active: true });
    const allAudit = JSON.stringify(await ctx.database.db.selectFrom('audit_log').selectAll().execute());
    expect(allAudit).not.toContain(body.secret);
    expect(allAudit).not.toContain('secretpart');
  });

  it('changes only the fields sent, audited with from and to, and rotates the secret', async () => {
    const created = (await call(ctx, 'POST', base, { body: { url, events: ['release.published', 'release.published', 'release.yanked'] } })).body;
    expect(created.events).toEqual(['release.published', 'release.yanked']);
    const patched = await call(ctx, 'PATCH', `${base}/${created.id}`, { body: { events: null, format: 'discord', active: false } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ url, events: null, format: 'discord', active: false });
    const audit = (await auditRows(ctx, 'webhook.update')).at(-1)!;
    expect(audit.details).toEqual({
      changed: { events: { from: ['release.published', 'release.yanked'], to: null }, format: { from: 'json', to: 'discord' }, active: { from: true, to: false } },
    });

    const rotated = await call(ctx, 'POST', `${base}/${created.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.secret);
    const stored = await ctx.database.db.selectFrom('webhooks').select('secret').where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(stored.secret).toBe(rotated.body.secret);
    expect(JSON.stringify((await auditRows(ctx, 'webhook.rotate_secret')).at(-1))).not.toContain(rotated.body.secret);

    expect((await call(ctx, 'DELETE', `${base}/${created.id}`)).status).toBe(204);
    expect((await call(ctx, 'GET', `${base}/${created.id}`)).status).toBe(404);
    expect((await auditRows(ctx, 'webhook.delete')).at(-1)).toMatchObject({ target: `webhook:${created.id}`, details: { url: 'https://hooks.example.com/…' } });
  });

  it('refuses private, loopback and plain-http targets by default', async () => {
    for (const target of ['http://hooks.example.com/x', 'https://127.0.0.1/x', 'https://localhost:8443/x', 'https://169.254.169.254/x', 'https://[fd00::1]/x', 'http://127.0.0.1:9/x']) {
      const res = await call(ctx, 'POST', base, { body: { url: target } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
    }
    const created = (await call(ctx, 'POST', base, { body: { url } })).body;
    const res = await call(ctx, 'PATCH', `${base}/${created.id}`, { body: { url: 'https://10.0.0.1/x' } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/private or reserved/);
  });

  it.each([
    [{}, /url/],
    [{ url, format: 'xml' }, /format/],
    [{ url, events: ['release.deleted'] }, /events/],
    [{ url, events: [] }, /at least one event kind/],
    [{ url, secret: 'mine' }, /secret/],
    [{ url: 'x'.repeat(3000) }, /url/],
  ])('answers 400 to %j', async (body, message) => {
    const res = await call(ctx, 'POST', base, { body });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
  });

  it('answers 400 for a malformed id or query, 404 for another app\'s webhook, 403 for a CI key', async () => {
    const created = (await call(ctx, 'POST', base, { body: { url } })).body;
    expect((await call(ctx, 'GET', `${base}/not-a-uuid`)).status).toBe(400);
    expect((await call(ctx, 'GET', `/admin/apps/other-app/webhooks/${created.id}`)).status).toBe(404);
    expect((await call(ctx, 'PATCH', `/admin/apps/other-app/webhooks/${created.id}`, { body: { active: false } })).status).toBe(404);
    expect((await call(ctx, 'GET', `${base}/${created.id}/deliveries?limit=0`)).status).toBe(400);
    expect((await call(ctx, 'GET', `${base}/${created.id}/deliveries?status=lost`)).status).toBe(400);
    expect((await call(ctx, 'GET', `${base}/${created.id}/deliveries?nope=1`)).status).toBe(400);
    expect((await call(ctx, 'PATCH', `${base}/${created.id}`, { body: {} })).status).toBe(400);

    const ci = await insertKey(ctx, 'ci', appId);
    expect((await call(ctx, 'GET', base, { auth: ci.auth })).status).toBe(403);
    expect((await call(ctx, 'POST', base, { auth: ci.auth, body: { url } })).status).toBe(403);
    const otherAdmin = await insertKey(ctx, 'admin', (await ctx.database.db.selectFrom('apps').select('id').where('slug', '=', 'other-app').executeTakeFirstOrThrow()).id);
    expect((await call(ctx, 'GET', base, { auth: otherAdmin.auth })).status).toBe(404);
    expect((await call(ctx, 'GET', base, { auth: null })).status).toBe(401);
  });

  it('lists deliveries newest first, filtered by status', async () => {
    const created = (await call(ctx, 'POST', base, { body: { url } })).body;
    // Recorded straight away (the test never sends to the example URL: the circuit is open).
    await ctx.database.db.updateTable('webhooks').set({ circuit_opened_at: new Date() }).where('id', '=', created.id).execute();
    for (const version of ['1.0.0', '1.1.0']) {
      await ctx.deps.events.emit({ kind: 'release.published', appId, appSlug: 'hooks-app', releaseId: created.id, version, channel: 'beta', rolloutPercent: 10, at: new Date(), actor: 'token:ADMIN_TOKEN' });
    }
    const all = deliveryListSchema.parse((await call(ctx, 'GET', `${base}/${created.id}/deliveries`)).body);
    expect(all.deliveries.map((d) => [JSON.parse(d.body).release.version, d.status, d.attempts])).toEqual([
      ['1.1.0', 'suppressed', 0],
      ['1.0.0', 'suppressed', 0],
    ]);
    expect((await call(ctx, 'GET', `${base}/${created.id}/deliveries?status=pending`)).body.deliveries).toEqual([]);
    expect((await call(ctx, 'GET', `${base}/${created.id}/deliveries?limit=1&offset=1`)).body.deliveries.map((d: { id: string }) => d.id)).toEqual([all.deliveries[1]!.id]);
  });
});
