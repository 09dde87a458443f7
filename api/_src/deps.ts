/**
 * @module deps
 * What every route module and service is handed: the configuration, the database, storage and the long-lived
 * services built once per process by `createDeps` (app.ts). A type only, so a route module that names it never
 * imports the composition root that imports the route module.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import type { UsageAnalytics } from './analytics/recorder.ts';
import type { Config } from './config.ts';
import type { ReleaseEvents } from './releases/events.ts';
import type { GithubSources } from './github/sources.ts';
import type { InboundDeliveries } from './inbound/deliveries.ts';
import type { LicenseGate } from './licensing/gate.ts';
import type { StaticManifestWriter } from './manifest/writer.ts';
import type { RateLimits } from './rate-limit/limits.ts';
import type { Storage } from './storage/storage.ts';
import type { ReleaseCache } from './update/cache.ts';
import type { WebhookDispatcher } from './webhooks/dispatcher.ts';

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
  /** Licensed apps' checks and downloads: license state by key digest, in memory (api/_src/licensing/). */
  licenses: LicenseGate;
  /** Inbound webhook deliveries already processed (GitHub's, payment providers'), so a replay does no work. */
  inboundDeliveries: InboundDeliveries;
  /** Milliseconds clock of license expiry (createDeps' `now`): what the licensing store renews and reports against. */
  now?: () => number;
}

export type AppEnv = { Variables: Record<string, unknown> };
