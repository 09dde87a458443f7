/**
 * @module cli/commands/apps
 * `apps list|create|show|set` over `/admin/apps`; `set` also switches the public download page and, for a licensed
 * app, whether its installers are open to everyone (README "Installers and download links"). Bodies are checked with the server's own schemas
 * (`createAppBodySchema`, `updateAppBodySchema`) before anything is sent, so a bad slug or public key is a usage
 * error naming the fix, the same words the server would answer.
 */
import { readFile } from 'node:fs/promises';
import { type AppBody, appListSchema, appSchema, createAppBodySchema, updateAppBodySchema } from '../../protocol/schemas.ts';
import { downloadPageUrl } from '../../protocol/endpoints.ts';
import { checkBody, type Command, onOff, text, type Values } from '../args.ts';
import { usageError } from '../errors.ts';
import { path } from '../http.ts';
import { fields, formatTime, table } from '../output.ts';

const describeApp = (app: AppBody, server: string) =>
  fields([
    ['slug', app.slug],
    ['name', app.name],
    ['description', app.description],
    ['public key id', app.public_key_id ?? 'none: uploads are refused until one is set (apps set --public-key-file)'],
    ['releases', app.release_count],
    ['latest', app.latest_version],
    ['download page', app.download_page ? `on: ${downloadPageUrl(server, app.slug)}` : 'off'],
    ['public installers', app.public_installers ? 'on: a licensed app\'s installers need no license' : 'off'],
    ['created', formatTime(app.created_at)],
  ]);

/** --public-key or --public-key-file (the `.pub` file `tauri signer generate` wrote), trimmed. */
async function publicKeyOf(values: Values): Promise<string | undefined> {
  const inline = text(values, 'public-key');
  const file = text(values, 'public-key-file');
  if (inline !== undefined && file !== undefined) throw usageError('pass --public-key or --public-key-file, not both');
  if (file === undefined) return inline?.trim();
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw usageError(`cannot read --public-key-file ${file}: ${(error as Error).message}`);
  }
}

const KEY_OPTIONS = {
  'public-key': { type: 'string', value: 'base64', help: 'the updater public key, as in tauri.conf.json plugins.updater.pubkey' },
  'public-key-file': { type: 'string', value: 'file', help: 'the key.pub file tauri signer generate wrote' },
} as const;

export const appsList: Command = {
  words: ['apps', 'list'],
  summary: 'List the apps this key can see.',
  async run(ctx) {
    const body = await (await ctx.client()).get('/admin/apps', appListSchema);
    ctx.out.result(body, ({ apps }) =>
      table(['SLUG', 'NAME', 'LATEST', 'RELEASES', 'KEY ID'], apps.map((app) => [app.slug, app.name, app.latest_version, app.release_count, app.public_key_id])),
    );
  },
};

export const appsShow: Command = {
  words: ['apps', 'show'],
  summary: 'Show one app.',
  positionals: ['<app>'],
  async run(ctx, _values, [app]) {
    const client = await ctx.client();
    const body = await client.get(path('/admin/apps', app!), appSchema);
    ctx.out.result(body, (a) => describeApp(a, client.url));
  },
};

export const appsCreate: Command = {
  words: ['apps', 'create'],
  summary: 'Register an app.',
  positionals: ['<slug>'],
  mutating: true,
  options: {
    name: { type: 'string', help: 'display name', required: true },
    description: { type: 'string', help: 'a line about the app' },
    ...KEY_OPTIONS,
  },
  details: 'The slug is part of every installed copy\'s updater URL, so it never changes.',
  async run(ctx, values, [slug]) {
    const publicKey = await publicKeyOf(values);
    const body = checkBody(createAppBodySchema, {
      slug,
      name: text(values, 'name'),
      ...(text(values, 'description') !== undefined ? { description: text(values, 'description') } : {}),
      ...(publicKey !== undefined ? { public_key: publicKey } : {}),
    });
    const client = await ctx.client();
    const created = await client.send('POST', '/admin/apps', body, appSchema);
    if (created) ctx.out.result(created, (app) => `created app ${app.slug}\n${describeApp(app, client.url)}`);
  },
};

export const appsSet: Command = {
  words: ['apps', 'set'],
  summary: 'Change an app\'s name, description, updater public key, download page or public installers.',
  positionals: ['<app>'],
  mutating: true,
  options: {
    name: { type: 'string', help: 'new display name' },
    description: { type: 'string', help: 'new description ("" clears it)' },
    ...KEY_OPTIONS,
    'remove-public-key': { type: 'boolean', help: 'remove the key (nothing can be uploaded or published until a new one is set)' },
    'download-page': { type: 'string', value: 'on|off', help: 'the public download page /apps/<app>: latest stable version and a button per installer' },
    'public-installers': { type: 'string', value: 'on|off', help: 'licensed apps: on lets anyone download the installers without a license (updates still need one)' },
  },
  async run(ctx, values, [app]) {
    const publicKey = await publicKeyOf(values);
    if (publicKey !== undefined && values['remove-public-key']) throw usageError('pass a new public key or --remove-public-key, not both');
    const description = text(values, 'description');
    const downloadPage = onOff(values, 'download-page');
    const publicInstallers = onOff(values, 'public-installers');
    const body = checkBody(updateAppBodySchema, {
      ...(text(values, 'name') !== undefined ? { name: text(values, 'name') } : {}),
      ...(description !== undefined ? { description: description === '' ? null : description } : {}),
      ...(publicKey !== undefined ? { public_key: publicKey } : values['remove-public-key'] ? { public_key: null } : {}),
      ...(downloadPage !== undefined ? { download_page: downloadPage } : {}),
      ...(publicInstallers !== undefined ? { public_installers: publicInstallers } : {}),
    });
    if (Object.keys(body).length === 0) {
      throw usageError('nothing to change: pass --name, --description, --public-key(-file), --remove-public-key, --download-page or --public-installers');
    }
    const client = await ctx.client();
    const updated = await client.send('PATCH', path('/admin/apps', app!), body, appSchema);
    if (updated) ctx.out.result(updated, (a) => `updated app ${a.slug}\n${describeApp(a, client.url)}`);
  },
};
