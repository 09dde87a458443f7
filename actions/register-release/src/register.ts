/**
 * @module register
 * Registers a leg's artifacts with its release and optionally publishes it, over the CI API (api/_src/protocol/ci.ts):
 *
 * 1. `POST /ci/apps/{app}/releases {version, notes?, channel?}` creates the draft or reuses it (a draft takes the
 *    notes and channel given; a published release keeps its own).
 * 2. Artifacts the release already holds, ready and identical (same platform, bundle, file name, size and sha256),
 *    are done: upload-r2's presigned mode registers each file as it uploads it. The others are registered in one
 *    call (`artifacts` of the same POST): they must already be in the bucket where upload-r2's mode s3 puts them
 *    (`{app}/releases/{version}/uploads/{sha256}/{file}`, or `{app}/releases/{version}/{file}` from older releases of
 *    it), where the server verifies size, sha256 and signature.
 * 3. With `publish`, `POST …/publish` (a release already published stays so; a re-run is harmless).
 *
 * Every call is idempotent, so parallel legs and re-runs end in the same state.
 */
import * as z from 'zod';
import { bundleOfFileName } from '../../../api/_src/protocol/artifact-names.ts';
import { type CiArtifact, ciArtifactSchema, type CiReleaseView } from '../../../api/_src/protocol/ci.ts';
import { ControlPlaneError } from '../../shared/src/ci-http.ts';
import type { ControlPlane } from '../../shared/src/control-plane.ts';
import type { Logger } from '../../shared/src/logger.ts';

export interface RegisterOptions {
  version: string;
  artifacts: readonly CiArtifact[];
  notes?: string | undefined;
  channel?: string | undefined;
  publish: boolean;
}

export interface RegisterResult {
  view: CiReleaseView;
  /** Registered by this step (in one call). */
  registered: CiArtifact[];
  /** Already ready in the release (uploaded by upload-r2 in presigned mode, or an earlier run). */
  alreadyReady: CiArtifact[];
  /** This step published the release. */
  published: boolean;
}

/**
 * The `artifacts` input: upload-r2's output, a JSON array of `ciArtifactSchema`. Empty: none (publish only).
 *
 * @throws Error naming the element and field that is wrong
 */
export function parseArtifactsInput(value: string | undefined): CiArtifact[] {
  if (value === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error('Input artifacts is not JSON: pass upload-r2\'s artifacts output (${{ steps.<upload step id>.outputs.artifacts }}) unchanged.');
  }
  const parsed = z.array(ciArtifactSchema).max(64).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [index, ...field] = issue.path;
    const where = typeof index === 'number' ? `artifacts[${index}]${field.length ? `.${field.map(String).join('.')}` : ''}` : 'artifacts';
    throw new Error(`Input ${where}: ${issue.message}. Pass upload-r2's artifacts output unchanged.`);
  }
  return parsed.data.map((artifact) => ({ ...artifact, bundle: artifact.bundle ?? bundleOfFileName(artifact.file_name) ?? undefined }));
}

const sameArtifact = (view: CiReleaseView, artifact: CiArtifact) =>
  view.artifacts.some(
    (a) =>
      a.state === 'ready' &&
      a.platform === artifact.platform &&
      (artifact.bundle === undefined || a.bundle === artifact.bundle) &&
      a.file_name === artifact.file_name &&
      a.sha256 === artifact.sha256 &&
      a.size === artifact.size,
  );

function refused(error: unknown, what: string, hint: string): never {
  if (error instanceof ControlPlaneError && error.status !== null && error.status >= 400 && error.status < 500) {
    throw new Error(`${what} was refused: ${error.detail}${hint ? ` ${hint}` : ''}`, { cause: error });
  }
  throw error;
}

export async function registerRelease(controlPlane: ControlPlane, options: RegisterOptions, logger: Logger): Promise<RegisterResult> {
  const { version } = options;
  let view = await controlPlane
    .createRelease({ version, ...(options.notes !== undefined ? { notes: options.notes } : {}), ...(options.channel !== undefined ? { channel: options.channel } : {}) })
    .catch((error: unknown) => refused(error, `Creating release ${version} of ${controlPlane.app}`, ''));
  logger.info(`Release ${view.version} of ${controlPlane.app}: ${view.status}, channel ${view.channel}, ${view.artifacts.length} artifact(s) (id ${view.id}).`);

  const alreadyReady = options.artifacts.filter((artifact) => sameArtifact(view, artifact));
  const missing = options.artifacts.filter((artifact) => !sameArtifact(view, artifact));
  for (const artifact of alreadyReady) logger.info(`${artifact.file_name} (${artifact.platform}): already registered and verified.`);
  if (missing.length) {
    if (view.status !== 'draft') {
      throw new Error(
        `Release ${view.version} is already ${view.status}, and a published release's files never change; these differ from what it holds: ` +
          `${missing.map((a) => `${a.file_name} (${a.platform})`).join(', ')}. Release a new version (a new tag) instead.`,
      );
    }
    logger.info(`Registering ${missing.map((a) => `${a.file_name} (${a.platform})`).join(', ')}; the server verifies each in the bucket.`);
    view = await controlPlane
      .createRelease({ version, artifacts: [...missing] })
      .catch((error: unknown) =>
        refused(
          error,
          `Registering ${missing.length} artifact(s) with release ${version}`,
          `Files are registered from {app}/releases/{version}/uploads/{sha256}/{file} in the bucket: upload them first with upload-r2 (mode s3), or let upload-r2's presigned mode register them as it uploads.`,
        ),
      );
    const notReady = options.artifacts.filter((artifact) => !sameArtifact(view, artifact));
    if (notReady.length) throw new Error(`The server did not keep ${notReady.map((a) => a.file_name).join(', ')} as ready artifacts of ${version}; re-run the job.`);
  }

  let published = false;
  if (options.publish) {
    if (view.status === 'published') {
      logger.info(`Release ${version} is already published.`);
    } else {
      view = await controlPlane
        .publish(version)
        .catch((error: unknown) =>
          refused(
            error,
            `Publishing release ${version}`,
            error instanceof ControlPlaneError && error.status === 403 ? 'The draft is registered; an admin publishes it (or gives the trusted publisher can_publish).' : '',
          ),
        );
      published = true;
      logger.info(`Published release ${version}: installed apps on channel ${view.channel} are offered it on their next check.`);
    }
  }
  return { view, registered: missing, alreadyReady, published };
}

const MIB = 1024 * 1024;
const size = (bytes: number) => (bytes >= MIB ? `${(bytes / MIB).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);
const cell = (text: string) => text.replace(/\|/g, '\\|');

/** The job summary: the release as the server now holds it, and the update URL. */
export function registerSummary(app: string, result: RegisterResult): string {
  const { view } = result;
  const mine = new Set([...result.registered, ...result.alreadyReady].map((a) => `${a.platform}/${a.file_name}`));
  return [
    `### Release ${view.version} of ${app}: ${view.status}${result.published ? ' (published by this step)' : ''}`,
    '',
    `Channel ${view.channel}, release id \`${view.id}\`. Update URL for \`plugins.updater.endpoints\` in tauri.conf.json:`,
    '',
    `\`${view.update_url}\``,
    '',
    '| platform | bundle | file | size | sha256 | state | signed by key | this step |',
    '|---|---|---|---:|---|---|---|---|',
    ...view.artifacts.map(
      (a) =>
        `| ${a.platform} | ${a.bundle ?? '-'} | ${cell(a.file_name)} | ${size(a.size)} | \`${a.sha256}\` | ${a.state} | ${a.verified_key_id ?? '-'} | ${
          mine.has(`${a.platform}/${a.file_name}`) ? (result.registered.some((r) => r.platform === a.platform && r.file_name === a.file_name) ? 'registered' : 'checked') : ''
        } |`,
    ),
    '',
  ].join('\n');
}
