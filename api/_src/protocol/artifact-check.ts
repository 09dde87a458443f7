/**
 * @module protocol/artifact-check
 * The one check of an artifact's bytes, made by every producer before an artifact is served: the admin
 * upload, the CI API and the GitHub sync (through `releases/ingest.ts`, which reads stored objects and
 * answers in HTTP), and the CLI, which checks before it sends anything. ONE streamed read feeds the
 * size, the SHA-256 and the Tauri signature verifier (`minisign.ts`: key id, algorithm, the file's
 * signature, the trusted comment's global signature, and a signed `version:` equal to the release's).
 *
 * A refusal names one rule of `INGEST_RULES`; the same fault gets the same rule from every producer
 * that has the same facts (a truncated file is `size_mismatch` where a size was declared, and
 * `invalid_signature` where none was).
 */
import { createHash, type Hash } from 'node:crypto';
import {
  type ByteSource,
  createSignatureVerifier,
  discardSource,
  forEachChunk,
  SIGNATURE_ERROR_CODES,
  SignatureError,
  type SignatureVerifier,
} from './minisign.ts';

/**
 *   no_public_key     the app has no public key to verify against
 *   not_uploaded      nothing is stored yet (the server's check of a stored object)
 *   size_mismatch     the bytes are not the declared size
 *   sha256_mismatch   the bytes' SHA-256 is not the declared one
 *   key_id_mismatch, invalid_signature, signed_version_mismatch, …   `minisign.ts` `SignatureError` codes
 */
export const INGEST_RULES = ['no_public_key', 'not_uploaded', 'size_mismatch', 'sha256_mismatch', ...SIGNATURE_ERROR_CODES] as const;
export type IngestRule = (typeof INGEST_RULES)[number];

/** How a producer writes the rule into a message, so every producer's refusal reads (and parses) alike. */
export const ruleText = (rule: IngestRule): string => `refused by rule "${rule}"`;

/** What the bytes must match. `size` and `sha256` are checked only where the producer declared them. */
export interface ArtifactExpectation {
  /** The `.sig` content; '' for an installer only (`installerOnly`), which has none. */
  signature: string;
  /**
   * An installer only (a notarized DMG, protocol/installers.ts): Tauri never signs it for the updater, so only the
   * declared size and SHA-256 are checked, and no key is needed. Its notarization was checked by the action.
   */
  installerOnly?: boolean | undefined;
  /** The app's public key as in tauri.conf.json; null: the app has none, and nothing can be verified. */
  publicKey: string | null;
  /** The release's version, which a signed `version:` must equal. */
  version: string;
  size?: number | undefined;
  sha256?: string | undefined;
}

/** What the check established about bytes it accepted. */
export interface CheckedArtifact {
  /** The key id the signature was verified against; null for an installer only, which has no signature. */
  keyId: string | null;
  size: number;
  sha256: string;
}

/** A refused artifact. `expected` and `found` are set where two values disagree (sizes, digests, key ids, versions). */
export class ArtifactRefusal extends Error {
  override name = 'ArtifactRefusal';
  readonly rule: IngestRule;
  readonly expected: string | undefined;
  readonly found: string | undefined;
  constructor(rule: IngestRule, message: string, details: { expected?: string | undefined; found?: string | undefined } = {}) {
    super(message);
    this.rule = rule;
    this.expected = details.expected;
    this.found = details.found;
  }
}

/** Fed the bytes in order; `finish` after the last one. Both throw `ArtifactRefusal`. */
export interface ArtifactCheck {
  update(chunk: Uint8Array): void;
  finish(): CheckedArtifact;
}

function refusalOf(error: SignatureError): ArtifactRefusal {
  return new ArtifactRefusal(error.code, error.message, { expected: error.expected, found: error.found });
}

function sizeMismatch(declared: number, found: number): ArtifactRefusal {
  return new ArtifactRefusal('size_mismatch', `the file is ${found} bytes but ${declared} were declared`, { expected: String(declared), found: String(found) });
}

class StreamedCheck implements ArtifactCheck {
  readonly #expect: ArtifactExpectation;
  readonly #verifier: SignatureVerifier | null;
  readonly #hash: Hash = createHash('sha256');
  #size = 0;

  constructor(expect: ArtifactExpectation, verifier: SignatureVerifier | null) {
    this.#expect = expect;
    this.#verifier = verifier;
  }

  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#size += chunk.byteLength;
    const declared = this.#expect.size;
    if (declared !== undefined && this.#size > declared) throw sizeMismatch(declared, this.#size);
    if (!this.#verifier) return;
    try {
      this.#verifier.update(chunk);
    } catch (error) {
      throw error instanceof SignatureError ? refusalOf(error) : error;
    }
  }

  finish(): CheckedArtifact {
    const { size: declaredSize, sha256: declaredSha, version } = this.#expect;
    if (declaredSize !== undefined && this.#size !== declaredSize) throw sizeMismatch(declaredSize, this.#size);
    const sha256 = this.#hash.digest('hex');
    if (declaredSha !== undefined && sha256 !== declaredSha) {
      throw new ArtifactRefusal('sha256_mismatch', `the bytes have SHA-256 ${sha256} but ${declaredSha} was declared`, { expected: declaredSha, found: sha256 });
    }
    if (!this.#verifier) return { keyId: null, size: this.#size, sha256 };
    try {
      this.#verifier.finish({ expectedVersion: version });
    } catch (error) {
      throw error instanceof SignatureError ? refusalOf(error) : error;
    }
    return { keyId: this.#verifier.keyId, size: this.#size, sha256 };
  }
}

/**
 * Starts a check before any byte is read, so a missing key, a wrong key id or an unsupported algorithm
 * is refused without a download (or, on the server, before the client sends the file).
 *
 * @throws ArtifactRefusal `no_public_key`, `key_id_mismatch`, `malformed_*`, `unsupported_algorithm`
 */
export function startArtifactCheck(expect: ArtifactExpectation): ArtifactCheck {
  if (expect.installerOnly) return new StreamedCheck(expect, null);
  if (!expect.publicKey) throw new ArtifactRefusal('no_public_key', 'the app has no public key to verify the signature against');
  try {
    return new StreamedCheck(expect, createSignatureVerifier(expect.signature, expect.publicKey));
  } catch (error) {
    throw error instanceof SignatureError ? refusalOf(error) : error;
  }
}

/**
 * Reads `source` to the end through `check`. A refusal, or the stream's own error (rethrown as it is),
 * cancels the source.
 */
export async function runArtifactCheck(check: ArtifactCheck, source: ByteSource): Promise<CheckedArtifact> {
  await forEachChunk(source, (chunk) => check.update(chunk));
  return check.finish();
}

/** `startArtifactCheck` and `runArtifactCheck` in one; a source that is refused before its first byte is cancelled. */
export async function checkArtifactStream(source: ByteSource, expect: ArtifactExpectation): Promise<CheckedArtifact> {
  let check: ArtifactCheck;
  try {
    check = startArtifactCheck(expect);
  } catch (error) {
    await discardSource(source, error);
    throw error;
  }
  return runArtifactCheck(check, source);
}
