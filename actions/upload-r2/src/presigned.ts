/**
 * @module presigned
 * The default mode: the control plane hands out presigned URLs, so the runner never holds storage credentials.
 * For each artifact: `POST …/uploads` (declaring size, sha256 and signature) → PUT the bytes (one presigned PUT, or
 * presigned multipart) → `POST …/uploads/{id}/complete`, where the server checks the stored bytes against the
 * declaration and the app's public key, and the artifact becomes ready in the draft. The draft is created (or
 * reused) first, so the legs of a matrix can run in any order. An artifact the release already holds with the same
 * name, size and sha256 (a re-run) is not sent again.
 */
import type { CiReleaseView } from '../../../api/_src/protocol/ci.ts';
import { ControlPlaneError } from '../../shared/src/ci-http.ts';
import type { ControlPlane } from '../../shared/src/control-plane.ts';
import type { LocalArtifact } from './discover.ts';
import { toCiArtifact, type UploadReport } from './summary.ts';
import { sendToTarget, type TransferSettings } from './transfer.ts';

const CONTENT_TYPE = 'application/octet-stream';

/** The release's ready artifact identical to `artifact`, if any. */
export function alreadyThere(view: CiReleaseView, artifact: LocalArtifact) {
  return view.artifacts.find(
    (a) =>
      a.state === 'ready' &&
      a.platform === artifact.platform &&
      a.bundle === artifact.bundle &&
      a.installer_only === artifact.installerOnly &&
      a.file_name === artifact.fileName &&
      a.sha256 === artifact.sha256 &&
      a.size === artifact.size,
  );
}

/** A release that is no longer a draft cannot take new bytes; say so before uploading anything. */
export function checkWritable(view: CiReleaseView, artifacts: readonly LocalArtifact[]): void {
  if (view.status === 'draft') return;
  const differing = artifacts.filter((artifact) => !alreadyThere(view, artifact));
  if (differing.length === 0) return;
  throw new Error(
    `Release ${view.version} is already ${view.status}, and a published release's files never change; these differ from what it holds: ` +
      `${differing.map((a) => `${a.fileName} (${a.platform})`).join(', ')}. Release a new version (a new tag) instead.`,
  );
}

/** What this run will send, counted the way the loop below decides it: files the release holds with the same sha256 are skipped. */
export function plannedUploads(view: CiReleaseView, artifacts: readonly LocalArtifact[]): string {
  const toSend = artifacts.filter((artifact) => !alreadyThere(view, artifact)).length;
  if (toSend === 0) return `all ${artifacts.length} artifact(s) already there, nothing to upload`;
  if (toSend === artifacts.length) return `${toSend} artifact(s) to upload`;
  return `${toSend} of ${artifacts.length} artifact(s) to upload, the others already there`;
}

function explain(error: unknown, artifact: LocalArtifact, step: string): never {
  if (error instanceof ControlPlaneError && error.status !== null && error.status >= 400 && error.status < 500) {
    throw new Error(`${artifact.fileName} (${artifact.platform}): ${step} was refused: ${error.detail}`, { cause: error });
  }
  throw error;
}

export async function uploadPresigned(
  controlPlane: ControlPlane,
  version: string,
  artifacts: readonly LocalArtifact[],
  settings: TransferSettings,
): Promise<UploadReport[]> {
  const view = await controlPlane.createRelease({ version });
  settings.logger.info(`Release ${view.version} of ${controlPlane.app} is ${view.status === 'draft' ? 'a draft' : view.status} (id ${view.id}); ${plannedUploads(view, artifacts)}.`);
  checkWritable(view, artifacts);
  const reports: UploadReport[] = [];
  for (const artifact of artifacts) {
    const label = `${artifact.fileName} (${artifact.platform})`;
    if (alreadyThere(view, artifact)) {
      settings.logger.info(`${label}: already in the release with the same sha256; not sent again.`);
      reports.push({ artifact, how: 'already uploaded (same sha256)', seconds: null });
      continue;
    }
    const upload = await controlPlane
      .requestUpload(version, { ...toCiArtifact(artifact), content_type: CONTENT_TYPE })
      .catch((error: unknown) => explain(error, artifact, 'the upload request'));
    const sent = await sendToTarget(label, artifact.path, artifact.size, upload.target, settings);
    const done = await controlPlane
      .completeUpload(version, upload.upload_id, sent.parts ? { parts: sent.parts } : {})
      .catch((error: unknown) => explain(error, artifact, 'the check after upload'));
    if (done.state !== 'ready') throw new Error(`${label}: the server left the artifact ${done.state} after the upload; re-run the job.`);
    const checks = artifact.installerOnly ? 'size and sha256; an installer only, never offered to the updater' : `size, sha256, signature by key ${done.verified_key_id ?? '?'}`;
    settings.logger.info(`${label}: verified by the server (${checks}).`);
    reports.push({
      artifact,
      how: sent.method === 'PUT' ? 'presigned PUT' : `presigned multipart (${sent.parts!.length} parts)`,
      seconds: sent.seconds,
    });
  }
  return reports;
}
