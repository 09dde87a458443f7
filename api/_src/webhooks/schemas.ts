/**
 * @module webhooks/schemas
 * Wire types of `/admin/apps/{app}/webhooks`: the zod schemas the routes validate with, which are also
 * what `/openapi.json` shows, and the row → body mappings (which never include the secret).
 */
import * as z from 'zod';
import { WEBHOOK_DELIVERY_STATUSES, WEBHOOK_FORMATS, type WebhookDeliveryRow, type WebhookRow } from '../../../db/schema.ts';
import { RELEASE_EVENT_KINDS } from '../releases/events.ts';
import { LICENSE_CREATED_EVENT } from './payload.ts';
import { secretHint } from './signature.ts';

/** What a webhook may subscribe to: release events, and `license.created` (sent only when listed). */
export const WEBHOOK_EVENT_KINDS = [...RELEASE_EVENT_KINDS, LICENSE_CREATED_EVENT] as const;

const timestamp = z.string().meta({ format: 'date-time' });
const uuid = z.string().meta({ format: 'uuid' });

const urlField = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .meta({ description: 'https:// endpoint; private and loopback addresses are refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true' });
const eventsField = z
  .array(z.enum(WEBHOOK_EVENT_KINDS))
  .min(1, 'list at least one event kind, or send null for every kind')
  .max(WEBHOOK_EVENT_KINDS.length)
  .transform((kinds) => [...new Set(kinds)])
  .nullable()
  .meta({
    description:
      `event kinds to send (${WEBHOOK_EVENT_KINDS.join(', ')}); null or absent: every release kind, including future ones. ` +
      `${LICENSE_CREATED_EVENT} (a payment created a license: the buyer's email and a one-time claim URL) is sent only when listed`,
  });
const formatField = z
  .enum(WEBHOOK_FORMATS)
  .meta({ description: 'json: the full event; slack: {"text": "…"}; discord: {"content": "…"} (one line, e.g. "My App 1.2.3 published (stable, 100%)")' });
const descriptionField = z.string().trim().max(200).nullable();

export const createWebhookBodySchema = z.strictObject({
  url: urlField,
  description: descriptionField.optional(),
  events: eventsField.optional(),
  format: formatField.default('json'),
  active: z.boolean().default(true),
});
export type CreateWebhookBody = z.infer<typeof createWebhookBodySchema>;

export const updateWebhookBodySchema = z
  .strictObject({
    url: urlField.optional(),
    description: descriptionField.optional(),
    events: eventsField.optional(),
    format: formatField.optional(),
    active: z.boolean().optional().meta({ description: 'true also closes an open circuit (resets the failure count)' }),
  })
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change');
export type UpdateWebhookBody = z.infer<typeof updateWebhookBodySchema>;

export const webhookSchema = z.object({
  id: uuid,
  app_id: uuid,
  url: z.string(),
  description: z.string().nullable(),
  events: z.array(z.string()).nullable(),
  format: z.enum(WEBHOOK_FORMATS),
  active: z.boolean(),
  secret_hint: z.string().meta({ description: 'the first characters of the signing secret, to tell secrets apart' }),
  circuit: z.object({
    open: z.boolean().meta({ description: 'true: deliveries are recorded as suppressed and not sent' }),
    opened_at: timestamp.nullable(),
    consecutive_failures: z.number().int(),
  }),
  last_success_at: timestamp.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
});
export type WebhookBody = z.infer<typeof webhookSchema>;

export const createdWebhookSchema = webhookSchema.extend({
  secret: z.string().meta({ description: 'the HMAC-SHA256 signing secret; shown only now, store it with the receiver' }),
});
export const webhookListSchema = z.object({ webhooks: z.array(webhookSchema) });
export const secretSchema = z.object({ id: uuid, secret: z.string(), secret_hint: z.string() });

export const deliverySchema = z.object({
  id: uuid.meta({ description: 'also sent as X-Tauri-Release-Delivery' }),
  webhook_id: uuid,
  event_id: uuid.meta({ description: 'the same for every webhook told about one event' }),
  event: z.string(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attempts: z.number().int(),
  max_attempts: z.number().int(),
  response_status: z.number().int().nullable().meta({ description: 'HTTP status of the last attempt; null: no answer' }),
  last_error: z.string().nullable(),
  next_attempt_at: timestamp.nullable(),
  last_attempt_at: timestamp.nullable(),
  created_at: timestamp,
  completed_at: timestamp.nullable(),
  body: z.string().meta({ description: 'the exact request body sent (and signed)' }),
});
export const deliveryListSchema = z.object({ deliveries: z.array(deliverySchema) });

export const listDeliveriesQuerySchema = z.strictObject({
  status: z.enum(WEBHOOK_DELIVERY_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(100_000).default(0),
});

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export function toWebhookBody(row: WebhookRow): WebhookBody {
  return {
    id: row.id,
    app_id: row.app_id,
    url: row.url,
    description: row.description,
    events: row.events,
    format: row.format,
    active: row.active,
    secret_hint: secretHint(row.secret),
    circuit: { open: row.circuit_opened_at !== null, opened_at: iso(row.circuit_opened_at), consecutive_failures: row.consecutive_failures },
    last_success_at: iso(row.last_success_at),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}

export function toDeliveryBody(row: WebhookDeliveryRow): z.infer<typeof deliverySchema> {
  return {
    id: row.id,
    webhook_id: row.webhook_id,
    event_id: row.event_id,
    event: row.event,
    status: row.status,
    attempts: row.attempts,
    max_attempts: row.max_attempts,
    response_status: row.response_status,
    last_error: row.last_error,
    next_attempt_at: iso(row.next_attempt_at),
    last_attempt_at: iso(row.last_attempt_at),
    created_at: iso(row.created_at)!,
    completed_at: iso(row.completed_at),
    body: row.body,
  };
}

/** What the audit log keeps of a URL: its origin. Slack and Discord URLs carry their credential in the path. */
export function auditUrl(url: string): string {
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '(invalid)';
  }
}
