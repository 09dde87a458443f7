import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
import { type RunningS3rver, startS3rver } from '../../../test/support/s3rver.ts';
import { S3Storage } from './s3.ts';
import { StorageUnavailableError } from './storage.ts';

const text = (value: string) => new TextEncoder().encode(value);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('S3 storage on s3rver', () => {
  let server: RunningS3rver;
  let storage: S3Storage;
  beforeAll(async () => {
    server = await startS3rver({ publicBaseUrl: 'https://downloads.example.com' });
    storage = new S3Storage(server.config);
  });
  afterAll(() => server.close());

  it('presigns PUT URLs without SDK checksum parameters (an empty-body CRC32 would fail real uploads)', async () => {
    for (const options of [{}, { contentType: 'application/octet-stream' }]) {
      const url = new URL(await storage.presignPut('demo/releases/1.0.0/a.exe', 300, options));
      const names = [...url.searchParams.keys()].map((name) => name.toLowerCase());
      expect(names).toContain('x-amz-signature');
      expect(names.filter((name) => name.startsWith('x-amz-checksum') || name === 'x-amz-sdk-checksum-algorithm')).toEqual([]);
    }
  });

  it('accepts an upload through a presigned PUT URL', async () => {
    const key = 'demo/releases/1.0.0/My App_1.0.0_x64-setup.exe';
    const url = await storage.presignPut(key, 300, { contentType: 'application/octet-stream' });
    const res = await fetch(url, { method: 'PUT', body: 'installer bytes', headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(200);
    expect(await storage.head(key)).toMatchObject({ size: 15 });
    expect(await new Response((await storage.get(key))!.body).text()).toBe('installer bytes');
  });

  it('refuses a presigned PUT with another content type than the one signed', async () => {
    const url = await storage.presignPut('demo/releases/1.0.0/typed.exe', 300, { contentType: 'application/octet-stream' });
    const res = await fetch(url, { method: 'PUT', body: 'x', headers: { 'content-type': 'text/html' } });
    expect(res.status).toBe(403);
    expect(await storage.head('demo/releases/1.0.0/typed.exe')).toBeNull();
  });

  it('refuses a tampered presigned URL', async () => {
    const url = new URL(await storage.presignPut('demo/releases/1.0.0/allowed.exe', 300));
    const otherKey = new URL(url);
    otherKey.pathname = otherKey.pathname.replace('allowed.exe', 'other.exe');
    const longer = new URL(url);
    longer.searchParams.set('X-Amz-Expires', '604800');
    for (const tampered of [otherKey, longer]) {
      expect((await fetch(tampered, { method: 'PUT', body: 'x' })).status).toBe(403);
    }
    expect(await storage.head('demo/releases/1.0.0/other.exe')).toBeNull();
  });

  it('refuses an expired presigned URL', async () => {
    const url = await storage.presignPut('demo/releases/1.0.0/late.exe', 1);
    await sleep(2_500);
    expect((await fetch(url, { method: 'PUT', body: 'x' })).status).toBe(403);
  });

  it('downloads through a presigned GET URL, and only for the key it was signed for', async () => {
    await storage.put('demo/releases/1.0.0/app.tar.gz', text('archive'));
    const url = await storage.presignGet('demo/releases/1.0.0/app.tar.gz', 300);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('archive');
    expect((await fetch(url.replace('app.tar.gz', 'bytes.txt'))).status).toBe(403);
  });

  it('builds public URLs with every path segment encoded', () => {
    expect(storage.publicUrl('demo/releases/1.0.0+build.1/My App_1.0.0_x64-setup.exe')).toBe(
      'https://downloads.example.com/demo/releases/1.0.0%2Bbuild.1/My%20App_1.0.0_x64-setup.exe',
    );
    expect(new S3Storage({ ...server.config, publicBaseUrl: undefined }).publicUrl('demo/a.exe')).toBeNull();
  });

  it('says which setting is wrong when the bucket is missing or the credentials are refused', async () => {
    await expect(new S3Storage({ ...server.config, bucket: 'no-such-bucket' }).check()).rejects.toThrow(
      /bucket no-such-bucket does not exist.*S3_BUCKET/,
    );
    const wrongSecret = new S3Storage({ ...server.config, secretAccessKey: 'not-the-secret' });
    await expect(wrongSecret.check()).rejects.toThrow(/refused the credentials.*S3_SECRET_ACCESS_KEY/);
    // Refused credentials are a configuration error, not an outage to retry or answer 503 for.
    const refused = await wrongSecret.head('demo/releases/1.0.0/app.tar.gz').catch((error: unknown) => error);
    expect(refused).toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect(refused).not.toBeInstanceOf(StorageUnavailableError);
  });
});

describe('S3 storage when the server has trouble', () => {
  let upstream: RunningS3rver;
  let flaky: Server;
  let flakyEndpoint: string;
  /** How many of the next requests the flaky front answers with 503 before passing requests on. */
  let failNext = 0;
  let requests = 0;

  beforeAll(async () => {
    upstream = await startS3rver();
    const target = new URL(upstream.endpoint);
    flaky = createServer((req, res) => {
      requests++;
      if (failNext > 0) {
        failNext--;
        req.resume();
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0"?><Error><Code>ServiceUnavailable</Code><Message>try later</Message></Error>');
        return;
      }
      const forward = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      });
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    flakyEndpoint = `http://127.0.0.1:${(flaky.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    flaky.closeAllConnections();
    await new Promise((resolve) => flaky.close(resolve));
    await upstream.close();
  });

  it('retries a read through a brief outage', async () => {
    const storage = new S3Storage({ ...upstream.config, endpoint: flakyEndpoint });
    await storage.put('demo/releases/1.0.0/a.txt', text('still here'));
    failNext = 2;
    requests = 0;
    expect(await storage.head('demo/releases/1.0.0/a.txt')).toMatchObject({ size: 10 });
    expect(requests).toBe(3);
  });

  it('does not retry a write, and reports the outage as StorageUnavailableError', async () => {
    const storage = new S3Storage({ ...upstream.config, endpoint: flakyEndpoint });
    failNext = 1;
    requests = 0;
    await expect(storage.put('demo/releases/1.0.0/b.txt', text('once'))).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(requests).toBe(1);
    expect(await storage.head('demo/releases/1.0.0/b.txt')).toBeNull();
  });

  it('gives up on a lasting outage with StorageUnavailableError', async () => {
    const storage = new S3Storage({ ...upstream.config, endpoint: flakyEndpoint });
    failNext = 100;
    await expect(storage.head('demo/releases/1.0.0/a.txt')).rejects.toThrow(/unavailable.*HTTP 503/);
    failNext = 0;
  });

  it('fails fast with StorageUnavailableError, not a hang, once the server is gone', async () => {
    const gone = await startS3rver();
    const storage = new S3Storage(gone.config);
    await storage.put('demo/releases/1.0.0/a.txt', text('soon gone'));
    await gone.close();
    const started = performance.now();
    await expect(storage.head('demo/releases/1.0.0/a.txt')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.get('demo/releases/1.0.0/a.txt')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.check()).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(storage.put('demo/releases/1.0.0/b.txt', text('x'))).rejects.toBeInstanceOf(StorageUnavailableError);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
