/**
 * @module releases/ingest
 * The server's side of the one artifact check (`protocol/artifact-check.ts`): the admin upload checks
 * the bytes as they stream to storage (`ingestCheck`), the CI API checks them where they are stored
 * before the artifact is marked `ready` (`verifyStoredArtifact`). Nothing is buffered but a legacy
 * signature's file, which the verifier bounds.
 *
 * Every refusal is an `IngestRefusal` whose message names its rule,
 * `artifact <file> (<platform>) refused by rule "<rule>": …`, with both values where two disagree
 * (sizes, digests, key ids, versions), and whose HTTP status depends on the rule:
 *
 *   no_public_key        the app has no public key to verify against                        409
 *   not_uploaded         nothing is stored yet (PUT not done, failed, or its URL expired)    409
 *   size_mismatch        stored size ≠ declared size                                         422
 *   sha256_mismatch      SHA-256 of the stored bytes ≠ declared                              422
 *   key_id_mismatch      signed with another key than the app's public key                   422
 *   invalid_signature, invalid_global_signature, signed_version_mismatch, unsupported_algorithm,
 *   malformed_signature, legacy_signature_too_large     (SignatureError codes)               422
 */
import { ApiError } from '../http/api-error.ts';
import {
  type ArtifactCheck,
  ArtifactRefusal,
  type CheckedArtifact,
  type IngestRule,
  ruleText,
  runArtifactCheck,
  startArtifactCheck,
} from '../protocol/artifact-check.ts';
import type { ObjectInfo, Storage } from '../storage/storage.ts';

/** What the client declared about one artifact; the admin upload declares no size or digest. */
export interface DeclaredArtifact {
  platform: string;
  fileName: string;
  size?: number;
  sha256?: string;
  signature: string;
  /** An installer only (a DMG): size and SHA-256 are checked, there is no signature. */
  installerOnly?: boolean;
}

/** A refused artifact: a 4xx whose message names the rule. `final`: the same upload cannot succeed later. */
export class IngestRefusal extends ApiError {
  override name = 'IngestRefusal';
  readonly rule: IngestRule;
  constructor(rule: IngestRule, artifact: Pick<DeclaredArtifact, 'platform' | 'fileName'>, detail: string) {
    const status = rule === 'no_public_key' || rule === 'not_uploaded' ? 409 : 422;
    super(status, status === 409 ? 'conflict' : 'invalid_request', `artifact ${artifact.fileName} (${artifact.platform}) ${ruleText(rule)}: ${detail}`);
    this.rule = rule;
  }

  /** Refusals about the bytes themselves; the others (no key yet, nothing uploaded yet) can still change. */
  get final(): boolean {
    return this.rule !== 'no_public_key' && this.rule !== 'not_uploaded';
  }
}

const NO_KEY_FIX =
  'set the app\'s public_key (PATCH /admin/apps/{app} with {"public_key": …}) to the key in tauri.conf.json plugins.updater.pubkey';

/** The check's refusal in the server's words: the bytes it checked are the stored object. */
function toIngestRefusal(refusal: ArtifactRefusal, artifact: DeclaredArtifact): IngestRefusal {
  switch (refusal.rule) {
    case 'no_public_key':
      return new IngestRefusal(refusal.rule, artifact, `${refusal.message}; ${NO_KEY_FIX}`);
    case 'size_mismatch':
      return sizeMismatch(artifact, Number(refusal.found));
    case 'sha256_mismatch':
      return new IngestRefusal(
        refusal.rule,
        artifact,
        `the stored bytes have SHA-256 ${refusal.found} but ${refusal.expected} was declared; upload the file the digest was computed from`,
      );
    default:
      // key_id_mismatch's message already reads "signed with key <found> but the app's public key is <expected>".
      return new IngestRefusal(refusal.rule, artifact, refusal.message);
  }
}

const asIngestRefusal = (error: unknown, artifact: DeclaredArtifact): unknown => (error instanceof ArtifactRefusal ? toIngestRefusal(error, artifact) : error);

/**
 * Starts the check of one artifact's bytes before any is read, so a missing or wrong key is refused
 * without a download; also used when an upload is requested, to refuse before the client sends the file.
 * `update` and `finish` throw `IngestRefusal`.
 */
export function ingestCheck(artifact: DeclaredArtifact, publicKey: string | null, version: string): ArtifactCheck {
  let check: ArtifactCheck;
  try {
    check = startArtifactCheck({
      signature: artifact.signature,
      installerOnly: artifact.installerOnly,
      publicKey,
      version,
      size: artifact.size,
      sha256: artifact.sha256,
    });
  } catch (error) {
    throw asIngestRefusal(error, artifact);
  }
  return {
    update(chunk) {
      try {
        check.update(chunk);
      } catch (error) {
        throw asIngestRefusal(error, artifact);
      }
    },
    finish() {
      try {
        return check.finish();
      } catch (error) {
        throw asIngestRefusal(error, artifact);
      }
    },
  };
}

/**
 * Where an artifact's bytes are stored: the key, and what a HEAD of it answered (null: nothing there) when the
 * caller has already asked, as the one-call registration has while looking for the key (`registration.ts`).
 */
export interface StoredArtifactObject {
  key: string;
  head?: ObjectInfo | null;
}

/**
 * Checks the object at `stored.key` against what was declared and the app's key: the object exists with the
 * declared size (one HEAD, unless `stored.head` is the answer to it already), then one streamed read. Throws
 * `IngestRefusal` (4xx) for the client's mistakes; storage outages pass through.
 */
export async function verifyStoredArtifact(
  storage: Storage,
  stored: StoredArtifactObject,
  artifact: DeclaredArtifact & { size: number; sha256: string },
  publicKey: string | null,
  version: string,
  uploadedBy: 'upload URL' | 'straight to the bucket' = 'upload URL',
): Promise<CheckedArtifact> {
  const check = ingestCheck(artifact, publicKey, version);
  const info = stored.head === undefined ? await storage.head(stored.key) : stored.head;
  if (!info) throw notUploaded(artifact, uploadedBy);
  if (info.size !== artifact.size) throw sizeMismatch(artifact, info.size);
  const object = await storage.get(stored.key);
  if (!object) throw notUploaded(artifact, uploadedBy);
  // The object may have been replaced between the HEAD and the GET: the check counts the bytes again.
  return runArtifactCheck(check, object.body);
}

function notUploaded(artifact: DeclaredArtifact, uploadedBy: 'upload URL' | 'straight to the bucket'): IngestRefusal {
  return new IngestRefusal(
    'not_uploaded',
    artifact,
    uploadedBy === 'upload URL'
      ? 'nothing is stored for this upload yet: PUT the file to the upload URL first (if it expired, request a new upload)'
      : 'nothing is stored for this artifact in the bucket: upload it first (upload-r2 with mode s3, same version and bytes), then register it',
  );
}

function sizeMismatch(artifact: DeclaredArtifact, found: number): IngestRefusal {
  return new IngestRefusal(
    'size_mismatch',
    artifact,
    `the stored object is ${found} bytes but ${artifact.size} were declared; upload the whole file (and declare its real size)`,
  );
}
