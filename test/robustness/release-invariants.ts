/**
 * What must hold of one app after any interleaving of admin operations has settled, for
 * test/robustness/concurrent-operations.test.ts. Each check returns the problems it found, in words, so one
 * failure report lists every broken invariant of a batch at once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { RunningServer } from '../support/server.ts';
import { type ArtifactView, type AuditEntry, auditKeyOf, type ReleaseView, sha256, SLOTS } from './release-operations.ts';

/** What the run promised so far: each published release's artifacts as first seen published, and the audit entries owed. */
export interface Ledger {
  published: Map<string, { version: string; artifacts: string }>;
  expectedAudit: string[];
  /** Audit entries up to this id were there before the operations. */
  auditBaseline: number;
}

async function getJson<T>(server: RunningServer, path: string): Promise<T> {
  const res = await server.admin(path);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Every release of the app, with its artifacts' sha256 and signature (the list has only summaries). */
export async function releasesOf(server: RunningServer, slug: string): Promise<ReleaseView[]> {
  const list = await getJson<{ releases: { id: string }[] }>(server, `/admin/apps/${slug}/releases?status=all&limit=100`);
  return Promise.all(list.releases.map((r) => getJson<ReleaseView>(server, `/admin/apps/${slug}/releases/${r.id}`)));
}

const frozen = (artifacts: readonly ArtifactView[]) =>
  JSON.stringify([...artifacts].sort((a, b) => a.id.localeCompare(b.id)).map(({ id, platform, bundle, file_name, size, sha256, signature }) => ({ id, platform, bundle, file_name, size, sha256, signature })));

/** Invariant 3: a release seen published (in an answer, or settled with a pub_date) keeps exactly the artifacts it had then. */
export function recordPublished(ledger: Ledger, release: ReleaseView, problems: string[], where: string): void {
  const now = frozen(release.artifacts);
  const first = ledger.published.get(release.id);
  if (!first) ledger.published.set(release.id, { version: release.version, artifacts: now });
  else if (first.artifacts !== now) problems.push(`published release ${release.version}'s artifacts changed (${where}):\n  was ${first.artifacts}\n  now ${now}`);
}

export interface StoredObject { key: string; version: string; fileName: string; sha256: string; size: number }

/** The server's artifact store as the test reads it behind the server's back: the fs folder, or the S3 bucket. */
export interface StorageReader {
  /** Every key under `prefix`. */
  list(prefix: string): Promise<string[]>;
  /** The object's bytes, or null when there is none. */
  read(key: string): Promise<Buffer | null>;
}

export function fsReader(dataDir: string): StorageReader {
  const root = join(dataDir, 'objects');
  return {
    async list(prefix) {
      const entries = await readdir(join(root, prefix), { recursive: true, withFileTypes: true }).catch(() => []);
      return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name)).split(sep).join('/'));
    },
    read: (key) => readFile(join(root, key)).catch(() => null),
  };
}

/** Every object under `{slug}/releases/`, hashed. */
export async function storedObjects(storage: StorageReader, slug: string): Promise<StoredObject[]> {
  const keys = await storage.list(`${slug}/releases/`);
  return Promise.all(keys.map(async (key) => {
    const bytes = (await storage.read(key)) ?? Buffer.alloc(0);
    const parts = key.split('/');
    return { key, version: parts[2]!, fileName: parts[parts.length - 1]!, sha256: sha256(bytes), size: bytes.length };
  }));
}

const difference = (a: readonly string[], b: readonly string[]) => {
  const rest = [...b];
  return a.filter((item) => {
    const at = rest.indexOf(item);
    if (at === -1) return true;
    rest.splice(at, 1);
    return false;
  });
};

/**
 * Invariants 1 and 2, without the storage keys (the API does not show them): the stored objects and the artifact
 * rows match one to one by (version, file name, sha256, size). The exact keys are compared once the server has stopped.
 */
export function checkStorage(releases: readonly ReleaseView[], objects: readonly StoredObject[]): string[] {
  const rows = releases.flatMap((r) => r.artifacts.map((a) => `${r.version}/${a.file_name} ${a.sha256} ${a.size}`));
  const stored = objects.map((o) => `${o.version}/${o.fileName} ${o.sha256} ${o.size}`);
  return [
    ...difference(rows, stored).map((row) => `artifact row ${row} has no stored object with those bytes`),
    ...difference(stored, rows).map((object) => `stored object ${object} (${objects.find((o) => `${o.version}/${o.fileName} ${o.sha256} ${o.size}` === object)?.key}) is referenced by no artifact row`),
  ];
}

const versionOrder = (a: string, b: string) => {
  const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
  return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
};

const onChain = (channel: string) => (channel === 'beta' ? ['beta', 'stable'] : ['stable']);

/** Newest first, what a client with no install id may be offered on `channel`: published, at 100%, on the channel's chain. */
const offeredWithoutInstallId = (releases: readonly ReleaseView[], channel: string) =>
  releases.filter((r) => r.status === 'published' && onChain(channel).includes(r.channel) && r.rollout_percent === 100)
    .sort((a, b) => versionOrder(b.version, a.version));

/** What a client on 0.0.1 with no install id must be offered: the newest published release at 100% on the channel's chain with the slot. */
function expectedOffer(releases: readonly ReleaseView[], slot: (typeof SLOTS)[number], channel: string): { release: ReleaseView; artifact: ArtifactView } | null {
  for (const release of offeredWithoutInstallId(releases, channel)) {
    const artifact = release.artifacts.find((a) => a.platform === slot.platform && a.bundle === slot.bundle);
    if (artifact) return { release, artifact };
  }
  return null;
}

const downloadSha = async (url: string) => {
  const res = await fetch(url);
  const bytes = Buffer.from(await res.arrayBuffer());
  return res.status === 200 ? sha256(bytes) : `HTTP ${res.status} ${bytes.toString('utf8').slice(0, 200)}`;
};

/**
 * Invariant 4 for installs on a yanked version: offered the newest release above it as anyone is, else the yank's
 * replacement while that is published (whatever its version, channel or rollout), else nothing.
 */
async function checkYankedInstalls(server: RunningServer, slug: string, releases: readonly ReleaseView[]): Promise<string[]> {
  const problems: string[] = [];
  const slot = SLOTS[0]!;
  for (const yanked of releases.filter((r) => r.yanked_at !== null && r.status !== 'published')) {
    const newer = offeredWithoutInstallId(releases, 'stable').filter((r) => versionOrder(r.version, yanked.version) > 0);
    const replacement = releases.find((r) => r.id === yanked.replacement_release_id && r.status === 'published');
    const candidates = [...newer, ...(replacement ? [replacement] : [])];
    const expected = candidates.find((r) => r.artifacts.some((a) => a.platform === slot.platform && a.bundle === slot.bundle));
    const path = `/update/${slug}/${slot.target}/${slot.arch}/${yanked.version}?bundle_type=${slot.bundle}`;
    const res = await fetch(`${server.url}${path}`);
    const text = await res.text();
    const offered = res.status === 200 ? (JSON.parse(text) as { version: string }).version : null;
    if (offered !== (expected?.version ?? null)) problems.push(`${path} (yanked ${yanked.version}): expected ${expected?.version ?? '204'}, got ${res.status} ${text.slice(0, 200)}`);
  }
  return problems;
}

/** At most one artifact per platform of a release is its default (the one a check without bundle_type gets). */
export function checkDefaults(releases: readonly ReleaseView[]): string[] {
  return releases.flatMap((release) => {
    const defaults = release.artifacts.filter((a) => a.is_default).map((a) => a.platform);
    return defaults.filter((platform, i) => defaults.indexOf(platform) !== i).map((platform) => `release ${release.version} has two defaults for ${platform}`);
  });
}

/** Invariant 4, and 3 on the wire: every update check offers what the settled releases say, and every published file downloads as recorded. */
export async function checkServing(server: RunningServer, slug: string, releases: readonly ReleaseView[]): Promise<string[]> {
  const problems: string[] = [];
  for (const slot of SLOTS) {
    for (const channel of ['stable', 'beta']) {
      const path = `/update/${slug}/${slot.target}/${slot.arch}/0.0.1?bundle_type=${slot.bundle}&channel=${channel}`;
      const res = await fetch(`${server.url}${path}`);
      const text = await res.text();
      const expected = expectedOffer(releases, slot, channel);
      if (!expected) {
        if (res.status !== 204) problems.push(`${path}: expected 204 (nothing published fits), got ${res.status} ${text.slice(0, 300)}`);
        continue;
      }
      if (res.status !== 200) {
        problems.push(`${path}: expected ${expected.release.version}, got ${res.status} ${text.slice(0, 300)}`);
        continue;
      }
      const offer = JSON.parse(text) as { version: string; url: string; signature: string };
      if (offer.version !== expected.release.version || offer.signature !== expected.artifact.signature) {
        problems.push(`${path}: offered ${offer.version} (${offer.signature.slice(0, 12)}…), expected ${expected.release.version} (${expected.artifact.signature.slice(0, 12)}…)`);
        continue;
      }
      const got = await downloadSha(offer.url);
      if (got !== expected.artifact.sha256) problems.push(`${path}: ${offer.url} downloads ${got}, not the published ${expected.artifact.sha256}`);
    }
  }
  problems.push(...(await checkYankedInstalls(server, slug, releases)));
  for (const release of releases.filter((r) => r.status === 'published')) {
    for (const artifact of release.artifacts) {
      const got = await downloadSha(`${server.url}${artifact.download_path}`);
      if (got !== artifact.sha256) problems.push(`published ${release.version} ${artifact.file_name} downloads ${got}, not ${artifact.sha256}`);
    }
  }
  return problems;
}

/**
 * Invariant 4 for the static failover manifests the server keeps in storage (manifest/writer.ts, rewritten before
 * the mutation answers): each channel's file names the newest release offered without an install id, with each of
 * its artifacts' signatures, and is gone when nothing is.
 */
export async function checkStaticManifests(storage: StorageReader, slug: string, releases: readonly ReleaseView[]): Promise<string[]> {
  const problems: string[] = [];
  for (const [channel, file] of [['stable', `${slug}/latest.json`], ['beta', `${slug}/channels/beta/latest.json`]] as const) {
    const expected = offeredWithoutInstallId(releases, channel)[0];
    const text = (await storage.read(file))?.toString('utf8') ?? null;
    if (!expected) {
      if (text !== null) problems.push(`static manifest ${file} still offers ${text.slice(0, 200)} though nothing is offered on ${channel}`);
      continue;
    }
    const offered = Object.fromEntries(expected.artifacts.map((a) => [`${a.platform}-${a.bundle}`, a.signature]));
    const manifest = text === null ? null : (JSON.parse(text) as { version: string; platforms: Record<string, { signature: string }> });
    const inFile = manifest && Object.fromEntries(Object.entries(manifest.platforms).filter(([key]) => key.split('-').length === 3).map(([key, entry]) => [key, entry.signature]));
    if (manifest?.version !== expected.version || JSON.stringify(inFile, Object.keys(offered).sort()) !== JSON.stringify(offered, Object.keys(offered).sort()) || Object.keys(inFile!).length !== Object.keys(offered).length) {
      problems.push(`static manifest ${file} should offer ${expected.version} with ${Object.keys(offered).join(', ')}, but holds ${text === null ? 'nothing' : text.slice(0, 300)}`);
    }
  }
  return problems;
}

/** Invariant 5: the audit entries since the baseline are exactly those the 2xx mutations owe, one each. */
export async function checkAudit(server: RunningServer, slug: string, ledger: Ledger): Promise<string[]> {
  const entries: AuditEntry[] = [];
  let before: number | null = null;
  for (;;) {
    const page: { entries: AuditEntry[]; next_before: number | null } =
      await getJson(server, `/admin/audit?app=${slug}&limit=200${before === null ? '' : `&before=${before}`}`);
    const newer = page.entries.filter((e) => e.id > ledger.auditBaseline);
    entries.push(...newer);
    if (newer.length < page.entries.length || page.next_before === null) break;
    before = page.next_before;
  }
  const actual = entries.map(auditKeyOf);
  return [
    ...difference(ledger.expectedAudit, actual).map((key) => `a 2xx mutation has no audit entry: ${key}`),
    ...difference(actual, ledger.expectedAudit).map((key) => `an audit entry no 2xx mutation accounts for: ${key}`),
  ];
}

/** The newest audit entry's id (the baseline before the operations). */
export async function lastAuditId(server: RunningServer, slug: string): Promise<number> {
  const page = await getJson<{ entries: AuditEntry[] }>(server, `/admin/audit?app=${slug}&limit=1`);
  return page.entries[0]?.id ?? 0;
}
