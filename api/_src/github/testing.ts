/**
 * @module github/testing
 * Test helpers for GitHub-sourced apps: bundles signed by the real Tauri signer, published to the fake GitHub
 * (test/support/fake-github.ts) as a release with their `.sig` assets.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeGithub, FakeRelease } from '../../../test/support/fake-github.ts';
import { type KeyPair, sign } from '../../../test/support/tauri.ts';

/** One bundle of every bundle type Tauri makes, on the platforms each serves; what the updater is asked with. */
export const EVERY_BUNDLE: readonly { name: (v: string) => string; target: string; arch: string; bundle: string }[] = [
  { name: () => 'App_x64.app.tar.gz', target: 'darwin', arch: 'x86_64', bundle: 'app' },
  { name: () => 'App_aarch64.app.tar.gz', target: 'darwin', arch: 'aarch64', bundle: 'app' },
  { name: (v) => `App_${v}_amd64.AppImage`, target: 'linux', arch: 'x86_64', bundle: 'appimage' },
  { name: (v) => `App_${v}_aarch64.AppImage`, target: 'linux', arch: 'aarch64', bundle: 'appimage' },
  { name: (v) => `App_${v}_amd64.deb`, target: 'linux', arch: 'x86_64', bundle: 'deb' },
  { name: (v) => `App-${v}-1.x86_64.rpm`, target: 'linux', arch: 'x86_64', bundle: 'rpm' },
  { name: (v) => `App_${v}_x64-setup.exe`, target: 'windows', arch: 'x86_64', bundle: 'nsis' },
  { name: (v) => `App_${v}_x64_en-US.msi`, target: 'windows', arch: 'x86_64', bundle: 'msi' },
  { name: (v) => `App_${v}_arm64-setup.exe`, target: 'windows', arch: 'aarch64', bundle: 'nsis' },
];

export interface SignedFile {
  name: string;
  bytes: Buffer;
  signature: string;
}

/** Writes random bytes under `name` in `dir` and signs them with `tauri signer sign` for `version`. */
export async function signedFile(dir: string, key: KeyPair, name: string, version: string, size = 2048): Promise<SignedFile> {
  const folder = await mkdtemp(join(dir, 'f-'));
  const path = join(folder, name);
  const bytes = randomBytes(size);
  await writeFile(path, bytes);
  return { name, bytes, signature: await sign(path, key, version) };
}

/** A release on the fake GitHub with each file and its `.sig` (unless listed in `withoutSig`). */
export function publishRelease(
  github: FakeGithub,
  repository: string,
  tag: string,
  files: readonly SignedFile[],
  options: { prerelease?: boolean; draft?: boolean; body?: string; withoutSig?: readonly string[]; extra?: Record<string, Buffer | string> } = {},
): FakeRelease {
  const assets: Record<string, Buffer | string> = { ...options.extra };
  for (const file of files) {
    assets[file.name] = file.bytes;
    if (!options.withoutSig?.includes(file.name)) assets[`${file.name}.sig`] = file.signature;
  }
  return github.addRelease(repository, { tag, files: assets, prerelease: options.prerelease, draft: options.draft, body: options.body ?? `Notes for ${tag}` });
}
