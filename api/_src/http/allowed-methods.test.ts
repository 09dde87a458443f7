import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { allowedMethods } from './allowed-methods.ts';

const allowed = allowedMethods([
  { method: 'get', path: '/admin/apps' },
  { method: 'post', path: '/admin/apps' },
  { method: 'delete', path: '/admin/apps/{app}' },
  { method: 'get', path: '/{app}/update/{os}-{arch}/{current_version}' },
]);

describe('allowedMethods', () => {
  it('collects the methods of every route the path fits, with HEAD beside GET', () => {
    expect(allowed('/admin/apps')).toEqual(['GET', 'HEAD', 'POST']);
    expect(allowed('/admin/apps/my-app')).toEqual(['DELETE']);
    expect(allowed('/my-app/update/linux-x86_64/1.0.0')).toEqual(['GET', 'HEAD']);
  });

  it('knows no methods for an unknown path, an empty parameter or a different depth', () => {
    expect(allowed('/admin/nothing')).toEqual([]);
    expect(allowed('/admin/apps/')).toEqual([]);
    expect(allowed('/admin/apps/my-app/extra')).toEqual([]);
  });
});

describe('the app', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('answers a known path asked with another method 405 with Allow, and an unknown path 404', async () => {
    const wrong = await ctx.app.request('/admin/apps', { method: 'DELETE', headers: { authorization: ctx.adminAuth } });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(await wrong.json()).toEqual({ error: { code: 'method_not_allowed', message: '/admin/apps answers GET, HEAD, POST, not DELETE' } });
    const manifest = await ctx.app.request('/some-app/latest.json', { method: 'PUT' });
    expect([manifest.status, manifest.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const unknown = await ctx.app.request('/admin/nothing-here', { method: 'DELETE', headers: { authorization: ctx.adminAuth } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('allow')).toBeNull();
  });
});
