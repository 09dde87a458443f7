/**
 * @module service/routes
 * The front door and the probes:
 *
 *   GET /         a small page naming the dashboard, the API docs and the probes (HTML; JSON with `Accept: application/json`)
 *   GET /healthz  the process is up: 200 without touching anything else
 *   GET /readyz   the database and the storage answer, each with its latency; 503 when either does not, naming
 *                 which one and how it failed (timed out, unreachable, low on disk space, failed), never its address
 *   GET /health   kept for existing monitors: 200 when the database answers
 *
 * Probes are `no-store`: a cached "ok" would hide an outage.
 */
import { Hono } from 'hono';
import * as z from 'zod';
import type { AppDeps } from '../deps.ts';
import { defineRoutes } from '../docs/registry.ts';
import { isConnectionError, UNAVAILABLE_RETRY_AFTER_SECONDS } from '../http/api-error.ts';
import { StorageLowOnSpaceError, StorageUnavailableError } from '../storage/storage.ts';

/** A dependency that has not answered by then is reported as down, so the probe itself never hangs. */
export const READY_TIMEOUT_MS = 2_000;

const LINKS = [
  { path: '/ui', name: 'Dashboard', what: 'releases, artifacts, rollouts, keys and the audit log (sign in with an admin API key)' },
  { path: '/docs', name: 'API reference', what: 'every route, generated from the schemas the server validates with (also /openapi.json)' },
  { path: '/healthz', name: 'Liveness', what: 'the process is up' },
  { path: '/readyz', name: 'Readiness', what: 'the database and the storage answer, with their latency' },
] as const;

function frontDoorHtml(): string {
  const items = LINKS.map((link) => `<li><a href="${link.path}">${link.name}</a> <code>${link.path}</code> — ${link.what}</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>tauri-release</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}code{background:#f1f3f5;padding:0 .25rem;border-radius:3px}li{margin:.4rem 0}</style>
</head>
<body>
<h1>tauri-release</h1>
<p>This server answers Tauri's updater at <code>/update/{app}/{{target}}/{{arch}}/{{current_version}}</code> and serves the releases you publish.</p>
<ul>
${items}
</ul>
</body>
</html>
`;
}

const FRONT_DOOR = frontDoorHtml();
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

interface DependencyCheck {
  status: 'ok' | 'unavailable';
  latency_ms: number;
  error?: string;
}

/**
 * What failed, in words that never name where the dependency is: a driver's message may carry the database's
 * WebSocket URL or the bucket's endpoint, and this probe is public. The full error goes to the server's log.
 */
function failureOf(error: unknown, what: string): string {
  if (error instanceof ProbeTimeout) return `no answer within ${READY_TIMEOUT_MS} ms`;
  console.error(`readyz: ${what} check failed:`, error instanceof Error ? error.message : error);
  if (error instanceof StorageLowOnSpaceError) return 'low on disk space';
  return isConnectionError(error) || error instanceof StorageUnavailableError ? 'unreachable' : 'failed';
}

class ProbeTimeout extends Error {}

async function timed(what: string, check: () => Promise<unknown>): Promise<DependencyCheck> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout()), READY_TIMEOUT_MS);
  });
  const work = check();
  work.catch(() => {});
  try {
    await Promise.race([work, deadline]);
    return { status: 'ok', latency_ms: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return { status: 'unavailable', latency_ms: Math.round(performance.now() - started), error: failureOf(error, what) };
  } finally {
    clearTimeout(timer);
  }
}

export function serviceRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  const startedAt = Date.now();

  app.get('/', (c) => {
    c.header('Cache-Control', 'no-store');
    if (c.req.header('accept')?.includes('application/json')) {
      return c.json({ name: 'tauri-release', links: Object.fromEntries(LINKS.map((link) => [link.path, link.what])) });
    }
    c.header('Content-Security-Policy', PAGE_CSP);
    c.header('X-Frame-Options', 'DENY');
    return c.html(FRONT_DOOR);
  });

  app.get('/healthz', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'ok', uptime_seconds: Math.floor((Date.now() - startedAt) / 1000) });
  });

  app.get('/readyz', async (c) => {
    const [database, storage] = await Promise.all([
      timed('database', () => deps.db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute()),
      timed('storage', () => deps.storage.check()),
    ]);
    const ready = database.status === 'ok' && storage.status === 'ok';
    c.header('Cache-Control', 'no-store');
    if (!ready) c.header('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
    return c.json({ status: ready ? 'ok' : 'unavailable', checks: { database, storage } }, ready ? 200 : 503);
  });

  app.get('/health', async (c) => {
    await deps.db.selectNoFrom((eb) => eb.lit(1).as('ok')).execute();
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'ok' });
  });

  return app;
}

const dependencySchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  latency_ms: z.number().meta({ description: 'how long the check took, in milliseconds' }),
  error: z.enum([`no answer within ${READY_TIMEOUT_MS} ms`, 'unreachable', 'failed']).optional().meta({ description: 'what failed, when it did (never where the dependency is)' }),
});
const readySchema = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.object({ database: dependencySchema, storage: dependencySchema }) });
const common = { tag: 'Service', auth: 'none' as const, access: 'public' };

export const serviceRouteDocs = defineRoutes([
  {
    ...common,
    method: 'get',
    path: '/',
    summary: 'Front door',
    description: 'A small page naming the dashboard, the API docs and the probes; JSON with `Accept: application/json`.',
    responses: { 200: { description: 'the page', contentType: 'text/html' } },
  },
  {
    ...common,
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process is up',
    responses: { 200: { description: 'up', schema: z.object({ status: z.literal('ok'), uptime_seconds: z.number().int() }) } },
  },
  {
    ...common,
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: the database and the storage answer',
    description: `Each dependency is checked with its latency; one that has not answered within ${READY_TIMEOUT_MS} ms counts as unavailable.`,
    responses: {
      200: { description: 'both answer', schema: readySchema },
      503: { description: 'one or both do not (same body, `status: "unavailable"`)', schema: readySchema },
    },
  },
  {
    ...common,
    method: 'get',
    path: '/health',
    summary: 'Liveness and database check (kept for existing monitors; prefer /healthz and /readyz)',
    responses: {
      200: { description: 'up, and the database answers', schema: z.object({ status: z.literal('ok') }) },
      503: { description: 'the database is unreachable' },
    },
  },
]);
