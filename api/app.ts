/**
 * @module app
 * Builds the Hono application from its dependencies. Nothing here opens connections or reads the
 * environment: `local.ts` (npm start), `index.ts` (Vercel) and the tests each pass their own.
 *
 *   GET  /update/{app}/{target}/{arch}/{current_version}   Tauri updater (hot path)
 *   GET  /{app}/update/{os}-{arch}/{current_version}       the same, seed URL form
 *   GET  /{app}/latest.json[?channel=]                     static manifest (also written to storage on release events)
 *   GET  /download/{app}/{version}/{file}                  artifact bytes (fs) or a redirect (S3)
 *   /admin/*                                               admin API (Bearer key)
 *   POST /ci/token                                         GitHub Actions OIDC token → CI credential
 *   POST /github/webhook?app=                              GitHub `release` events (HMAC-signed) → sync that app now
 *   /ci/apps/{app}/releases/…, PUT /ci/uploads/{upload}    CI API: drafts, uploads, verification, publish
 *   /ui, /ui/session, /ui/assets/…                         admin dashboard (session cookie over the admin API)
 *   GET  /openapi.json, /docs                              API description
 *   GET  /, /healthz, /readyz, /health                     front door, liveness, readiness (service/routes.ts)
 *
 * Under `npm start`, update checks whose app is cached are answered on node:http before this app sees them
 * (update/node-listener.ts, same code as the update routes): middleware added here does not run for them.
 */
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { adminRoutes } from './admin/routes.ts';
import { UsageAnalytics } from './analytics/recorder.ts';
import { ciRoutes } from './ci/routes.ts';
import type { Config } from './config.ts';
import { docsRoutes } from './docs/routes.ts';
import { downloadRoutes } from './download/routes.ts';
import { errorJson, errorResponse } from './errors.ts';
import { GithubClient } from './github/client.ts';
import { githubWebhookRoutes } from './github/routes.ts';
import { SecretBox } from './github/secrets.ts';
import { GithubSources } from './github/sources.ts';
import { ReleaseEvents } from './events.ts';
import { manifestRoutes } from './manifest/routes.ts';
import { StaticManifestWriter } from './manifest/writer.ts';
import { serviceRoutes } from './service/routes.ts';
import { RateLimits } from './rate-limit/limits.ts';
import { authFailureLimit, publicRateLimit } from './rate-limit/middleware.ts';
import type { Storage } from './storage/storage.ts';
import { ReleaseCache } from './update/cache.ts';
import { uiRoutes } from './ui/routes.ts';
import { updateRoutes } from './update/routes.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';

export interface AppDeps {
  config: Readonly<Config>;
  db: Kysely<Database>;
  storage: Storage;
  /** Published releases per app, in memory; admin mutations invalidate it. */
  releaseCache: ReleaseCache;
  /** Release publish/archive/yank/rollout events, emitted after commit. */
  events: ReleaseEvents;
  /** Writes the static failover manifests to storage (on every release event, and when channels change). */
  staticManifests: StaticManifestWriter;
  /** Update-check and download counters, in memory, flushed in one statement per interval. */
  analytics: UsageAnalytics;
  /** Signed webhook deliveries of release events, with retries; `start()` its scheduler in long-lived servers. */
  webhooks: WebhookDispatcher;
  /** Per-address limits on update checks, public routes and failed authentication (rate-limit/limits.ts). */
  rateLimits: RateLimits;
  /** Apps served from their repository's GitHub Releases; `start()` its sync timer in long-lived servers. */
  github: GithubSources;
}

export type AppEnv = { Variables: Record<string, unknown> };

export function createDeps(config: Readonly<Config>, db: Kysely<Database>, storage: Storage): AppDeps {
  const releaseCache = new ReleaseCache(db, storage, config);
  const events = new ReleaseEvents();
  // The static failover manifest in storage follows every release event.
  const staticManifests = new StaticManifestWriter(releaseCache, storage);
  events.subscribe(staticManifests.onEvent);
  // Webhooks: delivery rows are inserted before emit returns; sending happens in the background.
  const webhooks = new WebhookDispatcher(db, config.webhooks);
  events.subscribe((event) => webhooks.enqueue(event).then(() => undefined));
  const rateLimits = new RateLimits(config.rateLimits, db);
  const github = new GithubSources({
    db,
    client: new GithubClient({ baseUrl: config.github.apiUrl, timeoutMs: config.github.timeoutMs }),
    releaseCache,
    events,
    intervalMs: config.github.syncIntervalMs,
    secrets: config.github.secretsKey ? new SecretBox(config.github.secretsKey) : null,
  });
  return { config, db, storage, releaseCache, events, staticManifests, analytics: new UsageAnalytics(db), webhooks, rateLimits, github };
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError(errorResponse);
  app.notFound((c) => errorJson(c, 404, 'not_found', `no route for ${c.req.method} ${c.req.path}`));

  // Update checks count themselves (update/routes.ts), since under `npm start` most never reach Hono.
  const perAddress = publicRateLimit(deps.rateLimits);
  for (const path of ['/', '/:app/latest.json', '/download/*', '/docs', '/openapi.json', '/ci/token', '/ui/session', '/github/*']) app.use(path, perAddress);
  // Unknown API keys, refused OIDC tokens and failed sign-ins count against the address and the key's prefix.
  app.use('/ci/token', authFailureLimit(deps.rateLimits, [401, 403]));
  for (const path of ['/admin/*', '/ci/apps/*', '/ci/uploads/*', '/ui/session']) app.use(path, authFailureLimit(deps.rateLimits));

  app.route('/', serviceRoutes(deps));
  app.route('/', updateRoutes(deps));
  app.route('/', manifestRoutes(deps));
  app.route('/download', downloadRoutes(deps));
  app.route('/admin', adminRoutes(deps));
  app.route('/ci', ciRoutes(deps));
  app.route('/github', githubWebhookRoutes(deps));
  app.route('/ui', uiRoutes(deps));
  app.route('/', docsRoutes());
  return app;
}
