import { describe, expect, it } from '@jest/globals';
import { auditQuerySchema } from '../../protocol/schemas.ts';
import { listLicensesQuerySchema } from '../../protocol/licensing.ts';
import { bySchema, describeIgnored, readParams } from './page-params.ts';
import { readKeysView } from './keys-view.ts';
import { readReleaseView } from './release-filters.ts';

const AUDIT = { before: bySchema(auditQuerySchema.shape.before, 'an entry number') };
const LICENSES = { status: bySchema(listLicensesQuerySchema.shape.status, 'active, suspended, revoked'), q: bySchema(listLicensesQuerySchema.shape.q, 'a key prefix') };

describe('readParams', () => {
  it('passes what the API accepts, and leaves out what it would refuse, naming it', () => {
    expect(readParams('?before=120', AUDIT)).toEqual({ values: { before: '120' }, ignored: [] });
    expect(readParams('', AUDIT)).toEqual({ values: { before: '' }, ignored: [] });
    for (const bad of ['garbage', '0', '-3', '1.5', '99999999999999999999']) {
      expect(readParams(`?before=${bad}`, AUDIT)).toEqual({ values: { before: '' }, ignored: [{ name: 'before', value: bad, expected: 'an entry number' }] });
    }
    expect(readParams(`?status=bogus&q=${'x'.repeat(300)}`, LICENSES).ignored.map((param) => param.name)).toEqual(['status', 'q']);
    expect(readParams('?status=revoked&q=trl_AB', LICENSES)).toEqual({ values: { status: 'revoked', q: 'trl_AB' }, ignored: [] });
  });

  it('words a left-out value briefly, cutting a long one short', () => {
    expect(describeIgnored({ name: 'before', value: 'garbage', expected: 'an entry number' })).toBe('before=garbage (expected an entry number)');
    expect(describeIgnored({ name: 'q', value: 'x'.repeat(300), expected: 'a search' })).toBe(`q=${'x'.repeat(39)}… (expected a search)`);
  });
});

describe('the releases page reads its address the same way', () => {
  it('names an unknown status, a bad channel and a page that is no number', () => {
    const { filters, ignored } = readReleaseView('?status=bogus&channel=Not%20A%20Channel&page=abc&q=fix');
    expect(filters).toEqual({ status: '', channel: '', q: 'fix', page: 1 });
    expect(ignored.map((param) => param.name)).toEqual(['status', 'channel', 'page']);
  });
});

describe('the keys page reads its address the same way', () => {
  it('shows every key for show=all, global ones without it or for show=global, and names any other value', () => {
    expect(readKeysView('?show=all')).toEqual({ showAll: true, ignored: [] });
    expect(readKeysView('')).toEqual({ showAll: false, ignored: [] });
    expect(readKeysView('?show=global')).toEqual({ showAll: false, ignored: [] });
    for (const bad of ['ALL', 'every', 'all ']) {
      expect(readKeysView(`?show=${encodeURIComponent(bad)}`)).toEqual({ showAll: false, ignored: [{ name: 'show', value: bad, expected: 'all or global' }] });
    }
  });
});
