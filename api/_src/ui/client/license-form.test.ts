import { describe, expect, it } from '@jest/globals';
import { dayText, endOfDayIso, machinesText, parseEntitlements, readWholeNumber, strategyMeaning } from './license-form.ts';

describe('licensing form helpers', () => {
  it('reads an entitlement list typed with commas, spaces or new lines, without blanks or duplicates', () => {
    expect(parseEntitlements(' pro, teams\nPRO  pro,,')).toEqual(['pro', 'teams', 'PRO']);
    expect(parseEntitlements('   ')).toEqual([]);
  });

  it.each([
    ['365', { ok: true, value: 365 }],
    ['', { ok: true, value: null }],
    [' 0 ', { ok: false, problem: 'Max machines must be at least 1.' }],
    ['1.5', { ok: false, problem: 'Max machines must be a whole number.' }],
    ['-3', { ok: false, problem: 'Max machines must be a whole number.' }],
    ['100001', { ok: false, problem: 'Max machines must be at most 100000.' }],
  ])('max machines %j', (text, expected) => {
    expect(readWholeNumber(text, { label: 'Max machines', min: 1, max: 100_000, optional: true })).toEqual(expected);
  });

  it('requires a value when the field is not optional', () => {
    expect(readWholeNumber('', { label: 'Grace days', min: 0 })).toEqual({ ok: false, problem: 'Grace days is required.' });
  });

  it('says what revoke does with and without grace days', () => {
    expect(strategyMeaning('revoke', 0)).toMatch(/^From the expiry on/);
    expect(strategyMeaning('revoke', 1)).toContain('1 grace day,');
    expect(strategyMeaning('revoke', 14)).toContain('14 grace days');
    expect(strategyMeaning('fallback', 14)).toContain('first published up to its expiry');
  });

  it('writes dates as UTC days and reads a date field as the end of that UTC day', () => {
    expect(dayText('2027-03-01T23:30:00.000Z')).toBe('2027-03-01');
    expect(dayText(null)).toBe('—');
    expect(endOfDayIso('2027-03-01')).toBe('2027-03-01T23:59:59.000Z');
    expect(endOfDayIso('')).toBeNull();
    expect(endOfDayIso('2027-02-31')).toBeNull();
  });

  it('counts machines against a limit or none', () => {
    expect(machinesText(2, 3)).toBe('2 of 3');
    expect(machinesText(5, null)).toBe('5 (no limit)');
  });
});
