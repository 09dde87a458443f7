/**
 * @module control-plane
 * The actions' side of the CI API (wire types: api/_src/protocol/ci.ts, shared with the server), over the shared JSON
 * client (api/_src/client/json-client.ts). Used by upload-r2 and register-release; never imports `@actions/core`
 * (control-plane-io.ts wires it to the runner).
 *
 * - `exchangeOidcToken`: the job's GitHub OIDC token → a 15-minute credential (`POST /ci/token`). A token is
 *   single-use on the server, so a retry asks the runner for a fresh one. The credential is masked (`mask`) before
 *   anything else sees it.
 * - `CredentialSource`: where a call's bearer comes from: an API key, a credential an earlier step of the same job
 *   exchanged (passed on in `TAURI_RELEASE_CREDENTIAL`), or a fresh exchange, renewed before it runs out and after
 *   a 401.
 * - `ControlPlane`: the release calls. Every one is idempotent on the server, so each is retried with backoff on
 *   network errors, 408/425/429 and 5xx; a 4xx is reported at once with the server's message.
 */
import type { z } from 'zod';
import {
  type CiCompleteUploadBody,
  type CiCreateReleaseBody,
  type CiReleaseView,
  ciArtifactViewSchema,
  ciReleaseViewSchema,
  type CiUploadRequestBody,
  type CiUploadResponse,
  ciUploadResponseSchema,
  type ExchangeBody,
  exchangeResponseSchema,
} from '../../../api/_src/protocol/ci.ts';
import { type HttpMethod, type JsonAnswer, NoAnswer, readAnswer, Refusal, send, UnexpectedAnswer } from '../../../api/_src/client/json-client.ts';
import type { Logger } from './logger.ts';
import { exponentialBackoff, retry, sleep as wait } from './retry.ts';
import { Secret } from './secret.ts';

/** Where one step leaves an exchanged credential for the next steps of the job (masked; see control-plane-io.ts). */
export const CREDENTIAL_ENV = 'TAURI_RELEASE_CREDENTIAL';
/** `{"server","app","expires_at"}` of the credential in `CREDENTIAL_ENV`, so a step reuses it only where it is valid. */
export const CREDENTIAL_SCOPE_ENV = 'TAURI_RELEASE_CREDENTIAL_SCOPE';
/** A credential with less time left than this is exchanged again rather than used. */
export const CREDENTIAL_MIN_REMAINING_MS = 2 * 60 * 1000;

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

export type CiArtifactView = z.infer<typeof ciArtifactViewSchema>;

/** The fields of `POST /ci/token`'s answer the actions read (the server's schema, api/_src/protocol/ci.ts). */
const exchangeAnswerSchema = exchangeResponseSchema.pick({ token: true, expires_at: true, can_publish: true, repository: true, run_id: true });

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

/**
 * The server's base URL, checked and without a trailing slash (`https://updates.example.com`).
 *
 * @throws Error naming the input
 */
export function normalizeServerUrl(value: string | undefined, inputName = 'server-url'): string {
  if (value === undefined) throw new Error(`Input ${inputName} is empty: pass the base URL of your tauri-release server, e.g. https://updates.example.com.`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`Input ${inputName} ${JSON.stringify(value)} is not a URL: pass the base URL of your tauri-release server, e.g. https://updates.example.com.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`Input ${inputName} must be an http(s) URL, not ${url.protocol}.`);
  if (url.search || url.hash || url.username || url.password) throw new Error(`Input ${inputName} must be a plain base URL, without credentials, query or fragment.`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** One call through the shared JSON client (api/_src/client/json-client.ts), every failure a `ControlPlaneError`. */
async function sendJson(settings: HttpSettings, call: string, url: string, init: { method: HttpMethod; bearer: string; body?: unknown }): Promise<JsonAnswer> {
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
    if (error instanceof NoAnswer) throw new ControlPlaneError(call, null, null, error.reason, null, { cause: error.cause });
    if (error instanceof Refusal) {
      const detail = error.body?.error.message ?? (error.text.trim().slice(0, 300) || error.statusText || '(empty answer)');
      throw new ControlPlaneError(call, error.status, error.body?.error.code ?? null, detail, error.retryAfterSeconds);
    }
    throw error;
  }
}

/** `task` under the settings' retry policy, logging each retry. */
function withRetries<T>(settings: HttpSettings, call: string, task: () => Promise<T>): Promise<T> {
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
  );
}

function parseAnswer<T>(call: string, answer: JsonAnswer, schema: z.ZodType<T>): T {
  try {
    return readAnswer({ method: 'POST', url: call }, answer, schema);
  } catch (error) {
    if (!(error instanceof UnexpectedAnswer)) throw error;
    if (error.issue === null) throw new ControlPlaneError(call, error.status, null, `the answer is not JSON (${error.text.trim().slice(0, 120) || 'empty'}); is the server URL a tauri-release server?`);
    throw new ControlPlaneError(call, error.status, null, `unexpected answer (${error.issue}); is the server a tauri-release server of a compatible version?`);
  }
}

// ---- the OIDC exchange ------------------------------------------------------------------------------------

export interface IssuedCredential {
  token: Secret;
  expiresAt: Date;
  canPublish: boolean;
  repository: string;
  runId: string;
}

export interface ExchangeOptions extends HttpSettings {
  serverUrl: string;
  app: string;
  /** The `aud` to request: the server's OIDC_AUDIENCE. */
  audience: string;
  /** The runner's token service (`core.getIDToken`); a fresh token per call. */
  getIdToken: (audience: string) => Promise<string>;
  /** Masks a value in the job's logs (`core.setSecret`). */
  mask: (value: string) => void;
}

/** What to do about a refused exchange, by status. */
function exchangeHint(error: ControlPlaneError, options: ExchangeOptions): string {
  switch (error.status) {
    case 401:
      return `The server refused the job's OIDC token. The audience requested (${JSON.stringify(options.audience)}, input audience) must equal the server's OIDC_AUDIENCE, and the server's OIDC_ISSUER must be this GitHub's issuer.`;
    case 403:
      return `No trusted publisher of app ${options.app} accepts this run: an admin adds one with this repository, its ids, the workflow file and, if set, the environment and allowed refs (POST /admin/apps/${options.app}/publishers).`;
    case 404:
      return `Trusted publishing is not enabled on ${options.serverUrl} (its OIDC_AUDIENCE is unset), or server-url is not a tauri-release server. Enable it, or pass a CI API key as api-key.`;
    default:
      return 'Re-run the job; if it keeps failing, the server log says why.';
  }
}

/**
 * `POST /ci/token` with a fresh OIDC token per attempt (a token is single-use, so an attempt whose answer was lost
 * has spent its token).
 *
 * @throws Error with what to do next when the server refuses, or the runner gives no token
 */
export async function exchangeOidcToken(options: ExchangeOptions): Promise<IssuedCredential> {
  const call = `POST ${options.serverUrl}/ci/token`;
  let answer: JsonAnswer;
  try {
    answer = await withRetries(options, call, async () => {
      let idToken: string;
      try {
        idToken = await options.getIdToken(options.audience);
      } catch (error) {
        throw new Error(
          `Could not get the job's GitHub OIDC token (${error instanceof Error ? error.message : String(error)}). ` +
            'The job needs `permissions: id-token: write` (pull requests from forks never get one); or pass a CI API key as api-key.',
          { cause: error },
        );
      }
      const body: ExchangeBody = { app: options.app };
      return sendJson(options, call, `${options.serverUrl}/ci/token`, { method: 'POST', bearer: idToken, body });
    });
  } catch (error) {
    if (error instanceof ControlPlaneError && !error.retryable) throw new Error(`${error.message}. ${exchangeHint(error, options)}`, { cause: error });
    throw error;
  }
  const token = (answer.json as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || token === '') throw new ControlPlaneError(call, 200, null, 'the answer has no credential ("token")');
  options.mask(token); // before anything can print it
  const exchanged = parseAnswer(call, answer, exchangeAnswerSchema);
  const expiresAt = new Date(exchanged.expires_at);
  if (Number.isNaN(expiresAt.getTime())) throw new ControlPlaneError(call, 200, null, 'the answer has no valid "expires_at"');
  return {
    token: new Secret('CI credential', exchanged.token),
    expiresAt,
    canPublish: exchanged.can_publish,
    repository: exchanged.repository,
    runId: exchanged.run_id,
  };
}

// ---- credentials ------------------------------------------------------------------------------------------

export interface CredentialSourceOptions {
  /** A CI (or admin) API key: used as it is, never renewed. */
  apiKey?: Secret;
  /** A credential an earlier step of this job exchanged, used while it has time left. */
  reused?: { token: Secret; expiresAt: Date };
  /** Exchanges the job's OIDC token; required unless `apiKey` is given. */
  exchange?: () => Promise<IssuedCredential>;
  /** Told about each newly exchanged credential (to pass it on to later steps). */
  onIssued?: (credential: IssuedCredential) => void;
  now?: () => number;
  logger: Logger;
}

/** The bearer for each call: an API key, or an OIDC-exchanged credential kept fresh. */
export class CredentialSource {
  readonly kind: 'api-key' | 'oidc';
  readonly #options: CredentialSourceOptions;
  #current: { token: Secret; expiresAt: Date | null } | null;
  #issued: IssuedCredential | null = null;
  #exchanges = 0;

  constructor(options: CredentialSourceOptions) {
    if (!options.apiKey && !options.exchange) throw new Error('CredentialSource needs an API key or an exchange');
    this.#options = options;
    this.kind = options.apiKey ? 'api-key' : 'oidc';
    this.#current = options.apiKey ? { token: options.apiKey, expiresAt: null } : (options.reused ?? null);
    if (!options.apiKey && options.reused) options.logger.info(`Using the CI credential an earlier step exchanged (valid until ${options.reused.expiresAt.toISOString()}).`);
  }

  /** The credential this source exchanged itself, if any (for `can_publish`). */
  get issued(): IssuedCredential | null {
    return this.#issued;
  }

  /** How many times this source exchanged an OIDC token. */
  get exchanges(): number {
    return this.#exchanges;
  }

  async token(): Promise<Secret> {
    const now = (this.#options.now ?? Date.now)();
    const current = this.#current;
    if (current && (current.expiresAt === null || current.expiresAt.getTime() - now > CREDENTIAL_MIN_REMAINING_MS)) return current.token;
    const issued = await this.#options.exchange!();
    this.#exchanges += 1;
    this.#issued = issued;
    this.#current = { token: issued.token, expiresAt: issued.expiresAt };
    this.#options.logger.info(
      `Exchanged the job's OIDC token for a CI credential (${issued.repository || 'this repository'}, run ${issued.runId || '?'}, ` +
        `${issued.canPublish ? 'may publish' : 'drafts only'}, valid until ${issued.expiresAt.toISOString()}).`,
    );
    this.#options.onIssued?.(issued);
    return issued.token;
  }

  /** After a 401: drops the credential so the next call exchanges a new one. False when it cannot (an API key). */
  invalidate(): boolean {
    if (this.kind === 'api-key') return false;
    this.#current = null;
    return true;
  }
}

// ---- release calls ----------------------------------------------------------------------------------------

export interface ControlPlaneOptions extends HttpSettings {
  serverUrl: string;
  app: string;
  credentials: CredentialSource;
}

/** The CI API's release calls for one app. */
export class ControlPlane {
  readonly serverUrl: string;
  readonly app: string;
  readonly #options: ControlPlaneOptions;

  constructor(options: ControlPlaneOptions) {
    this.serverUrl = options.serverUrl;
    this.app = options.app;
    this.#options = options;
  }

  get credentials(): CredentialSource {
    return this.#options.credentials;
  }

  #releases(version?: string): string {
    const base = `/ci/apps/${encodeURIComponent(this.app)}/releases`;
    return version === undefined ? base : `${base}/${encodeURIComponent(version)}`;
  }

  /** Creates the draft for `body.version` or reuses it (notes and channel updated on a draft); registers `artifacts` already in storage. */
  createRelease(body: CiCreateReleaseBody): Promise<CiReleaseView> {
    return this.#call('POST', this.#releases(), body, ciReleaseViewSchema);
  }

  /** Where to send one artifact's bytes: one presigned PUT, or presigned multipart. */
  requestUpload(version: string, body: CiUploadRequestBody): Promise<CiUploadResponse> {
    return this.#call('POST', `${this.#releases(version)}/uploads`, body, ciUploadResponseSchema);
  }

  /** The server checks size, sha256 and signature; the artifact becomes ready. */
  completeUpload(version: string, uploadId: string, body: CiCompleteUploadBody = {}): Promise<CiArtifactView> {
    return this.#call('POST', `${this.#releases(version)}/uploads/${encodeURIComponent(uploadId)}/complete`, body, ciArtifactViewSchema);
  }

  publish(version: string): Promise<CiReleaseView> {
    return this.#call('POST', `${this.#releases(version)}/publish`, undefined, ciReleaseViewSchema);
  }

  async #call<T>(method: HttpMethod, path: string, body: unknown, schema: z.ZodType<T>): Promise<T> {
    const call = `${method} ${this.serverUrl}${path}`;
    const credentials = this.#options.credentials;
    let renewed = false;
    const answer = await withRetries(this.#options, call, async () => {
      for (;;) {
        const bearer = await credentials.token();
        try {
          return await sendJson(this.#options, call, `${this.serverUrl}${path}`, { method, bearer: bearer.reveal(), body });
        } catch (error) {
          // An expired or revoked credential: exchange once more, then let a second 401 through.
          if (error instanceof ControlPlaneError && error.status === 401 && !renewed && credentials.invalidate()) {
            renewed = true;
            this.#options.logger.info(`${error.message}; exchanging a fresh OIDC token`);
            continue;
          }
          if (error instanceof ControlPlaneError && error.status === 401 && credentials.kind === 'api-key') {
            throw new Error(`${error.message}. The api-key input is not a valid API key of this server (or was revoked).`, { cause: error });
          }
          throw error;
        }
      }
    });
    return parseAnswer(call, answer, schema);
  }
}
