/**
 * @module cli/commands/releases
 * `releases list|create|show|publish|archive|yank|rollout|notes` over `/admin/apps/{app}/releases`. A release is
 * named by its version (or id), as the server accepts either.
 */
import { readFile } from 'node:fs/promises';
import {
  type ReleaseBody,
  createReleaseBodySchema,
  listReleasesQuerySchema,
  releaseListSchema,
  releaseSchema,
  updateReleaseBodySchema,
  yankReleaseBodySchema,
} from '../../protocol/schemas.ts';
import { checkBody, type Command, must, type OptionSpec, text, type Values } from '../args.ts';
import { usageError } from '../errors.ts';
import { path } from '../http.ts';
import { fields, formatSize, formatTime, table } from '../output.ts';

export const APP_OPTION: OptionSpec = { type: 'string', value: 'app', help: 'slug (or id) of the app', required: true };

const releasePath = (values: Values, ...rest: string[]) => path('/admin/apps', must(values, 'app'), 'releases', ...rest);

export function describeRelease(release: ReleaseBody): string {
  const head = fields([
    ['version', release.version],
    ['status', `${release.status}${release.yanked_at ? ' (yanked)' : ''}`],
    ['channel', release.channel],
    ['rollout', `${release.rollout_percent}%`],
    ['published', formatTime(release.pub_date)],
    ['notes', release.notes?.split('\n')[0]],
  ]);
  const artifacts = table(
    ['PLATFORM', 'BUNDLE', 'FILE', 'SIZE', 'VERIFIED KEY'],
    release.artifacts.map((a) => [a.platform, a.bundle, a.file_name, formatSize(a.size), a.verified_key_id ?? `not verified (${a.state})`]),
    'no artifacts',
  );
  return `${head}\n\n${artifacts}`;
}

/** --notes or --notes-file. */
async function notesOf(values: Values): Promise<string | undefined> {
  const inline = text(values, 'notes');
  const file = text(values, 'notes-file');
  if (inline !== undefined && file !== undefined) throw usageError('pass --notes or --notes-file, not both');
  if (file === undefined) return inline;
  return readFile(file, 'utf8').catch((error: Error) => {
    throw usageError(`cannot read --notes-file ${file}: ${error.message}`);
  });
}

const NOTES_OPTIONS: Record<string, OptionSpec> = {
  notes: { type: 'string', help: 'release notes (Markdown)' },
  'notes-file': { type: 'string', value: 'file', help: 'read the notes from a file' },
};

export const releasesList: Command = {
  words: ['releases', 'list'],
  summary: 'List an app\'s releases, newest version first.',
  options: {
    app: APP_OPTION,
    status: { type: 'string', value: 'draft|published|archived|all', help: 'only these (default all)' },
    channel: { type: 'string', help: 'only this channel' },
    limit: { type: 'string', value: 'n', help: 'at most n (default 20, at most 100)' },
  },
  async run(ctx, values) {
    const query = {
      ...(text(values, 'status') ? { status: text(values, 'status') } : {}),
      ...(text(values, 'channel') ? { channel: text(values, 'channel') } : {}),
      ...(text(values, 'limit') ? { limit: text(values, 'limit') } : {}),
    };
    checkBody(listReleasesQuerySchema, query);
    const body = await (await ctx.client()).get(releasePath(values), releaseListSchema, query);
    ctx.out.result(body, ({ releases, total }) =>
      `${table(
        ['VERSION', 'STATUS', 'CHANNEL', 'ROLLOUT', 'PUBLISHED', 'ARTIFACTS'],
        releases.map((r) => [r.version, `${r.status}${r.yanked_at ? ' (yanked)' : ''}`, r.channel, `${r.rollout_percent}%`, formatTime(r.pub_date), r.artifacts.length]),
      )}${total > releases.length ? `\n(${releases.length} of ${total}; --limit for more)` : ''}`,
    );
  },
};

export const releasesShow: Command = {
  words: ['releases', 'show'],
  summary: 'Show one release with its artifacts.',
  positionals: ['<version>'],
  options: { app: APP_OPTION },
  async run(ctx, values, [version]) {
    ctx.out.result(await (await ctx.client()).get(releasePath(values, version!), releaseSchema), describeRelease);
  },
};

export const releasesCreate: Command = {
  words: ['releases', 'create'],
  summary: 'Create a draft release.',
  positionals: ['<version>'],
  mutating: true,
  options: {
    app: APP_OPTION,
    ...NOTES_OPTIONS,
    channel: { type: 'string', help: 'release channel (default stable)' },
    rollout: { type: 'string', value: 'percent', help: 'share of installs offered it once published (default 100)' },
  },
  async run(ctx, values, [version]) {
    const notes = await notesOf(values);
    const rollout = text(values, 'rollout');
    const body = checkBody(createReleaseBodySchema, {
      version,
      ...(notes !== undefined ? { notes } : {}),
      ...(text(values, 'channel') ? { channel: text(values, 'channel') } : {}),
      ...(rollout !== undefined ? { rollout_percent: percent(rollout) } : {}),
    });
    const created = await (await ctx.client()).send('POST', releasePath(values), body, releaseSchema);
    if (created) ctx.out.result(created, (r) => `created draft ${r.version}\n${describeRelease(r)}`);
  },
};

function percent(value: string): number {
  if (!/^\d{1,3}$/.test(value) || Number(value) > 100) throw usageError(`the rollout must be a whole percentage from 0 to 100, not ${JSON.stringify(value)}`);
  return Number(value);
}

const statusCommand = (endpoint: 'publish' | 'archive', summary: string): Command => ({
  words: ['releases', endpoint],
  summary,
  positionals: ['<version>'],
  mutating: true,
  options: { app: APP_OPTION },
  async run(ctx, values, [version]) {
    const release = await (await ctx.client()).send('POST', releasePath(values, version!, endpoint), undefined, releaseSchema);
    if (release) ctx.out.result(release, (r) => `${endpoint === 'publish' ? 'published' : 'archived'} ${r.version}\n${describeRelease(r)}`);
  },
});

export const releasesPublish = statusCommand('publish', 'Publish a draft (every artifact must be verified), or an archived release again.');
export const releasesArchive = statusCommand('archive', 'Archive a published release: no longer offered to anyone.');

export const releasesYank = {
  words: ['releases', 'yank'],
  summary: 'Withdraw a release: archived, and installs on it are offered the replacement (even a lower version).',
  positionals: ['<version>'],
  mutating: true,
  options: {
    app: APP_OPTION,
    replacement: { type: 'string', value: 'version', help: 'published release to offer installs on the yanked one' },
    reason: { type: 'string', help: 'kept in the audit log' },
  },
  async run(ctx, values, [version]) {
    const body = checkBody(yankReleaseBodySchema, {
      ...(text(values, 'replacement') ? { replacement: text(values, 'replacement') } : {}),
      ...(text(values, 'reason') ? { reason: text(values, 'reason') } : {}),
    });
    const release = await (await ctx.client()).send('POST', releasePath(values, version!, 'yank'), body, releaseSchema);
    if (release) ctx.out.result(release, (r) => `yanked ${r.version}\n${describeRelease(r)}`);
  },
} satisfies Command;

export const releasesRollout: Command = {
  words: ['releases', 'rollout'],
  summary: 'Set the share of installs offered a release.',
  positionals: ['<version>', '<percent>'],
  mutating: true,
  options: { app: APP_OPTION },
  async run(ctx, values, [version, share]) {
    const body = checkBody(updateReleaseBodySchema, { rollout_percent: percent(share!.replace(/%$/, '')) });
    const release = await (await ctx.client()).send('PATCH', releasePath(values, version!), body, releaseSchema);
    if (release) ctx.out.result(release, (r) => `${r.version} is offered to ${r.rollout_percent}% of installs`);
  },
};

export const releasesNotes: Command = {
  words: ['releases', 'notes'],
  summary: 'Replace a release\'s notes (shown to users by the updater).',
  positionals: ['<version>'],
  mutating: true,
  options: { app: APP_OPTION, ...NOTES_OPTIONS, clear: { type: 'boolean', help: 'remove the notes' } },
  async run(ctx, values, [version]) {
    const notes = await notesOf(values);
    if ((notes === undefined) === !values.clear) throw usageError('pass --notes, --notes-file or --clear');
    const body = checkBody(updateReleaseBodySchema, { notes: values.clear ? null : notes });
    const release = await (await ctx.client()).send('PATCH', releasePath(values, version!), body, releaseSchema);
    if (release) ctx.out.result(release, (r) => `notes of ${r.version} updated\n${describeRelease(r)}`);
  },
};
