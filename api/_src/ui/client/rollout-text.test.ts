import { describe, expect, it } from '@jest/globals';
import { rolloutOfText } from './rollout-text.ts';

describe('rolloutOfText', () => {
  it('reads a whole percentage', () => {
    expect(rolloutOfText('40')).toBe(40);
    expect(rolloutOfText(' 0 ')).toBe(0);
    expect(rolloutOfText('12.6')).toBe(13);
  });

  it('keeps it within 0–100', () => {
    expect(rolloutOfText('150')).toBe(100);
    expect(rolloutOfText('1e5')).toBe(100);
    expect(rolloutOfText('-5')).toBe(0);
  });

  it('reads an empty or unreadable field as no value, not as 0%', () => {
    expect(rolloutOfText('')).toBeNull();
    expect(rolloutOfText('   ')).toBeNull();
    expect(rolloutOfText('abc')).toBeNull();
  });
});
