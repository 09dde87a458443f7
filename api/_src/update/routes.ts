/**
 * @module update/routes
 * The Tauri updater endpoint, the hot path. In steady state a check is: match the route, validate
 * the parameters, read the snapshot from memory, walk a few releases, and return precomputed bytes
 * and headers. No query, no JSON.stringify, no middleware.
 *
 *   GET /update/{app}/{target}/{arch}/{current_version}[?bundle_type=…&channel=…&install_id=…]
 *   GET /{app}/update/{os}-{arch}/{current_version}[?bundle_type=…&channel=…&install_id=…]
 *   optional header `X-Install-Id` (same as `install_id`): the install's stable id, for staged rollouts
 *
 * 200  Tauri's dynamic manifest `{version, notes, pub_date, url, signature}`, plus `critical`,
 *      `min_supported_version` and `below_minimum` when the release sets them (read as `rawJson`)
 * 204  up to date, or nothing fits this platform and bundle (Tauri then stops asking)
 * 304  `If-None-Match` matched the ETag (per body for 200, per app state for 204)
 * 400  current version is not SemVer, target/arch/bundle_type/channel is malformed, or the install id is
 * 404  no such app, or no such channel for the app
 * 429  this address used up `RATE_LIMIT_UPDATES_PER_MINUTE` (with `Retry-After`)
 * 503  the database cannot be reached
 * Errors carry `Cache-Control: no-store`, so no CDN remembers an outage or a typo. An answer a staged
 * rollout decided is `Cache-Control: private` with `Vary: X-Install-Id`.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { badRequest, errorResponse, notFound } from '../http/errors.ts';
import {
  ARCHITECTURES,
  type Architecture,
  BUNDLE_TYPES,
  type BundleType,
  bundleBelongsTo,
  DEFAULT_BUNDLE_PREFERENCE,
  OPERATING_SYSTEMS,
  type OperatingSystem,
} from '../protocol/platforms.ts';
import { safeParseVersion, type Version } from '../protocol/semver.ts';
import type { UsageAnalytics } from '../analytics/recorder.ts';
import { countedBefore, peerAddress, type RateLimits, tooManyRequests } from '../rate-limit/limits.ts';
import type { ReleaseCache } from './cache.ts';
import { INSTALL_ID_HEADER, INSTALL_ID_QUERY, parseInstallId } from './rollout.ts';
import { DEFAULT_CHANNEL, selectUpdate, type UpdateQuery } from './select.ts';
import type { AppSnapshot } from './snapshot.ts';
import { QUERIED_CHANNEL_PATTERN } from '../protocol/channels.ts';

const operatingSystems: ReadonlySet<string> = new Set(OPERATING_SYSTEMS);
const architectures: ReadonlySet<string> = new Set(ARCHITECTURES);
const bundleTypes: ReadonlySet<string> = new Set(BUNDLE_TYPES);
/** What an unpatched Tauri binary (raw exe, `--no-bundle`, stripped) sends for `{{bundle_type}}`. */
const UNKNOWN_BUNDLE = 'unknown';

/** RFC 9110 §13.1.2: weak comparison, a list, or `*`. */
export function etagMatches(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch === etag) return true;
  return ifNoneMatch.split(',').some((tag) => {
    const value = tag.trim();
    return value === '*' || value === etag || value === `W/${etag}`;
  });
}

export function parseOs(value: string): OperatingSystem {
  if (operatingSystems.has(value)) return value as OperatingSystem;
  throw badRequest(`unknown target ${JSON.stringify(value)}; expected one of ${OPERATING_SYSTEMS.join(', ')}`);
}

export function parseArch(value: string): Architecture {
  if (architectures.has(value)) return value as Architecture;
  throw badRequest(`unknown arch ${JSON.stringify(value)}; expected one of ${ARCHITECTURES.join(', ')}`);
}

export function parsePlatform(value: string): [OperatingSystem, Architecture] {
  const dash = value.indexOf('-');
  const os = dash < 0 ? value : value.slice(0, dash);
  if (dash < 0 || !operatingSystems.has(os) || !architectures.has(value.slice(dash + 1))) {
    throw badRequest(
      `unknown platform ${JSON.stringify(value)}; expected {os}-{arch} with os one of ${OPERATING_SYSTEMS.join(', ')} and arch one of ${ARCHITECTURES.join(', ')}`,
    );
  }
  return [os as OperatingSystem, value.slice(dash + 1) as Architecture];
}

function parseBundle(value: string | undefined, os: OperatingSystem): BundleType | null {
  if (value === undefined || value === '' || value === UNKNOWN_BUNDLE) return null;
  if (!bundleTypes.has(value)) {
    throw badRequest(`unknown bundle_type ${JSON.stringify(value)}; expected one of ${BUNDLE_TYPES.join(', ')} or ${UNKNOWN_BUNDLE}`);
  }
  if (!bundleBelongsTo(value as BundleType, os)) {
    throw badRequest(`bundle_type ${value} is not a ${os} bundle; expected one of ${DEFAULT_BUNDLE_PREFERENCE[os].join(', ')} or ${UNKNOWN_BUNDLE}`);
  }
  return value as BundleType;
}

/** Checks come from few distinct versions; parsing each once keeps the hot path free of it. */
const parsedVersions = new Map<string, Version>();
const MAX_PARSED_VERSIONS = 1024;

function parseCurrentVersion(text: string): Version {
  const known = parsedVersions.get(text);
  if (known) return known;
  const parsed = safeParseVersion(text);
  if (!parsed.success) throw badRequest(`current version ${JSON.stringify(text)} is not a semantic version: ${parsed.error}`);
  if (parsedVersions.size >= MAX_PARSED_VERSIONS) parsedVersions.clear();
  parsedVersions.set(text, parsed.version);
  return parsed.version;
}

/** How a check's adapter (the Hono route, or node-listener.ts) hands over request headers: what analytics reads too. */
export type HeaderReader = Pick<Headers, 'get'>;

/** A decoded query parameter, or undefined when absent. */
export type QueryReader = (name: string) => string | undefined;

/**
 * The check's parameters, validated (400 on anything malformed). `query` is null when the URL has no
 * query string, the common case, which then costs nothing.
 */
export function parseCheck(os: OperatingSystem, arch: Architecture, currentVersion: string, query: QueryReader | null, headers: HeaderReader): UpdateQuery {
  const current = parseCurrentVersion(currentVersion);
  const header = headers.get(INSTALL_ID_HEADER);
  if (query === null) {
    return { current, os, arch, bundle: null, channel: DEFAULT_CHANNEL, installId: header === null ? null : parseInstallId(header, undefined) };
  }
  const installId = parseInstallId(header, query(INSTALL_ID_QUERY));
  const bundle = parseBundle(query('bundle_type'), os);
  const channel = query('channel') || DEFAULT_CHANNEL;
  if (!QUERIED_CHANNEL_PATTERN.test(channel)) {
    throw badRequest(`invalid channel ${JSON.stringify(channel)}; expected lowercase letters, digits, '.', '_' or '-'`);
  }
  return { current, os, arch, bundle, channel, installId };
}

/** What a check answers: precomputed headers and body from the snapshot, nothing built per request. */
export interface CheckAnswer {
  status: 200 | 204 | 304;
  headers: Readonly<Record<string, string>>;
  body: Uint8Array<ArrayBuffer> | null;
}

/**
 * The answer for a check against a loaded snapshot, counted in analytics (a Map increment: no query, no
 * await). Throws 404 for a channel the app does not have, before counting (made-up names would only fill
 * the counters). `sentVersion` is the version as the client sent it, which is what analytics counts.
 */
export function answerCheck(snapshot: AppSnapshot, query: UpdateQuery, sentVersion: string, headers: HeaderReader, analytics: UsageAnalytics): CheckAnswer {
  const selection = selectUpdate(snapshot, query);
  if (selection.kind === 'unknown_channel') {
    const known = [...snapshot.channels.keys()].sort().join(', ');
    throw notFound(`app ${JSON.stringify(snapshot.app.slug)} has no channel ${JSON.stringify(query.channel)}; its channels are ${known}`);
  }
  analytics.recordCheck(snapshot.app.id, sentVersion, query.os, query.arch, query.channel, headers, query.installId);
  const ifNoneMatch = headers.get('if-none-match');
  if (selection.kind === 'update') {
    const { answer, staged } = selection;
    if (etagMatches(ifNoneMatch, answer.etag)) {
      return { status: 304, headers: staged ? answer.privateNotModifiedHeaders : answer.notModifiedHeaders, body: null };
    }
    return { status: 200, headers: staged ? answer.privateHeaders : answer.headers, body: answer.body };
  }
  const { staged } = selection;
  if (etagMatches(ifNoneMatch, snapshot.etag)) {
    return { status: 304, headers: staged ? snapshot.privateNotModifiedHeaders : snapshot.notModifiedHeaders, body: null };
  }
  return { status: 204, headers: staged ? snapshot.privateNoContentHeaders : snapshot.noContentHeaders, body: null };
}

function respond(c: Context, analytics: UsageAnalytics, snapshot: AppSnapshot | null, slug: string, query: UpdateQuery): Response {
  if (snapshot === null) return errorResponse(notFound(`no app ${JSON.stringify(slug)}`), c);
  try {
    const { status, headers, body } = answerCheck(snapshot, query, c.req.param('current_version')!, c.req.raw.headers, analytics);
    return new Response(body, { status, headers });
  } catch (error) {
    return errorResponse(error, c);
  }
}

/** Synchronous while the app's snapshot is cached; a Promise only when it must be loaded. */
function answer(c: Context, cache: ReleaseCache, analytics: UsageAnalytics, slug: string, query: UpdateQuery): Response | Promise<Response> {
  const snapshot = cache.lookup(slug);
  if (!(snapshot instanceof Promise)) return respond(c, analytics, snapshot, slug, query);
  return snapshot.then(
    (loaded) => respond(c, analytics, loaded, slug, query),
    (error: unknown) => errorResponse(error, c),
  );
}

/** Hono's decoded query parameters, or null when the URL has none. */
function queryOf(c: Context): QueryReader | null {
  return c.req.url.includes('?') ? (name) => c.req.query(name) : null;
}

/** Counts the check against its address's limit; the 429 when that is used up, else null. */
function rateLimited(c: Context, limits: RateLimits): Response | null {
  if (countedBefore(c)) return null;
  const refused = limits.updateCheck(peerAddress(c), c.req.raw.headers);
  if (refused === null) return null;
  const { status, headers, body } = tooManyRequests(refused);
  return new Response(body, { status, headers });
}

export function updateRoutes(deps: AppDeps): Hono {
  const cache = deps.releaseCache;
  const analytics = deps.analytics;
  const limits = deps.rateLimits;
  const app = new Hono();
  app.get('/update/:app/:target/:arch/:current_version', function tauriUpdateCheck(c) {
    const refused = rateLimited(c, limits);
    if (refused) return refused;
    try {
      const os = parseOs(c.req.param('target'));
      const query = parseCheck(os, parseArch(c.req.param('arch')), c.req.param('current_version'), queryOf(c), c.req.raw.headers);
      return answer(c, cache, analytics, c.req.param('app'), query);
    } catch (error) {
      return errorResponse(error, c);
    }
  });
  app.get('/:app/update/:platform/:current_version', function seedUpdateCheck(c) {
    const refused = rateLimited(c, limits);
    if (refused) return refused;
    try {
      const [os, arch] = parsePlatform(c.req.param('platform'));
      const query = parseCheck(os, arch, c.req.param('current_version'), queryOf(c), c.req.raw.headers);
      return answer(c, cache, analytics, c.req.param('app'), query);
    } catch (error) {
      return errorResponse(error, c);
    }
  });
  return app;
}
