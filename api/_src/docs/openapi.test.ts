import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as z from 'zod';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { createAppBodySchema } from '../protocol/schemas.ts';
import { escapeHtml, renderDocsHtml } from './html.ts';
import { buildOpenApi, type OpenApiDocument } from './openapi.ts';
import { defineRoutes, HTTP_METHODS, openApiPath } from './registry.ts';

describe('/openapi.json and /docs', () => {
  let ctx: TestContext;
  let doc: OpenApiDocument;
  let mounted: { method: string; path: string }[];
  beforeAll(async () => {
    ctx = await createTestContext();
    const res = await ctx.app.request('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = JSON.parse(await res.text()) as OpenApiDocument;
    // What Hono actually routes, minus middleware (method ALL): the list docs must cover.
    const methods = new Set<string>(HTTP_METHODS);
    mounted = ctx.app.routes
      .filter((route) => methods.has(route.method.toLowerCase()))
      .map((route) => ({ method: route.method.toLowerCase(), path: openApiPath(route.path) }));
  });
  afterAll(async () => {
    await ctx.close();
  });

  it('is an OpenAPI 3.1 document with bearer auth', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.schemas.Error).toMatchObject({ type: 'object', required: ['error'] });
  });

  it('documents every mounted route', () => {
    expect(mounted.filter((route) => route.path.startsWith('/admin/')).length).toBeGreaterThanOrEqual(9);
    const undocumented = mounted.filter(({ method, path }) => !doc.paths[path]?.[method as 'get']).map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(undocumented).toEqual([]);
    for (const path of ['/admin/apps', '/admin/apps/{app}', '/admin/keys', '/admin/keys/{id}', '/admin/audit', '/admin/apps/{app}/releases']) {
      expect(doc.paths[path]).toBeDefined();
    }
  });

  it('documents no route that is not mounted', () => {
    const routed = new Set(mounted.map(({ method, path }) => `${method} ${path}`));
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(documented.filter((entry) => !routed.has(entry))).toEqual([]);
  });

  it('includes the public updater and download endpoints with their answers', () => {
    const update = doc.paths['/update/{app}/{target}/{arch}/{current_version}']?.get;
    expect(update?.security).toEqual([]);
    expect(Object.keys(update?.responses ?? {})).toEqual(expect.arrayContaining(['200', '204', '404']));
    expect(update?.responses['200']?.content?.['application/json']?.schema).toMatchObject({
      required: expect.arrayContaining(['version', 'url', 'signature']),
    });
    expect(update?.parameters.map((p) => p.name)).toEqual(['app', 'target', 'arch', 'current_version', 'bundle_type', 'channel']);
    expect(doc.paths['/{app}/update/{platform}/{current_version}']?.get).toBeDefined();
    expect(doc.paths['/download/{app}/{version}/{file}']?.get?.responses['200']?.content).toHaveProperty(['application/octet-stream']);
  });

  it('derives request schemas from the zod schemas the routes validate with', () => {
    const create = doc.paths['/admin/apps']!.post!;
    const { $schema: _, ...expected } = z.toJSONSchema(createAppBodySchema, { io: 'input', unrepresentable: 'any' });
    expect(create.requestBody?.content['application/json']?.schema).toEqual(expected);
    expect(create.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(create.responses)).toEqual(expect.arrayContaining(['201', '400', '401', '403', '409', '413']));
    expect(create.responses['409']?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
    const audit = doc.paths['/admin/audit']!.get!;
    expect(audit.parameters.filter((p) => p.in === 'query').map((p) => p.name)).toEqual(['app', 'action', 'actor', 'since', 'until', 'limit', 'before']);
    expect(audit.parameters.find((p) => p.name === 'limit')).toMatchObject({ required: false, schema: { default: 50, maximum: 200 } });
  });

  it('serves /docs as self-contained HTML listing every documented path, with nothing loaded from elsewhere', async () => {
    const res = await ctx.app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    for (const path of Object.keys(doc.paths)) expect(html).toContain(`<code>${escapeHtml(path)}</code>`);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  it('escapes every text it renders', () => {
    const evil = '<script>alert(1)</script>';
    const html = renderDocsHtml(
      buildOpenApi(
        defineRoutes([
          {
            method: 'get',
            path: `/x/{id}`,
            tag: evil,
            summary: evil,
            description: `\`${evil}\``,
            auth: 'none',
            access: evil,
            params: { id: evil },
            query: z.object({ q: z.string().meta({ description: evil, pattern: evil } as never) }),
            responses: { 200: { description: evil, schema: z.object({ [evil]: z.string() }) } },
          },
        ]),
      ),
    );
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
  });
});
