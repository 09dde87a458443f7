/**
 * Each provider's signature scheme on its own: the documented header formats, several MACs during a secret's
 * rotation, the timestamp tolerance on both sides of it, and bodies or headers changed by one character.
 */
import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { PADDLE_TOLERANCE_SECONDS, STRIPE_TOLERANCE_SECONDS, verifyProviderSignature } from './signatures.ts';
import { signAs } from './testing.ts';

const NOW = 1_780_000_000;
const body = '{"id":"evt_1","type":"invoice.paid"}';
const bytes = Buffer.from(body);
const mac = (secret: string, data: string) => createHmac('sha256', secret).update(data).digest('hex');

describe('Stripe-Signature', () => {
  const secret = 'whsec_abc';
  it('accepts its own header, and any v1 of several (a secret being rolled)', () => {
    expect(verifyProviderSignature('stripe', secret, bytes, signAs('stripe', secret, body, NOW), NOW)).toEqual({ ok: true });
    const header = `t=${NOW},v1=${mac('whsec_old', `${NOW}.${body}`)},v1=${mac(secret, `${NOW}.${body}`)},v0=${'0'.repeat(64)}`;
    expect(verifyProviderSignature('stripe', secret, bytes, header, NOW)).toEqual({ ok: true });
  });
  it('refuses another secret, a changed body, a v0-only header and a timestamp past 5 minutes either way', () => {
    expect(verifyProviderSignature('stripe', 'whsec_other', bytes, signAs('stripe', secret, body, NOW), NOW)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyProviderSignature('stripe', secret, Buffer.from(body.replace('1', '2')), signAs('stripe', secret, body, NOW), NOW)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyProviderSignature('stripe', secret, bytes, `t=${NOW},v0=${mac(secret, `${NOW}.${body}`)}`, NOW)).toEqual({ ok: false, reason: 'malformed' });
    const at = NOW - STRIPE_TOLERANCE_SECONDS;
    expect(verifyProviderSignature('stripe', secret, bytes, signAs('stripe', secret, body, at), NOW)).toEqual({ ok: true });
    expect(verifyProviderSignature('stripe', secret, bytes, signAs('stripe', secret, body, at - 1), NOW)).toEqual({ ok: false, reason: 'stale', ahead: false });
    expect(verifyProviderSignature('stripe', secret, bytes, signAs('stripe', secret, body, NOW + STRIPE_TOLERANCE_SECONDS + 1), NOW)).toEqual({ ok: false, reason: 'stale', ahead: true });
    // The timestamp is inside the MAC: moving it forward breaks the signature rather than passing the staleness check.
    const old = signAs('stripe', secret, body, NOW - 1000).replace(`t=${NOW - 1000}`, `t=${NOW}`);
    expect(verifyProviderSignature('stripe', secret, bytes, old, NOW)).toEqual({ ok: false, reason: 'mismatch' });
  });
});

describe('Paddle-Signature', () => {
  const secret = 'pdl_ntfset_01abc_xyz';
  it('accepts ts;h1 over "ts:body", and any h1 while the secret rotates', () => {
    expect(verifyProviderSignature('paddle', secret, bytes, signAs('paddle', secret, body, NOW), NOW)).toEqual({ ok: true });
    const header = `ts=${NOW};h1=${mac('pdl_old', `${NOW}:${body}`)};h1=${mac(secret, `${NOW}:${body}`)}`;
    expect(verifyProviderSignature('paddle', secret, bytes, header, NOW)).toEqual({ ok: true });
  });
  it('refuses Stripe\'s "t.body" form, a stale ts and a missing h1', () => {
    expect(verifyProviderSignature('paddle', secret, bytes, `ts=${NOW};h1=${mac(secret, `${NOW}.${body}`)}`, NOW)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyProviderSignature('paddle', secret, bytes, signAs('paddle', secret, body, NOW - PADDLE_TOLERANCE_SECONDS - 1), NOW)).toEqual({ ok: false, reason: 'stale', ahead: false });
    expect(verifyProviderSignature('paddle', secret, bytes, `ts=${NOW}`, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('X-Signature (Lemon Squeezy)', () => {
  const secret = 'ls-secret';
  it('accepts the hex HMAC of the raw body, in either case, whatever the time', () => {
    expect(verifyProviderSignature('lemonsqueezy', secret, bytes, mac(secret, body), NOW)).toEqual({ ok: true });
    expect(verifyProviderSignature('lemonsqueezy', secret, bytes, mac(secret, body).toUpperCase(), NOW + 10 ** 6)).toEqual({ ok: true });
  });
  it('refuses another body, a truncated MAC and no header', () => {
    expect(verifyProviderSignature('lemonsqueezy', secret, Buffer.from(`${body} `), mac(secret, body), NOW)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyProviderSignature('lemonsqueezy', secret, bytes, mac(secret, body).slice(0, 63), NOW)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyProviderSignature('lemonsqueezy', secret, bytes, null, NOW)).toEqual({ ok: false, reason: 'missing' });
  });
});
