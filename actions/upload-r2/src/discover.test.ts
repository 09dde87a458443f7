/**
 * Discovery over bundle folders laid out as `tauri build` leaves them, with files signed by the real Tauri signer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { artifactKindOf } from '../../../api/_src/protocol/artifact-names.ts';
import { memoryLogger } from '../../shared/src/testing.ts';
import { generateKeyPair, type KeyPair, sign } from '../../../test/support/tauri.ts';
import { discoverArtifacts, uploadName } from './discover.ts';

let root: string;
let key: KeyPair;
let n = 0;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'upload-r2-discover-'));
  key = await generateKeyPair(root);
}, 30_000);
afterAll(() => rm(root, { recursive: true, force: true }));

/** A fresh bundle folder with `files` (relative path → signed for this version, or false for no .sig). */
async function bundleDir(files: Record<string, string | false>): Promise<string> {
  const dir = join(root, `bundle-${++n}`);
  for (const [path, version] of Object.entries(files)) {
    const full = join(dir, path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, randomBytes(1024 + n));
    if (version) await sign(full, key, version);
  }
  return dir;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('discoverArtifacts', () => {
  it('macOS: the signed .app.tar.gz, renamed with the architecture; the .app folder is not uploaded, nor a DMG nobody checked', async () => {
    const dir = await bundleDir({ 'macos/My App.app.tar.gz': '1.2.3', 'dmg/My App_1.2.3_aarch64.dmg': false, 'macos/My App.app/Contents/MacOS/my-app': false });
    const { artifacts, skipped } = await discoverArtifacts({ dirs: [dir], platforms: ['darwin-aarch64'], version: '1.2.3' }, memoryLogger());
    expect(artifacts).toEqual([
      expect.objectContaining({ path: join(dir, 'macos/My App.app.tar.gz'), fileName: 'My App_aarch64.app.tar.gz', platform: 'darwin-aarch64', bundle: 'app', size: 1024 + n }),
    ]);
    expect(artifacts[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(artifacts[0]!.signature).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(skipped).toEqual([{ path: join(dir, 'dmg/My App_1.2.3_aarch64.dmg'), reason: expect.stringContaining('not checked for notarization') }]);
  });

  it('macOS: a DMG proven notarized is uploaded as an installer only, without bundle or signature', async () => {
    const dir = await bundleDir({ 'macos/My App.app.tar.gz': '1.2.3', 'dmg/My App_1.2.3_aarch64.dmg': false });
    const checked: string[] = [];
    const checkInstaller = async (path: string) => {
      checked.push(path);
      return null;
    };
    const { artifacts, skipped } = await discoverArtifacts({ dirs: [dir], platforms: ['darwin-aarch64'], version: '1.2.3', checkInstaller }, memoryLogger());
    const dmg = join(dir, 'dmg/My App_1.2.3_aarch64.dmg');
    expect(checked).toEqual([dmg]);
    expect(skipped).toEqual([]);
    expect(artifacts.map((a) => [a.fileName, a.bundle, a.installerOnly, a.signature === ''])).toEqual([
      ['My App_1.2.3_aarch64.dmg', null, true, true],
      ['My App_aarch64.app.tar.gz', 'app', false, false],
    ]);
    expect(artifacts[0]).toMatchObject({ path: dmg, platform: 'darwin-aarch64', size: 1024 + n, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it("macOS: an earlier version's DMG left in the bundle folder (already stapled) is not uploaded as this version's", async () => {
    // Sorted by name, the leftover of the earlier build comes first.
    const dir = await bundleDir({ 'macos/My App.app.tar.gz': '1.3.0', 'dmg/My App_1.2.0_aarch64.dmg': false, 'dmg/My App_1.3.0_aarch64.dmg': false });
    const checkInstaller = async () => null;
    const { artifacts, skipped } = await discoverArtifacts({ dirs: [dir], platforms: ['darwin-aarch64'], version: '1.3.0', checkInstaller }, memoryLogger());
    expect(artifacts.filter((a) => a.installerOnly).map((a) => a.fileName)).toEqual(['My App_1.3.0_aarch64.dmg']);
    expect(skipped).toEqual([{ path: join(dir, 'dmg/My App_1.2.0_aarch64.dmg'), reason: expect.stringMatching(/^a DMG of another build: its name does not carry this release's version 1\.3\.0/) }]);
  });

  it('macOS: a DMG Gatekeeper rejects stops the upload; one that cannot be shipped is skipped with the reason', async () => {
    const dir = await bundleDir({ 'macos/My App.app.tar.gz': '1.2.3', 'dmg/My App_1.2.3_aarch64.dmg': false });
    const refuse = async (path: string): Promise<string | null> => {
      throw new Error(`Gatekeeper does not accept ${path}`);
    };
    await expect(discoverArtifacts({ dirs: [dir], platforms: ['darwin-aarch64'], version: '1.2.3', checkInstaller: refuse }, memoryLogger())).rejects.toThrow(
      'Gatekeeper does not accept',
    );
    const cannot = async () => 'not checked for notarization: xcrun is not on this runner';
    const { artifacts, skipped } = await discoverArtifacts({ dirs: [dir], platforms: ['darwin-aarch64'], version: '1.2.3', checkInstaller: cannot }, memoryLogger());
    expect(artifacts.map((a) => a.fileName)).toEqual(['My App_aarch64.app.tar.gz']);
    expect(skipped).toEqual([{ path: join(dir, 'dmg/My App_1.2.3_aarch64.dmg'), reason: 'not checked for notarization: xcrun is not on this runner' }]);
  });

  it('a universal DMG serves both Mac keys under a name per architecture, checked once', async () => {
    const dir = await bundleDir({ 'macos/My App.app.tar.gz': '2.0.0', 'dmg/My App_2.0.0_universal.dmg': false });
    let checks = 0;
    const checkInstaller = async () => {
      checks++;
      return null;
    };
    const { artifacts } = await discoverArtifacts({ dirs: [dir], platforms: ['darwin-aarch64', 'darwin-x86_64'], version: '2.0.0', checkInstaller }, memoryLogger());
    expect(artifacts.filter((a) => a.installerOnly).map((a) => [a.fileName, a.platform])).toEqual([
      ['My App_2.0.0_universal_aarch64.dmg', 'darwin-aarch64'],
      ['My App_2.0.0_universal_x64.dmg', 'darwin-x86_64'],
    ]);
    expect(checks).toBe(1);
  });

  it('a universal build is one file registered for both Mac keys, under two names', async () => {
    const dir = await bundleDir({ 'macos/My App.app.tar.gz': '2.0.0' });
    const { artifacts } = await discoverArtifacts({ dirs: [dir], platforms: ['darwin-aarch64', 'darwin-x86_64'], version: '2.0.0' }, memoryLogger());
    expect(artifacts.map((a) => [a.fileName, a.platform])).toEqual([
      ['My App_aarch64.app.tar.gz', 'darwin-aarch64'],
      ['My App_x64.app.tar.gz', 'darwin-x86_64'],
    ]);
    expect(artifacts[0]!.sha256).toBe(artifacts[1]!.sha256);
  });

  it('Linux: AppImage, deb and rpm with their sigs; a bundle without .sig is reported, not uploaded', async () => {
    const dir = await bundleDir({
      'appimage/my-app_1.2.3_amd64.AppImage': '1.2.3',
      'deb/my-app_1.2.3_amd64.deb': '1.2.3',
      'rpm/my-app-1.2.3-1.x86_64.rpm': false,
    });
    const { artifacts, skipped } = await discoverArtifacts({ dirs: [dir], platforms: ['linux-x86_64'], version: '1.2.3' }, memoryLogger());
    expect(artifacts.map((a) => `${a.bundle}:${a.fileName}`)).toEqual(['appimage:my-app_1.2.3_amd64.AppImage', 'deb:my-app_1.2.3_amd64.deb']);
    expect(skipped).toEqual([{ path: join(dir, 'rpm/my-app-1.2.3-1.x86_64.rpm'), reason: expect.stringContaining('no .sig beside it') }]);
  });

  it('Windows: NSIS and MSI; with v1Compatible the archive is uploaded instead of the plain installer', async () => {
    const dir = await bundleDir({
      'nsis/My App_1.2.3_x64-setup.exe': '1.2.3',
      'nsis/My App_1.2.3_x64-setup.nsis.zip': '1.2.3',
      'msi/My App_1.2.3_x64_en-US.msi': '1.2.3',
    });
    const logger = memoryLogger();
    const { artifacts, skipped } = await discoverArtifacts({ dirs: [dir], platforms: ['windows-x86_64'], version: '1.2.3' }, logger);
    expect(artifacts.map((a) => `${a.bundle}:${a.fileName}`)).toEqual(['msi:My App_1.2.3_x64_en-US.msi', 'nsis:My App_1.2.3_x64-setup.nsis.zip']);
    expect(skipped).toEqual([{ path: join(dir, 'nsis/My App_1.2.3_x64-setup.exe'), reason: expect.stringContaining('v1Compatible') }]);
    expect(logger.entries.filter((e) => e.level === 'warning')).toEqual([]);
  });

  it('two MSIs (two languages): the first is uploaded and a warning names the other', async () => {
    const dir = await bundleDir({ 'msi/App_1.0.0_x64_de-DE.msi': '1.0.0', 'msi/App_1.0.0_x64_en-US.msi': '1.0.0' });
    const logger = memoryLogger();
    const { artifacts } = await discoverArtifacts({ dirs: [dir], platforms: ['windows-x86_64'], version: '1.0.0' }, logger);
    expect(artifacts.map((a) => a.fileName)).toEqual(['App_1.0.0_x64_de-DE.msi']);
    expect(logger.text()).toContain('warning: App_1.0.0_x64_en-US.msi is not uploaded: another msi (App_1.0.0_x64_de-DE.msi) is uploaded');
  });

  it('several folders are searched, and the sha256 is of the file\'s bytes', async () => {
    const a = await bundleDir({ 'deb/x_1.0.0_amd64.deb': '1.0.0' });
    const b = await bundleDir({ 'appimage/x_1.0.0_amd64.AppImage': '1.0.0' });
    const { artifacts } = await discoverArtifacts({ dirs: [a, b], platforms: ['linux-x86_64'], version: '1.0.0' }, memoryLogger());
    expect(artifacts.map((x) => x.bundle).sort()).toEqual(['appimage', 'deb']);
    const { readFile } = await import('node:fs/promises');
    for (const artifact of artifacts) expect(artifact.sha256).toBe(sha256(await readFile(artifact.path)));
  });

  it('refuses before uploading: a file signed for another version, with the fix', async () => {
    const dir = await bundleDir({ 'deb/x_1.0.0_amd64.deb': '1.0.0' });
    await expect(discoverArtifacts({ dirs: [dir], platforms: ['linux-x86_64'], version: '1.0.1' }, memoryLogger())).rejects.toThrow(
      `x_1.0.0_amd64.deb was built and signed for version 1.0.0, but this release is 1.0.1; the server and the updater refuse it. Build with the release's version (tauri build --config '{"version":"1.0.1"}'`,
    );
  });

  it('refuses a .sig that is not a Tauri signature, bundles of another OS, a missing folder, and a folder with nothing to upload', async () => {
    const bad = await bundleDir({ 'deb/x_1.0.0_amd64.deb': false });
    await writeFile(join(bad, 'deb/x_1.0.0_amd64.deb.sig'), 'not a signature');
    await expect(discoverArtifacts({ dirs: [bad], platforms: ['linux-x86_64'], version: '1.0.0' }, memoryLogger())).rejects.toThrow('x_1.0.0_amd64.deb.sig is not a Tauri updater signature');

    const mac = await bundleDir({ 'macos/A.app.tar.gz': '1.0.0' });
    await expect(discoverArtifacts({ dirs: [mac], platforms: ['linux-x86_64'], version: '1.0.0' }, memoryLogger())).rejects.toThrow('is a darwin bundle (app), but platform is linux-x86_64');

    await expect(discoverArtifacts({ dirs: [join(root, 'nope')], platforms: ['linux-x86_64'], version: '1.0.0' }, memoryLogger())).rejects.toThrow(`bundle-dir ${join(root, 'nope')} is not a folder`);

    const unsigned = await bundleDir({ 'dmg/A_1.0.0_aarch64.dmg': false, 'macos/A.app.tar.gz': false });
    await expect(discoverArtifacts({ dirs: [unsigned], platforms: ['darwin-aarch64'], version: '1.0.0' }, memoryLogger())).rejects.toThrow(
      /^No updater artifact in .*\. Found, but not uploaded: A\.app\.tar\.gz \(no \.sig beside it.*\); A_1\.0\.0_aarch64\.dmg \(a DMG is an installer only: it ships with the leg's updater bundles.*\)\. Set "bundle": \{"createUpdaterArtifacts": true\}/,
    );
  });
});

describe('uploadName', () => {
  const app = artifactKindOf('x.app.tar.gz')!;
  it('adds the Mac architecture as Tauri spells it in DMG names, once', () => {
    expect(uploadName('My App.app.tar.gz', app, 'darwin-aarch64')).toBe('My App_aarch64.app.tar.gz');
    expect(uploadName('My App.app.tar.gz', app, 'darwin-x86_64')).toBe('My App_x64.app.tar.gz');
    expect(uploadName('My App_x64.app.tar.gz', app, 'darwin-x86_64')).toBe('My App_x64.app.tar.gz');
    expect(uploadName('my-app_1.0.0_amd64.deb', artifactKindOf('a.deb')!, 'linux-x86_64')).toBe('my-app_1.0.0_amd64.deb');
  });
});
