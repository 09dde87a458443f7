/**
 * @module ci
 * Wire types of the CI API (`/ci/…`), shared by the control plane (which validates with them) and the
 * GitHub actions (which build their requests from them). Every call is idempotent, so parallel matrix
 * legs and re-runs of a workflow are safe:
 *
 *   POST /ci/token                                              OIDC token → short-lived credential
 *   POST /ci/apps/{app}/releases                                create or reuse the draft for a version
 *   POST /ci/apps/{app}/releases/{version}/uploads              ask where to upload one artifact
 *   POST /ci/apps/{app}/releases/{version}/uploads/{upload}/complete
 *                                                               server checks size, sha256 and signature
 *                                                               (a `.dmg`, an installer only: size and sha256)
 *   POST /ci/apps/{app}/releases/{version}/publish              when the credential may publish
 */
import * as z from 'zod';
import { APP_SLUG_PATTERN } from './app-slug.ts';
import { BUNDLE_TYPES, platformKeySchema } from './platforms.ts';
import { RELEASE_CHANNEL_PATTERN, RELEASE_CHANNEL_RULE } from './channels.ts';
import { MAX_RELEASE_NOTES_LENGTH } from './release-rules.ts';
import { versionSchema } from './semver.ts';

const sha256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits')
  .meta({ description: 'hex SHA-256 of the file' });

/** Files above this size are uploaded in parts; below it, one presigned PUT. */
export const MULTIPART_THRESHOLD_BYTES = 64 * 1024 * 1024;
/** R2 requires every part but the last to be the same size, at least 5 MiB. */
export const MULTIPART_PART_SIZE_BYTES = 16 * 1024 * 1024;
/** R2's and S3's single-object ceiling. */
export const MAX_ARTIFACT_BYTES = 5 * 1024 ** 4;

/** `POST /ci/token`'s body; the job's OIDC token goes in `Authorization: Bearer`. */
export const exchangeBodySchema = z.strictObject({
  app: z
    .string()
    .regex(APP_SLUG_PATTERN, 'must be the app\'s slug')
    .meta({ description: 'slug of the app to publish to; one of its trusted publishers must accept the token' }),
});
export type ExchangeBody = z.infer<typeof exchangeBodySchema>;

/** `POST /ci/token`'s answer: a 15-minute credential for one app and one workflow run. */
export const exchangeResponseSchema = z.object({
  token: z.string().meta({ description: 'the credential (trci_…): send it as Authorization: Bearer to the CI API; mask it in logs' }),
  token_type: z.literal('Bearer'),
  expires_at: z.string().meta({ format: 'date-time' }),
  expires_in: z.number().int().meta({ description: 'seconds' }),
  app: z.string(),
  can_publish: z.boolean().meta({ description: 'false: the credential may create drafts only' }),
  publisher_id: z.string().meta({ format: 'uuid' }),
  repository: z.string(),
  run_id: z.string(),
  run_attempt: z.string(),
});
export type ExchangeResponse = z.infer<typeof exchangeResponseSchema>;

export const ciArtifactSchema = z.strictObject({
  platform: platformKeySchema,
  bundle: z.enum(BUNDLE_TYPES).optional().meta({ description: 'derived from file_name when omitted' }),
  file_name: z.string().min(1).max(200),
  size: z.number().int().min(1).max(MAX_ARTIFACT_BYTES),
  sha256: sha256Schema,
  /** Content of the `.sig` file Tauri wrote next to the artifact; omitted for an installer only (a `.dmg`). */
  signature: z
    .string()
    .min(1)
    .max(16_384)
    .optional()
    .meta({ description: 'content of the .sig file; required for updater bundles, omitted for a .dmg (an installer only, never offered to the updater)' }),
});
export type CiArtifact = z.infer<typeof ciArtifactSchema>;

export const ciCreateReleaseBodySchema = z.strictObject({
  version: versionSchema,
  notes: z.string().max(MAX_RELEASE_NOTES_LENGTH).nullable().optional(),
  channel: z.string().regex(RELEASE_CHANNEL_PATTERN, RELEASE_CHANNEL_RULE).optional(),
  /**
   * The one-call form: artifacts already in storage (upload-r2's mode s3, the seed) at their content-addressed key
   * or the legacy `{app}/releases/{version}/{file}` (storage-keys.ts `directUploadKeys`), verified and registered in
   * this call.
   */
  artifacts: z.array(ciArtifactSchema).max(64).optional(),
  auto_publish: z.boolean().optional(),
});
export type CiCreateReleaseBody = z.infer<typeof ciCreateReleaseBodySchema>;

export const ciArtifactStateSchema = z.enum(['pending', 'ready']);

export const ciArtifactViewSchema = z.object({
  id: z.string(),
  platform: z.string(),
  bundle: z.enum(BUNDLE_TYPES).nullable(),
  file_name: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  state: ciArtifactStateSchema,
  /** minisign key id (16 hex digits) the signature was verified against; null until verified, and for an installer only. */
  verified_key_id: z.string().nullable(),
  /** An installer only (a notarized DMG): downloadable by people, never offered to the updater. Absent from older servers. */
  installer_only: z.boolean().default(false),
});

export const ciReleaseViewSchema = z.object({
  id: z.string(),
  version: z.string(),
  status: z.enum(['draft', 'published', 'archived']),
  channel: z.string(),
  artifacts: z.array(ciArtifactViewSchema),
  /** The release notes the server holds (what the updater shows); absent from servers older than this field. */
  notes: z.string().nullable().optional(),
  /** The URL to put in tauri.conf.json's `plugins.updater.endpoints`. */
  update_url: z.string(),
});
export type CiReleaseView = z.infer<typeof ciReleaseViewSchema>;

export const ciUploadRequestBodySchema = ciArtifactSchema.extend({
  content_type: z.string().max(200).optional(),
});
export type CiUploadRequestBody = z.infer<typeof ciUploadRequestBodySchema>;

export const ciUploadTargetSchema = z.discriminatedUnion('method', [
  z.object({
    method: z.literal('PUT'),
    url: z.string(),
    /** Headers the PUT must carry exactly (signed into the URL). */
    headers: z.record(z.string(), z.string()),
  }),
  z.object({
    method: z.literal('MULTIPART'),
    part_size: z.number().int(),
    /** PUT each part to its URL and keep the ETag response header for `complete`. */
    parts: z.array(z.object({ part_number: z.number().int().min(1), url: z.string() })),
  }),
]);

export const ciUploadResponseSchema = z.object({
  upload_id: z.string(),
  artifact: ciArtifactViewSchema,
  expires_at: z.string(),
  target: ciUploadTargetSchema,
});
export type CiUploadResponse = z.infer<typeof ciUploadResponseSchema>;

export const ciCompleteUploadBodySchema = z.strictObject({
  parts: z
    .array(z.strictObject({ part_number: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200) }))
    .max(10_000)
    .optional(),
});
export type CiCompleteUploadBody = z.infer<typeof ciCompleteUploadBodySchema>;
