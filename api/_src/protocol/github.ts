/**
 * @module protocol/github
 * Wire types of an app's update source (`/admin/apps/{app}/source`): `storage` (what was uploaded here, the
 * default) or `github` (the repository's GitHub Releases, synced by api/_src/github/). Shared by the server, the
 * dashboard and the CLI.
 */
import * as z from 'zod';
import { GITHUB_REPOSITORY_PATTERN, GITHUB_REPOSITORY_RULE } from './release-rules.ts';
import { timestampSchema } from './schemas.ts';

export const githubRepositorySchema = z
  .string()
  .trim()
  .regex(GITHUB_REPOSITORY_PATTERN, GITHUB_REPOSITORY_RULE)
  .refine((value) => !value.endsWith('.git'), 'must be owner/repo without .git')
  .meta({ description: 'the repository whose releases are served, `owner/repo`' });

export const tagPrefixSchema = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9._\/-]*$/, 'may hold letters, digits, ".", "_", "/" and "-" only')
  .meta({ description: 'what release tags start with before the version: `v` for v1.2.3, `desktop-v` for desktop-v1.2.3, "" for none' });

export const putSourceBodySchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('storage') }),
  z.strictObject({
    kind: z.literal('github'),
    repository: githubRepositorySchema,
    tag_prefix: tagPrefixSchema.default('v'),
    token: z
      .string()
      .trim()
      .min(1)
      .max(400)
      .regex(/^[\x21-\x7e]+$/, 'must be a GitHub token (printable ASCII, no spaces)')
      .nullable()
      .optional()
      .meta({
        description:
          'for a private repository: a fine-grained token with read access to its contents (or a classic token with `repo`). ' +
          'Stored sealed, never returned. Omit to keep the stored one, null to remove it',
      }),
    rotate_webhook_secret: z.boolean().default(false).meta({ description: 'issue a new webhook secret (returned once, in this answer)' }),
  }),
]);
export type PutSourceBody = z.infer<typeof putSourceBodySchema>;

export const SYNC_OUTCOMES = ['ok', 'unchanged', 'failed'] as const;

export const syncReportSchema = z.object({
  at: timestampSchema,
  outcome: z.enum(SYNC_OUTCOMES).meta({ description: '`unchanged`: GitHub answered 304 (no rate limit spent)' }),
  /** Set when outcome is failed. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  next_sync_at: timestampSchema,
  github_requests: z.number().int(),
  rate_limit: z.object({ remaining: z.number().int().nullable(), reset_at: timestampSchema.nullable() }).nullable(),
  releases: z.array(
    z.object({
      tag: z.string(),
      version: z.string().nullable(),
      channel: z.string().nullable(),
      served: z.boolean(),
      artifacts: z.array(z.object({ file_name: z.string(), platform: z.string(), bundle: z.string() })),
    }),
  ),
  /** What was left out and why: a tag that is not semver, a bundle without `.sig`, a signature that does not verify. */
  skipped: z.array(z.object({ tag: z.string(), file_name: z.string().nullable(), reason: z.string() })),
});
export type SyncReport = z.infer<typeof syncReportSchema>;

export const sourceViewSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('storage') }),
  z.object({
    kind: z.literal('github'),
    repository: z.string(),
    tag_prefix: z.string(),
    private: z.boolean().meta({ description: 'a token is stored (never returned)' }),
    webhook_url: z.string().meta({ description: 'the Payload URL to give GitHub (content type application/json, event "Releases")' }),
    webhook_secret: z.string().optional().meta({ description: 'only in the answer that created or rotated it' }),
    last_attempt_at: timestampSchema.nullable(),
    last_success_at: timestampSchema.nullable(),
    next_sync_at: timestampSchema,
    report: syncReportSchema.nullable(),
  }),
]);
export type SourceView = z.infer<typeof sourceViewSchema>;
