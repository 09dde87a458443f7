/**
 * @module http/request-log
 * One concise line per request for `npm start`'s terminal (`REQUEST_LOG=off` turns it off): time, method, path,
 * status and duration. The query string is left out: it may carry install ids or a key pasted where it does not
 * belong. So is a claim URL's token (`/claim/{token}`), which reveals a buyer's license key once to whoever has it.
 * The Vercel entry has the platform's own request log and does not use this.
 */
import type { RequestListener } from 'node:http';

/**
 * The path as logged, here and with a failure (errors.ts): a claim token is a secret, so only `/claim/…` is
 * written, however the path spells `/claim/`.
 */
export function loggedPath(path: string): string {
  let routed = path;
  try {
    // What the router sees: dot segments resolved (`/./claim/…`), then percent-decoded (`/%63laim/…`).
    routed = decodeURIComponent(new URL(`http://host${path}`).pathname);
  } catch {
    // not a URL or not valid percent-encoding: the router refuses it too, and the path is logged as it came
  }
  return /^\/claim\//i.test(routed) || /^\/claim\//i.test(path) ? '/claim/…' : path;
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
