import { describe, expect, it } from '@jest/globals';
import { actorLabel, dayBounds, summariseDetails } from './audit-summary.ts';

describe('summariseDetails', () => {
  it('lists fields as name: value', () => {
    expect(summariseDetails({ name: 'ci-main', scope: 'ci', key_prefix: 'tr_ab12' })).toBe('name: ci-main, scope: ci, key_prefix: tr_ab12');
  });

  it('flattens a changed map into from → to', () => {
    expect(summariseDetails({ changed: { can_publish: { from: false, to: true }, workflow: { from: null, to: 'release.yml' } } })).toBe(
      'can_publish: false → true, workflow: — → release.yml',
    );
  });

  it('shortens arrays, objects and long text, and caps the line', () => {
    expect(summariseDetails({ allowed_refs: ['refs/tags/v*'], extra: { a: 1, b: 2, c: 3, d: 4 }, none: [] })).toBe(
      'allowed_refs: refs/tags/v*, extra: {a, b, c, …}, none: []',
    );
    expect(summariseDetails({ platforms: ['a', 'b', 'c', 'd'] })).toBe('platforms: 4 items');
    const long = summariseDetails({ reason: 'x'.repeat(500) }, 50);
    expect(long).toHaveLength(50);
    expect(long.endsWith('…')).toBe(true);
  });

  it('is empty without details', () => {
    expect(summariseDetails(null)).toBe('');
  });
});

describe('actorLabel', () => {
  const keys = new Map([['5c0e9a52-0000-4000-8000-000000000001', { name: 'ci-main', scope: 'ci' }]]);

  it('names known keys and shortens unknown ones', () => {
    expect(actorLabel('key:5C0E9A52-0000-4000-8000-000000000001', keys)).toBe('key ci-main (ci)');
    expect(actorLabel('key:aaaaaaaa-0000-4000-8000-000000000002', keys)).toBe('key aaaaaaaa…');
  });

  it('keeps the token, system and CI actors readable', () => {
    expect(actorLabel('token:ADMIN_TOKEN', keys)).toBe('ADMIN_TOKEN');
    expect(actorLabel('system', keys)).toBe('system');
    expect(actorLabel('oidc:octo-org/octo-repo@1234567890', keys)).toBe('oidc:octo-org/octo-repo@1234567890');
  });
});

describe('dayBounds', () => {
  it('turns the From and To days into a half-open UTC range the API accepts', () => {
    expect(dayBounds('2026-11-01', '2026-11-22')).toEqual({ since: '2026-11-01T00:00:00Z', until: '2026-11-23T00:00:00.000Z' });
    expect(dayBounds('', '2026-12-31')).toEqual({ until: '2027-01-01T00:00:00.000Z' });
  });

  it('drops anything that is not a calendar day instead of sending it', () => {
    expect(dayBounds('yesterday', '2026-13-45')).toEqual({});
    expect(dayBounds('', '')).toEqual({});
  });
});
