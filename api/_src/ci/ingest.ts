/**
 * @module ci/ingest
 * Checks the bytes of an artifact where they are stored, before it is marked `ready`: the object exists
 * with the declared size, then ONE streamed read feeds both the SHA-256 and the Tauri signature verifier
 * (`protocol/minisign.ts`: prehashed `ED` and legacy `Ed`, key id, the trusted comment's global signature,
 * and a signed `version:` equal to the release's). Nothing is buffered but a legacy signature's file,
 * which the verifier bounds.
 *
 * Every refusal names its rule, `artifact <file> (<platform>) refused by rule "<rule>": …`, with both
 * values where two disagree (sizes, digests, key ids, versions). The rules:
 *
 *   no_public_key        the app has no public key to verify against                        409
 *   not_uploaded         nothing is stored yet (PUT not done, failed, or its URL expired)    409
 *   size_mismatch        stored size ≠ declared size                                         422
 *   sha256_mismatch      SHA-256 of the stored bytes ≠ declared                              422
 *   key_id_mismatch      signed with another key than the app's public key                   422
 *   invalid_signature, invalid_global_signature, signed_version_mismatch, unsupported_algorithm,
 *   malformed_signature, legacy_signature_too_large     (SignatureError codes)               422
 */
import { createHash } from 'node:crypto';
import { ApiError } from '../http/errors.ts';
import { createSignatureVerifier, SignatureError, type SignatureVerifier } from '../protocol/minisign.ts';
import type { Storage } from '../storage/storage.ts';

export const INGEST_RULES = [
  'no_public_key',
  'not_uploaded',
  'size_mismatch',
  'sha256_mismatch',
  'key_id_mismatch',
  'invalid_signature',
  'invalid_global_signature',
  'signed_version_mismatch',
  'unsupported_algorithm',
  'malformed_signature',
  'malformed_public_key',
  'legacy_signature_too_large',
  'missing_signed_version',
] as const;
export type IngestRule = (typeof INGEST_RULES)[number];

/** What the client declared about one artifact. */
export interface DeclaredArtifact {
  platform: string;
  fileName: string;
  size: number;
  sha256: string;
  signature: string;
}

/** A refused artifact: a 4xx whose message names the rule. `retryable`: the same upload may still succeed later. */
export class IngestRefusal extends ApiError {
  override name = 'IngestRefusal';
  readonly rule: IngestRule;
  constructor(rule: IngestRule, artifact: Pick<DeclaredArtifact, 'platform' | 'fileName'>, detail: string) {
    const status = rule === 'no_public_key' || rule === 'not_uploaded' ? 409 : 422;
    super(status, status === 409 ? 'conflict' : 'invalid_request', `artifact ${artifact.fileName} (${artifact.platform}) refused by rule "${rule}": ${detail}`);
    this.rule = rule;
  }

  /** Refusals about the bytes themselves; the others (no key yet, nothing uploaded yet) can still change. */
  get final(): boolean {
    return this.rule !== 'no_public_key' && this.rule !== 'not_uploaded';
  }
}

const NO_KEY_FIX =
  'set the app\'s public_key (PATCH /admin/apps/{app} with {"public_key": …}) to the key in tauri.conf.json plugins.updater.pubkey';

function refusalOf(error: SignatureError, artifact: DeclaredArtifact): IngestRefusal {
  const rule = (INGEST_RULES as readonly string[]).includes(error.code) ? (error.code as IngestRule) : 'invalid_signature';
  // key_id_mismatch's message already reads "signed with key <found> but the app's public key is <expected>".
  return new IngestRefusal(rule, artifact, error.message);
}

/**
 * Starts the verifier before any byte is read, so a wrong key or algorithm is refused without a download.
 * Also used when an upload is requested, to refuse before the client sends the file.
 */
export function startVerifier(artifact: DeclaredArtifact, publicKey: string | null): SignatureVerifier {
  if (!publicKey) throw new IngestRefusal('no_public_key', artifact, `the app has no public key to verify the signature against; ${NO_KEY_FIX}`);
  try {
    return createSignatureVerifier(artifact.signature, publicKey);
  } catch (error) {
    if (error instanceof SignatureError) throw refusalOf(error, artifact);
    throw error;
  }
}

/**
 * Verifies the object at `key` against what was declared and the app's key; returns the key id it was
 * verified against. Throws `IngestRefusal` (4xx) for the client's mistakes; storage outages pass through.
 */
export async function verifyStoredArtifact(
  storage: Storage,
  key: string,
  artifact: DeclaredArtifact,
  publicKey: string | null,
  version: string,
): Promise<{ keyId: string }> {
  const verifier = startVerifier(artifact, publicKey);
  const info = await storage.head(key);
  if (!info) throw notUploaded(artifact);
  if (info.size !== artifact.size) throw sizeMismatch(artifact, info.size);
  const object = await storage.get(key);
  if (!object) throw notUploaded(artifact);

  const hash = createHash('sha256');
  let bytes = 0;
  const reader = object.body.getReader();
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      hash.update(read.value);
      bytes += read.value.byteLength;
      if (bytes > artifact.size) throw sizeMismatch(artifact, bytes);
      verifier.update(read.value);
    }
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    if (error instanceof SignatureError) throw refusalOf(error, artifact);
    throw error;
  } finally {
    reader.releaseLock();
  }
  // The object may have been replaced between the HEAD and the GET.
  if (bytes !== artifact.size) throw sizeMismatch(artifact, bytes);
  const sha256 = hash.digest('hex');
  if (sha256 !== artifact.sha256) {
    throw new IngestRefusal(
      'sha256_mismatch',
      artifact,
      `the stored bytes have SHA-256 ${sha256} but ${artifact.sha256} was declared; upload the file the digest was computed from`,
    );
  }
  try {
    verifier.finish({ expectedVersion: version });
  } catch (error) {
    if (error instanceof SignatureError) throw refusalOf(error, artifact);
    throw error;
  }
  return { keyId: verifier.keyId };
}

function notUploaded(artifact: DeclaredArtifact): IngestRefusal {
  return new IngestRefusal(
    'not_uploaded',
    artifact,
    'nothing is stored for this upload yet: PUT the file to the upload URL first (if it expired, request a new upload)',
  );
}

function sizeMismatch(artifact: DeclaredArtifact, found: number): IngestRefusal {
  return new IngestRefusal(
    'size_mismatch',
    artifact,
    `the stored object is ${found} bytes but ${artifact.size} were declared; upload the whole file (and declare its real size)`,
  );
}
