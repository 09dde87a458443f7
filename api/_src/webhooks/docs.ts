/**
 * @module webhooks/docs
 * OpenAPI entries for `routes.ts`, relative to `/admin/apps/{app}/webhooks`.
 */
import { APP_PARAM, defineRoutes, NEEDS_ADMIN_SCOPE } from '../docs/registry.ts';
import {
  createdWebhookSchema,
  createWebhookBodySchema,
  deliveryListSchema,
  deliverySchema,
  listDeliveriesQuerySchema,
  secretSchema,
  updateWebhookBodySchema,
  webhookListSchema,
  webhookSchema,
} from './schemas.ts';

const tag = 'Webhooks';
const access = 'admin scope';
const hookParams = { ...APP_PARAM, id: 'the webhook\'s id' };
const appNotFound = { description: 'no such app within this key\'s reach' };
const hookNotFound = { description: 'no such app or webhook' };

const signing =
  'Every request carries `X-Tauri-Release-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, ' +
  '`X-Tauri-Release-Event` and `X-Tauri-Release-Delivery` (the same on retries); receivers should refuse a `t` older than 5 minutes.';

export const webhookRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag,
    summary: 'List an app\'s webhooks',
    auth: 'api-key',
    access,
    params: APP_PARAM,
    responses: { 200: { description: 'oldest first; secrets are never shown', schema: webhookListSchema }, 403: NEEDS_ADMIN_SCOPE, 404: appNotFound },
  },
  {
    method: 'post',
    path: '/',
    tag,
    summary: 'Add a webhook',
    description:
      'On publish, archive, yank and rollout change, POST the event to `url`. ' + signing +
      ' Failed attempts (network error, timeout, 408, 429, 5xx) are retried with exponential backoff; other answers are final. ' +
      'After repeated failures in a row the webhook\'s circuit opens and deliveries are recorded but not sent until a test event succeeds or the webhook is re-enabled.',
    auth: 'api-key',
    access,
    params: APP_PARAM,
    body: createWebhookBodySchema,
    responses: { 201: { description: 'the webhook with its secret, shown this once', schema: createdWebhookSchema }, 403: NEEDS_ADMIN_SCOPE, 404: appNotFound },
  },
  {
    method: 'get',
    path: '/{id}',
    tag,
    summary: 'Show a webhook',
    auth: 'api-key',
    access,
    params: hookParams,
    responses: { 200: { description: 'the webhook', schema: webhookSchema }, 403: NEEDS_ADMIN_SCOPE, 404: hookNotFound },
  },
  {
    method: 'patch',
    path: '/{id}',
    tag,
    summary: 'Change a webhook',
    description: 'Only the fields sent change. `active: true` also closes an open circuit; `events: null` means every kind.',
    auth: 'api-key',
    access,
    params: hookParams,
    body: updateWebhookBodySchema,
    responses: { 200: { description: 'the webhook', schema: webhookSchema }, 403: NEEDS_ADMIN_SCOPE, 404: hookNotFound },
  },
  {
    method: 'delete',
    path: '/{id}',
    tag,
    summary: 'Remove a webhook',
    description: 'Its delivery log goes with it; pending retries are dropped.',
    auth: 'api-key',
    access,
    params: hookParams,
    responses: { 204: { description: 'deleted' }, 403: NEEDS_ADMIN_SCOPE, 404: hookNotFound },
  },
  {
    method: 'post',
    path: '/{id}/rotate-secret',
    tag,
    summary: 'Replace the signing secret',
    description: 'The new secret signs every attempt from now on, retries of earlier events included. It is shown only in this answer.',
    auth: 'api-key',
    access,
    params: hookParams,
    responses: { 200: { description: 'the new secret', schema: secretSchema }, 403: NEEDS_ADMIN_SCOPE, 404: hookNotFound },
  },
  {
    method: 'post',
    path: '/{id}/test',
    tag,
    summary: 'Send a test event',
    description:
      'Sends one `webhook.test` event now, signed like any other, and answers with the delivery as recorded. Sent even while the circuit is open; a success closes it. Never retried.',
    auth: 'api-key',
    access,
    params: hookParams,
    responses: { 200: { description: 'the delivery (status succeeded or failed)', schema: deliverySchema }, 403: NEEDS_ADMIN_SCOPE, 404: hookNotFound },
  },
  {
    method: 'get',
    path: '/{id}/deliveries',
    tag,
    summary: 'Delivery log',
    description: 'Newest first: each event sent to this webhook, with attempts, the last HTTP status or error, and when the next retry is due. Kept 30 days.',
    auth: 'api-key',
    access,
    params: hookParams,
    query: listDeliveriesQuerySchema,
    responses: { 200: { description: 'one page of deliveries', schema: deliveryListSchema }, 403: NEEDS_ADMIN_SCOPE, 404: hookNotFound },
  },
]);
