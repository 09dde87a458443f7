/**
 * @module cli/upload
 * `upload`'s logic, in three steps that each finish before the next starts:
 *
 * 1. **Find** the updater bundles in what was given (a `tauri build` bundle folder, or files) with the project's
 *    one artifact-name rule (api/_src/protocol/artifact-names.ts): bundle type and OS from the suffix, platforms from
 *    the name's architecture token (`platformsOfFileName`), each paired with the `.sig` beside it. A name without
 *    an architecture (`My App.app.tar.gz`) takes it from `--platform`; Mac archives are renamed per architecture
 *    as the upload action does (`uploadName`), since file names are unique per release.
 * 2. **Verify** every file against the app's public key, fetched from the server, and the release's version, with
 *    the server's own check (api/_src/protocol/artifact-check.ts), reading each file once for its signature and SHA-256.
 *    One refusal stops everything before a single request that changes anything is sent.
 * 3. **Send** through the CI API exactly as the upload action does (actions/upload-r2/src/presigned.ts): draft
 *    created or reused, each artifact declared, its bytes PUT to the target the server hands out (the server
 *    itself with filesystem storage, presigned multipart on S3/R2 above 64 MiB, each part streamed from disk and
 *    retried on its own when it fails), then completed, which has the server check size, SHA-256 and signature.
 *
 * Memory stays flat whatever the file size: files are read through fixed buffers, never held whole.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { filesUnder, uploadName, type LocalArtifact, type SkippedFile } from '../../../actions/upload-r2/src/discover.ts';
import { PutNetworkError } from '../../../actions/upload-r2/src/http-put.ts';
import { PutRefusedError } from '../../../actions/upload-r2/src/transfer.ts';
import type { Logger } from '../../../actions/shared/src/logger.ts';
import { ControlPlaneError } from '../../../actions/shared/src/ci-http.ts';
import { artifactKindOf, type ArtifactKind, platformsOfFileName } from '../protocol/artifact-names.ts';
import { ArtifactRefusal, checkArtifactStream, ruleText } from '../protocol/artifact-check.ts';
import { type BundleType, parsePlatformKey, type PlatformKey } from '../protocol/platforms.ts';
import { isValidFileName } from '../protocol/storage-keys.ts';
import { CliError, EXIT_REFUSED, localRefusal, NetworkFailure, ServerRefusal, usageError } from './errors.ts';
import type { Output } from './output.ts';

export type { LocalArtifact, SkippedFile };

export interface Found {
  artifacts: LocalArtifact[];
  skipped: SkippedFile[];
}

const SIG = '.sig';

interface Candidate {
  path: string;
  name: string;
  kind: ArtifactKind;
  platform: PlatformKey;
}

/**
 * The updater artifacts among `inputs` (folders are searched, files taken as given), one per platform and bundle.
 *
 * @param platforms `--platform`: the platforms of names without an architecture, and a filter for the others
 * @throws CliError usage when an input is missing, a name's platform cannot be told, or two files claim one slot
 */
export async function findArtifacts(inputs: readonly string[], platforms: readonly PlatformKey[]): Promise<Found> {
  const files: string[] = [];
  for (const input of inputs) {
    const full = resolve(input);
    const info = await stat(full).catch(() => null);
    if (!info) throw usageError(`${input} does not exist: pass the folder tauri build wrote its bundles to (target/release/bundle) or the bundle files`);
    if (info.isDirectory()) await filesUnder(full, files);
    else files.push(full);
  }
  const present = new Set(files.map((file) => file));
  const skipped: SkippedFile[] = [];
  const slots = new Map<string, Candidate>();

  for (const path of [...new Set(files)].sort()) {
    const name = basename(path);
    if (name.toLowerCase().endsWith(SIG)) continue;
    const kind = artifactKindOf(name);
    if (!kind) {
      if (name.toLowerCase().endsWith('.dmg')) skipped.push({ path, reason: 'a DMG is not an updater artifact (Tauri never signs it for the updater)' });
      continue;
    }
    if (!present.has(`${path}${SIG}`)) {
      const exists = await stat(`${path}${SIG}`).then(() => true, () => false);
      if (!exists) {
        skipped.push({ path, reason: 'no .sig beside it: build with bundle.createUpdaterArtifacts and TAURI_SIGNING_PRIVATE_KEY set' });
        continue;
      }
    }
    const chosen = platforms.filter((key) => parsePlatformKey(key)!.os === kind.os);
    const named = platformsOfFileName(name);
    const targets = named.length ? (chosen.length ? named.filter((key) => chosen.includes(key)) : named) : chosen;
    if (targets.length === 0) {
      if (named.length) {
        skipped.push({ path, reason: `built for ${named.join(', ')}, not --platform ${chosen.join(', ')}` });
        continue;
      }
      throw usageError(`${name} does not say which architecture it is for: pass --platform ${kind.os}-<arch> (e.g. ${kind.os === 'darwin' ? 'darwin-aarch64' : `${kind.os}-x86_64`})`);
    }
    for (const platform of targets) {
      const slot = `${platform} ${kind.bundle}`;
      const rival = slots.get(slot);
      if (!rival) {
        slots.set(slot, { path, name, kind, platform });
      } else if (rival.kind.archive !== kind.archive) {
        // createUpdaterArtifacts "v1Compatible": the archive serves v1 and v2 clients, so it wins over the installer.
        const [keep, drop] = rival.kind.archive ? [rival, { path, name }] : [{ path, name, kind, platform }, rival];
        slots.set(slot, keep);
        skipped.push({ path: drop.path, reason: `${keep.name} is uploaded instead: with createUpdaterArtifacts "v1Compatible" its archive serves both v1 and v2 clients` });
      } else {
        throw usageError(`${rival.name} and ${name} are both the ${kind.bundle} bundle for ${platform}; a release has one per platform and bundle: pass the files to upload explicitly`);
      }
    }
  }

  const artifacts: LocalArtifact[] = [];
  for (const { path, name, kind, platform } of slots.values()) {
    const fileName = uploadName(name, kind, platform);
    if (!isValidFileName(fileName)) {
      throw usageError(`${fileName}: the server accepts file names of letters, digits, spaces and . + ( ) @ ~ - _ only (at most 200); rename the file`);
    }
    const { size } = await stat(path);
    if (size === 0) throw usageError(`${path} is empty; the build did not finish writing it`);
    const signature = (
      await readFile(`${path}${SIG}`, 'utf8').catch((error: Error) => {
        throw usageError(`cannot read ${path}${SIG}: ${error.message}; it must be the signature file tauri build wrote beside ${name}`);
      })
    ).trim();
    artifacts.push({ path, fileName, platform, bundle: kind.bundle as BundleType, size, sha256: '', signature, installerOnly: false });
  }
  artifacts.sort((a, b) => a.fileName.localeCompare(b.fileName) || a.platform.localeCompare(b.platform));
  if (artifacts.length === 0) {
    const seen = skipped.length ? ` Found, but not uploadable: ${skipped.map((s) => `${basename(s.path)} (${s.reason})`).join('; ')}.` : ' No Tauri bundle was found there.';
    throw usageError(`no updater artifact in ${inputs.join(', ')}.${seen}`);
  }
  return { artifacts, skipped };
}

const READ_BUFFER_BYTES = 1024 * 1024;

/**
 * Checks each artifact against `publicKey` and `version` with the server's own check (api/_src/protocol/artifact-check.ts),
 * as the Tauri client will, and fills in its SHA-256, reading every file once in 1 MiB chunks.
 *
 * @throws CliError exit 1 with the check's rule (`key_id_mismatch`, `invalid_signature`, `signed_version_mismatch`, …)
 */
export async function verifyArtifacts(artifacts: LocalArtifact[], publicKey: string | null, app: string, version: string): Promise<void> {
  if (!publicKey) {
    throw localRefusal('no_public_key', `app ${app} has no updater public key, so nothing can be verified or uploaded: tauri-release apps set ${app} --public-key-file <key.pub>`);
  }
  const done = new Map<string, string>();
  for (const artifact of artifacts) {
    const key = `${artifact.path}\n${artifact.signature}`;
    const known = done.get(key);
    if (known) {
      artifact.sha256 = known;
      continue;
    }
    try {
      const checked = await checkArtifactStream(createReadStream(artifact.path, { highWaterMark: READ_BUFFER_BYTES }), { signature: artifact.signature, publicKey, version });
      artifact.sha256 = checked.sha256;
    } catch (error) {
      if (error instanceof ArtifactRefusal) {
        // Worded as the server words it (api/_src/releases/ingest.ts), so one pattern reads either.
        throw localRefusal(error.rule, `artifact ${basename(artifact.path)} (${artifact.platform}) ${ruleText(error.rule)}: ${error.message}; nothing was uploaded`);
      }
      // A file that vanished or may not be read since it was found: name it rather than fail with a stack.
      if ((error as NodeJS.ErrnoException).code) throw usageError(`cannot read ${artifact.path}: ${(error as Error).message}; nothing was uploaded`);
      throw error;
    }
    done.set(key, artifact.sha256);
  }
}

/** `name: 12.0 MiB of 200.0 MiB (6%), 40.1 MiB/s`: a progress line of actions/upload-r2/src/transfer.ts `Progress`. */
const PROGRESS_LINE = /^(.+): (\S+ \S+) of (\S+ \S+) \((\d+)%\), (.+)$/;
const BAR_WIDTH = 24;

/**
 * The transfer's logger on this terminal: on a TTY, progress lines redraw one bar in place; otherwise (a pipe, CI)
 * each progress line is printed as it is.
 */
export function progressLogger(out: Output): Logger {
  const tty = Boolean(out.stderr.isTTY);
  let barShown = false;
  const line = (message: string) => {
    if (barShown) out.stderr.write('\n');
    barShown = false;
    out.note(message);
  };
  return {
    debug() {},
    info(message) {
      const progress = tty ? PROGRESS_LINE.exec(message) : null;
      if (!progress) return line(message);
      const [, label, sent, total, percent, rate] = progress;
      const filled = Math.round((Number(percent) / 100) * BAR_WIDTH);
      out.stderr.write(`\r\x1b[2K${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${percent}% ${sent} / ${total} ${rate}`);
      barShown = true;
    },
    warning: (message) => line(`warning: ${message}`),
    error: (message) => line(`error: ${message}`),
  };
}

/** An error of the transfer (ControlPlane, PUT) as the CLI reports it, by the exit-code rules of errors.ts. */
export function transferFailure(error: unknown): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof PutNetworkError) return new NetworkFailure(error.message, { cause: error });
  if (error instanceof PutRefusedError) return new ServerRefusal(error.status, 'storage_refused', error.message);
  let plane: ControlPlaneError | null = null;
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ControlPlaneError) {
      plane = e;
      break;
    }
  }
  if (plane) {
    if (plane.status === null) {
      // The action's hint names its own input and runner; here the URL came from login or TAURI_RELEASE_URL.
      const detail = plane.detail.replace(/check server-url \([^)]*\)/, 'check the server URL (tauri-release whoami shows it)');
      return new NetworkFailure(`${plane.call}: ${detail}${detail.endsWith('.') ? '' : '.'} Then run the same upload again: artifacts the server already verified are not sent again.`, { cause: error });
    }
    // The action's wording names its own input; here the key came from login or TAURI_RELEASE_KEY.
    const message = error === plane ? plane.detail : (error as Error).message.replace(/\. The api-key input is .*$/, '');
    return new ServerRefusal(plane.status, plane.code ?? `http_${plane.status}`, message);
  }
  if (error instanceof Error) return new CliError(EXIT_REFUSED, 'upload_refused', error.message, { cause: error });
  return error;
}
