/**
 * @module webhooks/dispatcher
 * Sends release events to an app's webhooks. `enqueue` is the `ReleaseEvents` listener: after the change
 * commits it inserts one delivery row per matching webhook (that is all the admin or CI response waits
 * for) and starts sending in the background. Delivery policy:
 *
 * - each attempt is signed afresh (`signature.ts`) and given `timeoutMs`;
 * - a network error, timeout, 408, 429 or 5xx is retried after `retryDelaysMs[n-1]` ±20% (or a longer
 *   `Retry-After`), until `1 + retryDelaysMs.length` attempts are spent; any other answer is final;
 * - attempts to one webhook run one at a time on an instance, and a row is claimed atomically, so an
 *   endpoint never gets the same attempt twice or a burst of parallel retries;
 * - after `circuitThreshold` failed attempts in a row the webhook's circuit opens: pending and new
 *   deliveries are recorded as `suppressed` and not sent until a success (`sendTest`) or a re-enable
 *   (PATCH `active: true`). A dead endpoint therefore sees at most `circuitThreshold` requests in all,
 *   however many events happen.
 *
 * Due retries live in the database, so any instance's `start()`ed scheduler (or `runDue()`) picks them up
 * after a restart.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, WebhookDeliveryRow, WebhookRow } from '../../../db/schema.ts';
import { audit } from '../audit/audit.ts';
import type { Principal } from '../auth/authenticate.ts';
import type { WebhookSettings } from '../config.ts';
import type { ReleaseEvent } from '../releases/events.ts';
import { envelopeOf, type EventEnvelope, LICENSE_CREATED_EVENT, type LicenseCreatedDetails, licenseCreatedEnvelope, renderBody, TEST_EVENT_KIND, testEnvelope } from './payload.ts';
import { type PostOutcome, postJson } from './post.ts';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import {
  activeWebhooksOf,
  claimNextDue,
  failExhausted,
  pruneDeliveries,
  suppressPending,
  webhookById,
  webhooksWithDueDeliveries,
} from './store.ts';
import { checkWebhookUrl } from './targets.ts';

export const USER_AGENT = 'tauri-release-webhooks/1';
/** How long past the attempt's own time limit a claimed row stays leased to the instance that took it. */
const LEASE_MARGIN_MS = 30_000;
const DEFAULT_POLL_MS = 5_000;
const RETENTION_MS = 30 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

type Verdict = 'success' | 'retry' | 'final';

/** What an attempt's outcome means for the delivery. */
export function verdictOf(outcome: PostOutcome): Verdict {
  if (outcome.kind === 'error') return outcome.retryable ? 'retry' : 'final';
  const { status } = outcome;
  if (status >= 200 && status < 300) return 'success';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'final';
}

function errorOf(outcome: PostOutcome): string | null {
  if (outcome.kind === 'error') return outcome.message;
  if (outcome.status >= 300 && outcome.status < 400) return `answered ${outcome.status}; redirects are not followed, use the final URL`;
  if (outcome.status >= 200 && outcome.status < 300) return null;
  return `answered ${outcome.status}`;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface DispatcherOptions {
  /** For the jitter; `() => 0.5` makes the schedule exact. */
  random?: () => number;
}

export class WebhookDispatcher {
  readonly #db: Kysely<Database>;
  readonly #settings: WebhookSettings;
  readonly #random: () => number;
  readonly #workers = new Map<string, { again: boolean; done: Promise<void> }>();
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #pollFailing = false;
  #lastPrune = 0;

  constructor(db: Kysely<Database>, settings: WebhookSettings, options: DispatcherOptions = {}) {
    this.#db = db;
    this.#settings = settings;
    this.#random = options.random ?? Math.random;
  }

  get maxAttempts(): number {
    return 1 + this.#settings.retryDelaysMs.length;
  }

  /**
   * The `ReleaseEvents` listener: records a delivery for each active webhook of the app that wants this
   * kind of event, then sends in the background. Returns how many deliveries were recorded.
   */
  async enqueue(event: ReleaseEvent): Promise<number> {
    return this.#deliver(event.appId, event.kind, false, (eventId, appName) => envelopeOf(eventId, event, appName));
  }

  /**
   * `license.created`, to the app's active webhooks that list it explicitly (it carries a claim URL and an email,
   * so "every kind" does not include it). Returns how many deliveries were recorded.
   */
  async enqueueLicenseCreated(app: { id: string; slug: string }, license: LicenseCreatedDetails, actor: string, at: Date): Promise<number> {
    return this.#deliver(app.id, LICENSE_CREATED_EVENT, true, (eventId, appName) =>
      licenseCreatedEnvelope(eventId, { id: app.id, slug: app.slug, name: appName }, license, actor, at),
    );
  }

  async #deliver(appId: string, kind: string, explicitOnly: boolean, envelope: (eventId: string, appName: string) => EventEnvelope): Promise<number> {
    const wants = (hook: { events: string[] | null }) => (hook.events === null ? !explicitOnly : hook.events.includes(kind));
    const hooks = (await activeWebhooksOf(this.#db, appId)).filter(wants);
    if (hooks.length === 0) return 0;
    const eventId = randomUUID();
    const now = new Date();
    await this.#db
      .insertInto('webhook_deliveries')
      .values(
        hooks.map((hook) => {
          const open = hook.circuit_opened_at !== null;
          return {
            webhook_id: hook.id,
            event_id: eventId,
            event: kind,
            body: renderBody(hook.format, envelope(eventId, hook.app_name)),
            max_attempts: this.maxAttempts,
            status: open ? ('suppressed' as const) : ('pending' as const),
            next_attempt_at: open ? null : now,
            completed_at: open ? now : null,
            last_error: open ? 'not sent: the circuit is open after repeated failures; send a test event or re-enable the webhook' : null,
          };
        }),
      )
      .execute();
    for (const hook of hooks) if (hook.circuit_opened_at === null) this.kick(hook.id);
    return hooks.length;
  }

  /** Makes sure a worker is sending this webhook's due deliveries (one worker per webhook per instance). */
  kick(webhookId: string): void {
    if (this.#stopped) return;
    const running = this.#workers.get(webhookId);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false, done: Promise.resolve() };
    this.#workers.set(webhookId, state);
    state.done = this.#work(webhookId, state)
      .catch((error: unknown) => console.error(`webhook ${webhookId}: delivery worker stopped: ${messageOf(error)}`))
      .finally(() => this.#workers.delete(webhookId));
  }

  /** Kicks every webhook with a due delivery; with `wait`, resolves once they have all been worked through. */
  async runDue(options: { wait?: boolean } = {}): Promise<number> {
    const ids = await webhooksWithDueDeliveries(this.#db, new Date());
    for (const id of ids) this.kick(id);
    if (options.wait) await this.idle();
    return ids.length;
  }

  /** Resolves when no worker is running. */
  async idle(): Promise<void> {
    while (this.#workers.size > 0) await Promise.all([...this.#workers.values()].map((worker) => worker.done));
  }

  /** Polls for due deliveries every `intervalMs` (timer unref'd: it never keeps the process alive). */
  start(intervalMs = DEFAULT_POLL_MS): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => void this.#poll(), intervalMs);
    this.#timer.unref();
    void this.#poll();
  }

  /** Stops polling and starting attempts; resolves when attempts in flight have been recorded. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.idle();
  }

  /**
   * `POST …/webhooks/{id}/test`: one attempt now, whatever the circuit says (this is how a fixed endpoint
   * proves itself); a success closes the circuit. Never retried. Returns the delivery as recorded.
   */
  async sendTest(hook: WebhookRow, app: { id: string; slug: string; name: string }, principal: Principal): Promise<WebhookDeliveryRow> {
    const eventId = randomUUID();
    const now = new Date();
    const delivery = await this.#db
      .insertInto('webhook_deliveries')
      .values({
        webhook_id: hook.id,
        event_id: eventId,
        event: TEST_EVENT_KIND,
        body: renderBody(hook.format, testEnvelope(eventId, app, principal.actor, now)),
        max_attempts: 1,
        attempts: 1,
        last_attempt_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const outcome = await this.#attempt(hook, delivery);
    return this.#record(hook, delivery, outcome);
  }

  async #poll(): Promise<void> {
    try {
      await this.runDue();
      if (Date.now() - this.#lastPrune > PRUNE_EVERY_MS) {
        this.#lastPrune = Date.now();
        await pruneDeliveries(this.#db, new Date(Date.now() - RETENTION_MS));
      }
      if (this.#pollFailing) console.error('webhook scheduler: the database is reachable again');
      this.#pollFailing = false;
    } catch (error) {
      // Once per outage, not every tick.
      if (!this.#pollFailing) console.error(`webhook scheduler: cannot read due deliveries (will keep trying): ${messageOf(error)}`);
      this.#pollFailing = true;
    }
  }

  async #work(webhookId: string, state: { again: boolean }): Promise<void> {
    for (;;) {
      if (this.#stopped) return;
      const hook = await webhookById(this.#db, webhookId);
      if (!hook) return;
      const now = new Date();
      if (!hook.active || hook.circuit_opened_at) {
        const why = hook.active ? 'not sent: the circuit is open after repeated failures' : 'not sent: the webhook is disabled';
        await suppressPending(this.#db, webhookId, why, now);
        return;
      }
      await failExhausted(this.#db, webhookId, now);
      const delivery = await claimNextDue(this.#db, webhookId, now, new Date(now.getTime() + this.#settings.timeoutMs + LEASE_MARGIN_MS));
      if (!delivery) {
        if (!state.again) return;
        state.again = false;
        continue;
      }
      const outcome = await this.#attempt(hook, delivery);
      await this.#record(hook, delivery, outcome);
    }
  }

  #attempt(hook: WebhookRow, delivery: WebhookDeliveryRow): Promise<PostOutcome> {
    // Checked again at send time: the setting may have been turned off since the URL was saved.
    const refused = checkWebhookUrl(hook.url, this.#settings.allowPrivateTargets);
    if (refused) return Promise.resolve({ kind: 'error', message: `refused: ${refused}`, retryable: false });
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': USER_AGENT,
      [SIGNATURE_HEADER]: signatureHeader(hook.secret, delivery.body, Math.floor(Date.now() / 1000)),
      [EVENT_HEADER]: delivery.event,
      [DELIVERY_HEADER]: delivery.id,
    };
    return postJson(hook.url, headers, delivery.body, { timeoutMs: this.#settings.timeoutMs, allowPrivate: this.#settings.allowPrivateTargets });
  }

  #retryDelay(attempts: number, retryAfterMs: number | null): number {
    const base = this.#settings.retryDelaysMs[attempts - 1] ?? this.#settings.retryDelaysMs.at(-1) ?? 0;
    const jittered = Math.round(base * (0.8 + 0.4 * this.#random()));
    return Math.max(jittered, retryAfterMs ?? 0);
  }

  /** Writes the attempt's result, and the webhook's circuit state, in one transaction. */
  async #record(hook: WebhookRow, delivery: WebhookDeliveryRow, outcome: PostOutcome): Promise<WebhookDeliveryRow> {
    const verdict = verdictOf(outcome);
    const now = new Date();
    const responseStatus = outcome.kind === 'response' ? outcome.status : null;
    return this.#db.transaction().execute(async (trx) => {
      if (verdict === 'success') {
        await trx
          .updateTable('webhooks')
          .set({ consecutive_failures: 0, circuit_opened_at: null, last_success_at: now })
          .where('id', '=', hook.id)
          .execute();
        return trx
          .updateTable('webhook_deliveries')
          .set({ status: 'succeeded', response_status: responseStatus, last_error: null, next_attempt_at: null, completed_at: now })
          .where('id', '=', delivery.id)
          .returningAll()
          .executeTakeFirstOrThrow();
      }
      const retry = verdict === 'retry' && delivery.attempts < delivery.max_attempts;
      const retryAfterMs = outcome.kind === 'response' ? outcome.retryAfterMs : null;
      let row = await trx
        .updateTable('webhook_deliveries')
        .set({
          status: retry ? 'pending' : 'failed',
          response_status: responseStatus,
          last_error: errorOf(outcome),
          next_attempt_at: retry ? new Date(now.getTime() + this.#retryDelay(delivery.attempts, retryAfterMs)) : null,
          completed_at: retry ? null : now,
        })
        .where('id', '=', delivery.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const circuit = await trx
        .updateTable('webhooks')
        .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) }))
        .where('id', '=', hook.id)
        .returning(['consecutive_failures', 'circuit_opened_at'])
        .executeTakeFirst();
      if (circuit && circuit.circuit_opened_at === null && circuit.consecutive_failures >= this.#settings.circuitThreshold) {
        await trx.updateTable('webhooks').set({ circuit_opened_at: now }).where('id', '=', hook.id).execute();
        const suppressed = await suppressPending(trx, hook.id, `not sent: the circuit opened after ${circuit.consecutive_failures} failed attempts in a row`, now);
        await audit(trx, 'system', {
          action: 'webhook.circuit_opened',
          appId: hook.app_id,
          target: `webhook:${hook.id}`,
          details: { consecutive_failures: circuit.consecutive_failures, last_error: errorOf(outcome), suppressed },
        });
        if (retry) row = await trx.selectFrom('webhook_deliveries').selectAll().where('id', '=', delivery.id).executeTakeFirstOrThrow();
      }
      return row;
    });
  }
}
