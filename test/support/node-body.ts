/**
 * @module node-body
 * The body a request without one has when it reaches Hono through node:http (`npm start`, the Vercel function):
 * @hono/node-server gives every request other than GET and HEAD a body stream, empty when the client sent nothing
 * (`curl -X POST` with no data). `app.request(path, { method: 'POST' })` would give none, so the test helpers send
 * this instead and a route that reads "no stream" as "no body" fails in the tests as it fails in production.
 */
export function bodyAsNodeHttpGivesIt(method: string, body: string | undefined): BodyInit | undefined {
  if (body !== undefined || method === 'GET' || method === 'HEAD') return body;
  return new ReadableStream<Uint8Array>({ start: (controller) => controller.close() });
}

/** `RequestInit` for `app.request` with that body; a stream body needs `duplex: 'half'`. */
export function nodeHttpInit(method: string, headers: Record<string, string>, body: string | undefined): RequestInit {
  const sent = bodyAsNodeHttpGivesIt(method, body);
  return { method, headers, body: sent, ...(sent instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit;
}
