/**
 * @module update/node-listener
 * The update check straight on `node:http`, ahead of Hono, for the long-lived Node server (`npm start`).
 *
 * Why: a check answered from memory is a few microseconds of our own work, but going through the
 * adapter's Request, Hono's context and a router holding every admin, CI and dashboard route cost more
 * CPU than the check itself; `npm run bench` measured the server at about half of a bare `node:http`
 * server's throughput that way, against a target of 0.7. Here a check costs what a bare server's
 * response costs plus the check.
 *
 * It answers only what it can answer entirely from memory, with the same code as the Hono route
 * (`parseCheck` and `answerCheck` in routes.ts): a GET in one of the two URL forms, with nothing
 * percent- or plus-encoded, for an app whose snapshot is cached and fresh, that parses and selects
 * without error. Everything else — HEAD, encoded characters, a snapshot to load (and the 503 when that
 * fails), unknown apps, every 4xx — goes to `next` (Hono) untouched, which then answers it as it always
 * did, so the two paths cannot disagree on anything but speed. Nothing is counted before handing over.
 * Hono middleware does not run for the checks answered here; app.ts registers none for these routes.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { UsageAnalytics } from '../analytics/recorder.ts';
import { COUNTED, type RateLimits, tooManyRequests } from '../rate-limit/limits.ts';
import type { ReleaseCache } from './cache.ts';
import { answerCheck, type HeaderReader, parseArch, parseCheck, parseOs, parsePlatform } from './routes.ts';

export interface UpdateCheckDeps {
  releaseCache: ReleaseCache;
  analytics: UsageAnalytics;
  rateLimits: RateLimits;
}

/** Path segments of a check, or null when the URL is not plainly one of the two forms. */
function checkSegments(path: string): string[] | null {
  // `/update/{app}/{target}/{arch}/{version}` or `/{app}/update/{os}-{arch}/{version}`
  const segments = path.split('/');
  if (segments.length === 6 && segments[1] === 'update') return segments;
  if (segments.length === 5 && segments[2] === 'update') return segments;
  return null;
}

/**
 * One parameter of a query string with nothing encoded, as Hono reads it: the first occurrence wins, `?a` is
 * ''. Scanned in place: a check reads at most three parameters, so no map is built.
 */
function queryParam(search: string, name: string): string | undefined {
  for (let start = 0; start < search.length; ) {
    let end = search.indexOf('&', start);
    if (end < 0) end = search.length;
    const eq = search.indexOf('=', start);
    const nameEnd = eq >= 0 && eq < end ? eq : end;
    if (nameEnd - start === name.length && search.startsWith(name, start)) return nameEnd === end ? '' : search.slice(nameEnd + 1, end);
    start = end + 1;
  }
  return undefined;
}

/** Node has already joined repeated headers the way the adapter's Headers would. */
function headerReader(req: IncomingMessage): HeaderReader {
  const headers = req.headers;
  return {
    get(name) {
      const value = headers[name];
      return typeof value === 'string' ? value : null;
    },
  };
}

/**
 * A `node:http` request listener answering cached update checks itself and passing every other request
 * to `next` (the Hono app's listener).
 */
export function withUpdateChecks(deps: UpdateCheckDeps, next: RequestListener): RequestListener {
  const { releaseCache, analytics, rateLimits } = deps;
  return function updateCheckListener(req: IncomingMessage, res: ServerResponse) {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || url.charCodeAt(0) !== 47 /* / */) return next(req, res);
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const search = mark < 0 ? '' : url.slice(mark + 1);
    // Encoded characters are decoded by Hono's rules there, not re-implemented here.
    if (path.includes('%') || search.includes('%') || search.includes('+') || search.includes('#')) return next(req, res);
    const segments = checkSegments(path);
    if (segments === null || segments.includes('', 1)) return next(req, res);
    const tauriForm = segments.length === 6;
    const slug = tauriForm ? segments[2]! : segments[1]!;
    const snapshot = releaseCache.peek(slug);
    if (!snapshot) return next(req, res);
    const headers = headerReader(req);
    const refused = rateLimits.updateCheck(req.socket.remoteAddress ?? '', headers);
    if (refused) {
      const { status, headers: refusalHeaders, body } = tooManyRequests(refused);
      res.writeHead(status, refusalHeaders);
      return res.end(body);
    }
    let answer;
    try {
      const [os, arch] = tauriForm ? [parseOs(segments[3]!), parseArch(segments[4]!)] : parsePlatform(segments[3]!);
      const version = segments[segments.length - 1]!;
      const query = parseCheck(os, arch, version, mark < 0 ? null : (name) => queryParam(search, name), headers);
      answer = answerCheck(snapshot, query, version, headers, analytics);
    } catch {
      // A 4xx: Hono builds the error answer (counted against the rate limit here, nothing in analytics).
      (req as IncomingMessage & { [COUNTED]?: true })[COUNTED] = true;
      return next(req, res);
    }
    res.writeHead(answer.status, answer.headers);
    if (answer.body === null) res.end();
    else res.end(answer.body);
  };
}
