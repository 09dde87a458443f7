/**
 * @module testing
 * Tests only: bundle folders as `tauri build` leaves them on each leg of a release (installers, updater bundles,
 * `.sig` files beside them, the DMG), and a `GithubApi` for the fake GitHub that never really sleeps.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from '../../shared/src/logger.ts';
import { Secret } from '../../shared/src/secret.ts';
import { GithubApi } from './github-api.ts';

/** The files `tauri build` leaves for each platform of release `version` of "My App" (relative to the bundle folder). */
export function legFiles(platform: string, version: string): string[] {
  switch (platform) {
    case 'darwin-aarch64':
      return ['macos/My App.app.tar.gz', 'macos/My App.app.tar.gz.sig', `dmg/My App_${version}_aarch64.dmg`];
    case 'darwin-x86_64':
      return ['macos/My App.app.tar.gz', 'macos/My App.app.tar.gz.sig', `dmg/My App_${version}_x64.dmg`];
    case 'linux-x86_64':
      return [`appimage/my-app_${version}_amd64.AppImage`, `appimage/my-app_${version}_amd64.AppImage.sig`, `deb/my-app_${version}_amd64.deb`, `deb/my-app_${version}_amd64.deb.sig`, `rpm/my-app-${version}-1.x86_64.rpm`, `rpm/my-app-${version}-1.x86_64.rpm.sig`];
    case 'linux-aarch64':
      return [`appimage/my-app_${version}_aarch64.AppImage`, `appimage/my-app_${version}_aarch64.AppImage.sig`, `deb/my-app_${version}_arm64.deb`, `deb/my-app_${version}_arm64.deb.sig`];
    case 'windows-x86_64':
      return [`nsis/My App_${version}_x64-setup.exe`, `nsis/My App_${version}_x64-setup.exe.sig`, `msi/My App_${version}_x64_en-US.msi`, `msi/My App_${version}_x64_en-US.msi.sig`];
    case 'windows-aarch64':
      return [`nsis/My App_${version}_arm64-setup.exe`, `nsis/My App_${version}_arm64-setup.exe.sig`];
    default:
      throw new Error(`no fixture for ${platform}`);
  }
}

/** Writes a leg's bundle folder; each file's bytes name the file and `seed`, each `.sig` is a signature stand-in. */
export async function writeLeg(dir: string, platform: string, version: string, seed = 'build-1'): Promise<void> {
  for (const file of legFiles(platform, version)) {
    const path = join(dir, file);
    await mkdir(dirname(path), { recursive: true });
    const content = file.endsWith('.sig') ? Buffer.from(`untrusted comment: signature of ${file} (${seed})\n`).toString('base64') : `${file} ${seed} `.repeat(200);
    await writeFile(path, content);
  }
}

/** A client of the fake GitHub whose waits are recorded instead of slept. */
export function fakeGithubApi(apiUrl: string, repository: string, token: string, logger: Logger): { api: GithubApi; waits: number[] } {
  const waits: number[] = [];
  const api = new GithubApi({
    apiUrl,
    repository,
    token: new Secret('github-token', token),
    logger,
    backoff: () => 10,
    sleep: async (ms) => void waits.push(ms),
  });
  return { api, waits };
}
