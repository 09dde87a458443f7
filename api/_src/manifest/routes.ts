/**
 * @module manifest/routes
 * `GET /{app}/latest.json[?channel=…]`: the static manifest (tauri-action's `latest.json` format) from the
 * live data, through the release cache like an update check: no query in steady state, precomputed bytes.
 * The same bytes are written to storage on every release event (`writer.ts`), for a CDN to serve when
 * this API cannot.
 *
 * 200  `{version, notes, pub_date, platforms: {"{os}-{arch}": …, "{os}-{arch}-{bundle}": …}}`
 * 304  `If-None-Match` matched
 * 400  the channel name is malformed
 * 404  no such app, no such channel, or nothing fully rolled out in it; `app_licensed` for a licensed app, which
 *      has no public static manifest (its updates need a license: the dynamic check)
 * 503  the database cannot be reached (errors are `no-store`)
 */
import { type Context, Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { DEFAULT_CHANNEL, invalidQueriedChannel, QUERIED_CHANNEL_PATTERN } from '../protocol/channels.ts';
import { ApiError, badRequest, errorResponse, notFound } from '../http/errors.ts';
import { defineRoutes } from '../docs/registry.ts';
import { etagMatches } from '../http/etag.ts';
import type { AppSnapshot } from '../update/snapshot.ts';
import { staticManifest } from './static-manifest.ts';
import * as z from 'zod';

function respond(c: Context, snapshot: AppSnapshot | null, slug: string, channel: string): Response {
  if (snapshot === null) return errorResponse(notFound(`no app ${JSON.stringify(slug)}`), c);
  if (snapshot.app.licensing === 'licensed') {
    return errorResponse(new ApiError(404, 'app_licensed', `app ${slug} is licensed: it has no public latest.json; its updates need a license key`), c);
  }
  const result = staticManifest(snapshot, channel);
  if (result.kind === 'unknown_channel') return errorResponse(notFound(`app ${slug} has no channel ${JSON.stringify(channel)}`), c);
  if (result.kind === 'no_release') {
    return errorResponse(notFound(`app ${slug} has no release fully rolled out (100%) in channel ${channel}`), c);
  }
  if (etagMatches(c.req.header('if-none-match'), result.etag)) {
    return new Response(null, { status: 304, headers: { 'cache-control': result.headers['cache-control']!, etag: result.etag } });
  }
  return new Response(result.body, { status: 200, headers: result.headers });
}

export function manifestRoutes(deps: AppDeps): Hono {
  const cache = deps.releaseCache;
  const app = new Hono();
  app.get('/:app/latest.json', function staticManifestRoute(c) {
    try {
      const slug = c.req.param('app');
      const channel = c.req.query('channel') || DEFAULT_CHANNEL;
      if (!QUERIED_CHANNEL_PATTERN.test(channel)) {
        throw badRequest(invalidQueriedChannel(channel));
      }
      const snapshot = cache.lookup(slug);
      if (!(snapshot instanceof Promise)) return respond(c, snapshot, slug, channel);
      return snapshot.then(
        (loaded) => respond(c, loaded, slug, channel),
        (error: unknown) => errorResponse(error, c),
      );
    } catch (error) {
      return errorResponse(error, c);
    }
  });
  return app;
}

const platformEntrySchema = z.object({
  url: z.string().meta({ format: 'uri', description: 'where the client downloads the artifact' }),
  signature: z.string().meta({ description: "content of the artifact's .sig file" }),
});

export const staticManifestSchema = z
  .object({
    version: z.string().meta({ description: 'the one version this file offers' }),
    notes: z.string(),
    pub_date: z.string().meta({ format: 'date-time' }),
    platforms: z.record(z.string(), platformEntrySchema).meta({
      description: '`{os}-{arch}` (the platform default) and `{os}-{arch}-{bundle}` for every artifact of the release',
    }),
  })
  .meta({ description: 'Tauri v2 static update manifest (tauri-action latest.json format)' });

export const manifestRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/{app}/latest.json',
    tag: 'Updater (public)',
    summary: 'Static manifest (latest.json) of a channel',
    description:
      "The channel's newest fully rolled-out release in tauri-action's static format. The same file is written to storage " +
      '(`{app}/latest.json`, other channels `{app}/channels/{channel}/latest.json`) on every publish, archive, yank and ' +
      'rollout change: list its CDN URL as the second updater endpoint, after the dynamic one, so clients fall through to ' +
      'it when this API answers 503. A platform the newest release lacks has no key in it.',
    auth: 'none',
    access: 'public',
    params: { app: 'app slug' },
    query: z.object({ channel: z.string().optional().meta({ description: 'release channel; default stable' }) }),
    responses: {
      200: {
        description: 'the static manifest',
        schema: staticManifestSchema,
        headers: { ETag: 'validator for If-None-Match', 'Cache-Control': 'how long a CDN may keep the answer' },
      },
      304: { description: 'If-None-Match matched' },
      400: { description: 'the channel name is malformed' },
      404: { description: 'no such app or channel, or no fully rolled-out release in it; `app_licensed`: a licensed app has no public static manifest' },
      503: { description: 'the database is unreachable' },
    },
  },
]);
