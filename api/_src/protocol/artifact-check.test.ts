import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { generateTauriKey, tauriSign, type TauriKey } from '../../../test/support/tauri-signer.ts';
import { type ArtifactExpectation, ArtifactRefusal, checkArtifactStream, INGEST_RULES, ruleText, startArtifactCheck } from './artifact-check.ts';
import { SIGNATURE_ERROR_CODES } from './minisign.ts';

/** The one artifact check, with files signed by the real Tauri signer. */
let dir: string;
let key: TauriKey;
let otherKey: TauriKey;
const bytes = randomBytes(300_000);
let signature: string;
let foreignSignature: string;
const sha256 = createHash('sha256').update(bytes).digest('hex');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'artifact-check-'));
  [key, otherKey] = await Promise.all([generateTauriKey(dir, 'a.key'), generateTauriKey(dir, 'b.key')]);
  const file = join(dir, 'App_1.0.0_amd64.AppImage');
  await writeFile(file, bytes);
  signature = await tauriSign(key, file, '1.0.0');
  foreignSignature = await tauriSign(otherKey, file, '1.0.0');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const expectation = (extra: Partial<ArtifactExpectation> = {}): ArtifactExpectation => ({ signature, publicKey: key.publicKey, version: '1.0.0', ...extra });

async function ruleOf(source: Uint8Array, expect: ArtifactExpectation): Promise<string> {
  try {
    await checkArtifactStream(Readable.from([source.subarray(0, 1000), source.subarray(1000)]), expect);
    return 'accepted';
  } catch (error) {
    if (error instanceof ArtifactRefusal) return error.rule;
    throw error;
  }
}

describe('checkArtifactStream', () => {
  it('accepts the signed bytes and says what it established', async () => {
    const checked = await checkArtifactStream(new Blob([new Uint8Array(bytes)]).stream(), expectation({ size: bytes.length, sha256 }));
    expect(checked).toEqual({ keyId: expect.stringMatching(/^[0-9A-F]{16}$/), size: bytes.length, sha256 });
  });

  // `extra` is a function: the signatures exist only once beforeAll has run.
  const truncated = bytes.subarray(0, 200_000);
  const flipped = Buffer.from(bytes);
  flipped[10] = flipped[10]! ^ 1;
  it.each<[string, Uint8Array, () => Partial<ArtifactExpectation>, string]>([
    ['no public key', bytes, () => ({ publicKey: null }), 'no_public_key'],
    ['a signature made with another key', bytes, () => ({ signature: foreignSignature }), 'key_id_mismatch'],
    ['one byte changed', flipped, () => ({}), 'invalid_signature'],
    ['a truncated file, no size declared', truncated, () => ({}), 'invalid_signature'],
    ['a truncated file, its full size declared', truncated, () => ({ size: bytes.length }), 'size_mismatch'],
    ['more bytes than declared', bytes, () => ({ size: 100 }), 'size_mismatch'],
    ['another digest declared', bytes, () => ({ sha256: '0'.repeat(64) }), 'sha256_mismatch'],
    ['another release version', bytes, () => ({ version: '1.0.1' }), 'signed_version_mismatch'],
  ])('refuses %s with its rule', async (_name, source, extra, rule) => {
    expect(await ruleOf(source, expectation(extra()))).toBe(rule);
  });

  it('refuses a wrong key before reading a byte, and cancels the source', async () => {
    let pulled = 0;
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(bytes);
      },
      cancel() {
        cancelled = true;
      },
    });
    await expect(checkArtifactStream(source, expectation({ signature: foreignSignature }))).rejects.toMatchObject({ rule: 'key_id_mismatch' });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThanOrEqual(1); // a ReadableStream may pull once to fill its queue; nothing was read
  });

  it('names both sizes and both digests where they disagree', async () => {
    const check = startArtifactCheck(expectation({ size: bytes.length + 1, sha256 }));
    check.update(bytes);
    expect(() => check.finish()).toThrow(expect.objectContaining({ rule: 'size_mismatch', expected: String(bytes.length + 1), found: String(bytes.length) }));
  });

  it('passes a stream error through as it is', async () => {
    const broken = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new TypeError('connection reset'));
      },
    });
    await expect(checkArtifactStream(broken, expectation())).rejects.toThrow(TypeError);
  });
});

describe('the rule set', () => {
  it('holds every signature error code, so a signature refusal is always a named rule', () => {
    for (const code of SIGNATURE_ERROR_CODES) expect(INGEST_RULES).toContain(code);
  });
  it('writes a rule the one way every producer reports it', () => {
    expect(ruleText('size_mismatch')).toBe('refused by rule "size_mismatch"');
  });
});
