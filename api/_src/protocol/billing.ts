/**
 * @module protocol/billing
 * Wire types of payment integrations (`/admin/apps/{app}/integrations`), the provider webhook's answer, and the
 * one-time license claim (`/claim/{token}`). Shared by the server, the dashboard and the CLI.
 */
import * as z from 'zod';
import { PAYMENT_PROVIDERS } from '../../../db/schema.ts';
import { timestampSchema } from './schemas.ts';
import { UUID_PATTERN } from './uuid.ts';

const uuid = z.string().meta({ format: 'uuid' });

export const paymentProviderSchema = z.enum(PAYMENT_PROVIDERS).meta({ description: '`stripe`, `lemonsqueezy` or `paddle` (Paddle Billing)' });
export type PaymentProvider = z.infer<typeof paymentProviderSchema>;

const signingSecretSchema = z
  .string()
  .trim()
  .min(6, 'must be at least 6 characters')
  .max(200, 'must be at most 200 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .meta({
    description:
      "the provider's webhook signing secret: Stripe's endpoint secret (`whsec_…`), the secret you gave Lemon Squeezy's webhook, " +
      "Paddle's notification destination secret key (`pdl_ntfset_…`). Stored sealed under SECRETS_KEY; never returned.",
  });

export const pricesSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_:.-]{1,200}$/, 'a price or variant id holds letters, digits, "_", ":", "." and "-" only'),
    z.string().regex(UUID_PATTERN, 'must be the id of one of the app\'s license policies').transform((id) => id.toLowerCase()),
  )
  .refine((prices) => Object.keys(prices).length <= 200, 'at most 200 prices')
  .meta({
    description:
      'price id (Stripe `price_…`, Paddle `pri_…`) or variant id (Lemon Squeezy, a number) → id of the license policy a purchase of it gets. ' +
      'A purchase of no listed price creates nothing.',
  });

const descriptionSchema = z.string().trim().max(200).regex(/^[^\p{Cc}]*$/u, 'no control characters').nullable();

export const createIntegrationBodySchema = z.strictObject({
  provider: paymentProviderSchema,
  signing_secret: signingSecretSchema,
  prices: pricesSchema,
  description: descriptionSchema.optional(),
  active: z.boolean().default(true),
});
export type CreateIntegrationBody = z.infer<typeof createIntegrationBodySchema>;

export const updateIntegrationBodySchema = z
  .strictObject({
    signing_secret: signingSecretSchema.optional(),
    prices: pricesSchema.optional(),
    description: descriptionSchema.optional(),
    active: z.boolean().optional().meta({ description: 'false: deliveries are refused with 404 (the provider retries, then gives up)' }),
  })
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change');
export type UpdateIntegrationBody = z.infer<typeof updateIntegrationBodySchema>;

export const integrationSchema = z.object({
  id: uuid,
  app_id: uuid,
  provider: paymentProviderSchema,
  description: z.string().nullable(),
  prices: z.record(z.string(), z.string()),
  active: z.boolean(),
  webhook_url: z.string().meta({ description: "give the provider this URL as the webhook endpoint" }),
  created_at: timestampSchema,
  updated_at: timestampSchema,
});
export type IntegrationView = z.infer<typeof integrationSchema>;
export const integrationListSchema = z.object({ integrations: z.array(integrationSchema) });

export const BILLING_OUTCOMES = ['created', 'existing', 'renewed', 'revoked', 'ignored'] as const;
export const billingWebhookAnswerSchema = z.object({
  ok: z.literal(true),
  duplicate: z.boolean().meta({ description: 'true: this event was already processed; nothing was done' }),
  event: z.string().meta({ description: "the provider's event name" }),
  outcome: z.enum(BILLING_OUTCOMES).optional(),
  license_id: uuid.optional(),
  reason: z.string().optional().meta({ description: 'why an event was ignored, or what else it did (a held refund applied)' }),
});
export type BillingWebhookAnswer = z.infer<typeof billingWebhookAnswerSchema>;

export const claimedLicenseSchema = z.object({
  license_id: uuid,
  key: z.string().meta({ description: 'the license key (`trl_…`); shown this once, the server keeps only its digest' }),
  app: z.object({ slug: z.string(), name: z.string() }),
  expires_at: timestampSchema.nullable(),
});
export type ClaimedLicense = z.infer<typeof claimedLicenseSchema>;
