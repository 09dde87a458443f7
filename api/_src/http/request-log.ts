/**
 * @module http/request-log
 * One concise line per request for `npm start`'s terminal (`REQUEST_LOG=off` turns it off): time, method, path,
 * status and duration. The query string is left out: it may carry install ids or a key pasted where it does not
 * belong. So is a claim URL's token (`/claim/{token}`), which reveals a buyer's license key once to whoever has it,
 * and a license key put into the path itself.
 * The Vercel entry has the platform's own request log and does not use this.
 */
import type { RequestListener } from 'node:http';
import { LICENSE_KEY_PREFIX } from '../licensing/license-key.ts';

/** A path segment holding a license key (pasted where the version goes, say), however it is cased or percent-encoded. */
const KEY_IN_PATH = new RegExp(`(?<=/)${LICENSE_KEY_PREFIX}[^/]*`, 'gi');

/**
 * The path as logged, here and with a failure (errors.ts): a claim token is a secret, so only `/claim/…` is
 * written, however the path spells `/claim/`; and a segment holding a license key is written `trl_…`.
 */
export function loggedPath(path: string): string {
  let routed = path;
  try {
    // What the router sees: dot segments resolved (`/./claim/…`), then percent-decoded (`/%63laim/…`).
    routed = decodeURIComponent(new URL(`http://host${path}`).pathname);
  } catch {
    // not a URL or not valid percent-encoding: the router refuses it too, and the path is logged as it came
  }
  if (/^\/claim\//i.test(routed) || /^\/claim\//i.test(path)) return '/claim/…';
  const keyed = routed.search(KEY_IN_PATH) !== -1 || path.search(KEY_IN_PATH) !== -1;
  return keyed ? routed.replace(KEY_IN_PATH, `${LICENSE_KEY_PREFIX}…`) : path;
}

export type LineWriter = (line: string) => void;

export function withRequestLog(listener: RequestListener, write: LineWriter = (line) => void process.stdout.write(line)): RequestListener {
  return (req, res) => {
    const started = performance.now();
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = loggedPath(query === -1 ? url : url.slice(0, query));
    res.once('close', () => {
      const time = new Date().toISOString().slice(11, 19);
      const status = res.writableFinished ? String(res.statusCode) : `${res.headersSent ? res.statusCode : '-'} aborted`;
      write(`${time} ${req.method} ${path} ${status} ${(performance.now() - started).toFixed(1)} ms\n`);
    });
    listener(req, res);
  };
}
