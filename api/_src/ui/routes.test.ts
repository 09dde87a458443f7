import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gunzipSync } from 'node:zlib';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import type { Config } from '../config.ts';
import { UI_ASSETS, UI_SCRIPT, UI_STYLE } from './dist/assets.ts';
import { bucketOrigin, contentSecurityPolicy } from './routes.ts';

describe('/ui', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('serves the page shell for the dashboard root and every client-side route, with headers that stop framing and injection', async () => {
    for (const path of ['/ui', '/ui/apps/my-app/releases/1.2.0', '/ui/audit?action=app.create']) {
      const res = await ctx.app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await res.text();
      expect(html).toContain(`<script type="module" src="${UI_SCRIPT}"></script>`);
      expect(html).toContain(`<link rel="stylesheet" href="${UI_STYLE}">`);
      // No inline script or style for the CSP to have to allow.
      expect(html).not.toMatch(/<script>|<style|style="/);
      // Until the script mounts the dashboard, and for good when it never runs, the page says so rather than staying blank.
      expect(html).toContain('<div id="root"><p class="boot-message">Loading the dashboard… If this stays, its script could not be loaded or run');
    }
  });

  it('serves the bundled assets by their content-hashed names, gzipped when asked, and 404s others as JSON', async () => {
    const scriptName = UI_SCRIPT.slice('/ui/assets/'.length);
    const plain = await ctx.app.request(UI_SCRIPT);
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(plain.headers.get('cache-control')).toContain('immutable');
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe(UI_ASSETS[scriptName]!.body);

    const gzipped = await ctx.app.request(UI_SCRIPT, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(gzipped.headers.get('vary')).toBe('Accept-Encoding');
    const bytes = Buffer.from(await gzipped.arrayBuffer());
    expect(bytes.length).toBeLessThan(UI_ASSETS[scriptName]!.body.length / 2);
    expect(gunzipSync(bytes).toString('utf8')).toBe(UI_ASSETS[scriptName]!.body);

    const style = await ctx.app.request(UI_STYLE);
    expect(style.headers.get('content-type')).toMatch(/^text\/css/);

    const missing = await ctx.app.request('/ui/assets/app-000000000000.js');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('routes /ui/session to the session endpoints, not to the shell', async () => {
    const res = await ctx.app.request('/ui/session');
    expect(res.status).toBe(204);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});

describe('contentSecurityPolicy', () => {
  const s3 = (forcePathStyle: boolean): Config['storage'] => ({
    driver: 's3', endpoint: 'https://acct.r2.cloudflarestorage.com', region: 'auto', bucket: 'releases',
    accessKeyId: 'id', secretAccessKey: 'secret', publicBaseUrl: undefined, forcePathStyle,
  });

  it('lets the page connect to the bucket only when uploads go straight to it', () => {
    expect(bucketOrigin({ driver: 'fs' })).toBeNull();
    expect(bucketOrigin(s3(true))).toBe('https://acct.r2.cloudflarestorage.com');
    expect(bucketOrigin(s3(false))).toBe('https://releases.acct.r2.cloudflarestorage.com');
    const csp = contentSecurityPolicy({ storage: s3(true) } as Config);
    expect(csp).toContain("connect-src 'self' https://acct.r2.cloudflarestorage.com;");
  });
});
