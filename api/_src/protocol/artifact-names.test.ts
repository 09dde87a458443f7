import { describe, expect, it } from '@jest/globals';
import { architectureOfFileName, artifactKindOf, bundleOfFileName, platformsOfFileName } from './artifact-names.ts';
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

describe('architectureOfFileName', () => {
  it('does not read an arch out of a longer word or two different arches as one', () => {
    expect(architectureOfFileName('Box64Tool.AppImage')).toBeNull();
    expect(architectureOfFileName('App_x64_arm64-setup.exe')).toBeNull();
    expect(architectureOfFileName('App_x86_64.AppImage')).toBe('x86_64');
  });
});

describe('platformsOfFileName', () => {
  it.each([
    ['App_1.2.0_amd64.AppImage', ['linux-x86_64']],
    ['App_1.2.0_arm64.deb', ['linux-aarch64']],
    ['App-1.2.0-1.x86_64.rpm', ['linux-x86_64']],
    ['App_1.2.0_x64-setup.exe', ['windows-x86_64']],
    ['App_1.2.0_x64_en-US.msi', ['windows-x86_64']],
    ['App_aarch64.app.tar.gz', ['darwin-aarch64']],
    ['App_x64.app.tar.gz', ['darwin-x86_64']],
    ['App_universal.app.tar.gz', ['darwin-aarch64', 'darwin-x86_64']],
  ])('%s serves %j', (name, platforms) => {
    expect(platformsOfFileName(name)).toEqual(platforms);
  });

  it.each(['App.app.tar.gz', 'App_1.2.0_x64.dmg', 'App_1.2.0_amd64.AppImage.sig', 'App_universal.AppImage'])('%s serves no platform it can name', (name) => {
    expect(platformsOfFileName(name)).toEqual([]);
  });
});
