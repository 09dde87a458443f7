import { describe, expect, it } from '@jest/globals';
import { checkItem, describeArtifact, describeFileName, type ExistingArtifact, planFiles } from './upload-plan.ts';

const files = (...names: string[]) => names.map((name) => ({ name }));

describe('describeFileName', () => {
  it.each([
    ['App_1.2.0_amd64.AppImage', 'linux-x86_64', 'appimage'],
    ['App_1.2.0_amd64.AppImage.tar.gz', 'linux-x86_64', 'appimage'],
    ['App_1.2.0_aarch64.AppImage', 'linux-aarch64', 'appimage'],
    ['App_1.2.0_arm64.deb', 'linux-aarch64', 'deb'],
    ['App_1.2.0_armhf.deb', 'linux-armv7', 'deb'],
    ['App_1.2.0_i386.deb', 'linux-i686', 'deb'],
    ['App-1.2.0-1.x86_64.rpm', 'linux-x86_64', 'rpm'],
    ['App-1.2.0-1.armhfp.rpm', 'linux-armv7', 'rpm'],
    ['App-1.2.0-1.riscv64.rpm', 'linux-riscv64', 'rpm'],
    ['App_1.2.0_x64-setup.exe', 'windows-x86_64', 'nsis'],
    ['App_1.2.0_x86-setup.exe', 'windows-i686', 'nsis'],
    ['App_1.2.0_arm64-setup.nsis.zip', 'windows-aarch64', 'nsis'],
    ['App_1.2.0_x64_en-US.msi', 'windows-x86_64', 'msi'],
    ['App_aarch64.app.tar.gz', 'darwin-aarch64', 'app'],
  ])('%s → %s %s', (name, platform, bundle) => {
    expect(describeFileName(name)).toMatchObject({ platform, bundle });
  });

  it('knows the OS but not the architecture when the name has no arch token (macOS archives usually)', () => {
    expect(describeFileName('My App.app.tar.gz')).toEqual({ os: 'darwin', platform: '', bundle: 'app' });
    expect(describeFileName('App_universal.app.tar.gz')).toEqual({ os: 'darwin', platform: '', bundle: 'app' });
  });

  it('leaves both to the user for a name Tauri does not produce', () => {
    expect(describeFileName('App_1.2.0_x64.dmg')).toEqual({ os: null, platform: '', bundle: '' });
  });

});

describe('planFiles', () => {
  it('pairs a file with its .sig dropped together, in either order', () => {
    const { items, problems } = planFiles(files('App_1.2.0_amd64.AppImage.sig', 'App_1.2.0_amd64.AppImage', 'App_1.2.0_x64-setup.exe'));
    expect(problems).toEqual([]);
    expect(items.map((item) => [item.file.name, item.signatureFile?.name ?? null, item.platform, item.bundle])).toEqual([
      ['App_1.2.0_amd64.AppImage', 'App_1.2.0_amd64.AppImage.sig', 'linux-x86_64', 'appimage'],
      ['App_1.2.0_x64-setup.exe', null, 'windows-x86_64', 'nsis'],
    ]);
  });

  it('asks for the signature of a file dropped without its .sig', () => {
    const { items } = planFiles(files('App_1.2.0_x64-setup.exe'));
    expect(checkItem(items[0]!, items, []).missing).toEqual(['signature']);
    items[0]!.signatureText = 'dW50cnVzdGVk…';
    expect(checkItem(items[0]!, items, []).missing).toEqual([]);
  });

  it('refuses a .sig without its file, and pairs it with a queued file that is waiting for it', () => {
    const alone = planFiles(files('App.AppImage.sig'));
    expect(alone.items).toEqual([]);
    expect(alone.problems).toEqual(['App.AppImage.sig has no artifact named App.AppImage to go with; drop it together with that file']);

    const queued = planFiles(files('App_amd64.AppImage')).items;
    const later = planFiles(files('App_amd64.AppImage.sig'), queued);
    expect(later.problems).toEqual([]);
    expect(later.items).toHaveLength(1);
    expect(later.items[0]!.signatureFile?.name).toBe('App_amd64.AppImage.sig');
    expect(queued[0]!.signatureFile).toBeNull(); // the queue passed in is not changed in place
  });

  it('keeps the user\'s choices when a queued file is dropped again', () => {
    const queued = planFiles(files('My App.app.tar.gz')).items;
    queued[0]!.platform = 'darwin-aarch64';
    const again = { name: 'My App.app.tar.gz', size: 2 };
    const { items } = planFiles([again], queued);
    expect(items).toHaveLength(1);
    expect(items[0]!.platform).toBe('darwin-aarch64');
    expect(items[0]!.file).toBe(again);
  });

  it('queues a name chosen twice in one drop once', () => {
    const { items, problems } = planFiles(files('App_amd64.deb', 'App_amd64.deb'));
    expect(items).toHaveLength(1);
    expect(problems).toEqual(['App_amd64.deb was chosen twice; it is queued once']);
  });

  it('does not take ".sig" alone for a signature file', () => {
    const { items } = planFiles(files('.sig'));
    expect(items.map((item) => item.file.name)).toEqual(['.sig']);
  });
});

describe('checkItem', () => {
  const existing: ExistingArtifact[] = [
    { id: 'a1', platform: 'linux-x86_64', bundle: 'appimage', file_name: 'App_1.1.0_amd64.AppImage', is_default: true },
  ];

  it('flags two files claiming the same platform and bundle, on both', () => {
    const { items } = planFiles(files('App_1.2.0_amd64.AppImage', 'Other_amd64.AppImage.tar.gz'));
    expect(checkItem(items[0]!, items, []).conflicts).toEqual([
      'Other_amd64.AppImage.tar.gz also claims linux-x86_64 appimage; a release has one artifact per platform and bundle, so change or remove one',
    ]);
    expect(checkItem(items[1]!, items, []).conflicts[0]).toMatch(/^App_1\.2\.0_amd64\.AppImage also claims/);
    items[1]!.platform = 'linux-aarch64';
    expect(checkItem(items[0]!, items, []).conflicts).toEqual([]);
  });

  it('names the artifact an upload would replace', () => {
    const { items } = planFiles(files('App_1.2.0_amd64.AppImage'));
    const check = checkItem(items[0]!, items, existing);
    expect(check.replaces?.id).toBe('a1');
    expect(check.conflicts).toEqual([]);
    expect(describeArtifact(check.replaces!)).toBe('App_1.1.0_amd64.AppImage (linux-x86_64, appimage)');
  });

  it('refuses a file name another slot already uses, as the API would', () => {
    const { items } = planFiles(files('App_1.1.0_amd64.AppImage'));
    items[0]!.platform = 'linux-aarch64';
    expect(checkItem(items[0]!, items, existing).conflicts[0]).toMatch(/already the linux-x86_64 appimage artifact; file names are unique per release/);
    items[0]!.platform = 'linux-x86_64';
    expect(checkItem(items[0]!, items, existing).conflicts).toEqual([]);
  });

  it('refuses at once a file name the server would refuse only after the upload', () => {
    const { items } = planFiles(files('App"1<b>_x64-setup.exe', 'My App (beta)_1.2.0_amd64.AppImage'));
    expect(checkItem(items[0]!, items, []).conflicts).toEqual([
      'the server does not store a file named "App\\"1<b>_x64-setup.exe": rename it (use letters, digits, space and . _ + ( ) @ ~ -, not starting with "." and without "..")',
    ]);
    expect(checkItem(items[1]!, items, []).conflicts).toEqual([]);
    expect(checkItem(planFiles(files('.hidden.msi')).items[0]!, [], []).conflicts).toHaveLength(1);
  });

  it('asks for platform and bundle the name does not tell, and refuses a bundle of another OS', () => {
    const { items } = planFiles(files('App_1.2.0_x64.dmg'));
    items[0]!.signatureText = 'sig';
    expect(checkItem(items[0]!, items, []).missing).toEqual(['platform', 'bundle']);
    items[0]!.platform = 'darwin-x86_64';
    items[0]!.bundle = 'msi';
    expect(checkItem(items[0]!, items, []).conflicts).toEqual(['a msi bundle cannot be installed on darwin; choose a darwin bundle (app) or another platform']);
  });
});
