/**
 * @module billing/docs
 * OpenAPI entries for `routes.ts`: the integrations (relative to `/admin/apps/{app}/integrations`), the
 * providers' webhook (relative to `/billing`) and the claim (relative to `/claim`).
 */
import { APP_PARAM, defineRoutes, NEEDS_ADMIN_SCOPE } from '../docs/registry.ts';
import {
  billingWebhookAnswerSchema,
  claimedLicenseSchema,
  createIntegrationBodySchema,
  integrationListSchema,
  integrationSchema,
  updateIntegrationBodySchema,
} from '../protocol/billing.ts';

const tag = 'Payment integrations';
const access = 'admin scope';
const oneParams = { ...APP_PARAM, id: 'the integration\'s id' };
const appNotFound = { description: 'no such app within this key\'s reach' };
const oneNotFound = { description: 'no such app or integration' };
const noSecretsKey = { description: '`secrets_key_missing`: the server has no SECRETS_KEY to seal the signing secret with' };

export const integrationRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/',
    tag,
    summary: 'List an app\'s payment integrations',
    auth: 'api-key',
    access,
    params: APP_PARAM,
    responses: { 200: { description: 'oldest first; signing secrets are never shown', schema: integrationListSchema }, 403: NEEDS_ADMIN_SCOPE, 404: appNotFound },
  },
  {
    method: 'post',
    path: '/',
    tag,
    summary: 'Connect Stripe, Lemon Squeezy or Paddle',
    description:
      'Purchases of a listed price create a license of its policy; renewals extend it; refunds and chargebacks revoke it; cancellations let it run to its expiry. ' +
      'Give the provider the answer\'s `webhook_url` and copy the provider\'s signing secret here. The new key reaches the buyer through a one-time claim URL ' +
      'sent in the `license.created` webhook (subscribe a webhook to it).',
    auth: 'api-key',
    access,
    params: APP_PARAM,
    body: createIntegrationBodySchema,
    responses: { 201: { description: 'the integration (without its secret)', schema: integrationSchema }, 403: NEEDS_ADMIN_SCOPE, 404: appNotFound, 503: noSecretsKey },
  },
  {
    method: 'get',
    path: '/{id}',
    tag,
    summary: 'One payment integration',
    auth: 'api-key',
    access,
    params: oneParams,
    responses: { 200: { description: 'the integration', schema: integrationSchema }, 403: NEEDS_ADMIN_SCOPE, 404: oneNotFound },
  },
  {
    method: 'patch',
    path: '/{id}',
    tag,
    summary: 'Change a payment integration',
    description: 'Only the fields sent change. A new `signing_secret` applies to the next delivery (audited as replaced, never shown).',
    auth: 'api-key',
    access,
    params: oneParams,
    body: updateIntegrationBodySchema,
    responses: { 200: { description: 'the integration after the change', schema: integrationSchema }, 403: NEEDS_ADMIN_SCOPE, 404: oneNotFound, 503: noSecretsKey },
  },
  {
    method: 'delete',
    path: '/{id}',
    tag,
    summary: 'Remove a payment integration',
    description: 'Deliveries to its URL are refused with 404 from now on. The licenses it created stay.',
    auth: 'api-key',
    access,
    params: oneParams,
    responses: { 204: { description: 'removed' }, 403: NEEDS_ADMIN_SCOPE, 404: oneNotFound },
  },
]);

export const billingWebhookRouteDocs = defineRoutes([
  {
    method: 'post',
    path: '/{integration}/webhook',
    tag,
    summary: 'A payment provider\'s webhook',
    description:
      'Verified over the raw body: Stripe `Stripe-Signature` (t, v1; 5 minutes), Lemon Squeezy `X-Signature`, Paddle `Paddle-Signature` (ts, h1; 5 minutes). ' +
      'An event already processed (Stripe and Paddle: its event id; Lemon Squeezy: event name, object and `updated_at`) is answered `duplicate: true` and does nothing. ' +
      'Events that do not change licenses are answered `outcome: ignored` with the reason. A failure answers 5xx without recording the event, so the provider\'s retry processes it.',
    auth: 'none',
    access: 'the payment provider (its signature)',
    params: { integration: 'the integration\'s id (its `webhook_url`)' },
    rawBody: { contentType: 'application/json', description: 'the event, exactly as the provider sent it' },
    responses: {
      200: { description: 'processed, ignored, or a duplicate', schema: billingWebhookAnswerSchema },
      400: { description: 'a signed body that is not one of the provider\'s events' },
      401: { description: 'no, wrong or stale signature (audited)' },
      404: { description: 'no active integration of this id' },
      503: noSecretsKey,
    },
  },
]);

const tokenParam = { token: 'the claim token from the `claim_url` of `license.created`' };
const claimHeaders = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };

export const claimRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/{token}',
    tag,
    summary: 'The page a buyer opens to get a new license key',
    description:
      'Offers to reveal the key with a button (a POST), so a mail scanner that follows links does not use the claim. ' +
      'With `Accept: application/json`: `{"claimable": true, …}`.',
    auth: 'none',
    params: tokenParam,
    responses: {
      200: { description: 'the claim is waiting', contentType: 'text/html', headers: claimHeaders },
      404: { description: 'no claim: used, expired (7 days) or mistyped', contentType: 'text/html' },
    },
  },
  {
    method: 'post',
    path: '/{token}',
    tag,
    summary: 'Reveal a new license key, once',
    description: 'Shows the key and deletes the claim (the server keeps only the key\'s digest). HTML, or JSON with `Accept: application/json`. Audited as `license.claim`.',
    auth: 'none',
    params: tokenParam,
    responses: {
      200: { description: 'the key, this once', schema: claimedLicenseSchema, headers: claimHeaders },
      404: { description: 'no claim: used, expired (7 days) or mistyped' },
      503: noSecretsKey,
    },
  },
]);
