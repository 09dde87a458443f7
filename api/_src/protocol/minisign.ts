/**
 * @module minisign
 * Verifies a Tauri updater signature over a stream of bytes exactly as the Tauri client accepts it
 * (tauri-plugin-updater `verify_signature`, minisign-verify `PublicKey::verify(…, allow_legacy = true)`;
 * docs/reference/tauri-updater.md §1.9, §4), so the server can refuse at ingest what every installed client
 * would refuse after downloading. Shared by the server and the GitHub actions: Node built-ins only.
 *
 * Checks, in minisign-verify's order: key id, `trusted comment: ` prefix, algorithm (before any byte is
 * read), then the Ed25519 signature of the file, the global signature over the trusted comment, and
 * last Tauri's signed-version rule.
 *
 * - `ED` (prehashed, what `tauri signer` writes) signs BLAKE2b-512(file): the hash is updated chunk by
 *   chunk, so memory stays constant whatever the file size.
 * - `Ed` (legacy, `minisign -l`) signs the file itself, and Ed25519 needs the whole message at once, so
 *   it is buffered. The client allows legacy signatures, so we do too, but only up to
 *   `MAX_LEGACY_BYTES` (64 MiB by default): beyond that the artifact is refused with
 *   `legacy_signature_too_large` and the advice to re-sign it, which writes a prehashed signature.
 */
import { createHash, createPublicKey, verify, type Hash, type KeyObject } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  decodeTauriPublicKey,
  decodeTauriSignature,
  parseTrustedComment,
  SignatureError,
  TRUSTED_COMMENT_PREFIX,
  type TauriPublicKey,
  type TauriSignature,
  type TrustedComment,
} from './minisign-decode.ts';
import { compareVersions, safeParseVersion } from './semver.ts';

export * from './minisign-decode.ts';

/** Default bound for legacy (`Ed`) signatures, whose file must be held in memory to be verified. */
export const MAX_LEGACY_BYTES = 64 * 1024 * 1024;
const LEGACY_INITIAL_CAPACITY = 1024 * 1024;
const MAX_COMMENT_IN_MESSAGE = 200;

export interface VerifierOptions {
  /** Largest file accepted with a legacy `Ed` signature. Default `MAX_LEGACY_BYTES` (64 MiB). */
  maxLegacyBytes?: number;
}

export interface FinishOptions {
  /** The release's version. When the trusted comment has `version:`, it must be equal (semver, `v` ignored). */
  expectedVersion?: string;
  /** Refuse a signature without `version:`, like the client's `requireSignedVersion: true`. Default false. */
  requireSignedVersion?: boolean;
}

export interface VerifiedSignature {
  keyId: string;
  /** `ED` (prehashed) or `Ed` (legacy). */
  algorithm: 'ED' | 'Ed';
  /** Bytes verified. */
  bytes: number;
  /** The trusted comment, now authenticated by the global signature. */
  trustedComment: TrustedComment;
}

export interface SignatureVerifier {
  readonly keyId: string;
  readonly algorithm: 'ED' | 'Ed';
  /** Bytes fed so far. */
  readonly bytes: number;
  /** Feeds the next chunk of the file. Throws `legacy_signature_too_large` once a legacy file passes the bound. */
  update(chunk: Uint8Array): void;
  /** Checks both signatures and the version rule; call once, after the last chunk. */
  finish(options?: FinishOptions): VerifiedSignature;
}

function ed25519Key(key: TauriPublicKey): KeyObject {
  const x = Buffer.from(key.publicKey).toString('base64url');
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
  } catch (error) {
    throw new SignatureError('malformed_public_key', `the app's public key ${key.keyId} is not a valid Ed25519 key (${String(error)})`);
  }
}

function describeAlgorithm(algorithm: string): string {
  return /^[\x20-\x7e]{2}$/.test(algorithm) ? `"${algorithm}"` : `0x${Buffer.from(algorithm, 'latin1').toString('hex')}`;
}

function quoteComment(text: string): string {
  return JSON.stringify(text.length > MAX_COMMENT_IN_MESSAGE ? `${text.slice(0, MAX_COMMENT_IN_MESSAGE)}…` : text);
}

/**
 * The client's rule (`verify_signed_version`): semver equality after dropping leading `v`s when both
 * parse, otherwise literal equality. Semver equality includes build metadata, as in the semver crate.
 */
export function signedVersionMatches(signed: string, expected: string): boolean {
  const a = safeParseVersion(signed);
  const b = safeParseVersion(expected);
  return a.success && b.success ? compareVersions(a.version, b.version) === 0 : signed === expected;
}

/** Holds a legacy-signed file; grows by doubling so the copy overhead stays below one extra file. */
class LegacyBuffer {
  #data = Buffer.alloc(0);
  #length = 0;
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  append(chunk: Uint8Array): void {
    const needed = this.#length + chunk.byteLength;
    if (needed > this.#limit) {
      throw new SignatureError(
        'legacy_signature_too_large',
        `the artifact has a legacy minisign signature ("Ed", made by \`minisign -l\` or very old tools) and is larger ` +
          `than ${this.#limit} bytes; a legacy signature covers the whole file, which would have to be held in memory ` +
          'to verify it. Re-sign the artifact with `tauri signer sign` (or `minisign -S` without -l), which writes a ' +
          'prehashed ("ED") signature',
      );
    }
    if (needed > this.#data.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.#limit, Math.max(needed, this.#data.length * 2, LEGACY_INITIAL_CAPACITY)));
      this.#data.copy(grown, 0, 0, this.#length);
      this.#data = grown;
    }
    this.#data.set(chunk, this.#length);
    this.#length = needed;
  }
  contents(): Buffer {
    return this.#data.subarray(0, this.#length);
  }
}

class StreamingVerifier implements SignatureVerifier {
  readonly keyId: string;
  readonly algorithm: 'ED' | 'Ed';
  #bytes = 0;
  #finished = false;
  readonly #signature: TauriSignature;
  readonly #key: KeyObject;
  readonly #hash: Hash | null;
  readonly #legacy: LegacyBuffer | null;

  constructor(signature: TauriSignature, publicKey: TauriPublicKey, options: VerifierOptions) {
    if (signature.keyId !== publicKey.keyId) {
      throw new SignatureError(
        'key_id_mismatch',
        `signed with key ${signature.keyId} but the app's public key is ${publicKey.keyId}: the artifact was signed ` +
          "with a different private key than the one whose public key is in tauri.conf.json",
        { expected: publicKey.keyId, found: signature.keyId },
      );
    }
    if (!signature.trustedCommentLine.startsWith(TRUSTED_COMMENT_PREFIX)) {
      throw new SignatureError(
        'malformed_signature',
        'invalid signature: line 3 of the signature text does not start with "trusted comment: "; use the .sig ' +
          'file exactly as the signer wrote it',
      );
    }
    if (signature.algorithm !== 'ED' && signature.algorithm !== 'Ed') {
      throw new SignatureError(
        'unsupported_algorithm',
        `the signature algorithm is ${describeAlgorithm(signature.algorithm)}, but the Tauri client only verifies ` +
          'Ed25519 minisign signatures: "ED" (prehashed, what `tauri signer sign` writes) or "Ed" (legacy); re-sign ' +
          'the artifact with `tauri signer sign`',
      );
    }
    this.keyId = signature.keyId;
    this.algorithm = signature.algorithm;
    this.#signature = signature;
    this.#key = ed25519Key(publicKey);
    const prehashed = signature.algorithm === 'ED';
    this.#hash = prehashed ? createHash('blake2b512') : null;
    this.#legacy = prehashed ? null : new LegacyBuffer(options.maxLegacyBytes ?? MAX_LEGACY_BYTES);
  }

  get bytes(): number {
    return this.#bytes;
  }

  update(chunk: Uint8Array): void {
    if (this.#finished) throw new Error('SignatureVerifier.update() called after finish()');
    if (this.#hash) this.#hash.update(chunk);
    else this.#legacy!.append(chunk);
    this.#bytes += chunk.byteLength;
  }

  finish(options: FinishOptions = {}): VerifiedSignature {
    if (this.#finished) throw new Error('SignatureVerifier.finish() called twice');
    this.#finished = true;
    const signature = this.#signature;
    const message = this.#hash ? this.#hash.digest() : this.#legacy!.contents();
    const commentText = signature.trustedCommentLine.slice(TRUSTED_COMMENT_PREFIX.length);
    if (!verify(null, message, this.#key, signature.signature)) {
      // Not authenticated yet, but the file name it claims is the most useful hint there is.
      const claimed = parseTrustedComment(commentText).file;
      throw new SignatureError(
        'invalid_signature',
        `the signature does not match the file's ${this.#bytes} bytes: the file was changed after it was signed, or ` +
          `the signature belongs to another file${claimed === null ? '' : ` (it names ${quoteComment(claimed)})`}; ` +
          'upload the exact file that was signed together with its .sig',
      );
    }
    const global = Buffer.concat([signature.signature, Buffer.from(commentText, 'utf8')]);
    if (!verify(null, global, this.#key, signature.globalSignature)) {
      throw new SignatureError(
        'invalid_global_signature',
        `the trusted comment ${quoteComment(commentText)} does not match its signature: it was edited after ` +
          'signing; use the .sig file exactly as the signer wrote it',
      );
    }
    const trustedComment = parseTrustedComment(commentText);
    checkSignedVersion(trustedComment.version, options);
    return { keyId: this.keyId, algorithm: this.algorithm, bytes: this.#bytes, trustedComment };
  }
}

function checkSignedVersion(signed: string | null, { expectedVersion, requireSignedVersion }: FinishOptions): void {
  if (signed === null) {
    if (!requireSignedVersion) return;
    throw new SignatureError(
      'missing_signed_version',
      'the signature records no version (its trusted comment has no "version:" field) and signed versions are ' +
        'required; sign with tauri-cli 2.12 or later (`tauri build`, or `tauri signer sign --app-version <version>`)',
      expectedVersion === undefined ? {} : { expected: expectedVersion },
    );
  }
  if (expectedVersion === undefined || signedVersionMatches(signed, expectedVersion)) return;
  throw new SignatureError(
    'signed_version_mismatch',
    `the artifact was signed for version ${JSON.stringify(signed)} but the release is ${JSON.stringify(expectedVersion)}: ` +
      'the Tauri client refuses an update whose signed version differs from the version announced; upload the ' +
      `artifact built and signed for ${expectedVersion}`,
    { expected: expectedVersion, found: signed },
  );
}

/**
 * Starts verifying `signature` against the app's `publicKey`. Key id, trusted-comment prefix and
 * algorithm are checked here, before any data.
 *
 * @param signature the `.sig` content (base64) or its decoded form
 * @param publicKey the key as in tauri.conf.json (base64 of the .pub text) or its decoded form
 * @throws SignatureError `malformed_*`, `key_id_mismatch`, `unsupported_algorithm`
 * @example
 * const verifier = createSignatureVerifier(sigText, app.publicKey);
 * for await (const chunk of fileStream) verifier.update(chunk);
 * const { trustedComment } = verifier.finish({ expectedVersion: '1.2.3' });
 */
export function createSignatureVerifier(
  signature: string | TauriSignature,
  publicKey: string | TauriPublicKey,
  options: VerifierOptions = {},
): SignatureVerifier {
  const key = typeof publicKey === 'string' ? decodeTauriPublicKey(publicKey) : publicKey;
  const sig = typeof signature === 'string' ? decodeTauriSignature(signature) : signature;
  return new StreamingVerifier(sig, key, options);
}

/** A web `ReadableStream` (fetch, S3 `transformToWebStream`), a Node `Readable`, or any async iterable of bytes. */
export type ByteSource = ReadableStream<Uint8Array> | Readable | AsyncIterable<Uint8Array>;

function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  throw new TypeError(`expected a stream of bytes, got a chunk of type ${typeof chunk} (do not set an encoding on the stream)`);
}

/** Cancels (web) or destroys (Node) a source that will not be read, so the connection behind it is released. */
export async function discardSource(source: ByteSource, reason: unknown): Promise<void> {
  if ('getReader' in source) await source.cancel(reason).catch(() => {});
  else if ('destroy' in source && typeof source.destroy === 'function') source.destroy();
}

/**
 * Feeds every chunk of `source` to `onChunk`, in order. When `onChunk` or the stream throws, the source
 * is cancelled (web) or destroyed (Node) and the error is rethrown as it is.
 */
export async function forEachChunk(source: ByteSource, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  if ('getReader' in source) {
    const reader = source.getReader();
    try {
      for (let read = await reader.read(); !read.done; read = await reader.read()) onChunk(asBytes(read.value));
    } catch (error) {
      await reader.cancel(error).catch(() => {});
      throw error;
    } finally {
      reader.releaseLock();
    }
  } else {
    // Leaving for-await early (a throw from onChunk) calls return(), which destroys a Node Readable.
    for await (const chunk of source) onChunk(asBytes(chunk));
  }
}

/**
 * Reads `source` to the end through a verifier and returns the verified trusted comment. On any
 * failure the source is cancelled (web) or destroyed (Node) so the connection behind it is released.
 * To check an artifact (size and SHA-256 too, refusals named by rule), use `protocol/artifact-check.ts`.
 *
 * @throws SignatureError on a refused signature; stream errors are rethrown as they are
 * @example
 * const body = await storage.get(key); // ReadableStream
 * await verifySignatureOfStream(body, artifact.signature, app.publicKey, { expectedVersion: release.version });
 */
export async function verifySignatureOfStream(
  source: ByteSource,
  signature: string | TauriSignature,
  publicKey: string | TauriPublicKey,
  options: VerifierOptions & FinishOptions = {},
): Promise<VerifiedSignature> {
  let verifier: SignatureVerifier;
  try {
    verifier = createSignatureVerifier(signature, publicKey, options);
  } catch (error) {
    await discardSource(source, error);
    throw error;
  }
  await forEachChunk(source, (chunk) => verifier.update(chunk));
  return verifier.finish(options);
}
