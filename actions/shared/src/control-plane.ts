/**
 * @module control-plane
 * The actions' side of the CI API (wire types: api/_src/protocol/ci.ts, shared with the server): `ControlPlane`, the
 * release calls of one app. Every one is idempotent on the server, so each is retried (ci-http.ts); its bearer comes
 * from a `CredentialSource` (ci-credentials.ts), renewed once after a 401. Used by upload-r2 and register-release;
 * never imports `@actions/core` (control-plane-io.ts wires it to the runner).
 */
import type { z } from 'zod';
import type { HttpMethod } from '../../../api/_src/client/json-client.ts';
import {
  type CiCompleteUploadBody,
  type CiCreateReleaseBody,
  type CiReleaseView,
  ciArtifactViewSchema,
  ciReleaseViewSchema,
  type CiUploadRequestBody,
  type CiUploadResponse,
  ciUploadResponseSchema,
} from '../../../api/_src/protocol/ci.ts';
import type { CredentialSource } from './ci-credentials.ts';
import { ControlPlaneError, type HttpSettings, parseAnswer, sendJson, withRetries } from './ci-http.ts';

export type CiArtifactView = z.infer<typeof ciArtifactViewSchema>;

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
