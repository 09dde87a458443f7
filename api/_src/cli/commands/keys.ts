/**
 * @module cli/commands/keys
 * `keys list|create|revoke` over `/admin/keys`. Keys are listed by prefix only (the server stores no more). A new
 * key is the one secret the CLI ever prints, once, because the server shows it only in that answer; `--out FILE`
 * writes it to a 0600 file instead, so it never reaches the terminal or a CI log.
 */
import { writeFile } from 'node:fs/promises';
import { apiKeyListSchema, apiKeySchema, appListSchema, createApiKeyBodySchema, createdApiKeySchema } from '../../protocol/schemas.ts';
import { checkBody, type Command, text } from '../args.ts';
import { localRefusal, usageError } from '../errors.ts';
import { checkKeyFile } from '../key-file.ts';
import { path } from '../http.ts';
import { fields, formatTime, table } from '../output.ts';

export const keysList: Command = {
  words: ['keys', 'list'],
  summary: 'List API keys (prefix, scope, app, last use).',
  options: { app: { type: 'string', value: 'app', help: 'only keys of this app' } },
  async run(ctx, values) {
    const app = text(values, 'app');
    const client = await ctx.client();
    const body = await client.get('/admin/keys', apiKeyListSchema, app ? { app } : {});
    const slugs = new Map((await client.get('/admin/apps', appListSchema)).apps.map((a) => [a.id, a.slug]));
    ctx.out.result(body, ({ keys }) =>
      table(
        ['ID', 'NAME', 'PREFIX', 'SCOPE', 'APP', 'LAST USED', 'REVOKED'],
        keys.map((k) => [k.id, k.name, `${k.key_prefix}…`, k.scope, k.app_id ? (slugs.get(k.app_id) ?? k.app_id) : 'all', formatTime(k.last_used_at), formatTime(k.revoked_at)]),
      ),
    );
  },
};

export const keysCreate: Command = {
  words: ['keys', 'create'],
  summary: 'Create an API key; it is shown once.',
  mutating: true,
  options: {
    name: { type: 'string', help: 'what the key is for', required: true },
    scope: { type: 'string', value: 'admin|ci', help: 'admin: everything; ci: drafts and uploads only', required: true },
    app: { type: 'string', value: 'app', help: 'the only app the key may touch (default: every app)' },
    out: { type: 'string', value: 'file', help: 'write the key to this file (mode 0600) instead of printing it' },
  },
  async run(ctx, values) {
    const body = checkBody(createApiKeyBodySchema, {
      name: text(values, 'name'),
      scope: text(values, 'scope'),
      ...(text(values, 'app') ? { app: text(values, 'app') } : {}),
    });
    await checkKeyFile(text(values, 'out'));
    const created = await (await ctx.client()).send('POST', '/admin/keys', body, createdApiKeySchema);
    if (!created) return;
    const out = text(values, 'out');
    const { key, ...metadata } = created;
    if (out) {
      await writeFile(out, `${key}\n`, { mode: 0o600, flag: 'wx' }).catch((error: Error) => {
        throw usageError(`the key was created (id ${metadata.id}) but could not be written to ${out}: ${error.message}; revoke it with tauri-release keys revoke ${metadata.id}`);
      });
      ctx.out.result({ ...metadata, key_file: out }, (k) => `created key ${k.name} (${k.key_prefix}…, ${k.scope}); written to ${k.key_file}`);
      return;
    }
    ctx.out.note('The key is shown only this once: store it now (or use --out FILE next time).');
    ctx.out.result(created, (k) => fields([['id', k.id], ['name', k.name], ['scope', k.scope], ['app', k.app_id ?? 'every app'], ['key', k.key]]));
  },
};

export const keysRevoke: Command = {
  words: ['keys', 'revoke'],
  summary: 'Revoke an API key at once.',
  positionals: ['<id-or-prefix>'],
  mutating: true,
  details: 'Name the key by its id or its prefix as `keys list` shows it (trk_abcdefgh).',
  async run(ctx, _values, [which]) {
    const client = await ctx.client();
    const wanted = which!.replace(/…$/, '');
    const { keys } = await client.get('/admin/keys', apiKeyListSchema);
    const matches = keys.filter((k) => k.id === wanted || k.key_prefix === wanted);
    if (matches.length === 0) throw localRefusal('not_found', `no key with id or prefix ${JSON.stringify(wanted)}; see tauri-release keys list`);
    if (matches.length > 1) throw usageError(`${JSON.stringify(wanted)} names ${matches.length} keys; pass the id`);
    const revoked = await client.send('DELETE', path('/admin/keys', matches[0]!.id), undefined, apiKeySchema);
    if (revoked) ctx.out.result(revoked, (k) => `revoked ${k.name} (${k.key_prefix}…) at ${formatTime(k.revoked_at)}`);
  },
};
