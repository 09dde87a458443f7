/**
 * @module protocol/licensing
 * Wire types of licensing's admin API (issue 17): an app's licensing mode, policies, licenses, their installs
 * ("machines"), and what a release or channel requires. Shared by the server (api/_src/licensing/store.ts and the
 * admin routes), the dashboard and the CLI. A license's key is never part of a view: it appears once, in the answer
 * that created or rotated it. Request objects are strict, so a misspelt field is a 400.
 */
import * as z from 'zod';
import { APP_LICENSING_MODES, EXPIRATION_BASES, EXPIRY_STRATEGIES, LICENSE_STATUSES } from '../../../db/schema.ts';
import { licenseFileKeySchema, timestampSchema } from './schemas.ts';

const uuidSchema = z.string().meta({ format: 'uuid' });
/** An RFC 3339 instant a license or release date can be: years 1970-9000 (the database and date arithmetic stay in range). */
const instantSchema = z.iso.datetime({ offset: true }).refine((text) => {
  const year = new Date(text).getUTCFullYear();
  return year >= 1970 && year <= 9000;
}, 'must be a time between the years 1970 and 9000');

// ---- offline license-file keys ------------------------------------------------------------------

export const rotateFileKeyBodySchema = z.strictObject({
  remove_previous: z.boolean().default(false).meta({
    description:
      'true after a leak: the old key is deleted, so license-keys.json stops listing it immediately (files it signed no longer verify ' +
      'against the list). false: it is retired and stays listed for 30 days, as long as the files it signed may stay valid',
  }),
});
export type RotateFileKeyBody = z.input<typeof rotateFileKeyBodySchema>;

export const listedFileKeySchema = licenseFileKeySchema.extend({
  status: z.enum(['current', 'retired']).meta({ description: '`current` signs new files; `retired` no longer signs, and verifies the files it signed' }),
  created_at: timestampSchema,
  retired_at: timestampSchema.nullable(),
  listed_until: timestampSchema.nullable().meta({ description: 'a retired key: when it leaves the list (30 days after it retired, when every file it signed has expired)' }),
});

export const licenseFileKeyListSchema = z
  .object({
    app: z.string().meta({ description: 'the app slug' }),
    keys: z.array(listedFileKeySchema).meta({ description: 'the current key first, then retired ones still listed, newest first' }),
  })
  .meta({ description: 'the keys an app’s offline license files may be signed with: verify a file with the key whose `kid` its payload names' });
export type LicenseFileKeyListBody = z.infer<typeof licenseFileKeyListSchema>;

// ---- entitlements -------------------------------------------------------------------------------

/** The database's rule for one entitlement name (migration 2026_12_07_0011 `entitlementList`). */
export const ENTITLEMENT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const MAX_ENTITLEMENTS = 64;
export const entitlementSchema = z
  .string()
  .regex(ENTITLEMENT_PATTERN, 'an entitlement is 1-64 of A-Z a-z 0-9 . _ : - (starting with a letter or digit)')
  .meta({ description: 'a feature or tier name a release, channel or license carries, e.g. `pro`' });
/** Distinct names; the order is kept. */
export const entitlementListSchema = z
  .array(entitlementSchema)
  .max(MAX_ENTITLEMENTS)
  .transform((names) => [...new Set(names)]);

// ---- the app's mode -----------------------------------------------------------------------------

export const licensingModeSchema = z.enum(APP_LICENSING_MODES);
export type LicensingMode = z.infer<typeof licensingModeSchema>;

export const putLicensingBodySchema = z.strictObject({
  mode: licensingModeSchema.meta({
    description: '`licensed`: every update check and download needs a license (needs SECRETS_KEY); `open`: anyone who knows the slug',
  }),
});
export type PutLicensingBody = z.infer<typeof putLicensingBodySchema>;

export const licensingSchema = z.object({
  mode: licensingModeSchema,
  policies: z.number().int().meta({ description: 'how many policies the app has' }),
  licenses: z.number().int().meta({ description: 'how many licenses the app has, any status' }),
  secrets_key: z.boolean().meta({ description: 'whether this server has the SECRETS_KEY licensed apps need' }),
});
export type LicensingBody = z.infer<typeof licensingSchema>;

// ---- policies -----------------------------------------------------------------------------------

export const expiryStrategySchema = z.enum(EXPIRY_STRATEGIES).meta({
  description: '`fallback`: after expiry, releases first published up to the expiry stay available; `revoke`: nothing after expiry (+ grace days); `allow`: the expiry is informational',
});
export const expirationBasisSchema = z.enum(EXPIRATION_BASES).meta({
  description: '`created`: the clock starts when the license is created; `first_check`: at the first update check by any install',
});

const policyFields = {
  name: z.string().trim().min(1).max(100).regex(/^[^\p{Cc}]*$/u, 'no control characters'),
  duration_days: z.number().int().min(1).max(36500).nullable().meta({ description: 'e.g. 365; null: licenses never expire' }),
  expiry_strategy: expiryStrategySchema,
  expiration_basis: expirationBasisSchema,
  grace_days: z.number().int().min(0).max(3650).meta({ description: 'delays `revoke`; never moves a `fallback` cutoff' }),
  max_machines: z.number().int().min(1).max(100000).nullable().meta({ description: 'installs (X-Install-Id) per license; null: any number' }),
  entitlements: entitlementListSchema.meta({ description: 'granted to every license of the policy' }),
  patch_line_after_expiry: z.boolean().meta({
    description: 'after expiry, also later releases of the major.minor line of the newest release dated at or before the cutoff',
  }),
};

export const createPolicyBodySchema = z.strictObject({
  name: policyFields.name,
  duration_days: policyFields.duration_days.default(365),
  expiry_strategy: policyFields.expiry_strategy.default('fallback'),
  expiration_basis: policyFields.expiration_basis.default('created'),
  grace_days: policyFields.grace_days.default(0),
  max_machines: policyFields.max_machines.default(null),
  entitlements: policyFields.entitlements.default([]),
  patch_line_after_expiry: policyFields.patch_line_after_expiry.default(false),
});
/** What the store takes: defaults filled in (parse with `createPolicyBodySchema` to get it). */
export type CreatePolicyInput = z.output<typeof createPolicyBodySchema>;
export type CreatePolicyBody = z.input<typeof createPolicyBodySchema>;

export const updatePolicyBodySchema = z
  .strictObject({
    name: policyFields.name.optional(),
    duration_days: policyFields.duration_days.optional(),
    expiry_strategy: policyFields.expiry_strategy.optional(),
    expiration_basis: policyFields.expiration_basis.optional(),
    grace_days: policyFields.grace_days.optional(),
    max_machines: policyFields.max_machines.optional(),
    entitlements: policyFields.entitlements.optional(),
    patch_line_after_expiry: policyFields.patch_line_after_expiry.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'nothing to change: send at least one field')
  .meta({ description: 'changes apply to every license of the policy at once' });
export type UpdatePolicyBody = z.infer<typeof updatePolicyBodySchema>;

export const policySchema = z.object({
  id: uuidSchema,
  app_id: uuidSchema,
  name: z.string(),
  duration_days: z.number().int().nullable(),
  expiry_strategy: expiryStrategySchema,
  expiration_basis: expirationBasisSchema,
  grace_days: z.number().int(),
  max_machines: z.number().int().nullable(),
  entitlements: z.array(z.string()),
  patch_line_after_expiry: z.boolean(),
  licenses: z.number().int().meta({ description: 'licenses of this policy, any status' }),
  created_at: timestampSchema,
  updated_at: timestampSchema,
});
export type PolicyBody = z.infer<typeof policySchema>;
export const policyListSchema = z.object({ policies: z.array(policySchema) });
export type PolicyListBody = z.infer<typeof policyListSchema>;

// ---- licenses -----------------------------------------------------------------------------------

export const licenseStatusSchema = z.enum(LICENSE_STATUSES);
export type LicenseStatusName = z.infer<typeof licenseStatusSchema>;

/** A payment provider's (or an import's) name: `stripe`, `paddle`, `lemonsqueezy`, `import`, … */
export const externalSourceSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a lower-case name of 1-32 of a-z 0-9 _ -');
export const externalIdSchema = z.string().min(1).max(255).regex(/^[^\p{Cc}]*$/u, 'no control characters');

export const licenseSchema = z.object({
  id: uuidSchema,
  app_id: uuidSchema,
  policy_id: uuidSchema,
  policy_name: z.string(),
  key_prefix: z.string().meta({ description: '`trl_` and the first 4 characters of the key: enough to find it, never to use it' }),
  status: licenseStatusSchema,
  expires_at: timestampSchema.nullable().meta({
    description: 'the expiry (set, or computed from the policy); null: perpetual, or a `first_check` license not checked yet',
  }),
  expired: z.boolean(),
  cutoff: timestampSchema
    .nullable()
    .meta({ description: 'releases first published (or back-dated) after it are not eligible; null: no date limit' }),
  entitlements: z.array(z.string()).meta({ description: "the license's own; its policy's come on top" }),
  external_source: z.string().nullable(),
  external_id: z.string().nullable(),
  machines_used: z.number().int().meta({ description: 'installs counted (not deactivated)' }),
  machines_allowed: z.number().int().nullable().meta({ description: "the policy's limit; null: any number" }),
  eligible_up_to: z.string().nullable().meta({
    description: 'the newest published version this license may install today; null: none (refused, or no release eligible)',
  }),
  first_checked_at: timestampSchema.nullable(),
  revision: z.number().int(),
  created_at: timestampSchema,
  updated_at: timestampSchema,
});
export type LicenseBody = z.infer<typeof licenseSchema>;

export const machineSchema = z.object({
  id: uuidSchema,
  install_digest: z.string().meta({ description: 'SHA-256 of the license id and the install id; the install id is never stored' }),
  first_seen_at: timestampSchema,
  last_seen_at: timestampSchema,
  deactivated_at: timestampSchema.nullable().meta({ description: 'set: no longer counted; the install takes a place again on its next check' }),
});
export type MachineBody = z.infer<typeof machineSchema>;
export const machineListSchema = z.object({ machines: z.array(machineSchema) });
export type MachineListBody = z.infer<typeof machineListSchema>;

export const licenseDetailSchema = licenseSchema.extend({
  machines: z.array(machineSchema).meta({ description: 'active installs first, then deactivated ones' }),
});
export type LicenseDetailBody = z.infer<typeof licenseDetailSchema>;

export const LICENSE_PAGE_DEFAULT = 50;
export const LICENSE_PAGE_MAX = 200;

export const listLicensesQuerySchema = z.strictObject({
  q: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .optional()
    .meta({ description: 'a key prefix (`trl_AB…`, case-insensitive; a whole key works too) or an exact external id' }),
  status: licenseStatusSchema.optional(),
  policy_id: uuidSchema.optional(),
  limit: z.coerce.number().int().min(1).max(LICENSE_PAGE_MAX).default(LICENSE_PAGE_DEFAULT),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type ListLicensesQuery = z.output<typeof listLicensesQuerySchema>;

export const licenseListSchema = z.object({
  licenses: z.array(licenseSchema),
  total: z.number().int().meta({ description: 'licenses matching the filters' }),
});
export type LicenseListBody = z.infer<typeof licenseListSchema>;

export const createLicenseBodySchema = z
  .strictObject({
    policy_id: uuidSchema,
    expires_at: instantSchema.nullable().optional().meta({ description: "an explicit expiry; omitted or null: the policy's" }),
    entitlements: entitlementListSchema.default([]),
    external_source: externalSourceSchema.optional(),
    external_id: externalIdSchema.optional().meta({
      description: 'with external_source: creating again with the same pair returns the existing license, without a key',
    }),
  })
  .refine((body) => (body.external_source === undefined) === (body.external_id === undefined), {
    message: 'external_source and external_id go together',
    path: ['external_id'],
  });
export type CreateLicenseBody = z.input<typeof createLicenseBodySchema>;
export type CreateLicenseInput = z.output<typeof createLicenseBodySchema>;

export const createdLicenseSchema = licenseDetailSchema.extend({
  key: z.string().nullable().meta({
    description: 'the license key, shown only in this response; null when an existing license of the same external id was returned',
  }),
  created: z.boolean().meta({ description: 'false: a license with this external id existed and is returned as it is' }),
});
export type CreatedLicenseBody = z.infer<typeof createdLicenseSchema>;

export const rotatedLicenseSchema = licenseDetailSchema.extend({
  key: z.string().meta({ description: 'the new key, shown only in this response; the old key stops working' }),
});
export type RotatedLicenseBody = z.infer<typeof rotatedLicenseSchema>;

export const renewLicenseBodySchema = z.strictObject({
  expires_at: instantSchema.optional().meta({
    description: "an explicit new expiry, in the future (400 otherwise: suspend or revoke ends updates); omitted: one policy period from the expiry, or from now when already expired",
  }),
});
export type RenewLicenseBody = z.infer<typeof renewLicenseBodySchema>;

/** suspend, reinstate and revoke take an optional reason, kept in the audit log. */
export const licenseActionBodySchema = z.strictObject({
  reason: z.string().trim().max(500).regex(/^[^\p{Cc}]*$/u, 'no control characters').optional(),
});
export type LicenseActionBody = z.infer<typeof licenseActionBodySchema>;

// ---- what releases and channels require -----------------------------------------------------------

export const releaseEntitlementBodySchema = z
  .strictObject({
    entitlement_date: instantSchema.nullable().optional().meta({
      description: 'back-date: the date license cutoffs compare with instead of the first publication (never later than it); null: remove',
    }),
    required_entitlements: entitlementListSchema.optional().meta({ description: 'a license must hold all of them to get this release' }),
  })
  .refine((body) => Object.keys(body).length > 0, 'nothing to change: send entitlement_date or required_entitlements');
export type ReleaseEntitlementBody = z.infer<typeof releaseEntitlementBodySchema>;

export const releaseEntitlementSchema = z.object({
  release_id: uuidSchema,
  version: z.string(),
  first_published_at: timestampSchema.nullable(),
  entitlement_date: timestampSchema.nullable(),
  required_entitlements: z.array(z.string()),
});
export type ReleaseEntitlementView = z.infer<typeof releaseEntitlementSchema>;

export const channelEntitlementBodySchema = z.strictObject({
  required_entitlement: entitlementSchema.nullable().meta({ description: "a license needs it to get this channel's releases; null: none" }),
});
export type ChannelEntitlementBody = z.infer<typeof channelEntitlementBodySchema>;

export const channelEntitlementSchema = z.object({
  channel: z.string(),
  required_entitlement: z.string().nullable(),
});
export type ChannelEntitlementView = z.infer<typeof channelEntitlementSchema>;
