/**
 * @module artifact-names
 * Which Tauri bundle an updater artifact is, read from its file name, as `tauri build` names them
 * (docs/tauri-updater.md §2): v2 signs the installers themselves (`.AppImage`, `.deb`, `.rpm`, `.msi`,
 * `-setup.exe`) and macOS's `.app.tar.gz`; `createUpdaterArtifacts: "v1Compatible"` adds the archives
 * `.AppImage.tar.gz`, `.msi.zip` and `.nsis.zip`. Shared by the admin API and the GitHub actions.
 */
import type { BundleType, OperatingSystem } from './platforms.ts';

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
