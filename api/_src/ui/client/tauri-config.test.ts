/**
 * The settings page's tauri.conf.json snippet: its exact JSON, and its URLs checked against a running control plane
 * (filled in as the Tauri client fills them), so the dashboard never hands out an endpoint the server does not serve.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestContext, type TestContext } from '../../../../test/support/context.ts';
import { insertApp, insertRelease } from '../../../../test/support/release-fixtures.ts';
import { call } from '../../admin/testing.ts';
import { dynamicUpdateUrl, staticManifestUrl } from '../../protocol/endpoints.ts';
import { staticManifestKey } from '../../protocol/storage-keys.ts';
import { tauriPublicKeyId } from '../../protocol/minisign-key.ts';
import { MISSING_KEY_PLACEHOLDER, tauriConfigSnippet } from './tauri-config.ts';

const PUBLIC_KEY =
  'dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IDA2ODUxRjI1RDNDMzlFQUEKUldTcW5zUFRKUitGQm1RRmx3Y1hlYTY0UDlTRzhwdlZENWZjWSszRStZRzFZTHk5YldlMEllSUEK';

describe('tauriConfigSnippet', () => {
  it('is the documented tauri.conf.json fragment, dynamic endpoint first, static failover second', () => {
    expect(tauriConfigSnippet({ publicUrl: 'https://updates.example.com/', slug: 'my-app', publicKey: PUBLIC_KEY, licensed: false })).toBe(
      `{
  "bundle": {
    "createUpdaterArtifacts": true
  },
  "plugins": {
    "updater": {
      "pubkey": "${PUBLIC_KEY}",
      "endpoints": [
        "https://updates.example.com/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}",
        "https://updates.example.com/my-app/latest.json"
      ]
    }
  }
}`,
    );
  });

  it('for another channel, names it in both endpoints; with a public bucket, the failover file is read from there', () => {
    const snippet = JSON.parse(
      tauriConfigSnippet({ publicUrl: 'https://updates.example.com', slug: 'my-app', publicKey: null, licensed: false, channel: 'beta', storageBaseUrl: 'https://cdn.example.com/' }),
    );
    expect(snippet).toEqual({
      bundle: { createUpdaterArtifacts: true },
      plugins: {
        updater: {
          pubkey: MISSING_KEY_PLACEHOLDER,
          endpoints: [
            'https://updates.example.com/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}&channel=beta',
            'https://cdn.example.com/my-app/channels/beta/latest.json',
          ],
        },
      },
    });
  });

  it.each([
    ['stable', null, 'https://updates.example.com/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}'],
    ['beta', 'https://cdn.example.com', 'https://updates.example.com/update/my-app/{{target}}/{{arch}}/{{current_version}}?bundle_type={{bundle_type}}&channel=beta'],
  ])('for a licensed app on %s (public bucket: %s), lists the update check alone: it has no static latest.json to fail over to', (channel, storageBaseUrl, updateCheck) => {
    const snippet = JSON.parse(
      tauriConfigSnippet({ publicUrl: 'https://updates.example.com', slug: 'my-app', publicKey: PUBLIC_KEY, licensed: true, channel, storageBaseUrl }),
    );
    expect(snippet.plugins.updater).toEqual({ pubkey: PUBLIC_KEY, endpoints: [updateCheck] });
  });
});

describe('the snippet\'s URLs, requested from a control plane', () => {
  let ctx: TestContext;
  const SLUG = 'snippet-app';
  const CDN = 'https://cdn.example.com';

  /** What the Tauri client requests for an AppImage on x86_64 Linux at `current`. */
  const filled = (url: string, current: string) =>
    url
      .replace('{{target}}', 'linux')
      .replace('{{arch}}', 'x86_64')
      .replace('{{current_version}}', current)
      .replace('{{bundle_type}}', 'appimage');
  const local = (url: string) => {
    expect(url.startsWith(ctx.config.publicUrl)).toBe(true);
    return url.slice(ctx.config.publicUrl.length);
  };

  beforeAll(async () => {
    ctx = await createTestContext();
    const appId = await insertApp(ctx.database.db, SLUG, PUBLIC_KEY);
    const keyId = tauriPublicKeyId(PUBLIC_KEY)!;
    for (const [version, channel] of [['1.0.0', 'stable'], ['1.1.0-beta.1', 'beta']] as const) {
      const { id } = await insertRelease(
        ctx.database.db,
        appId,
        {
          version,
          channel,
          status: 'draft',
          pubDate: null,
          artifacts: [{ platform: 'linux-x86_64', bundle: 'appimage', content: new TextEncoder().encode(version), verifiedKeyId: keyId }],
        },
        ctx.storage,
      );
      // Published through the API, so the static manifest writer stores the failover files as it does in production.
      expect((await call(ctx, 'POST', `/admin/apps/${SLUG}/releases/${id}/publish`)).status).toBe(200);
    }
  });
  afterAll(async () => {
    await ctx.close();
  });

  it.each([
    ['stable', '1.0.0'],
    ['beta', '1.1.0-beta.1'],
  ])('channel %s: the update check offers %s and then answers 204; the API serves the static file', async (channel, version) => {
    const endpoint = dynamicUpdateUrl(ctx.config.publicUrl, SLUG, channel);
    const offer = await ctx.app.request(local(filled(endpoint, '0.9.0')));
    expect(offer.status).toBe(200);
    expect(((await offer.json()) as { version: string }).version).toBe(version);
    expect((await ctx.app.request(local(filled(endpoint, version)))).status).toBe(204);

    const file = await ctx.app.request(local(staticManifestUrl(ctx.config.publicUrl, SLUG, channel)));
    expect(file.status).toBe(200);
    expect(((await file.json()) as { version: string }).version).toBe(version);
  });

  it.each(['stable', 'beta'])('channel %s: the bucket URL names the file the manifest writer stored', async (channel) => {
    const url = staticManifestUrl(ctx.config.publicUrl, SLUG, channel, CDN);
    const key = url.slice(`${CDN}/`.length);
    expect(key).toBe(staticManifestKey(SLUG, channel));
    const stored = await ctx.storage.get(key);
    expect(stored).not.toBeNull();
  });
});
