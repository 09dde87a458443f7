import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3rver } from '../../../test/support/s3rver.ts';
import { FileSystemStorage } from './fs.ts';
import { S3Storage } from './s3.ts';
import type { Storage } from './storage.ts';

const MiB = 1024 * 1024;

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  const queue = [...chunks];
  return new ReadableStream({
    pull(controller) {
      const next = queue.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
}

/** `size` random bytes produced a MiB at a time; the digest is complete once the stream has been read. */
function randomStream(size: number): { stream: ReadableStream<Uint8Array>; sha256: () => string } {
  const hash = createHash('sha256');
  let produced = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (produced >= size) return controller.close();
      const chunk = randomBytes(Math.min(MiB, size - produced));
      produced += chunk.length;
      hash.update(chunk);
      controller.enqueue(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

async function readAll(body: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(body).arrayBuffer());
}

async function sha256Of(body: ReadableStream<Uint8Array>): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const reader = body.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    hash.update(read.value);
    size += read.value.length;
  }
  return { sha256: hash.digest('hex'), size };
}

interface DriverUnderTest {
  name: 'fs' | 's3';
  open(): Promise<{ storage: Storage; close(): Promise<void> }>;
}

const drivers: DriverUnderTest[] = [
  {
    name: 'fs',
    async open() {
      const dataDir = await mkdtemp(join(tmpdir(), 'tauri-release-storage-'));
      return { storage: new FileSystemStorage(dataDir), close: () => rm(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: 's3',
    async open() {
      const server = await startS3rver();
      return { storage: new S3Storage(server.config), close: server.close };
    },
  },
];

describe.each(drivers)('$name storage', ({ open }) => {
  let storage: Storage;
  let close: () => Promise<void>;
  beforeAll(async () => ({ storage, close } = await open()));
  afterAll(() => close());

  const text = (value: string) => new TextEncoder().encode(value);

  it('stores bytes and describes them', async () => {
    const info = await storage.put('demo/releases/1.0.0/bytes.txt', text('hello, bytes'));
    expect(info.size).toBe(12);
    expect(info.etag).toMatch(/^"[^"]+"$/);
    expect(Math.abs(Date.now() - info.lastModified.getTime())).toBeLessThan(60_000);
    expect(await storage.head('demo/releases/1.0.0/bytes.txt')).toMatchObject({ size: 12 });
  });

  it('stores a stream and gives it back whole', async () => {
    const key = 'demo/releases/1.0.0/My App_1.0.0_x64-setup.exe';
    const info = await storage.put(key, streamOf([text('first '), text('second '), text('third')]), {
      contentType: 'application/octet-stream',
    });
    expect(info.size).toBe(18);
    const object = await storage.get(key);
    expect(object?.info.size).toBe(18);
    expect((await readAll(object!.body)).toString()).toBe('first second third');
  });

  it('gives back an inclusive byte range, with the whole size in info', async () => {
    await storage.put('demo/releases/1.0.0/range.bin', text('0123456789'));
    const object = await storage.get('demo/releases/1.0.0/range.bin', { start: 2, end: 5 });
    expect((await readAll(object!.body)).toString()).toBe('2345');
    expect(object?.info.size).toBe(10);
  });

  it('replaces an object on a second put', async () => {
    const key = 'demo/releases/1.0.0/overwrite.txt';
    await storage.put(key, text('a much longer first version'));
    await storage.put(key, streamOf([text('short')]));
    expect(await storage.head(key)).toMatchObject({ size: 5 });
    expect((await readAll((await storage.get(key))!.body)).toString()).toBe('short');
  });

  it('deletes, and deleting what is gone is not an error', async () => {
    const key = 'demo/releases/1.0.0/delete-me.txt';
    await storage.put(key, text('bye'));
    await storage.delete(key);
    expect(await storage.head(key)).toBeNull();
    await expect(storage.delete(key)).resolves.toBeUndefined();
  });

  it('answers null for a key that does not exist', async () => {
    expect(await storage.head('demo/releases/9.9.9/missing.bin')).toBeNull();
    expect(await storage.get('demo/releases/9.9.9/missing.bin')).toBeNull();
    expect(await storage.get('demo/releases/9.9.9/missing.bin', { start: 0, end: 1 })).toBeNull();
  });

  it('round-trips a 20 MiB stream unchanged', async () => {
    const key = 'demo/releases/2.0.0/big.AppImage';
    const size = 20 * MiB + 123;
    const source = randomStream(size);
    const info = await storage.put(key, source.stream);
    expect(info.size).toBe(size);
    expect(await sha256Of((await storage.get(key))!.body)).toEqual({ sha256: source.sha256(), size });
  });

  it('keeps nothing of an upload whose body fails part-way', async () => {
    const key = 'demo/releases/3.0.0/broken.bin';
    let sent = 0;
    // Past the S3 driver's first 8 MiB part, so a multipart upload has begun and must be aborted.
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(randomBytes(MiB));
        else controller.error(new Error('client went away'));
      },
    });
    await expect(storage.put(key, failing)).rejects.toThrow('client went away');
    expect(await storage.head(key)).toBeNull();
  });

  it('can reach its backend', async () => {
    await expect(storage.check()).resolves.toBeUndefined();
  });
});
