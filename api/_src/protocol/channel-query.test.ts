/**
 * A request may name a longer channel (63 characters, QUERIED_CHANNEL_PATTERN) than an app can store (32,
 * RELEASE_CHANNEL_PATTERN): a well-formed name no app can have is an unknown channel, a longer one is malformed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp } from '../../../test/support/release-fixtures.ts';
import { call } from '../admin/testing.ts';

const SLUG = 'lengths';
const name = (length: number) => 'b'.repeat(length);

describe('a channel named in a query', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
    await insertApp(ctx.database.db, SLUG, null);
  });
  afterAll(async () => {
    await ctx.close();
  });

  it.each([
    [32, 404],
    [33, 404],
    [63, 404],
    [64, 400],
  ])('of %i characters: the update check and latest.json answer %i', async (length, status) => {
    for (const path of [`/update/${SLUG}/linux/x86_64/1.0.0?channel=${name(length)}`, `/${SLUG}/latest.json?channel=${name(length)}`]) {
      expect([path, (await ctx.app.request(path)).status]).toEqual([path, status]);
    }
  });

  it('too long: the 400 names the length limit, not only the characters (64 lowercase letters are all allowed ones)', async () => {
    for (const path of [`/update/${SLUG}/linux/x86_64/1.0.0?channel=${name(64)}`, `/${SLUG}/latest.json?channel=${name(64)}`]) {
      const answer = (await (await ctx.app.request(path)).json()) as { error: { code: string; message: string } };
      expect([path, answer.error.code, answer.error.message]).toEqual([path, 'invalid_request', expect.stringContaining('1–63 characters')]);
    }
  });

  it.each([
    [63, 200],
    [64, 400],
  ])('of %i characters: the checks report answers %i', async (length, status) => {
    expect((await call(ctx, 'GET', `/admin/apps/${SLUG}/analytics/checks?channel=${name(length)}`)).status).toBe(status);
  });
});
