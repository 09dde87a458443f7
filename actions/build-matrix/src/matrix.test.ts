import { describe, expect, it } from '@jest/globals';
import { ALL_PLATFORM_KEYS } from '../../../api/_src/protocol/platforms.ts';
import { buildMatrix, LEGS, matrixEntry, matrixSummary, parseRunners, selectLegs, VALID_PLATFORMS_TEXT } from './matrix.ts';

const entryOf = (name: string) => buildMatrix({ platforms: name }).include[0]!;

describe('every platform', () => {
  it.each([
    ['macos-arm64', { platform: 'darwin-aarch64', 'update-platforms': 'darwin-aarch64', runner: 'macos-latest', os: 'macOS', target: 'aarch64-apple-darwin', 'rust-targets': 'aarch64-apple-darwin', args: '--target aarch64-apple-darwin', bundles: 'app,dmg', 'updater-bundles': 'app' }],
    ['macos-x64', { platform: 'darwin-x86_64', 'update-platforms': 'darwin-x86_64', runner: 'macos-latest', os: 'macOS', target: 'x86_64-apple-darwin', 'rust-targets': 'x86_64-apple-darwin', args: '--target x86_64-apple-darwin', bundles: 'app,dmg', 'updater-bundles': 'app' }],
    ['macos-universal', { platform: 'darwin-universal', 'update-platforms': 'darwin-aarch64,darwin-x86_64', runner: 'macos-latest', os: 'macOS', target: 'universal-apple-darwin', 'rust-targets': 'aarch64-apple-darwin,x86_64-apple-darwin', args: '--target universal-apple-darwin', bundles: 'app,dmg', 'updater-bundles': 'app' }],
    ['linux-x64', { platform: 'linux-x86_64', 'update-platforms': 'linux-x86_64', runner: 'ubuntu-22.04', os: 'Linux', target: 'x86_64-unknown-linux-gnu', 'rust-targets': 'x86_64-unknown-linux-gnu', args: '--target x86_64-unknown-linux-gnu', bundles: 'appimage,deb,rpm', 'updater-bundles': 'appimage,deb,rpm' }],
    ['linux-arm64', { platform: 'linux-aarch64', 'update-platforms': 'linux-aarch64', runner: 'ubuntu-22.04-arm', os: 'Linux', target: 'aarch64-unknown-linux-gnu', 'rust-targets': 'aarch64-unknown-linux-gnu', args: '--target aarch64-unknown-linux-gnu', bundles: 'appimage,deb,rpm', 'updater-bundles': 'appimage,deb,rpm' }],
    ['windows-x64', { platform: 'windows-x86_64', 'update-platforms': 'windows-x86_64', runner: 'windows-latest', os: 'Windows', target: 'x86_64-pc-windows-msvc', 'rust-targets': 'x86_64-pc-windows-msvc', args: '--target x86_64-pc-windows-msvc', bundles: 'nsis,msi', 'updater-bundles': 'nsis,msi' }],
    ['windows-arm64', { platform: 'windows-aarch64', 'update-platforms': 'windows-aarch64', runner: 'windows-11-arm', os: 'Windows', target: 'aarch64-pc-windows-msvc', 'rust-targets': 'aarch64-pc-windows-msvc', args: '--target aarch64-pc-windows-msvc', bundles: 'nsis,msi', 'updater-bundles': 'nsis,msi' }],
    ['windows-x86', { platform: 'windows-i686', 'update-platforms': 'windows-i686', runner: 'windows-latest', os: 'Windows', target: 'i686-pc-windows-msvc', 'rust-targets': 'i686-pc-windows-msvc', args: '--target i686-pc-windows-msvc', bundles: 'nsis,msi', 'updater-bundles': 'nsis,msi' }],
  ])('%s', (name, expected) => {
    expect(entryOf(name)).toEqual({ name, ...expected });
  });

  it('accepts each leg by its {os}-{arch} alias too, case-insensitively', () => {
    for (const leg of LEGS) {
      expect(entryOf(leg.alias).name).toBe(leg.name);
      expect(entryOf(leg.name.toUpperCase()).name).toBe(leg.name);
    }
  });

  it('serves only platform keys the control plane knows, and no key twice among the legs of all', () => {
    for (const leg of LEGS) for (const key of leg.updatePlatforms) expect(ALL_PLATFORM_KEYS).toContain(key);
    const keys = selectLegs('all').flatMap((leg) => leg.updatePlatforms);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('selectLegs', () => {
  it('empty: both Macs, Linux x64 and Windows x64 (Tauri\'s pipeline example)', () => {
    expect(selectLegs(undefined).map((leg) => leg.name)).toEqual(['macos-arm64', 'macos-x64', 'linux-x64', 'windows-x64']);
  });

  it('all: every architecture built on its own, without universal and 32-bit Windows', () => {
    expect(selectLegs('all').map((leg) => leg.name)).toEqual(['macos-arm64', 'macos-x64', 'linux-x64', 'linux-arm64', 'windows-x64', 'windows-arm64']);
    expect(selectLegs('all, windows-x86').map((leg) => leg.name)).toContain('windows-x86');
  });

  it('takes commas, spaces and new lines, keeps the order given and drops repeats', () => {
    expect(selectLegs('linux-x64,\n windows-arm64  linux-x86_64\nmacos-universal').map((leg) => leg.name)).toEqual(['linux-x64', 'windows-arm64', 'macos-universal']);
  });

  it('an unknown platform is an error that lists the valid ones', () => {
    expect(() => selectLegs('macos-arm64, ios, linux-riscv')).toThrow(
      `Input platforms: unknown platforms "ios", "linux-riscv". Valid: ${VALID_PLATFORMS_TEXT}.`,
    );
    expect(VALID_PLATFORMS_TEXT).toBe(
      'macos-arm64 (darwin-aarch64), macos-x64 (darwin-x86_64), macos-universal (darwin-universal), linux-x64 (linux-x86_64), ' +
        'linux-arm64 (linux-aarch64), windows-x64 (windows-x86_64), windows-arm64 (windows-aarch64), windows-x86 (windows-i686), ' +
        'or all (macos-arm64, macos-x64, linux-x64, linux-arm64, windows-x64, windows-arm64)',
    );
  });

  it('refuses universal next to a single-architecture Mac: both would publish the same key', () => {
    expect(() => selectLegs('macos-universal, macos-x64')).toThrow('macos-universal and macos-x64 would both publish darwin-x86_64');
    expect(() => selectLegs('all, macos-universal')).toThrow('macos-arm64 and macos-universal would both publish darwin-aarch64');
  });
});

describe('options', () => {
  it('tauri-args on several lines are refused: a line break in a shell line starts another command', () => {
    expect(() => buildMatrix({ platforms: 'linux-x64', tauriArgs: '--features pro\nrm -rf ~' })).toThrow(/^Input tauri-args: the arguments span several lines/);
    expect(buildMatrix({ platforms: 'linux-x64', tauriArgs: '--features pro\n' }).include[0]!.args).toBe('--target x86_64-unknown-linux-gnu --features pro');
  });

  it('tauri-args are appended to every leg\'s args', () => {
    const matrix = buildMatrix({ platforms: 'linux-x64, windows-x64', tauriArgs: '  --features pro ' });
    expect(matrix.include.map((e) => e.args)).toEqual(['--target x86_64-unknown-linux-gnu --features pro', '--target x86_64-pc-windows-msvc --features pro']);
  });

  it('runners replace default labels, by name or alias; bad pairs and unknown names are errors', () => {
    const runners = parseRunners('linux-x64=ubuntu-22.04-16core,\nwindows-aarch64 = my-arm-box');
    expect(runners).toEqual({ 'linux-x64': 'ubuntu-22.04-16core', 'windows-arm64': 'my-arm-box' });
    const matrix = buildMatrix({ platforms: 'linux-x64 windows-arm64 macos-arm64', runners });
    expect(matrix.include.map((e) => e.runner)).toEqual(['ubuntu-22.04-16core', 'my-arm-box', 'macos-latest']);
    expect(() => parseRunners('linux-x64')).toThrow('"linux-x64" is not name=label');
    expect(() => parseRunners('solaris=box')).toThrow('unknown platform "solaris"');
    // `all` picks platforms, not runners: the list of what runners takes does not offer it.
    expect(() => parseRunners('all=self-hosted')).toThrow(/^Input runners: unknown platform "all"\. Valid: macos-arm64 \(darwin-aarch64\), .*windows-x86 \(windows-i686\)\.$/);
  });

  it('the matrix is plain JSON that fromJSON reads back the same', () => {
    const matrix = buildMatrix({ platforms: 'all' });
    expect(JSON.parse(JSON.stringify(matrix))).toEqual(matrix);
    expect(Object.keys(matrix)).toEqual(['include']);
  });

  it('summary: one row per leg, with a universal leg\'s keys spelled out', () => {
    const text = matrixSummary({ include: [matrixEntry(LEGS[2]!), matrixEntry(LEGS[3]!)] }, '1.2.3');
    expect(text).toContain('### Release matrix for 1.2.3');
    expect(text).toContain('| macos-universal | darwin-universal (darwin-aarch64,darwin-x86_64) | macos-latest | `--target universal-apple-darwin` | app |');
    expect(text).toContain('| linux-x64 | linux-x86_64 | ubuntu-22.04 | `--target x86_64-unknown-linux-gnu` | appimage,deb,rpm |');
  });
});
