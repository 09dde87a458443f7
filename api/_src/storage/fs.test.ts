import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSystemStorage } from './fs.ts';
import { type Storage, StorageLowOnSpaceError, StorageUnavailableError } from './storage.ts';

describe('filesystem storage', () => {
  let dataDir: string;
  let storage: Storage;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tauri-release-fs-'));
    storage = new FileSystemStorage(dataDir);
    await writeFile(join(dataDir, 'secret.txt'), 'outside the objects folder');
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it.each(['../secret.txt', '../../etc/passwd', '/etc/passwd', 'demo/../../secret.txt', '', '.'])(
    'refuses the key %j, which is not inside its folder',
    async (key) => {
      const refusal = /escapes the storage folder/;
      await expect(storage.put(key, new Uint8Array([1]))).rejects.toThrow(refusal);
      await expect(storage.head(key)).rejects.toThrow(refusal);
      await expect(storage.get(key)).rejects.toThrow(refusal);
      await expect(storage.delete(key)).rejects.toThrow(refusal);
    },
  );

  it('reports a full disk as the storage being unavailable (a 503), not as a failure of the request', async () => {
    // What the write stream fails with on a full filesystem (checked by hand on a 2 MB tmpfs: the upload was a 500).
    const diskFull = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    const filling = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(64 * 1024));
      },
      pull(controller) {
        controller.error(diskFull);
      },
    });
    const failure = await storage.put('demo/releases/0.8.0/full.exe', filling).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageUnavailableError);
    expect((failure as Error).message).toMatch(/refused the write \(ENOSPC: it is full\)/);
    expect(await readdir(join(dataDir, 'objects', 'demo', 'releases', '0.8.0'))).toEqual([]);
  });

  it('check() fails while the disk has less free space than uploads need', async () => {
    await expect(new FileSystemStorage(dataDir, { minFreeBytes: 1 }).check()).resolves.toBeUndefined();
    const failure = await new FileSystemStorage(dataDir, { minFreeBytes: Number.MAX_SAFE_INTEGER }).check().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageLowOnSpaceError);
    expect((failure as Error).message).toMatch(/^the disk under .*objects has [0-9]+ MB free, below the [0-9]+ MB uploads need$/);
  });

  it('leaves no temporary file behind when an upload fails', async () => {
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(64 * 1024));
      },
      pull(controller) {
        controller.error(new Error('client went away'));
      },
    });
    await expect(storage.put('demo/releases/0.9.0/broken.exe', failing)).rejects.toThrow('client went away');
    expect(await readdir(join(dataDir, 'objects', 'demo', 'releases', '0.9.0'))).toEqual([]);
  });

  it('keeps the previous object when a replacement upload fails', async () => {
    const key = 'demo/releases/1.0.0/kept.exe';
    await storage.put(key, new TextEncoder().encode('original'));
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('client went away'));
      },
    });
    await expect(storage.put(key, failing)).rejects.toThrow('client went away');
    expect(await new Response((await storage.get(key))!.body).text()).toBe('original');
  });

  it('deletes an upload\'s own folder with its file, and no folder another file shares', async () => {
    const objects = join(dataDir, 'objects', 'demo', 'releases', '9.9.9');
    await storage.put('demo/releases/9.9.9/uploads/one/a.exe', new Uint8Array([1]));
    await storage.put('demo/releases/9.9.9/uploads/two/a.exe', new Uint8Array([2]));
    await storage.put('demo/releases/9.9.9/b.exe', new Uint8Array([3]));
    await storage.delete('demo/releases/9.9.9/uploads/one/a.exe');
    expect((await readdir(join(objects, 'uploads'))).sort()).toEqual(['two']);
    await storage.delete('demo/releases/9.9.9/b.exe');
    await storage.delete('demo/releases/9.9.9/uploads/two/a.exe');
    expect(await readdir(objects)).toEqual(['uploads']);
    expect(await readdir(join(objects, 'uploads'))).toEqual([]);
  });

  it('removes a failed upload\'s own folder, but not while another write to the same upload key is in it', async () => {
    const uploads = join(dataDir, 'objects', 'demo', 'releases', '7.7.7', 'uploads');
    const failing = () =>
      new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.error(new Error('refused'));
        },
      });
    await expect(storage.put('demo/releases/7.7.7/uploads/refused/a.exe', failing())).rejects.toThrow('refused');
    expect(await readdir(uploads)).toEqual([]);

    // The first write is pulled from only once its temporary file exists in the folder.
    let writing!: () => void;
    const inFolder = new Promise<void>((resolve) => (writing = resolve));
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const kept = storage.put('demo/releases/7.7.7/uploads/shared/a.exe', new ReadableStream<Uint8Array>({
      async pull(controller) {
        writing();
        await gate;
        controller.enqueue(new TextEncoder().encode('kept'));
        controller.close();
      },
    }, { highWaterMark: 0 }));
    await inFolder;
    await expect(storage.put('demo/releases/7.7.7/uploads/shared/a.exe', failing())).rejects.toThrow('refused');
    finish();
    await kept;
    expect(await new Response((await storage.get('demo/releases/7.7.7/uploads/shared/a.exe'))!.body).text()).toBe('kept');
    await storage.delete('demo/releases/7.7.7/uploads/shared/a.exe');
    expect(await readdir(uploads)).toEqual([]);
  });

  it('completes a write whose upload folder a delete of the same key removed before its file was created', async () => {
    // The window between creating the folder and the file is short: many rounds, so that some land in it.
    const failed: string[] = [];
    for (let round = 0; round < 300; round++) {
      const key = `demo/releases/6.6.6/uploads/race-${round}/a.exe`;
      const [written] = await Promise.allSettled([storage.put(key, new Uint8Array([1])), storage.delete(key)]);
      if (written.status === 'rejected') failed.push((written.reason as Error).message);
    }
    expect(failed).toEqual([]);
  });

  it('removes the temporary files of a process that died mid-write, with their upload\'s own folder', async () => {
    const dead = 99_999_999; // above Linux's largest pid (4194304), so never a live process
    const release = join(dataDir, 'objects', 'demo', 'releases', '5.5.5');
    await mkdir(join(release, 'uploads', 'killed'), { recursive: true });
    await writeFile(join(release, 'uploads', 'killed', `.upload-${dead}-${randomUUID()}`), 'half');
    await writeFile(join(release, `.upload-${dead}-${randomUUID()}`), 'half');
    await storage.put('demo/releases/5.5.5/uploads/live/a.exe', new Uint8Array([1]));
    expect(await (storage as FileSystemStorage).removeStaleUploads()).toBe(2);
    expect(await readdir(release)).toEqual(['uploads']);
    expect(await readdir(join(release, 'uploads'))).toEqual(['live']);
  });

  it('offers no direct URLs: downloads go through the server', async () => {
    expect(storage.publicUrl('demo/releases/1.0.0/a.exe')).toBeNull();
    expect(await storage.presignGet('demo/releases/1.0.0/a.exe', 60)).toBeNull();
    expect(await storage.presignPut('demo/releases/1.0.0/a.exe', 60)).toBeNull();
  });
});
