/**
 * @module create-deps
 * Builds the long-lived services (deps.ts' `AppDeps`) once per process from the configuration, the database and
 * storage. Nothing here opens connections or reads the environment: `local.ts` (npm start), `index.ts` (Vercel) and
 * the tests each pass their own. Apart from app.ts so that an entry can build its services, and answer cached update
 * checks, without loading the Hono app and every route module (listener.ts loads them on first use).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.ts';
import { UsageAnalytics } from './analytics/recorder.ts';
import { Billing } from './billing/service.ts';
import type { Config } from './config.ts';
import type { AppDeps } from './deps.ts';
import { GithubClient } from './github/client.ts';
import { SecretBox } from './github/secrets.ts';
import { GithubSources } from './github/sources.ts';
import { hideConfiguredSecrets } from './http/logged-error.ts';
import { InboundDeliveries } from './inbound/deliveries.ts';
import { LicenseFileKeys } from './licensing/file-keys.ts';
import { LicenseGate } from './licensing/gate.ts';
import { LicenseIndex } from './licensing/index.ts';
import { StaticManifestWriter } from './manifest/writer.ts';
import { RateLimits } from './rate-limit/limits.ts';
import { ReleaseEvents } from './releases/events.ts';
import type { Storage } from './storage/storage.ts';
import { ReleaseCache } from './update/cache.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';

export interface DepsOptions {
  /** Milliseconds clock of license expiry and the license index; tests pass their own. */
  now?: () => number;
}

export function createDeps(config: Readonly<Config>, db: Kysely<Database>, storage: Storage, options: DepsOptions = {}): AppDeps {
  const now = options.now ?? Date.now;
  hideConfiguredSecrets(config);
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
  // Without SECRETS_KEY (npm start fills it in from DATA_DIR/secrets.key) licensed apps answer 503 `secrets_key_missing`.
  const secretsKey = config.github.secretsKey;
  const index = secretsKey ? LicenseIndex.fromSecretsKey(db, secretsKey, { ttlMs: config.updateCacheTtlMs, now }) : null;
  const licenses = new LicenseGate(index, rateLimits, now);
  const licenseFileKeys = new LicenseFileKeys(db, secretsKey ? new SecretBox(secretsKey) : null, { ttlMs: config.updateCacheTtlMs, now });
  const inboundDeliveries = new InboundDeliveries(db, { now });
  const billing = new Billing({
    db,
    publicUrl: config.publicUrl,
    webhooks,
    deliveries: inboundDeliveries,
    licensing: { licenses, releaseCache },
    secrets: secretsKey ? new SecretBox(secretsKey) : null,
    now,
  });
  return {
    config,
    db,
    storage,
    releaseCache,
    events,
    staticManifests,
    analytics: new UsageAnalytics(db),
    webhooks,
    rateLimits,
    github,
    licenses,
    licenseFileKeys,
    inboundDeliveries,
    billing,
    now,
  };
}
