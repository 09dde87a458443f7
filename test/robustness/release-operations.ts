/**
 * Random admin operations on one app's releases, for test/robustness/concurrent-operations.test.ts: drawn from a
 * seeded generator against what the last settled state showed, fired through the HTTP API, and each answer turned
 * into what it promises (the audit entry it must have left, the artifacts a published release must keep).
 */
import { createHash } from 'node:crypto';
import type { Random } from '../support/prng.ts';
import type { RunningServer } from '../support/server.ts';

export const VERSIONS = ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '2.0.0', '2.1.0', '2.2.0', '3.0.0', '3.1.0'] as const;
/** How many versions a batch works on: few, so its operations collide. */
export const WINDOW = 4;
/**
 * The versions batch `batch` works on: a window that slides on every other batch, so published releases (which
 * nothing can delete) give way to new drafts instead of leaving every later operation refused.
 */
export const versionsOf = (batch: number): readonly string[] => {
  const start = Math.min(Math.floor(batch / 2), VERSIONS.length - WINDOW);
  return VERSIONS.slice(start, start + WINDOW);
};
export const CHANNELS = ['stable', 'beta'] as const;

/** A (platform, file name) an upload can target; two share a file name, so one of them is refused while the other is there. */
export interface SlotSpec { platform: string; target: string; arch: string; bundle: string; fileName: (slug: string, version: string) => string }
export const SLOTS: readonly SlotSpec[] = [
  { platform: 'linux-x86_64', target: 'linux', arch: 'x86_64', bundle: 'appimage', fileName: (s, v) => `${s}_${v}_amd64.AppImage` },
  { platform: 'linux-x86_64', target: 'linux', arch: 'x86_64', bundle: 'deb', fileName: (s, v) => `${s}_${v}_amd64.deb` },
  { platform: 'linux-aarch64', target: 'linux', arch: 'aarch64', bundle: 'appimage', fileName: (s, v) => `${s}_${v}_amd64.AppImage` },
  { platform: 'windows-x86_64', target: 'windows', arch: 'x86_64', bundle: 'nsis', fileName: (s, v) => `${s}_${v}_x64-setup.exe` },
  { platform: 'darwin-aarch64', target: 'darwin', arch: 'aarch64', bundle: 'app', fileName: (s) => `${s}_aarch64.app.tar.gz` },
];

/** Signed bytes; `signature` verifies for `bytes` only when `good`. */
export interface SignedBlob { bytes: Buffer; sha256: string; signature: string; good: boolean }

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export interface ArtifactView {
  id: string; platform: string; bundle: string | null; file_name: string; size: number; sha256: string; signature: string; download_path: string; is_default: boolean;
  state: 'pending' | 'ready'; verified_key_id: string | null;
}
export interface ReleaseView {
  id: string; version: string; status: 'draft' | 'published' | 'archived'; channel: string; rollout_percent: number;
  pub_date: string | null; yanked_at: string | null; replacement_release_id: string | null; artifacts: ArtifactView[];
}

export type Operation =
  | { kind: 'upload'; version: string; slot: SlotSpec; blob: SignedBlob; isDefault?: boolean }
  | { kind: 'delete-artifact'; version: string; artifactId: string }
  | { kind: 'publish' | 'archive' | 'unyank' | 'delete-release' | 'create-release'; version: string }
  | { kind: 'yank'; version: string; replacement?: string }
  | { kind: 'patch'; version: string; body: Record<string, unknown> };

const WEIGHTED: readonly Operation['kind'][] = [
  ...Array<'upload'>(10).fill('upload'), 'delete-artifact', 'delete-artifact', 'publish', 'publish', 'publish',
  'archive', 'yank', 'yank', 'unyank', 'delete-release', 'create-release', 'create-release', 'patch', 'patch', 'patch',
];

let notesCounter = 0;

/** One operation, drawn against the releases as the last settled state showed them. */
export function drawOperation(random: Random, versions: readonly string[], known: readonly ReleaseView[], blobs: readonly SignedBlob[]): Operation {
  const version = random.pick(versions);
  // A version the window has just reached is mostly created first; the rest race its creation (404s).
  const kind = !known.some((r) => r.version === version) && random.chance(0.35) ? 'create-release' : random.pick(WEIGHTED);
  switch (kind) {
    case 'upload': {
      // Mostly well signed, so releases fill up and get published; the rest are refused as their bytes stream in.
      const good = random.chance(0.8);
      const upload = { kind, version, slot: random.pick(SLOTS), blob: random.pick(blobs.filter((blob) => blob.good === good)) };
      // Two Linux bundles of one platform compete for its one default (artifacts_release_platform_default_unique).
      return random.chance(0.5) ? upload : { ...upload, isDefault: random.chance(0.6) };
    }
    case 'delete-artifact': {
      const artifacts = known.filter((r) => versions.includes(r.version)).flatMap((release) => release.artifacts.map((artifact) => ({ release, artifact })));
      if (artifacts.length === 0) return { kind: 'publish', version };
      const { release, artifact } = random.pick(artifacts);
      return { kind, version: release.version, artifactId: artifact.id };
    }
    case 'yank': {
      // Mostly a release that was published, for a replacement that is (else both are refused), often an older one.
      const offered = known.filter((r) => r.status !== 'draft').map((r) => r.version);
      const published = known.filter((r) => r.status === 'published').map((r) => r.version);
      const yanked = offered.length > 0 && random.chance(0.8) ? random.pick(offered) : version;
      if (random.chance(0.3)) return { kind, version: yanked };
      return { kind, version: yanked, replacement: random.pick(published.length > 0 && random.chance(0.8) ? published : versions) };
    }
    case 'patch': {
      // Unique notes: every accepted PATCH changes something, so every one must leave its audit entry.
      const body: Record<string, unknown> = { notes: `notes ${++notesCounter}` };
      if (random.chance(0.4)) body.rollout_percent = random.pick([0, 30, 100, 100]);
      if (random.chance(0.4)) body.channel = random.pick(CHANNELS);
      if (random.chance(0.3)) body.status = random.pick(['published', 'archived']);
      // A rename, allowed only for a draft without artifacts, races the uploads into it.
      if (random.chance(0.15)) body.version = random.pick(versions);
      return { kind, version, body };
    }
    default:
      return { kind, version };
  }
}

export const describeOperation = (op: Operation): string => {
  switch (op.kind) {
    case 'upload': return `upload ${op.version} ${op.slot.platform} ${op.slot.fileName('app', op.version)} ${op.blob.sha256.slice(0, 8)}${op.blob.good ? '' : ' (bad signature)'}${op.isDefault === undefined ? '' : ` is_default=${op.isDefault}`}`;
    case 'delete-artifact': return `delete artifact ${op.artifactId} of ${op.version}`;
    case 'yank': return `yank ${op.version}${op.replacement ? ` for ${op.replacement}` : ''}`;
    case 'patch': return `patch ${op.version} ${JSON.stringify(op.body)}`;
    default: return `${op.kind} ${op.version}`;
  }
};

/** What an answered operation promises: its audit entry (2xx only) and, when the answer shows a published release, that release's artifacts. */
export interface Outcome { op: Operation; status: number; text: string; auditKey: string | null; published: ReleaseView | null }

const json = (method: string, body?: unknown): RequestInit =>
  body === undefined ? { method } : { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };

function request(slug: string, op: Operation): { path: string; init: RequestInit } {
  const release = `/admin/apps/${slug}/releases/${op.version}`;
  switch (op.kind) {
    case 'upload': {
      const form = new FormData();
      form.append('platform', op.slot.platform);
      form.append('signature', op.blob.signature);
      if (op.isDefault !== undefined) form.append('is_default', String(op.isDefault));
      form.append('file', new globalThis.Blob([new Uint8Array(op.blob.bytes)]), op.slot.fileName(slug, op.version));
      return { path: `${release}/artifacts`, init: { method: 'POST', body: form } };
    }
    case 'delete-artifact': return { path: `${release}/artifacts/${op.artifactId}`, init: { method: 'DELETE' } };
    case 'publish': return { path: `${release}/publish`, init: json('POST') };
    case 'archive': return { path: `${release}/archive`, init: json('POST') };
    case 'yank': return { path: `${release}/yank`, init: json('POST', op.replacement ? { replacement: op.replacement } : {}) };
    case 'unyank': return { path: `${release}/yank`, init: json('DELETE') };
    case 'delete-release': return { path: release, init: json('DELETE') };
    case 'create-release': return { path: `/admin/apps/${slug}/releases`, init: json('POST', { version: op.version }) };
    case 'patch': return { path: release, init: json('PATCH', op.body) };
  }
}

/**
 * The audit entry a 2xx answer must have left, as `auditKeyOf` names an entry: release actions by version (a deleted
 * and re-created version has a new id; a renamed one's entry names the new version), artifact actions by the artifact's id. A PATCH is one key whether it changed
 * the status (release.publish/archive with `changes`) or not (release.update).
 */
function expectedAuditKey(op: Operation, status: number, body: { id?: string; version?: string } | null): string {
  switch (op.kind) {
    case 'upload': return `${status === 201 ? 'artifact.upload' : 'artifact.replace'} artifact:${body!.id}`;
    case 'delete-artifact': return `artifact.delete artifact:${op.artifactId}`;
    case 'patch': return `patch ${body!.version}`; // a rename's entry names the new version
    case 'create-release': return `release.create ${op.version}`;
    case 'delete-release': return `release.delete ${op.version}`;
    case 'unyank': return `release.unyank ${op.version}`;
    default: return `release.${op.kind} ${op.version}`;
  }
}

export interface AuditEntry { id: number; action: string; target: string; details: Record<string, unknown> }

export function auditKeyOf(entry: AuditEntry): string {
  if (entry.action.startsWith('artifact.')) return `${entry.action} ${entry.target}`;
  const version = String(entry.details.version);
  if (entry.action === 'release.update' || ('changes' in entry.details && (entry.action === 'release.publish' || entry.action === 'release.archive'))) {
    return `patch ${version}`;
  }
  return `${entry.action} ${version}`;
}

export async function fire(server: RunningServer, slug: string, op: Operation): Promise<Outcome> {
  const { path, init } = request(slug, op);
  const res = await server.admin(path, init);
  const text = await res.text();
  if (res.status < 200 || res.status >= 300) return { op, status: res.status, text, auditKey: null, published: null };
  const body = text ? (JSON.parse(text) as ReleaseView & { id: string }) : null;
  const published = body && op.kind !== 'upload' && body.status === 'published' ? body : null;
  return { op, status: res.status, text, auditKey: expectedAuditKey(op, res.status, body), published };
}
