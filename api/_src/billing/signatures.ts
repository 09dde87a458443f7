/**
 * @module billing/signatures
 * Each payment provider's webhook signature, verified over the raw body before anything reads it, with every
 * comparison in constant time (`timingSafeEqual` after a length check):
 * - Stripe: `Stripe-Signature: t=<unix s>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256(secret, `${t}.${body}`); any `v1` may
 *   match (Stripe sends one per active secret while one is rolled), and `t` must be within 5 minutes
 *   (https://docs.stripe.com/webhooks#verify-manually).
 * - Lemon Squeezy: `X-Signature: <hex>`, HMAC-SHA256(secret, body); no timestamp, so no staleness check: replays
 *   are refused by the delivery store (https://docs.lemonsqueezy.com/help/webhooks/signing-requests).
 * - Paddle Billing: `Paddle-Signature: ts=<unix s>;h1=<hex>[;h1=<hex>…]`, HMAC-SHA256(secret, `${ts}:${body}`),
 *   several `h1` while a secret is rotated (https://developer.paddle.com/webhooks/signature-verification).
 *   Paddle's SDKs allow 5 seconds; we allow `PADDLE_TOLERANCE_SECONDS` (5 minutes, as for Stripe), because a few
 *   seconds of clock skew between Paddle and a self-hosted server would refuse every delivery, and a replay inside
 *   the window is refused anyway by its `event_id` (kept at least 24 hours).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { PaymentProvider } from '../../../db/schema.ts';

export const STRIPE_TOLERANCE_SECONDS = 300;
export const PADDLE_TOLERANCE_SECONDS = 300;

/** The header each provider signs with (lower case, as `Headers.get` takes it). */
export const SIGNATURE_HEADERS: Record<PaymentProvider, string> = {
  stripe: 'stripe-signature',
  lemonsqueezy: 'x-signature',
  paddle: 'paddle-signature',
};

export type SignatureVerdict = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale'; ahead?: boolean };

const HEX_MAC = /^[0-9a-f]{64}$/i;
const UNIX_SECONDS = /^\d{1,12}$/;

function hmacHex(secret: string, data: Buffer): Buffer {
  return Buffer.from(createHmac('sha256', secret).update(data).digest('hex'), 'utf8');
}

/** Whether some candidate equals the expected hex MAC; every candidate is compared, in constant time each. */
function anyMatches(expected: Buffer, candidates: readonly string[]): boolean {
  let found = false;
  for (const candidate of candidates) {
    const given = Buffer.from(candidate.toLowerCase(), 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) found = true;
  }
  return found;
}

/** `k=v` fields split by `separator`; a key may repeat (several `v1` or `h1`). */
function fields(header: string, separator: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of header.split(separator)) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const key = part.slice(0, at).trim();
    out.set(key, [...(out.get(key) ?? []), part.slice(at + 1).trim()]);
  }
  return out;
}

function timestamped(
  secret: string,
  body: Buffer,
  header: string,
  format: { separator: string; time: string; mac: string; join: string; tolerance: number },
  nowSeconds: number,
): SignatureVerdict {
  const parsed = fields(header, format.separator);
  const time = parsed.get(format.time);
  const macs = (parsed.get(format.mac) ?? []).filter((mac) => HEX_MAC.test(mac));
  if (!time || time.length !== 1 || !UNIX_SECONDS.test(time[0]!) || macs.length === 0) return { ok: false, reason: 'malformed' };
  const signed = Buffer.concat([Buffer.from(`${time[0]}${format.join}`, 'utf8'), body]);
  if (!anyMatches(hmacHex(secret, signed), macs)) return { ok: false, reason: 'mismatch' };
  // Checked after the MAC, so "stale" is only ever said of a delivery the provider really signed.
  if (Math.abs(nowSeconds - Number(time[0])) > format.tolerance) return { ok: false, reason: 'stale', ahead: Number(time[0]) > nowSeconds };
  return { ok: true };
}

/** Verifies `body` as `provider` signs it; `nowSeconds` is the server's clock. */
export function verifyProviderSignature(provider: PaymentProvider, secret: string, body: Buffer, header: string | null, nowSeconds: number): SignatureVerdict {
  if (!header) return { ok: false, reason: 'missing' };
  switch (provider) {
    case 'stripe':
      return timestamped(secret, body, header, { separator: ',', time: 't', mac: 'v1', join: '.', tolerance: STRIPE_TOLERANCE_SECONDS }, nowSeconds);
    case 'paddle':
      return timestamped(secret, body, header, { separator: ';', time: 'ts', mac: 'h1', join: ':', tolerance: PADDLE_TOLERANCE_SECONDS }, nowSeconds);
    case 'lemonsqueezy': {
      const given = header.trim();
      if (!HEX_MAC.test(given)) return { ok: false, reason: 'malformed' };
      return anyMatches(hmacHex(secret, body), [given]) ? { ok: true } : { ok: false, reason: 'mismatch' };
    }
  }
}
