/**
 * @module github/sources
 * Keeps GitHub-sourced apps in step with their repositories: when each is due (every
 * `GITHUB_SYNC_INTERVAL_SECONDS`), on demand (the admin API), and at once on a signed webhook delivery.
 *
 * - Any instance may sync; it first claims the app by moving `next_sync_at` forward in one UPDATE, so two
 *   instances (or two serverless invocations) do not both call GitHub for it. Writes are serialised on the
 *   source row (`FOR UPDATE`), and within one process concurrent syncs of one app share one run.
 * - A failure (GitHub down, rate-limited, a refused token, a renamed repository) writes nothing but the report:
 *   the releases synced last time keep being served, and the report says what happened and when it retries
 *   (at the rate limit's reset, else within a minute). Nothing is negative-cached.
 * - Update checks never wait for any of this: they are answered from the release cache's snapshot.
 */
import type { Kysely } from 'kysely';
import type { Database, GithubSourceRow } from '../../../db/schema.ts';
import type { ReleaseEvents } from '../releases/events.ts';
import type { SyncReport } from '../protocol/github.ts';
import { loggedError } from '../http/logged-error.ts';
import type { ReleaseCache } from '../update/cache.ts';
import { type GithubAsset, type GithubClient, GithubError } from './client.ts';
import type { SecretBox } from './secrets.ts';

/** How long a claim keeps other instances off an app while its sync runs. */
const CLAIM_SECONDS = 120;
/** After a failure other than a rate limit, the next attempt comes this soon (or at the interval, if shorter). */
const RETRY_AFTER_FAILURE_MS = 60_000;
/** Due apps one `syncDue` call takes on. */
const DUE_BATCH = 20;

export interface GithubSourcesOptions {
  db: Kysely<Database>;
  client: GithubClient;
  releaseCache: ReleaseCache;
  events: ReleaseEvents;
  intervalMs: number;
  /** null: no SECRETS_KEY, so private repositories cannot be configured. */
  secrets: SecretBox | null;
  now?: () => Date;
}

export class SourceConfigError extends Error {
  override name = 'SourceConfigError';
}

export class GithubSources {
  readonly #db: Kysely<Database>;
  readonly #client: GithubClient;
  readonly #cache: ReleaseCache;
  readonly #events: ReleaseEvents;
  readonly #intervalMs: number;
  readonly #secrets: SecretBox | null;
  readonly #now: () => Date;
  readonly #running = new Map<string, Promise<SyncReport>>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #tick: Promise<unknown> = Promise.resolve();

  constructor(options: GithubSourcesOptions) {
    this.#db = options.db;
    this.#client = options.client;
    this.#cache = options.releaseCache;
    this.#events = options.events;
    this.#intervalMs = options.intervalMs;
    this.#secrets = options.secrets;
    this.#now = options.now ?? (() => new Date());
  }

  sealToken(appId: string, token: string): string {
    if (!this.#secrets) throw new SourceConfigError('SECRETS_KEY is not set on this server, so it cannot store a token: set SECRETS_KEY (openssl rand -base64 32) and try again');
    return this.#secrets.seal(token, `github-token:${appId}`);
  }

  #tokenOf(source: Pick<GithubSourceRow, 'app_id' | 'token_sealed'>): string | null {
    if (source.token_sealed === null) return null;
    if (!this.#secrets) throw new GithubError('unauthorized', 'a token is stored but SECRETS_KEY is not set on this server, so it cannot be opened; set SECRETS_KEY to the key it was stored under');
    try {
      return this.#secrets.open(source.token_sealed, `github-token:${source.app_id}`);
    } catch (error) {
      throw new GithubError('unauthorized', (error as Error).message);
    }
  }

  /** Public repositories are downloaded from GitHub directly; a private one's bytes go through /download. */
  static publicUrlOf(source: Pick<GithubSourceRow, 'token_sealed'>) {
    return (asset: GithubAsset): string | null => (source.token_sealed === null ? asset.browser_download_url : null);
  }

  /**
   * Syncs the app now. `force`: even when not due (the webhook, the admin API); without it, only when this
   * call wins the claim. `full`: ignore the ETag (after the app's key or channels changed). Resolves to the
   * report; a sync that was not due resolves to the stored report.
   */
  sync(appId: string, options: { force?: boolean; full?: boolean } = {}): Promise<SyncReport | null> {
    const running = this.#running.get(appId);
    if (running) return running;
    const run = this.#run(appId, options).finally(() => this.#running.delete(appId));
    this.#running.set(appId, run as Promise<SyncReport>);
    return run;
  }

  async #claim(appId: string, force: boolean): Promise<GithubSourceRow | undefined> {
    const now = this.#now();
    let query = this.#db
      .updateTable('github_sources')
      .set({ next_sync_at: new Date(now.getTime() + CLAIM_SECONDS * 1000), last_attempt_at: now })
      .where('app_id', '=', appId);
    if (!force) query = query.where('next_sync_at', '<=', now);
    return query.returningAll().executeTakeFirst();
  }

  async #run(appId: string, options: { force?: boolean; full?: boolean }): Promise<SyncReport | null> {
    const source = await this.#claim(appId, options.force ?? false);
    if (!source) {
      const stored = await this.#db.selectFrom('github_sources').select('report').where('app_id', '=', appId).executeTakeFirst();
      return (stored?.report as SyncReport | null | undefined) ?? null;
    }
    const app = await this.#db.selectFrom('apps').select(['id', 'slug', 'public_key']).where('id', '=', appId).executeTakeFirstOrThrow();
    const channels = await this.#db.selectFrom('release_channels').select('name').where('app_id', '=', appId).execute();
    const previous = (source.report as SyncReport | null) ?? null;
    const started = this.#now();
    try {
      const token = this.#tokenOf(source);
      // Loaded by the first sync (release parsing and signature checks): a cold start serving update checks skips it.
      const { applySync, planSync } = await import('./sync.ts');
      const plan = await planSync(this.#client, { app, source, token, channels: new Set(channels.map((c) => c.name)), full: options.full });
      const next = new Date(this.#now().getTime() + this.#intervalMs);
      if ('unchanged' in plan) {
        const report: SyncReport = { ...(previous ?? { releases: [], skipped: [] }), at: started.toISOString(), outcome: 'unchanged', error: null, next_sync_at: next.toISOString(), github_requests: plan.requests, rate_limit: plan.rateLimit };
        await this.#db.updateTable('github_sources').set({ next_sync_at: next, last_success_at: this.#now(), report: JSON.stringify(report), updated_at: this.#now() }).where('app_id', '=', appId).execute();
        return report;
      }
      const { events, report } = await this.#db.transaction().execute(async (trx) => {
        const locked = await trx.selectFrom('github_sources').select(['app_id', 'token_sealed']).where('app_id', '=', appId).forUpdate().executeTakeFirst();
        if (!locked) throw new GithubError('not_found', 'the app\'s GitHub source was removed while it synced');
        const applied = await applySync(trx, app, plan, GithubSources.publicUrlOf(locked));
        const report: SyncReport = {
          at: started.toISOString(),
          outcome: 'ok',
          error: null,
          next_sync_at: next.toISOString(),
          github_requests: plan.requests,
          rate_limit: plan.rateLimit,
          releases: applied.report,
          skipped: plan.skipped,
        };
        await trx
          .updateTable('github_sources')
          .set({ etag: plan.etag, asset_checks: JSON.stringify(plan.checks), next_sync_at: next, last_success_at: this.#now(), report: JSON.stringify(report), updated_at: this.#now() })
          .where('app_id', '=', appId)
          .execute();
        return { events: applied.events, report };
      });
      if (events.length > 0 || report.releases.length > 0) this.#cache.invalidate(appId);
      for (const event of events) await this.#events.emit(event);
      return report;
    } catch (error) {
      if (!(error instanceof GithubError)) {
        console.error(`GitHub sync of ${app.slug} (${source.repository}) failed: ${loggedError(error)}`);
      }
      const failure = error instanceof GithubError ? error : new GithubError('unavailable', `the sync failed on this server (${(error as Error).message}); it is retried`);
      const retryAt = failure.retryAt ?? new Date(this.#now().getTime() + Math.min(this.#intervalMs, RETRY_AFTER_FAILURE_MS));
      const report: SyncReport = {
        ...(previous ?? { releases: [], skipped: [], github_requests: 0, rate_limit: null }),
        at: started.toISOString(),
        outcome: 'failed',
        error: { code: failure.code, message: failure.message },
        next_sync_at: retryAt.toISOString(),
        rate_limit: failure.code === 'rate_limited' ? { remaining: 0, reset_at: retryAt.toISOString() } : (previous?.rate_limit ?? null),
      };
      await this.#db
        .updateTable('github_sources')
        .set({ next_sync_at: retryAt, report: JSON.stringify(report), updated_at: this.#now() })
        .where('app_id', '=', appId)
        .execute()
        .catch((writeError: unknown) => console.error(`GitHub sync report of ${app.slug} not written: ${loggedError(writeError)}`));
      return report;
    }
  }

  /** Syncs the apps that are due; resolves to how many were synced. */
  async syncDue(): Promise<number> {
    const due = await this.#db.selectFrom('github_sources').select('app_id').where('next_sync_at', '<=', this.#now()).orderBy('next_sync_at').limit(DUE_BATCH).execute();
    let synced = 0;
    for (const { app_id } of due) {
      if ((await this.sync(app_id)) !== null) synced++;
    }
    return synced;
  }

  /**
   * A long-lived server looks for due apps every `everyMs` (each app is still synced at most once per interval).
   * The first round runs at once unless `delayFirstRound`: a Vercel instance starts for a request, and serves it
   * before it spends a database round trip on syncs.
   */
  start({ everyMs = Math.min(this.#intervalMs, 10_000), delayFirstRound = false } = {}): void {
    if (this.#timer) return;
    const tick = () => {
      this.#tick = this.syncDue().catch((error: unknown) => console.error(`GitHub sync round failed: ${loggedError(error)}`));
    };
    this.#timer = setInterval(tick, everyMs);
    this.#timer.unref();
    if (!delayFirstRound) tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    await Promise.allSettled(this.#running.values());
  }

  /**
   * A private repository's asset, for `/download`: the redirect GitHub gives to a short-lived signed URL (the
   * token goes to GitHub's API in the Authorization header only), or the bytes when GitHub answers with them.
   */
  async openPrivateAsset(appId: string, asset: { id: number; name: string }): Promise<{ redirect: string } | { body: ReadableStream<Uint8Array>; size: number | null }> {
    const source = await this.#db.selectFrom('github_sources').select(['app_id', 'repository', 'token_sealed']).where('app_id', '=', appId).executeTakeFirst();
    if (!source) throw new GithubError('not_found', 'the app is no longer served from GitHub');
    const token = this.#tokenOf(source);
    const url = `${this.#client.baseUrl}/repos/${source.repository}/releases/assets/${asset.id}`;
    return this.#client.openAsset({ url, browser_download_url: url, name: asset.name }, token, false);
  }
}
