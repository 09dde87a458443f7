/**
 * The static manifest through the whole app: release events from the admin and CI routes rewrite the stored
 * `latest.json` files, and `GET /{app}/latest.json` serves the same bytes from the cached snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../test/support/release-fixtures.ts';
import { call } from '../admin/testing.ts';
import type { ReleaseEvent } from '../releases/events.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import { staticManifestKey } from '../protocol/storage-keys.ts';

/** A real minisign public key (docs example); publishing needs artifacts verified against the app's key. */
const PUBLIC_KEY =
  'dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IDA2ODUxRjI1RDNDMzlFQUEKUldTcW5zUFRKUitGQm1RRmx3Y1hlYTY0UDlTRzhwdlZENWZjWSszRStZRzFZTHk5YldlMEllSUEK';
const KEY_ID = tauriPublicKeyId(PUBLIC_KEY)!;
const SLUG = 'failover';

/** Polls `condition` every 20 ms for up to 5 s. */
async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the condition did not hold within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const base = `/admin/apps/${SLUG}/releases`;

describe('static manifest route and writer', () => {
  let ctx: TestContext;
  const events: ReleaseEvent[] = [];

  /** A draft with an AppImage and a deb whose bytes are in storage, ready to publish. */
  async function draft(version: string, channel = 'stable') {
    const bytes = (name: string) => new TextEncoder().encode(`${version} ${name}`);
    return insertRelease(
      ctx.database.db,
      appId,
      {
        version,
        channel,
        status: 'draft',
        pubDate: null,
        notes: `notes ${version}`,
        artifacts: [
          { platform: 'linux-x86_64', bundle: 'appimage', file: `app_${version}_amd64.AppImage`, content: bytes('AppImage'), verifiedKeyId: KEY_ID },
          { platform: 'linux-x86_64', bundle: 'deb', file: `app_${version}_amd64.deb`, content: bytes('deb'), verifiedKeyId: KEY_ID },
        ],
      },
      ctx.storage,
    );
  }

  async function stored(channel = 'stable'): Promise<{ version: string; platforms: Record<string, { url: string }> } | null> {
    const object = await ctx.storage.get(staticManifestKey(SLUG, channel));
    return object ? JSON.parse(await new Response(object.body).text()) : null;
  }

  async function served(channel?: string) {
    const res = await ctx.app.request(`/${SLUG}/latest.json${channel ? `?channel=${channel}` : ''}`);
    return { status: res.status, headers: res.headers, text: await res.text() };
  }

  let appId: string;
  beforeAll(async () => {
    ctx = await createTestContext();
    appId = await insertApp(ctx.database.db, SLUG, PUBLIC_KEY);
    ctx.deps.events.subscribe((event) => void events.push(event));
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('writes latest.json on publish, serves the same bytes at GET /{app}/latest.json, with an ETag', async () => {
    expect(await stored()).toBeNull();
    const { id } = await draft('1.0.0');
    const res = await call(ctx, 'POST', `${base}/${id}/publish`);
    expect(res.status).toBe(200);
    expect(events.at(-1)).toMatchObject({ kind: 'release.published', appSlug: SLUG, version: '1.0.0', channel: 'stable', rolloutPercent: 100, actor: 'token:ADMIN_TOKEN' });

    const file = await stored();
    expect(file).toMatchObject({ version: '1.0.0', notes: 'notes 1.0.0' });
    expect(Object.keys(file!.platforms)).toEqual(['linux-x86_64', 'linux-x86_64-appimage', 'linux-x86_64-deb']);
    // Filesystem storage has no public URL: the artifacts go through /download (S3_PUBLIC_BASE_URL avoids that).
    expect(file!.platforms['linux-x86_64-deb']!.url).toBe('http://updates.test/download/failover/1.0.0/app_1.0.0_amd64.deb');

    const answer = await served();
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text)).toEqual(file);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=60, stale-while-revalidate=60');
    const etag = answer.headers.get('etag')!;
    const again = await ctx.app.request(`/${SLUG}/latest.json`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
  });

  it('follows rollout changes: a release below 100% is not in the file, raising it to 100% puts it there', async () => {
    const { id } = await draft('1.1.0');
    expect((await call(ctx, 'POST', `${base}/${id}/publish`)).status).toBe(200);
    expect((await stored())!.version).toBe('1.1.0');

    expect((await call(ctx, 'PATCH', `${base}/${id}`, { body: { rollout_percent: 20 } })).status).toBe(200);
    expect(events.at(-1)).toMatchObject({ kind: 'release.rollout_changed', version: '1.1.0', rolloutPercent: 20, details: { previous_rollout_percent: 100 } });
    expect((await stored())!.version).toBe('1.0.0');
    expect(JSON.parse((await served()).text).version).toBe('1.0.0');

    expect((await call(ctx, 'PATCH', `${base}/${id}`, { body: { rollout_percent: 100 } })).status).toBe(200);
    expect((await stored())!.version).toBe('1.1.0');
  });

  it('follows archive and re-publish at once, through the endpoint and through PATCH', async () => {
    const { id } = (await call(ctx, 'GET', `${base}/1.1.0`)).body as { id: string };
    expect((await call(ctx, 'POST', `${base}/${id}/archive`)).status).toBe(200);
    expect(events.at(-1)).toMatchObject({ kind: 'release.archived', version: '1.1.0' });
    expect((await stored())!.version).toBe('1.0.0');
    expect(JSON.parse((await served()).text).version).toBe('1.0.0');

    expect((await call(ctx, 'PATCH', `${base}/${id}`, { body: { status: 'published' } })).status).toBe(200);
    expect(events.at(-1)).toMatchObject({ kind: 'release.published', version: '1.1.0', details: { from: 'archived' } });
    expect((await stored())!.version).toBe('1.1.0');
  });

  it("tells nothing for a draft or the notes, but a live release's notes and critical flag reach latest.json", async () => {
    const count = events.length;
    const { id } = await draft('1.2.0');
    expect((await call(ctx, 'PATCH', `${base}/${id}`, { body: { rollout_percent: 5 } })).status).toBe(200);
    expect((await call(ctx, 'PATCH', `${base}/1.1.0`, { body: { notes: 'fixed typo' } })).status).toBe(200);
    expect(events.length).toBe(count);
    expect(await stored()).toMatchObject({ version: '1.1.0', notes: 'fixed typo' });
    expect((await call(ctx, 'PATCH', `${base}/1.1.0`, { body: { critical: true, min_supported_version: '1.0.0' } })).status).toBe(200);
    expect(await stored()).toMatchObject({ version: '1.1.0', critical: true, min_supported_version: '1.0.0' });
    expect(JSON.parse((await served()).text)).toEqual(await stored());
  });

  it('writes other channels under channels/{channel}/, and deletes a channel file once nothing in it is served', async () => {
    const { id } = await draft('2.0.0-beta.1', 'beta');
    expect((await call(ctx, 'POST', `${base}/${id}/publish`)).status).toBe(200);
    expect(staticManifestKey(SLUG, 'beta')).toBe('failover/channels/beta/latest.json');
    expect((await stored('beta'))!.version).toBe('2.0.0-beta.1');
    expect((await stored())!.version).toBe('1.1.0');
    expect(JSON.parse((await served('beta')).text).version).toBe('2.0.0-beta.1');

    expect((await call(ctx, 'POST', `${base}/${id}/archive`)).status).toBe(200);
    expect(await stored('beta')).toBeNull();
    expect((await served('beta')).status).toBe(404);
  });

  it('moves a live release between channel files when its channel changes', async () => {
    const { id } = await draft('3.0.0-beta.1', 'beta');
    expect((await call(ctx, 'POST', `${base}/${id}/publish`)).status).toBe(200);
    expect((await stored('beta'))!.version).toBe('3.0.0-beta.1');
    expect((await call(ctx, 'PATCH', `${base}/${id}`, { body: { channel: 'nightly' } })).status).toBe(200);
    expect(events.at(-1)).toMatchObject({ kind: 'release.published', channel: 'nightly', details: { previous_channel: 'beta' } });
    expect(await stored('beta')).toBeNull();
    expect((await stored('nightly'))!.version).toBe('3.0.0-beta.1');
  });

  it('rewrites the channel files when the channel configuration changes what a channel follows', async () => {
    // nightly holds 3.0.0-beta.1 (previous test); once it follows stable it still offers that, newer than stable's.
    const put = (channels: unknown[]) => call(ctx, 'PUT', `/admin/apps/${SLUG}/channels`, { body: { channels } });
    const { id } = await draft('0.5.0', 'lts');
    expect((await call(ctx, 'POST', `${base}/${id}/publish`)).status).toBe(200);
    expect((await stored('lts'))!.version).toBe('0.5.0');
    expect((await put([{ name: 'lts', follows: 'stable' }])).status).toBe(200);
    expect((await stored('lts'))!.version).toBe((await stored())!.version);
    expect(JSON.parse((await served('lts')).text).version).toBe((await stored())!.version);
    expect((await put([])).status).toBe(200);
    expect((await stored('lts'))!.version).toBe('0.5.0');
  });

  it('is written on a CI publish, and not again when a re-run publishes the same release', async () => {
    await draft('1.3.0');
    const publish = () => call(ctx, 'POST', `/ci/apps/${SLUG}/releases/1.3.0/publish`);
    expect((await publish()).status).toBe(200);
    expect(events.at(-1)).toMatchObject({ kind: 'release.published', version: '1.3.0', details: { via: 'ci' } });
    expect((await stored())!.version).toBe('1.3.0');
    const count = events.length;
    expect((await publish()).status).toBe(200);
    expect(events.length).toBe(count);
  });

  it.each([
    ['/nope/latest.json', 404, 'not_found'],
    [`/${SLUG}/latest.json?channel=unknown`, 404, 'not_found'],
    [`/${SLUG}/latest.json?channel=Bad!`, 400, 'invalid_request'],
    [`/${SLUG}/latest.json?channel=${'x'.repeat(100)}`, 400, 'invalid_request'],
  ])('answers %s with %i, never cached', async (path, status, code) => {
    const res = await ctx.app.request(path);
    expect(res.status).toBe(status);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it('keeps the change and the old file when storage refuses the write', async () => {
    const { id } = await draft('1.4.0');
    const put = ctx.storage.put.bind(ctx.storage);
    ctx.storage.put = async () => {
      throw new Error('storage down');
    };
    const errors: unknown[] = [];
    const log = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      expect((await call(ctx, 'POST', `${base}/${id}/publish`)).status).toBe(200);
    } finally {
      ctx.storage.put = put;
      console.error = log;
    }
    expect(String(errors[0])).toMatch(/release\.published listener failed for failover 1\.4\.0/);
    expect((await stored())!.version).toBe('1.3.0');
    expect(JSON.parse((await served()).text).version).toBe('1.4.0');
  });

  it('writes the files again once storage is back, so a yank made during the outage leaves the failover file', async () => {
    const writer = ctx.deps.staticManifests;
    writer.retryDelaysMs = [100, 200];
    const { id } = await draft('1.5.0');
    expect((await call(ctx, 'POST', `${base}/${id}/publish`)).status).toBe(200);
    expect((await stored())!.version).toBe('1.5.0');
    const put = ctx.storage.put.bind(ctx.storage);
    let refusals = 0;
    ctx.storage.put = async () => {
      refusals++;
      throw new Error('storage down');
    };
    const log = console.error;
    console.error = () => {};
    try {
      expect((await call(ctx, 'POST', `${base}/${id}/yank`, { body: { reason: 'crashes on start' } })).status).toBe(200);
      await waitFor(() => refusals >= 2); // the yank's write, then a retry while still down
      expect((await stored())!.version).toBe('1.5.0');
    } finally {
      ctx.storage.put = put;
      console.error = log;
    }
    await waitFor(async () => (await stored())?.version !== '1.5.0');
    expect((await stored())!.version).toBe('1.4.0');
  });
});
