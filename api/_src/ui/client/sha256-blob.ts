/**
 * @module ui/client/sha256-blob
 * SHA-256 of a file in the browser without holding it in memory: `Blob.slice().arrayBuffer()` one chunk at a time
 * into an incremental hash. WebCrypto's `digest` only takes the whole buffer, which for a 500 MB installer is 500 MB
 * of page memory. The CI upload API needs the hash before it hands out upload URLs.
 */
import { sha256 } from '@noble/hashes/sha2.js';

export const HASH_CHUNK_BYTES = 8 * 1024 * 1024;

export interface HashOptions {
  chunkBytes?: number;
  /** Bytes hashed so far, after each chunk. */
  onProgress?(hashed: number, total: number): void;
  signal?: AbortSignal;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

export async function sha256OfBlob(blob: Blob, options: HashOptions = {}): Promise<string> {
  const chunkBytes = options.chunkBytes ?? HASH_CHUNK_BYTES;
  if (!(chunkBytes > 0)) throw new RangeError('chunkBytes must be positive');
  const hash = sha256.create();
  for (let offset = 0; offset < blob.size; offset += chunkBytes) {
    options.signal?.throwIfAborted();
    const chunk = await blob.slice(offset, Math.min(offset + chunkBytes, blob.size)).arrayBuffer();
    hash.update(new Uint8Array(chunk));
    options.onProgress?.(Math.min(offset + chunkBytes, blob.size), blob.size);
  }
  options.signal?.throwIfAborted();
  return hex(hash.digest());
}
