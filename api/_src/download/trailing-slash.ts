/**
 * @module download/trailing-slash
 * `/apps/my-app/` and `/download/my-app/latest/windows-x86_64/`: links people type, or site generators write, with a
 * trailing slash. No download page, latest link or file name ends in one, so a GET or HEAD of such a path is sent
 * (301) to the same path without it, under PUBLIC_URL (never another host), its query kept.
 */
import type { Context } from 'hono';

/**
 * The 301 to `c`'s path without its trailing slashes, or null: not a GET or HEAD, no trailing slash, or not then
 * `segments` segments long, the length of the route it would reach (`/download/{app}/latest/{platform}`: 4).
 */
export function withoutTrailingSlash(c: Context, publicUrl: string, segments: number): Response | null {
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return null;
  // The raw path, as sent: the decoded one would turn an encoded `%2F` or space into something else.
  const url = new URL(c.req.url);
  const path = url.pathname.replace(/\/+$/, '');
  if (path === url.pathname || path.split('/').length !== segments + 1) return null;
  const location = `${publicUrl}${path}${url.search}`;
  return new Response(null, { status: 301, headers: { location, 'cache-control': 'public, max-age=3600' } });
}
