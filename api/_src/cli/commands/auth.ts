/**
 * @module cli/commands/auth
 * `login`, `logout`, `whoami`. `login` checks the key against the server before storing it, so a typo is caught
 * at once rather than on the next command. The key is read from `--key`, `TAURI_RELEASE_KEY`, or stdin (a prompt
 * without echo on a terminal), and is never printed back: only its prefix.
 */
import { isApiKey } from '../../protocol/api-key-format.ts';
import { apiKeyListSchema, appListSchema } from '../../protocol/schemas.ts';
import { type Command, text } from '../args.ts';
import { checkApiKey, checkServerUrl, configPath, deleteStoredConfig, KEY_ENV, keyPrefix, writeStoredConfig } from '../config.ts';
import { ServerRefusal, usageError } from '../errors.ts';
import { Client } from '../http.ts';
import { fields } from '../output.ts';
import { readSecret } from '../secret-input.ts';

export const login: Command = {
  words: ['login'],
  summary: `Store the server URL and an API key in ${'$XDG_CONFIG_HOME'}/tauri-release/config.json (mode 0600), after checking them.`,
  options: {
    url: { type: 'string', value: 'server', help: 'base URL of the tauri-release server, e.g. https://updates.example.com', required: true },
    key: { type: 'string', value: 'trk_…', help: `API key (default: ${KEY_ENV}, else read from stdin; a prompt without echo on a terminal)` },
  },
  details: 'The key is checked with GET /admin/apps before it is stored; a key the server refuses is not stored.',
  async run(ctx, values) {
    const url = checkServerUrl(text(values, 'url')!, '--url');
    // An empty TAURI_RELEASE_KEY counts as unset, as everywhere else (config.ts): the key is then read from stdin.
    const key = (text(values, 'key') ?? (ctx.env[KEY_ENV]?.trim() || (await readSecret(ctx, 'API key')))).trim();
    if (!key) throw usageError(`no API key given: pass --key, set ${KEY_ENV}, or type it when asked`);
    checkApiKey(key, text(values, 'key') !== undefined ? '--key' : ctx.env[KEY_ENV]?.trim() ? KEY_ENV : 'stdin');
    const client = new Client({ url, key, out: ctx.out, dryRun: false });
    const { apps } = await client.get('/admin/apps', appListSchema);
    const path = await writeStoredConfig(ctx.env, { url, key });
    ctx.out.result({ url, key_prefix: keyPrefix(key), config_path: path, apps: apps.length }, (r) =>
      `logged in to ${r.url} with key ${r.key_prefix} (${r.apps} app${r.apps === 1 ? '' : 's'} visible); saved to ${r.config_path}`,
    );
  },
};

export const logout: Command = {
  words: ['logout'],
  summary: 'Delete the stored server URL and key.',
  async run(ctx) {
    const removed = await deleteStoredConfig(ctx.env);
    const path = configPath(ctx.env);
    ctx.out.result({ removed, config_path: path }, (r) => (r.removed ? `logged out: deleted ${r.config_path}` : `not logged in (no ${r.config_path})`));
  },
};

export const whoami: Command = {
  words: ['whoami'],
  summary: 'Show the server, the key (as its prefix) and what it may do.',
  async run(ctx) {
    const credentials = await ctx.credentials();
    const client = await ctx.client();
    const { apps } = await client.get('/admin/apps', appListSchema);
    let identity: { name: string | null; scope: string; app: string | null; key_id: string | null };
    if (!isApiKey(credentials.key)) {
      identity = { name: 'ADMIN_TOKEN', scope: 'admin', app: null, key_id: null };
    } else {
      try {
        const { keys } = await client.get('/admin/keys', apiKeyListSchema);
        const own = keys.find((key) => credentials.key.startsWith(key.key_prefix));
        const app = own?.app_id ? (apps.find((a) => a.id === own.app_id)?.slug ?? own.app_id) : null;
        identity = own ? { name: own.name, scope: own.scope, app, key_id: own.id } : { name: null, scope: 'admin', app: null, key_id: null };
      } catch (error) {
        // Only admin keys may list keys: a 403 here means a CI key.
        if (!(error instanceof ServerRefusal && error.status === 403)) throw error;
        identity = { name: null, scope: 'ci', app: apps.length === 1 ? apps[0]!.slug : null, key_id: null };
      }
    }
    const result = {
      url: credentials.url,
      url_from: credentials.urlFrom,
      key_prefix: keyPrefix(credentials.key),
      key_from: credentials.keyFrom,
      ...identity,
      apps: apps.map((app) => app.slug),
    };
    ctx.out.result(result, (r) =>
      fields([
        ['server', `${r.url} (from ${r.url_from === 'env' ? 'TAURI_RELEASE_URL' : 'config'})`],
        ['key', `${r.key_prefix} (from ${r.key_from === 'env' ? KEY_ENV : 'config'})`],
        ['name', r.name],
        ['scope', r.scope],
        ['app', r.app ?? 'every app'],
        ['apps visible', r.apps.join(', ')],
      ]),
    );
  },
};
