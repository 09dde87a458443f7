/**
 * @module options
 * upload-r2's inputs, checked before anything is read or sent; each error names the input and the fix.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { parsePlatformKey, type PlatformKey } from '../../../api/_src/protocol/platforms.ts';
import { describeEmpty, parseIntegerInput } from '../../shared/src/inputs.ts';
import { parsePlatformInput } from '../../shared/src/platform-input.ts';
import type { Secret } from '../../shared/src/secret.ts';
import { requireVersion, type RefEnv } from '../../shared/src/version.ts';
import type { S3Settings } from './s3-direct.ts';

export const MODES = ['presigned', 's3'] as const;
export type Mode = (typeof MODES)[number];

export interface RawUploadInputs {
  version?: string;
  platform?: string;
  bundleDir?: string;
  mode?: string;
  concurrency?: string;
  s3Endpoint?: string;
  s3Bucket?: string;
  s3Region?: string;
  s3AccessKeyId?: Secret;
  s3SecretAccessKey?: Secret;
  s3ForcePathStyle: boolean;
  partSizeMib?: string;
}

export interface UploadOptions {
  mode: Mode;
  version: string;
  platforms: PlatformKey[];
  dirs: string[];
  concurrency: number;
  /** Set in mode s3. */
  s3: S3Settings | null;
}

const MIB = 1024 * 1024;

/** Where `tauri build` leaves bundles when bundle-dir is not given: `<target>/[<triple>/]release/bundle`. */
export function defaultBundleDirs(workspace: string, env: NodeJS.ProcessEnv, platforms: readonly PlatformKey[]): string[] {
  const targets = env.CARGO_TARGET_DIR ? [resolve(workspace, env.CARGO_TARGET_DIR)] : [join(workspace, 'src-tauri', 'target'), join(workspace, 'target')];
  const legs = platforms.map((key) => parsePlatformKey(key)!);
  const osOf = (triple: string) => (triple.includes('-apple-darwin') ? 'darwin' : triple.includes('-linux') ? 'linux' : triple.includes('-windows') ? 'windows' : null);
  const found: string[] = [];
  for (const target of targets) {
    if (!existsSync(target)) continue;
    if (existsSync(join(target, 'release', 'bundle'))) found.push(join(target, 'release', 'bundle'));
    for (const triple of readdirSync(target).sort()) {
      const arch = triple.split('-')[0]!;
      // A triple of this leg's OS and architecture, or universal-apple-darwin (which serves both Mac keys).
      if (!legs.some((leg) => leg.os === osOf(triple) && (leg.arch === arch || (arch === 'universal' && leg.os === 'darwin')))) continue;
      const dir = join(target, triple, 'release', 'bundle');
      if (existsSync(dir) && statSync(dir).isDirectory()) found.push(dir);
    }
  }
  return found;
}

/**
 * @throws Error naming the input and what to pass
 */
export function validateUploadOptions(raw: RawUploadInputs, env: NodeJS.ProcessEnv & RefEnv): UploadOptions {
  const mode = (raw.mode ?? 'presigned') as Mode;
  if (!MODES.includes(mode)) throw new Error(`Input mode must be presigned or s3, not ${JSON.stringify(raw.mode)}.`);
  const version = requireVersion(raw.version, env);
  const platforms = parsePlatformInput('platform', raw.platform);
  const concurrency = parseIntegerInput('concurrency', raw.concurrency, 4, 1, 16);

  const workspace = env.GITHUB_WORKSPACE || process.cwd();
  let dirs = (raw.bundleDir ?? '').split(/\r?\n/).map((line) => line.trim()).filter(Boolean).map((dir) => (isAbsolute(dir) ? dir : resolve(workspace, dir)));
  if (dirs.length === 0) {
    dirs = defaultBundleDirs(workspace, env, platforms);
    if (dirs.length === 0) {
      throw new Error(
        `Input bundle-dir is empty and no bundle folder was found under ${workspace} (src-tauri/target/[<triple>/]release/bundle, target/…, or CARGO_TARGET_DIR): ` +
          'pass the folder `tauri build` wrote its bundles to (the root action\'s bundle-dir output).',
      );
    }
  }

  let s3: S3Settings | null = null;
  if (mode === 's3') {
    const missing = (name: string) => new Error(`mode is s3 but ${describeEmpty(name)}. Pass it, or use mode presigned (no storage credentials on the runner).`);
    if (!raw.s3Endpoint) throw missing('s3-endpoint');
    if (!raw.s3Bucket) throw missing('s3-bucket');
    if (!raw.s3AccessKeyId) throw missing('s3-access-key-id');
    if (!raw.s3SecretAccessKey) throw missing('s3-secret-access-key');
    if (!/^https?:\/\/[^\s/]+/.test(raw.s3Endpoint)) throw new Error(`Input s3-endpoint must be an http(s) URL (e.g. https://<account>.r2.cloudflarestorage.com), not ${JSON.stringify(raw.s3Endpoint)}.`);
    s3 = {
      endpoint: raw.s3Endpoint,
      bucket: raw.s3Bucket,
      region: raw.s3Region ?? 'auto',
      accessKeyId: raw.s3AccessKeyId,
      secretAccessKey: raw.s3SecretAccessKey,
      forcePathStyle: raw.s3ForcePathStyle,
      // R2 and S3: parts of 5 MiB to 5 GiB.
      partSizeBytes: parseIntegerInput('part-size-mib', raw.partSizeMib, 16, 5, 5 * 1024) * MIB,
    };
  }
  return { mode, version, platforms, dirs, concurrency, s3 };
}
