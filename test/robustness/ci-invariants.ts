/**
 * What must hold after CI jobs, key rotations and rollout changes race admin operations, for
 * test/robustness/ci-concurrent-operations.test.ts (the checks shared with the admin harness are in
 * release-invariants.ts). Each returns the problems it found, in words.
 */
import { inCohort } from '../../api/_src/protocol/rollout.ts';
import type { RunningServer } from '../support/server.ts';
import type { KeyedBlob } from './ci-operations.ts';
import type { StoredObject } from './release-invariants.ts';
import type { ReleaseView, SlotSpec } from './release-operations.ts';

/**
 * Storage with uploads in flight: every ready artifact's object holds its bytes; an object no ready row names is
 * the staged bytes of an upload its job left uncompleted while the release is still a draft (it can still be
 * completed, `mayStay`), nothing else: bytes that can never become an artifact must not be kept.
 */
export function checkStorageWithUploads(releases: readonly ReleaseView[], objects: readonly StoredObject[], mayStay: (uploadId: string) => boolean): string[] {
  const rowKey = (version: string, a: { file_name: string; sha256: string; size: number }) => `${version}/${a.file_name} ${a.sha256} ${a.size}`;
  const ready = releases.flatMap((r) => r.artifacts.filter((a) => a.state === 'ready').map((a) => rowKey(r.version, a)));
  const stored = objects.map((o) => ({ id: `${o.version}/${o.fileName} ${o.sha256} ${o.size}`, key: o.key }));
  const problems: string[] = [];
  const unmatched = [...stored];
  for (const row of ready) {
    const at = unmatched.findIndex((o) => o.id === row);
    if (at === -1) problems.push(`ready artifact ${row} has no stored object with those bytes`);
    else unmatched.splice(at, 1);
  }
  const uploadIdOf = (key: string) => /\/uploads\/([^/]+)\/[^/]+$/.exec(key)?.[1];
  for (const object of unmatched) if (!mayStay(uploadIdOf(object.key) ?? '')) problems.push(`stored object ${object.key} (${object.id}) is referenced by no artifact row`);
  return problems;
}

/**
 * Key rotation: a ready artifact was verified against the key that signed it (never a crossed signature), and a
 * release first seen published after this batch offers only artifacts signed by one key that was the app's key
 * at some moment of the batch (publish checks every artifact against the key current then).
 */
export function checkKeys(releases: readonly ReleaseView[], blobs: readonly KeyedBlob[], keyIds: readonly [string, string], keysOfBatch: ReadonlySet<0 | 1>, newlyPublished: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const release of releases) {
    const signers = new Set<0 | 1>();
    for (const artifact of release.artifacts.filter((a) => a.state === 'ready' && a.signature !== '')) {
      const blob = blobs.find((b) => b.sha256 === artifact.sha256 && b.signature === artifact.signature);
      if (!blob?.good) {
        problems.push(`${release.version} ${artifact.file_name} is ready with a signature that does not verify for its bytes`);
        continue;
      }
      signers.add(blob.key);
      if (artifact.verified_key_id !== keyIds[blob.key]) problems.push(`${release.version} ${artifact.file_name} was signed by key ${keyIds[blob.key]} but recorded as verified by ${artifact.verified_key_id}`);
    }
    if (!newlyPublished.has(release.id)) continue;
    const wrong = [...signers].filter((key) => !keysOfBatch.has(key));
    if (signers.size > 1 || wrong.length > 0) {
      problems.push(`${release.version} was published with artifacts signed by key(s) ${[...signers].map((k) => keyIds[k]).join(', ')}, while the app's key was only ${[...keysOfBatch].map((k) => keyIds[k]).join(', ')}`);
    }
  }
  return problems;
}

/** One update check an install made after a batch settled, and the releases as they were then. */
export interface InstallCheck { batch: number; installId: string; slot: SlotSpec; channel: string; offered: string | null; releases: readonly ReleaseView[] }

export async function checkInstall(server: RunningServer, slug: string, batch: number, installId: string, slot: SlotSpec, channel: string, releases: readonly ReleaseView[]): Promise<InstallCheck | string> {
  const path = `/update/${slug}/${slot.target}/${slot.arch}/0.0.1?bundle_type=${slot.bundle}&channel=${channel}`;
  const res = await fetch(`${server.url}${path}`, { headers: { 'X-Install-Id': installId } });
  const text = await res.text();
  if (res.status !== 200 && res.status !== 204) return `${path} (install ${installId}): ${res.status} ${text.slice(0, 200)}`;
  return { batch, installId, slot, channel, offered: res.status === 200 ? (JSON.parse(text) as { version: string }).version : null, releases };
}

const versionOrder = (a: string, b: string) => {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
};

/**
 * The README's rule, written here from its words: an install on 0.0.1 gets the newest published release on its
 * channel's chain with its platform and bundle whose cohort includes it; outside a cohort, the newest older one.
 * `seeds` are the releases' rollout seeds (read from the database once the server has stopped).
 */
export function expectedForInstall(check: InstallCheck, seeds: ReadonlyMap<string, string>): string | null | undefined {
  const chain = check.channel === 'beta' ? ['beta', 'stable'] : ['stable'];
  const candidates = check.releases
    .filter((r) => r.status === 'published' && chain.includes(r.channel))
    .filter((r) => r.artifacts.some((a) => a.platform === check.slot.platform && a.bundle === check.slot.bundle))
    .sort((a, b) => versionOrder(b.version, a.version));
  for (const release of candidates) {
    const seed = seeds.get(release.id);
    if (seed === undefined) return undefined; // the release was deleted since: its cohort cannot be known
    if (inCohort(release.rollout_percent, seed, check.installId)) return release.version;
  }
  return null;
}
