/**
 * @module billing/events
 * What a provider's webhook event means for licenses, in one shape for all providers (each provider's parser
 * maps its documented events onto it: stripe.ts, lemonsqueezy.ts, paddle.ts):
 * - `purchase`: create the license (idempotent by `externalId`, the provider's id for what was bought);
 * - `renewal`: extend the license one of `find` names, once per payment (`references[0]`);
 * - `revoke`: a refund or chargeback of a payment one of `find` names;
 * - `link`: more provider ids of the purchase that `to` (another provider id of it) names, e.g. the subscription an
 *   order started, or the payment of an invoice; told before or after the purchase itself (kept in payment_links).
 *   `paidAt`, when the provider says the payment was made to `to`: a payment moved to another purchase later (a
 *   Stripe PaymentIntent detached and attached to another invoice) follows the latest; null: the link never moves;
 * - `unlink`: the payments `references` no longer pay the purchase `from` names since `detachedAt` (a Stripe
 *   PaymentIntent detached from its invoice), so a refund of them revokes nothing; the license itself stays;
 * - `ignore`: nothing to do (cancellations: the license runs to its expiry).
 * `references` are the provider ids a later renewal or refund may name (subscription, invoice, payment).
 */
import * as z from 'zod';
import type { PaymentProvider } from '../../../db/schema.ts';
import { isStorableText } from '../http/storable-text.ts';

export type BillingAction =
  | { kind: 'purchase'; externalId: string; prices: string[]; email: string | null; customer: string | null; references: string[] }
  | { kind: 'renewal'; find: string[]; references: [string, ...string[]] }
  | { kind: 'revoke'; find: string[]; reason: 'refund' | 'chargeback' }
  | { kind: 'link'; to: string; references: string[]; paidAt: Date | null }
  | { kind: 'unlink'; from: string; references: string[]; detachedAt: Date | null }
  | { kind: 'ignore'; reason: string };

export interface BillingEvent {
  /** Unique per event, for the delivery store: a replay of it is refused. */
  deliveryId: string;
  /** The provider's name for the event, as sent. */
  type: string;
  action: BillingAction;
}

/** A signed body that is not an event this provider sends: 400, the provider's retries will not fix it. */
export class PayloadError extends Error {
  override name = 'PayloadError';
}

export const ignore = (reason: string): BillingAction => ({ kind: 'ignore', reason });

/** The ids present, as text, de-duplicated (providers send numbers or strings, or an expanded `{id}`). */
export function ids(...values: unknown[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    const id = typeof value === 'object' && value !== null ? (value as { id?: unknown }).id : value;
    if ((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isSafeInteger(id))) out.push(String(id));
  }
  return [...new Set(out)].filter((id) => id.length <= 200 && !/[\p{Cc}]/u.test(id));
}

const EMAIL = z.email();

/** The customer's email when the payload carries a plausible one; anything else is left out of the webhook. */
export function emailOf(value: unknown): string | null {
  return typeof value === 'string' && value.length <= 254 && EMAIL.safeParse(value).success ? value : null;
}

/** JSON of a verified body, or a PayloadError. */
export function parseBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new PayloadError('the body is not JSON');
  }
}

/** Parses with `schema` or says, briefly, which field is wrong. */
export function shaped<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new PayloadError(`not a ${what}: ${issue.path.join('.') || '(body)'}: ${issue.message}`.slice(0, 300));
}

const STORABLE_ID = /^[^\p{Cc}]{1,255}$/u;

/**
 * Every provider id of the action as the database stores it (1–255 characters, no control characters, none of the
 * lone surrogates UTF-8 cannot encode: the audit entry's and the webhook's JSON would fail on them with a 500).
 */
export function assertStorableIds(action: BillingAction): void {
  const all = [
    ...('externalId' in action ? [action.externalId] : []),
    ...('to' in action ? [action.to] : []),
    ...('from' in action ? [action.from] : []),
    ...('references' in action ? action.references : []),
    ...('find' in action ? action.find : []),
    ...('customer' in action && action.customer !== null ? [action.customer] : []),
    ...('prices' in action ? action.prices : []),
  ];
  const bad = all.find((id) => !STORABLE_ID.test(id) || !isStorableText(id));
  if (bad !== undefined) throw new PayloadError(`an id of the event is empty, longer than 255 characters, or holds control characters or unpaired surrogates`);
}

export type EventParser = (body: Buffer) => BillingEvent;

export type ProviderParsers = Record<PaymentProvider, EventParser>;
