/**
 * @module docs/routes
 * `GET /openapi.json` and `GET /docs`, built once on first request (their builders imported then, not at start) from the route docs the composition root (app.ts)
 * hands in: every mounted module's, and these two.
 */
import { Hono } from 'hono';
import type { OpenApiDocument } from './openapi.ts';
import { defineRoutes, type RouteDoc } from './registry.ts';

export const docsRouteDocs = defineRoutes([
  {
    method: 'get',
    path: '/openapi.json',
    tag: 'Service',
    summary: 'This API as OpenAPI 3.1',
    auth: 'none',
    access: 'public',
    responses: { 200: { description: 'the OpenAPI document', contentType: 'application/json' } },
  },
  {
    method: 'get',
    path: '/docs',
    tag: 'Service',
    summary: 'This API as a web page',
    auth: 'none',
    access: 'public',
    responses: { 200: { description: 'self-contained HTML', contentType: 'text/html' } },
  },
]);

const CACHE_CONTROL = 'public, max-age=300';
// Nothing may load from anywhere: the page is one document with inline styles.
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function docsRoutes(routeDocs: readonly RouteDoc[]): Hono {
  const app = new Hono();
  let document: OpenApiDocument | undefined;
  let html: string | undefined;
  const openApi = async () => (document ??= (await import('./openapi.ts')).buildOpenApi(routeDocs));

  app.get('/openapi.json', async (c) => {
    const body = await openApi();
    c.header('Cache-Control', CACHE_CONTROL);
    c.header('Access-Control-Allow-Origin', '*');
    return c.json(body);
  });
  app.get('/docs', async (c) => {
    html ??= (await import('./html.ts')).renderDocsHtml(await openApi());
    c.header('Cache-Control', CACHE_CONTROL);
    c.header('Content-Security-Policy', DOCS_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    return c.html(html);
  });
  return app;
}
