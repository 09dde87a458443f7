/**
 * @module config
 * Every setting the control plane reads, validated once. Nothing else reads `process.env`.
 */
import { resolve } from 'node:path';
// zod/mini, not the rest of the code's zod: the same library (and error messages), but its schemas are plain
// objects where classic zod builds each method onto every schema, and this one is built at every cold start of the
// Vercel function: 0.5 ms instead of ~15 (`npm run bench:cold-start`).
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { parseSecretsKey } from './github/secrets.ts';
import { parseTrustedProxies } from './rate-limit/client-ip.ts';
import type { RateLimitSettings } from './rate-limit/limits.ts';
import { SERVER_LIMITS, type ServerLimits } from './server-limits.ts';
import type { UpdateCacheSettings } from './update/cache-control.ts';

z.config(en());

const optionalText = z.optional(z.pipe(z.string().check(z.trim()), z.transform((value) => (value === '' ? undefined : value))));

/** Unset, or text that passes `problem` (null: fine; else what is wrong). */
const checkedText = (problem: (value: string) => string | null) =>
  optionalText.check(
    z.superRefine((value, ctx) => {
      const message = value === undefined ? null : problem(value);
      if (message) ctx.issues.push({ code: 'custom', message, input: value });
    }),
  );

/** A problem for `checkedText`: what `parse` throws about the value, or null when it parses. */
const thrownBy = (parse: (value: string) => unknown, describe = (message: string) => message) => (value: string) => {
  try {
    parse(value);
    return null;
  } catch (error) {
    return describe((error as Error).message);
  }
};

/**
 * An http(s) URL with no credentials, query or fragment: paths are appended to it. `URL.canParse` alone passes
 * `updates.example.com:443` (a URL whose scheme is `updates.example.com:`) and `javascript:…`. The value is not
 * echoed: a URL pasted in the wrong variable may carry a password.
 */
const httpUrlText = (name: string, example: string) =>
  checkedText((value) => {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return `${name} must be an http:// or https:// URL, e.g. ${example}`;
    if (url.username || url.password || url.search || url.hash) return `${name} must have no user, password, query or fragment, e.g. ${example}`;
    return null;
  });

/** Fewer different characters than this is a repeated word (`changemechangemechangeme`), not a random token. */
const ADMIN_TOKEN_MIN_DISTINCT = 8;

function adminTokenProblem(token: string): string | null {
  if (token.length < 24) return 'ADMIN_TOKEN must be at least 24 characters';
  if (new Set(token).size < ADMIN_TOKEN_MIN_DISTINCT) {
    return `ADMIN_TOKEN is guessable (fewer than ${ADMIN_TOKEN_MIN_DISTINCT} different characters); make one with: openssl rand -base64 32`;
  }
  return null;
}

const DATABASE_URL_PROBLEM = 'DATABASE_URL must be a postgresql:// connection string (your Neon connection string)';
const databaseUrlText = checkedText((value) =>
  URL.canParse(value) && ['postgres:', 'postgresql:'].includes(new URL(value).protocol) && new URL(value).hostname ? null : DATABASE_URL_PROBLEM,
);

/** A number of the setting's unit, from its text; `fallback` when unset. */
const numberIn = (min: number, max: number, fallback: number) => z._default(z.coerce.number().check(z.minimum(min), z.maximum(max)), fallback);
const integerIn = (min: number, max: number, fallback: number) => z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), fallback);
const oneOf = <const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) => z._default(z.enum(values), fallback);
const flag = () => z._default(z.stringbool(), false);

const ACTION_REPOSITORY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}(@[A-Za-z0-9._\/-]{1,200})?$/;

const envSchema = z.object({
  PORT: integerIn(0, 65535, 8787),
  DATA_DIR: z._default(z.string().check(z.trim(), z.minLength(1)), './.data'),
  DATABASE_URL: databaseUrlText,
  PUBLIC_URL: httpUrlText('PUBLIC_URL', 'https://updates.example.com'),
  ADMIN_TOKEN: checkedText((value) => adminTokenProblem(value)),
  STORAGE_DRIVER: oneOf(['fs', 's3'], 'fs'),
  S3_ENDPOINT: httpUrlText('S3_ENDPOINT', 'https://<account>.r2.cloudflarestorage.com'),
  S3_REGION: z._default(z.string().check(z.trim(), z.minLength(1)), 'auto'),
  S3_BUCKET: optionalText,
  S3_ACCESS_KEY_ID: optionalText,
  S3_SECRET_ACCESS_KEY: optionalText,
  S3_PUBLIC_BASE_URL: httpUrlText('S3_PUBLIC_BASE_URL', 'https://downloads.example.com'),
  S3_FORCE_PATH_STYLE: flag(),
  /** How long an instance serves an app's releases from memory before it looks again. */
  UPDATE_CACHE_TTL_SECONDS: integerIn(0, 3600, 15),
  /** How old a snapshot may be and still answer update checks while the database is unavailable (stale-if-error). */
  UPDATE_STALE_IF_ERROR_SECONDS: integerIn(0, 7 * 86_400, 86_400),
  /** Cache-Control of update answers: `max-age`, and for shared caches (a CDN) `s-maxage` and `stale-while-revalidate`. */
  UPDATE_MAX_AGE_SECONDS: integerIn(0, 86_400, 60),
  UPDATE_S_MAXAGE_SECONDS: integerIn(0, 86_400, 60),
  UPDATE_STALE_WHILE_REVALIDATE_SECONDS: integerIn(0, 86_400, 60),
  /** `npm start`'s server (server-limits.ts): behind a proxy, the keep-alive timeout must exceed the proxy's idle timeout. */
  SERVER_HEADERS_TIMEOUT_SECONDS: integerIn(1, 600, SERVER_LIMITS.headersTimeoutMs / 1000),
  SERVER_IDLE_TIMEOUT_SECONDS: integerIn(1, 86_400, SERVER_LIMITS.idleTimeoutMs / 1000),
  SERVER_KEEP_ALIVE_TIMEOUT_SECONDS: integerIn(1, 3600, SERVER_LIMITS.keepAliveTimeoutMs / 1000),
  SERVER_MAX_CONNECTIONS: integerIn(1, 1_000_000, SERVER_LIMITS.maxConnections),
  /** `npm start` writes one line per request to its terminal (api/_src/http/request-log.ts); `off` stops it. */
  REQUEST_LOG: oneOf(['on', 'off'], 'on'),
  /** `off` turns every rate limit off (api/_src/rate-limit/limits.ts). */
  RATE_LIMITS: oneOf(['on', 'off'], 'on'),
  /** Where failed-authentication counts live: this process (`memory`) or the database, shared by every instance. */
  RATE_LIMIT_STORE: oneOf(['memory', 'database'], 'memory'),
  RATE_LIMIT_UPDATES_PER_MINUTE: integerIn(1, 1_000_000_000, 600),
  RATE_LIMIT_PUBLIC_PER_MINUTE: integerIn(1, 1_000_000_000, 600),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: integerIn(1, 1_000_000, 20),
  /** Proxies whose forwarded-for headers name the client (api/_src/rate-limit/client-ip.ts); unset: the socket's peer. */
  TRUSTED_PROXIES: checkedText(
    thrownBy(parseTrustedProxies, (message) => `TRUSTED_PROXIES: ${message}; expected a comma-separated list of vercel, cloudflare, loopback, IP addresses and CIDR ranges`),
  ),
  /** GitHub's REST API (GitHub Enterprise Server: https://<host>/api/v3); tests point it at a local fake. */
  GITHUB_API_URL: httpUrlText('GITHUB_API_URL', 'https://github.example.com/api/v3'),
  /** How often a GitHub-sourced app's releases are looked at (one conditional request per app per interval). */
  GITHUB_SYNC_INTERVAL_SECONDS: integerIn(10, 86_400, 300),
  /** How long one GitHub request may take. */
  GITHUB_TIMEOUT_SECONDS: numberIn(0.05, 120, 10),
  /** 32 random bytes, base64: seals the tokens of private repositories (api/_src/github/secrets.ts). */
  SECRETS_KEY: checkedText(thrownBy(parseSecretsKey)),
  /** Test-only: route the Neon driver's WebSocket through a local proxy to a plain PostgreSQL. */
  NEON_WS_PROXY: optionalText,
  /** The one issuer whose GitHub Actions OIDC tokens `POST /ci/token` accepts; see `checkOidcIssuer`. */
  OIDC_ISSUER: checkedText((value) => checkOidcIssuer(value)),
  /** Webhooks may target private/loopback addresses (and http:// on loopback); see api/_src/webhooks/targets.ts. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: flag(),
  /** Seconds to wait before each retry of a failed delivery (±20% jitter); attempts = retries + 1. */
  WEBHOOK_RETRY_SCHEDULE: z._default(
    z.string().check(
      z.trim(),
      z.regex(/^[0-9]+(\.[0-9]+)?(,[0-9]+(\.[0-9]+)?){0,18}$/, 'WEBHOOK_RETRY_SCHEDULE must be up to 19 comma-separated numbers of seconds, e.g. 15,60,240,960'),
    ),
    '15,60,240,960',
  ),
  /** How long one delivery attempt may take, connect to status line. */
  WEBHOOK_TIMEOUT_SECONDS: numberIn(0.05, 30, 5),
  /** Failed attempts in a row after which an endpoint's circuit opens (deliveries recorded, not sent). */
  WEBHOOK_CIRCUIT_FAILURES: integerIn(1, 1000, 15),
  /** Where the suite's actions live, `owner/name[@ref]`, for the dashboard's workflow snippet; see `actionReference`. */
  ACTION_REPOSITORY: checkedText((value) =>
    ACTION_REPOSITORY_PATTERN.test(value)
      ? null
      : 'ACTION_REPOSITORY must be owner/name or owner/name@ref of the repository this suite lives in, e.g. my-company/tauri-release',
  ),
  /** The `aud` our tokens must carry; unset turns trusted publishing off. See `checkOidcAudience`. */
  OIDC_AUDIENCE: checkedText((value) => checkOidcAudience(value)),
});

/** GitHub.com's Actions issuer: no trailing slash (a slash makes it another issuer, see docs/reference/github-actions.md §A1). */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

const GITHUB_ISSUER_WITH_SLUG = /^https:\/\/token\.actions\.githubusercontent\.com\/[A-Za-z0-9-]{1,100}$/;
const GHE_COM_ISSUER = /^https:\/\/token\.actions\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.ghe\.com$/;
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const LOOPBACK_ISSUER = /^http:\/\/(?:127\.0\.0\.1|\[::1\]):[0-9]{1,5}(?:\/[A-Za-z0-9._~-]+)*$/;

/**
 * Accepts exactly these issuer shapes and returns null, or says why not. Checked on the raw string with
 * anchored patterns, never with `startsWith` or after URL normalisation (`/a/../b`), so
 * `https://token.actions.githubusercontent.com.evil.com` and two-segment paths are refused:
 * - `https://token.actions.githubusercontent.com` (the default)
 * - that + `/<enterprise slug>`: one path segment of A-Z, a-z, 0-9 and `-` (GHEC `include_enterprise_slug`)
 * - `https://token.actions.<subdomain>.ghe.com` (GHE.com data residency)
 * - `https://<host>[:port]/_services/token` (GitHub Enterprise Server)
 * - `http://127.0.0.1:<port>[/path]` or `http://[::1]:<port>[/path]`: plain HTTP on a loopback IP
 *   literal only (tests run a local issuer there; `localhost` is refused because it goes through DNS).
 */
export function checkOidcIssuer(issuer: string): string | null {
  if (issuer === GITHUB_ACTIONS_ISSUER || GITHUB_ISSUER_WITH_SLUG.test(issuer) || GHE_COM_ISSUER.test(issuer)) return null;
  if (LOOPBACK_ISSUER.test(issuer)) return null;
  const ghes = /^https:\/\/([^/:]+)(?::[0-9]{1,5})?\/_services\/token$/.exec(issuer);
  if (ghes && HOST_NAME.test(ghes[1]!) && !/(^|\.)githubusercontent\.com$/.test(ghes[1]!)) return null;
  return (
    `OIDC_ISSUER must be ${GITHUB_ACTIONS_ISSUER} (no trailing slash), that followed by /<enterprise slug>, ` +
    'https://token.actions.<subdomain>.ghe.com, https://<GHES host>/_services/token, or http://127.0.0.1:<port> for a local test issuer'
  );
}

/**
 * Audiences that other services ask GitHub for. Accepting one would let a token minted for that service be
 * replayed here (docs/reference/github-actions.md §A2b.1); `https://github.com/<owner>` is what a workflow gets by default.
 */
const FOREIGN_AUDIENCES = [/^https:\/\/github\.com(\/|$)/i, /^sigstore$/i, /^sts\.amazonaws\.com(\.cn)?$/i, /^api:\/\/AzureADTokenExchange$/i, /^npm:/i, /^(test)?pypi$/i, /^crates\.io$/i];

export function checkOidcAudience(audience: string): string | null {
  if (audience.length > 200 || /[\s\u0000-\u001f]/.test(audience)) {
    return 'OIDC_AUDIENCE must be at most 200 characters with no whitespace, e.g. tauri-release:updates.example.com';
  }
  if (FOREIGN_AUDIENCES.some((pattern) => pattern.test(audience))) {
    return 'OIDC_AUDIENCE must name this service alone (e.g. tauri-release:updates.example.com), not an audience other services or GitHub\'s default use';
  }
  return null;
}

const S3_REQUIRED = ['S3_ENDPOINT', 'S3_BUCKET', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;

export interface S3Config {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  publicBaseUrl: string | undefined;
  forcePathStyle: boolean;
}

export interface Config {
  port: number;
  dataDir: string;
  /** Unset: the embedded PGlite database under `dataDir`. */
  databaseUrl: string | undefined;
  /** The URL clients reach this server at; download URLs in manifests are built from it. */
  publicUrl: string;
  adminToken: string | undefined;
  /** `npm start` only: one line per request on stdout. */
  requestLog: boolean;
  /** `npm start` only: its node:http server's limits on slow and idle clients. */
  serverLimits: Readonly<ServerLimits>;
  storage: { driver: 'fs' } | ({ driver: 's3' } & S3Config);
  updateCacheTtlMs: number;
  /** Stale-if-error: how long after it was read a snapshot may answer while the database is unavailable. */
  updateStaleIfErrorMs: number;
  /** Cache-Control of update answers (update/cache-control.ts `updateCacheControl`). */
  updateCaching: UpdateCacheSettings;
  rateLimits: RateLimitSettings;
  neonWsProxy: string | undefined;
  /** Webhook delivery policy (api/_src/webhooks/). */
  webhooks: WebhookSettings;
  /** GitHub Actions OIDC ("trusted publishing", `POST /ci/token`); off while `audience` is unset. */
  oidc: { issuer: string; audience: string | undefined };
  /** `uses:` of the root action in the dashboard's workflow snippet, e.g. `my-company/tauri-release@v1`; null: not known. */
  actionReference: string | null;
  /** GitHub Releases as an app's source (api/_src/github/). `secretsKey` unset: `npm start` makes one under DATA_DIR. */
  github: { apiUrl: string; syncIntervalMs: number; timeoutMs: number; secretsKey: Buffer | undefined };
}

export interface WebhookSettings {
  allowPrivateTargets: boolean;
  /** Delay before retry n (n = 1…); one attempt more than there are delays. */
  retryDelaysMs: number[];
  timeoutMs: number;
  circuitThreshold: number;
}

/** Every problem, on one line (`problem; problem`), so a log view that shows one line per entry shows it whole. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface LoadConfigOptions {
  /**
   * The Vercel function (index.ts): a Neon DATABASE_URL, S3 storage and a public URL are required, since a
   * function has no lasting disk and clients must never be handed `http://localhost` download URLs.
   */
  vercel?: boolean;
}

/** What `VERCEL_PROJECT_PRODUCTION_URL` holds: the production domain's host name, without a scheme. */
const VERCEL_HOST = /^[a-z0-9.-]+(:[0-9]{1,5})?$/i;

/**
 * On Vercel without PUBLIC_URL: the project's production domain. Not `VERCEL_URL`: that is the deployment's own
 * address, which Vercel's deployment protection guards (clients would get a login page) and which changes per deploy.
 */
function vercelPublicUrl(env: Record<string, string | undefined>, problems: string[]): string | undefined {
  if (env.PUBLIC_URL?.trim()) return undefined;
  const host = env.VERCEL_PROJECT_PRODUCTION_URL?.trim();
  if (host && VERCEL_HOST.test(host)) return `https://${host}`;
  problems.push(
    host
      ? `VERCEL_PROJECT_PRODUCTION_URL ${JSON.stringify(host)} is not a host name; set PUBLIC_URL to the URL clients reach this deployment at`
      : 'PUBLIC_URL is required on Vercel (no VERCEL_PROJECT_PRODUCTION_URL to derive it from): set it to the URL clients reach this deployment at, e.g. https://updates.example.com',
  );
  return undefined;
}

function vercelProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (!env.DATABASE_URL?.trim()) problems.push('DATABASE_URL is required on Vercel: set it to your Neon connection string (the pooled one)');
  if (env.STORAGE_DRIVER?.trim() !== 's3') {
    problems.push('STORAGE_DRIVER=s3 is required on Vercel (with the S3_* settings for your R2 bucket): a function has no lasting disk');
  }
  return problems;
}

/** Reads and validates the configuration; throws a `ConfigError` listing every problem. */
export function loadConfig(env: Record<string, string | undefined> = process.env, options: LoadConfigOptions = {}): Readonly<Config> {
  const parsed = envSchema.safeParse(env);
  const problems = (parsed.error?.issues ?? []).map((issue) => {
    const name = issue.path.join('.') || 'configuration';
    return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
  });
  // Checked on the raw values so these are reported together with any other problem.
  if (env.STORAGE_DRIVER?.trim() === 's3') {
    for (const name of S3_REQUIRED) {
      if (!env[name]?.trim()) problems.push(`${name} is required when STORAGE_DRIVER=s3`);
    }
  }
  const derivedPublicUrl = options.vercel ? vercelPublicUrl(env, problems) : undefined;
  if (options.vercel) problems.push(...vercelProblems(env));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems.join('; '));
  const e = parsed.data;
  const publicUrl = (e.PUBLIC_URL ?? derivedPublicUrl ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const storage: Config['storage'] =
    e.STORAGE_DRIVER === 's3'
      ? {
          driver: 's3',
          endpoint: e.S3_ENDPOINT!,
          region: e.S3_REGION,
          bucket: e.S3_BUCKET!,
          accessKeyId: e.S3_ACCESS_KEY_ID!,
          secretAccessKey: e.S3_SECRET_ACCESS_KEY!,
          publicBaseUrl: e.S3_PUBLIC_BASE_URL?.replace(/\/+$/, ''),
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
        }
      : { driver: 'fs' };
  return Object.freeze({
    port: e.PORT,
    dataDir: resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    publicUrl,
    adminToken: e.ADMIN_TOKEN,
    requestLog: e.REQUEST_LOG === 'on',
    serverLimits: {
      ...SERVER_LIMITS,
      headersTimeoutMs: e.SERVER_HEADERS_TIMEOUT_SECONDS * 1000,
      idleTimeoutMs: e.SERVER_IDLE_TIMEOUT_SECONDS * 1000,
      keepAliveTimeoutMs: e.SERVER_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      maxConnections: e.SERVER_MAX_CONNECTIONS,
    },
    storage,
    updateCacheTtlMs: e.UPDATE_CACHE_TTL_SECONDS * 1000,
    updateStaleIfErrorMs: e.UPDATE_STALE_IF_ERROR_SECONDS * 1000,
    updateCaching: {
      maxAgeSeconds: e.UPDATE_MAX_AGE_SECONDS,
      sMaxAgeSeconds: e.UPDATE_S_MAXAGE_SECONDS,
      staleWhileRevalidateSeconds: e.UPDATE_STALE_WHILE_REVALIDATE_SECONDS,
    },
    rateLimits: {
      enabled: e.RATE_LIMITS === 'on',
      store: e.RATE_LIMIT_STORE,
      updatesPerMinute: e.RATE_LIMIT_UPDATES_PER_MINUTE,
      publicPerMinute: e.RATE_LIMIT_PUBLIC_PER_MINUTE,
      authFailuresPerMinute: e.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
      trustedProxies: parseTrustedProxies(e.TRUSTED_PROXIES),
    },
    neonWsProxy: e.NEON_WS_PROXY,
    oidc: { issuer: e.OIDC_ISSUER ?? GITHUB_ACTIONS_ISSUER, audience: e.OIDC_AUDIENCE },
    actionReference: actionReference(e.ACTION_REPOSITORY, env),
    github: {
      apiUrl: (e.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, ''),
      syncIntervalMs: e.GITHUB_SYNC_INTERVAL_SECONDS * 1000,
      timeoutMs: Math.round(e.GITHUB_TIMEOUT_SECONDS * 1000),
      secretsKey: e.SECRETS_KEY === undefined ? undefined : parseSecretsKey(e.SECRETS_KEY),
    },
    webhooks: {
      allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS,
      retryDelaysMs: e.WEBHOOK_RETRY_SCHEDULE.split(',').map((seconds) => Math.round(Number(seconds) * 1000)),
      timeoutMs: Math.round(e.WEBHOOK_TIMEOUT_SECONDS * 1000),
      circuitThreshold: e.WEBHOOK_CIRCUIT_FAILURES,
    },
  });
}

/** The suite's major tag (README "Releasing the suite": move-major-tag.yml keeps `v1` on the newest v1.x.y). */
const ACTION_MAJOR_TAG = 'v1';

/**
 * The root action's `uses:` as the app's repository must write it. `ACTION_REPOSITORY` when set (`@ref` defaults to
 * the major tag). Else, on Vercel, the Git repository the deployment was built from (`VERCEL_GIT_REPO_OWNER` and
 * `VERCEL_GIT_REPO_SLUG`, Vercel's system variables): this server's own code, and so the same repository or fork whose
 * actions match it. Else null: the dashboard says to set it rather than show a placeholder that looks real.
 */
export function actionReference(setting: string | undefined, env: Record<string, string | undefined>): string | null {
  const withTag = (repository: string) => (repository.includes('@') ? repository : `${repository}@${ACTION_MAJOR_TAG}`);
  if (setting) return withTag(setting);
  const derived = `${env.VERCEL_GIT_REPO_OWNER?.trim() ?? ''}/${env.VERCEL_GIT_REPO_SLUG?.trim() ?? ''}`;
  return ACTION_REPOSITORY_PATTERN.test(derived) ? withTag(derived) : null;
}
