import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { S3Storage } from '../storage/s3.ts';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { type RunningS3rver, startS3rver } from '../../../test/support/s3rver.ts';

const BYTES = new TextEncoder().encode('updater bundle bytes');
const FILE = 'App_1.0.0_x64-setup.exe';

describe.each([
  ['with a public base URL', true],
  ['without one (presigned)', false],
])('downloads from S3 %s', (_name, hasPublicUrl) => {
  let s3: RunningS3rver;
  let ctx: TestContext;
  let publicBase: string;
  beforeAll(async () => {
    s3 = await startS3rver();
    publicBase = `${s3.endpoint}/${s3.bucket}`;
    const storage = new S3Storage({ ...s3.config, publicBaseUrl: hasPublicUrl ? publicBase : undefined });
    ctx = await createTestContext({ storage });
    const appId = await insertApp(ctx.database.db, 'cloud');
    await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: [{ platform: 'windows-x86_64', bundle: 'nsis', file: FILE, content: BYTES }] }, storage);
    await insertRelease(ctx.database.db, appId, { version: '1.1.0', status: 'draft', artifacts: [{ platform: 'windows-x86_64', bundle: 'nsis', file: 'draft.exe', content: BYTES }] }, storage);
  });
  afterAll(async () => {
    await ctx?.close();
    await s3?.close();
  });

  it('puts the right URL in the manifest', async () => {
    const { url } = (await (await ctx.app.request('/update/cloud/windows/x86_64/0.1.0')).json()) as { url: string };
    expect(url).toBe(hasPublicUrl ? `${publicBase}/cloud/releases/1.0.0/${FILE}` : `http://updates.test/download/cloud/1.0.0/${FILE}`);
  });

  it('redirects to a URL that serves the bytes', async () => {
    for (const method of ['GET', 'HEAD']) {
      const res = await ctx.app.request(`/download/cloud/1.0.0/${FILE}`, { method });
      expect(res.status).toBe(302);
      const location = res.headers.get('location')!;
      if (hasPublicUrl) {
        expect(location).toBe(`${publicBase}/cloud/releases/1.0.0/${FILE}`);
        expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      } else {
        expect(location).toContain('X-Amz-Signature=');
        expect(res.headers.get('cache-control')).toBe('public, max-age=300');
        const fetched = await fetch(location);
        expect(fetched.status).toBe(200);
        expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(BYTES);
      }
    }
  });

  it('does not redirect to a draft', async () => {
    expect((await ctx.app.request('/download/cloud/1.1.0/draft.exe')).status).toBe(404);
  });
});
