/**
 * @module docs/registry
 * What `/openapi.json` and `/docs` are built from: one `RouteDoc` per route, holding the same zod
 * schemas the route validates with. Each route module exports its list (paths relative to where it
 * is mounted); `admin/routes.ts` prefixes and collects them. A test checks that every mounted admin
 * route has an entry here, so a route without docs fails CI.
 */
import type * as z from 'zod';

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface ResponseDoc {
  description: string;
  /** JSON body schema (the `output` side of the zod schema). */
  schema?: z.ZodType;
  /** Non-JSON bodies, e.g. `application/octet-stream`; described by `description` only. */
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RouteDoc {
  method: HttpMethod;
  /** OpenAPI path with `{param}` placeholders, relative to the mount point until prefixed. */
  path: string;
  summary: string;
  description?: string;
  tag: string;
  /**
   * `api-key`: `Authorization: Bearer <api key>`; `session`: the dashboard's `tr_session` cookie (ui/session.ts).
   * Both add the 401 answer.
   */
  auth: 'api-key' | 'session' | 'none';
  /** Who may call it, shown in the docs (e.g. "admin scope, global key"). */
  access?: string;
  /** Descriptions of the `{param}`s in `path`. */
  params?: Record<string, string>;
  query?: z.ZodObject;
  /** JSON request body (the `input` side); adds the 400 and 413 answers. */
  body?: z.ZodType;
  /** A non-JSON request body, e.g. `multipart/form-data`, with its own schema if it has one. */
  rawBody?: { contentType: string; description: string; schema?: z.ZodType };
  responses: Record<number, ResponseDoc>;
}

/** The `{app}` path parameter of the admin API (an app is found by its id or its slug alike). */
export const APP_PARAM = { app: 'app id or slug' };
/** The `{release}` path parameter of the admin API. */
export const RELEASE_PARAM = { release: 'release id, or its version (a leading "v" is ignored)' };
/** The 403 of an admin route that a key of ci scope may not call. */
export const NEEDS_ADMIN_SCOPE: ResponseDoc = { description: 'a CI key (this needs admin scope)' };

/** Declares route docs with their types checked; returns them unchanged. */
export function defineRoutes(routes: RouteDoc[]): RouteDoc[] {
  return routes;
}

/** The same docs as mounted under `prefix` (OpenAPI form, e.g. `/admin/apps/{app}/releases`). */
export function withPrefix(prefix: string, routes: readonly RouteDoc[]): RouteDoc[] {
  const base = prefix.replace(/\/+$/, '');
  return routes.map((route) => ({ ...route, path: route.path === '/' ? base || '/' : `${base}${route.path}` }));
}

/** Hono's `/apps/:app` → OpenAPI's `/apps/{app}`. */
export function openApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');
}
