/**
 * @module cli/commands/doctor
 * `doctor --app A [--config tauri.conf.json]`: the checks of doctor.ts, printed one per line with what to do, and
 * exit 1 when any is a problem.
 */
import { existsSync } from 'node:fs';
import { appSchema, releaseListSchema } from '../../protocol/schemas.ts';
import { type Command, must, text } from '../args.ts';
import { EXIT_OK, EXIT_REFUSED, usageError } from '../errors.ts';
import { path } from '../http.ts';
import { type Finding, readTauriConfig, runDoctor } from '../doctor.ts';

const DEFAULT_CONFIGS = ['src-tauri/tauri.conf.json', 'tauri.conf.json'];
const MARK: Record<Finding['status'], string> = { ok: 'ok     ', problem: 'PROBLEM', skipped: 'skipped' };

export const doctor: Command = {
  words: ['doctor'],
  summary: 'Check an app\'s whole update setup: tauri.conf.json, the server, the endpoints and the signing key.',
  options: {
    app: { type: 'string', value: 'app', help: 'slug of the app on the server', required: true },
    config: { type: 'string', value: 'file', help: `the app's tauri.conf.json (default: ${DEFAULT_CONFIGS.join(' or ')})` },
    'tauri-cli': { type: 'string', value: 'command', help: 'how to run the Tauri CLI for the signing probe (default: @tauri-apps/cli from node_modules)' },
  },
  details: [
    'Checks: pubkey (equals the server\'s key), updater-artifacts (bundle.createUpdaterArtifacts), endpoints (each answers',
    '200/204 for the app\'s platforms), failover (a static latest.json second), signing-key (TAURI_SIGNING_PRIVATE_KEY',
    'and _PASSWORD sign a probe that verifies against the pubkey; skipped when unset), version (newer than the latest',
    'published). Exit 0 only when nothing is wrong, 1 when something is.',
  ].join('\n'),
  async run(ctx, values) {
    const configPath = text(values, 'config') ?? DEFAULT_CONFIGS.find((candidate) => existsSync(candidate));
    if (!configPath) throw usageError(`no ${DEFAULT_CONFIGS.join(' or ')} here; pass --config path/to/tauri.conf.json`);
    const { config, version } = await readTauriConfig(configPath);
    const client = await ctx.client();
    const app = await client.get(path('/admin/apps', must(values, 'app')), appSchema);
    const { releases } = await client.get(path('/admin/apps', app.slug, 'releases'), releaseListSchema, { limit: 20 });
    const findings = await runDoctor({ configPath, config, version, serverUrl: client.url, app, releases, env: ctx.env, tauriCli: text(values, 'tauri-cli') ?? null });
    const problems = findings.filter((f) => f.status === 'problem').length;
    ctx.out.result({ app: app.slug, config: configPath, ok: problems === 0, problems, findings }, (r) =>
      [
        ...r.findings.map((f) => `${MARK[f.status]}  ${f.check}: ${f.message}${f.fix ? `\n         fix: ${f.fix}` : ''}`),
        '',
        r.ok ? `no problems found for ${r.app}` : `${r.problems} problem${r.problems === 1 ? '' : 's'} found for ${r.app}`,
      ].join('\n'),
    );
    return problems === 0 ? EXIT_OK : EXIT_REFUSED;
  },
};
