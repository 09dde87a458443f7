/**
 * @module schemas
 * Wire types of the admin API: the zod schemas the routes validate with are the same ones
 * `/openapi.json` is generated from. Request objects are strict, so a misspelt field is a 400, not
 * silently ignored. Append-only, shared: apps, keys and audit here; releases and artifacts below them.
 */
import { z } from 'zod';
import { API_KEY_SCOPES } from '../../db/schema.ts';
import { tauriPublicKeySchema } from './minisign-key.ts';

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

// ---- apps -----------------------------------------------------------------------------------------

export const APP_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const appSlugSchema = z
  .string()
  .regex(APP_SLUG_PATTERN, 'must be 1–63 characters of a-z, 0-9 and "-", starting with a letter or digit')
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
});
export type UpdateAppBody = z.infer<typeof updateAppBodySchema>;

export const appSchema = z.object({
  id: uuidSchema,
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  public_key: z.string().nullable(),
  public_key_id: z.string().nullable().meta({ description: 'minisign key id of public_key (16 hex digits)' }),
  release_count: z.number().int(),
  latest_version: z.string().nullable().meta({ description: 'highest semver among published releases' }),
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
