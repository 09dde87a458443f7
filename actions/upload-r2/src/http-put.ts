/**
 * @module http-put
 * One PUT of a byte range of a file to a (presigned) URL, read from disk through one reused 256 KiB buffer: each
 * chunk is written only after the previous one reached the socket, so memory neither grows with the file nor
 * leaves garbage for the collector to catch up with. Done with node:http(s) rather than fetch, because S3 and R2
 * need an exact Content-Length (they refuse chunked bodies) and fetch decides that header itself.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { open } from 'node:fs/promises';

export interface PutRange {
  path: string;
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
}

export interface PutResult {
  status: number;
  /** The ETag header (a multipart part's handle for `complete`), quotes kept. */
  etag: string | null;
  /** The body of an error answer (S3's XML), cut short. */
  body: string;
}

/** No answer, or the connection broke: worth another attempt. */
export class PutNetworkError extends Error {
  override name = 'PutNetworkError';
}

export interface PutOptions {
  headers?: Record<string, string>;
  /** Called with each chunk's size once it is written to the socket. */
  onBytes?: (bytes: number) => void;
  /** Give up when the socket is idle this long (default 120 s). */
  idleTimeoutMs?: number;
}

const CHUNK_BYTES = 256 * 1024;

/**
 * PUTs `range` of the file to `url`. Resolves with any HTTP answer (the caller judges the status); rejects with
 * `PutNetworkError` when none came.
 */
export function putFileRange(url: string, range: PutRange, options: PutOptions = {}): Promise<PutResult> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const idleMs = options.idleTimeoutMs ?? 120_000;
  return new Promise((resolvePut, reject) => {
    let settled = false;
    let answered = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new PutNetworkError(`PUT to ${target.host} failed: ${error.message}`, { cause: error }));
    };
    const req = request(target, { method: 'PUT', headers: { ...options.headers, 'content-length': String(range.end - range.start) } });
    req.setTimeout(idleMs, () => fail(new Error(`no progress for ${Math.round(idleMs / 1000)} s`)));
    req.on('error', fail);
    req.on('response', (res: IncomingMessage) => {
      answered = true;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 2_000) body += chunk;
      });
      res.on('error', fail);
      res.on('end', () => {
        if (settled) return;
        settled = true;
        const status = res.statusCode ?? 0;
        if (status >= 300) req.destroy(); // an early refusal: the rest of the body was not sent
        const etag = res.headers.etag;
        resolvePut({ status, etag: typeof etag === 'string' ? etag : null, body: body.slice(0, 2_000) });
      });
    });

    const write = (chunk: Buffer) => new Promise<void>((done, failed) => req.write(chunk, (error) => (error ? failed(error) : done())));
    void (async () => {
      const file = await open(range.path, 'r');
      try {
        const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, range.end - range.start));
        for (let position = range.start; position < range.end && !answered && !settled; ) {
          const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, range.end - position), position);
          if (bytesRead === 0) throw new Error(`${range.path} ended at byte ${position}, before ${range.end}: it changed during the upload`);
          await write(buffer.subarray(0, bytesRead)); // the buffer is reused only once the socket has taken it
          position += bytesRead;
          options.onBytes?.(bytesRead);
        }
        if (!settled) req.end();
      } finally {
        await file.close();
      }
    })().catch((error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
  });
}
