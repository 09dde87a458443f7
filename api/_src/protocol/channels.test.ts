import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { type ChannelConfig, channelChain, checkChannelConfig, QUERIED_CHANNEL_PATTERN, RELEASE_CHANNEL_PATTERN } from './channels.ts';

describe('channel names', () => {
  const name = (length: number) => 'b'.repeat(length);

  it('stores 1–32 characters and accepts up to 63 in a query', () => {
    expect([1, 32, 33].map((length) => RELEASE_CHANNEL_PATTERN.test(name(length)))).toEqual([true, true, false]);
    expect([1, 63, 64].map((length) => QUERIED_CHANNEL_PATTERN.test(name(length)))).toEqual([true, true, false]);
    for (const pattern of [RELEASE_CHANNEL_PATTERN, QUERIED_CHANNEL_PATTERN]) {
      expect(['beta', 'nightly.2', 'lts_1-x'].every((channel) => pattern.test(channel))).toBe(true);
      expect(['', 'Beta', '-beta', '.beta', 'be ta', 'be/ta'].some((channel) => pattern.test(channel))).toBe(false);
    }
  });

  it('is the rule the database checks a configured channel with', () => {
    const migration = readFileSync(new URL('../../../db/migrations/2026_11_22_0004_release_policy.ts', import.meta.url), 'utf8');
    expect(migration).toContain(`name ~ '${RELEASE_CHANNEL_PATTERN.source}'`);
  });
});

describe('channel fallback', () => {
  const channels: ChannelConfig[] = [
    { name: 'beta', follows: 'stable' },
    { name: 'nightly', follows: 'beta' },
    { name: 'lts', follows: null },
  ];

  it.each([
    ['nightly', ['nightly', 'beta', 'stable']],
    ['beta', ['beta', 'stable']],
    ['stable', ['stable']],
    ['lts', ['lts']],
  ])('serves %s from %j', (channel, chain) => {
    expect(channelChain(channels, channel)).toEqual(chain);
  });

  it.each([
    [[{ name: 'beta', follows: 'stable' }], null],
    [[{ name: 'stable', follows: null }, { name: 'beta', follows: 'stable' }], null],
    [[{ name: 'beta', follows: 'nightly' }, { name: 'nightly', follows: 'beta' }], 'cycle: beta → nightly → beta'],
    [[{ name: 'beta', follows: 'beta' }], 'cannot follow itself'],
    [[{ name: 'stable', follows: 'beta' }, { name: 'beta', follows: null }], 'stable is the most stable channel'],
    [[{ name: 'beta', follows: 'alpha' }], 'follows alpha, which is not in the list'],
    [[{ name: 'beta', follows: null }, { name: 'beta', follows: 'stable' }], 'listed twice'],
    [[{ name: 'Beta', follows: null }], 'invalid channel name'],
  ])('configuration %j → %s', (config, problem) => {
    const result = checkChannelConfig(config);
    if (problem === null) expect(result).toBeNull();
    else expect(result).toContain(problem);
  });
});
