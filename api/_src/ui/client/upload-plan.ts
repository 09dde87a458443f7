/**
 * @module ui/client/upload-plan
 * What a drop of files means before anything is sent: each artifact paired with its `.sig` (Tauri writes
 * `App_1.2.0_amd64.AppImage.sig` next to `App_1.2.0_amd64.AppImage`), its bundle read from the file name as the
 * server reads it (`artifactKindOf`), its architecture from the name's arch token where `tauri build` puts one,
 * and what is still missing or in conflict. Pure: files are anything with a `name`, so tests use plain objects.
 */
import { architectureOfFileName, artifactKindOf } from '../../protocol/artifact-names.ts';
import {
  type BundleType,
  bundleBelongsTo,
  DEFAULT_BUNDLE_PREFERENCE,
  type OperatingSystem,
  parsePlatformKey,
  type PlatformKey,
} from '../../protocol/platforms.ts';
import { FILE_NAME_RULE, isValidFileName } from '../../protocol/storage-keys.ts';

export interface NamedFile {
  name: string;
}

/** An artifact the release already has (the fields of ArtifactBody this module reads). */
export interface ExistingArtifact {
  id: string;
  platform: string;
  bundle: BundleType | null;
  file_name: string;
  is_default: boolean;
}

export interface PlannedUpload<F extends NamedFile> {
  /** Stable within a queue: the file name (two files of one name are refused at planning). */
  key: string;
  file: F;
  /** The `.sig` file dropped with it, if any; otherwise `signatureText` is pasted. */
  signatureFile: F | null;
  signatureText: string;
  /** '' until derived or chosen. */
  platform: PlatformKey | '';
  bundle: BundleType | '';
  /** The OS the file name implies (from its bundle), which limits the platforms offered. */
  os: OperatingSystem | null;
  isDefault: boolean;
}

export interface PlanResult<F extends NamedFile> {
  items: PlannedUpload<F>[];
  /** Files that cannot be queued, each with what to do. */
  problems: string[];
}

const SIG = '.sig';
const isSignatureName = (name: string) => name.toLowerCase().endsWith(SIG) && name.length > SIG.length;

/** Platform and bundle as far as the file name tells them. */
export function describeFileName(fileName: string): { os: OperatingSystem | null; platform: PlatformKey | ''; bundle: BundleType | '' } {
  const kind = artifactKindOf(fileName);
  if (!kind) return { os: null, platform: '', bundle: '' };
  const arch = architectureOfFileName(fileName);
  return { os: kind.os, platform: arch ? `${kind.os}-${arch}` : '', bundle: kind.bundle };
}

/**
 * Turns dropped files into queued uploads. A `.sig` pairs with the file of the same name without `.sig`, whether
 * dropped with it or already `queued` without a signature; a `.sig` with neither is a problem. A file already
 * queued is queued again with the new bytes (its choices kept).
 */
export function planFiles<F extends NamedFile>(files: readonly F[], queued: readonly PlannedUpload<F>[] = []): PlanResult<F> {
  const problems: string[] = [];
  const items = queued.map((item) => ({ ...item }));
  const byName = new Map(items.map((item) => [item.file.name, item]));
  const artifacts = files.filter((file) => !isSignatureName(file.name));
  const signatures = files.filter((file) => isSignatureName(file.name));
  const seen = new Set<string>();

  for (const file of artifacts) {
    if (seen.has(file.name)) {
      problems.push(`${file.name} was chosen twice; it is queued once`);
      continue;
    }
    seen.add(file.name);
    const previous = byName.get(file.name);
    if (previous) {
      previous.file = file;
      continue;
    }
    const described = describeFileName(file.name);
    const item: PlannedUpload<F> = { key: file.name, file, signatureFile: null, signatureText: '', ...described, isDefault: false };
    items.push(item);
    byName.set(file.name, item);
  }
  for (const signature of signatures) {
    const target = byName.get(signature.name.slice(0, -SIG.length));
    if (!target) {
      problems.push(`${signature.name} has no artifact named ${signature.name.slice(0, -SIG.length)} to go with; drop it together with that file`);
      continue;
    }
    target.signatureFile = signature;
    target.signatureText = '';
  }
  return { items, problems };
}

/** Where an item stands: what is missing, what blocks it, and which artifact it would replace. */
export interface ItemCheck {
  missing: ('platform' | 'bundle' | 'signature')[];
  /** Messages that block the upload until the user changes something. */
  conflicts: string[];
  replaces: ExistingArtifact | null;
}

const slotOf = (platform: string, bundle: string) => `${platform} ${bundle}`;

export function checkItem<F extends NamedFile>(item: PlannedUpload<F>, queue: readonly PlannedUpload<F>[], existing: readonly ExistingArtifact[]): ItemCheck {
  const missing: ItemCheck['missing'] = [];
  const conflicts: string[] = [];
  if (!item.platform) missing.push('platform');
  if (!item.bundle) missing.push('bundle');
  if (!item.signatureFile && !item.signatureText.trim()) missing.push('signature');
  // The server refuses such a name only once the file has been sent; say so before anything is filled in.
  if (!isValidFileName(item.file.name)) conflicts.push(`the server does not store a file named ${JSON.stringify(item.file.name)}: rename it (${FILE_NAME_RULE})`);
  let replaces: ExistingArtifact | null = null;
  if (item.platform && item.bundle) {
    const parsed = parsePlatformKey(item.platform);
    if (parsed && !bundleBelongsTo(item.bundle, parsed.os)) {
      conflicts.push(`a ${item.bundle} bundle cannot be installed on ${parsed.os}; choose a ${parsed.os} bundle (${DEFAULT_BUNDLE_PREFERENCE[parsed.os].join(', ')}) or another platform`);
    }
    const slot = slotOf(item.platform, item.bundle);
    const rivals = queue.filter((other) => other !== item && other.platform && other.bundle && slotOf(other.platform, other.bundle) === slot);
    if (rivals.length) {
      conflicts.push(`${rivals.map((other) => other.file.name).join(', ')} also claims ${item.platform} ${item.bundle}; a release has one artifact per platform and bundle, so change or remove one`);
    }
    replaces = existing.find((artifact) => slotOf(artifact.platform, artifact.bundle ?? '') === slot) ?? null;
  }
  const sameName = existing.find((artifact) => artifact.file_name === item.file.name && artifact !== replaces);
  if (sameName) {
    conflicts.push(
      `${item.file.name} is already the ${sameName.platform}${sameName.bundle ? ` ${sameName.bundle}` : ''} artifact; file names are unique per release, so choose that slot to replace it, or rename the file`,
    );
  }
  return { missing, conflicts, replaces };
}

/** "App.AppImage (linux-x86_64, appimage)", how a replace confirmation names an artifact. */
export function describeArtifact(artifact: Pick<ExistingArtifact, 'file_name' | 'platform' | 'bundle'>): string {
  return `${artifact.file_name} (${artifact.platform}${artifact.bundle ? `, ${artifact.bundle}` : ''})`;
}

/** The first line of what to do for a missing piece, in the panel's words. */
export const MISSING_TEXT: Record<ItemCheck['missing'][number], string> = {
  platform: 'choose the platform',
  bundle: 'choose the bundle',
  signature: 'paste the signature or choose the .sig file',
};
