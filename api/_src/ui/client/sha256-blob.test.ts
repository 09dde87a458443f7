import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { sha256OfBlob } from './sha256-blob.ts';

const nodeSha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('sha256OfBlob', () => {
  const bytes = randomBytes(100_003);

  it.each([1, 7, 4096, 100_000, 100_003, 1 << 20])('matches node:crypto with %i-byte chunks', async (chunkBytes) => {
    expect(await sha256OfBlob(new Blob([bytes]), { chunkBytes })).toBe(nodeSha256(bytes));
  });

  it('hashes an empty file', async () => {
    expect(await sha256OfBlob(new Blob([]))).toBe(nodeSha256(new Uint8Array()));
  });

  it('reports progress after each chunk, ending at the size', async () => {
    const seen: number[] = [];
    await sha256OfBlob(new Blob([bytes]), { chunkBytes: 40_000, onProgress: (hashed, total) => seen.push(hashed, total) });
    expect(seen).toEqual([40_000, 100_003, 80_000, 100_003, 100_003, 100_003]);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const hashing = sha256OfBlob(new Blob([bytes]), { chunkBytes: 10_000, signal: controller.signal, onProgress: (hashed) => hashed >= 20_000 && controller.abort() });
    await expect(hashing).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refuses a chunk size that would never finish', async () => {
    await expect(sha256OfBlob(new Blob([bytes]), { chunkBytes: 0 })).rejects.toThrow(RangeError);
  });
});
