/**
 * @module github/sync
 * One sync of an app from its GitHub repository's releases into the releases and artifacts it is served from,
 * in two halves:
 * - `planSync` (network, no database writes): lists the releases, reads each tag's version, pairs every bundle
 *   with its `.sig` by file name, and verifies each pair against the app's key by streaming the asset through the
 *   one artifact check every upload goes through (`protocol/artifact-check.ts`); a refused pair is reported with
 *   its rule, `refused by rule "<rule>"`. A pair verified before (same asset, same `.sig`, same key) is not downloaded again.
 * - `applySync` (one transaction, no network): inserts new releases, updates notes, dates and channels, replaces
 *   artifacts whose assets changed, and archives releases gone from GitHub. Releases not synced from GitHub, and
 *   what an admin did to synced ones (archive, yank, rollout), are left alone.
 *
 * Rules (README "Serving from GitHub Releases"; github.test.ts): drafts are skipped; a tag without the prefix is not ours; a version that is not
 * semver is skipped and reported; a GitHub pre-release (or a semver pre-release) goes to `beta` when the app has
 * that channel and is otherwise never served; a bundle without a verifying `.sig` is never served.
 */
import type { Transaction } from 'kysely';
import type { AppRow, Database, GithubSourceRow } from '../../../db/schema.ts';
import { audit } from '../audit/audit.ts';
import { checkSignatureShape } from '../releases/artifact-plan.ts';
import { isStorableText } from '../http/storable-text.ts';
import type { Principal } from '../auth/principal.ts';
import { releaseEvent } from '../releases/events.ts';
import type { ReleaseEvent } from '../releases/events.ts';
import { artifactKindOf, platformsOfFileName } from '../protocol/artifact-names.ts';
import type { SyncReport } from '../protocol/github.ts';
import { ArtifactRefusal, ruleText, runArtifactCheck, startArtifactCheck } from '../protocol/artifact-check.ts';
import { MAX_SIGNATURE_LENGTH, SignatureError } from '../protocol/minisign.ts';
import { tauriPublicKeyId } from '../protocol/minisign-key.ts';
import { DEFAULT_BUNDLE_PREFERENCE, type BundleType, parsePlatformKey, type PlatformKey } from '../protocol/platforms.ts';
import { formatVersion, isPrerelease, safeParseVersion } from '../protocol/semver.ts';
import { type GithubAsset, type GithubClient, GithubError, type GithubRelease, MAX_PAGES } from './client.ts';

/** The channel GitHub pre-releases feed, when the app has it. */
export const PRERELEASE_CHANNEL = 'beta';
/** Events and audit rows of a sync name `system` as their actor. */
const SYSTEM_PRINCIPAL: Principal = { actor: 'system', scope: 'admin', appId: null, keyId: null };

/** A signature check already made, by `checkKey`. */
export interface AssetCheck {
  ok: boolean;
  /** ok: what the artifact row stores. */
  signature?: string;
  keyId?: string;
  sha256?: string;
  size?: number;
  /** not ok: why. */
  reason?: string;
}

export interface PlannedArtifact {
  asset: GithubAsset;
  platform: PlatformKey;
  bundle: BundleType;
  isDefault: boolean;
  signature: string;
  keyId: string;
  sha256: string;
  size: number;
}

export interface PlannedRelease {
  githubId: number;
  tag: string;
  version: string;
  channel: string;
  notes: string | null;
  pubDate: Date | null;
  artifacts: PlannedArtifact[];
}

export interface SyncPlan {
  releases: PlannedRelease[];
  /** Every GitHub release id seen (drafts included): synced releases not among them are archived. */
  seen: Set<number>;
  /** False when the list was cut at MAX_PAGES, or a download failed in passing: nothing is archived, and the ETag is not kept. */
  complete: boolean;
  etag: string | null;
  checks: Record<string, AssetCheck>;
  skipped: SyncReport['skipped'];
  requests: number;
  rateLimit: SyncReport['rate_limit'];
}

export interface SyncInput {
  app: Pick<AppRow, 'id' | 'slug' | 'public_key'>;
  source: Pick<GithubSourceRow, 'repository' | 'tag_prefix' | 'etag' | 'asset_checks'>;
  token: string | null;
  /** The app's configured channels. */
  channels: ReadonlySet<string>;
  /** Ignore the stored ETag (an admin's on-demand sync after changing the key or the channels). */
  full?: boolean;
}

/** Checks are keyed by everything their verdict depends on: a changed asset, `.sig` or app key is checked afresh. */
function checkKey(asset: GithubAsset, sig: GithubAsset, keyId: string | null): string {
  return [asset.id, asset.updated_at ?? '', asset.size, sig.id, sig.updated_at ?? '', sig.size, keyId ?? ''].join(':');
}

async function readSignature(client: GithubClient, sig: GithubAsset, token: string | null): Promise<string> {
  if (sig.size > MAX_SIGNATURE_LENGTH) throw new SignatureError('malformed_signature', `${sig.name} is ${sig.size} bytes, larger than any .sig file`);
  const opened = await client.openAsset(sig, token);
  if (!('body' in opened)) throw new GithubError('invalid_answer', `asset ${sig.name}: unexpected redirect`);
  const text = (await new Response(opened.body).text()).trim();
  checkSignatureShape(text);
  return text;
}

/**
 * Streams the asset through the one artifact check (`protocol/artifact-check.ts`), with the size GitHub
 * lists for it; the bytes are never held. A short or broken-off download is GitHub's failure, not the
 * artifact's, and is retried at the next sync.
 */
async function verifyAsset(client: GithubClient, asset: GithubAsset, signature: string, publicKey: string, version: string, token: string | null): Promise<AssetCheck> {
  const check = startArtifactCheck({ signature, publicKey, version, size: asset.size });
  const opened = await client.openAsset(asset, token);
  if (!('body' in opened)) throw new GithubError('invalid_answer', `asset ${asset.name}: unexpected redirect`);
  try {
    const checked = await runArtifactCheck(check, opened.body);
    // A signed check always names its key (only an installer-only check has none).
    return { ok: true, signature, keyId: checked.keyId!, sha256: checked.sha256, size: checked.size };
  } catch (error) {
    if (error instanceof ArtifactRefusal && error.rule === 'size_mismatch') {
      throw new GithubError('unavailable', `GitHub sent ${error.found} of the ${asset.size} bytes of ${asset.name}; it is retried at the next sync`);
    }
    if (error instanceof TypeError || (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError') {
      throw new GithubError('unavailable', `the download of ${asset.name} from GitHub broke off (${(error as Error).message}); it is retried at the next sync`, { cause: error });
    }
    throw error;
  }
}

interface Candidate {
  asset: GithubAsset;
  sig: GithubAsset;
  platforms: PlatformKey[];
  bundle: BundleType;
  archive: boolean;
}

/** The bundles of one release that have a `.sig`, one per platform and bundle type (the v1 archive over the plain installer). */
function candidatesOf(release: GithubRelease, skip: (file: string, reason: string) => void): Candidate[] {
  const byName = new Map(release.assets.map((asset) => [asset.name, asset]));
  const chosen = new Map<string, Candidate>();
  for (const asset of release.assets) {
    const kind = artifactKindOf(asset.name);
    if (!kind) continue; // .sig files, .dmg, checksums, latest.json: not updater bundles
    const platforms = platformsOfFileName(asset.name);
    if (platforms.length === 0) {
      skip(asset.name, 'the file name names no architecture (x64, aarch64, amd64, universal, …), so the platform it serves is unknown');
      continue;
    }
    const sig = byName.get(`${asset.name}.sig`);
    if (!sig) {
      skip(asset.name, `no ${asset.name}.sig in the release: a bundle without its signature is never served (upload the .sig tauri build wrote next to it)`);
      continue;
    }
    for (const platform of platforms) {
      const key = `${platform}/${kind.bundle}`;
      const other = chosen.get(key);
      const candidate = { asset, sig, platforms: [platform], bundle: kind.bundle, archive: kind.archive };
      if (!other) chosen.set(key, candidate);
      else if (candidate.archive && !other.archive) {
        chosen.set(key, candidate);
        skip(other.asset.name, `${asset.name} is served instead for ${platform} (the v1-compatible archive serves v1 and v2 clients)`);
      } else skip(asset.name, `${other.asset.name} is already served for ${platform} ${kind.bundle}`);
    }
  }
  return [...chosen.values()];
}

/** Per platform, the default bundle: the first in the OS's preference that the release has. */
function markDefaults(artifacts: Omit<PlannedArtifact, 'isDefault'>[]): PlannedArtifact[] {
  return artifacts.map((artifact) => {
    const os = parsePlatformKey(artifact.platform)!.os;
    const offered = new Set(artifacts.filter((a) => a.platform === artifact.platform).map((a) => a.bundle));
    const preferred = DEFAULT_BUNDLE_PREFERENCE[os].find((bundle) => offered.has(bundle));
    return { ...artifact, isDefault: preferred === artifact.bundle };
  });
}

export async function planSync(client: GithubClient, input: SyncInput): Promise<SyncPlan | { unchanged: true; requests: number; rateLimit: SyncReport['rate_limit'] }> {
  const { app, source, token } = input;
  const list = await client.listReleases(source.repository, { etag: input.full ? null : source.etag, token });
  const rateLimit = { remaining: list.rateLimit.remaining, reset_at: list.rateLimit.resetAt?.toISOString() ?? null };
  if (!list.changed) return { unchanged: true, requests: list.requests, rateLimit };

  const keyId = tauriPublicKeyId(app.public_key);
  const previous = (source.asset_checks ?? {}) as Record<string, AssetCheck>;
  const checks: Record<string, AssetCheck> = {};
  const skipped: SyncReport['skipped'] = [];
  const releases: PlannedRelease[] = [];
  const seen = new Set<number>();
  let complete = list.releases.length < MAX_PAGES * 100;
  let requests = list.requests;

  for (const release of list.releases) {
    seen.add(release.id);
    if (release.draft) continue;
    const tag = release.tag_name;
    const skip = (file: string | null, reason: string) => skipped.push({ tag, file_name: file, reason });
    if (!tag.startsWith(source.tag_prefix)) continue; // another component's tags (a monorepo): not this app's
    const parsed = safeParseVersion(tag.slice(source.tag_prefix.length));
    if (!parsed.success) {
      skip(null, `the tag is not ${JSON.stringify(source.tag_prefix)} followed by a semantic version (${parsed.error})`);
      continue;
    }
    const version = formatVersion(parsed.version);
    const prerelease = release.prerelease || isPrerelease(parsed.version);
    if (prerelease && !input.channels.has(PRERELEASE_CHANNEL)) {
      skip(null, `a pre-release is never served on stable; add a "${PRERELEASE_CHANNEL}" channel (PUT /admin/apps/{app}/channels) to serve pre-releases there`);
      continue;
    }
    if (release.body && !isStorableText(release.body)) {
      skip(null, 'the release notes contain U+0000 or an unpaired surrogate, which the database cannot store; edit them on GitHub');
      continue;
    }
    const artifacts: Omit<PlannedArtifact, 'isDefault'>[] = [];
    for (const candidate of candidatesOf(release, skip)) {
      const key = checkKey(candidate.asset, candidate.sig, keyId);
      let check = previous[key];
      if (!check) {
        if (!app.public_key) {
          skip(candidate.asset.name, `${ruleText('no_public_key')}: the app has no public key to verify signatures against; set it (PATCH /admin/apps/{app} {"public_key": …}) to tauri.conf.json plugins.updater.pubkey`);
          continue;
        }
        try {
          const signature = await readSignature(client, candidate.sig, token);
          requests++;
          check = await verifyAsset(client, candidate.asset, signature, app.public_key, version, token);
          requests++;
        } catch (error) {
          if (error instanceof ArtifactRefusal) {
            check = { ok: false, reason: `its signature does not verify against the app's public key: ${ruleText(error.rule)}: ${error.message}` };
          } else if (error instanceof SignatureError) {
            check = { ok: false, reason: `its signature does not verify against the app's public key: ${ruleText(error.code)}: ${error.message}` };
          } else if ((error as { status?: number }).status === 400) {
            check = { ok: false, reason: `its signature does not verify against the app's public key: ${(error as Error).message}` };
          } else if (error instanceof GithubError) {
            if (error.code === 'rate_limited') throw error;
            complete = false;
            skip(candidate.asset.name, `not checked this time: ${error.message}`);
            continue;
          } else throw error;
        }
      }
      checks[key] = check;
      if (!check.ok) {
        skip(candidate.asset.name, check.reason!);
        continue;
      }
      for (const platform of candidate.platforms) {
        artifacts.push({ asset: candidate.asset, platform, bundle: candidate.bundle, signature: check.signature!, keyId: check.keyId!, sha256: check.sha256!, size: check.size! });
      }
    }
    releases.push({
      githubId: release.id,
      tag,
      version,
      channel: prerelease ? PRERELEASE_CHANNEL : 'stable',
      notes: release.body?.trim() ? release.body : null,
      pubDate: release.published_at ? new Date(release.published_at) : null,
      artifacts: markDefaults(artifacts),
    });
  }
  return { releases, seen, complete, etag: complete ? list.etag : null, checks, skipped, requests, rateLimit };
}

export interface ApplyResult {
  events: ReleaseEvent[];
  report: SyncReport['releases'];
  changes: { added: string[]; updated: string[]; archived: string[] };
}

/** Writes the plan; the caller holds the app's github_sources row `FOR UPDATE` in `trx`. */
export async function applySync(trx: Transaction<Database>, app: Pick<AppRow, 'id' | 'slug'>, plan: SyncPlan, publicUrlOf: (asset: GithubAsset) => string | null): Promise<ApplyResult> {
  const events: ReleaseEvent[] = [];
  const changes: ApplyResult['changes'] = { added: [], updated: [], archived: [] };
  const report: SyncReport['releases'] = [];
  const existing = await trx.selectFrom('releases').selectAll().where('app_id', '=', app.id).execute();
  const byGithubId = new Map(existing.filter((r) => r.github_release_id !== null).map((r) => [Number(r.github_release_id), r]));
  const byVersion = new Map(existing.map((r) => [r.version, r]));

  for (const planned of plan.releases) {
    const entry = { tag: planned.tag, version: planned.version, channel: planned.channel, served: false, artifacts: planned.artifacts.map((a) => ({ file_name: a.asset.name, platform: a.platform, bundle: a.bundle })) };
    report.push(entry);
    let row = byGithubId.get(planned.githubId);
    if (!row) {
      const other = byVersion.get(planned.version);
      if (other) {
        plan.skipped.push({ tag: planned.tag, file_name: null, reason: `version ${planned.version} already exists in this app and was not synced from GitHub; delete or rename one of them` });
        continue;
      }
      if (planned.artifacts.length === 0) continue; // nothing servable: not worth a release a client could never get
      row = await trx
        .insertInto('releases')
        .values({ app_id: app.id, version: planned.version, notes: planned.notes, status: 'published', channel: planned.channel, pub_date: planned.pubDate ?? new Date(), github_release_id: planned.githubId })
        .returningAll()
        .executeTakeFirstOrThrow();
      changes.added.push(planned.version);
      events.push(releaseEvent('release.published', app, row, SYSTEM_PRINCIPAL, { source: 'github', tag: planned.tag }));
    } else {
      const moved = row.channel !== planned.channel;
      const edited = row.notes !== planned.notes || (planned.pubDate !== null && row.pub_date?.getTime() !== planned.pubDate.getTime()) || row.version !== planned.version;
      if (moved || edited) {
        const previousChannel = row.channel;
        row = await trx
          .updateTable('releases')
          .set({ notes: planned.notes, channel: planned.channel, version: planned.version, ...(planned.pubDate ? { pub_date: planned.pubDate } : {}), updated_at: new Date() })
          .where('id', '=', row.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        changes.updated.push(planned.version);
        if (moved && row.status === 'published') events.push(releaseEvent('release.published', app, row, SYSTEM_PRINCIPAL, { source: 'github', previous_channel: previousChannel }));
      }
    }
    const artifactsChanged = await replaceArtifacts(trx, row.id, planned.artifacts, publicUrlOf);
    if (artifactsChanged && !changes.added.includes(planned.version) && !changes.updated.includes(planned.version)) changes.updated.push(planned.version);
    entry.served = row.status === 'published' && planned.artifacts.length > 0;
  }

  if (plan.complete) {
    // Deleted on GitHub, or turned back into a draft: no longer offered (an admin may still publish it again).
    const kept = new Set(plan.releases.map((r) => r.githubId));
    for (const [githubId, row] of byGithubId) {
      if (row.status !== 'published' || (plan.seen.has(githubId) && kept.has(githubId))) continue;
      const archived = await trx.updateTable('releases').set({ status: 'archived', updated_at: new Date() }).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
      changes.archived.push(row.version);
      events.push(releaseEvent('release.archived', app, archived, SYSTEM_PRINCIPAL, { source: 'github', from: 'published' }));
    }
  }
  if (changes.added.length + changes.updated.length + changes.archived.length > 0) {
    await audit(trx, 'system', { action: 'github.sync', appId: app.id, target: `app:${app.id}`, details: changes });
  }
  return { events, report, changes };
}

/** Makes the release's synced artifacts exactly `planned`; true when anything changed. */
async function replaceArtifacts(trx: Transaction<Database>, releaseId: string, planned: readonly PlannedArtifact[], publicUrlOf: (asset: GithubAsset) => string | null): Promise<boolean> {
  const rows = await trx.selectFrom('artifacts').selectAll().where('release_id', '=', releaseId).where('github_asset_id', 'is not', null).execute();
  const identity = (assetId: number, platform: string, bundle: string | null, isDefault: boolean, signature: string, url: string | null) =>
    JSON.stringify([assetId, platform, bundle, isDefault, signature, url]);
  const wanted = new Map(planned.map((a) => [identity(a.asset.id, a.platform, a.bundle, a.isDefault, a.signature, publicUrlOf(a.asset)), a]));
  const have = new Set<string>();
  const stale: string[] = [];
  for (const row of rows) {
    const id = identity(Number(row.github_asset_id), row.platform, row.bundle, row.is_default, row.signature, row.external_url);
    if (wanted.has(id) && !have.has(id)) have.add(id);
    else stale.push(row.id);
  }
  if (stale.length) await trx.deleteFrom('artifacts').where('id', 'in', stale).execute();
  let inserted = 0;
  for (const [id, a] of wanted) {
    if (have.has(id)) continue;
    // An upload for the same platform and bundle (or default) would collide with the unique indexes: the synced one wins.
    await trx.deleteFrom('artifacts').where('release_id', '=', releaseId).where('platform', '=', a.platform).where((eb) => eb.or([eb('bundle', '=', a.bundle), ...(a.isDefault ? [eb('is_default', '=', true)] : [])])).execute();
    await trx
      .insertInto('artifacts')
      .values({
        release_id: releaseId,
        platform: a.platform,
        bundle: a.bundle,
        signature: a.signature,
        storage_key: `github/${a.asset.id}`,
        file_name: a.asset.name,
        size: a.size,
        sha256: a.sha256,
        is_default: a.isDefault,
        state: 'ready',
        verified_key_id: a.keyId,
        github_asset_id: a.asset.id,
        external_url: publicUrlOf(a.asset),
      })
      .execute();
    inserted++;
  }
  return stale.length > 0 || inserted > 0;
}
