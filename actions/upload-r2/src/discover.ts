/**
 * @module discover
 * Finds a leg's updater artifacts in the Tauri bundle folder(s): every file whose name is a Tauri updater bundle
 * (api/_src/protocol/artifact-names.ts) and has its `.sig` beside it, as `tauri build` leaves them with
 * `createUpdaterArtifacts` (docs/reference/tauri-updater.md §2):
 *
 *   macos/My App.app.tar.gz(.sig)           → app        appimage/my-app_1.2.3_amd64.AppImage(.sig) → appimage
 *   deb/my-app_1.2.3_amd64.deb(.sig)        → deb        rpm/my-app-1.2.3-1.x86_64.rpm(.sig)        → rpm
 *   nsis/My App_1.2.3_x64-setup.exe(.sig)   → nsis       msi/My App_1.2.3_x64_en-US.msi(.sig)       → msi
 *
 * Each is read once, for its size and SHA-256, and its `.sig` is checked before any byte is uploaded: it must be a
 * Tauri signature, and the version it was signed for (`tauri build` records it) must be the release's.
 *
 * A macOS leg's DMG is uploaded too, as an *installer only* (api/_src/protocol/installers.ts): no `.sig` (Tauri never
 * signs it for the updater, and the server never offers it to the updater), but first `checkInstaller` proves it
 * notarized: its stapled ticket (`xcrun stapler validate`) and Gatekeeper's verdict (`spctl`). It is named per
 * architecture as Tauri names it (`My App_1.2.3_aarch64.dmg`); a universal one gets the architecture added per key.
 *
 * What is not uploaded, and why (listed in the log and the summary): bundles without a `.sig`
 * (`createUpdaterArtifacts` off, or no TAURI_SIGNING_PRIVATE_KEY during the build), and with `v1Compatible` the
 * plain installer next to its `.tar.gz`/`.zip` archive (the archive serves both v1 and v2 clients).
 *
 * macOS names its `.app.tar.gz` after the product only, so the same name comes from every Mac leg; file names
 * are unique per release, so the architecture is added: `My App_aarch64.app.tar.gz`, `My App_x64.app.tar.gz`
 * (Tauri's DMG spelling). A universal build is uploaded once per key it serves.
 */
import { createHash } from 'node:crypto';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { architectureOfFileName, artifactKindOf, type ArtifactKind } from '../../../api/_src/protocol/artifact-names.ts';
import { isInstallerOnlyFile } from '../../../api/_src/protocol/installers.ts';
import { decodeTauriSignature, parseTrustedComment, SignatureError, signedVersionMatches, TRUSTED_COMMENT_PREFIX } from '../../../api/_src/protocol/minisign.ts';
import { type BundleType, parsePlatformKey, type PlatformKey } from '../../../api/_src/protocol/platforms.ts';
import { isValidFileName } from '../../../api/_src/protocol/storage-keys.ts';
import type { Logger } from '../../shared/src/logger.ts';

export interface LocalArtifact {
  /** Absolute path of the file on the runner. */
  path: string;
  /** The name it is uploaded and registered under (unique within the release). */
  fileName: string;
  platform: PlatformKey;
  /** null for an installer only (a DMG). */
  bundle: BundleType | null;
  size: number;
  sha256: string;
  /** Content of its `.sig`, trimmed; '' for an installer only. */
  signature: string;
  /** A notarized DMG: downloadable by people, never offered to the updater. */
  installerOnly: boolean;
}

export interface SkippedFile {
  path: string;
  reason: string;
}

export interface Discovery {
  artifacts: LocalArtifact[];
  skipped: SkippedFile[];
}

export interface DiscoverOptions {
  dirs: readonly string[];
  platforms: readonly PlatformKey[];
  version: string;
  /**
   * Proves a DMG notarized (stapled ticket, Gatekeeper) or throws why not; returns a reason to skip it instead (the
   * tools are missing: not a macOS runner). Without it, DMGs are skipped.
   */
  checkInstaller?: (path: string) => Promise<string | null>;
}

/** Every regular file under `dir`, into `out`; `.app` bundles (folders) are not entered, their `.app.tar.gz` is the artifact. Also the CLI's. */
export async function filesUnder(dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.endsWith('.app')) await filesUnder(path, out);
    } else if (entry.isFile()) {
      out.push(path);
    }
  }
}

/** Hex SHA-256 of a file, read through one reused 1 MiB buffer: no memory grows with the file. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  const file = await open(path, 'r');
  try {
    for (let read = await file.read(buffer, 0, buffer.length); read.bytesRead > 0; read = await file.read(buffer, 0, buffer.length)) {
      hash.update(buffer.subarray(0, read.bytesRead));
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** Tauri's architecture spelling in Mac file names (`_aarch64.dmg`, `_x64.dmg`). */
const MAC_ARCH_LABEL: Record<string, string> = { aarch64: 'aarch64', x86_64: 'x64' };

/** The name a file is uploaded under for `platform`: Mac archives get the architecture (see the module comment). */
export function uploadName(fileName: string, kind: Pick<ArtifactKind, 'bundle'> | 'dmg', platform: PlatformKey): string {
  const arch = parsePlatformKey(platform)!.arch;
  const label = MAC_ARCH_LABEL[arch] ?? arch;
  if (kind === 'dmg') {
    // Tauri's DMG names carry the architecture already; a universal one serves each key under a name of its own.
    if (architectureOfFileName(fileName) === arch) return fileName;
    return `${fileName.slice(0, -'.dmg'.length)}_${label}${fileName.slice(-'.dmg'.length)}`;
  }
  if (kind.bundle !== 'app') return fileName;
  const suffix = fileName.slice(fileName.toLowerCase().lastIndexOf('.app.tar.gz'));
  const stem = fileName.slice(0, fileName.length - suffix.length);
  return stem.endsWith(`_${label}`) ? fileName : `${stem}_${label}${suffix}`;
}

/** The `.sig` content, checked: a Tauri signature, signed for `version` when it records one. */
function checkSignature(path: string, signature: string, version: string): void {
  let trusted;
  try {
    trusted = decodeTauriSignature(signature).trustedCommentLine;
  } catch (error) {
    if (error instanceof SignatureError) throw new Error(`${basename(path)}.sig is not a Tauri updater signature (${error.message}).`);
    throw error;
  }
  const signed = parseTrustedComment(trusted.startsWith(TRUSTED_COMMENT_PREFIX) ? trusted.slice(TRUSTED_COMMENT_PREFIX.length) : trusted).version;
  if (signed !== null && !signedVersionMatches(signed, version)) {
    throw new Error(
      `${basename(path)} was built and signed for version ${signed}, but this release is ${version}; the server and the updater refuse it. ` +
        `Build with the release's version (tauri build --config '{"version":"${version}"}', as the root action does) or pass version ${signed}.`,
    );
  }
}

interface Candidate {
  path: string;
  name: string;
  kind: ArtifactKind;
}

/** Of several files of one bundle type, the one to upload: the v1 archive over the plain installer, else the first by name. */
function pickOne(candidates: Candidate[], skipped: SkippedFile[], logger: Logger): Candidate {
  const sorted = [...candidates].sort((a, b) => Number(b.kind.archive) - Number(a.kind.archive) || a.name.localeCompare(b.name));
  const chosen = sorted[0]!;
  for (const other of sorted.slice(1)) {
    const reason =
      other.kind.archive !== chosen.kind.archive
        ? `${chosen.name} is uploaded instead: with createUpdaterArtifacts "v1Compatible" its archive serves both v1 and v2 clients`
        : `another ${chosen.kind.bundle} (${chosen.name}) is uploaded: the server keeps one per platform and bundle type; build one language or remove the extra file`;
    skipped.push({ path: other.path, reason });
    if (other.kind.archive === chosen.kind.archive) logger.warning(`${other.name} is not uploaded: ${reason}.`);
  }
  return chosen;
}

/**
 * The updater artifacts of the given bundle folders for `platforms`, checked, measured and hashed.
 *
 * @throws Error when a folder is missing, a bundle belongs to another OS than the platform, a `.sig` is wrong, or
 *   nothing is found (with the likely causes)
 */
export async function discoverArtifacts(options: DiscoverOptions, logger: Logger): Promise<Discovery> {
  const files: string[] = [];
  for (const dir of options.dirs) {
    const full = resolve(dir);
    const info = await stat(full).catch(() => null);
    if (!info?.isDirectory()) {
      throw new Error(`bundle-dir ${full} is not a folder: pass the folder \`tauri build\` wrote its bundles to (<target dir>/<target triple>/release/bundle).`);
    }
    await filesUnder(full, files);
  }
  files.sort();
  const present = new Set(files);
  const oses = new Set(options.platforms.map((key) => parsePlatformKey(key)!.os));
  const skipped: SkippedFile[] = [];
  const byBundle = new Map<BundleType, Candidate[]>();
  const dmgs: string[] = [];

  for (const path of files) {
    const name = basename(path);
    if (name.toLowerCase().endsWith('.sig')) continue;
    const kind = artifactKindOf(name);
    if (!kind) {
      if (isInstallerOnlyFile(name)) dmgs.push(path);
      continue;
    }
    if (!present.has(`${path}.sig`)) {
      skipped.push({ path, reason: 'no .sig beside it: build with bundle.createUpdaterArtifacts and TAURI_SIGNING_PRIVATE_KEY set' });
      continue;
    }
    if (!oses.has(kind.os)) {
      throw new Error(`${path} is a ${kind.os} bundle (${kind.bundle}), but platform is ${options.platforms.join(', ')}: pass this leg's platform, and its own bundle folder.`);
    }
    byBundle.set(kind.bundle, [...(byBundle.get(kind.bundle) ?? []), { path, name, kind }]);
  }

  const artifacts: LocalArtifact[] = [];
  const hashes = new Map<string, string>();
  for (const candidates of byBundle.values()) {
    const { path, name, kind } = pickOne(candidates, skipped, logger);
    const signature = (await readFile(`${path}.sig`, 'utf8')).trim();
    checkSignature(path, signature, options.version);
    const { size } = await stat(path);
    if (size === 0) throw new Error(`${path} is empty; the build did not finish writing it.`);
    let sha256 = hashes.get(path);
    if (!sha256) hashes.set(path, (sha256 = await sha256File(path)));
    for (const platform of options.platforms) {
      if (parsePlatformKey(platform)!.os !== kind.os) continue;
      const fileName = uploadName(name, kind, platform);
      if (!isValidFileName(fileName)) {
        throw new Error(`${fileName}: the server accepts file names of letters, digits, spaces and . + ( ) @ ~ - _ only (at most 200): rename the product (productName) or the bundle.`);
      }
      artifacts.push({ path, fileName, platform, bundle: kind.bundle, size, sha256, signature, installerOnly: false });
    }
  }
  if (artifacts.length > 0) artifacts.push(...(await discoverDmgs(dmgs, options, skipped)));
  else for (const path of dmgs) skipped.push({ path, reason: 'a DMG is an installer only: it ships with the leg\'s updater bundles, and none was found' });
  artifacts.sort((a, b) => a.fileName.localeCompare(b.fileName) || a.platform.localeCompare(b.platform));

  if (artifacts.length === 0) {
    const seen = skipped.length ? ` Found, but not uploaded: ${skipped.map((s) => `${basename(s.path)} (${s.reason})`).join('; ')}.` : ' The folder holds no Tauri bundle.';
    throw new Error(
      `No updater artifact in ${options.dirs.join(', ')}.${seen} Set "bundle": {"createUpdaterArtifacts": true} in tauri.conf.json and ` +
        'TAURI_SIGNING_PRIVATE_KEY in the environment of `tauri build`, so each bundle gets its .sig.',
    );
  }
  return { artifacts, skipped };
}

/**
 * The DMGs of this build. Tauri names one `{product}_{version}_{arch}.dmg` and never deletes an older one, so a
 * bundle folder that outlived a build (a self-hosted runner, a cached target folder) also holds earlier versions'
 * DMGs, notarized and stapled, that must not ship as this version's installer. When some DMG names `version`, the
 * others are left out (into `skipped`, with the reason); when none does (a renamed DMG), all are kept.
 */
export function dmgsOfVersion(paths: readonly string[], version: string, skipped: SkippedFile[]): string[] {
  const names = (path: string) => basename(path).includes(`_${version}_`) || basename(path).endsWith(`_${version}.dmg`);
  const current = paths.filter(names);
  if (current.length === 0) return [...paths];
  for (const path of paths) {
    if (!current.includes(path)) skipped.push({ path, reason: `a DMG of another build: its name does not carry this release's version ${version}, as ${basename(current[0]!)} does` });
  }
  return current;
}

/** The DMG for each Mac key: the one naming its architecture, else an architecture-less (universal) one; checked once each. */
async function discoverDmgs(all: readonly string[], options: DiscoverOptions, skipped: SkippedFile[]): Promise<LocalArtifact[]> {
  const paths = dmgsOfVersion(all, options.version, skipped);
  const macs = options.platforms.filter((key) => parsePlatformKey(key)!.os === 'darwin');
  const found: LocalArtifact[] = [];
  const used = new Set<string>();
  const checked = new Map<string, { size: number; sha256: string } | null>();
  for (const platform of macs) {
    const arch = parsePlatformKey(platform)!.arch;
    const path = paths.find((p) => architectureOfFileName(basename(p)) === arch) ?? paths.find((p) => architectureOfFileName(basename(p)) === null);
    if (!path) continue;
    used.add(path);
    if (!checked.has(path)) {
      const why = options.checkInstaller ? await options.checkInstaller(path) : 'not checked for notarization here (upload-r2 checks DMGs on macOS)';
      if (why !== null) {
        skipped.push({ path, reason: why });
        checked.set(path, null);
      } else {
        const { size } = await stat(path);
        if (size === 0) throw new Error(`${path} is empty; the build did not finish writing it.`);
        checked.set(path, { size, sha256: await sha256File(path) });
      }
    }
    const measured = checked.get(path);
    if (!measured) continue;
    const fileName = uploadName(basename(path), 'dmg', platform);
    if (!isValidFileName(fileName)) throw new Error(`${fileName}: the server accepts file names of letters, digits, spaces and . + ( ) @ ~ - _ only (at most 200).`);
    found.push({ path, fileName, platform, bundle: null, ...measured, signature: '', installerOnly: true });
  }
  for (const path of paths) {
    if (!used.has(path)) skipped.push({ path, reason: `a DMG for another architecture than ${macs.join(', ') || 'this leg\'s platforms'}` });
  }
  return found;
}
