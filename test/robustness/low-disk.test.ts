/**
 * `npm start` on a disk with room for the database but too little for uploads: it starts (with a warning), and
 * `/readyz` reports the storage as low on disk space. Needs a mount, so it runs as root (CI containers, this
 * project's dev machine) and is skipped otherwise.
 */
import { expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../support/server.ts';

const asRoot = process.getuid?.() === 0 ? it : it.skip;

asRoot('starts on a disk too full for uploads, and /readyz says so', async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'tauri-release-low-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m', 'tmpfs', dataDir]);
  try {
    const server = await startServer({ env: { DATA_DIR: dataDir }, startTimeoutMs: 90_000 });
    try {
      expect(server.output()).toMatch(/warning: the disk under .*objects has [0-9]+ MB free, below the 256 MB uploads need/);
      const res = await fetch(`${server.url}/readyz`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { checks: { storage: unknown } }).checks.storage).toEqual({
        status: 'unavailable',
        latency_ms: expect.any(Number),
        error: 'low on disk space',
      });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  } finally {
    execFileSync('umount', [dataDir]);
    await rm(dataDir, { recursive: true, force: true });
  }
}, 120_000);
