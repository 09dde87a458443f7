/**
 * @module webhooks/signature
 * How a delivery is signed, Stripe-style: `X-Tauri-Release-Signature: t=<unix seconds>,v1=<hex>` where the
 * hex is HMAC-SHA256(secret, `${t}.${raw body}`). The timestamp is inside the MAC, so a receiver that
 * refuses a `t` older than `SIGNATURE_TOLERANCE_SECONDS` cannot be replayed an old delivery.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Tauri-Release-Signature';
export const EVENT_HEADER = 'X-Tauri-Release-Event';
export const DELIVERY_HEADER = 'X-Tauri-Release-Delivery';
/** What receivers should accept; the recipe in the README uses the same 5 minutes. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';

/** A new signing secret: 32 random bytes, base64url, with a prefix that says what it is. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
}

/** The first characters of a secret, enough to tell two apart and never enough to use. */
export function secretHint(secret: string): string {
  return `${secret.slice(0, SECRET_PREFIX.length + 4)}…`;
}

/** The header value for `body` sent at `unixSeconds`. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * The receiver's side, as documented (kept here so the tests and the docs agree): true when some `v1`
 * matches and `t` is within the tolerance of `nowSeconds`.
 */
export function verifySignature(secret: string, body: string, header: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  const parts = header.split(',').map((part) => part.trim().split('='));
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return parts.some(([key, value]) => key === 'v1' && value !== undefined && value.length === expected.length && timingSafeEqual(Buffer.from(value), expected));
}
