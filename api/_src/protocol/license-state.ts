/**
 * @module protocol/license-state
 * What a licensed app's installs read about their own license (issue 17 items 6 and 9): the `GET /license`
 * answer, and the payload of the offline license file `GET /license/file` signs. Dates are RFC 3339 strings.
 * The license file is `base64url(payload JSON) + "." + base64url(Ed25519 signature over the payload bytes)`,
 * verified with the app's license-file public key (`license_file_key` of the admin app view, schemas.ts), never
 * the updater key.
 */
import * as z from 'zod';
import { timestampSchema } from './schemas.ts';

const versionOrNull = z.string().nullable();

export const licenseStateSchema = z
  .object({
    license_id: z.string().meta({ format: 'uuid' }),
    app: z.string().meta({ description: 'the app slug the license belongs to' }),
    status: z.enum(['active']).meta({ description: 'a suspended or revoked license is a 403 instead' }),
    expiry_strategy: z.enum(['fallback', 'revoke', 'allow']),
    expires_at: timestampSchema.nullable().meta({ description: 'null: perpetual, or a `first_check` license no install has checked with yet' }),
    expired: z.boolean().meta({ description: 'the expiry has passed (`fallback` and `allow` still update; `revoke` only within its grace days)' }),
    grace_ends_at: timestampSchema.nullable().meta({ description: '`revoke` after expiry: when updates stop altogether' }),
    cutoff: timestampSchema.nullable().meta({ description: 'releases first published after it are not eligible (bar the minor-line rule); null: none' }),
    entitlements: z.array(z.string()),
    channel: z.string().meta({ description: 'the channel the versions below are for (`?channel=`, default stable)' }),
    newest_eligible_version: versionOrNull.meta({ description: 'the newest release of the channel this license may have' }),
    newest_version: versionOrNull.meta({ description: 'the newest release of the channel, eligible or not' }),
    renewal: z
      .object({
        expires_at: timestampSchema.nullable(),
        unlocks_version: versionOrNull.meta({ description: 'the newest release a renewal would make eligible; null: nothing newer' }),
      })
      .meta({ description: 'what renewing now would give' }),
    machines: z.object({
      used: z.number().int(),
      allowed: z.number().int().nullable().meta({ description: 'null: any number of installs' }),
    }),
  })
  .meta({ description: 'the state of the license presented, for an app to show, e.g. "Updates ended on 2027-03-01; renew to get 2.4.0"' });
export type LicenseStateBody = z.infer<typeof licenseStateSchema>;

export const LICENSE_FILE_VERSION = 1;

export const licenseFilePayloadSchema = z
  .object({
    v: z.literal(LICENSE_FILE_VERSION),
    kid: z.string().meta({ description: 'which of the app’s license-file keys signed it (`license_file_key.kid`)' }),
    lic: z.string().meta({ format: 'uuid', description: 'license id' }),
    app: z.string().meta({ description: 'app slug' }),
    status: z.enum(['active']),
    expiry_strategy: z.enum(['fallback', 'revoke', 'allow']),
    expires_at: timestampSchema.nullable(),
    cutoff: timestampSchema.nullable().meta({ description: 'releases first published after it are not eligible; null: none' }),
    entitlements: z.array(z.string()),
    newest_eligible_version: versionOrNull,
    machine: z.string().nullable().meta({ description: 'the `X-Install-Id` it was issued to; null: not bound to an install' }),
    issued_at: timestampSchema,
    valid_until: timestampSchema.meta({ description: 'fetch a new file before this; after it the file proves nothing' }),
  })
  .meta({ description: 'the signed part of a license file' });
export type LicenseFilePayload = z.infer<typeof licenseFilePayloadSchema>;
