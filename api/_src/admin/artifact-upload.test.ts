/**
 * receiveUpload's handling of a body that fails: it leaves the rest in `uploadBody`, which the route's middleware
 * drains within DISCARD_LIMITS (artifacts.test.ts has the refusal over a live connection); a client that went away
 * leaves nothing to read. A cleanup that fails after a refusal does not replace it.
 */
import { describe, expect, it, jest } from '@jest/globals';
import type { Storage } from '../storage/storage.ts';
import { DISCARD_LIMITS, discardRest, uploadBody } from '../http/refused-upload.ts';
import { receiveUpload } from './artifact-upload.ts';

const BOUNDARY = 'b';
const HEADERS = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
const HEAD = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="platform"\r\n\r\nlinux-x86_64\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="demo.AppImage"\r\n\r\nsome bytes`;

describe('receiveUpload', () => {
  it('answers at once when the client went away mid-body, not after waiting out the discard limit', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(HEAD));
        setTimeout(() => controller.error(new Error('the client went away')), 20);
      },
    });
    const request = new Request('http://localhost/upload', {
      method: 'POST',
      body,
      duplex: 'half',
      headers: HEADERS,
    } as RequestInit);
    const storage = { put: async (_key: string, stream: ReadableStream<Uint8Array>) => void (await new Response(stream).arrayBuffer()) } as unknown as Storage;
    const started = performance.now();
    const refusal = await receiveUpload(request, {
      storage,
      discard: async () => {},
      plan: () => ({ key: 'k', plan: null, check: { update: () => {}, finish: () => ({ size: 0, sha256: '', keyId: null }) } as never }),
    }).then(() => null, (error: unknown) => error);
    expect(refusal).toMatchObject({ status: 400, message: expect.stringContaining('the upload was interrupted') });
    expect(await discardRest(uploadBody(request)!)).toBe(false);
    expect(performance.now() - started).toBeLessThan(DISCARD_LIMITS.maxMs / 2);
  });

  it('answers the refusal when discarding the stored file after it fails, and logs the failed discard', async () => {
    // The file is stored whole; a part after it, a moment later, refuses the upload.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(`${HEAD}\r\n--${BOUNDARY}\r\n`));
        setTimeout(() => {
          controller.enqueue(new TextEncoder().encode(`Content-Disposition: form-data; name="platform"\r\n\r\nlinux-x86_64\r\n--${BOUNDARY}--\r\n`));
          controller.close();
        }, 100);
      },
    });
    const request = new Request('http://localhost/upload', { method: 'POST', body, duplex: 'half', headers: HEADERS } as RequestInit);
    let stored = false;
    const storage = { put: async (_key: string, stream: ReadableStream<Uint8Array>) => void (await new Response(stream).arrayBuffer(), (stored = true)) } as unknown as Storage;
    const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const refusal = await receiveUpload(request, {
        storage,
        discard: async () => {
          throw new Error('the database went away');
        },
        plan: () => ({ key: 'k', plan: null, check: { update: () => {}, finish: () => ({ size: 0, sha256: '', keyId: null }) } as never }),
      }).then(() => null, (error: unknown) => error);
      expect(stored).toBe(true);
      expect(refusal).toMatchObject({ status: 400, message: expect.stringContaining('came after the file part') });
      expect(logged.mock.calls.map((args) => String(args[0]))).toEqual([expect.stringMatching(/^discarding the stored upload k failed .*the database went away/)]);
    } finally {
      logged.mockRestore();
    }
  });

  it('refuses a file over maxFileBytes with 413 even when the first chunk holding it is over the limit already', async () => {
    const whole = `${HEAD}${'y'.repeat(100)}\r\n--${BOUNDARY}--\r\n`;
    let stored = 0;
    const storage = { put: async (_key: string, stream: ReadableStream<Uint8Array>) => void (stored += (await new Response(stream).arrayBuffer()).byteLength) } as unknown as Storage;
    const refusal = await receiveUpload(new Request('http://localhost/upload', { method: 'POST', body: whole, headers: HEADERS }), {
      storage,
      maxFileBytes: 50,
      discard: async () => {},
      plan: () => ({ key: 'k', plan: null, check: { update: () => {}, finish: () => ({ size: stored, sha256: '', keyId: null }) } as never }),
    }).then(() => null, (error: unknown) => error);
    expect(refusal).toMatchObject({ status: 413, code: 'payload_too_large' });
  });
});
