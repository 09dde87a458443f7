import { describe, expect, it } from '@jest/globals';
import { artifactKindOf, bundleOfFileName } from './artifact-names.ts';
import { bundleBelongsTo } from './platforms.ts';

describe('artifactKindOf', () => {
  // Names as `tauri build` writes them (v2 installers, and the v1Compatible archives).
  it.each([
    ['My App_1.2.3_x64-setup.exe', 'nsis', 'windows', false],
    ['My App_1.2.3_x64-setup.nsis.zip', 'nsis', 'windows', true],
    ['app_1.0.0_x64_en-US.msi', 'msi', 'windows', false],
    ['app_1.0.0_x64_en-US.msi.zip', 'msi', 'windows', true],
    ['my-app_1.2.3_amd64.AppImage', 'appimage', 'linux', false],
    ['my-app_1.2.3_amd64.AppImage.tar.gz', 'appimage', 'linux', true],
    ['my-app_1.2.3_amd64.deb', 'deb', 'linux', false],
    ['my-app-1.2.3-1.x86_64.rpm', 'rpm', 'linux', false],
    ['My App.app.tar.gz', 'app', 'darwin', true],
    ['MyApp_aarch64.app.tar.gz', 'app', 'darwin', true],
  ] as const)('%s is %s for %s', (name, bundle, os, archive) => {
    expect(artifactKindOf(name)).toEqual({ bundle, os, archive });
    expect(bundleBelongsTo(bundle, os)).toBe(true);
  });

  it('ignores the case of the suffix', () => {
    expect(bundleOfFileName('app_1.0.0_amd64.appimage')).toBe('appimage');
    expect(bundleOfFileName('APP_1.0.0_X64-SETUP.EXE')).toBe('nsis');
  });

  it.each([
    'My App_1.2.3_x64-setup.exe.sig',
    'My App.app.tar.gz.sig',
    'My App_1.2.3_aarch64.dmg',
    'My App.exe',
    'my-app.tar.gz',
    'my-app.zip',
    'latest.json',
    '.msi',
    '-setup.exe',
    '.app.tar.gz',
    'dir/app_1.0.0_amd64.deb',
    'dir\\app_1.0.0_x64-setup.exe',
    '',
  ])('%j is not an updater artifact', (name) => {
    expect(artifactKindOf(name)).toBeNull();
    expect(bundleOfFileName(name)).toBeNull();
  });

  it('returns a fresh object each time, so callers cannot corrupt the table', () => {
    const first = artifactKindOf('a.deb')!;
    (first as { bundle: string }).bundle = 'rpm';
    expect(bundleOfFileName('a.deb')).toBe('deb');
  });
});
