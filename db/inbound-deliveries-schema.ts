/**
 * @module inbound-deliveries-schema
 * Inbound webhook deliveries already processed (migration 2026_12_07_0012, api/_src/inbound/deliveries.ts), part
 * of schema.ts's `Database` and re-exported by it.
 */
import type { Selectable } from 'kysely';
import type { Timestamp } from './column-types.ts';

/** One row per delivery whose work succeeded; (source, delivery_id) is the key. */
export interface InboundDeliveriesTable {
  /** Who sent it: `github`, or a payment integration such as `stripe:<integration id>`. */
  source: string;
  /** The sender's id for the delivery (`X-GitHub-Delivery`, a Stripe event id, …). */
  delivery_id: string;
  received_at: Timestamp;
  /** When its work succeeded; the retention counts from here. */
  processed_at: Timestamp;
}

export type InboundDeliveryRow = Selectable<InboundDeliveriesTable>;
