/**
 * @module admin/channels
 * An app's release channels, mounted at `/admin/apps/:app/channels`:
 *
 *   GET  /    every known channel with what its clients are served from     any key for the app
 *   PUT  /    replace the configuration {channels: [{name, follows}]}        admin
 *
 * `stable` always exists and follows nothing. A channel follows at most one more stable channel and is
 * served from its whole chain (`nightly → beta → stable`); see api/_src/protocol/channels.ts. A channel that is
 * not configured is still known when a release was ever published on it, and then follows nothing.
 * Update checks on any other channel are a 404.
 */
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { AppRow, Database } from '../../../db/schema.ts';
import type { AppDeps } from '../deps.ts';
import { APP_PARAM, defineRoutes, NEEDS_ADMIN_SCOPE } from '../docs/registry.ts';
import { badRequest } from '../http/errors.ts';
import { channelListSchema, putChannelsBodySchema } from '../protocol/schemas.ts';
import { type ChannelConfig, checkChannelConfig, DEFAULT_CHANNEL, resolveChannels } from '../protocol/channels.ts';
import { findAppFor } from '../auth/access.ts';
import { audit } from '../audit/audit.ts';
import { type AdminEnv, principalOf, requireAdmin } from '../auth/authenticate.ts';
import { loggedError } from '../http/logged-error.ts';
import { readJson } from '../http/request.ts';

async function channelList(db: Kysely<Database>, app: AppRow) {
  const configured = await db.selectFrom('release_channels').select(['name', 'follows']).where('app_id', '=', app.id).execute();
  const counts = await db
    .selectFrom('releases')
    .select(['channel', (eb) => eb.fn.countAll<number | string>().as('published')])
    .where('app_id', '=', app.id)
    .where('status', '=', 'published')
    .groupBy('channel')
    .execute();
  const seen = await db
    .selectFrom('releases')
    .select('channel')
    .distinct()
    .where('app_id', '=', app.id)
    .where('pub_date', 'is not', null)
    .execute();
  const resolved = resolveChannels(configured, seen.map((row) => row.channel));
  const follows = new Map(configured.map((row) => [row.name, row.follows]));
  const published = new Map(counts.map((row) => [row.channel, Number(row.published)]));
  return [...resolved.keys()].sort().map((name) => ({
    name,
    follows: follows.get(name) ?? null,
    configured: name === DEFAULT_CHANNEL || follows.has(name),
    serves_from: [...resolved.get(name)!],
    published_releases: published.get(name) ?? 0,
  }));
}

export function channelRoutes(deps: AppDeps): Hono<AdminEnv> {
  const { db, releaseCache } = deps;
  const routes = new Hono<AdminEnv>();

  routes.get('/', async (c) => {
    const app = await findAppFor(db, principalOf(c), c.req.param('app') ?? '');
    return c.json({ channels: await channelList(db, app) });
  });

  routes.put('/', async (c) => {
    const principal = principalOf(c);
    const app = await findAppFor(db, principal, c.req.param('app') ?? '');
    requireAdmin(principal);
    const body = await readJson(c, putChannelsBodySchema);
    // `stable` is implicit; listing it (following nothing) is allowed and stored like any other.
    const channels: ChannelConfig[] = body.channels.map(({ name, follows }) => ({ name, follows }));
    const problem = checkChannelConfig(channels);
    if (problem) throw badRequest(problem);
    const before = await db.transaction().execute(async (trx) => {
      // Serialises concurrent PUTs for the app, so the delete-and-insert below is never interleaved.
      await trx.selectFrom('apps').select('id').where('id', '=', app.id).forUpdate().executeTakeFirstOrThrow();
      const rows = await trx.selectFrom('release_channels').select(['name', 'follows', 'required_entitlement']).where('app_id', '=', app.id).orderBy('name').execute();
      // What a licensed app's channel requires (licensing/release-entitlements.ts) survives a change of what it follows.
      const required = new Map(rows.map((row) => [row.name, row.required_entitlement]));
      await trx.deleteFrom('release_channels').where('app_id', '=', app.id).execute();
      // Parents first, so the (app_id, follows) foreign key always finds its row.
      for (const channel of parentsFirst(channels)) {
        await trx
          .insertInto('release_channels')
          .values({ app_id: app.id, name: channel.name, follows: channel.follows, required_entitlement: required.get(channel.name) ?? null })
          .execute();
      }
      const before = rows.map(({ name, follows }) => ({ name, follows }));
      await audit(trx, principal, { action: 'app.channels', appId: app.id, target: `app:${app.id}`, details: { from: before, to: channels } });
      return before;
    });
    releaseCache.invalidate(app.id);
    // What each channel is served from changed: rewrite the static manifests (and drop those of removed channels).
    await deps.staticManifests.sync(app.id, app.slug, before.map((channel) => channel.name)).catch((error: unknown) => {
      console.error(`static manifests of ${app.slug} not rewritten after a channel change: ${loggedError(error)}`);
    });
    return c.json({ channels: await channelList(db, app) });
  });

  return routes;
}

/** Orders a valid (acyclic) configuration so that every channel comes after the one it follows. */
function parentsFirst(channels: readonly ChannelConfig[]): ChannelConfig[] {
  const byName = new Map(channels.map((channel) => [channel.name, channel]));
  const done = new Set<string>();
  const ordered: ChannelConfig[] = [];
  const visit = (channel: ChannelConfig) => {
    if (done.has(channel.name)) return;
    done.add(channel.name);
    const parent = channel.follows === null ? undefined : byName.get(channel.follows);
    if (parent) visit(parent);
    ordered.push(channel);
  };
  channels.forEach(visit);
  // `stable` may be followed without being listed: give it its row so the foreign key holds.
  if (channels.some((c) => c.follows === DEFAULT_CHANNEL) && !byName.has(DEFAULT_CHANNEL)) ordered.unshift({ name: DEFAULT_CHANNEL, follows: null });
  return ordered;
}

export const channelRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag: 'Channels',
    summary: 'List release channels',
    description:
      'Every channel update checks may name with `?channel=`: `stable`, the configured ones, and any a release was ever ' +
      'published on. `serves_from` is the order a client of the channel is offered releases from.',
    auth: 'api-key',
    access: 'any key for this app',
    params: APP_PARAM,
    responses: { 200: { description: 'the channels, by name', schema: channelListSchema }, 404: { description: 'no such app, or not visible to this key' } },
  },
  {
    method: 'put',
    path: '/',
    tag: 'Channels',
    summary: 'Configure release channels',
    description:
      'Replaces the app\'s channel configuration. Each channel may follow one more stable channel, e.g. ' +
      '`{"channels":[{"name":"beta","follows":"stable"},{"name":"nightly","follows":"beta"}]}`: a nightly client is then ' +
      'offered the newest release of nightly, beta or stable. No cycles; stable follows nothing.',
    auth: 'api-key',
    access: 'admin scope',
    params: APP_PARAM,
    body: putChannelsBodySchema,
    responses: {
      200: { description: 'the channels after the change', schema: channelListSchema },
      403: NEEDS_ADMIN_SCOPE,
      404: { description: 'no such app, or not visible to this key' },
    },
  },
]);
