/**
 * @module schema
 * The database as Kysely sees it. Written by hand to match `migrations/`; a test compares the two.
 * int8 columns come back as `number` on every driver (see `connect.ts`).
 */
import type { ColumnType, Generated, Insertable, JSONColumnType, Kysely, Selectable, Transaction, Updateable } from 'kysely';
import type { CreatedAt, Timestamp, UpdatedAt } from './column-types.ts';
import type { HeldEventsTable, LicenseClaimsTable, PaymentIntegrationsTable, PaymentLinksTable, PaymentReferencesTable } from './billing-schema.ts';
import type { InboundDeliveriesTable } from './inbound-deliveries-schema.ts';
import type { LicenseFileKeysTable } from './license-file-keys-schema.ts';
import type { LicenseMachinesTable, LicensePoliciesTable, LicensesTable } from './licensing-schema.ts';

export * from './licensing-schema.ts';
export * from './license-file-keys-schema.ts';
export * from './inbound-deliveries-schema.ts';
export * from './billing-schema.ts';


export const RELEASE_STATUSES = ['draft', 'published', 'archived'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/** `pending`: registered, bytes not yet checked; `ready`: size, sha256 and signature verified (see api/_src/releases/ingest.ts). */
export const ARTIFACT_STATES = ['pending', 'ready'] as const;
export type ArtifactState = (typeof ARTIFACT_STATES)[number];

export const API_KEY_SCOPES = ['admin', 'ci'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** `open`: anyone who knows the slug gets updates; `licensed`: every check and download needs a license (api/_src/licensing/). */
export const APP_LICENSING_MODES = ['open', 'licensed'] as const;
export type AppLicensingMode = (typeof APP_LICENSING_MODES)[number];

export interface AppsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  description: string | null;
  /** The updater public key exactly as in `tauri.conf.json` (base64 of the minisign .pub text). */
  public_key: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Defaults to `open`. */
  licensing: Generated<AppLicensingMode>;
  /** The public download page `/apps/{slug}` (opt-in, default false). */
  download_page: Generated<boolean>;
  /** A licensed app's installers (latest links, download page) open to everyone; default false. Open apps ignore it. */
  public_installers: Generated<boolean>;
}

export interface ReleasesTable {
  id: Generated<string>;
  app_id: string;
  /** Normalised semver, never with a leading `v`. */
  version: string;
  notes: string | null;
  status: Generated<ReleaseStatus>;
  channel: Generated<string>;
  rollout_percent: Generated<number>;
  pub_date: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Random per release: staged-rollout buckets are SHA-256(seed ‖ install id), so the same installs are not always first. */
  rollout_seed: Generated<string>;
  /** Served as `"critical": true` in the update manifest (the client reads it from `rawJson`). */
  critical: Generated<boolean>;
  /** Normalised semver; installs below it are told `"below_minimum": true`. */
  min_supported_version: string | null;
  /** Set when yanked (the release is then archived): never offered again; installs on it get the replacement. */
  yanked_at: Timestamp | null;
  /** What installs on a yanked release are offered, even when its version is lower. */
  replacement_release_id: string | null;
  /** Set when synced from the app's GitHub repository (api/_src/github/); the sync never touches other releases. */
  github_release_id: number | null;
  /**
   * When first published: the date a license's cutoff is compared with. Set by the database on the first
   * publication and never changed afterwards (an archive and re-publish, or a GitHub edit of `pub_date`, keeps it).
   */
  first_published_at: ColumnType<Date | null, Date | string | null | undefined, never>;
  /** An admin's back-date, used instead of `first_published_at` (never later than it), so fallback licenses get a patch. */
  entitlement_date: Timestamp | null;
  /** Entitlements a license must all hold to get this release. */
  required_entitlements: ColumnType<string[], string | undefined, string>;
}

/** Channels an app offers beyond `stable`, and the more stable channel each follows (api/_src/update/channels.ts). */
export interface ReleaseChannelsTable {
  app_id: string;
  name: string;
  /** null: serves only its own releases. */
  follows: string | null;
  created_at: CreatedAt;
  /** Licensed apps: the entitlement a license needs to get this channel's releases; null: none. */
  required_entitlement: string | null;
}

export interface ArtifactsTable {
  id: Generated<string>;
  release_id: string;
  /** `{os}-{arch}` */
  platform: string;
  bundle: string | null;
  /** Content of the `.sig` file (base64 of the minisign signature text). */
  signature: string;
  storage_key: string;
  file_name: string;
  size: number;
  sha256: string;
  is_default: Generated<boolean>;
  created_at: CreatedAt;
  /** Defaults to `pending`; only `ready` artifacts with a `verified_key_id` are served or published. */
  state: Generated<ArtifactState>;
  /** minisign key id (16 upper-case hex digits) the bytes were verified against; null: not verified. */
  verified_key_id: string | null;
  /** Synced from a GitHub release asset: its id (the bytes stay on GitHub; `storage_key` is `github/<id>`). */
  github_asset_id: ColumnType<number | null, number | null | undefined, number | null>;
  /** Where clients download it when not through /download: a public repository's `browser_download_url`. */
  external_url: ColumnType<string | null, string | null | undefined, string | null>;
  /** An installer only (a notarized DMG): no bundle, `signature` '', never offered to the updater (protocol/installers.ts). */
  installer_only: Generated<boolean>;
}

/** One CI upload of an artifact's bytes, from `POST …/uploads` until `…/complete` (api/_src/ci/). */
export interface ArtifactUploadsTable {
  id: Generated<string>;
  release_id: string;
  platform: string;
  /** null for an installer-only upload (a DMG). */
  bundle: string | null;
  file_name: string;
  size: number;
  sha256: string;
  signature: string;
  content_type: string | null;
  /** Unique per upload, so staged bytes never overwrite an artifact that is ready. */
  storage_key: string;
  /** S3 multipart only: the bucket's UploadId, the part size and the number of parts. */
  multipart_upload_id: string | null;
  part_size: number | null;
  part_count: number | null;
  /** Filesystem storage only: SHA-256 hex of the token in the PUT URL. */
  token_hash: string | null;
  /** Audit actor of whoever requested the upload. */
  actor: string;
  expires_at: Timestamp;
  completed_at: Timestamp | null;
  /** Why `complete` refused the bytes. */
  failure: string | null;
  created_at: CreatedAt;
  /** The upload of an installer only (a DMG): `signature` '', bundle null; checked for size and SHA-256. */
  installer_only: Generated<boolean>;
}

export interface ApiKeysTable {
  id: Generated<string>;
  /** null: every app. */
  app_id: string | null;
  name: string;
  scope: ApiKeyScope;
  /** SHA-256 hex of the whole key; the key itself is never stored. */
  key_hash: string;
  /** The first characters of the key, to tell keys apart in lists. */
  key_prefix: string;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: CreatedAt;
  /** `key:<api key id>`, `token:ADMIN_TOKEN`, or `system`. */
  actor: string;
  action: string;
  app_id: string | null;
  target: string | null;
  details: JSONColumnType<Record<string, unknown>> | null;
}

export interface DownloadEventsTable {
  id: Generated<number>;
  app_id: string;
  artifact_id: string | null;
  platform: string;
  version: string;
  country: string | null;
  at: CreatedAt;
}

/** A UTC calendar day: selected as a Date at midnight UTC, written as `YYYY-MM-DD`. */
type Day = ColumnType<Date, string, never>;

/** Update checks per app, UTC day, client version, platform, channel and country (api/_src/analytics/). */
export interface UpdateCheckCountsTable {
  app_id: string;
  day: Day;
  version: string;
  /** `{os}-{arch}` */
  platform: string;
  channel: string;
  /** ISO 3166-1 alpha-2 from the platform's header, or '' when none. */
  country: Generated<string>;
  checks: Generated<number>;
  /** Distinct install ids seen that day, per instance; the ids themselves are never stored. */
  installs: Generated<number>;
  /** Checks that sent no install id. */
  anonymous_checks: Generated<number>;
}

/** Downloads through `/download/…` per app, UTC day, version, file and country (api/_src/analytics/). */
export interface DownloadCountsTable {
  app_id: string;
  day: Day;
  version: string;
  file_name: string;
  platform: string;
  bundle: string | null;
  country: Generated<string>;
  downloads: Generated<number>;
}

export interface TrustedPublishersTable {
  id: Generated<string>;
  app_id: string;
  /** `owner/name` as GitHub spells it; matched case-insensitively. */
  repository: string;
  /** GitHub's numeric ids, as the strings its tokens carry; matched exactly. */
  repository_id: string;
  repository_owner_id: string;
  /** File name in `.github/workflows/` of the top-level workflow (`workflow_ref`); null: any. */
  workflow: string | null;
  /** null: any job; else the job's environment must have this name (case-insensitive). */
  environment: string | null;
  /** Globs over `ref` (`*` stops at `/`, `**` does not); empty: any ref. */
  allowed_refs: JSONColumnType<string[]>;
  allow_self_hosted: Generated<boolean>;
  /** false: credentials from this binding may create drafts only. */
  can_publish: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/** Replay store: an OIDC token's `jti` is accepted once, and remembered until it could no longer verify. */
export interface OidcJtiTable {
  jti: string;
  expires_at: Timestamp;
  created_at: CreatedAt;
}

/** What one exchanged OIDC token is worth: a credential bound to one app and one workflow run. */
export interface CiCredentialsTable {
  id: Generated<string>;
  /** SHA-256 hex of the credential; the credential itself is never stored. */
  token_hash: string;
  app_id: string;
  publisher_id: string;
  repository: string;
  repository_id: string;
  run_id: string;
  run_attempt: string;
  sha: string;
  ref: string;
  event_name: string;
  workflow_ref: string;
  job_workflow_ref: string;
  environment: string | null;
  can_publish: boolean;
  jti: string;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

export const WEBHOOK_FORMATS = ['json', 'slack', 'discord'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** `suppressed`: recorded while the endpoint's circuit was open (or it was disabled), never attempted. */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'suppressed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** An endpoint told about an app's release events (api/_src/webhooks/). */
export interface WebhooksTable {
  id: Generated<string>;
  app_id: string;
  url: string;
  description: string | null;
  /** HMAC-SHA256 key; returned once, at creation, and never logged. */
  secret: string;
  /** Event kinds to send; null: every kind. */
  events: JSONColumnType<string[]> | null;
  format: Generated<WebhookFormat>;
  active: Generated<boolean>;
  /** Failed attempts since the last success; at the threshold the circuit opens. */
  consecutive_failures: Generated<number>;
  /** Set: deliveries are recorded as `suppressed`, not attempted, until a success or a re-enable. */
  circuit_opened_at: Timestamp | null;
  last_success_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** One event for one webhook; the queue the dispatcher works from. */
export interface WebhookDeliveriesTable {
  id: Generated<string>;
  webhook_id: string;
  event_id: string;
  event: string;
  /** The exact request body, signed afresh on every attempt. */
  body: string;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  max_attempts: number;
  next_attempt_at: Timestamp | null;
  last_attempt_at: Timestamp | null;
  response_status: number | null;
  last_error: string | null;
  created_at: CreatedAt;
  completed_at: Timestamp | null;
}

/** A dashboard sign-in (api/_src/ui/session.ts): exactly one of `api_key_id` and `admin_token_hash` is set. */
export interface UiSessionsTable {
  id: Generated<string>;
  /** SHA-256 hex of the cookie's token; the token itself is never stored. */
  token_hash: string;
  /** The key signed in with; null for an ADMIN_TOKEN session. */
  api_key_id: string | null;
  /** SHA-256 hex of ADMIN_TOKEN at sign-in; the session ends when ADMIN_TOKEN changes. */
  admin_token_hash: string | null;
  created_at: CreatedAt;
  expires_at: Timestamp;
}

/** Failed-authentication counts per bucket and one-minute window (api/_src/rate-limit/window.ts). */
export interface RateLimitWindowsTable {
  bucket: string;
  window_start: Timestamp;
  hits: number;
}

/** An app served from its repository's GitHub Releases (api/_src/github/). */
export interface GithubSourcesTable {
  app_id: string;
  /** `owner/repo` */
  repository: string;
  tag_prefix: Generated<string>;
  /** The token for a private repository, sealed with SECRETS_KEY (api/_src/github/secrets.ts); null: public. */
  token_sealed: string | null;
  webhook_secret: string;
  etag: string | null;
  next_sync_at: Generated<Date>;
  last_attempt_at: Timestamp | null;
  last_success_at: Timestamp | null;
  /** Signature checks already made (api/_src/github/sync.ts `AssetCheck`), so each asset is downloaded and verified once. */
  asset_checks: ColumnType<Record<string, unknown>, string | undefined, string>;
  report: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface Database {
  apps: AppsTable;
  releases: ReleasesTable;
  artifacts: ArtifactsTable;
  artifact_uploads: ArtifactUploadsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  download_events: DownloadEventsTable;
  update_check_counts: UpdateCheckCountsTable;
  download_counts: DownloadCountsTable;
  trusted_publishers: TrustedPublishersTable;
  oidc_jti: OidcJtiTable;
  ci_credentials: CiCredentialsTable;
  release_channels: ReleaseChannelsTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  ui_sessions: UiSessionsTable;
  rate_limit_windows: RateLimitWindowsTable;
  github_sources: GithubSourcesTable;
  license_policies: LicensePoliciesTable;
  licenses: LicensesTable;
  license_machines: LicenseMachinesTable;
  inbound_deliveries: InboundDeliveriesTable;
  license_file_keys: LicenseFileKeysTable;
  payment_integrations: PaymentIntegrationsTable;
  payment_references: PaymentReferencesTable;
  payment_links: PaymentLinksTable;
  held_events: HeldEventsTable;
  license_claims: LicenseClaimsTable;
}

/** A query runner a store function takes: the database, or the transaction it runs inside. */
export type Db = Kysely<Database> | Transaction<Database>;

export type AppRow = Selectable<AppsTable>;
export type NewApp = Insertable<AppsTable>;
export type AppUpdate = Updateable<AppsTable>;
export type ReleaseRow = Selectable<ReleasesTable>;
export type NewRelease = Insertable<ReleasesTable>;
export type ReleaseUpdate = Updateable<ReleasesTable>;
export type ArtifactRow = Selectable<ArtifactsTable>;
export type NewArtifact = Insertable<ArtifactsTable>;
export type ArtifactUploadRow = Selectable<ArtifactUploadsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type TrustedPublisherRow = Selectable<TrustedPublishersTable>;
export type NewTrustedPublisher = Insertable<TrustedPublishersTable>;
export type TrustedPublisherUpdate = Updateable<TrustedPublishersTable>;
export type CiCredentialRow = Selectable<CiCredentialsTable>;
export type ReleaseChannelRow = Selectable<ReleaseChannelsTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type UiSessionRow = Selectable<UiSessionsTable>;
export type GithubSourceRow = Selectable<GithubSourcesTable>;
