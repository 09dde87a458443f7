/**
 * @module billing/parse-event
 * A provider's verified delivery → one billing event, or a 400 saying what is wrong with the payload. service.ts
 * imports this on the first delivery: the three providers' payload schemas are not built at every cold start.
 */
import type { PaymentProvider } from '../../../db/schema.ts';
import { badRequest } from '../http/api-error.ts';
import { assertStorableIds, type BillingEvent, type ProviderParsers, PayloadError } from './events.ts';
import { parseLemonSqueezyEvent } from './lemonsqueezy.ts';
import { parsePaddleEvent } from './paddle.ts';
import { parseStripeEvent } from './stripe.ts';

const PARSERS: ProviderParsers = { stripe: parseStripeEvent, lemonsqueezy: parseLemonSqueezyEvent, paddle: parsePaddleEvent };

export function parseProviderEvent(provider: PaymentProvider, body: Buffer): BillingEvent {
  try {
    const event = PARSERS[provider](body);
    assertStorableIds(event.action);
    return event;
  } catch (error) {
    if (error instanceof PayloadError) throw badRequest(error.message);
    throw error;
  }
}
