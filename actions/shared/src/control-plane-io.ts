/**
 * @module control-plane-io
 * The `@actions/core` side of control-plane.ts and ci-credentials.ts, for `main.ts` only: the credential a step talks to the server
 * with, from the `api-key` input, from the credential an earlier step of the job exchanged, or from the job's OIDC
 * token (`core.getIDToken`).
 *
 * An exchanged credential is masked at once and passed on to the job's later steps in `TAURI_RELEASE_CREDENTIAL`
 * (with its server, app and expiry in `TAURI_RELEASE_CREDENTIAL_SCOPE`), so upload-r2 and register-release of one
 * leg exchange one OIDC token between them. This gives later steps nothing they lack: any step of a job with
 * `id-token: write` can request a token and exchange it itself. The credential is bound to one app and run and lasts
 * 15 minutes.
 */
import * as core from '@actions/core';
import { maskSecret, readInput, readSecretInput } from './core-io.ts';
import { CREDENTIAL_ENV, CREDENTIAL_MIN_REMAINING_MS, CREDENTIAL_SCOPE_ENV, CredentialSource, exchangeOidcToken } from './ci-credentials.ts';
import type { HttpSettings } from './ci-http.ts';
import { ControlPlane, normalizeServerUrl } from './control-plane.ts';
import type { Logger } from './logger.ts';
import { Secret } from './secret.ts';

export interface ServerInputs {
  serverUrl: string;
  app: string;
  apiKey: Secret | undefined;
  /** The OIDC audience to request. */
  audience: string;
}

/**
 * `server-url`, `app`, `api-key` (masked; empty means "use OIDC") and `audience` (empty: the server URL, which is
 * what the server's README suggests for OIDC_AUDIENCE).
 */
export function readServerInputs(): ServerInputs {
  const serverUrl = normalizeServerUrl(readInput('server-url'));
  const app = readInput('app');
  if (app === undefined) throw new Error('Input app is empty: pass the slug of the app on the tauri-release server (e.g. my-app).');
  return { serverUrl, app, apiKey: readSecretInput('api-key'), audience: readInput('audience') ?? serverUrl };
}

interface Scope {
  server: string;
  app: string;
  expires_at: string;
}

/** The credential an earlier step left for this server and app, if it has time left. */
export function reusableCredential(env: NodeJS.ProcessEnv, serverUrl: string, app: string, now = Date.now()): { token: Secret; expiresAt: Date } | undefined {
  const token = env[CREDENTIAL_ENV]?.trim();
  if (!token) return undefined;
  let scope: Partial<Scope>;
  try {
    scope = JSON.parse(env[CREDENTIAL_SCOPE_ENV] ?? '') as Partial<Scope>;
  } catch {
    return undefined;
  }
  const expiresAt = new Date(scope.expires_at ?? NaN);
  if (scope.server !== serverUrl || scope.app !== app || Number.isNaN(expiresAt.getTime())) return undefined;
  if (expiresAt.getTime() - now <= CREDENTIAL_MIN_REMAINING_MS) return undefined;
  return { token: new Secret(CREDENTIAL_ENV, token), expiresAt };
}

/**
 * The step's `CredentialSource`. Without an API key it needs the runner's OIDC token service
 * (`ACTIONS_ID_TOKEN_REQUEST_URL`, present when the job has `permissions: id-token: write`).
 */
export function credentialSource(inputs: ServerInputs, logger: Logger, env: NodeJS.ProcessEnv = process.env): CredentialSource {
  if (inputs.apiKey) return new CredentialSource({ apiKey: inputs.apiKey, logger });
  const reused = reusableCredential(env, inputs.serverUrl, inputs.app);
  if (reused) maskSecret(reused.token.reveal());
  return new CredentialSource({
    logger,
    ...(reused ? { reused } : {}),
    exchange: () =>
      exchangeOidcToken({
        serverUrl: inputs.serverUrl,
        app: inputs.app,
        audience: inputs.audience,
        logger,
        mask: maskSecret,
        getIdToken: async (audience) => {
          if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
            throw new Error(
              'this job has no OIDC token service (ACTIONS_ID_TOKEN_REQUEST_URL is not set): add `permissions: id-token: write` to the job, ' +
                'or pass a CI API key as api-key (an empty api-key means "use OIDC"; an unset secret expands to empty)',
            );
          }
          return core.getIDToken(audience);
        },
      }),
    onIssued: (issued) => {
      core.exportVariable(CREDENTIAL_ENV, issued.token.reveal());
      core.exportVariable(CREDENTIAL_SCOPE_ENV, JSON.stringify({ server: inputs.serverUrl, app: inputs.app, expires_at: issued.expiresAt.toISOString() } satisfies Scope));
    },
  });
}

/** A `ControlPlane` for the step, with the default retry policy. */
export function controlPlane(inputs: ServerInputs, logger: Logger, http: Partial<HttpSettings> = {}): ControlPlane {
  return new ControlPlane({ serverUrl: inputs.serverUrl, app: inputs.app, credentials: credentialSource(inputs, logger), logger, ...http });
}
