/**
 * @module webhooks/post
 * One HTTP attempt: POST a body, wait at most `timeoutMs` for the status line, read a little of the
 * answer, and say what happened as a result union. Built on `node:http(s)` rather than `fetch` so the
 * connection goes through `guardedLookup` (the address checked is the address used), redirects are never
 * followed (a redirect could lead anywhere, including inside our network), and nothing is pooled.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { guardedLookup, isPrivateAddress } from './targets.ts';

export type PostOutcome =
  | { kind: 'response'; status: number; retryAfterMs: number | null }
  /** `retryable: false` only for a refusal of ours (private target), which no retry can change. */
  | { kind: 'error'; message: string; retryable: boolean };

export interface PostOptions {
  timeoutMs: number;
  allowPrivate: boolean;
}

/** The first bytes of an answer are read and dropped; we only need the status. */
const MAX_RESPONSE_BYTES = 16 * 1024;
/** A `Retry-After` beyond this is not honoured, so one endpoint cannot park a delivery for days. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** `Retry-After` as seconds or an HTTP date, in milliseconds from now. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const ms = /^\s*[0-9]+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : null;
}

export async function postJson(url: string, headers: Record<string, string>, body: string, options: PostOptions): Promise<PostOutcome> {
  const target = new URL(url);
  const literal = target.hostname.replace(/^\[(.*)\]$/, '$1');
  // An IP literal never goes through `lookup`, so it is checked here.
  if (!options.allowPrivate && isIP(literal) && isPrivateAddress(literal)) {
    return { kind: 'error', message: 'the URL points at a private address; refused', retryable: false };
  }
  // Loaded on the first delivery: importing node:http as a module also loads Node's fetch (undici), which a cold
  // start that sends no webhook need not pay for.
  const { request } = target.protocol === 'https:' ? await import('node:https') : await import('node:http');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        lookup: guardedLookup(options.allowPrivate) as never,
        agent: false,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('error', () => {});
        res.on('close', () => finish({ kind: 'response', status, retryAfterMs }));
        res.on('end', () => finish({ kind: 'response', status, retryAfterMs }));
      },
    );
    const timer = setTimeout(() => {
      finish({ kind: 'error', message: `no answer within ${Math.round(options.timeoutMs / 100) / 10} s`, retryable: true });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      // The message, never the URL: a Slack or Discord URL is itself a credential.
      finish({ kind: 'error', message: describeError(error), retryable: error.code !== 'EPRIVATETARGET' });
    });
    req.end(body);
  });
}

function describeError(error: NodeJS.ErrnoException): string {
  if (error.code === 'EPRIVATETARGET') return error.message;
  if (error.code === 'ECONNREFUSED') return 'connection refused';
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return 'host name not found';
  if (error.code === 'ECONNRESET') return 'connection reset';
  if (error.code?.startsWith('ERR_TLS') || /certificate|SSL|TLS/i.test(error.message)) return `TLS error: ${error.code ?? error.message.slice(0, 120)}`;
  return error.code ? `network error (${error.code})` : 'network error';
}
