/**
 * @module ci-http
 * How the actions call the CI API: one JSON call through the shared client (api/_src/client/json-client.ts), every
 * failure a `ControlPlaneError` that carries the server's status, code and message; retried with backoff on network
 * errors, 408/425/429 and 5xx (or after the server's Retry-After), a 4xx reported at once.
 */
import type { z } from 'zod';
import { type HttpMethod, type JsonAnswer, NoAnswer, readAnswer, Refusal, send, UnexpectedAnswer } from '../../../api/_src/client/json-client.ts';
import type { Logger } from './logger.ts';
import { exponentialBackoff, retry, sleep as wait } from './retry.ts';
import { redact, Secret } from './secret.ts';

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** How calls are made and retried; tests shorten the delays. */
export interface HttpSettings {
  logger: Logger;
  fetch?: typeof fetch;
  /** Attempts per call, the first included (default 5). */
  attempts?: number;
  /** Pause after failed attempt n (default 1 s, 2 s, 4 s, … up to 30 s), unless the server sent Retry-After. */
  backoff?: (failedAttempt: number) => number;
  /** Per attempt (default 60 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** A failed call: `status` null when the server never answered. */
export class ControlPlaneError extends Error {
  override name = 'ControlPlaneError';
  readonly call: string;
  readonly status: number | null;
  readonly code: string | null;
  /** The server's own message (`{"error":{"message"}}`), or what went wrong on the way. */
  readonly detail: string;
  /** Seconds the server asked to wait (Retry-After), when it did. */
  readonly retryAfterSeconds: number | null;

  constructor(call: string, status: number | null, code: string | null, detail: string, retryAfterSeconds: number | null = null, options?: ErrorOptions) {
    super(`${call} failed: ${status === null ? 'no answer' : `HTTP ${status}${code ? ` ${code}` : ''}`}: ${detail}`, options);
    this.call = call;
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Worth another attempt: no answer, a timeout, throttling, or a server error. */
  get retryable(): boolean {
    return this.status === null || RETRYABLE_STATUS.has(this.status);
  }
}

/** One call through the shared JSON client (api/_src/client/json-client.ts), every failure a `ControlPlaneError`. */
export async function sendJson(settings: HttpSettings, call: string, url: string, init: { method: HttpMethod; bearer: string; body?: unknown }): Promise<JsonAnswer> {
  try {
    return await send({
      method: init.method,
      url,
      headers: { authorization: `Bearer ${init.bearer}` },
      body: init.body,
      timeoutMs: settings.timeoutMs ?? 60_000,
      ...(settings.fetch ? { fetch: settings.fetch } : {}),
    });
  } catch (error) {
    // A proxy's error page or a debugging server may echo the request's Authorization header back; the credential
    // is masked in the job's log, but it stays out of messages too.
    const hide = (text: string) => (init.bearer ? redact(text, [new Secret('credential', init.bearer)]) : text);
    if (error instanceof NoAnswer) throw new ControlPlaneError(call, null, null, hide(error.reason), null, { cause: error.cause });
    if (error instanceof Refusal) {
      const detail = error.body?.error.message ?? (error.text.trim().slice(0, 300) || error.statusText || '(empty answer)');
      throw new ControlPlaneError(call, error.status, error.body?.error.code ?? null, hide(detail), error.retryAfterSeconds);
    }
    throw error;
  }
}

/** What to do after the last attempt of a call the server never answered, or kept answering with a server error. */
function gaveUp(error: ControlPlaneError, attempts: number): ControlPlaneError {
  const hint =
    error.status === null
      ? `Nothing answered after ${attempts} attempts: check server-url (the host and port, and that the runner can reach it), and that the server is up.`
      : `The server kept failing (${attempts} attempts): re-run the job later; the server's log says why.`;
  return new ControlPlaneError(error.call, error.status, error.code, `${error.detail}. ${hint}`, error.retryAfterSeconds, { cause: error });
}

/** `task` under the settings' retry policy, logging each retry. */
export function withRetries<T>(settings: HttpSettings, call: string, task: () => Promise<T>): Promise<T> {
  const attempts = settings.attempts ?? 5;
  const backoff = settings.backoff ?? exponentialBackoff(1_000, 30_000);
  let last: unknown;
  return retry(
    async () => {
      try {
        return await task();
      } catch (error) {
        last = error;
        throw error;
      }
    },
    {
      attempts,
      retryIf: (error) => error instanceof ControlPlaneError && error.retryable,
      delayMs: (failed) => {
        const asked = last instanceof ControlPlaneError ? last.retryAfterSeconds : null;
        return asked !== null && asked <= 60 ? asked * 1000 : backoff(failed);
      },
      onRetry: (error, failed, delay) =>
        settings.logger.info(`${(error as Error).message}; attempt ${failed + 1} of ${attempts} in ${(delay / 1000).toFixed(1)} s`),
      sleep: settings.sleep ?? wait,
    },
  ).catch((error: unknown) => {
    throw error instanceof ControlPlaneError && error.retryable ? gaveUp(error, attempts) : error;
  });
}

export function parseAnswer<T>(call: string, answer: JsonAnswer, schema: z.ZodType<T>): T {
  try {
    return readAnswer({ method: 'POST', url: call }, answer, schema);
  } catch (error) {
    if (!(error instanceof UnexpectedAnswer)) throw error;
    if (error.issue === null) throw new ControlPlaneError(call, error.status, null, `the answer is not JSON (${error.text.trim().slice(0, 120) || 'empty'}); is the server URL a tauri-release server?`);
    throw new ControlPlaneError(call, error.status, null, `unexpected answer (${error.issue}); is the server a tauri-release server of a compatible version?`);
  }
}
