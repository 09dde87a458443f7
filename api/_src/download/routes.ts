/**
 * @module download/routes
 * `GET|HEAD /download/{app}/{version}/{file}`: the bytes of an artifact of a published release.
 * The file is looked up in the release cache's snapshot, never built into a storage path from the
 * URL, so drafts, archived releases and traversal attempts all end in 404 without a query.
 *
 * - S3 with a public base URL: 302 to it. S3 without: 302 to a short-lived presigned GET.
 * - Filesystem: the bytes, with ETag, `Accept-Ranges`, single-range 206/416 and 304. Keys are
 *   versioned, so a file never changes under its URL and may be cached for a year.
 * - Synced from GitHub Releases (api/_src/github/): a public asset is a 302 to its `browser_download_url`; a private
 *   one is fetched from the asset API with the app's token in `Authorization` (never in a URL), and GitHub's
 *   redirect to a short-lived signed URL is passed on uncached (or its bytes streamed, if it sends them).
 * - A licensed app (api/_src/licensing/): the license the update check needs (same header) is checked against
 *   this release first (401/403 as the check, 403 `release_not_eligible` for a version it may not have); S3 is
 *   then always a presigned GET of at most `LICENSED_PRESIGN_SECONDS`, never the public base URL, and every
 *   answer is `private, no-store`. An installer of an app whose admin opened installers to everyone
 *   (`public_installers`) needs no license.
 *
 * `GET|HEAD /download/{app}/latest/{platform}[?kind=…]` (`latest.ts`): a 302 to the newest stable installer's
 * `/download/{app}/{version}/{file}`, where the download is counted, as every download is.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { AppDeps } from '../deps.ts';
import { ApiError, errorResponse, notFound, ReportedFault, storageCall } from '../http/errors.ts';
import { maskSecrets } from '../http/logged-error.ts';
import { GithubError } from '../github/client.ts';
import type { GithubSources } from '../github/sources.ts';
import type { ByteRange, ObjectInfo, Storage } from '../storage/storage.ts';
import { etagMatches } from '../http/etag.ts';
import { peerAddress } from '../rate-limit/limits.ts';
import { LICENSED_CACHE_CONTROL } from '../update/cache-control.ts';
import { licensedEligibility } from '../update/licensed.ts';
import { INSTALL_ID_HEADER, parseInstallId } from '../update/rollout.ts';
import { type AppSnapshot, fileKey, type SnapshotArtifact, type SnapshotRelease } from '../update/snapshot.ts';
import { withoutTrailingSlash } from './trailing-slash.ts';
import { assertInstallersPublic, assertStableChannel, parseKind, parsePlatform, requireLatestInstaller } from './latest.ts';

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** A presigned URL lives this long; the redirect to it is cached for a third of that. */
const PRESIGN_SECONDS = 900;
const REDIRECT_CACHE = `public, max-age=${PRESIGN_SECONDS / 3}`;
/** A licensed app's presigned URL: short, since whoever holds it has the file without a license. */
export const LICENSED_PRESIGN_SECONDS = 300;

/** A single `bytes=` range against `size`; 'unsatisfiable' for 416; null to ignore the header (RFC 9110 §14.2). */
export function parseRange(header: string, size: number): ByteRange | 'unsatisfiable' | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null; // other units, several ranges, or junk: serve the whole file
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return null;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (last !== '' && Number(last) < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

function contentDisposition(fileName: string): string {
  if (/^[\w .+()@~-]+$/.test(fileName)) return `attachment; filename="${fileName}"`;
  const ascii = fileName.replace(/[^\w.+()@~-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

async function redirect(storage: Storage, artifact: SnapshotArtifact): Promise<Response | null> {
  const direct = storage.publicUrl(artifact.storageKey);
  const location = direct ?? (await storageCall(() => storage.presignGet(artifact.storageKey, PRESIGN_SECONDS)));
  if (location === null) return null;
  return new Response(null, { status: 302, headers: { location, 'cache-control': direct ? IMMUTABLE : REDIRECT_CACHE } });
}

async function githubAsset(c: Context, github: GithubSources, appId: string, artifact: SnapshotArtifact & { githubAssetId: number }): Promise<Response> {
  if (artifact.externalUrl !== null) return new Response(null, { status: 302, headers: { location: artifact.externalUrl, 'cache-control': IMMUTABLE } });
  let opened;
  try {
    opened = await github.openPrivateAsset(appId, { id: artifact.githubAssetId, name: artifact.fileName });
  } catch (error) {
    if (error instanceof GithubError) throw new ApiError(503, 'unavailable', `GitHub did not give out ${artifact.fileName}: ${error.message}`);
    throw error;
  }
  if ('redirect' in opened) return new Response(null, { status: 302, headers: { location: opened.redirect, 'cache-control': 'no-store' } });
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'content-disposition': contentDisposition(artifact.fileName),
    'cache-control': 'private, no-store',
  };
  if (opened.size !== null) headers['content-length'] = String(opened.size);
  if (c.req.method === 'HEAD') {
    await opened.body.cancel().catch(() => {});
    return new Response(null, { status: 200, headers });
  }
  return new Response(opened.body, { status: 200, headers });
}

/** A published file and its release, as the snapshot lists it. */
type SnapshotFile = NonNullable<ReturnType<AppSnapshot['files']['get']>>;

/** Storage keys already logged as missing: a popular file would otherwise log a line per download. */
const reportedMissing = new Set<string>();
const MAX_REPORTED_MISSING = 1000;

/**
 * A published file whose object storage does not have: the release promises it, so this is the server's fault
 * (an object deleted by hand or by a bucket lifecycle rule, a DATA_DIR restored without its files), not the
 * client's. Logged once per object, naming it, since only the admin can mend it.
 */
function missingFromStorage(slug: string, release: SnapshotRelease, artifact: SnapshotArtifact): ReportedFault {
  if (!reportedMissing.has(artifact.storageKey)) {
    if (reportedMissing.size >= MAX_REPORTED_MISSING) reportedMissing.clear();
    reportedMissing.add(artifact.storageKey);
    console.error(
      maskSecrets(
        `download: ${slug} ${release.versionText} ${artifact.fileName} is published, but storage has no object ${artifact.storageKey}; ` +
          `put the file back at that key, or archive the release (POST /admin/apps/${slug}/releases/${release.versionText}/archive) ` +
          'so the update check stops offering it (logged once per object)',
      ),
    );
  }
  return new ReportedFault(
    502,
    'artifact_missing',
    `${artifact.fileName} of ${slug} ${release.versionText} is published, but this server's storage does not have it; ` +
      "this is the server's fault, not the request's, and its admin is told in the server log",
  );
}

async function serveFile(c: Context, slug: string, storage: Storage, entry: SnapshotFile): Promise<Response> {
  const { artifact } = entry;
  const missing = () => missingFromStorage(slug, entry.release, artifact);
  const info: ObjectInfo | null = await storageCall(() => storage.head(artifact.storageKey));
  if (!info) throw missing();
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'content-disposition': contentDisposition(artifact.fileName),
    'accept-ranges': 'bytes',
    'cache-control': IMMUTABLE,
    etag: info.etag,
    'last-modified': info.lastModified.toUTCString(),
  };
  if (etagMatches(c.req.header('if-none-match'), info.etag)) {
    return new Response(null, { status: 304, headers: { etag: info.etag, 'cache-control': IMMUTABLE } });
  }
  const rangeHeader = c.req.header('range');
  const ifRange = c.req.header('if-range');
  // If-Range with a stale validator: the client's partial copy is of other bytes, so send them all. A date is the
  // validator of a client that kept no ETag (RFC 9110 §13.1.5); the file never changes under its key, so it is strong.
  const current = ifRange === undefined || ifRange === info.etag || ifRange === headers['last-modified'];
  const range = rangeHeader && current ? parseRange(rangeHeader, info.size) : null;
  if (range === 'unsatisfiable') {
    const response = errorResponse(new ApiError(416, 'invalid_request', `range ${rangeHeader} is outside the ${info.size} bytes of ${artifact.fileName}`), c);
    response.headers.set('content-range', `bytes */${info.size}`);
    return response;
  }
  const status = range ? 206 : 200;
  if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${info.size}`;
  headers['content-length'] = String(range ? range.end - range.start + 1 : info.size);
  if (c.req.method === 'HEAD') return new Response(null, { status, headers });
  const object = await storageCall(() => storage.get(artifact.storageKey, range ?? undefined));
  if (!object) throw missing();
  return new Response(object.body, { status, headers });
}

/** Refuses a request whose license may not have this release (the gate's 401/403, or `release_not_eligible`). */
async function admitLicensed(c: Context, deps: AppDeps, snapshot: AppSnapshot, release: SnapshotRelease): Promise<void> {
  const installId = parseInstallId(c.req.header(INSTALL_ID_HEADER) ?? null, undefined);
  const grant = await deps.licenses.grant({ appId: snapshot.app.id, headers: c.req.raw.headers, installId, peer: peerAddress(c) });
  if (!licensedEligibility(snapshot, null, grant.allowance)(release)) {
    throw new ApiError(403, 'release_not_eligible', `this license may not have ${snapshot.app.slug} ${release.versionText}`);
  }
}

/** A licensed app's file: never the public base URL, and kept by no cache. */
async function licensedFile(c: Context, deps: AppDeps, app: AppSnapshot['app'], entry: SnapshotFile): Promise<Response> {
  const { artifact } = entry;
  let response: Response;
  if (artifact.githubAssetId !== null) response = await githubAsset(c, deps.github, app.id, { ...artifact, githubAssetId: artifact.githubAssetId });
  else {
    const location = await storageCall(() => deps.storage.presignGet(artifact.storageKey, LICENSED_PRESIGN_SECONDS));
    response = location === null ? await serveFile(c, app.slug, deps.storage, entry) : new Response(null, { status: 302, headers: { location } });
  }
  response.headers.set('cache-control', LICENSED_CACHE_CONTROL);
  return response;
}

/**
 * Counted as a download: a GET that is not a revalidation (If-None-Match) and not the continuation of
 * a partial one (a Range that does not start at byte 0). HEAD only asks about the file.
 */
export function isNewDownload(c: Context): boolean {
  if (c.req.method !== 'GET' || c.req.header('if-none-match')) return false;
  const range = c.req.header('range');
  return range === undefined || /^\s*bytes=0-/.test(range);
}

/** Names are cut short in messages: a URL's path can be up to ~16 KB, all of it the requester's. */
const noApp = (slug: string) => notFound(`no app ${JSON.stringify(slug.slice(0, 100))}`);

/** How long a CDN or browser may keep a latest link's redirect: a new release shows within a minute. */
const LATEST_CACHE = 'public, max-age=60';

export function downloadRoutes(deps: AppDeps): Hono {
  const { releaseCache, storage } = deps;
  const app = new Hono();
  // Before /:app/:version/:file, which it would otherwise match: `latest` is never a version (versions are semver).
  app.get('/:app/latest/:platform', async (c) => {
    try {
      const slug = c.req.param('app');
      const snapshot = await releaseCache.lookup(slug);
      if (!snapshot) throw noApp(slug);
      assertInstallersPublic(snapshot);
      const platform = parsePlatform(c.req.param('platform'));
      const kind = parseKind(platform, c.req.query('kind'), c.req.query('bundle'));
      assertStableChannel(c.req.query('channel'));
      const { release, artifact } = requireLatestInstaller(snapshot, platform, kind);
      const location = `${deps.config.publicUrl}/download/${snapshot.app.slug}/${encodeURIComponent(release.versionText)}/${encodeURIComponent(artifact.fileName)}`;
      return new Response(null, { status: 302, headers: { location, 'cache-control': LATEST_CACHE } });
    } catch (error) {
      return errorResponse(error, c);
    }
  });

  // Hono answers HEAD with this GET handler and drops the body; `c.req.method` still says HEAD.
  app.get('/:app/:version/:file', async (c) => {
    try {
      const slug = c.req.param('app');
      const snapshot = await releaseCache.lookup(slug);
      if (!snapshot) throw noApp(slug);
      const version = c.req.param('version');
      const file = c.req.param('file');
      const entry = snapshot.files.get(fileKey(version, file));
      if (!entry) throw notFound(`no published file ${JSON.stringify(file.slice(0, 100))} in ${slug} ${JSON.stringify(version.slice(0, 100))}`);
      const licensed = snapshot.app.licensing === 'licensed';
      const openInstaller = snapshot.app.publicInstallers && entry.artifact.installer !== null;
      if (licensed && !openInstaller) await admitLicensed(c, deps, snapshot, entry.release);
      const { artifact, release } = entry;
      let response: Response;
      if (licensed) response = await licensedFile(c, deps, snapshot.app, entry);
      else if (artifact.githubAssetId !== null) response = await githubAsset(c, deps.github, snapshot.app.id, { ...artifact, githubAssetId: artifact.githubAssetId });
      else response = (await redirect(storage, artifact)) ?? (await serveFile(c, snapshot.app.slug, storage, entry));
      // Counted once handed out (bytes or a redirect to them): a file storage lost, or an outage, is no download.
      if (isNewDownload(c) && response.status < 400) {
        deps.analytics.recordDownload(snapshot.app.id, release.versionText, artifact.fileName, artifact.platform, artifact.bundle, c.req.raw.headers);
      }
      return response;
    } catch (error) {
      return errorResponse(error, c);
    }
  });
  app.all('*', (c) => {
    const redirect = withoutTrailingSlash(c, deps.config.publicUrl, 4);
    if (redirect) return redirect;
    // Another method on a download's path: the app's 405 with `Allow` (app.ts), not a 404 naming the very path asked.
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return c.notFound();
    return errorResponse(notFound(`no download at ${JSON.stringify(c.req.path.slice(0, 200))}; expected /download/{app}/{version}/{file} or /download/{app}/latest/{platform}`), c);
  });
  return app;
}
