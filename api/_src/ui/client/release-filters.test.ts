import { describe, expect, it } from '@jest/globals';
import { emptyListReason, lastReleasePage, readReleaseFilters } from './release-filters.ts';

describe('readReleaseFilters', () => {
  it('reads the filters and the page from the query string', () => {
    expect(readReleaseFilters('?status=draft&channel=beta&q=fix&page=3')).toEqual({ status: 'draft', channel: 'beta', q: 'fix', page: 3 });
    expect(readReleaseFilters('')).toEqual({ status: '', channel: '', q: '', page: 1 });
  });

  it('keeps the page within what the API can answer', () => {
    // offset = (page - 1) * 20 must stay ≤ 1,000,000, or the API refuses the whole list with a range error.
    expect(readReleaseFilters('?page=99999999999999999999').page).toBe(50_001);
    expect((readReleaseFilters('?page=99999999999999999999').page - 1) * 20).toBeLessThanOrEqual(1_000_000);
    expect(readReleaseFilters('?page=-1').page).toBe(1);
    expect(readReleaseFilters('?page=0').page).toBe(1);
    expect(readReleaseFilters('?page=2abc').page).toBe(1);
    expect(readReleaseFilters('?page=1e3').page).toBe(1);
  });

  it('reads an unknown status as all statuses, as the status select shows it', () => {
    expect(readReleaseFilters('?status=bogus').status).toBe('');
    expect(readReleaseFilters('?status=published').status).toBe('published');
  });
});

describe('emptyListReason', () => {
  const none = { status: '', channel: '', q: '', page: 1 };
  it('says an app has no releases only when it has none', () => {
    expect(emptyListReason(none, 0)).toBe('no-releases');
    expect(emptyListReason({ ...none, q: 'x' }, 0)).toBe('no-match');
  });

  it('tells a page past the end of a non-empty list from an app without releases', () => {
    expect(emptyListReason({ ...none, page: 999 }, 300)).toBe('past-end');
    expect(emptyListReason({ ...none, status: 'draft', page: 9 }, 5)).toBe('past-end');
  });
});

describe('lastReleasePage', () => {
  it('is the page holding the last release', () => {
    expect(lastReleasePage(0)).toBe(1);
    expect(lastReleasePage(20)).toBe(1);
    expect(lastReleasePage(21)).toBe(2);
    expect(lastReleasePage(300)).toBe(15);
  });
});
