/**
 * @module schemas
 * Wire types of the admin API: the zod schemas the routes validate with are the same ones
 * `/openapi.json` is generated from. Request objects are strict, so a misspelt field is a 400, not
 * silently ignored. Append-only, shared: apps, keys and audit here; releases and artifacts below them.
 */
import * as z from 'zod';
import { API_KEY_SCOPES, RELEASE_STATUSES } from '../../../db/schema.ts';
import { APP_SLUG_PATTERN, APP_SLUG_RULE } from './app-slug.ts';
import { tauriPublicKeySchema } from './minisign-key.ts';
import { MAX_SIGNATURE_LENGTH } from './minisign-decode.ts';
import { BUNDLE_TYPES, platformKeySchema } from './platforms.ts';
import { RELEASE_CHANNEL_PATTERN, RELEASE_CHANNEL_RULE } from './channels.ts';
import { MAX_RELEASE_NOTES_LENGTH, MAX_VERSION_LENGTH } from './release-rules.ts';
import { versionSchema } from './semver.ts';

/** Timestamps go out as RFC 3339 strings (JSON.stringify of a Date). */
export const timestampSchema = z.string().meta({ format: 'date-time' });
const uuidSchema = z.string().meta({ format: 'uuid' });

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'stable machine-readable code, e.g. invalid_request, not_found, conflict' }),
      message: z.string(),
    }),
  })
  .meta({ description: 'every 4xx and 5xx answer of this server has this shape' });
export type ErrorBody = z.infer<typeof errorBodySchema>;

// ---- apps -----------------------------------------------------------------------------------------

export { APP_SLUG_PATTERN };
export const appSlugSchema = z
  .string()
  .regex(APP_SLUG_PATTERN, APP_SLUG_RULE)
  .meta({ description: 'URL-safe identifier; part of every installed client\'s updater URL, so it never changes' });
const appNameSchema = z.string().trim().min(1, 'must not be empty').max(200);
const descriptionSchema = z.string().trim().max(2000);

export const createAppBodySchema = z.strictObject({
  slug: appSlugSchema,
  name: appNameSchema,
  description: descriptionSchema.nullable().optional(),
  public_key: tauriPublicKeySchema.nullable().optional(),
});
export type CreateAppBody = z.infer<typeof createAppBodySchema>;

export const updateAppBodySchema = z.strictObject({
  /** Accepted only when unchanged; see apps.ts. */
  slug: appSlugSchema.optional().meta({ description: 'may be sent but must equal the current slug: slugs cannot change' }),
  name: appNameSchema.optional(),
  description: descriptionSchema.nullable().optional(),
  public_key: tauriPublicKeySchema.nullable().optional().meta({ description: 'null removes the key' }),
  download_page: z.boolean().optional().meta({ description: 'true: the public download page /apps/{slug} is on (default off)' }),
  public_installers: z
    .boolean()
    .optional()
    .meta({ description: 'licensed apps: true opens the installers (latest links, download page) to everyone, without a license; open apps ignore it' }),
});
export type UpdateAppBody = z.infer<typeof updateAppBodySchema>;

export const licenseFileKeySchema = z
  .object({
    kid: z.string(),
    public_key: z.string().meta({ description: 'the Ed25519 public key: its raw 32 bytes in base64' }),
    public_key_pem: z.string().meta({ description: 'the same key as an SPKI PEM (`-----BEGIN PUBLIC KEY-----`)' }),
  })
  .meta({ description: 'the key license files of this app are signed with (not the updater key)' });
export type LicenseFileKeyBody = z.infer<typeof licenseFileKeySchema>;

export const appSchema = z.object({
  id: uuidSchema,
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  public_key: z.string().nullable(),
  public_key_id: z.string().nullable().meta({ description: 'minisign key id of public_key (16 hex digits)' }),
  release_count: z.number().int(),
  latest_version: z.string().nullable().meta({ description: 'highest semver among published releases' }),
  license_file_key: licenseFileKeySchema
    .nullable()
    .optional()
    .meta({ description: 'licensed apps, in one app’s view: the Ed25519 key license files are signed with (GET /license/file); null without SECRETS_KEY' }),
  download_page: z.boolean().meta({ description: 'the public download page /apps/{slug} is on' }),
  public_installers: z.boolean().meta({ description: 'a licensed app\'s installers are open to everyone' }),
  created_at: timestampSchema,
  updated_at: timestampSchema,
});
export type AppBody = z.infer<typeof appSchema>;
export const appListSchema = z.object({ apps: z.array(appSchema) });

// ---- API keys -------------------------------------------------------------------------------------

export const apiKeyScopeSchema = z.enum(API_KEY_SCOPES);

export const createApiKeyBodySchema = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200),
  scope: apiKeyScopeSchema.meta({ description: 'admin: everything; ci: create releases and upload artifacts' }),
  app: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: 'id or slug of the only app the key may touch; omit for a global key' }),
});
export type CreateApiKeyBody = z.infer<typeof createApiKeyBodySchema>;

export const apiKeySchema = z.object({
  id: uuidSchema,
  name: z.string(),
  scope: apiKeyScopeSchema,
  app_id: uuidSchema.nullable(),
  key_prefix: z.string().meta({ description: 'the first characters of the key, to tell keys apart' }),
  created_at: timestampSchema,
  last_used_at: timestampSchema.nullable(),
  revoked_at: timestampSchema.nullable(),
});
export type ApiKeyBody = z.infer<typeof apiKeySchema>;
export const apiKeyListSchema = z.object({ keys: z.array(apiKeySchema) });
export const createdApiKeySchema = apiKeySchema.extend({
  key: z.string().meta({ description: 'the secret; shown only in this response' }),
});

export const listApiKeysQuerySchema = z.strictObject({
  app: z.string().min(1).max(100).optional().meta({ description: 'only keys of this app (id or slug)' }),
});

// ---- audit log ------------------------------------------------------------------------------------

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;

export const auditQuerySchema = z.strictObject({
  app: z.string().min(1).max(100).optional().meta({ description: 'id or slug; app-scoped keys always see only their app' }),
  action: z.string().min(1).max(100).optional().meta({ description: 'exact action, e.g. app.update' }),
  actor: z.string().min(1).max(200).optional().meta({ description: 'exact actor, e.g. key:<api key id> or token:ADMIN_TOKEN' }),
  since: z.iso.datetime({ offset: true }).optional().meta({ description: 'only entries at or after this time (RFC 3339)' }),
  until: z.iso.datetime({ offset: true }).optional().meta({ description: 'only entries before this time (RFC 3339)' }),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).default(AUDIT_PAGE_DEFAULT),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .meta({ description: 'entry id: only older entries (pass next_before of the previous page)' }),
});

export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: timestampSchema,
  actor: z.string().meta({ description: 'key:<api key id>, token:ADMIN_TOKEN or system' }),
  action: z.string(),
  app_id: uuidSchema.nullable(),
  target: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});
export const auditListSchema = z.object({
  entries: z.array(auditEntrySchema),
  next_before: z.number().int().nullable().meta({ description: 'cursor for the next (older) page; null at the end' }),
});

// ---- releases and artifacts ---------------------------------------------------------------------

export const releaseStatusSchema = z.enum(RELEASE_STATUSES);

export const releaseChannelSchema = z
  .string()
  .regex(RELEASE_CHANNEL_PATTERN, RELEASE_CHANNEL_RULE)
  .meta({ description: 'release channel, e.g. stable or beta', examples: ['stable'] });

export const releaseVersionSchema = z
  .string()
  .max(MAX_VERSION_LENGTH)
  .pipe(versionSchema)
  .meta({ description: 'semantic version; a leading "v" is accepted and dropped (v1.2.3 → 1.2.3)', examples: ['1.2.3'] });

const notesSchema = z.string().max(MAX_RELEASE_NOTES_LENGTH).meta({ description: 'release notes (Markdown), sent to clients as `notes`' });
const rolloutSchema = z.number().int().min(0).max(100).meta({ description: 'percentage of installs offered this release' });

export const createReleaseBodySchema = z.strictObject({
  version: releaseVersionSchema,
  notes: notesSchema.nullable().optional(),
  channel: releaseChannelSchema.default('stable'),
  rollout_percent: rolloutSchema.default(100),
});
export type CreateReleaseBody = z.infer<typeof createReleaseBodySchema>;

export const updateReleaseBodySchema = z
  .strictObject({
    version: releaseVersionSchema.optional().meta({ description: 'only while a draft has no artifacts' }),
    notes: notesSchema.nullable().optional(),
    channel: releaseChannelSchema.optional(),
    rollout_percent: rolloutSchema.optional(),
    critical: z.boolean().optional().meta({ description: 'served as "critical": true in the update manifest (rawJson)' }),
    min_supported_version: releaseVersionSchema
      .nullable()
      .optional()
      .meta({ description: 'installs below it are told "below_minimum": true; not above the release\'s own version; null clears it' }),
    status: releaseStatusSchema
      .optional()
      .meta({ description: 'published → archived, archived → published; a draft is published with POST …/publish' }),
  })
  .refine((body) => Object.values(body).some((value) => value !== undefined), { message: 'send at least one field to change' });
export type UpdateReleaseBody = z.infer<typeof updateReleaseBodySchema>;

export const RELEASE_PAGE_DEFAULT = 20;
export const RELEASE_PAGE_MAX = 100;
export const RELEASE_OFFSET_MAX = 1_000_000;

export const listReleasesQuerySchema = z.strictObject({
  status: z.enum([...RELEASE_STATUSES, 'all']).default('all'),
  channel: releaseChannelSchema.optional(),
  q: z.string().trim().min(1).max(200).optional().meta({ description: 'case-insensitive substring of the version or the notes' }),
  limit: z.coerce.number().int().min(1).max(RELEASE_PAGE_MAX).default(RELEASE_PAGE_DEFAULT),
  offset: z.coerce.number().int().min(0).max(RELEASE_OFFSET_MAX).default(0),
});

export const artifactSummarySchema = z.object({
  id: uuidSchema,
  platform: z.string().meta({ description: '{os}-{arch}, e.g. darwin-aarch64' }),
  bundle: z.enum(BUNDLE_TYPES).nullable(),
  file_name: z.string(),
  size: z.number().int().meta({ description: 'bytes' }),
  is_default: z.boolean().meta({ description: 'served to clients of this platform that send no bundle type' }),
});

export const artifactSchema = artifactSummarySchema.extend({
  sha256: z.string().meta({ description: 'hex SHA-256 of the bytes as stored' }),
  signature: z.string().meta({ description: 'content of the .sig file, served to clients as `signature`' }),
  signature_key_id: z.string().nullable().meta({ description: 'minisign key id the signature was made with (16 hex digits)' }),
  state: z.enum(['pending', 'ready']).meta({ description: 'pending: a CI upload not completed yet; only ready artifacts are served' }),
  verified_key_id: z
    .string()
    .nullable()
    .meta({ description: 'key id the bytes were verified against at upload; null: not verified (the app had no public key), so not served' }),
  download_path: z.string().meta({ description: 'path on this server the bytes are downloaded from' }),
  installer_only: z
    .boolean()
    .meta({ description: 'an installer only (a notarized DMG): no bundle, no signature (empty), checked for size and sha256, never offered to the updater' }),
  created_at: timestampSchema,
});
export type ArtifactBody = z.infer<typeof artifactSchema>;
export const artifactListSchema = z.object({ artifacts: z.array(artifactSchema) });

const releaseFields = {
  id: uuidSchema,
  app_id: uuidSchema,
  version: z.string(),
  status: releaseStatusSchema,
  channel: z.string(),
  rollout_percent: z.number().int(),
  notes: z.string().nullable(),
  pub_date: timestampSchema.nullable().meta({ description: 'when first published; kept when re-published' }),
  created_at: timestampSchema,
  updated_at: timestampSchema,
  critical: z.boolean(),
  min_supported_version: z.string().nullable(),
  yanked_at: timestampSchema.nullable().meta({ description: 'when yanked: no longer offered; installs on it get the replacement' }),
  replacement_release_id: uuidSchema.nullable().meta({ description: 'what installs on this yanked release are offered' }),
};
export const releaseSummarySchema = z.object({ ...releaseFields, artifacts: z.array(artifactSummarySchema) });
export type ReleaseSummaryBody = z.infer<typeof releaseSummarySchema>;
export const releaseSchema = z.object({ ...releaseFields, artifacts: z.array(artifactSchema) });
export type ReleaseBody = z.infer<typeof releaseSchema>;
export const releaseListSchema = z.object({
  releases: z.array(releaseSummarySchema).meta({ description: 'newest first by semantic version' }),
  total: z.number().int().meta({ description: 'matching releases, ignoring limit and offset' }),
});

/** Describes the multipart body of an artifact upload for the docs; the route reads it as a stream. */
export const uploadArtifactFormSchema = z
  .object({
    platform: platformKeySchema,
    bundle: z
      .enum(BUNDLE_TYPES)
      .optional()
      .meta({ description: 'derived from the file name when omitted (.app.tar.gz → app, -setup.exe → nsis, …)' }),
    signature: z
      .string()
      .max(MAX_SIGNATURE_LENGTH)
      .meta({ description: 'content of the .sig file (a text field, or a file part named "signature")' }),
    is_default: z.enum(['true', 'false']).optional(),
    file: z.string().meta({ format: 'binary', description: 'the artifact; must be the LAST part' }),
  })
  .meta({ description: 'fields first, then the file part (curl -F sends parts in the order given)' });

// ---- release policy: channels and yanks (api/_src/protocol/channels.ts, api/_src/admin/release-policy.ts) -----

export const channelConfigSchema = z.strictObject({
  name: releaseChannelSchema,
  follows: releaseChannelSchema
    .nullable()
    .default(null)
    .meta({ description: 'the more stable channel whose releases this channel\'s clients also get (e.g. beta follows stable); null: none' }),
});

export const putChannelsBodySchema = z
  .strictObject({ channels: z.array(channelConfigSchema).max(32) })
  .meta({ description: 'the whole configuration; channels left out are no longer configured (stable always exists and follows nothing)' });
export type PutChannelsBody = z.infer<typeof putChannelsBodySchema>;

export const channelSchema = z.object({
  name: z.string(),
  follows: z.string().nullable(),
  configured: z.boolean().meta({ description: 'false: known only because releases were published on it (it follows nothing)' }),
  serves_from: z.array(z.string()).meta({ description: 'the channels a client of this one is offered releases from, most specific first' }),
  published_releases: z.number().int(),
});
export type ChannelBody = z.infer<typeof channelSchema>;
export const channelListSchema = z.object({ channels: z.array(channelSchema) });

export const yankReleaseBodySchema = z.strictObject({
  replacement: z
    .string()
    .min(1)
    .max(140)
    .optional()
    .meta({ description: 'id or version of a published release offered to installs on the yanked one, even when lower' }),
  reason: z.string().trim().max(2000).optional().meta({ description: 'kept in the audit log and the release.yanked event' }),
});
export type YankReleaseBody = z.infer<typeof yankReleaseBodySchema>;
