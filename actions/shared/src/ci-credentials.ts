/**
 * @module ci-credentials
 * The bearer of the actions' CI calls.
 *
 * - `exchangeOidcToken`: the job's GitHub OIDC token → a 15-minute credential (`POST /ci/token`). A token is
 *   single-use on the server, so a retry asks the runner for a fresh one. The credential is masked (`mask`) before
 *   anything else sees it.
 * - `CredentialSource`: where a call's bearer comes from: an API key, a credential an earlier step of the same job
 *   exchanged (passed on in `TAURI_RELEASE_CREDENTIAL`), or a fresh exchange, renewed before it runs out and after
 *   a 401.
 */
import { type ExchangeBody, exchangeResponseSchema } from '../../../api/_src/protocol/ci.ts';
import { type HttpSettings, ControlPlaneError, parseAnswer, sendJson, withRetries } from './ci-http.ts';
import type { JsonAnswer } from '../../../api/_src/client/json-client.ts';
import type { Logger } from './logger.ts';
import { Secret } from './secret.ts';

/** Where one step leaves an exchanged credential for the next steps of the job (masked; see control-plane-io.ts). */
export const CREDENTIAL_ENV = 'TAURI_RELEASE_CREDENTIAL';
/** `{"server","app","expires_at"}` of the credential in `CREDENTIAL_ENV`, so a step reuses it only where it is valid. */
export const CREDENTIAL_SCOPE_ENV = 'TAURI_RELEASE_CREDENTIAL_SCOPE';
/** A credential with less time left than this is exchanged again rather than used. */
export const CREDENTIAL_MIN_REMAINING_MS = 2 * 60 * 1000;

/** The fields of `POST /ci/token`'s answer the actions read (the server's schema, api/_src/protocol/ci.ts). */
const exchangeAnswerSchema = exchangeResponseSchema.pick({ token: true, expires_at: true, can_publish: true, repository: true, run_id: true });

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
