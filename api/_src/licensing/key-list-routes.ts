/**
 * @module licensing/key-list-routes
 * `GET /.well-known/tauri-release/{app}/license-keys.json`: the public keys a licensed app's offline license files
 * may be signed with (file-keys.ts `list`), like an OAuth issuer's JWKS. The current key first, then the retired ones
 * still listed; an app verifies a file with the key whose `kid` the payload names. Public keys only, so no key is
 * needed; the answer may be cached briefly, so a rotation reaches readers within `KEY_LIST_MAX_AGE_SECONDS` more.
 *
 * 404 `not_found`: no such app, or the app is not licensed (it signs no license files).
 * 503 the database is unreachable, or `secrets_key_missing` before the app's first key exists.
 */
import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { defineRoutes } from '../docs/registry.ts';
import { errorResponse, notFound } from '../http/errors.ts';
import { APP_SLUG_PATTERN } from '../protocol/app-slug.ts';
import { licenseFileKeyListSchema } from '../protocol/licensing.ts';

export const KEY_LIST_MAX_AGE_SECONDS = 60;
const KEY_LIST_CACHE_CONTROL = `public, max-age=${KEY_LIST_MAX_AGE_SECONDS}`;

export function licenseKeyListRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/:app/license-keys.json', async function licenseKeyList(c) {
    try {
      const slug = c.req.param('app');
      const snapshot = APP_SLUG_PATTERN.test(slug) ? await deps.releaseCache.lookup(slug) : null;
      if (!snapshot) throw notFound(`no app ${JSON.stringify(slug.slice(0, 100))}`);
      if (snapshot.app.licensing !== 'licensed') throw notFound(`app ${slug} is not licensed: it signs no license files, so it lists no keys`);
      const body = { app: slug, keys: await deps.licenseFileKeys.list(snapshot.app.id) };
      return c.json(body, 200, { 'cache-control': KEY_LIST_CACHE_CONTROL });
    } catch (error) {
      return errorResponse(error, c);
    }
  });
  return app;
}

export const licenseKeyListRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/{app}/license-keys.json',
    tag: 'Licenses (apps)',
    auth: 'none',
    access: 'public',
    summary: 'The public keys of a licensed app’s offline license files',
    description:
      'The current key, then the retired ones still listed (30 days after a rotation, unless it removed them after a leak), each with its ' +
      '`kid`, the raw 32-byte Ed25519 key in base64 and as SPKI PEM. Verify a license file with the key whose `kid` its payload names. ' +
      `\`Cache-Control: ${KEY_LIST_CACHE_CONTROL}\`.`,
    params: { app: 'app slug' },
    responses: {
      200: { description: 'the keys', schema: licenseFileKeyListSchema, headers: { 'Cache-Control': `\`${KEY_LIST_CACHE_CONTROL}\`` } },
      404: { description: 'no such app, or the app is not licensed' },
      429: { description: 'this address used up its requests for the minute' },
      503: { description: 'the database is unreachable, or the server has no SECRETS_KEY (`secrets_key_missing`) to make the app’s first key' },
    },
  },
]);
