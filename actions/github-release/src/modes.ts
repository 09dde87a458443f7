/**
 * @module modes
 * The action's three modes over plain values (main.ts reads the inputs): `create` in the plan job, `upload` in each
 * leg, `publish` in the final job. Each returns what becomes the step's outputs and summary.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { tagOf, type RefEnv, requireVersion, resolveVersion } from '../../shared/src/version.ts';
import type { Logger } from '../../shared/src/logger.ts';
import { parsePlatformInput } from '../../shared/src/platform-input.ts';
import type { GithubApi, GithubRelease } from './github-api.ts';
import { buildLatestJson, LATEST_JSON } from './latest-json.ts';
import { assertBodyFits, createDraft, findRelease, publishRelease, uploadFiles, type UploadReport } from './release.ts';
import { type ReleaseFile, releaseFiles, type SkippedFile } from './release-files.ts';

export const MODES = ['create', 'upload', 'publish'] as const;
export type Mode = (typeof MODES)[number];

export interface ModeInputs {
  mode: Mode;
  releaseId?: string;
  tag?: string;
  version?: string;
  name?: string;
  body?: string;
  commitish?: string;
  platform?: string;
  bundleDirs: string[];
  latestJson: boolean;
  /** GITHUB_SERVER_URL, for the download URLs in latest.json. */
  serverUrl: string;
  /** The tauri-release server's notes, when register-release ran earlier in the job (publish: the body when `body` is empty). */
  serverNotes?: string;
  /** upload: proves a DMG notarized before it is attached (main.ts: upload-r2's check); null, or why it is skipped. */
  checkDmg?: (path: string) => Promise<string | null>;
}

export interface ModeResult {
  release: GithubRelease;
  /** What the step did, one line each, for the job summary. */
  report: UploadReport[];
  /** upload: files of the bundle folder not attached, with the reason (a DMG that is not notarized). */
  skipped?: SkippedFile[];
  status: 'draft' | 'published';
}

export function parseMode(value: string | undefined): Mode {
  const mode = value ?? 'create';
  if (!(MODES as readonly string[]).includes(mode)) throw new Error(`Input mode must be create, upload or publish, not ${JSON.stringify(mode)}.`);
  return mode as Mode;
}

function parseReleaseId(value: string | undefined, mode: Mode): number {
  if (value === undefined) {
    throw new Error(`Input release-id is empty: mode ${mode} works on the release the plan job created (mode create, its release-id output, passed on as needs.plan.outputs.release-id).`);
  }
  if (!/^\d+$/.test(value)) throw new Error(`Input release-id must be a GitHub release id (a number), not ${JSON.stringify(value)}.`);
  return Number(value);
}

export async function runMode(api: GithubApi, inputs: ModeInputs, env: RefEnv, logger: Logger): Promise<ModeResult> {
  if (inputs.mode === 'create') {
    const version = requireVersion(inputs.version, env);
    const tag = inputs.tag ?? tagOf(env) ?? `v${version}`;
    const { release } = await createDraft(api, { tag, version, name: inputs.name, body: inputs.body, commitish: inputs.commitish }, logger);
    return { release, report: [], status: release.draft ? 'draft' : 'published' };
  }

  const releaseId = parseReleaseId(inputs.releaseId, inputs.mode);
  if (inputs.mode === 'upload') {
    if (inputs.bundleDirs.length === 0) throw new Error('Input bundle-dir is empty: pass the folder `tauri build` wrote its bundles to (the root action passes its own).');
    const skipped: SkippedFile[] = [];
    const files = await releaseFiles(inputs.bundleDirs, parsePlatformInput('platform', inputs.platform), {
      checkDmg: inputs.checkDmg,
      skipped,
      version: resolveVersion(inputs.version, env)?.version,
    });
    for (const file of skipped) logger.warning(`${basename(file.path)} is not attached: ${file.reason}.`);
    const { release, report } = await uploadFiles(api, releaseId, files, logger);
    return { release, report, skipped, status: release.draft ? 'draft' : 'published' };
  }

  assertBodyFits(inputs.body, 'Input body');
  let release = await findRelease(api, releaseId);
  const version = resolveVersion(inputs.version, env)?.version ?? requireVersion(undefined, { GITHUB_REF: `refs/tags/${release.tag_name}` }, 'version');
  const body = inputs.body ?? inputs.serverNotes;
  const patch = { ...(inputs.name !== undefined && inputs.name !== release.name ? { name: inputs.name } : {}), ...(body !== undefined && body !== release.body ? { body } : {}) };
  if (Object.keys(patch).length > 0) {
    release = await api.updateRelease(release.id, patch);
    if (patch.body !== undefined) logger.info(`Release notes from ${inputs.body !== undefined ? 'the body input' : "the tauri-release server's release"}.`);
  }
  const report: UploadReport[] = [];
  if (inputs.latestJson) {
    const assets = (await api.listAssets(release.id)).filter((a) => a.name !== LATEST_JSON);
    const manifest = await buildLatestJson(api, assets, {
      version,
      notes: release.body ?? '',
      tag: release.tag_name,
      serverUrl: inputs.serverUrl,
      repository: api.repository,
      pubDate: release.created_at,
    });
    if (manifest === null) {
      logger.warning(`No latest.json: release ${release.id} has no updater bundle with its .sig (build with bundle.createUpdaterArtifacts and TAURI_SIGNING_PRIVATE_KEY).`);
    } else {
      const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`);
      report.push(...(await uploadFiles(api, release.id, [await bytesFile(LATEST_JSON, bytes)], logger)).report);
      logger.info(`latest.json lists ${Object.keys(manifest.platforms).join(', ')}.`);
    }
  }
  const published = await publishRelease(api, release, version, logger);
  return { release: published.release, report, status: 'published' };
}

/** A generated file, written to the runner's temp folder so it is uploaded like any other. */
async function bytesFile(name: string, bytes: Buffer): Promise<ReleaseFile> {
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'github-release-'));
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), kind: 'updater' };
}
