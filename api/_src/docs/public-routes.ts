/**
 * @module docs/public-routes
 * Docs for the routes installed apps and browsers call (no key). The answers are Tauri's protocol
 * (docs/reference/tauri-updater.md §1.4–1.5), not the admin API's envelope: 200 with the dynamic manifest or 204
 * when there is nothing to install. Owners of api/_src/update and api/_src/download: keep these in step.
 */
import * as z from 'zod';
import { architectureSchema, bundleTypeSchema, operatingSystemSchema } from '../protocol/platforms.ts';
import { installerKindSchema } from '../protocol/installers.ts';
import { defineRoutes } from './registry.ts';

export const updateManifestSchema = z
  .object({
    version: z.string().meta({ description: 'semantic version of the update' }),
    notes: z.string().meta({ description: 'release notes; `update.body` in the Tauri JS API' }),
    pub_date: z.string().meta({ format: 'date-time', description: 'RFC 3339, as the client requires' }),
    url: z.string().meta({ format: 'uri', description: 'where the client downloads the artifact' }),
    signature: z.string().meta({ description: 'content of the artifact\'s .sig file (base64 of the minisign signature)' }),
  })
  .meta({ description: 'Tauri v2 dynamic update manifest' });

const updateResponses = {
  200: {
    description: 'an update: the client downloads `url` and verifies `signature` with its public key',
    schema: updateManifestSchema,
    headers: {
      ETag: 'validator for If-None-Match',
      'Cache-Control': '`public, max-age, s-maxage, stale-while-revalidate` (settings), or `private` when a staged rollout decided the answer',
    },
  },
  204: { description: 'no update for this install (up to date, or nothing published for its platform)' },
  304: { description: 'If-None-Match matched: the answer has not changed' },
  400: { description: 'current_version is not SemVer, or target, arch, bundle_type or channel is unknown' },
  401: { description: 'licensed app: no license key (`license_required`), a malformed one (`license_invalid`) or an unknown one (`license_unknown`); send `Authorization: License <key>`' },
  403: { description: 'licensed app: `license_suspended`, `license_revoked`, `license_expired`, `install_id_required` or `machine_limit_reached`' },
  404: { description: 'no such app' },
  429: { description: 'this address used up its update checks (or failed license keys) for the minute (`Retry-After` says when to try again)' },
  503: { description: 'the database is unreachable; the client tries its next endpoint (`secrets_key_missing`: a licensed app on a server without SECRETS_KEY)' },
};

const updateQuerySchema = z.object({
  bundle_type: z
    .union([bundleTypeSchema, z.literal('unknown')])
    .optional()
    .meta({ description: 'append `?bundle_type={{bundle_type}}` so deb, rpm, MSI and NSIS installs get their own installer type' }),
  channel: z.string().optional().meta({ description: 'release channel; default stable (which never offers a pre-release)' }),
});

const common = {
  tag: 'Updater (public)',
  auth: 'none' as const,
  access: 'public',
};

export const publicRouteDocs = defineRoutes([
  {
    ...common,
    method: 'get',
    path: '/update/{app}/{target}/{arch}/{current_version}',
    summary: 'Check for an update (Tauri v2)',
    description:
      'Set the updater endpoint in tauri.conf.json to `https://<server>/update/<app>/{{target}}/{{arch}}/{{current_version}}`. ' +
      'Answers 200 with the newest published release that is newer than `current_version` and has a signed artifact ' +
      'for this platform, else 204. A licensed app needs `Authorization: License <key>` and offers only releases the ' +
      'license may have, `Cache-Control: private, no-store`.',
    params: {
      app: 'app slug',
      target: `operating system, as \`{{target}}\`: ${operatingSystemSchema.options.join(', ')}`,
      arch: `CPU architecture, as \`{{arch}}\`: ${architectureSchema.options.join(', ')}`,
      current_version: 'the running version, as `{{current_version}}` (a `+` arrives as %2B)',
    },
    query: updateQuerySchema,
    responses: updateResponses,
  },
  {
    ...common,
    method: 'get',
    path: '/{app}/update/{platform}/{current_version}',
    summary: 'Check for an update (single-segment platform form)',
    description: 'The same answer as `/update/{app}/{target}/{arch}/{current_version}`, with the platform as `{os}-{arch}` (`{{target}}-{{arch}}`).',
    params: {
      app: 'app slug',
      platform: '`{os}-{arch}`, e.g. darwin-aarch64, windows-x86_64, linux-x86_64',
      current_version: 'the running version',
    },
    query: updateQuerySchema,
    responses: updateResponses,
  },
  {
    ...common,
    method: 'get',
    path: '/download/{app}/{version}/{file}',
    tag: 'Downloads (public)',
    summary: 'Download an artifact',
    description:
      'The URL update manifests point at for artifacts of published releases. With S3/R2 storage the answer is a ' +
      'redirect to the bucket (its public URL or a short-lived presigned one); from disk it supports `Range` and ETags. ' +
      'HEAD works too.',
    params: { app: 'app slug', version: 'release version', file: 'artifact file name' },
    responses: {
      200: { description: 'the artifact bytes', contentType: 'application/octet-stream' },
      304: { description: 'If-None-Match matched' },
      206: { description: 'the requested byte range', contentType: 'application/octet-stream' },
      302: { description: 'the artifact is in object storage', headers: { Location: 'where to fetch it' } },
      401: { description: 'licensed app: no valid license key, as for the update check' },
      403: { description: 'licensed app: the license is refused, or may not have this release (`release_not_eligible`)' },
      404: { description: 'no such published artifact' },
      416: { description: 'the range is outside the file' },
      502: { description: '`artifact_missing`: a published release lists the file, and the server\'s storage does not have it (a server fault; its log names the object once)' },
    },
  },
  {
    ...common,
    method: 'get',
    path: '/download/{app}/latest/{platform}',
    tag: 'Downloads (public)',
    summary: 'Latest installer (a website\'s Download button)',
    description:
      'A redirect to the newest published stable installer for the platform: the `stable` channel, no pre-release, ' +
      'rolled out to everyone. Without `kind`, the OS\'s default: dmg on macOS, nsis then msi on Windows, appimage then ' +
      'deb then rpm on Linux. The file\'s own /download URL counts the download. `latest` is reserved (never a version). ' +
      'A licensed app answers 403 unless its admin opened installers to everyone (`public_installers`).',
    params: { app: 'app slug', platform: '`{os}-{arch}`, e.g. darwin-aarch64, windows-x86_64, linux-x86_64' },
    query: z.object({
      kind: z.optional(installerKindSchema).meta({ description: 'the installer kind; must belong to the platform\'s OS' }),
      bundle: z.optional(installerKindSchema).meta({ description: 'a synonym of `kind` (`?bundle=dmg`)' }),
      channel: z.optional(z.literal('stable')).meta({ description: 'only `stable`: latest links serve the stable channel, and refuse any other' }),
    }),
    responses: {
      302: { description: 'the newest stable installer', headers: { Location: 'its /download/{app}/{version}/{file} URL', 'Cache-Control': 'public, max-age=60' } },
      400: { description: 'the platform is not `{os}-{arch}`, the kind is unknown or not of that OS, kind and bundle disagree, or a channel other than stable is asked' },
      403: { description: 'a licensed app whose installers are not open to everyone' },
      404: { description: 'no such app, or no published stable installer of that kind for the platform' },
    },
  },
  {
    ...common,
    method: 'get',
    path: '/apps/{app}',
    tag: 'Downloads (public)',
    summary: 'Download page',
    description:
      'The app\'s public download page, when its admin turned it on (`download_page`): the latest stable version, its notes ' +
      'and one button per OS, architecture and installer kind; the visitor\'s OS (from the User-Agent) first. Plain HTML, ' +
      'no JavaScript. A licensed app\'s page also needs `public_installers`.',
    params: { app: 'app slug' },
    responses: {
      200: { description: 'the page', contentType: 'text/html' },
      403: { description: 'a licensed app whose installers are not open to everyone' },
      404: { description: 'no such app, or its download page is off' },
    },
  },
]);
