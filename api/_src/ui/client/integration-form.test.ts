import { describe, expect, it } from '@jest/globals';
import type { IntegrationView } from '../../protocol/billing.ts';
import { draftOfIntegration, newIntegrationDraft, readIntegrationChanges, readNewIntegration } from './integration-form.ts';

const YEARLY = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
const MONTHLY = '1b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';

const saved: IntegrationView = {
  id: '2b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d',
  app_id: '3b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d',
  provider: 'paddle',
  description: 'Paddle live',
  prices: { pri_yearly: YEARLY },
  active: true,
  webhook_url: 'http://localhost/billing/2b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/webhook',
  created_at: '2026-12-01T00:00:00.000Z',
  updated_at: '2026-12-01T00:00:00.000Z',
};

describe('reading a new integration', () => {
  it('gives the API body, skipping blank price rows', () => {
    const draft = { ...newIntegrationDraft(), secret: ' whsec_abcdef ', description: ' Stripe live ', rows: [{ price: 'price_1', policy: YEARLY }, { price: '', policy: '' }] };
    expect(readNewIntegration(draft)).toEqual({
      body: { provider: 'stripe', signing_secret: 'whsec_abcdef', prices: { price_1: YEARLY }, description: 'Stripe live', active: true },
      problems: { secret: null, prices: null, description: null },
    });
  });

  it('names the field of each problem, in the server schema\'s words', () => {
    const read = readNewIntegration({ ...newIntegrationDraft(), secret: 'short', rows: [{ price: 'price 1', policy: YEARLY }] });
    expect(read.body).toBeNull();
    expect(read.problems.secret).toBe('Must be at least 6 characters');
    expect(read.problems.prices).toContain('letters, digits');
  });

  it.each([
    [[{ price: 'price_1', policy: '' }], 'Choose the policy a purchase of price_1 gets.'],
    [[{ price: '', policy: YEARLY }], 'Each row needs the provider\'s price or variant id.'],
    [[{ price: 'price_1', policy: YEARLY }, { price: ' price_1', policy: MONTHLY }], 'price_1 is listed twice.'],
  ])('refuses price rows %j', (rows, problem) => {
    const read = readNewIntegration({ ...newIntegrationDraft(), secret: 'whsec_abcdef', rows });
    expect(read).toEqual({ body: null, problems: { secret: null, prices: problem, description: null } });
  });
});

describe('reading an edited integration', () => {
  it('sends only what changed, and the secret only when one was typed', () => {
    const draft = draftOfIntegration(saved);
    expect(draft.secret).toBe('');
    expect(readIntegrationChanges(draft, saved).body).toEqual({});
    expect(readIntegrationChanges({ ...draft, active: false }, saved).body).toEqual({ active: false });
    expect(readIntegrationChanges({ ...draft, secret: 'pdl_ntfset_new', description: '' }, saved).body).toEqual({ signing_secret: 'pdl_ntfset_new', description: null });
    const rows = [...draft.rows, { price: 'pri_monthly', policy: MONTHLY }];
    expect(readIntegrationChanges({ ...draft, rows }, saved).body).toEqual({ prices: { pri_yearly: YEARLY, pri_monthly: MONTHLY } });
  });

  it('refuses a typed secret the server would refuse', () => {
    const read = readIntegrationChanges({ ...draftOfIntegration(saved), secret: 'has space' }, saved);
    expect(read.body).toBeNull();
    expect(read.problems.secret).toBeTruthy();
  });
});
