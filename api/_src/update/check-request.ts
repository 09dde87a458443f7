/**
 * @module update/check-request
 * What an update check asks, read from its URL, query and headers into an `UpdateQuery` (400 on anything
 * malformed). Both adapters hand over the same `CheckRequest`: the Hono route from its decoded parameters,
 * the node:http listener from `plainCheckUrl` (URLs with nothing encoded, so no decoding rules of its own).
 *
 *   /update/{app}/{target}/{arch}/{current_version}   Tauri's form
 *   /{app}/update/{os}-{arch}/{current_version}       the seed form
 *   ?bundle_type=…&channel=…&install_id=…              all optional; `X-Install-Id` is the same as `install_id`
 */
import { badRequest } from '../http/errors.ts';
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
import { INSTALL_ID_HEADER, INSTALL_ID_QUERY, parseInstallId } from './rollout.ts';
import { DEFAULT_CHANNEL, invalidQueriedChannel, QUERIED_CHANNEL_PATTERN } from '../protocol/channels.ts';
import type { UpdateQuery } from './select.ts';

const operatingSystems: ReadonlySet<string> = new Set(OPERATING_SYSTEMS);
const architectures: ReadonlySet<string> = new Set(ARCHITECTURES);
const bundleTypes: ReadonlySet<string> = new Set(BUNDLE_TYPES);
/** What an unpatched Tauri binary (raw exe, `--no-bundle`, stripped) sends for `{{bundle_type}}`. */
const UNKNOWN_BUNDLE = 'unknown';

/** Request headers by lower-case name: a `Headers`, or the node:http listener's reader (what analytics reads too). */
export type HeaderReader = Pick<Headers, 'get'>;

/** A decoded query parameter, or undefined when absent. */
export type QueryReader = (name: string) => string | undefined;

/** The URL's parts of a check, decoded. */
export interface CheckTarget {
  app: string;
  /** Tauri's form names `{target}` and `{arch}`; the seed form `{os}-{arch}`. */
  platform: { target: string; arch: string } | string;
  /** As the client sent it, which is what analytics counts. */
  currentVersion: string;
  /** null when the URL has no query string, the common case, which then costs nothing. */
  query: QueryReader | null;
}

/** A check as an adapter hands it over. */
export interface CheckRequest extends CheckTarget {
  headers: HeaderReader;
  /** The TCP peer's address ('' when unknown); the rate limit's client address is derived from it. */
  peer: string;
}

function parseOs(value: string): OperatingSystem {
  if (operatingSystems.has(value)) return value as OperatingSystem;
  throw badRequest(`unknown target ${JSON.stringify(value)}; expected one of ${OPERATING_SYSTEMS.join(', ')}`);
}

function parseArch(value: string): Architecture {
  if (architectures.has(value)) return value as Architecture;
  throw badRequest(`unknown arch ${JSON.stringify(value)}; expected one of ${ARCHITECTURES.join(', ')}`);
}

function parsePlatform(value: string): [OperatingSystem, Architecture] {
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

/**
 * What a check's URL asks, validated, its install id from `install_id=` only: throws a 400 `ApiError` on anything
 * malformed. Depends on the URL alone, so the node:http listener remembers it per URL (plain-check-memo.ts).
 */
export function parseCheckUrl(target: CheckTarget): UpdateQuery {
  const { platform, query } = target;
  const [os, arch] = typeof platform === 'string' ? parsePlatform(platform) : [parseOs(platform.target), parseArch(platform.arch)];
  const current = parseCurrentVersion(target.currentVersion);
  if (query === null) return { current, os, arch, bundle: null, channel: DEFAULT_CHANNEL, installId: null };
  const installId = parseInstallId(null, query(INSTALL_ID_QUERY));
  const bundle = parseBundle(query('bundle_type'), os);
  const channel = query('channel') || DEFAULT_CHANNEL;
  if (!QUERIED_CHANNEL_PATTERN.test(channel)) {
    throw badRequest(invalidQueriedChannel(channel));
  }
  return { current, os, arch, bundle, channel, installId };
}

/**
 * The URL's query with the `X-Install-Id` header, which must agree with `install_id=` when both are sent (a 400
 * `ApiError` otherwise); the same object when there is no header.
 */
export function withInstallIdHeader(query: UpdateQuery, header: string | null): UpdateQuery {
  return header === null ? query : { ...query, installId: parseInstallId(header, query.installId ?? undefined) };
}

/** The check's parameters, validated: throws a 400 `ApiError` on anything malformed. */
export function parseCheck(request: CheckRequest): UpdateQuery {
  return withInstallIdHeader(parseCheckUrl(request), request.headers.get(INSTALL_ID_HEADER));
}

/**
 * One parameter of a query string with nothing encoded, as Hono reads it: the first occurrence wins, `?a` is
 * ''. Scanned in place: a check reads at most three parameters, so no map is built.
 */
function queryParam(search: string, name: string): string | undefined {
  for (let start = 0; start < search.length; ) {
    let end = search.indexOf('&', start);
    if (end < 0) end = search.length;
    const eq = search.indexOf('=', start);
    const nameEnd = eq >= 0 && eq < end ? eq : end;
    if (nameEnd - start === name.length && search.startsWith(name, start)) return nameEnd === end ? '' : search.slice(nameEnd + 1, end);
    start = end + 1;
  }
  return undefined;
}

/** Most `/` a check's path has (Tauri's form: `/update/{app}/{target}/{arch}/{current_version}`). */
const MAX_SLASHES = 5;

/**
 * A raw request target (`/path?query`) that is plainly one of the two forms, with nothing percent- or
 * plus-encoded and no empty segment; else null (such URLs are left to the Hono route, whose decoding rules
 * are not re-implemented here). Scanned with indexOf, not split: this runs on every check, before anything else.
 */
export function plainCheckUrl(url: string): CheckTarget | null {
  if (url.charCodeAt(0) !== 47 /* / */ || url.includes('%')) return null;
  const mark = url.indexOf('?');
  const end = mark < 0 ? url.length : mark;
  if (mark >= 0 && (url.includes('+', mark) || url.includes('#', mark))) return null;
  // The slashes' positions: each segment lies between two of them (the last one ends at `end`).
  const slashes = [0, 0, 0, 0, 0];
  let count = 1;
  for (let at = url.indexOf('/', 1); at >= 0 && at < end; at = url.indexOf('/', at + 1)) {
    if (count === MAX_SLASHES) return null;
    slashes[count++] = at;
  }
  for (let i = 1; i < count; i++) if (slashes[i] === slashes[i - 1]! + 1) return null;
  if (slashes[count - 1] === end - 1) return null;
  const segment = (i: number) => url.slice(slashes[i]! + 1, i + 1 < count ? slashes[i + 1] : end);
  let target: CheckTarget;
  if (count === 5 && segment(0) === 'update') {
    target = { app: segment(1), platform: { target: segment(2), arch: segment(3) }, currentVersion: segment(4), query: null };
  } else if (count === 4 && segment(1) === 'update') {
    target = { app: segment(0), platform: segment(2), currentVersion: segment(3), query: null };
  } else {
    return null;
  }
  if (mark >= 0) {
    const search = url.slice(mark + 1);
    target.query = (name) => queryParam(search, name);
  }
  return target;
}
