/**
 * @module github/routes
 * Where an app's releases come from, and GitHub's instant refresh:
 *
 *   GET  /admin/apps/{app}/source         the source and its last sync report           any key for the app
 *   PUT  /admin/apps/{app}/source         storage, or github {repository, tag_prefix, token}   admin
 *   POST /admin/apps/{app}/source/sync    sync now (ignores the ETag with ?full=true)    admin
 *   POST /github/webhook?app={app}        GitHub `release` events, signed with the app's webhook secret
 *
 * The token is sealed before it is stored and never returned; the webhook secret is returned only by the PUT
 * that created or rotated it. A delivery without a valid `X-Hub-Signature-256` is refused with 401 and audited;
 * a signed one whose `X-GitHub-Delivery` already synced is answered `{"duplicate":true}` without a sync.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import * as z from 'zod';
import type { AppRow, Database, GithubSourceRow } from '../../../db/schema.ts';
import { findAppFor } from '../auth/access.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { releaseEvent } from '../releases/events.ts';
import { readBytes, readJson, readQuery } from '../http/request.ts';
import type { AppDeps } from '../deps.ts';
import { APP_PARAM, defineRoutes, NEEDS_ADMIN_SCOPE } from '../docs/registry.ts';
import { ApiError, badRequest, errorJson } from '../http/errors.ts';
import { APP_SLUG_PATTERN } from '../protocol/app-slug.ts';
import { putSourceBodySchema, type SourceView, sourceViewSchema, type SyncReport } from '../protocol/github.ts';
import { SourceConfigError } from './sources.ts';
import { publicRepositoryRefusal } from '../licensing/mode.ts';

/** How long the PUT, the sync route and the webhook wait for the sync before answering without its outcome. */
const SYNC_WAIT_MS = 8_000;
const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** The `release` actions that change what is served; others (created as a draft) wait for the next sync. */
/** The inbound-deliveries source of GitHub's `X-GitHub-Delivery` ids and `X-Hub-Signature-256` values. */
const GITHUB_DELIVERIES = 'github';
const DELIVERY_ID_PATTERN = /^[A-Za-z0-9-]{1,100}$/;
const REFRESHING_ACTIONS = new Set(['published', 'edited', 'deleted', 'prereleased', 'released', 'unpublished']);

function webhookUrl(publicUrl: string, app: Pick<AppRow, 'slug'>): string {
  return `${publicUrl}/github/webhook?app=${app.slug}`;
}

export function sourceView(source: GithubSourceRow | undefined, app: Pick<AppRow, 'slug'>, publicUrl: string, secret?: string): SourceView {
  if (!source) return { kind: 'storage' };
  return {
    kind: 'github',
    repository: source.repository,
    tag_prefix: source.tag_prefix,
    private: source.token_sealed !== null,
    webhook_url: webhookUrl(publicUrl, app),
    ...(secret ? { webhook_secret: secret } : {}),
    last_attempt_at: source.last_attempt_at?.toISOString() ?? null,
    last_success_at: source.last_success_at?.toISOString() ?? null,
    next_sync_at: source.next_sync_at.toISOString(),
    report: (source.report as SyncReport | null) ?? null,
  };
}

const findSource = (db: Kysely<Database>, appId: string) => db.selectFrom('github_sources').selectAll().where('app_id', '=', appId).executeTakeFirst();

/** Resolves when the sync is done or `ms` have passed, whichever is first; the sync runs on either way. */
async function waitBriefly(sync: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = await Promise.race([sync.then(() => true, () => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return done;
}

const syncQuerySchema = z.strictObject({
  full: z.enum(['true', 'false']).optional().meta({ description: '`true`: list every release again, ignoring the stored ETag (after changing the key or channels)' }),
});

export function sourceRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db, github, config } = deps;
  const routes = new Hono<AdminEnv>();

  routes.get('/', async (c) => {
    const app = await findAppFor(db, principalOf(c), c.req.param('app') ?? '');
    return c.json(sourceView(await findSource(db, app.id), app, config.publicUrl));
  });

  routes.put('/', async (c) => {
    const principal = principalOf(c);
    const app = await findAppFor(db, principal, c.req.param('app') ?? '');
    requireAdmin(principal);
    const body = await readJson(c, putSourceBodySchema);
    let secret: string | undefined;
    const archived = await db.transaction().execute(async (trx) => {
      const locked = await trx.selectFrom('apps').select(['id', 'licensing']).where('id', '=', app.id).forUpdate().executeTakeFirstOrThrow();
      const before = await trx.selectFrom('github_sources').selectAll().where('app_id', '=', app.id).executeTakeFirst();
      const describe = (row: Pick<GithubSourceRow, 'repository' | 'tag_prefix' | 'token_sealed'> | undefined) =>
        row ? { kind: 'github', repository: row.repository, tag_prefix: row.tag_prefix, private: row.token_sealed !== null } : { kind: 'storage' };
      if (body.kind === 'storage') {
        if (!before) return [];
        await trx.deleteFrom('github_sources').where('app_id', '=', app.id).execute();
        // Releases synced from GitHub are no longer offered: a storage-sourced app serves what was uploaded.
        const archived = await trx
          .updateTable('releases')
          .set({ status: 'archived', updated_at: new Date() })
          .where('app_id', '=', app.id)
          .where('github_release_id', 'is not', null)
          .where('status', '=', 'published')
          .returningAll()
          .execute();
        await audit(trx, principal, { action: 'app.source', appId: app.id, target: `app:${app.id}`, details: { from: describe(before), to: { kind: 'storage' }, archived: archived.map((r) => r.version) } });
        return archived;
      }
      let tokenSealed: string | null = before?.token_sealed ?? null;
      try {
        if (body.token === null) tokenSealed = null;
        else if (body.token !== undefined) tokenSealed = github.sealToken(app.id, body.token);
      } catch (error) {
        if (error instanceof SourceConfigError) throw badRequest(error.message);
        throw error;
      }
      // A public repository's assets are anyone's to download: a licensed app's releases must not be.
      if (locked.licensing === 'licensed' && tokenSealed === null) throw publicRepositoryRefusal(body.repository);
      const moved = !before || before.repository.toLowerCase() !== body.repository.toLowerCase() || before.tag_prefix !== body.tag_prefix;
      if (!before || body.rotate_webhook_secret) secret = randomBytes(32).toString('base64url');
      const values = {
        repository: body.repository,
        tag_prefix: body.tag_prefix,
        token_sealed: tokenSealed,
        webhook_secret: secret ?? before!.webhook_secret,
        // Another repository, prefix or token: the stored ETag says nothing about what the new one would list.
        ...(moved || tokenSealed !== (before?.token_sealed ?? null) ? { etag: null } : {}),
        next_sync_at: new Date(),
        updated_at: new Date(),
      };
      if (before) await trx.updateTable('github_sources').set(values).where('app_id', '=', app.id).execute();
      else await trx.insertInto('github_sources').values({ app_id: app.id, ...values }).execute();
      await audit(trx, principal, {
        action: 'app.source',
        appId: app.id,
        target: `app:${app.id}`,
        details: { from: describe(before), to: describe(values), webhook_secret_rotated: secret !== undefined && before !== undefined },
      });
      return [];
    });
    if (archived.length > 0) {
      deps.releaseCache.invalidate(app.id);
      for (const release of archived) await deps.events.emit(releaseEvent('release.archived', app, release, principal, { from: 'published', source: 'storage' }));
    }
    if (body.kind === 'github') await waitBriefly(github.sync(app.id, { force: true, full: true }), SYNC_WAIT_MS);
    return c.json(sourceView(await findSource(db, app.id), app, config.publicUrl, secret));
  });

  routes.post('/sync', async (c) => {
    const principal = principalOf(c);
    const app = await findAppFor(db, principal, c.req.param('app') ?? '');
    requireAdmin(principal);
    const query = readQuery(c, syncQuerySchema);
    if (!(await findSource(db, app.id))) throw new ApiError(409, 'conflict', `${app.slug} is served from storage, not GitHub; set its source first (PUT /admin/apps/${app.slug}/source)`);
    await audit(db, principal, { action: 'app.source_sync', appId: app.id, target: `app:${app.id}`, details: { full: query.full === 'true' } });
    const done = await waitBriefly(github.sync(app.id, { force: true, full: query.full === 'true' }), SYNC_WAIT_MS);
    return c.json(sourceView(await findSource(db, app.id), app, config.publicUrl), done ? 200 : 202);
  });

  return routes;
}

/** `sha256=<hex>` over the exact body with the app's secret, compared in constant time. */
export function verifyHubSignature(secret: string, body: Uint8Array, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(header.slice('sha256='.length), 'hex'));
}

export function githubWebhookRoutes(deps: AppDeps): Hono {
  const { db, github } = deps;
  const routes = new Hono();
  routes.post('/webhook', async (c) => {
    const slug = c.req.query('app') ?? '';
    const body = await readBytes(c.req.raw, MAX_WEBHOOK_BYTES);
    const receivedAt = new Date();
    const event = c.req.header('x-github-event') ?? '';
    const delivery = (c.req.header('x-github-delivery') ?? '').slice(0, 100);
    const app = APP_SLUG_PATTERN.test(slug) ? await db.selectFrom('apps').select(['id', 'slug']).where('slug', '=', slug).executeTakeFirst() : undefined;
    const source = app ? await findSource(db, app.id) : undefined;
    if (!app || !source) return errorJson(c, 404, 'not_found', `no app ${JSON.stringify(slug.slice(0, 100))} served from GitHub; the payload URL is shown by GET /admin/apps/{app}/source`);
    if (!verifyHubSignature(source.webhook_secret, body, c.req.header('x-hub-signature-256'))) {
      const reason = c.req.header('x-hub-signature-256') ? 'X-Hub-Signature-256 does not match the app\'s webhook secret' : 'no X-Hub-Signature-256 header';
      await audit(db, 'system', { action: 'github.webhook_refused', appId: app.id, target: `app:${app.id}`, details: { reason, event: event.slice(0, 50), delivery } });
      return errorJson(c, 401, 'unauthorized', `${reason}: set the webhook's secret to the one PUT /admin/apps/${app.slug}/source returned (rotate it there if it is lost)`);
    }
    // GitHub sends X-GitHub-Delivery with every delivery; without it a replay could not be recognised, so a
    // delivery without one (or with one GitHub never sends) is refused rather than synced unchecked.
    if (!DELIVERY_ID_PATTERN.test(c.req.header('x-github-delivery') ?? '')) {
      throw badRequest('X-GitHub-Delivery: missing or not a delivery id (GitHub sends a GUID with every delivery)');
    }
    // X-GitHub-Delivery is not signed: the signature (one per secret and body) is remembered too, so a captured
    // delivery sent again under a made-up id is still a replay.
    const replayKeys = [delivery, c.req.header('x-hub-signature-256')!.toLowerCase()];
    for (const key of replayKeys) {
      if (await deps.inboundDeliveries.seen(GITHUB_DELIVERIES, key)) return c.json({ ok: true, event, duplicate: true, synced: false });
    }
    if (event === 'ping') return c.json({ ok: true, event, synced: false });
    let action: unknown;
    try {
      action = (JSON.parse(body.toString('utf8')) as { action?: unknown }).action;
    } catch {
      throw badRequest('the delivery body is not JSON; set the webhook\'s content type to application/json');
    }
    if (event !== 'release' || typeof action !== 'string' || !REFRESHING_ACTIONS.has(action)) {
      return c.json({ ok: true, event, action: typeof action === 'string' ? action : null, synced: false });
    }
    // Recorded only once the sync succeeded (also when that is after the 202): GitHub's redelivery of a failed one reuses its id.
    const run = github.sync(app.id, { force: true }).then(async (report) => {
      if (report?.outcome !== 'ok' && report?.outcome !== 'unchanged') return;
      for (const key of replayKeys) {
        await deps.inboundDeliveries.record(GITHUB_DELIVERIES, key, receivedAt).catch((error: unknown) => {
          console.error(`GitHub delivery ${delivery} of ${app.slug} synced but not recorded (a replay of it would sync again): ${(error as Error).message}`);
        });
      }
    });
    const synced = await waitBriefly(run, SYNC_WAIT_MS);
    return c.json({ ok: true, event, action, synced }, synced ? 200 : 202);
  });
  return routes;
}

export const sourceRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag: 'Source',
    summary: 'Where the app\'s releases come from',
    description: '`storage` (uploaded to this server) or `github` (synced from a repository\'s GitHub Releases), with the last sync\'s report: what is served, what was skipped and why, and when it syncs next.',
    auth: 'api-key',
    access: 'any key for this app',
    params: APP_PARAM,
    responses: { 200: { description: 'the source', schema: sourceViewSchema }, 404: { description: 'no such app, or not visible to this key' } },
  },
  {
    method: 'put',
    path: '/',
    tag: 'Source',
    summary: 'Serve the app from storage or from GitHub Releases',
    description:
      '`{"kind":"github","repository":"owner/repo","tag_prefix":"v"}` serves the repository\'s published releases: tag `v1.2.0` is version 1.2.0, each bundle with its `.sig` ' +
      'asset, verified against the app\'s public key. A private repository needs `token` (sealed, never returned). The first answer carries `webhook_secret` for GitHub\'s webhook. ' +
      '`{"kind":"storage"}` goes back to uploads and archives the releases synced from GitHub.',
    auth: 'api-key',
    access: 'admin scope',
    params: APP_PARAM,
    body: putSourceBodySchema,
    responses: {
      200: { description: 'the source after the change (and the first sync, if it finished within 8 s)', schema: sourceViewSchema },
      403: NEEDS_ADMIN_SCOPE,
      404: { description: 'no such app, or not visible to this key' },
      409: { description: 'the app is licensed and the repository is public (no token): a licensed app needs a private repository' },
    },
  },
  {
    method: 'post',
    path: '/sync',
    tag: 'Source',
    summary: 'Sync from GitHub now',
    auth: 'api-key',
    access: 'admin scope',
    params: APP_PARAM,
    query: syncQuerySchema,
    responses: {
      200: { description: 'synced; the report says what changed', schema: sourceViewSchema },
      202: { description: 'still syncing after 8 s (large assets are being verified); GET the source later', schema: sourceViewSchema },
      403: NEEDS_ADMIN_SCOPE,
      404: { description: 'no such app, or not visible to this key' },
      409: { description: 'the app is served from storage' },
    },
  },
]);

export const githubWebhookRouteDocs = defineRoutes([
  {
    method: 'post',
    path: '/webhook',
    tag: 'Source',
    summary: 'GitHub release webhook',
    description:
      'Give GitHub this as the Payload URL (`webhook_url` of the app\'s source), content type `application/json`, the app\'s webhook secret, and the "Releases" event. ' +
      'A `release` event (published, edited, deleted, prereleased, released, unpublished) syncs the app at once. ' +
      'A delivery whose sync succeeded is remembered for 7 days by its `X-GitHub-Delivery` and its signature: a replay of it is answered `{"duplicate":true}` without a sync ' +
      '(a delivery whose sync failed is not, so GitHub\'s redelivery syncs).',
    auth: 'none',
    access: 'GitHub (X-Hub-Signature-256)',
    query: z.object({ app: z.string().meta({ description: 'app slug' }) }),
    rawBody: { contentType: 'application/json', description: 'the delivery, exactly as GitHub sent it' },
    responses: {
      200: { description: 'accepted (and synced, when `synced` is true); `duplicate: true`: this X-GitHub-Delivery already synced, nothing was done' },
      202: { description: 'accepted; the sync is still running' },
      400: { description: 'no X-GitHub-Delivery header, or a body that is not JSON' },
      401: { description: 'no or wrong X-Hub-Signature-256 (audited)' },
      404: { description: 'no app of that slug served from GitHub' },
    },
  },
]);
