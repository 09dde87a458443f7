/**
 * @module cli/commands/artifacts
 * `artifacts list|delete` over `/admin/apps/{app}/releases/{version}/artifacts`. Uploading is `upload` (upload.ts),
 * which also finds, checks and registers them. An artifact is named by its id or its file name.
 */
import { artifactListSchema } from '../../protocol/schemas.ts';
import { type Command, must } from '../args.ts';
import { localRefusal } from '../errors.ts';
import { path } from '../http.ts';
import { formatSize, table } from '../output.ts';
import { APP_OPTION } from './releases.ts';

export const artifactsList: Command = {
  words: ['artifacts', 'list'],
  summary: 'List a release\'s artifacts.',
  positionals: ['<version>'],
  options: { app: APP_OPTION },
  async run(ctx, values, [version]) {
    const body = await (await ctx.client()).get(path('/admin/apps', must(values, 'app'), 'releases', version!, 'artifacts'), artifactListSchema);
    ctx.out.result(body, ({ artifacts }) =>
      table(
        ['ID', 'PLATFORM', 'BUNDLE', 'FILE', 'SIZE', 'DEFAULT', 'VERIFIED KEY'],
        artifacts.map((a) => [a.id, a.platform, a.bundle, a.file_name, formatSize(a.size), a.is_default ? 'yes' : '', a.verified_key_id ?? `not verified (${a.state})`]),
        'no artifacts',
      ),
    );
  },
};

export const artifactsDelete: Command = {
  words: ['artifacts', 'delete'],
  summary: 'Delete an artifact of a draft release (with its stored file).',
  positionals: ['<version>', '<artifact>'],
  mutating: true,
  options: { app: APP_OPTION },
  details: '<artifact> is the artifact\'s id or its file name.',
  async run(ctx, values, [version, artifact]) {
    const client = await ctx.client();
    const base = path('/admin/apps', must(values, 'app'), 'releases', version!, 'artifacts');
    const { artifacts } = await client.get(base, artifactListSchema);
    const target = artifacts.find((a) => a.id === artifact || a.file_name === artifact);
    if (!target) throw localRefusal('not_found', `release ${version} has no artifact ${JSON.stringify(artifact)}; it has ${artifacts.map((a) => a.file_name).join(', ') || 'none'}`);
    const done = await client.send('DELETE', path(base, target.id), undefined, null);
    if (done === null && ctx.dryRun) return;
    ctx.out.result({ deleted: target }, ({ deleted }) => `deleted ${deleted.file_name} (${deleted.platform}) from ${version}`);
  },
};
