/**
 * @module release-files
 * What one matrix leg attaches to the GitHub release, found in its bundle folder(s): every file a first-time user
 * installs from (the DMG, `-setup.exe`, `.msi`, `.deb`, `.rpm`, `.AppImage`), every updater bundle (the same
 * installers, and macOS's `.app.tar.gz` or the `v1Compatible` archives) and each `.sig` beside them.
 *
 * Names are the ones the release keeps:
 * - Mac archives get the architecture, as upload-r2 names them (`My App_aarch64.app.tar.gz`), since Tauri names
 *   the `.app.tar.gz` after the product only and every Mac leg would upload the same name; a universal build once
 *   per key it serves.
 * - A DMG is attached only once proven notarized (`checkDmg`, upload-r2's check: a stapled ticket and Gatekeeper's
 *   verdict), as upload-r2 uploads it: one that was never notarized (no Apple credentials, or notarize-dmg skipped)
 *   would be refused by Gatekeeper on every Mac that downloads it, so it is skipped with the reason.
 * - GitHub renames an asset whose name holds other characters than letters, digits, `.`, `-` and `_` (a space
 *   becomes `.`), so a name is spelled that way before it is compared with what the release already has;
 *   otherwise every re-run would upload `My App…` again next to GitHub's `My.App…`.
 */
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { artifactKindOf } from '../../../api/_src/protocol/artifact-names.ts';
import { parsePlatformKey, type PlatformKey } from '../../../api/_src/protocol/platforms.ts';
import { isInstallerOnlyFile } from '../../../api/_src/protocol/installers.ts';
import { dmgsOfVersion, filesUnder, sha256File, type SkippedFile, uploadName } from '../../upload-r2/src/discover.ts';

export interface ReleaseFile {
  /** Absolute path on the runner. */
  path: string;
  /** The asset name, as GitHub stores it. */
  name: string;
  size: number;
  sha256: string;
  kind: 'installer' | 'updater' | 'signature';
}

/** The name GitHub gives an uploaded asset: characters other than letters, digits, `.`, `-`, `_` become `.`. */
export function githubAssetName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '.').replace(/^\.+|\.+$/g, '');
}

const INSTALLER = /(-setup\.exe|\.msi|\.deb|\.rpm|\.appimage)$/i;

export type { SkippedFile };

export interface ReleaseFilesOptions {
  /** Proves a DMG notarized: null, or why it is skipped (throws when it is broken). Without it, DMGs are not checked. */
  checkDmg?: (path: string) => Promise<string | null>;
  /** Receives the files left out, with the reason. */
  skipped?: SkippedFile[];
  /** The release's version: a DMG naming another (an earlier build's, left in the folder) is left out. */
  version?: string;
}

/**
 * The leg's files for the release, sorted by name.
 *
 * @throws Error when a folder is missing, nothing is found, or two files would get the same asset name
 */
export async function releaseFiles(dirs: readonly string[], platforms: readonly PlatformKey[], options: ReleaseFilesOptions = {}): Promise<ReleaseFile[]> {
  const paths: string[] = [];
  for (const dir of dirs) {
    const full = resolve(dir);
    if (!(await stat(full).catch(() => null))?.isDirectory()) {
      throw new Error(`bundle-dir ${full} is not a folder: pass the folder \`tauri build\` wrote its bundles to (the root action's bundle-dir output).`);
    }
    await filesUnder(full, paths);
  }
  const present = new Set(paths);
  const byName = new Map<string, ReleaseFile>();
  const add = async (path: string, name: string, kind: ReleaseFile['kind']) => {
    const assetName = githubAssetName(name);
    const other = byName.get(assetName);
    if (other && other.path !== path) throw new Error(`${path} and ${other.path} would both be the release asset ${assetName}: build one of them, or pass one bundle-dir per leg.`);
    const { size } = await stat(path);
    byName.set(assetName, { path, name: assetName, size, sha256: await sha256File(path), kind });
  };

  const dmgs: string[] = [];
  for (const path of paths.sort()) {
    const name = basename(path);
    if (name.toLowerCase().endsWith('.sig')) continue;
    const kind = artifactKindOf(name);
    const signed = present.has(`${path}.sig`);
    if (!kind) {
      if (isInstallerOnlyFile(name)) dmgs.push(path);
      else if (INSTALLER.test(name)) await add(path, name, 'installer');
      continue;
    }
    const names = kind.bundle === 'app' ? platforms.filter((key) => parsePlatformKey(key)!.os === 'darwin').map((key) => uploadName(name, kind, key)) : [name];
    for (const assetName of names) {
      await add(path, assetName, signed ? 'updater' : 'installer');
      if (signed) await add(`${path}.sig`, `${assetName}.sig`, 'signature');
    }
  }
  const skipped = options.skipped ?? [];
  for (const path of options.version === undefined ? dmgs : dmgsOfVersion(dmgs, options.version, skipped)) {
    const why = options.checkDmg ? await options.checkDmg(path) : null;
    if (why === null) await add(path, basename(path), 'installer');
    else skipped.push({ path, reason: why });
  }
  const files = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  if (files.length === 0) throw new Error(`No installer or updater bundle in ${dirs.join(', ')}: is it the folder \`tauri build\` wrote (…/release/bundle)?`);
  return files;
}
