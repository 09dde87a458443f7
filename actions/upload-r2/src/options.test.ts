import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../../shared/src/secret.ts';
import { defaultBundleDirs, validateUploadOptions } from './options.ts';

let ws: string;
beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), 'upload-r2-options-'));
  for (const triple of ['aarch64-apple-darwin', 'x86_64-apple-darwin', 'universal-apple-darwin']) await mkdir(join(ws, 'src-tauri/target', triple, 'release/bundle'), { recursive: true });
  await mkdir(join(ws, 'src-tauri/target/release/bundle'), { recursive: true });
});
afterAll(() => rm(ws, { recursive: true, force: true }));

const base = { version: '1.0.0', platform: 'darwin-aarch64', s3ForcePathStyle: true };

describe('validateUploadOptions', () => {
  it('defaults: presigned, 4 at a time, bundle-dir relative to the workspace, several folders one per line', () => {
    const options = validateUploadOptions({ ...base, bundleDir: 'a/bundle\n /abs/bundle \n' }, { GITHUB_WORKSPACE: ws });
    expect(options).toEqual({ mode: 'presigned', version: '1.0.0', platforms: ['darwin-aarch64'], dirs: [join(ws, 'a/bundle'), '/abs/bundle'], concurrency: 4, s3: null });
  });

  it('empty bundle-dir: the target folders of this architecture (and universal for Macs), or an error saying where it looked', () => {
    expect(validateUploadOptions(base, { GITHUB_WORKSPACE: ws }).dirs).toEqual([
      join(ws, 'src-tauri/target/release/bundle'),
      join(ws, 'src-tauri/target/aarch64-apple-darwin/release/bundle'),
      join(ws, 'src-tauri/target/universal-apple-darwin/release/bundle'),
    ]);
    expect(defaultBundleDirs(ws, { CARGO_TARGET_DIR: 'src-tauri/target' }, ['linux-x86_64'])).toEqual([join(ws, 'src-tauri/target/release/bundle')]);
    expect(() => validateUploadOptions(base, { GITHUB_WORKSPACE: join(ws, 'src-tauri/target/release') })).toThrow('Input bundle-dir is empty and no bundle folder was found under');
  });

  it('mode s3 needs every s3 input, says which is empty, and takes the part size in MiB', () => {
    const key = new Secret('k', 'AKIA'), secret = new Secret('s', 'shh');
    const s3 = { ...base, bundleDir: 'b', mode: 's3', s3Endpoint: 'https://acc.r2.cloudflarestorage.com', s3Bucket: 'artifacts', s3AccessKeyId: key, s3SecretAccessKey: secret };
    expect(validateUploadOptions({ ...s3, partSizeMib: '8' }, {}).s3).toMatchObject({ region: 'auto', partSizeBytes: 8 * 1024 * 1024, forcePathStyle: true });
    expect(() => validateUploadOptions({ ...s3, s3AccessKeyId: undefined }, {})).toThrow('mode is s3 but s3-access-key-id is empty (an unset or misspelled');
    expect(() => validateUploadOptions({ ...s3, s3Endpoint: 'r2.example' }, {})).toThrow('Input s3-endpoint must be an http(s) URL');
    expect(() => validateUploadOptions({ ...s3, partSizeMib: '4' }, {})).toThrow('Input part-size-mib must be a whole number from 5 to 5120');
    expect(() => validateUploadOptions({ ...base, bundleDir: 'b', concurrency: '64' }, {})).toThrow('Input concurrency must be a whole number from 1 to 16');
  });
});
