/**
 * The analytics reports' `?channel=` filter tells a malformed name the whole rule, as the update check does
 * (protocol/channels.ts QUERIED_CHANNEL_RULE): 64 lowercase letters are all allowed characters, one too many.
 */
import { describe, expect, it } from '@jest/globals';
import { adoptionQuerySchema, checksQuerySchema } from './analytics.ts';

describe('the analytics query schemas\' channel filter', () => {
  it.each([
    ['checks', checksQuerySchema],
    ['adoption', adoptionQuerySchema],
  ])('%s: 63 letters pass; 64 are refused with the length limit and where the name must start', (_, schema) => {
    expect(schema.safeParse({ channel: 'b'.repeat(63) }).success).toBe(true);
    const refused = schema.safeParse({ channel: 'b'.repeat(64) });
    expect(refused.error?.issues.map(({ path, message }) => ({ path, message }))).toEqual([
      { path: ['channel'], message: expect.stringMatching(/1–63 characters.*starting with a letter or digit/) },
    ]);
  });
});
