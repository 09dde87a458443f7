/**
 * @module docs/routes
 * `GET /openapi.json` and `GET /docs`, built once from the route registry on first request.
 */
import { Hono } from 'hono';
import { adminRouteDocs } from '../admin/routes.ts';
import { ciRouteDocs } from '../ci/routes.ts';
import { githubWebhookRouteDocs } from '../github/routes.ts';
import { renderDocsHtml } from './html.ts';
import { buildOpenApi, type OpenApiDocument } from './openapi.ts';
import { publicRouteDocs } from './public-routes.ts';
import { manifestRouteDocs } from '../manifest/routes.ts';
import { defineRoutes, type RouteDoc, withPrefix } from './registry.ts';
import { serviceRouteDocs } from '../service/routes.ts';
import { uiRouteDocs } from '../ui/routes.ts';

const docsRouteDocs = defineRoutes([
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

export const allRouteDocs: readonly RouteDoc[] = [
  ...publicRouteDocs,
  ...manifestRouteDocs,
  ...adminRouteDocs,
  ...withPrefix('/ci', ciRouteDocs),
  ...withPrefix('/github', githubWebhookRouteDocs),
  ...withPrefix('/ui', uiRouteDocs),
  ...serviceRouteDocs,
  ...docsRouteDocs,
];

const CACHE_CONTROL = 'public, max-age=300';
// Nothing may load from anywhere: the page is one document with inline styles.
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function docsRoutes(): Hono {
  const app = new Hono();
  let document: OpenApiDocument | undefined;
  let html: string | undefined;
  const openApi = () => (document ??= buildOpenApi(allRouteDocs));

  app.get('/openapi.json', (c) => {
    c.header('Cache-Control', CACHE_CONTROL);
    c.header('Access-Control-Allow-Origin', '*');
    return c.json(openApi());
  });
  app.get('/docs', (c) => {
    c.header('Cache-Control', CACHE_CONTROL);
    c.header('Content-Security-Policy', DOCS_CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    return c.html((html ??= renderDocsHtml(openApi())));
  });
  return app;
}
