/**
 * @module cli/doctor
 * Checks an app's whole update setup, from its `tauri.conf.json` to what the server answers, as a table of named
 * checks. Each returns findings (`ok`, `problem` with what to do, or `skipped` with why); the command exits 0 only
 * when none is a problem. The checks, in order:
 *
 *   pubkey             plugins.updater.pubkey is a valid key and is the server's key for the app
 *   updater-artifacts  bundle.createUpdaterArtifacts is set, so `tauri build` writes the .sig files
 *   endpoints          every endpoint answers 200 or 204 (not 404) for each platform the app ships; for a licensed
 *                      app, a 401 `license_required` to this keyless probe is the right answer
 *   failover           a static latest.json is listed after the update endpoint; a licensed app has none, so none
 *                      may be listed (README "Why a 401 cannot fall through to an open copy")
 *   signing-key        TAURI_SIGNING_PRIVATE_KEY signs a probe that verifies against the pubkey
 *   version            the config's version is newer than the latest published release
 *
 * The suggested lines are the dashboard's own (api/_src/ui/client/tauri-config.ts), so both give the same advice.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveTauriCli, signUpdaterArtifact, type TauriCli } from '../../../actions/sign-windows/src/tauri-signer.ts';
import { silentLogger } from '../../../actions/shared/src/logger.ts';
import { Secret } from '../../../actions/shared/src/secret.ts';
import { createRunner } from '../../../actions/shared/src/spawn.ts';
import { parseTauriPublicKey } from '../protocol/minisign-key.ts';
import { SignatureError, verifySignatureOfStream } from '../protocol/minisign.ts';
import { PROBE_HEADER } from '../protocol/probe.ts';
import { parsePlatformKey } from '../protocol/platforms.ts';
import type { AppBody, ReleaseSummaryBody } from '../protocol/schemas.ts';
import { compareVersions, safeParseVersion } from '../protocol/semver.ts';
import { dynamicUpdateUrl, staticManifestUrl } from '../protocol/endpoints.ts';
import { describeNoAnswer, refusalOf } from '../client/json-client.ts';
import { usageError } from './errors.ts';

export type FindingStatus = 'ok' | 'problem' | 'skipped';

export interface Finding {
  check: CheckName;
  status: FindingStatus;
  message: string;
  /** What to do; set on every problem. */
  fix?: string;
}

export const CHECK_NAMES = ['pubkey', 'updater-artifacts', 'endpoints', 'failover', 'signing-key', 'version'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** What the checks read: the config as parsed, and what the server said about the app. */
export interface DoctorInput {
  configPath: string;
  config: TauriConfig;
  /** The version the app is built with: `version` of the config, of the package.json it points to, or of Cargo.toml. */
  version: string | null;
  serverUrl: string;
  app: AppBody;
  /** Whether the app is licensed; null when this key may not read it (then a probe answering `license_required` says so). */
  licensed: boolean | null;
  /** The app's releases, newest version first (for platforms and the latest published version). */
  releases: readonly ReleaseSummaryBody[];
  env: Readonly<Record<string, string | undefined>>;
  fetch?: typeof fetch;
  /** `--tauri-cli`: how to run the Tauri CLI for the signing probe (default: @tauri-apps/cli from node_modules). */
  tauriCli?: string | null;
}

/** The parts of a Tauri 2 config the checks read; everything else is ignored. */
export interface TauriConfig {
  version?: unknown;
  bundle?: { createUpdaterArtifacts?: unknown };
  plugins?: { updater?: { pubkey?: unknown; endpoints?: unknown } };
}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROBE_TIMEOUT_MS = 10_000;

/** tauri.conf.json (JSON only: tauri.conf.json5 and Tauri.toml need their own parsers) and the app's version. */
export async function readTauriConfig(path: string): Promise<{ config: TauriConfig; version: string | null }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw usageError(`cannot read ${path}: ${(error as Error).message}; pass --config path/to/tauri.conf.json`);
  }
  let config: TauriConfig;
  try {
    config = JSON.parse(text) as TauriConfig;
  } catch (error) {
    throw usageError(`${path} is not JSON (${(error as Error).message}); doctor reads tauri.conf.json, not .json5 or Tauri.toml`);
  }
  if (typeof config !== 'object' || config === null) throw usageError(`${path} is not a Tauri config object`);
  return { config, version: await versionOf(path, config) };
}

/** Tauri's rule: `version` is the version, or a path to a package.json holding it; absent, Cargo.toml's. */
async function versionOf(path: string, config: TauriConfig): Promise<string | null> {
  const dir = dirname(resolve(path));
  if (typeof config.version === 'string') {
    if (!config.version.endsWith('.json')) return config.version;
    const pkg = await readFile(resolve(dir, config.version), 'utf8').then((t) => JSON.parse(t) as { version?: unknown }, () => null);
    return typeof pkg?.version === 'string' ? pkg.version : null;
  }
  const cargo = await readFile(join(dir, 'Cargo.toml'), 'utf8').catch(() => '');
  return /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/ms.exec(cargo)?.[1] ?? null;
}

const ok = (check: CheckName, message: string): Finding => ({ check, status: 'ok', message });
const problem = (check: CheckName, message: string, fix: string): Finding => ({ check, status: 'problem', message, fix });
const skipped = (check: CheckName, message: string): Finding => ({ check, status: 'skipped', message });

const endpointsOf = (config: TauriConfig): string[] | null => {
  const endpoints = config.plugins?.updater?.endpoints;
  return Array.isArray(endpoints) && endpoints.every((e) => typeof e === 'string') ? (endpoints as string[]) : null;
};

const isStaticManifest = (url: string) => !url.includes('{{') && /\/latest\.json(\?|$)/.test(url);

function checkPubkey(input: DoctorInput): Finding[] {
  const { app, config } = input;
  const pubkey = config.plugins?.updater?.pubkey;
  const fixServer = `tauri-release apps set ${app.slug} --public-key-file <key.pub>`;
  if (typeof pubkey !== 'string' || pubkey.trim() === '') {
    return [problem('pubkey', `${input.configPath} has no plugins.updater.pubkey, so the app cannot verify any update`, app.public_key ? `set plugins.updater.pubkey to the server's key for ${app.slug}: ${app.public_key}` : `generate a key (npx tauri signer generate -w updater.key), put updater.key.pub's content in plugins.updater.pubkey, and run ${fixServer}`)];
  }
  const parsed = parseTauriPublicKey(pubkey);
  if (!parsed.ok) return [problem('pubkey', `plugins.updater.pubkey is not usable: ${parsed.reason}`, 'paste the content of the .pub file tauri signer generate wrote')];
  if (!app.public_key) return [problem('pubkey', `the server has no public key for ${app.slug}, so it refuses every upload`, `${fixServer} (the same key as plugins.updater.pubkey, id ${parsed.key.keyId})`)];
  const server = parseTauriPublicKey(app.public_key);
  const same = server.ok && server.key.keyId === parsed.key.keyId && Buffer.from(server.key.publicKey).equals(Buffer.from(parsed.key.publicKey));
  if (!same) {
    return [problem('pubkey', `plugins.updater.pubkey is key ${parsed.key.keyId}, but the server verifies ${app.slug}'s uploads with key ${app.public_key_id}: installed apps would refuse every update the server serves`, `set plugins.updater.pubkey to the server's key (${app.public_key}), or, if the config is right, ${fixServer}`)];
  }
  return [ok('pubkey', `plugins.updater.pubkey is the server's key for ${app.slug} (${parsed.key.keyId})`)];
}

function checkUpdaterArtifacts(input: DoctorInput): Finding[] {
  const value = input.config.bundle?.createUpdaterArtifacts;
  if (value === true || value === 'v1Compatible') return [ok('updater-artifacts', `bundle.createUpdaterArtifacts is ${JSON.stringify(value)}`)];
  return [problem('updater-artifacts', `bundle.createUpdaterArtifacts is ${value === undefined ? 'not set' : JSON.stringify(value)}, so tauri build writes no updater bundles or .sig files`, 'set "bundle": {"createUpdaterArtifacts": true} in tauri.conf.json')];
}

/** The (platform, bundle) pairs the app ships: of the newest published release, else the newest with artifacts. */
function probesOf(releases: readonly ReleaseSummaryBody[]): { os: string; arch: string; bundle: string | null }[] {
  const source = releases.find((r) => r.status === 'published' && r.artifacts.length) ?? releases.find((r) => r.artifacts.length);
  const pairs = source ? source.artifacts.map((a) => ({ key: a.platform, bundle: a.bundle })) : [{ key: 'linux-x86_64', bundle: null }];
  const seen = new Set<string>();
  return pairs.flatMap(({ key, bundle }) => {
    const platform = parsePlatformKey(key);
    const id = `${key} ${bundle}`;
    if (!platform || seen.has(id)) return [];
    seen.add(id);
    return [{ ...platform, bundle }];
  });
}

async function probe(input: DoctorInput, url: string): Promise<{ status: number | null; code: string | null; detail: string }> {
  try {
    const res = await (input.fetch ?? fetch)(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), headers: { accept: 'application/json', [PROBE_HEADER]: 'doctor' } });
    const body = await res.text();
    const error = res.ok ? null : (refusalOf(res.status, body).body?.error ?? null);
    return { status: res.status, code: error?.code ?? null, detail: error?.message ?? '' };
  } catch (error) {
    return { status: null, code: null, detail: describeNoAnswer(error) };
  }
}

/** The endpoints' findings, and whether a probe was told the app is licensed (for a key that may not read its mode). */
async function checkEndpoints(input: DoctorInput): Promise<{ findings: Finding[]; toldLicensed: boolean }> {
  const endpoints = endpointsOf(input.config);
  const suggested = dynamicUpdateUrl(input.serverUrl, input.app.slug);
  if (!endpoints || endpoints.length === 0) {
    const lines = input.licensed ? `"${suggested}"` : `"${suggested}", "${staticManifestUrl(input.serverUrl, input.app.slug)}"`;
    return { findings: [problem('endpoints', 'plugins.updater.endpoints is missing or empty: the app never checks for updates', `set plugins.updater.endpoints to [${lines}]`)], toldLicensed: false };
  }
  const findings: Finding[] = [];
  let toldLicensed = false;
  for (const endpoint of endpoints) {
    // A licensed app has no static latest.json: the failover check says so, once.
    if (input.licensed && isStaticManifest(endpoint)) continue;
    const urls = isStaticManifest(endpoint)
      ? [{ url: endpoint, label: 'static manifest' }]
      : probesOf(input.releases).map(({ os, arch, bundle }) => ({
          url: endpoint
            .replaceAll('{{target}}', os)
            .replaceAll('{{arch}}', arch)
            .replaceAll('{{current_version}}', '0.0.0')
            .replaceAll('{{bundle_type}}', bundle ?? ''),
          label: `${os}-${arch}${bundle ? ` ${bundle}` : ''}`,
        }));
    for (const { url, label } of urls) {
      const answer = await probe(input, url);
      if (answer.code === 'license_required' || answer.code === 'app_licensed') toldLicensed = true;
      if (answer.status === 200 || answer.status === 204) {
        findings.push(ok('endpoints', `${url} answers ${answer.status} (${label})`));
      } else if (answer.code === 'license_required') {
        findings.push(ok('endpoints', `${url} answers 401 license_required (${label}): ${input.app.slug} is licensed, and installs send their key (Authorization: License <key>)`));
      } else if (answer.code === 'app_licensed') {
        continue; // the failover check names it
      } else {
        const what = answer.status === null ? `cannot be reached (${answer.detail})` : `answers ${answer.status}${answer.detail ? `: ${answer.detail}` : ''}`;
        const fix = answer.status === 404 && !isStaticManifest(endpoint)
          ? `the URL names an app or route this server does not have; use ${suggested}`
          : answer.status === 404
            ? `publish a release fully rolled out on the stable channel, or use ${staticManifestUrl(input.serverUrl, input.app.slug)}`
            : 'check the host name and that the server is up; installed apps fall through to the next endpoint';
        findings.push(problem('endpoints', `${url} ${what} (${label})`, fix));
      }
    }
  }
  return { findings, toldLicensed };
}

function checkFailover(input: DoctorInput, licensed: boolean): Finding[] {
  const endpoints = endpointsOf(input.config) ?? [];
  const index = endpoints.findIndex(isStaticManifest);
  const suggested = staticManifestUrl(input.serverUrl, input.app.slug);
  if (licensed) {
    if (index === -1) return [ok('failover', `no static latest.json is listed, as none should be: ${input.app.slug} is licensed, and a check it refuses must not fall through to an open copy`)];
    return [problem('failover', `${endpoints[index]} is listed, but ${input.app.slug} is licensed and has no static latest.json (it answers 404 app_licensed)`, `remove it from plugins.updater.endpoints: a licensed app lists only ${dynamicUpdateUrl(input.serverUrl, input.app.slug)}`)];
  }
  if (index > 0) return [ok('failover', `${endpoints[index]} is listed after the update endpoint, so installed apps still update while this server is down`)];
  if (index === 0) {
    return [problem('failover', `the static manifest ${endpoints[0]} is the first endpoint, so rollouts, channels and bundle types are bypassed`, `list ${dynamicUpdateUrl(input.serverUrl, input.app.slug)} first and the latest.json second`)];
  }
  return [problem('failover', 'no static latest.json is listed as a second endpoint: when the server is down no installed app can update', `add "${suggested}" to plugins.updater.endpoints after the update endpoint (with S3/R2, prefer the bucket's public URL of ${input.app.slug}/latest.json)`)];
}

/** Resolves the Tauri CLI from the project's node_modules, else this CLI's own (it depends on @tauri-apps/cli). */
async function tauriCli(spec: string | null): Promise<TauriCli> {
  const found = await resolveTauriCli(spec, process.cwd());
  return found.command === 'cargo' && !spec ? resolveTauriCli(null, REPO_ROOT) : found;
}

async function checkSigningKey(input: DoctorInput): Promise<Finding[]> {
  const given = input.env.TAURI_SIGNING_PRIVATE_KEY?.trim();
  if (!given) {
    return [skipped('signing-key', 'TAURI_SIGNING_PRIVATE_KEY is not set here, so the private key was not checked (set it, and TAURI_SIGNING_PRIVATE_KEY_PASSWORD, to check it)')];
  }
  const pubkey = input.config.plugins?.updater?.pubkey;
  if (typeof pubkey !== 'string' || !parseTauriPublicKey(pubkey).ok) return [skipped('signing-key', 'no valid plugins.updater.pubkey to check the private key against')];
  // `tauri build` takes the key's content or a path to it; `tauri signer sign` reads only content from the variable.
  let privateKey = given;
  if (existsSync(given)) {
    try {
      privateKey = (await readFile(given, 'utf8')).trim();
    } catch (error) {
      return [problem('signing-key', `TAURI_SIGNING_PRIVATE_KEY names ${given}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'set TAURI_SIGNING_PRIVATE_KEY to the key file tauri signer generate wrote (or to its content)')];
    }
  }
  const password = input.env.TAURI_SIGNING_PRIVATE_KEY_PASSWORD;
  const dir = await mkdtemp(join(tmpdir(), 'tauri-release-doctor-'));
  try {
    const file = join(dir, 'probe.bin');
    await writeFile(file, `tauri-release doctor probe ${Date.now()}\n`);
    const sigPath = await signUpdaterArtifact(createRunner(silentLogger), await tauriCli(input.tauriCli ?? null), file, {
      privateKey: new Secret('TAURI_SIGNING_PRIVATE_KEY', privateKey),
      password: password ? new Secret('TAURI_SIGNING_PRIVATE_KEY_PASSWORD', password) : null,
      appVersion: input.version,
    });
    const signature = await readFile(sigPath, 'utf8');
    const verified = await verifySignatureOfStream(createReadStream(file), signature, pubkey);
    return [ok('signing-key', `TAURI_SIGNING_PRIVATE_KEY signs with key ${verified.keyId}, the pubkey's pair`)];
  } catch (error) {
    if (error instanceof SignatureError) {
      return [problem('signing-key', `TAURI_SIGNING_PRIVATE_KEY is not the private half of plugins.updater.pubkey (${error.message})`, 'set TAURI_SIGNING_PRIVATE_KEY to the key file (or its content) that tauri signer generate wrote together with the .pub in the config')];
    }
    // The CLI's output can quote the environment's key path, never the key: Secret values are redacted in it.
    return [problem('signing-key', `tauri signer sign could not sign with TAURI_SIGNING_PRIVATE_KEY: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`, 'check TAURI_SIGNING_PRIVATE_KEY (a key file path or its content) and TAURI_SIGNING_PRIVATE_KEY_PASSWORD')];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function checkVersion(input: DoctorInput): Finding[] {
  if (input.version === null) return [problem('version', `${input.configPath} has no version (nor a package.json or Cargo.toml holding one)`, 'set "version" in tauri.conf.json')];
  const mine = safeParseVersion(input.version);
  if (!mine.success) return [problem('version', `version ${JSON.stringify(input.version)} is not a semantic version: ${mine.error}`, 'use MAJOR.MINOR.PATCH, e.g. 1.2.3')];
  const latest = input.app.latest_version;
  if (latest === null) return [ok('version', `version ${input.version}; nothing is published yet`)];
  const published = safeParseVersion(latest);
  if (published.success && compareVersions(mine.version, published.version) <= 0) {
    return [problem('version', `version ${input.version} is not newer than ${latest}, the latest published: installs on ${latest} would never be offered this build`, `bump "version" above ${latest} before building the next release`)];
  }
  return [ok('version', `version ${input.version} is newer than ${latest}, the latest published`)];
}

/** Runs every check; findings in CHECK_NAMES order. */
export async function runDoctor(input: DoctorInput): Promise<Finding[]> {
  const endpoints = await checkEndpoints(input);
  return [
    ...checkPubkey(input),
    ...checkUpdaterArtifacts(input),
    ...endpoints.findings,
    ...checkFailover(input, input.licensed ?? endpoints.toldLicensed),
    ...(await checkSigningKey(input)),
    ...checkVersion(input),
  ];
}
