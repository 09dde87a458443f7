/**
 * @module cli/commands/publishers
 * `publishers list|add|remove` over `/admin/apps/{app}/publishers`: the GitHub workflows trusted to publish
 * (README "Trusted publishing"). The body is checked with the server's `createPublisherBodySchema`.
 */
import { createPublisherBodySchema, publisherListSchema, publisherSchema } from '../../protocol/publishers.ts';
import { checkBody, type Command, list, must, text } from '../args.ts';
import { path } from '../http.ts';
import { table } from '../output.ts';
import { APP_OPTION } from './releases.ts';

const publishersPath = (app: string, ...rest: string[]) => path('/admin/apps', app, 'publishers', ...rest);

export const publishersList: Command = {
  words: ['publishers', 'list'],
  summary: 'List an app\'s trusted publishers.',
  options: { app: APP_OPTION },
  async run(ctx, values) {
    const body = await (await ctx.client()).get(publishersPath(must(values, 'app')), publisherListSchema);
    ctx.out.result(body, ({ publishers }) =>
      table(
        ['ID', 'REPOSITORY', 'WORKFLOW', 'ENVIRONMENT', 'REFS', 'PUBLISH'],
        publishers.map((p) => [p.id, p.repository, p.workflow, p.environment, p.allowed_refs.join(' ') || 'any', p.can_publish ? 'yes' : 'drafts only']),
      ),
    );
  },
};

export const publishersAdd: Command = {
  words: ['publishers', 'add'],
  summary: 'Trust a GitHub workflow to upload (and, with --can-publish, publish) this app\'s releases.',
  mutating: true,
  options: {
    app: APP_OPTION,
    repository: { type: 'string', value: 'owner/repo', help: 'the repository', required: true },
    'repository-id': { type: 'string', value: 'id', help: 'its numeric id (gh api repos/OWNER/REPO --jq .id)', required: true },
    'owner-id': { type: 'string', value: 'id', help: 'its owner\'s numeric id (gh api repos/OWNER/REPO --jq .owner.id)', required: true },
    workflow: { type: 'string', value: 'file', help: 'workflow file name, e.g. release.yml' },
    environment: { type: 'string', help: 'GitHub environment the job must run in' },
    ref: { type: 'string', value: 'glob', multiple: true, help: 'allowed ref, e.g. refs/tags/v*' },
    'can-publish': { type: 'boolean', help: 'its credentials may publish (default: drafts only)' },
    'allow-self-hosted': { type: 'boolean', help: 'accept jobs on self-hosted runners' },
  },
  async run(ctx, values) {
    const refs = list(values, 'ref');
    const body = checkBody(createPublisherBodySchema, {
      repository: text(values, 'repository'),
      repository_id: text(values, 'repository-id'),
      repository_owner_id: text(values, 'owner-id'),
      ...(text(values, 'workflow') ? { workflow: text(values, 'workflow') } : {}),
      ...(text(values, 'environment') ? { environment: text(values, 'environment') } : {}),
      ...(refs.length ? { allowed_refs: refs } : {}),
      ...(values['can-publish'] ? { can_publish: true } : {}),
      ...(values['allow-self-hosted'] ? { allow_self_hosted: true } : {}),
    });
    const created = await (await ctx.client()).send('POST', publishersPath(must(values, 'app')), body, publisherSchema);
    if (created) ctx.out.result(created, (p) => `trusted ${p.repository}${p.workflow ? ` (${p.workflow})` : ''}: id ${p.id}`);
  },
};

export const publishersRemove: Command = {
  words: ['publishers', 'remove'],
  summary: 'Stop trusting a publisher; its live credentials end at once.',
  positionals: ['<id>'],
  mutating: true,
  options: { app: APP_OPTION },
  async run(ctx, values, [id]) {
    await (await ctx.client()).send('DELETE', publishersPath(must(values, 'app'), id!), undefined, null);
    if (!ctx.dryRun) ctx.out.result({ removed: id }, () => `removed publisher ${id}`);
  },
};
