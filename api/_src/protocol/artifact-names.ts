/**
 * @module artifact-names
 * Which Tauri bundle an updater artifact is, read from its file name, as `tauri build` names them
 * (docs/reference/tauri-updater.md §2): v2 signs the installers themselves (`.AppImage`, `.deb`, `.rpm`, `.msi`,
 * `-setup.exe`) and macOS's `.app.tar.gz`; `createUpdaterArtifacts: "v1Compatible"` adds the archives
 * `.AppImage.tar.gz`, `.msi.zip` and `.nsis.zip`; the architecture from the arch token in the name. Shared by
 * the admin API, the dashboard, the GitHub actions and the GitHub Releases sync.
 */
import { type Architecture, type BundleType, type OperatingSystem, type PlatformKey, platformKey, UNIVERSAL_MACOS_KEYS } from './platforms.ts';

export interface ArtifactKind {
  bundle: BundleType;
  /** The only OS this bundle can be installed on. */
  os: OperatingSystem;
  /** True for the v1-compatible archives (`.tar.gz`/`.zip` around the installer or `.app`). */
  archive: boolean;
}

/** Longest suffix first, so `.AppImage.tar.gz` is not read as something else. Matched case-insensitively. */
const SUFFIXES: readonly (readonly [suffix: string, kind: ArtifactKind])[] = [
  ['.app.tar.gz', { bundle: 'app', os: 'darwin', archive: true }],
  ['.appimage.tar.gz', { bundle: 'appimage', os: 'linux', archive: true }],
  ['.nsis.zip', { bundle: 'nsis', os: 'windows', archive: true }],
  ['.msi.zip', { bundle: 'msi', os: 'windows', archive: true }],
  ['-setup.exe', { bundle: 'nsis', os: 'windows', archive: false }],
  ['.appimage', { bundle: 'appimage', os: 'linux', archive: false }],
  ['.msi', { bundle: 'msi', os: 'windows', archive: false }],
  ['.deb', { bundle: 'deb', os: 'linux', archive: false }],
  ['.rpm', { bundle: 'rpm', os: 'linux', archive: false }],
];

/**
 * The bundle type (and the OS it implies) of an updater artifact, or null when the name is not one
 * Tauri produces (a `.sig`, a `.dmg`, a bare `.exe`, a path).
 *
 * @example
 * artifactKindOf('My App_1.2.3_x64-setup.exe') // { bundle: 'nsis', os: 'windows', archive: false }
 * artifactKindOf('My App.app.tar.gz')          // { bundle: 'app', os: 'darwin', archive: true }
 * artifactKindOf('My App_1.2.3_x64.dmg')       // null
 */
export function artifactKindOf(fileName: string): ArtifactKind | null {
  if (fileName.includes('/') || fileName.includes('\\')) return null;
  const lower = fileName.toLowerCase();
  for (const [suffix, kind] of SUFFIXES) {
    // A name that is only the suffix (".msi") has no stem and is not a bundle.
    if (lower.endsWith(suffix) && lower.length > suffix.length) return { ...kind };
  }
  return null;
}

/** Shorthand for `artifactKindOf(fileName)?.bundle ?? null`. */
export function bundleOfFileName(fileName: string): BundleType | null {
  return artifactKindOf(fileName)?.bundle ?? null;
}

/**
 * Architecture tokens as `tauri build` writes them: AppImage and deb use Debian's names (amd64, i386, arm64,
 * armhf), rpm uses RPM's (x86_64, aarch64, armhfp), the Windows installers x64/x86/arm64. Matched as whole
 * tokens between `_`, `-`, `.` or a space; x86_64 is tried before x86.
 */
const ARCH_TOKENS: readonly (readonly [token: string, arch: Architecture])[] = [
  ['x86_64', 'x86_64'],
  ['amd64', 'x86_64'],
  ['x64', 'x86_64'],
  ['aarch64', 'aarch64'],
  ['arm64', 'aarch64'],
  ['i686', 'i686'],
  ['i386', 'i686'],
  ['x86', 'i686'],
  ['armv7', 'armv7'],
  ['armhfp', 'armv7'],
  ['armhf', 'armv7'],
  ['riscv64', 'riscv64'],
];

/** The architecture a file name names, or null when it names none (or more than one, e.g. "universal"). */
export function architectureOfFileName(fileName: string): Architecture | null {
  const lower = fileName.toLowerCase();
  const found = new Set<Architecture>();
  for (const [token, arch] of ARCH_TOKENS) {
    const pattern = new RegExp(`(?:^|[-_. ])${token}(?=$|[-_. ])`);
    // "x86_64" also contains the token "x86" followed by "_"; once x86_64 matched, x86 would be a false second arch.
    if (pattern.test(token === 'x86' ? lower.replace(/x86_64/g, '') : lower)) found.add(arch);
  }
  return found.size === 1 ? [...found][0]! : null;
}

/**
 * The platforms (`{os}-{arch}`) an updater artifact serves, read from its name alone: its bundle's OS and the
 * architecture its name carries. A macOS `universal` archive serves both Mac architectures (as tauri-action's
 * `latest.json` lists it). Empty when the name is not a bundle or names no single architecture; a caller that
 * cannot ask the user (a GitHub release sync) skips such a file and says so.
 *
 * @example
 * platformsOfFileName('App_1.2.0_amd64.AppImage')   // ['linux-x86_64']
 * platformsOfFileName('App_universal.app.tar.gz')    // ['darwin-aarch64', 'darwin-x86_64']
 * platformsOfFileName('App.app.tar.gz')              // []
 */
export function platformsOfFileName(fileName: string): PlatformKey[] {
  const kind = artifactKindOf(fileName);
  if (!kind) return [];
  if (kind.os === 'darwin' && /(?:^|[-_. ])universal(?=$|[-_. ])/i.test(fileName)) {
    return [...UNIVERSAL_MACOS_KEYS];
  }
  const arch = architectureOfFileName(fileName);
  return arch ? [platformKey({ os: kind.os, arch })] : [];
}
