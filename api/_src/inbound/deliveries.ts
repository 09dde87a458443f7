/**
 * @module inbound/deliveries
 * Which inbound webhook deliveries were already processed, so a replay is answered without doing the work again:
 * GitHub's `X-GitHub-Delivery` (github/routes.ts), and the payment providers' event ids (issue 17). A delivery is
 * recorded only once its work succeeded: a sender's retry or manual redelivery of a failed one reuses its id and
 * must still be processed. Rows are kept `retentionMs` (at least 24 hours; 7 days by default, past GitHub's and
 * Stripe's 3-day redelivery windows) and pruned by `record`, at most once per `PRUNE_EVERY_MS` per instance.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/schema.ts';

const HOUR_MS = 60 * 60 * 1000;
export const MIN_RETENTION_MS = 24 * HOUR_MS;
export const DEFAULT_RETENTION_MS = 7 * 24 * HOUR_MS;
const PRUNE_EVERY_MS = HOUR_MS;

export interface InboundDeliveriesOptions {
  retentionMs?: number;
  /** Milliseconds clock; tests pass their own. */
  now?: () => number;
}

export class InboundDeliveries {
  readonly #db: Kysely<Database>;
  readonly #retentionMs: number;
  readonly #now: () => number;
  #lastPrune = 0;

  constructor(db: Kysely<Database>, options: InboundDeliveriesOptions = {}) {
    this.#retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
    if (!(this.#retentionMs >= MIN_RETENTION_MS)) throw new RangeError(`inbound deliveries must be kept at least 24 h, not ${this.#retentionMs} ms`);
    this.#db = db;
    this.#now = options.now ?? Date.now;
  }

  /** True when `(source, id)` was processed within the retention (an older row may not be pruned yet, and still counts). */
  async seen(source: string, id: string): Promise<boolean> {
    const row = await this.#db.selectFrom('inbound_deliveries').select('delivery_id').where('source', '=', source).where('delivery_id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  /** Marks `(source, id)` processed; recording it again (a concurrent duplicate) moves only its processed time. */
  async record(source: string, id: string, receivedAt: Date): Promise<void> {
    const now = new Date(this.#now());
    await this.#db
      .insertInto('inbound_deliveries')
      .values({ source, delivery_id: id, received_at: receivedAt, processed_at: now })
      .onConflict((oc) => oc.columns(['source', 'delivery_id']).doUpdateSet({ processed_at: now }))
      .execute();
    if (now.getTime() - this.#lastPrune >= PRUNE_EVERY_MS) {
      this.#lastPrune = now.getTime();
      // The delivery is recorded either way; a failed prune is tried again after the next interval.
      await this.prune().catch((error: unknown) => console.error(`inbound deliveries: prune failed: ${(error as Error).message}`));
    }
  }

  /** Deletes rows processed more than the retention ago; returns how many. */
  async prune(): Promise<number> {
    const result = await this.#db.deleteFrom('inbound_deliveries').where('processed_at', '<', new Date(this.#now() - this.#retentionMs)).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
