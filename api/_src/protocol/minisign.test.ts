import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  createSignatureVerifier,
  decodeTauriSignature,
  formatKeyId,
  MAX_LEGACY_BYTES,
  SignatureError,
  signedVersionMatches,
  verifySignatureOfStream,
  type FinishOptions,
  type SignatureErrorCode,
  type VerifiedSignature,
  type VerifierOptions,
} from './minisign.ts';
import { generateTauriKey, minisignSign, minisignVerifies, tauriSign, type TauriKey } from '../../../test/support/tauri-signer.ts';

// Real keys and signatures, made once: `tauri signer` (prehashed, with and without --app-version) and
// Debian `minisign` with the same Tauri key (legacy -l, and prehashed).
let dir: string;
let keyA: TauriKey;
let keyB: TauriKey;
const NAME = 'app_1.2.3_amd64.AppImage';
let file: string; // 3 MiB + 17 bytes, so every chunking crosses many boundaries
let data: Buffer;
let tampered: string; // same file with one byte flipped
let small: Buffer;
let smallFile: string;
const sig = {} as Record<'tauriVersioned' | 'tauriPlain' | 'legacy' | 'minisignPrehashed' | 'otherKey' | 'small', string>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'minisign-test-'));
  [keyA, keyB] = await Promise.all([generateTauriKey(dir, 'a.key'), generateTauriKey(dir, 'b.key')]);
  data = randomBytes(3 * 1024 * 1024 + 17);
  file = join(dir, NAME);
  await writeFile(file, data);
  const flipped = Buffer.from(data);
  flipped[1_500_000]! ^= 0x01;
  tampered = join(dir, `tampered-${NAME}`);
  await writeFile(tampered, flipped);
  small = Buffer.from('a small updater artifact\n');
  smallFile = join(dir, 'small.bin');
  await writeFile(smallFile, small);

  sig.tauriVersioned = await tauriSign(keyA, file, '1.2.3');
  sig.tauriPlain = await tauriSign(keyA, file);
  sig.otherKey = await tauriSign(keyB, file, '1.2.3');
  sig.small = await tauriSign(keyA, smallFile, '0.1.0');
  sig.legacy = await minisignSign(keyA, file, `timestamp:1700000000\tfile:${NAME}\tversion:1.2.3`, { legacy: true });
  sig.minisignPrehashed = await minisignSign(keyA, file, `timestamp:1700000000\tfile:${NAME}\tversion:v1.2.3`);
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

type Outcome = VerifiedSignature | SignatureError;

async function outcome(run: () => Promise<VerifiedSignature> | VerifiedSignature): Promise<Outcome> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof SignatureError) return error;
    throw error;
  }
}

const codeOf = (result: Outcome): SignatureErrorCode | 'ok' => (result instanceof SignatureError ? result.code : 'ok');

function verifyFile(path: string, signature: string, key: TauriKey, options: VerifierOptions & FinishOptions = {}) {
  return outcome(() => verifySignatureOfStream(createReadStream(path), signature, key.publicKey, options));
}

function verifyChunks(bytes: Buffer, chunkSize: number, signature: string, key: TauriKey, options: FinishOptions = {}) {
  return outcome(() => {
    const verifier = createSignatureVerifier(signature, key.publicKey);
    for (let i = 0; i < bytes.length; i += chunkSize) verifier.update(bytes.subarray(i, i + chunkSize));
    return verifier.finish(options);
  });
}

/** Decoded signature text → edited → base64 again, as a tampered `.sig` would arrive. */
function editSignature(signature: string, edit: (lines: string[]) => void): string {
  const lines = Buffer.from(signature, 'base64').toString('utf8').split('\n');
  edit(lines);
  return Buffer.from(lines.join('\n')).toString('base64');
}

function editSignatureLine(signature: string, index: 1 | 3, edit: (bytes: Buffer) => Buffer): string {
  return editSignature(signature, (lines) => {
    lines[index] = edit(Buffer.from(lines[index]!, 'base64')).toString('base64');
  });
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** 64 bytes end in `X==`, where X's low 4 bits must be zero: set one, as a lenient encoder might. */
function withStrayBits(line: string): string {
  const last = BASE64_ALPHABET.indexOf(line.at(-3)!);
  return `${line.slice(0, -3)}${BASE64_ALPHABET[last | 1]}==`;
}

describe('real signatures are accepted as the Tauri client accepts them', () => {
  it('tauri signer sign --app-version: prehashed, trusted comment parsed', async () => {
    const result = await verifyFile(file, sig.tauriVersioned, keyA, { expectedVersion: '1.2.3' });
    expect(result).toEqual({
      keyId: expect.stringMatching(/^[0-9A-F]{16}$/),
      algorithm: 'ED',
      bytes: data.length,
      trustedComment: {
        text: expect.stringMatching(new RegExp(`^timestamp:\\d+\tfile:${NAME}\tversion:1\\.2\\.3$`)),
        timestamp: expect.any(Number),
        file: NAME,
        version: '1.2.3',
      },
    });
    const { timestamp } = (result as VerifiedSignature).trustedComment;
    expect(Math.abs(timestamp! - Date.now() / 1000)).toBeLessThan(600);
  });

  it('tauri signer sign without --app-version: no version, accepted for any release version', async () => {
    const result = await verifyFile(file, sig.tauriPlain, keyA, { expectedVersion: '9.9.9' });
    expect(codeOf(result)).toBe('ok');
    expect((result as VerifiedSignature).trustedComment).toMatchObject({ file: NAME, version: null });
  });

  it('Debian minisign -l (legacy "Ed") with the Tauri key', async () => {
    const result = await verifyFile(file, sig.legacy, keyA, { expectedVersion: '1.2.3' });
    expect(result).toMatchObject({ algorithm: 'Ed', bytes: data.length, trustedComment: { timestamp: 1700000000, version: '1.2.3' } });
  });

  it('Debian minisign prehashed, signed version "v1.2.3" equal to release 1.2.3', async () => {
    const result = await verifyFile(file, sig.minisignPrehashed, keyA, { expectedVersion: '1.2.3' });
    expect(result).toMatchObject({ algorithm: 'ED', trustedComment: { version: 'v1.2.3' } });
  });

  it('reports the key id the way minisign prints it', () => {
    // rsign writes `{:X}` of the key id into the .pub comment, without zero padding.
    const printed = /minisign public key: ([0-9A-F]+)\n/.exec(Buffer.from(keyA.publicKey, 'base64').toString('utf8'))![1]!;
    expect(createSignatureVerifier(sig.tauriPlain, keyA.publicKey).keyId).toBe(printed.padStart(16, '0'));
    // docs/reference/tauri-updater.md §4: key id bytes 1f e8 b4 42 18 0f 62 e7 display as E7620F1842B4E81F.
    expect(formatKeyId(Buffer.from('45641fe8b442180f62e7', 'hex'))).toBe('E7620F1842B4E81F');
  });
});

describe('refused as the Tauri client refuses', () => {
  it('a flipped byte in the file → invalid_signature', async () => {
    const result = await verifyFile(tampered, sig.tauriVersioned, keyA);
    expect(codeOf(result)).toBe('invalid_signature');
    expect((result as SignatureError).message).toContain(`${data.length} bytes`);
    expect(codeOf(await verifyFile(tampered, sig.legacy, keyA))).toBe('invalid_signature');
  });

  it('a signature of another file → invalid_signature naming the signed file', async () => {
    const result = await verifyFile(smallFile, sig.tauriVersioned, keyA);
    expect(codeOf(result)).toBe('invalid_signature');
    expect((result as SignatureError).message).toContain(`"${NAME}"`);
  });

  it('a flipped byte in the trusted comment → invalid_global_signature (the version cannot be edited)', async () => {
    const edited = editSignature(sig.tauriVersioned, (lines) => {
      lines[2] = lines[2]!.replace('version:1.2.3', 'version:1.2.4');
    });
    const result = await verifyFile(file, edited, keyA, { expectedVersion: '1.2.4' });
    expect(codeOf(result)).toBe('invalid_global_signature');
    expect((result as SignatureError).message).toContain('version:1.2.4');
  });

  it('a different key → key_id_mismatch naming both ids, before reading the file', async () => {
    const expected = createSignatureVerifier(sig.tauriPlain, keyA.publicKey).keyId;
    const found = createSignatureVerifier(sig.otherKey, keyB.publicKey).keyId;
    expect(found).not.toBe(expected);
    const result = await verifyFile(file, sig.otherKey, keyA);
    expect(result).toBeInstanceOf(SignatureError);
    expect(result).toMatchObject({ code: 'key_id_mismatch', expected, found });
    expect((result as SignatureError).message).toBe(
      `signed with key ${found} but the app's public key is ${expected}: the artifact was signed with a different ` +
        'private key than the one whose public key is in tauri.conf.json',
    );
  });

  it('a release version other than the signed one → signed_version_mismatch', async () => {
    const result = await verifyFile(file, sig.tauriVersioned, keyA, { expectedVersion: '1.2.4' });
    expect(result).toMatchObject({ code: 'signed_version_mismatch', expected: '1.2.4', found: '1.2.3' });
    expect((result as SignatureError).message).toMatch(/signed for version "1\.2\.3" but the release is "1\.2\.4"/);
    expect(codeOf(await verifyFile(file, sig.legacy, keyA, { expectedVersion: '1.3.0' }))).toBe('signed_version_mismatch');
  });

  it('no signed version is refused only when signed versions are required', async () => {
    expect(codeOf(await verifyFile(file, sig.tauriPlain, keyA, { requireSignedVersion: true }))).toBe('missing_signed_version');
    expect(codeOf(await verifyFile(file, sig.tauriVersioned, keyA, { requireSignedVersion: true, expectedVersion: '1.2.3' }))).toBe('ok');
  });

  it.each([
    ['1.2.3', 'v1.2.3', true],
    ['v1.2.3', 'vv1.2.3', true],
    ['1.2.3-beta.1', '1.2.3-beta.1', true],
    ['1.2.3', '1.2.3-beta.1', false],
    ['1.2.3+1', '1.2.3+01', false], // the semver crate compares build metadata
    ['1.2.3+1', '1.2.3', false],
    ['1.2', '1.2', true], // not semver: literal
    ['1.2', 'v1.2', false],
    ['', '1.2.3', false],
  ])('signedVersionMatches(%j, %j) is %s', (signed, expected, matches) => {
    expect(signedVersionMatches(signed, expected)).toBe(matches);
  });
});

describe('malformed input is refused with a malformed_* code, never a crash', () => {
  const decodeError = (input: string) => outcome(() => decodeTauriSignature(input) as unknown as VerifiedSignature);

  it.each([
    ['empty', () => '', /it is empty/],
    ['the raw RW/RU line', () => Buffer.from(sig.small, 'base64').toString('utf8').split('\n')[1]!, /second line/],
    ['the decoded text', () => Buffer.from(sig.small, 'base64').toString('utf8'), /base64-encoded once more/],
    ['truncated base64', () => sig.small.slice(0, -3), /not standard \(padded\) base64/],
    ['base64 truncated on a 4-character boundary', () => sig.small.slice(0, 200), /line/],
    ['a 3-line text', () => editSignature(sig.small, (lines) => lines.splice(3)), /3 line\(s\)/],
    ['a 73-byte line 2', () => editSignatureLine(sig.small, 1, (bytes) => bytes.subarray(0, 73)), /line 2 must be base64 of 74 bytes.*not 73/],
    ['a 63-byte line 4', () => editSignatureLine(sig.small, 3, (bytes) => bytes.subarray(1)), /line 4 must be base64 of 64 bytes.*not 63/],
    ['non-canonical base64 in line 4', () => editSignature(sig.small, (lines) => (lines[3] = withStrayBits(lines[3]!))), /line 4.*not base64/],
    ['not UTF-8', () => Buffer.from([0x75, 0xff, 0xfe, 0x0a]).toString('base64'), /UTF-8/],
    ['with whitespace inside', () => `${sig.small.slice(0, 40)} ${sig.small.slice(40)}`, /base64/],
  ])('%s → malformed_signature', async (_name, input, message) => {
    const result = await decodeError(input());
    expect(result).toBeInstanceOf(SignatureError);
    expect(result).toMatchObject({ code: 'malformed_signature', message: expect.stringMatching(message) });
  });

  it('accepts surrounding whitespace and CRLF line endings, like the client', async () => {
    expect(codeOf(await verifyChunks(small, 5, `\n${sig.small}\n`, keyA))).toBe('ok');
    const crlf = editSignature(sig.small, (lines) => lines.forEach((line, i) => (lines[i] = line && `${line}\r`)));
    expect(codeOf(await verifyChunks(small, 5, crlf, keyA))).toBe('ok');
  });

  it('a public key that is not a Tauri public key → malformed_public_key', async () => {
    const rawLine = Buffer.from(keyA.publicKey, 'base64').toString('utf8').split('\n')[1]!;
    for (const publicKey of [rawLine, '', keyA.publicKey.slice(0, -4), 'bm90IGEga2V5'] as const) {
      const result = await outcome(() => createSignatureVerifier(sig.small, publicKey).finish());
      expect(result).toMatchObject({ code: 'malformed_public_key' });
    }
  });

  it('a trusted comment line without its prefix → malformed_signature; key id is checked first', async () => {
    const noPrefix = editSignature(sig.small, (lines) => (lines[2] = lines[2]!.replace('trusted comment: ', 'trusted comment:')));
    expect(await verifyChunks(small, 64, noPrefix, keyA)).toMatchObject({ code: 'malformed_signature', message: expect.stringMatching(/line 3/) });
    expect(codeOf(await verifyChunks(small, 64, noPrefix, keyB))).toBe('key_id_mismatch');
  });

  it('an algorithm other than ED/Ed → unsupported_algorithm, after the trusted-comment check', async () => {
    const setAlgorithm = (signature: string, algorithm: string) =>
      editSignatureLine(signature, 1, (bytes) => Buffer.concat([Buffer.from(algorithm, 'latin1'), bytes.subarray(2)]));
    expect(await verifyChunks(small, 64, setAlgorithm(sig.small, 'EX'), keyA)).toMatchObject({
      code: 'unsupported_algorithm',
      message: expect.stringContaining('"EX"'),
    });
    expect((await verifyChunks(small, 64, setAlgorithm(sig.small, '\x00\x01'), keyA) as SignatureError).message).toContain('0x0001');
    const both = editSignature(setAlgorithm(sig.small, 'EX'), (lines) => (lines[2] = `x${lines[2]}`));
    expect(codeOf(await verifyChunks(small, 64, both, keyA))).toBe('malformed_signature');
  });

  it('every truncation of a signature is refused with a SignatureError', async () => {
    for (let length = 0; length < sig.small.length; length++) {
      const result = await verifyChunks(small, 7, sig.small.slice(0, length), keyA);
      expect(result).toBeInstanceOf(SignatureError);
    }
  });

  it('every single-bit flip in the signature text is refused, except in the untrusted comment', async () => {
    const text = Buffer.from(sig.small, 'base64');
    const untrustedEnd = text.indexOf('\n');
    const accepted: number[] = [];
    for (let i = 0; i < text.length; i++) {
      for (const bit of [0x01, 0x20, 0x80]) {
        const flipped = Buffer.from(text);
        flipped[i]! ^= bit;
        const result = await verifyChunks(small, 7, flipped.toString('base64'), keyA);
        if (!(result instanceof SignatureError)) accepted.push(i);
      }
    }
    expect(accepted.length).toBeGreaterThan(0);
    expect(accepted.every((i) => i < untrustedEnd)).toBe(true);
  });
});

describe('streaming', () => {
  it.each([1, 7, 4093, 65_537, 1 << 20])('chunks of %i bytes give the same result', async (chunkSize) => {
    const bytes = chunkSize === 1 ? small : data;
    const signature = chunkSize === 1 ? sig.small : sig.tauriVersioned;
    const whole = await verifyChunks(bytes, bytes.length, signature, keyA);
    expect(codeOf(whole)).toBe('ok');
    expect(await verifyChunks(bytes, chunkSize, signature, keyA)).toEqual(whole);
    if (chunkSize > 1) {
      expect(await verifyChunks(data, chunkSize, sig.legacy, keyA)).toMatchObject({ algorithm: 'Ed', bytes: data.length });
      const flipped = Buffer.from(data);
      flipped[data.length - 1]! ^= 0x80;
      expect(codeOf(await verifyChunks(flipped, chunkSize, signature, keyA))).toBe('invalid_signature');
    }
  });

  it('reads web ReadableStreams, Node Readables and async iterables', async () => {
    const options = { expectedVersion: '1.2.3' };
    const web = await verifySignatureOfStream(new Blob([new Uint8Array(data)]).stream(), sig.tauriVersioned, keyA.publicKey, options);
    const node = await verifySignatureOfStream(Readable.from([data.subarray(0, 10), data.subarray(10)]), sig.tauriVersioned, keyA.publicKey, options);
    async function* iterable() {
      yield data.subarray(0, 3);
      yield data.subarray(3);
    }
    const iterated = await verifySignatureOfStream(iterable(), sig.tauriVersioned, keyA.publicKey, options);
    expect(web).toEqual(node);
    expect(iterated).toEqual(node);
  });

  it('refuses text chunks instead of hashing their encoding', async () => {
    const text = createReadStream(smallFile, { encoding: 'utf8' });
    await expect(verifySignatureOfStream(text, sig.small, keyA.publicKey)).rejects.toThrow(/stream of bytes.*string/);
    expect(text.destroyed).toBe(true);
  });

  it('cancels the source when the signature is refused before reading', async () => {
    let cancelled: unknown = null;
    let pulls = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Finite, so that a verifier that wrongly reads on still ends (and fails) instead of hanging.
        if (++pulls > 3) controller.close();
        else controller.enqueue(data);
      },
      cancel(reason) {
        cancelled = reason;
      },
    });
    const result = await outcome(() => verifySignatureOfStream(source, sig.otherKey, keyA.publicKey));
    expect(codeOf(result)).toBe('key_id_mismatch');
    expect(cancelled).toBe(result);
    expect(pulls).toBeLessThanOrEqual(1); // at most the start-up pull; nothing consumed

    const stream = createReadStream(file);
    expect(codeOf(await outcome(() => verifySignatureOfStream(stream, sig.otherKey, keyA.publicKey)))).toBe('key_id_mismatch');
    expect(stream.destroyed).toBe(true);
    expect(stream.bytesRead).toBe(0);
  });

  it('buffers a legacy signature only up to the bound, and stops reading there', async () => {
    expect(MAX_LEGACY_BYTES).toBe(64 * 1024 * 1024);
    const stream = createReadStream(file, { highWaterMark: 64 * 1024 });
    const result = await outcome(() => verifySignatureOfStream(stream, sig.legacy, keyA.publicKey, { maxLegacyBytes: 1024 * 1024 }));
    expect(result).toMatchObject({ code: 'legacy_signature_too_large', message: expect.stringContaining('tauri signer sign') });
    expect(stream.destroyed).toBe(true);
    expect(stream.bytesRead).toBeLessThan(data.length);
    // Exactly at the bound is fine, and prehashed signatures have no bound.
    expect(codeOf(await verifyFile(file, sig.legacy, keyA, { maxLegacyBytes: data.length }))).toBe('ok');
    expect(codeOf(await verifyFile(file, sig.tauriPlain, keyA, { maxLegacyBytes: 1024 }))).toBe('ok');
  });

  it('is single use', () => {
    const verifier = createSignatureVerifier(sig.small, keyA.publicKey);
    verifier.update(small);
    verifier.finish();
    expect(() => verifier.update(small)).toThrow(/after finish/);
    expect(() => verifier.finish()).toThrow(/twice/);
  });
});

describe('agrees with Debian minisign -V on every signature case', () => {
  // The signed-version rule is Tauri's own: minisign accepts those signatures, and we refuse them.
  const cases: ReadonlyArray<[name: string, path: () => string, signature: () => string, key: () => TauriKey, expected: SignatureErrorCode | 'ok']> = [
    ['tauri, versioned', () => file, () => sig.tauriVersioned, () => keyA, 'ok'],
    ['tauri, no version', () => file, () => sig.tauriPlain, () => keyA, 'ok'],
    ['minisign -l legacy', () => file, () => sig.legacy, () => keyA, 'ok'],
    ['minisign prehashed', () => file, () => sig.minisignPrehashed, () => keyA, 'ok'],
    ['flipped file byte', () => tampered, () => sig.tauriVersioned, () => keyA, 'invalid_signature'],
    ['flipped file byte, legacy', () => tampered, () => sig.legacy, () => keyA, 'invalid_signature'],
    ['another key', () => file, () => sig.otherKey, () => keyA, 'key_id_mismatch'],
    ['edited trusted comment', () => file, () => editSignature(sig.tauriVersioned, (l) => (l[2] = l[2]!.replace('file:', 'file:x'))), () => keyA, 'invalid_global_signature'],
    ['edited signature bytes', () => file, () => editSignatureLine(sig.tauriPlain, 1, (b) => ((b[40]! ^= 1), b)), () => keyA, 'invalid_signature'],
    ['edited global signature', () => file, () => editSignatureLine(sig.tauriPlain, 3, (b) => ((b[0]! ^= 1), b)), () => keyA, 'invalid_global_signature'],
    ['unknown algorithm', () => file, () => editSignatureLine(sig.tauriPlain, 1, (b) => ((b[1] = 0x58), b)), () => keyA, 'unsupported_algorithm'],
    ['3-line text', () => file, () => editSignature(sig.tauriPlain, (l) => l.splice(3)), () => keyA, 'malformed_signature'],
  ];

  it.each(cases)('%s', async (_name, path, signature, key, expected) => {
    const ours = await verifyFile(path(), signature(), key(), { expectedVersion: '1.2.3' });
    expect(codeOf(ours)).toBe(expected);
    const theirs = await minisignVerifies(key().minisignPublicKeyPath, path(), signature(), join(dir, 'check.minisig'));
    expect(theirs).toBe(expected === 'ok');
  });

  it('minisign accepts what only the signed-version rule refuses', async () => {
    expect(codeOf(await verifyFile(file, sig.tauriVersioned, keyA, { expectedVersion: '2.0.0' }))).toBe('signed_version_mismatch');
    expect(await minisignVerifies(keyA.minisignPublicKeyPath, file, sig.tauriVersioned, join(dir, 'check.minisig'))).toBe(true);
  });
});
