import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { S3Storage } from '../storage/s3.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { type RunningS3rver, startS3rver } from '../../../test/support/s3rver.ts';

const BYTES = new TextEncoder().encode('installer bytes');
const FILE = 'Cloud_2.0.0_x64-setup.exe';

describe('downloads from S3', () => {
  let s3: RunningS3rver;
  let ctx: TestContext;
  beforeAll(async () => {
    s3 = await startS3rver();
    const storage = new S3Storage({ ...s3.config, publicBaseUrl: undefined });
    ctx = await createTestContext({ storage });
    const appId = await insertApp(ctx.database.db, 'cloud');
    await insertRelease(ctx.database.db, appId, { version: '2.0.0', artifacts: [{ platform: 'windows-x86_64', bundle: 'nsis', file: FILE, content: BYTES }] }, storage);
  }, 120_000);
  afterAll(async () => {
    await ctx?.close();
    await s3?.close();
  });

  it('are counted, then redirected to a URL that serves the bytes', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await ctx.app.request(`/download/cloud/2.0.0/${FILE}`, { headers: { 'x-vercel-ip-country': 'BR' } });
      expect(res.status).toBe(302);
      const fetched = await fetch(res.headers.get('location')!);
      expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(BYTES);
    }
    expect((await ctx.app.request(`/download/cloud/2.0.0/${FILE}`, { method: 'HEAD' })).status).toBe(302);
    expect(await ctx.database.db.selectFrom('download_counts').selectAll().execute()).toEqual([]); // not yet flushed
    const res = await ctx.app.request('/admin/apps/cloud/analytics/downloads', { headers: { authorization: ctx.adminAuth } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { total: number; versions: unknown[] };
    expect(body).toMatchObject({ total: 3, versions: [{ version: '2.0.0', downloads: 3 }] });
    const rows = await ctx.database.db.selectFrom('download_counts').select(['file_name', 'platform', 'bundle', 'country', 'downloads']).execute();
    expect(rows).toEqual([{ file_name: FILE, platform: 'windows-x86_64', bundle: 'nsis', country: 'BR', downloads: 3 }]);
  });
});
