/**
 * @module installers
 * What a first-time user installs from, kept apart from the updater's bundle type (`platforms.ts`): the updater
 * reports `{{bundle_type}}` (`app`, `appimage`, `deb`, `rpm`, `msi`, `nsis`), a person downloads an *installer*.
 *
 * - `dmg` is an installer only: it carries no updater signature (the action checks its stapled notarization
 *   ticket and Gatekeeper's verdict before upload) and is never offered to the updater. `bundle_type=dmg` stays
 *   invalid on the update check.
 * - The plain AppImage, deb, rpm, MSI and NSIS `-setup.exe` are updater bundles and installers at once.
 * - The v1-compatible archives (`.AppImage.tar.gz`, `.msi.zip`, `.nsis.zip`) and macOS's `.app.tar.gz` are not
 *   installers: nobody double-clicks them.
 */
// zod/mini (as config.ts): the update path imports this module, and classic zod costs a cold start of the Vercel
// function ~20 ms to load; the schemas work the same inside classic ones.
import * as z from 'zod/mini';
import { artifactKindOf } from './artifact-names.ts';
import type { OperatingSystem } from './platforms.ts';

export const INSTALLER_KINDS = ['dmg', 'msi', 'nsis', 'deb', 'rpm', 'appimage'] as const;
export type InstallerKind = (typeof INSTALLER_KINDS)[number];
export const installerKindSchema = z.enum(INSTALLER_KINDS);

/** The installer kinds of each OS, in the order the latest link picks one when none is asked for. */
export const DEFAULT_INSTALLER_PREFERENCE: Readonly<Record<OperatingSystem, readonly InstallerKind[]>> = {
  darwin: ['dmg'],
  // NSIS first, as for updates: `tauri build`'s default, and it installs per user without admin rights.
  windows: ['nsis', 'msi'],
  linux: ['appimage', 'deb', 'rpm'],
};

export function installerBelongsTo(kind: InstallerKind, os: OperatingSystem): boolean {
  return DEFAULT_INSTALLER_PREFERENCE[os].includes(kind);
}

/** True for a file that is an installer and nothing else: never signed for, nor offered to, the updater. */
export function isInstallerOnlyFile(fileName: string): boolean {
  return installerKindOf(fileName) === 'dmg';
}

/**
 * The installer kind of a file, from its name, or null when a person does not install from it.
 *
 * @example
 * installerKindOf('My App_1.2.3_aarch64.dmg')      // 'dmg'
 * installerKindOf('My App_1.2.3_x64-setup.exe')    // 'nsis'
 * installerKindOf('My App_1.2.3_x64-setup.nsis.zip') // null (a v1 updater archive)
 */
export function installerKindOf(fileName: string): InstallerKind | null {
  if (fileName.includes('/') || fileName.includes('\\')) return null;
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.dmg') && lower.length > '.dmg'.length) return 'dmg';
  const kind = artifactKindOf(fileName);
  if (!kind || kind.archive || kind.bundle === 'app') return null;
  return kind.bundle;
}
