/**
 * @module update/routes
 * The Tauri updater endpoint as Hono routes: a thin adapter over check.ts, which holds what a check is (see there
 * for the URL forms and the answers). Hono matches and decodes the URL; the check is counted, parsed and
 * answered by `answerCheck`, and its errors are rendered by the one error body (`errorResponse`).
 *
 *   GET /update/{app}/{target}/{arch}/{current_version}[?bundle_type=…&channel=…&install_id=…]
 *   GET /{app}/update/{os}-{arch}/{current_version}[?bundle_type=…&channel=…&install_id=…]
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { errorResponse } from '../http/errors.ts';
import { peerAddress } from '../rate-limit/limits.ts';
import { answerCheck, type CheckAnswer, type UpdateCheckDeps } from './check.ts';
import type { CheckRequest, CheckTarget, QueryReader } from './check-request.ts';

/** Hono's decoded query parameters, or null when the URL has none. */
function queryOf(c: Context): QueryReader | null {
  return c.req.url.includes('?') ? (name) => c.req.query(name) : null;
}

function checkRequest(c: Context, platform: CheckTarget['platform']): CheckRequest {
  return {
    app: c.req.param('app')!,
    platform,
    currentVersion: c.req.param('current_version')!,
    query: queryOf(c),
    headers: c.req.raw.headers,
    peer: peerAddress(c),
  };
}

const toResponse = ({ status, headers, body }: CheckAnswer) => new Response(body, { status, headers });

/** Synchronous while the app's snapshot is cached; a Promise only when it must be loaded. */
function respond(c: Context, deps: UpdateCheckDeps, request: CheckRequest): Response | Promise<Response> {
  let answer: CheckAnswer | Promise<CheckAnswer>;
  try {
    answer = answerCheck(deps, request);
  } catch (error) {
    return errorResponse(error, c);
  }
  if (!(answer instanceof Promise)) return toResponse(answer);
  return answer.then(toResponse, (error: unknown) => errorResponse(error, c));
}

export function updateRoutes(deps: AppDeps): Hono {
  const app = new Hono();
  app.get('/update/:app/:target/:arch/:current_version', function tauriUpdateCheck(c) {
    return respond(c, deps, checkRequest(c, { target: c.req.param('target'), arch: c.req.param('arch') }));
  });
  app.get('/:app/update/:platform/:current_version', function seedUpdateCheck(c) {
    return respond(c, deps, checkRequest(c, c.req.param('platform')));
  });
  return app;
}
