import { describe, expect, it } from '@jest/globals';
import { artifactKey, directUploadKey, directUploadKeys, isValidFileName, stagedKey, staticManifestKey } from './storage-keys.ts';

describe('artifactKey', () => {
  it('builds {app}/releases/{version}/{file}', () => {
    expect(artifactKey('my-app', '1.2.3-beta.1+build.5', 'My App_1.2.3_x64-setup.exe')).toBe(
      'my-app/releases/1.2.3-beta.1+build.5/My App_1.2.3_x64-setup.exe',
    );
  });

  it.each([
    ['a slug with a slash', 'my/app', '1.0.0', 'a.exe'],
    ['a slug with capitals', 'MyApp', '1.0.0', 'a.exe'],
    ['a slug starting with a dash', '-app', '1.0.0', 'a.exe'],
    ['an empty slug', '', '1.0.0', 'a.exe'],
    ['a version of ..', 'app', '..', 'a.exe'],
    ['a version with a slash', 'app', '1.0/0', 'a.exe'],
    ['a file name of ..', 'app', '1.0.0', '..'],
    ['a file name with ..', 'app', '1.0.0', 'a..exe'],
    ['a file name with a slash', 'app', '1.0.0', '../../etc/passwd'],
    ['a file name with a backslash', 'app', '1.0.0', '..\\a.exe'],
    ['a hidden file name', 'app', '1.0.0', '.lock'],
  ])('refuses %s', (_case, slug, version, fileName) => {
    expect(() => artifactKey(slug, version, fileName)).toThrow(/invalid/);
  });
});

describe('isValidFileName', () => {
  it.each([['My App_1.2.3_x64-setup.exe', true], ['app.app.tar.gz', true], ['a..exe', false], ['.lock', false], ['dir/a.exe', false], ['', false]])(
    '%j → %s',
    (fileName, valid) => {
      expect(isValidFileName(fileName)).toBe(valid);
    },
  );
});

describe('stagedKey', () => {
  it('puts an upload\'s file in a folder of its own beside the release\'s files', () => {
    expect(stagedKey('my-app', '1.2.3', '0b9f3c1e-5d2a-4c47-9a61-2f7d8e4b6a10', 'My App_1.2.3_x64-setup.exe'))
      .toBe('my-app/releases/1.2.3/uploads/0b9f3c1e-5d2a-4c47-9a61-2f7d8e4b6a10/My App_1.2.3_x64-setup.exe');
  });

  it.each([['an upload id with a slash', 'a/b', 'app.exe'], ['an empty upload id', '', 'app.exe'], ['a file name with ..', 'id', 'a..exe']])('refuses %s', (_case, id, fileName) => {
    expect(() => stagedKey('my-app', '1.2.3', id, fileName)).toThrow(/invalid/);
  });
});

describe('directUploadKey', () => {
  const sha256 = 'ab'.repeat(32);

  it('names the folder after the bytes\' SHA-256, and the registration looks there before the legacy key', () => {
    expect(directUploadKey('my-app', '1.2.3', sha256, 'app.AppImage')).toBe(`my-app/releases/1.2.3/uploads/${sha256}/app.AppImage`);
    expect(directUploadKeys('my-app', '1.2.3', sha256, 'app.AppImage')).toEqual([
      `my-app/releases/1.2.3/uploads/${sha256}/app.AppImage`,
      'my-app/releases/1.2.3/app.AppImage',
    ]);
  });

  it.each([['upper case', 'AB'.repeat(32)], ['too short', 'ab'], ['not hex', 'zz'.repeat(32)]])('refuses a sha256 in %s', (_case, digest) => {
    expect(() => directUploadKey('my-app', '1.2.3', digest, 'app.AppImage')).toThrow(/invalid sha256/);
  });
});

describe('staticManifestKey', () => {
  it('puts stable at the app\'s top and every other channel under channels/', () => {
    expect(staticManifestKey('my-app', 'stable')).toBe('my-app/latest.json');
    expect(staticManifestKey('my-app', 'beta')).toBe('my-app/channels/beta/latest.json');
  });
});
