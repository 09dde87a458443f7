/**
 * @module update/node-listener
 * The update check straight on `node:http`, ahead of Hono: a thin adapter over check.ts's `answerPlainCheck`
 * (`answerCheckFromMemory` with what each URL asks remembered, plain-check-memo.ts), for both entries (`npm start`
 * and the Vercel function, see ../listener.ts).
 *
 * Why: a check answered from memory is a few microseconds of our own work, but going through the adapter's
 * Request, Hono's context and a router holding every admin, CI and dashboard route costs more CPU than the
 * check itself (`npm run bench` measures both; see the README's Performance section).
 *
 * A request is either answered here completely or passed to `next` (Hono) untouched, with nothing counted:
 * `plainCheckUrl` takes only GET URLs in one of the two forms with nothing encoded, and `answerPlainCheck` answers
 * only checks whose snapshot is cached and that parse and select without error. Everything else — HEAD, encoded
 * characters, a snapshot to load (and the 503 when that fails), unknown apps, every 4xx — is answered by the Hono
 * route, which counts it then, so the two paths cannot disagree on anything but speed. For a snapshot to load, the
 * load starts here, before the request is passed on, so that a cold instance imports Hono and reads the database at
 * once. A licensed app's check is answered here only when its key is already known valid in memory and nothing must
 * be written (licensing/gate.ts).
 * Hono middleware does not run for the checks answered here; app.ts registers none for these routes.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { answerPlainCheck, type UpdateCheckDeps } from './check.ts';
import { type HeaderReader, plainCheckUrl } from './check-request.ts';
import { PlainCheckMemo } from './plain-check-memo.ts';

/**
 * The request's headers read from `rawHeaders`: `req.headers` would build an object of every header on each request
 * (a few µs of a response that costs ~30), and a check reads three or four. Repeated headers are joined with ", ",
 * as the fetch Headers of the Hono route join them. A class, so a request allocates one small object, no closure.
 */
export class RawHeaderReader implements HeaderReader {
  readonly #raw: string[];

  constructor(raw: string[]) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    const raw = this.#raw;
    let value: string | null = null;
    for (let i = 0; i < raw.length; i += 2) {
      const field = raw[i]!;
      if (field.length === name.length && field.toLowerCase() === name) value = value === null ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
    }
    return value;
  }
}

/**
 * A `node:http` request listener answering cached update checks itself and passing every other request
 * to `next` (the Hono app's listener).
 */
export function withUpdateChecks(deps: UpdateCheckDeps, next: RequestListener): RequestListener {
  const memo = new PlainCheckMemo();
  return function updateCheckListener(req: IncomingMessage, res: ServerResponse) {
    const url = req.method === 'GET' ? req.url : undefined;
    const answer = url === undefined ? null : answerPlainCheck(deps, memo, url, new RawHeaderReader(req.rawHeaders), req.socket.remoteAddress ?? '');
    if (!answer) {
      // An app not cached yet (a new instance's first checks): its snapshot starts loading now, and the Hono route,
      // which may itself still be loading (listener.ts), joins that load through the same cache.
      const target = url === undefined ? null : plainCheckUrl(url);
      if (target) void Promise.resolve(deps.releaseCache.lookup(target.app)).catch(() => {});
      return next(req, res);
    }
    res.writeHead(answer.status, answer.headers);
    if (answer.body === null) res.end();
    else res.end(answer.body);
  };
}
