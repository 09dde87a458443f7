/**
 * PUTs of whole files and of multipart ranges against a local HTTP server that records what it receives and fails
 * on request: retries, refusals, bounded concurrency, progress lines.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../../shared/src/testing.ts';
import { forEachLimited, Progress, sendToTarget, type TransferSettings } from './transfer.ts';

type Fault = 'ok' | '503' | '403' | 'hangup-mid-body' | 'no-etag';

let dir: string;
let file: string;
let bytes: Buffer;
const SIZE = 300_000;
let base: string;
let server: ReturnType<typeof createServer>;
/** What to do with the next request to each path (a queue per path; empty: ok). */
const faults = new Map<string, Fault[]>();
const received = new Map<string, Buffer>();
let inFlight = 0;
let maxInFlight = 0;
const log: string[] = [];

function handle(req: IncomingMessage, res: ServerResponse) {
  const path = new URL(req.url!, base).pathname;
  const fault = faults.get(path)?.shift() ?? 'ok';
  log.push(`${req.method} ${path} ${req.headers['content-length']} ${fault}`);
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  const chunks: Buffer[] = [];
  let got = 0;
  req.on('data', (chunk: Buffer) => {
    got += chunk.length;
    chunks.push(chunk);
    if (fault === 'hangup-mid-body' && got > 10_000) req.socket.destroy();
  });
  res.on('close', () => void inFlight--);
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    // A little latency, so parts overlap and the concurrency bound shows.
    setTimeout(() => {
      if (fault === '503') return void res.writeHead(503, { connection: 'close' }).end('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      if (fault === '403') return void res.writeHead(403, { connection: 'close' }).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      received.set(path, body);
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      res.writeHead(200, fault === 'no-etag' ? {} : { etag });
      res.end();
    }, 20);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upload-r2-transfer-'));
  file = join(dir, 'app.AppImage');
  bytes = randomBytes(SIZE);
  await writeFile(file, bytes);
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const settings = (over: Partial<TransferSettings> = {}): TransferSettings & { logger: ReturnType<typeof memoryLogger>; slept: number[] } => {
  const slept: number[] = [];
  return { logger: memoryLogger(), sleep: async (ms: number) => void slept.push(ms), slept, ...over } as never;
};

const multipart = (prefix: string, partSize: number) => {
  const count = Math.ceil(SIZE / partSize);
  return { method: 'MULTIPART' as const, part_size: partSize, parts: Array.from({ length: count }, (_, i) => ({ part_number: i + 1, url: `${base}/${prefix}/part/${i + 1}?X-Amz-Signature=abc` })) };
};

describe('sendToTarget', () => {
  it('one PUT with the exact Content-Length and the signed headers; the bytes arrive whole', async () => {
    const s = settings();
    const result = await sendToTarget('app.AppImage', file, SIZE, { method: 'PUT', url: `${base}/single?sig=1`, headers: { 'content-type': 'application/octet-stream' } }, s);
    expect(result.method).toBe('PUT');
    expect(received.get('/single')!.equals(bytes)).toBe(true);
    expect(log).toContain(`PUT /single ${SIZE} ok`);
    expect(s.logger.text()).toMatch(/app\.AppImage: uploaded 293\.0 KiB in \d+\.\d s/);
  });

  it('multipart: each range once, at most `concurrency` at a time, ETags in part order', async () => {
    maxInFlight = 0;
    const target = multipart('mp', 40_000); // 8 parts, the last 20,000 bytes
    const result = await sendToTarget('app.AppImage', file, SIZE, target, settings({ concurrency: 3 }));
    expect(result.parts!.map((p) => p.part_number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const part of result.parts!) {
      const start = (part.part_number - 1) * 40_000;
      const expected = bytes.subarray(start, start + 40_000);
      expect(received.get(`/mp/part/${part.part_number}`)!.equals(expected)).toBe(true);
      expect(part.etag).toBe(`"${createHash('md5').update(expected).digest('hex')}"`);
    }
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
  });

  it('retries a 503 and a connection cut mid-body with backoff; progress takes back the lost bytes', async () => {
    faults.set('/flaky/part/2', ['503', 'hangup-mid-body']);
    const s = settings({ concurrency: 1 });
    const result = await sendToTarget('app.AppImage', file, SIZE, multipart('flaky', 100_000), s);
    expect(result.parts).toHaveLength(3);
    expect(received.get('/flaky/part/2')!.equals(bytes.subarray(100_000, 200_000))).toBe(true);
    expect(s.slept).toEqual([1_000, 2_000]);
    expect(s.logger.text()).toContain('app.AppImage part 2 of 3 was refused with HTTP 503 (SlowDown: Please reduce your request rate.). The storage kept failing; re-run the job.; attempt 2 of 5 in 1.0 s');
    expect(s.logger.text()).toMatch(/PUT to 127\.0\.0\.1:\d+ failed: .*; attempt 3 of 5 in 2\.0 s/);
    expect(s.logger.text()).toContain('uploaded 293.0 KiB');
  });

  it('a 403 (expired URL) is not retried and says to re-run for fresh URLs', async () => {
    faults.set('/expired', ['403']);
    const s = settings();
    await expect(sendToTarget('x.deb', file, SIZE, { method: 'PUT', url: `${base}/expired`, headers: {} }, s)).rejects.toThrow(
      'x.deb was refused with HTTP 403 (AccessDenied: Request has expired). The upload URL expired (they last an hour) or was altered; re-run the job for fresh URLs.',
    );
    expect(s.slept).toEqual([]);
  });

  it('gives up after the attempts, and stops starting parts after one fails', async () => {
    faults.set('/down/part/1', Array(5).fill('503'));
    const before = log.length;
    await expect(sendToTarget('x', file, SIZE, multipart('down', 100_000), settings({ concurrency: 1 }))).rejects.toThrow('x part 1 of 3 was refused with HTTP 503');
    expect(log.slice(before).filter((line) => line.includes('/down/'))).toEqual(Array(5).fill(`PUT /down/part/1 100000 503`));
  });

  it('a part answered without ETag, and a part plan that does not fit the file, are errors', async () => {
    faults.set('/noetag/part/1', ['no-etag']);
    await expect(sendToTarget('x', file, SIZE, multipart('noetag', 200_000), settings())).rejects.toThrow('answered without an ETag');
    const short = { ...multipart('bad', 100_000), parts: multipart('bad', 100_000).parts.slice(0, 2) };
    await expect(sendToTarget('x', file, SIZE, short, settings())).rejects.toThrow('the server planned 2 parts of 100000 bytes for a file of 300000 bytes');
  });
});

describe('Progress', () => {
  it('logs at most every interval and a final line with the rate', () => {
    let now = 0;
    const logger = memoryLogger();
    const progress = new Progress('big.msi', 100 * 1024 * 1024, { logger, now: () => now, progressIntervalMs: 10_000 });
    for (let second = 1; second <= 25; second++) {
      now = second * 1000;
      progress.add(4 * 1024 * 1024);
    }
    now = 26_000;
    progress.finish();
    expect(logger.entries.map((e) => e.message)).toEqual([
      'big.msi: 40.0 MiB of 100.0 MiB (40%), 4.0 MiB/s',
      'big.msi: 80.0 MiB of 100.0 MiB (80%), 4.0 MiB/s',
      'big.msi: uploaded 100.0 MiB in 26.0 s (3.8 MiB/s)',
    ]);
  });
});

describe('forEachLimited', () => {
  it('runs everything with the bound, and rethrows the first failure after the running ones settle', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachLimited([1, 2, 3, 4, 5, 6], 2, async (i) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      done.push(i);
    });
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(peak).toBe(2);
    const started: number[] = [];
    await expect(
      forEachLimited([1, 2, 3, 4], 2, async (i) => {
        started.push(i);
        if (i === 1) throw new Error('boom');
        await new Promise((r) => setTimeout(r, 5));
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([1, 2]);
  });
});
