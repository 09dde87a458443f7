import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createApp } from '../app.ts';
import { createDeps } from '../create-deps.ts';
import { testEngines } from '../../../test/support/postgres.ts';
import { createTestContext, TEST_ADMIN_TOKEN, type TestContext } from '../../../test/support/context.ts';
import { auditRows, call, insertApp, insertKey } from '../admin/testing.ts';
import { createdApiKeySchema } from '../protocol/schemas.ts';
import { sessionViewSchema, type SessionView } from '../protocol/ui-session.ts';
import { CSRF_HEADER, SESSION_COOKIE } from './session.ts';

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
// The derivation the brief fixes, computed here independently of the server's helper.
const expectedCsrf = (token: string) => createHash('sha256').update(`csrf\0${token}`).digest('base64url');

interface Signed {
  token: string;
  csrf: string;
  view: SessionView;
  setCookie: string;
}

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

async function send(
  ctx: TestContext,
  method: string,
  path: string,
  options: { cookie?: string; csrf?: string; origin?: string; auth?: string; body?: unknown; app?: TestContext['app'] } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.cookie !== undefined) headers.cookie = `${SESSION_COOKIE}=${options.cookie}`;
  if (options.csrf !== undefined) headers[CSRF_HEADER] = options.csrf;
  if (options.origin !== undefined) headers.origin = options.origin;
  if (options.auth !== undefined) headers.authorization = options.auth;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await (options.app ?? ctx.app).request(path, { method, headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

function sessionCookieOf(res: Answer): { value: string; attributes: string[]; raw: string } {
  const raw = res.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=`));
  if (!raw) throw new Error(`no ${SESSION_COOKIE} cookie set (status ${res.status})`);
  const [pair, ...attributes] = raw.split(/;\s*/);
  return { value: pair!.slice(SESSION_COOKIE.length + 1), attributes, raw };
}

async function signIn(ctx: TestContext, key: string, url = '/ui/session'): Promise<Signed> {
  const res = await send(ctx, 'POST', url, { body: { key } });
  expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
  const cookie = sessionCookieOf(res);
  const view = sessionViewSchema.parse(res.body);
  return { token: cookie.value, csrf: view.csrf_token, view, setCookie: cookie.raw };
}

const sessionRow = (ctx: TestContext, token: string) =>
  ctx.database.db.selectFrom('ui_sessions').selectAll().where('token_hash', '=', sha256Hex(token)).executeTakeFirst();

describe.each(testEngines)('dashboard sessions on $name', ({ open }) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ openDatabase: open });
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('signs in with ADMIN_TOKEN: a stored hash, an HttpOnly SameSite=Strict cookie for 12 h, the CSRF token and the server facts', async () => {
    const before = Date.now();
    const res = await send(ctx, 'POST', '/ui/session', { body: { key: TEST_ADMIN_TOKEN } });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');

    const cookie = sessionCookieOf(res);
    expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cookie.attributes).toEqual(expect.arrayContaining(['Max-Age=43200', 'Path=/', 'HttpOnly', 'SameSite=Strict']));
    expect(cookie.attributes).not.toContain('Secure');

    const view = sessionViewSchema.parse(res.body);
    expect(view).toEqual({
      csrf_token: expectedCsrf(cookie.value),
      expires_at: expect.any(String),
      principal: { actor: 'token:ADMIN_TOKEN', scope: 'admin', app: null },
      server: { storage: 'fs', public_url: 'http://updates.test', storage_public_url: null, action_reference: null },
    });
    const expiresAt = Date.parse(view.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 43_200_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 43_200_000 + 1000);

    const row = await sessionRow(ctx, cookie.value);
    expect(row).toMatchObject({ api_key_id: null, admin_token_hash: sha256Hex(TEST_ADMIN_TOKEN) });
    expect(JSON.stringify(row)).not.toContain(cookie.value);
    const audited = (await auditRows(ctx, 'session.create')).find((entry) => entry.target === `ui_session:${row!.id}`);
    expect(audited).toMatchObject({ actor: 'token:ADMIN_TOKEN', app_id: null });

    const again = await send(ctx, 'GET', '/ui/session', { cookie: cookie.value });
    expect(again.status).toBe(200);
    expect(again.headers.get('cache-control')).toBe('no-store');
    expect(again.body).toEqual(view);
  });

  it.each([
    ['https://dash.example.com/ui/session', true],
    ['http://dash.example.com/ui/session', true],
    ['http://localhost:8787/ui/session', false],
    ['http://127.0.0.1:8787/ui/session', false],
    ['http://[::1]:8787/ui/session', false],
  ])('marks the cookie Secure unless the host is loopback: %s → %s', async (url, secure) => {
    const res = await send(ctx, 'POST', url, { body: { key: TEST_ADMIN_TOKEN } });
    expect(res.status).toBe(201);
    const { attributes } = sessionCookieOf(res);
    expect(attributes.includes('Secure')).toBe(secure);
    expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Max-Age=43200']));
  });

  it('signs in with an admin key made through the API; the session acts as that key, with last_used_at kept', async () => {
    const created = await call(ctx, 'POST', '/admin/keys', { body: { name: 'dashboard', scope: 'admin' } });
    expect(created.status).toBe(201);
    const key = createdApiKeySchema.parse(created.body);

    const session = await signIn(ctx, key.key);
    expect(session.view.principal).toEqual({ actor: `key:${key.id}`, scope: 'admin', app: null });
    expect(await sessionRow(ctx, session.token)).toMatchObject({ api_key_id: key.id, admin_token_hash: null });
    const row = await ctx.database.db.selectFrom('api_keys').select('last_used_at').where('id', '=', key.id).executeTakeFirstOrThrow();
    expect(row.last_used_at).not.toBeNull();

    const apps = await send(ctx, 'GET', '/admin/apps', { cookie: session.token });
    expect(apps.status).toBe(200);
    expect(apps.body).toHaveProperty('apps');
    // A cookie does not keep a shared cache from storing the answer; the server must.
    expect(apps.headers.get('cache-control')).toBe('private, no-store');
  });

  it('refuses a ci-scoped key with 403 saying the dashboard needs admin scope, and stores nothing', async () => {
    const key = await insertKey(ctx, 'ci', null);
    const count = async () => (await ctx.database.db.selectFrom('ui_sessions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    const before = Number(await count());
    const res = await send(ctx, 'POST', '/ui/session', { body: { key: key.key } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    expect(res.body.error.message).toMatch(/dashboard needs an admin-scoped API key/);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(Number(await count())).toBe(before);
  });

  it('refuses an unknown or revoked key with 401, and a malformed body with 400', async () => {
    const unknown = await send(ctx, 'POST', '/ui/session', { body: { key: 'trk_no-such-key' } });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toEqual({ code: 'unauthorized', message: 'unknown API key' });

    const key = await insertKey(ctx, 'admin', null);
    await ctx.database.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', key.id).execute();
    const revoked = await send(ctx, 'POST', '/ui/session', { body: { key: key.key } });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.message).toBe('this API key has been revoked');

    for (const body of [{}, { key: '' }, { key: TEST_ADMIN_TOKEN, extra: 1 }]) {
      const res = await send(ctx, 'POST', '/ui/session', { body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.headers.getSetCookie()).toEqual([]);
    }
  });

  it('is described in /openapi.json as cookie-authorised, sign-in excepted', async () => {
    const doc = (await send(ctx, 'GET', '/openapi.json')).body;
    expect(doc.components.securitySchemes.sessionCookie).toEqual(expect.objectContaining({ type: 'apiKey', in: 'cookie', name: SESSION_COOKIE }));
    const path = doc.paths['/ui/session'];
    expect(path.post.security).toEqual([]);
    expect(Object.keys(path.post.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403']));
    for (const method of ['get', 'delete']) {
      expect(path[method].security).toEqual([{ sessionCookie: [] }]);
      expect(path[method].responses).toHaveProperty(['401']);
    }
  });

  it('answers GET /ui/session with 204 without a cookie, and clears a cookie that names no session', async () => {
    const none = await send(ctx, 'GET', '/ui/session');
    expect(none.status).toBe(204);
    expect(none.headers.get('cache-control')).toBe('no-store');

    const bogus = await send(ctx, 'GET', '/ui/session', { cookie: 'not-a-session' });
    expect(bogus.status).toBe(204);
    expect(sessionCookieOf(bogus).attributes).toContain('Max-Age=0');
  });

  describe('mutations through the cookie', () => {
    let key: { id: string; key: string };
    let session: Signed;
    beforeAll(async () => {
      key = await insertKey(ctx, 'admin', null, 'csrf-test');
      session = await signIn(ctx, key.key);
    });
    const appCount = async (slug: string) => (await ctx.database.db.selectFrom('apps').select('id').where('slug', '=', slug).execute()).length;

    it('refuses POST /admin/apps without the CSRF header, and with another session\'s, creating nothing', async () => {
      const other = await signIn(ctx, TEST_ADMIN_TOKEN);
      for (const csrf of [undefined, '', other.csrf, session.csrf.slice(1), `${session.csrf}x`]) {
        const res = await send(ctx, 'POST', '/admin/apps', { cookie: session.token, csrf, body: { slug: 'csrf-app', name: 'CSRF' } });
        expect({ csrf, status: res.status, code: res.body.error.code }).toEqual({ csrf, status: 403, code: 'csrf_failed' });
        expect(res.body.error.message).toMatch(/x-csrf-token/);
      }
      expect(await appCount('csrf-app')).toBe(0);
    });

    it('accepts it with the session\'s CSRF token, audited as the key\'s actor', async () => {
      const res = await send(ctx, 'POST', '/admin/apps', { cookie: session.token, csrf: session.csrf, body: { slug: 'csrf-app', name: 'CSRF' } });
      expect(res.status).toBe(201);
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      const [row] = await auditRows(ctx, 'app.create').then((rows) => rows.filter((r) => r.target === `app:${res.body.id}`));
      expect(row).toMatchObject({ actor: `key:${key.id}`, app_id: res.body.id });
    });

    it('refuses a cross-origin request even with the right CSRF token; this server\'s own origins pass', async () => {
      for (const origin of ['https://evil.example', 'null', 'http://localhost:8788', 'https://updates.test']) {
        const res = await send(ctx, 'POST', '/admin/apps', { cookie: session.token, csrf: session.csrf, origin, body: { slug: 'cross-origin', name: 'X' } });
        expect({ origin, status: res.status, code: res.body.error.code }).toEqual({ origin, status: 403, code: 'csrf_failed' });
        expect(res.body.error.message).toMatch(/cross-origin/);
      }
      expect(await appCount('cross-origin')).toBe(0);

      // app.request('/…') is addressed to http://localhost; PUBLIC_URL is http://updates.test.
      for (const [origin, slug] of [['http://localhost', 'same-origin-a'], ['http://updates.test', 'same-origin-b']] as const) {
        const res = await send(ctx, 'POST', '/admin/apps', { cookie: session.token, csrf: session.csrf, origin, body: { slug, name: slug } });
        expect({ origin, status: res.status }).toEqual({ origin, status: 201 });
      }
    });

    it('refuses sign-in from a foreign origin too', async () => {
      const res = await ctx.app.request('/ui/session', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
        body: JSON.stringify({ key: TEST_ADMIN_TOKEN }),
      });
      expect(res.status).toBe(403);
      expect(((await res.json()) as Answer['body']).error.code).toBe('csrf_failed');
      expect(res.headers.getSetCookie()).toEqual([]);
    });

    it('lets an Authorization header win over the cookie, whichever way that cuts', async () => {
      // The header's key is used, so the cookie's missing CSRF header does not matter…
      const withKey = await send(ctx, 'POST', '/admin/apps', { cookie: session.token, auth: `Bearer ${TEST_ADMIN_TOKEN}`, body: { slug: 'header-wins', name: 'H' } });
      expect(withKey.status).toBe(201);
      const [row] = (await auditRows(ctx, 'app.create')).filter((r) => r.target === `app:${withKey.body.id}`);
      expect(row!.actor).toBe('token:ADMIN_TOKEN');
      expect(withKey.headers.get('cache-control')).not.toBe('private, no-store');
      // …and a bad header is refused although the cookie is good.
      const badKey = await send(ctx, 'GET', '/admin/apps', { cookie: session.token, auth: 'Bearer trk_no-such-key' });
      expect(badKey.status).toBe(401);
      expect(badKey.body.error.message).toBe('unknown API key');
    });

    it('accepts the session on the CI API (presigned uploads), with the CSRF rule', async () => {
      const path = '/ci/apps/csrf-app/releases';
      const refused = await send(ctx, 'POST', path, { cookie: session.token, body: { version: '1.0.0' } });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('csrf_failed');
      expect(await ctx.database.db.selectFrom('releases').select('id').where('version', '=', '1.0.0').execute()).toEqual([]);

      const res = await send(ctx, 'POST', path, { cookie: session.token, csrf: session.csrf, body: { version: '1.0.0' } });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ version: '1.0.0', status: 'draft' });
      const [row] = (await auditRows(ctx, 'release.create')).filter((r) => r.target === `release:${res.body.id}`);
      expect(row).toMatchObject({ actor: `key:${key.id}` });
    });
  });

  it('gives a scoped key\'s session only its own app', async () => {
    const mine = await insertApp(ctx, 'scoped-mine');
    await insertApp(ctx, 'scoped-other');
    const key = await insertKey(ctx, 'admin', mine);
    const session = await signIn(ctx, key.key);
    expect(session.view.principal).toEqual({ actor: `key:${key.id}`, scope: 'admin', app: { id: mine, slug: 'scoped-mine', name: 'scoped-mine' } });

    expect((await send(ctx, 'GET', '/admin/apps/scoped-mine', { cookie: session.token })).status).toBe(200);
    const other = await send(ctx, 'GET', '/admin/apps/scoped-other', { cookie: session.token });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('not_found');
    const list = await send(ctx, 'GET', '/admin/apps', { cookie: session.token });
    expect(list.body.apps.map((app: { slug: string }) => app.slug)).toEqual(['scoped-mine']);
    const release = await send(ctx, 'POST', '/ci/apps/scoped-other/releases', { cookie: session.token, csrf: session.csrf, body: { version: '1.0.0' } });
    expect(release.status).toBe(404);

    const [audited] = (await auditRows(ctx, 'session.create')).filter((r) => r.actor === `key:${key.id}`);
    expect(audited).toMatchObject({ app_id: mine });
  });

  it('ends a key\'s sessions at once when the key is revoked', async () => {
    const key = await insertKey(ctx, 'admin', null);
    const session = await signIn(ctx, key.key);
    expect((await send(ctx, 'GET', '/admin/apps', { cookie: session.token })).status).toBe(200);

    expect((await call(ctx, 'DELETE', `/admin/keys/${key.id}`)).status).toBe(200);
    const res = await send(ctx, 'GET', '/admin/apps', { cookie: session.token });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/session has ended/);
    expect(sessionCookieOf(res).attributes).toContain('Max-Age=0');
    expect((await send(ctx, 'GET', '/ui/session', { cookie: session.token })).status).toBe(204);
    expect(await sessionRow(ctx, session.token)).toBeUndefined();
  });

  it('treats an expired session as signed out (204 on GET /ui/session, 401 elsewhere) and deletes it; sign-in sweeps other expired rows', async () => {
    const session = await signIn(ctx, TEST_ADMIN_TOKEN);
    const stale = await signIn(ctx, TEST_ADMIN_TOKEN);
    const past = new Date(Date.now() - 1000);
    await ctx.database.db.updateTable('ui_sessions').set({ expires_at: past }).where('token_hash', 'in', [sha256Hex(session.token), sha256Hex(stale.token)]).execute();

    const res = await send(ctx, 'GET', '/ui/session', { cookie: session.token });
    expect(res.status).toBe(204);
    expect(await sessionRow(ctx, session.token)).toBeUndefined();
    expect((await send(ctx, 'GET', '/admin/apps', { cookie: session.token })).status).toBe(401);

    expect(await sessionRow(ctx, stale.token)).toBeDefined();
    await signIn(ctx, TEST_ADMIN_TOKEN);
    expect(await sessionRow(ctx, stale.token)).toBeUndefined();
  });

  it('ends ADMIN_TOKEN sessions when ADMIN_TOKEN changes', async () => {
    const session = await signIn(ctx, TEST_ADMIN_TOKEN);
    const rotated = createApp(createDeps({ ...ctx.config, adminToken: 'a-new-admin-token-0123456789abcdef' }, ctx.database.db, ctx.storage));
    const res = await send(ctx, 'GET', '/admin/apps', { cookie: session.token, app: rotated });
    expect(res.status).toBe(401);
    expect(await sessionRow(ctx, session.token)).toBeUndefined();
  });

  it('signs out: needs the CSRF header, then deletes the row, clears the cookie and writes the audit row', async () => {
    const key = await insertKey(ctx, 'admin', null);
    const session = await signIn(ctx, key.key);

    const refused = await send(ctx, 'DELETE', '/ui/session', { cookie: session.token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('csrf_failed');
    expect(await sessionRow(ctx, session.token)).toBeDefined();

    const res = await send(ctx, 'DELETE', '/ui/session', { cookie: session.token, csrf: session.csrf });
    expect(res.status).toBe(204);
    const cleared = sessionCookieOf(res);
    expect(cleared.value).toBe('');
    expect(cleared.attributes).toEqual(expect.arrayContaining(['Max-Age=0', 'Path=/', 'HttpOnly', 'SameSite=Strict']));
    const row = await sessionRow(ctx, session.token);
    expect(row).toBeUndefined();

    expect((await send(ctx, 'GET', '/ui/session', { cookie: session.token })).status).toBe(204);
    expect((await send(ctx, 'GET', '/admin/apps', { cookie: session.token })).status).toBe(401);
    const created = (await auditRows(ctx, 'session.create')).filter((r) => r.actor === `key:${key.id}`);
    const deleted = (await auditRows(ctx, 'session.delete')).filter((r) => r.actor === `key:${key.id}`);
    expect(created).toHaveLength(1);
    expect(deleted).toEqual([expect.objectContaining({ target: created[0]!.target, app_id: null })]);

    const again = await send(ctx, 'DELETE', '/ui/session', { cookie: session.token, csrf: session.csrf });
    expect(again.status).toBe(401);
  });
});
