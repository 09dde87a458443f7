/**
 * @module cli/commands/doctor
 * `doctor --app A [--config tauri.conf.json]`: the checks of doctor.ts, printed one per line with what to do, and
 * exit 1 when any is a problem. `doctor --apple`: the Apple credentials checks sign-apple's `mode: diagnose` runs
 * (actions/sign-apple/src/diagnose.ts), offline, from the variables Tauri and the actions read.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { type AppleCredentials, diagnoseApple, findingLines } from '../../../../actions/sign-apple/src/diagnose.ts';
import { decodeApiKey } from '../../../../actions/shared/src/apple-credentials.ts';
import { decodeBase64 } from '../../../../actions/shared/src/files.ts';
import { silentLogger } from '../../../../actions/shared/src/logger.ts';
import { Secret } from '../../../../actions/shared/src/secret.ts';
import { createRunner } from '../../../../actions/shared/src/spawn.ts';
import { licensingSchema } from '../../protocol/licensing.ts';
import { appSchema, releaseListSchema } from '../../protocol/schemas.ts';
import { type Command, type Context, must, text, type Values } from '../args.ts';
import { CliError, EXIT_OK, EXIT_REFUSED, ServerRefusal, usageError } from '../errors.ts';
import { path } from '../http.ts';
import { type Finding, readTauriConfig, runDoctor } from '../doctor.ts';

const DEFAULT_CONFIGS = ['src-tauri/tauri.conf.json', 'tauri.conf.json'];
const MARK: Record<Finding['status'], string> = { ok: 'ok     ', problem: 'PROBLEM', skipped: 'skipped' };

export const doctor: Command = {
  words: ['doctor'],
  summary: 'Check an app\'s whole update setup: tauri.conf.json, the server, the endpoints and the signing key.',
  options: {
    app: { type: 'string', value: 'app', help: 'slug of the app on the server (required without --apple)' },
    apple: { type: 'boolean', help: 'check the Apple signing and notarization credentials instead (offline; see below)' },
    p12: { type: 'string', value: 'file', help: 'with --apple: the .p12 (default: APPLE_CERTIFICATE, base64)' },
    p8: { type: 'string', value: 'file', help: 'with --apple: the App Store Connect .p8 (default: APPLE_API_KEY_PATH)' },
    config: { type: 'string', value: 'file', help: `the app's tauri.conf.json (default: ${DEFAULT_CONFIGS.join(' or ')})` },
    'tauri-cli': { type: 'string', value: 'command', help: 'how to run the Tauri CLI for the signing probe (default: @tauri-apps/cli from node_modules)' },
  },
  details: [
    'Checks: pubkey (equals the server\'s key), updater-artifacts (bundle.createUpdaterArtifacts), endpoints (each answers',
    '200/204 for the app\'s platforms; 401 license_required for a licensed app), failover (a static latest.json second;',
    'none for a licensed app, which has none), signing-key (TAURI_SIGNING_PRIVATE_KEY',
    'and _PASSWORD sign a probe that verifies against the pubkey; skipped when unset), version (newer than the latest',
    'published). Exit 0 only when nothing is wrong, 1 when something is.',
    '',
    '--apple checks, with openssl and without a server: the .p12 opens with APPLE_CERTIFICATE_PASSWORD (older Keychain',
    'exports too) and holds a key; it is a Developer ID Application certificate, not expired (days left); its team matches',
    'APPLE_TEAM_ID and APPLE_SIGNING_IDENTITY; the .p8 is an ES256 key that signs a 20-minute App Store Connect token',
    'with APPLE_API_KEY (the Key ID) and APPLE_API_ISSUER. Each problem is printed with its fix.',
  ].join('\n'),
  async run(ctx, values) {
    if (values.apple === true) return appleDoctor(ctx, values);
    const slug = must(values, 'app');
    const configPath = text(values, 'config') ?? DEFAULT_CONFIGS.find((candidate) => existsSync(candidate));
    if (!configPath) throw usageError(`no ${DEFAULT_CONFIGS.join(' or ')} here; pass --config path/to/tauri.conf.json`);
    const { config, version } = await readTauriConfig(configPath);
    const client = await ctx.client();
    const app = await client.get(path('/admin/apps', slug), appSchema);
    const { releases } = await client.get(path('/admin/apps', app.slug, 'releases'), releaseListSchema, { limit: 20 });
    // Licensing is admin-only: a ci key gets 403, and the endpoint probes tell instead.
    const licensed = await client.get(path('/admin/apps', app.slug, 'licensing'), licensingSchema).then(
      (licensing) => licensing.mode === 'licensed',
      (error: unknown) => {
        if (error instanceof ServerRefusal && error.status === 403) return null;
        throw error;
      },
    );
    const findings = await runDoctor({ configPath, config, version, serverUrl: client.url, app, licensed, releases, env: ctx.env, tauriCli: text(values, 'tauri-cli') ?? null });
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

async function appleDoctor(ctx: Context, values: Values): Promise<number> {
  const env = (name: string) => ctx.env[name]?.trim() || undefined;
  const readOrFail = async (file: string, option: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw usageError(`cannot read ${option} ${file}: ${(error as Error).message}`);
    }
  };
  const p12File = text(values, 'p12');
  const p12Base64 = env('APPLE_CERTIFICATE');
  const p8File = text(values, 'p8') ?? env('APPLE_API_KEY_PATH');
  const password = env('APPLE_CERTIFICATE_PASSWORD');
  let creds: AppleCredentials;
  try {
    creds = {
      ...(p12File ? { p12: await readOrFail(p12File, '--p12') } : p12Base64 ? { p12: decodeBase64(p12Base64, 'APPLE_CERTIFICATE', 'base64 -i certificate.p12') } : {}),
      ...(password ? { p12Password: new Secret('APPLE_CERTIFICATE_PASSWORD', password) } : {}),
      ...(p8File ? { p8: decodeApiKey(new Secret('the .p8', (await readOrFail(p8File, '--p8')).toString('utf8')), () => {}) } : {}),
      ...Object.fromEntries(
        ([['identity', 'APPLE_SIGNING_IDENTITY'], ['teamId', 'APPLE_TEAM_ID'], ['keyId', 'APPLE_API_KEY'], ['issuer', 'APPLE_API_ISSUER']] as const)
          .flatMap(([key, name]) => (env(name) ? [[key, env(name)]] : [])),
      ),
    };
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw usageError((error as Error).message);
  }
  const findings = await diagnoseApple(creds, { run: createRunner(silentLogger), tempRoot: tmpdir() });
  const problems = findings.filter((f) => f.status === 'problem').length;
  ctx.out.result({ apple: true, ok: problems === 0, problems, findings }, (r) =>
    [...findingLines(r.findings), '', r.ok ? 'no problems found in the Apple credentials' : `${r.problems} problem${r.problems === 1 ? '' : 's'} found in the Apple credentials`].join('\n'),
  );
  return problems === 0 ? EXIT_OK : EXIT_REFUSED;
}
