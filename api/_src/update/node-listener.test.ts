import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { RateLimitedError } from '../http/errors.ts';
import { withUpdateChecks } from './node-listener.ts';

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: string }

let ctx: TestContext;
let hono: Server;
let fast: Server;
/** Requests the fast listener handed to Hono. */
let handedOver = 0;
/** The release cache's database loads when the last request was handed to Hono. */
let loadsWhenHandedOver = 0;

function listen(listener: RequestListener): Promise<Server> {
  const server = createServer(listener);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function send(server: Server, path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Raw> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The same request through plain Hono and through the fast listener: status, headers (but Date) and body. */
async function both(path: string, init: { method?: string; headers?: Record<string, string> } = {}) {
  const [viaHono, viaFast] = [await send(hono, path, init), await send(fast, path, init)];
  delete viaHono.headers.date;
  delete viaFast.headers.date;
  return { viaHono, viaFast };
}

const countedChecks = async () => {
  await ctx.deps.analytics.flush();
  const row = await ctx.database.db.selectFrom('update_check_counts').select((eb) => eb.fn.sum<number>('checks').as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
};

beforeAll(async () => {
  ctx = await createTestContext();
  const db = ctx.database.db;
  const appId = await insertApp(db, 'fast');
  await insertRelease(db, appId, {
    version: '1.0.0',
    artifacts: [
      { platform: 'linux-x86_64', bundle: 'appimage' },
      { platform: 'linux-x86_64', bundle: 'deb' },
      { platform: 'darwin-aarch64', bundle: 'app' },
    ],
  });
  const beta = await insertRelease(db, appId, { version: '1.1.0-beta.1', channel: 'beta', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }] });
  await db.updateTable('releases').set({ rollout_percent: 50 }).where('id', '=', beta.id).execute();
  await db.insertInto('release_channels').values([{ app_id: appId, name: 'stable', follows: null }]).execute();
  await db.insertInto('release_channels').values([{ app_id: appId, name: 'beta', follows: 'stable' }]).execute();
  const app = getRequestListener(ctx.app.fetch);
  hono = await listen(app);
  fast = await listen(withUpdateChecks(ctx.deps, (req, res) => {
    handedOver++;
    loadsWhenHandedOver = ctx.deps.releaseCache.loads;
    return app(req, res);
  }));
});

afterAll(async () => {
  for (const server of [hono, fast]) {
    server?.closeAllConnections();
    await new Promise((resolve) => server ? server.close(resolve) : resolve(undefined));
  }
  await ctx?.close();
});

describe('update checks on node:http ahead of Hono', () => {
  it('answers cached checks itself, with the same bytes and headers as the Hono route', async () => {
    await send(fast, '/update/fast/linux/x86_64/0.9.0'); // loads the snapshot (through Hono)
    const etag = (await send(hono, '/update/fast/linux/x86_64/0.9.0?bundle_type=deb')).headers.etag as string;
    const noContentEtag = (await send(hono, '/update/fast/linux/x86_64/1.0.0')).headers.etag as string;
    const cases: [string, Record<string, string>?][] = [
      ['/update/fast/linux/x86_64/0.9.0'],
      ['/update/fast/linux/x86_64/v0.9.0'],
      ['/update/fast/linux/x86_64/0.9.0?bundle_type=deb'],
      ['/update/fast/linux/x86_64/0.9.0?bundle_type=unknown'],
      ['/update/fast/linux/x86_64/0.9.0?bundle_type='],
      ['/update/fast/linux/x86_64/0.9.0?bundle_type=deb&bundle_type=appimage'],
      ['/update/fast/linux/x86_64/0.9.0?bundle_type'],
      ['/update/fast/darwin/aarch64/0.9.0'],
      ['/update/fast/windows/x86_64/0.9.0'],
      ['/update/fast/linux/x86_64/1.0.0'],
      ['/update/fast/linux/x86_64/2.0.0-rc.1+build.5'],
      ['/fast/update/linux-x86_64/0.9.0'],
      ['/fast/update/linux-x86_64/0.9.0?bundle_type=appimage&channel=beta&install_id=install-00000001'],
      ['/update/fast/linux/x86_64/1.0.0?channel=beta&install_id=install-00000002'],
      ['/update/fast/linux/x86_64/1.0.0?channel=beta', { 'x-install-id': 'install-00000003' }],
      ['/update/fast/linux/x86_64/1.0.0?channel=beta'],
      ['/update/fast/linux/x86_64/0.9.0?bundle_type=deb', { 'if-none-match': etag }],
      ['/update/fast/linux/x86_64/0.9.0?bundle_type=deb', { 'if-none-match': `"other", W/${etag}` }],
      ['/update/fast/linux/x86_64/1.0.0', { 'if-none-match': noContentEtag }],
      ['/update/fast/linux/x86_64/1.0.0', { 'if-none-match': '*' }],
      ['/update/fast/linux/x86_64/0.9.0', { 'cf-ipcountry': 'de', 'x-vercel-ip-country': 'XX' }],
    ];
    const before = handedOver;
    for (const [path, headers] of cases) {
      const { viaHono, viaFast } = await both(path, { headers });
      expect({ path, ...viaFast }).toEqual({ path, ...viaHono });
      expect([200, 204, 304]).toContain(viaFast.status);
    }
    expect(handedOver - before).toBe(0);
    // The 200s carry their length, not chunked encoding.
    const answer = await send(fast, '/update/fast/linux/x86_64/0.9.0');
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.body)));
    expect(answer.headers['transfer-encoding']).toBeUndefined();
  });

  it("sends a refused address's 429 with its length, as the Hono route does, not chunked", async () => {
    await send(fast, '/update/fast/linux/x86_64/0.9.0'); // the snapshot is cached
    const refusing = await listen(withUpdateChecks({ ...ctx.deps, rateLimits: { updateCheck: () => new RateLimitedError('update checks', 30) } }, () => {
      throw new Error('answered here');
    }));
    try {
      const refused = await send(refusing, '/update/fast/linux/x86_64/0.9.0');
      expect(refused.status).toBe(429);
      expect(refused.headers['content-length']).toBe(String(Buffer.byteLength(refused.body)));
      expect(refused.headers['transfer-encoding']).toBeUndefined();
    } finally {
      refusing.closeAllConnections();
      await new Promise((resolve) => refusing.close(resolve));
    }
  });

  it('hands everything else to Hono, which answers exactly as without it', async () => {
    const cases: [string, { method?: string; headers?: Record<string, string> }?][] = [
      ['/update/nope/linux/x86_64/0.9.0'],
      ['/update/fast/linux/x86_64/not-a-version'],
      ['/update/fast/plan9/x86_64/0.9.0'],
      ['/update/fast/linux/x86_64/0.9.0?bundle_type=msi'],
      ['/update/fast/linux/x86_64/0.9.0?bundle_type=bogus'],
      ['/update/fast/linux/x86_64/0.9.0?channel=nope'],
      ['/update/fast/linux/x86_64/0.9.0?channel=Not_Valid!'],
      ['/update/fast/linux/x86_64/0.9.0?install_id=short'],
      ['/update/fast/linux/x86_64/0.9.0?install_id=install-00000001', { headers: { 'x-install-id': 'install-00000009' } }],
      ['/fast/update/linux_x86_64/0.9.0'],
      ['/update/fast/linux/x86_64/0.9.0/'],
      ['/update//fast/linux/x86_64/0.9.0'],
      ['/update/fast/linux/x86_64/0%2E9.0'],
      ['/update/fast/linux/x86_64/0.9.0?bundle_type=app%69mage'],
      ['/update/fast/linux/x86_64/0.9.0?channel=be+ta'],
      ['/update/fast/linux/x86_64/0.9.0', { method: 'HEAD' }],
      ['/update/fast/linux/x86_64/0.9.0', { method: 'POST' }],
      ['/health'],
    ];
    for (const [path, init] of cases) {
      const before = handedOver;
      const { viaHono, viaFast } = await both(path, init);
      expect({ path, ...viaFast }).toEqual({ path, ...viaHono });
      expect({ path, handedOver: handedOver - before }).toEqual({ path, handedOver: 1 });
    }
  });

  it('counts each check it answers once, and none it hands over twice', async () => {
    const before = await countedChecks();
    await send(fast, '/update/fast/linux/x86_64/0.9.0'); // answered here
    await send(fast, '/update/fast/linux/x86_64/0.9.0?channel=nope'); // 404 from Hono, not counted
    await send(fast, '/update/fast/linux/x86_64/0.9.0?bundle_type=app%69mage'); // answered and counted by Hono
    expect((await countedChecks()) - before).toBe(2);
  });

  it('leaves an app whose snapshot is not cached to Hono, and answers it itself once loaded', async () => {
    ctx.deps.releaseCache.invalidate('none'); // drops nothing but "absent" entries
    const appId = await insertApp(ctx.database.db, 'fresh');
    await insertRelease(ctx.database.db, appId, { version: '1.0.0', artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage' }] });
    const before = handedOver;
    const loadsBefore = ctx.deps.releaseCache.loads;
    loadsWhenHandedOver = -1;
    expect((await send(fast, '/update/fresh/linux/x86_64/0.9.0')).status).toBe(200);
    expect(handedOver - before).toBe(1);
    // The snapshot was already loading when Hono got the request, and Hono joined that load: one query in all.
    expect(loadsWhenHandedOver - loadsBefore).toBe(1);
    expect(ctx.deps.releaseCache.loads - loadsBefore).toBe(1);
    expect((await send(fast, '/update/fresh/linux/x86_64/0.9.0')).status).toBe(200);
    expect(handedOver - before).toBe(1);
  });
});
