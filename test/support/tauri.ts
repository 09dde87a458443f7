/**
 * @module tauri
 * The Tauri side of an update, for end-to-end tests and benchmarks:
 * - the REAL signer (`tauri signer generate|sign` from @tauri-apps/cli), and
 * - a model of the tauri-plugin-updater v2 client, written from docs/reference/tauri-updater.md §1
 *   (URL building §1.2, request §1.3, endpoint loop §1.4, JSON rules §1.5–1.6, comparator §1.7,
 *   download §1.8, signature and signed version §1.9), verifying with Debian `minisign` (§3.2, §4)
 *   so that nothing of ours judges our own signatures.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TAURI_CLI = join(REPO_ROOT, 'node_modules', '@tauri-apps', 'cli', 'tauri.js');

/** `concat!(CARGO_PKG_NAME, "/", CARGO_PKG_VERSION)` of the plugin version the doc was written from (§1.3). */
export const UPDATER_USER_AGENT = 'tauri-plugin-updater/2.13.1';

// ---------------------------------------------------------------------------------------------------------------
// Processes

export interface RunResult { code: number; output: string }

/** Runs a command and resolves `{code, output}` (stdout+stderr); rejects only if it cannot start or times out. */
export function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${basename(command)} ${args[0] ?? ''} timed out after ${options.timeoutMs ?? 60_000} ms\n${output}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 1, output }); });
  });
}

async function tauri(args: readonly string[]): Promise<string> {
  const { code, output } = await run(process.execPath, [TAURI_CLI, ...args], { env: { ...process.env, CI: 'true' } });
  if (code !== 0) throw new Error(`tauri ${args.slice(0, 2).join(' ')} failed with code ${code}:\n${output}`);
  return output;
}

// ---------------------------------------------------------------------------------------------------------------
// The real signer (§3.1)

export interface KeyPair {
  privateKeyPath: string;
  /** Content of the `.pub` file, exactly what goes into `tauri.conf.json > plugins > updater > pubkey`. */
  publicKey: string;
}

/** `tauri signer generate --ci -w <dir>/k`: a key pair with an empty password. */
export async function generateKeyPair(dir: string): Promise<KeyPair> {
  const privateKeyPath = join(dir, 'k');
  await tauri(['signer', 'generate', '--ci', '-w', privateKeyPath]);
  return { privateKeyPath, publicKey: await readFile(`${privateKeyPath}.pub`, 'utf8') };
}

/** `tauri signer sign`; returns the content of `<file>.sig` (base64 of the minisign signature text). */
export async function sign(file: string, key: KeyPair | string, appVersion?: string): Promise<string> {
  const keyPath = typeof key === 'string' ? key : key.privateKeyPath;
  await tauri(['signer', 'sign', '-f', keyPath, '-p', '', ...(appVersion ? ['--app-version', appVersion] : []), file]);
  return readFile(`${file}.sig`, 'utf8');
}

// ---------------------------------------------------------------------------------------------------------------
// Semver, as the Rust `semver` crate parses and orders it (§1.5, §1.7)

export interface SemVer { major: bigint; minor: bigint; patch: bigint; pre: string[]; build: string[] }

// semver.org's regex: no leading zeros in numbers or numeric pre-release identifiers, all three parts required.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Strict semver; null for anything else (`1.2`, ` 1.2.3`, `01.2.3`). */
export function parseSemver(text: string): SemVer | null {
  const m = SEMVER.exec(text);
  if (!m) return null;
  return { major: BigInt(m[1]!), minor: BigInt(m[2]!), patch: BigInt(m[3]!), pre: m[4]?.split('.') ?? [], build: m[5]?.split('.') ?? [] };
}

const isNumeric = (id: string) => /^\d+$/.test(id);

function compareIdentifiers(a: readonly string[], b: readonly string[], numericFirst: boolean): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!, y = b[i]!;
    if (isNumeric(x) && isNumeric(y)) {
      const d = BigInt(x) - BigInt(y);
      // Build metadata keeps leading zeros, and the crate orders `1 < 01` after equal values.
      if (d !== 0n) return d < 0n ? -1 : 1;
      if (x.length !== y.length) return x.length < y.length ? -1 : 1;
    } else if (isNumeric(x) !== isNumeric(y)) {
      return isNumeric(x) === numericFirst ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return Math.sign(a.length - b.length);
}

/**
 * The semver crate's total order: a pre-release sorts below its release (`1.1.0-beta.1 < 1.1.0`), and, unlike the
 * SemVer spec, build metadata takes part (`1.0.0+2 > 1.0.0+1`, no metadata lowest).
 */
export function compareSemver(a: SemVer, b: SemVer): number {
  for (const k of ['major', 'minor', 'patch'] as const) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  if (a.pre.length === 0 || b.pre.length === 0) {
    if (a.pre.length !== b.pre.length) return a.pre.length === 0 ? 1 : -1;
  } else {
    const pre = compareIdentifiers(a.pre, b.pre, true);
    if (pre !== 0) return pre;
  }
  if (a.build.length === 0 || b.build.length === 0) return Math.sign(a.build.length - b.build.length);
  return compareIdentifiers(a.build, b.build, true);
}

// ---------------------------------------------------------------------------------------------------------------
// URL building (§1.2)

export interface ClientPlatform {
  /** `{{target}}`: `linux` | `darwin` | `windows`, or a custom target. */
  target: string;
  /** `{{arch}}`: `x86_64` | `aarch64` | `i686` | `armv7` | `riscv64`. */
  arch: string;
  /** The running app's version (`app.package_info().version`). */
  currentVersion: string;
  /** `{{bundle_type}}`: `appimage` | `deb` | `rpm` | `app` | `msi` | `nsis` | `unknown`. */
  bundleType: string;
  /** `UpdaterBuilder::header` / `check({ headers })`: sent on the check and on the download (a license key, an install id). */
  headers?: Record<string, string>;
}

/** Percent-encodes with `CONTROLS.add(b'+')`: C0 controls, DEL, non-ASCII and `+` (so `1.8.0+1` → `1.8.0%2B1`). */
export function encodeVersion(version: string): string {
  let out = '';
  for (const ch of version) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c >= 0x7f || ch === '+') {
      for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * The URL the plugin requests for one endpoint. Like `Updater::check`, the endpoint is first parsed as a URL and
 * serialised (which percent-encodes `{{…}}` in the path but not in the query), then both forms are replaced.
 */
export function buildCheckUrl(endpointTemplate: string, client: ClientPlatform): string {
  const values: Record<string, string> = {
    current_version: encodeVersion(client.currentVersion),
    target: client.target,
    arch: client.arch,
    bundle_type: client.bundleType,
  };
  let url = new URL(endpointTemplate).toString();
  for (const [name, value] of Object.entries(values)) {
    url = url.replaceAll(`%7B%7B${name}%7D%7D`, value).replaceAll(`{{${name}}}`, value);
  }
  return new URL(url).toString();
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP, as reqwest does it for the plugin (§1.3): no Accept-Encoding, redirects followed (10 hops).

export interface HttpResponse { url: string; status: number; headers: IncomingHttpHeaders; body: Buffer }

const SENSITIVE_HEADERS = ['authorization', 'cookie', 'proxy-authorization', 'www-authenticate'];

/** GET with redirects; the timeout is ours (the plugin has none) so a broken server cannot hang a test. */
export async function httpGet(url: string, headers: Record<string, string>, timeoutMs = 30_000): Promise<HttpResponse> {
  let current = new URL(url);
  let sent = { ...headers };
  for (let hop = 0; ; hop++) {
    const res = await getOnce(current, sent, timeoutMs);
    const location = res.headers.location;
    if (![301, 302, 303, 307, 308].includes(res.status) || !location) return res;
    if (hop === 10) throw new Error(`too many redirects from ${url}`);
    const next = new URL(location, current);
    // reqwest's remove_sensitive_headers: credentials do not follow a hop to another host or port.
    if (next.host !== current.host) sent = Object.fromEntries(Object.entries(sent).filter(([k]) => !SENSITIVE_HEADERS.includes(k.toLowerCase())));
    current = next;
  }
}

function getOnce(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<HttpResponse> {
  const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requestFn(url, { method: 'GET', headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ url: url.toString(), status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The update check (§1.4–1.7)

/** Error names follow the plugin's `Error` variants, so a failing test reads like a user's bug report. */
export class UpdaterError extends Error {
  override name = 'UpdaterError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

export interface RemoteRelease {
  version: string;
  notes: string | null;
  pubDate: string | null;
  /** The dynamic form's url/signature, or the static form's `platforms` map. */
  data: { kind: 'dynamic'; url: string; signature: string } | { kind: 'static'; platforms: Record<string, { url: string; signature: string }> };
}

// `time`'s Rfc3339: full date, `T`, full time with optional fraction, `Z` or ±hh:mm. Ranges are checked below.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

export function isRfc3339(text: string): boolean {
  const m = RFC3339.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second, , offH, offM] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth && hour! <= 23 && minute! <= 59
    && second! <= 59 && offH! <= 23 && offM! <= 59;
}

const optionalString = (json: Record<string, unknown>, field: string): string | null => {
  const value = json[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new UpdaterError('Deserialize', `invalid type for \`${field}\`: expected a string`);
  return value;
};

function platformEntry(key: string, value: unknown): { url: string; signature: string } {
  const entry = value as Record<string, unknown> | null;
  if (typeof entry !== 'object' || entry === null || typeof entry.url !== 'string' || typeof entry.signature !== 'string') {
    throw new UpdaterError('Deserialize', `platforms.${key} must be {url, signature}`);
  }
  if (!URL.canParse(entry.url)) throw new UpdaterError('Deserialize', `platforms.${key}.url is not an absolute URL`);
  return { url: entry.url, signature: entry.signature };
}

/** The plugin's custom `Deserialize for RemoteRelease` (§1.5); throws `UpdaterError('Deserialize')`. */
export function parseRemoteRelease(json: unknown): RemoteRelease {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UpdaterError('Deserialize', 'expected a JSON object');
  const o = json as Record<string, unknown>;
  if ('version' in o && 'name' in o) throw new UpdaterError('Deserialize', 'duplicate field `version`');
  const rawVersion = o.version ?? o.name;
  if (typeof rawVersion !== 'string') throw new UpdaterError('Deserialize', 'missing field `version`');
  const version = rawVersion.replace(/^v+/, '');
  if (!parseSemver(version)) throw new UpdaterError('Deserialize', `invalid value for \`version\`: ${JSON.stringify(rawVersion)} is not strict semver`);
  const notes = optionalString(o, 'notes');
  const pubDate = optionalString(o, 'pub_date');
  if (pubDate !== null && !isRfc3339(pubDate)) throw new UpdaterError('Deserialize', `invalid value for \`pub_date\`: ${JSON.stringify(pubDate)} is not RFC 3339`);
  if (o.platforms !== undefined && o.platforms !== null) {
    if (typeof o.platforms !== 'object' || Array.isArray(o.platforms)) throw new UpdaterError('Deserialize', '`platforms` must be an object');
    const platforms = Object.fromEntries(Object.entries(o.platforms).map(([k, v]) => [k, platformEntry(k, v)]));
    return { version, notes, pubDate, data: { kind: 'static', platforms } };
  }
  const url = optionalString(o, 'url');
  if (url === null) throw new UpdaterError('Deserialize', 'the `url` field was not set on the updater response');
  if (!URL.canParse(url)) throw new UpdaterError('Deserialize', `invalid value for \`url\`: ${JSON.stringify(url)}`);
  const signature = optionalString(o, 'signature');
  if (signature === null) throw new UpdaterError('Deserialize', 'the `signature` field was not set on the updater response');
  return { version, notes, pubDate, data: { kind: 'dynamic', url, signature } };
}

/** `get_urls` (§1.6): a static manifest's entry for this client, `{os}-{arch}-{installer}` before `{os}-{arch}`. */
function resolveDownload(release: RemoteRelease, client: ClientPlatform): { url: string; signature: string } {
  if (release.data.kind === 'dynamic') return release.data;
  const keys = [...(client.bundleType !== 'unknown' ? [`${client.target}-${client.arch}-${client.bundleType}`] : []), `${client.target}-${client.arch}`];
  for (const key of keys) {
    const entry = release.data.platforms[key];
    if (entry) return entry;
  }
  throw new UpdaterError('TargetsNotFound', JSON.stringify(keys));
}

export interface Update {
  /** The client's own headers, which the plugin sends on the download too. */
  headers?: Record<string, string>;
  version: string;
  currentVersion: string;
  notes: string | null;
  pubDate: string | null;
  url: string;
  signature: string;
  rawJson: unknown;
  /** The URL that answered. */
  endpoint: string;
}

export interface Attempt { url: string; status?: number; error?: string }

export type CheckOutcome =
  | { kind: 'update'; update: Update; attempts: Attempt[] }
  | { kind: 'no-update'; reason: 'no-content' | 'not-newer'; attempts: Attempt[] };

/**
 * One `check()`: builds each endpoint's URL and tries them in order with the plugin's rules (§1.4). 204 stops with
 * no update; a non-2xx moves on; a 2xx that is not JSON aborts; JSON that is not a release moves on and is reported
 * if nothing else works; then the platform entry is resolved before the comparator (`release > current`) runs.
 */
export async function checkForUpdate(endpoints: string | readonly string[], client: ClientPlatform): Promise<CheckOutcome> {
  const current = parseSemver(client.currentVersion);
  if (!current) throw new UpdaterError('Semver', `current version ${client.currentVersion} is not semver`);
  const attempts: Attempt[] = [];
  let lastError: Error | undefined;
  for (const template of typeof endpoints === 'string' ? [endpoints] : endpoints) {
    const url = buildCheckUrl(template, client);
    let res: HttpResponse;
    try {
      res = await httpGet(url, { ...client.headers, 'User-Agent': UPDATER_USER_AGENT, Accept: 'application/json' });
    } catch (error) {
      lastError = error as Error;
      attempts.push({ url, error: lastError.message });
      continue;
    }
    attempts.push({ url, status: res.status });
    if (res.status < 200 || res.status > 299) continue;
    if (res.status === 204) return { kind: 'no-update', reason: 'no-content', attempts };
    let json: unknown;
    try {
      json = JSON.parse(res.body.toString('utf8'));
    } catch (error) {
      throw new UpdaterError('Reqwest', `error decoding response body from ${url}: ${(error as Error).message}`);
    }
    let release: RemoteRelease;
    try {
      release = parseRemoteRelease(json);
    } catch (error) {
      lastError = error as Error;
      continue;
    }
    const download = resolveDownload(release, client);
    if (compareSemver(parseSemver(release.version)!, current) <= 0) return { kind: 'no-update', reason: 'not-newer', attempts };
    const update: Update = { headers: client.headers, version: release.version, currentVersion: client.currentVersion, notes: release.notes,
      pubDate: release.pubDate, ...download, rawJson: json, endpoint: url };
    return { kind: 'update', update, attempts };
  }
  if (lastError) throw lastError;
  throw new UpdaterError('ReleaseNotFound', `Could not fetch a valid release JSON from the remote (${JSON.stringify(attempts)})`);
}

// ---------------------------------------------------------------------------------------------------------------
// Download and verification (§1.8, §1.9, §3.2)

/** `Update::download`: the check headers plus `Accept: application/octet-stream`; non-2xx is an error. */
export async function download(update: Pick<Update, 'url' | 'headers'>): Promise<Buffer> {
  const res = await httpGet(update.url, { ...update.headers, 'User-Agent': UPDATER_USER_AGENT, Accept: 'application/octet-stream' });
  if (res.status < 200 || res.status > 299) throw new UpdaterError('Network', `Download request failed with status: ${res.status}`);
  return res.body;
}

export type Verdict =
  | { ok: true; trustedComment: string; signedVersion: string | null; minisign: string }
  | { ok: false; reason: 'Base64' | 'SignatureUtf8' | 'InvalidSignature' | 'SignedVersionMismatch' | 'MissingSignedVersion'; minisign: string };

/** Tauri's STANDARD (padded) base64 → UTF-8 text; Node's own decoder would skip bad characters silently. */
function decodeBase64Text(b64: string): string | 'Base64' | 'SignatureUtf8' {
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return 'Base64';
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return 'SignatureUtf8';
  }
}

/** The first `version:` field of the trusted comment (tab-separated). */
export function signedVersionOf(trustedComment: string): string | null {
  const field = trustedComment.split('\t').find((f) => f.startsWith('version:'));
  return field === undefined ? null : field.slice('version:'.length);
}

function sameVersion(a: string, b: string): boolean {
  const x = parseSemver(a.replace(/^v+/, '')), y = parseSemver(b.replace(/^v+/, ''));
  return x && y ? compareSemver(x, y) === 0 : a === b;
}

/**
 * Verifies `bytes` the way the plugin does, but with Debian `minisign -V` as the judge: both base64 layers are
 * removed first (§3.2), then the signed-version rule of §1.9 is applied to the (now verified) trusted comment.
 */
export async function verifySignature(bytes: Buffer, signature: string, publicKey: string, announcedVersion: string,
  options: { requireSignedVersion?: boolean } = {}): Promise<Verdict> {
  const pub = decodeBase64Text(publicKey);
  const sig = decodeBase64Text(signature);
  for (const decoded of [pub, sig]) if (decoded === 'Base64' || decoded === 'SignatureUtf8') return { ok: false, reason: decoded, minisign: '' };
  const dir = await mkdtemp(join(tmpdir(), 'tauri-verify-'));
  try {
    await Promise.all([writeFile(join(dir, 'update'), bytes), writeFile(join(dir, 'key.pub'), pub), writeFile(join(dir, 'update.minisig'), sig)]);
    const { code, output } = await run('minisign', ['-V', '-p', join(dir, 'key.pub'), '-x', join(dir, 'update.minisig'), '-m', join(dir, 'update')], { timeoutMs: 30_000 });
    if (code !== 0) return { ok: false, reason: 'InvalidSignature', minisign: output.trim() };
    const trustedComment = (sig.split('\n')[2] ?? '').replace(/^trusted comment: /, '');
    const signedVersion = signedVersionOf(trustedComment);
    if (signedVersion !== null && !sameVersion(signedVersion, announcedVersion)) return { ok: false, reason: 'SignedVersionMismatch', minisign: output.trim() };
    if (signedVersion === null && options.requireSignedVersion) return { ok: false, reason: 'MissingSignedVersion', minisign: output.trim() };
    return { ok: true, trustedComment, signedVersion, minisign: output.trim() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `Update::download` then verification; the bytes come back with the verdict so a caller can inspect them. */
export async function downloadAndVerify(update: Pick<Update, 'url' | 'signature' | 'version' | 'headers'>, publicKey: string,
  options: { requireSignedVersion?: boolean } = {}): Promise<{ bytes: Buffer; verdict: Verdict }> {
  const bytes = await download(update);
  return { bytes, verdict: await verifySignature(bytes, update.signature, publicKey, update.version, options) };
}

/** Whether Debian `minisign` can run here (the e2e test skips, loudly, without it). */
export async function hasMinisign(): Promise<boolean> {
  try {
    return (await run('minisign', ['-v'], { timeoutMs: 10_000 })).output.includes('minisign');
  } catch {
    return false;
  }
}
