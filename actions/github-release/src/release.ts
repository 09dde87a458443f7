/**
 * @module release
 * The three moments of a GitHub release in a matrix workflow:
 *
 * 1. `createDraft` (the plan job, once): the draft for the tag. GitHub lets several drafts share a tag, so legs
 *    racing to create it would make duplicates; one job creates it and every leg finds it by id. A re-run reuses the
 *    release this tag already has (draft or published) instead of making a second one.
 * 2. `uploadFiles` (each leg): every file once. An asset of the same name and the same bytes is left alone; one with
 *    other bytes (or an upload that broke off) is deleted and uploaded again, and the log says so.
 * 3. `publishRelease` (the publish job, after every leg): the draft becomes a release, once; a published one is left
 *    as it is.
 */
import { createHash } from 'node:crypto';
import { compareVersions, isPrerelease, parseVersion, type Version } from '../../../api/_src/protocol/semver.ts';
import { resolveVersion } from '../../shared/src/version.ts';
import type { Logger } from '../../shared/src/logger.ts';
import { type GithubApi, GithubApiError, type GithubAsset, type GithubRelease, RELEASE_LIST_LIMIT } from './github-api.ts';
import type { ReleaseFile } from './release-files.ts';

export interface DraftOptions {
  tag: string;
  version: string;
  /** Empty: the tag. */
  name?: string;
  /** Empty: GitHub's generated notes (the changes since the previous release). */
  body?: string;
  /** The commit a tag that does not exist yet is made at. */
  commitish?: string;
}

/** GitHub refuses release notes longer than this (422 "body is too long"); it counts characters, not bytes. */
export const GITHUB_BODY_LIMIT = 125_000;

/** Fails before any call when the notes given would be refused, rather than after the legs built for hours. */
export function assertBodyFits(body: string | undefined, source: string): void {
  if (body === undefined) return;
  const length = [...body].length;
  if (length > GITHUB_BODY_LIMIT) {
    throw new Error(`${source} is ${length} characters, and GitHub takes at most ${GITHUB_BODY_LIMIT} in a release's notes: shorten it (link to the full changelog instead).`);
  }
}

export interface DraftResult {
  release: GithubRelease;
  created: boolean;
}

/** Pages of 100 releases a create looks through first; most repositories have fewer releases than this. */
const FIRST_PAGES = 5;

/**
 * A draft of `tag` beyond the `listedCount` releases listed first, within the most GitHub lists; null if there is
 * none, or it cannot be seen (then said in a warning: GitHub never finds a draft by its tag, so it cannot be asked for).
 */
async function findOlderDraft(api: GithubApi, tag: string, listedCount: number, logger: Logger): Promise<GithubRelease | null> {
  if (listedCount < FIRST_PAGES * 100) return null; // every release was listed
  const older = await api.listReleases(RELEASE_LIST_LIMIT / 100 - FIRST_PAGES, FIRST_PAGES + 1);
  const draft = older.find((r) => r.tag_name === tag && r.draft);
  if (draft) return draft;
  if (listedCount + older.length >= RELEASE_LIST_LIMIT) {
    logger.warning(
      `GitHub lists only the ${RELEASE_LIST_LIMIT} newest releases, and never finds a draft by its tag: if an earlier run made a draft ` +
        `for ${tag}, it is older than those, and this run makes a second one. After publishing, delete the older draft of ${tag} ` +
        "on the repository's Releases page (it keeps any files that run uploaded, but is never published).",
    );
  }
  return null;
}

export async function createDraft(api: GithubApi, options: DraftOptions, logger: Logger): Promise<DraftResult> {
  assertBodyFits(options.body, 'Input body');
  const listed = await api.listReleases(FIRST_PAGES);
  const existing = listed.filter((r) => r.tag_name === options.tag);
  if (existing.length > 0) {
    // The published one wins over drafts: a re-run after publishing must not start a second release.
    const release = existing.find((r) => !r.draft) ?? existing[existing.length - 1]!;
    if (existing.length > 1) logger.warning(`${existing.length} releases have the tag ${options.tag} (ids ${existing.map((r) => r.id).join(', ')}); using ${release.id}. Delete the others.`);
    logger.info(`The ${release.draft ? 'draft' : 'published'} release ${release.id} for ${options.tag} already exists (a re-run): reusing it.`);
    return { release, created: false };
  }
  // Only the newest releases are listed: an older tag's published release is asked for by tag (GitHub would take a
  // new draft of it, then refuse to publish it).
  const published = await api.getReleaseByTag(options.tag);
  if (published) {
    logger.info(`The published release ${published.id} for ${options.tag} already exists (a re-run): reusing it.`);
    return { release: published, created: false };
  }
  const olderDraft = await findOlderDraft(api, options.tag, listed.length, logger);
  if (olderDraft) {
    logger.info(`The draft release ${olderDraft.id} for ${options.tag} already exists (a re-run): reusing it.`);
    return { release: olderDraft, created: false };
  }
  const prerelease = isPrerelease(options.version);
  const create = (generateNotes: boolean) =>
    api.createRelease(
      {
        tag_name: options.tag,
        name: options.name ?? options.tag,
        draft: true,
        prerelease,
        ...(options.body ? { body: options.body } : generateNotes ? { generate_release_notes: true } : {}),
        ...(options.commitish ? { target_commitish: options.commitish } : {}),
      },
      // The tag had no release a moment ago, so a draft of it now is the one a lost attempt made.
      async () => (await api.listReleases()).find((r) => r.tag_name === options.tag && r.draft),
    );
  let release: GithubRelease;
  try {
    release = await create(!options.body);
  } catch (error) {
    // GitHub's generated notes (one line per pull request) can outgrow its own limit; the release is not worth failing for.
    if (options.body || !(error instanceof GithubApiError && error.status === 422 && error.fields.includes('body'))) throw error;
    logger.warning(`GitHub refused its own generated notes for ${options.tag} (${error.message}); creating the draft without notes. Pass the body input, or let publish take the tauri-release server's notes.`);
    release = await create(false);
  }
  logger.info(`Created the draft release ${release.id} for ${options.tag}${prerelease ? ' (a pre-release)' : ''}: ${release.html_url}`);
  return { release, created: true };
}

export type AssetOutcome = 'uploaded' | 'unchanged' | 'replaced';

export interface UploadReport {
  name: string;
  size: number;
  outcome: AssetOutcome;
}

async function sameBytes(api: GithubApi, asset: GithubAsset, file: ReleaseFile): Promise<boolean> {
  if (asset.state !== undefined && asset.state !== 'uploaded') return false;
  if (asset.size !== file.size) return false;
  if (asset.digest) return asset.digest === `sha256:${file.sha256}`;
  return createHash('sha256').update(await api.downloadAsset(asset)).digest('hex') === file.sha256;
}

async function uploadOne(api: GithubApi, release: GithubRelease, file: ReleaseFile, existing: GithubAsset | undefined, logger: Logger): Promise<AssetOutcome> {
  let replaced = false;
  let sent = false;
  for (let round = 1; ; round++) {
    if (existing) {
      if (await sameBytes(api, existing, file)) return replaced ? 'replaced' : sent ? 'uploaded' : 'unchanged';
      const why = existing.state !== undefined && existing.state !== 'uploaded' ? 'an upload that broke off' : 'other bytes';
      logger.warning(`${file.name}: the release has ${why} under this name (${existing.size} bytes${existing.digest ? `, ${existing.digest}` : ''}); replacing it with ${file.path} (${file.size} bytes, sha256:${file.sha256}).`);
      await api.deleteAsset(existing.id);
      replaced = true;
    }
    try {
      sent = true;
      await api.uploadAsset(release, file.name, file.path);
      return replaced ? 'replaced' : 'uploaded';
    } catch (error) {
      // A retried upload whose first answer was lost, or another job uploading the same name: look again.
      if (!(error instanceof GithubApiError && error.codes.includes('already_exists')) || round >= 3) throw error;
      existing = (await api.listAssets(release.id)).find((a) => a.name === file.name);
    }
  }
}

/** The release by id, or an error saying where the id should come from. */
export async function findRelease(api: GithubApi, releaseId: number): Promise<GithubRelease> {
  try {
    return await api.getRelease(releaseId);
  } catch (error) {
    if (error instanceof GithubApiError && error.status === 404) {
      throw new Error(`${api.repository} has no release ${releaseId} this token can see: pass the release-id output of mode create from this run's plan job (a draft is visible only to a token with contents: write).`, { cause: error });
    }
    throw error;
  }
}

/** Attaches the leg's files to the release found by id. */
export async function uploadFiles(api: GithubApi, releaseId: number, files: readonly ReleaseFile[], logger: Logger): Promise<{ release: GithubRelease; report: UploadReport[] }> {
  const release = await findRelease(api, releaseId);
  if (!release.draft) logger.info(`Release ${release.id} (${release.tag_name}) is already published: only files it lacks or whose bytes differ are uploaded.`);
  const assets = new Map((await api.listAssets(release.id)).map((a) => [a.name, a]));
  const report: UploadReport[] = [];
  for (const file of files) {
    const outcome = await uploadOne(api, release, file, assets.get(file.name), logger);
    logger.info(`${file.name}: ${outcome === 'unchanged' ? 'already attached with the same bytes, nothing to do' : outcome}`);
    report.push({ name: file.name, size: file.size, outcome });
  }
  return { release, report };
}

/**
 * The highest version among the repository's other published stable releases whose tags are spelled like `tag`
 * (the same prefix before the version: `v…`, or `desktop-v…` in a repository of several apps), or null.
 */
async function highestOtherRelease(api: GithubApi, release: GithubRelease, version: string): Promise<{ version: string; tag: string } | null> {
  const prefixOf = (tag: string, v: string) => (tag.endsWith(v) ? tag.slice(0, -v.length) : null);
  const prefix = prefixOf(release.tag_name, version);
  let best: { version: string; tag: string; parsed: Version } | null = null;
  for (const other of await api.listReleases()) {
    if (other.id === release.id || other.draft || other.prerelease) continue;
    let resolved: string | null = null;
    try {
      resolved = resolveVersion(undefined, { GITHUB_REF: `refs/tags/${other.tag_name}` })?.version ?? null;
    } catch {
      continue; // a tag that does not end in a version
    }
    if (resolved === null || isPrerelease(resolved) || prefixOf(other.tag_name, resolved) !== prefix) continue;
    const parsed = parseVersion(resolved);
    if (best === null || compareVersions(parsed, best.parsed) > 0) best = { version: resolved, tag: other.tag_name, parsed };
  }
  return best && { version: best.version, tag: best.tag };
}

/**
 * Publishes the draft (once): pre-release from the version, and marked GitHub's latest release only when it is a
 * stable version at least as high as every other published one. A patch of an older line (1.2.5 after 2.0.0) must not
 * become "latest": `releases/latest` links, and the latest.json updaters fall back to, would go back to 1.2.5.
 */
export async function publishRelease(api: GithubApi, release: GithubRelease, version: string, logger: Logger): Promise<{ release: GithubRelease; published: boolean }> {
  if (!release.draft) {
    logger.info(`Release ${release.id} (${release.tag_name}) is already published: nothing to do.`);
    return { release, published: false };
  }
  const prerelease = isPrerelease(version);
  const higher = prerelease ? null : await highestOtherRelease(api, release, version);
  const latest = !prerelease && (higher === null || compareVersions(parseVersion(version), parseVersion(higher.version)) >= 0);
  if (higher && !latest) logger.info(`${version} is lower than ${higher.version} (${higher.tag}), published already: it is not marked the latest release.`);
  const published = await api.updateRelease(release.id, { draft: false, prerelease, make_latest: latest ? 'true' : 'false' });
  logger.info(`Published release ${published.id} (${published.tag_name})${prerelease ? ' as a pre-release' : ''}: ${published.html_url}`);
  return { release: published, published: true };
}
