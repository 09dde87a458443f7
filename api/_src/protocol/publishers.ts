/**
 * @module protocol/publishers
 * Wire types of `/admin/apps/{app}/publishers` (trusted publishing, GitHub OIDC): the request bodies the admin API
 * validates (admin/publishers.ts) and the publisher it answers with, read by the dashboard's access page and the
 * CLI's publishers command.
 */
import * as z from 'zod';
import { checkRefGlob } from './ref-glob.ts';
import { GITHUB_REPOSITORY_PATTERN } from './release-rules.ts';

const GITHUB_ID_PATTERN = /^[1-9][0-9]{0,19}$/;
const WORKFLOW_FILE_PATTERN = /^[A-Za-z0-9._-]{1,200}\.ya?ml$/;
export const MAX_ALLOWED_REFS = 20;

const githubId = (what: string) =>
  z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `must be a string of digits, as GitHub sends it (e.g. "${what}")`) })
    .regex(GITHUB_ID_PATTERN, `must be a string of digits, as GitHub sends it (e.g. "${what}")`);

const repositorySchema = z
  .string()
  .regex(GITHUB_REPOSITORY_PATTERN, 'must be "owner/name" as on GitHub, e.g. "octo-org/octo-app"')
  .refine((value) => !/\/\.\.?$/.test(value), 'the repository name cannot be "." or ".."')
  .meta({ description: 'owner/name; matched case-insensitively, as GitHub does' });

const workflowSchema = z
  .string()
  .regex(WORKFLOW_FILE_PATTERN, 'must be the file name of a workflow in .github/workflows, e.g. "release.yml" (no path)')
  .meta({ description: 'file name of the top-level workflow (the `workflow_ref` claim); null: any workflow of the repository' });

const environmentSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty; use null for "any environment"')
  .max(255)
  .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), 'must not contain control characters')
  .meta({ description: 'GitHub environment the job must use (case-insensitive); null: any, or none' });

const refGlobSchema = z.string().superRefine((glob, ctx) => {
  const problem = checkRefGlob(glob);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const allowedRefsSchema = z
  .array(refGlobSchema)
  .max(MAX_ALLOWED_REFS)
  .meta({ description: 'globs over the `ref` claim, e.g. ["refs/tags/v*"]; `*` stops at "/", `**` does not; empty: any ref' });

const fields = {
  repository: repositorySchema,
  repository_id: githubId('74').meta({ description: 'GitHub\'s immutable repository id, as a string' }),
  repository_owner_id: githubId('65').meta({ description: 'GitHub\'s immutable id of the owner account, as a string' }),
  workflow: workflowSchema.nullable(),
  environment: environmentSchema.nullable(),
  allowed_refs: allowedRefsSchema,
  allow_self_hosted: z.boolean().meta({ description: 'accept jobs on self-hosted runners (default false)' }),
  can_publish: z.boolean().meta({ description: 'credentials may publish releases; false: drafts only (default false)' }),
};

export const createPublisherBodySchema = z.strictObject({
  repository: fields.repository,
  repository_id: fields.repository_id,
  repository_owner_id: fields.repository_owner_id,
  workflow: fields.workflow.optional(),
  environment: fields.environment.optional(),
  allowed_refs: fields.allowed_refs.optional(),
  allow_self_hosted: fields.allow_self_hosted.optional(),
  can_publish: fields.can_publish.optional(),
});
export type CreatePublisherBody = z.infer<typeof createPublisherBodySchema>;

export const updatePublisherBodySchema = z
  .strictObject({
    repository: fields.repository.optional(),
    repository_id: fields.repository_id.optional(),
    repository_owner_id: fields.repository_owner_id.optional(),
    workflow: fields.workflow.optional(),
    environment: fields.environment.optional(),
    allowed_refs: fields.allowed_refs.optional(),
    allow_self_hosted: fields.allow_self_hosted.optional(),
    can_publish: fields.can_publish.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'send at least one field to change');
export type UpdatePublisherBody = z.infer<typeof updatePublisherBodySchema>;

export const publisherSchema = z.object({
  id: z.string().meta({ format: 'uuid' }),
  app_id: z.string().meta({ format: 'uuid' }),
  repository: z.string(),
  repository_id: z.string(),
  repository_owner_id: z.string(),
  workflow: z.string().nullable(),
  environment: z.string().nullable(),
  allowed_refs: z.array(z.string()),
  allow_self_hosted: z.boolean(),
  can_publish: z.boolean(),
  created_at: z.string().meta({ format: 'date-time' }),
  updated_at: z.string().meta({ format: 'date-time' }),
});
export type PublisherBody = z.infer<typeof publisherSchema>;
export const publisherListSchema = z.object({ publishers: z.array(publisherSchema) });
