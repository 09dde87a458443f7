/**
 * @module robustness/generate
 * Bad requests generated from `/openapi.json`: every documented method and path, with mutated path parameters,
 * malformed and mistyped bodies, wrong content types, oversized bodies, duplicated multipart fields and huge
 * headers. A seeded PRNG makes each run repeatable: a failure prints its seed and request.
 */

/** The parts of the OpenAPI document the generator reads. */
export interface OpenApiLike {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
}

export interface BadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array | string;
  /** What was mutated, for the failure message. */
  kind: string;
}

/** mulberry32: small, fast, and the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PARAM_MUTATIONS = [
  '', '.', '..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2f', '..%5C..%5Cwindows', '%00', 'a%00b', '%ff%fe', '%',
  '%zz', 'x'.repeat(5000), '-1', '0', '99999999999999999999999', '1e309', 'NaN', 'null', 'undefined', 'true', '[]', '{}',
  "'; drop table apps; --", '" or 1=1 --', '%27%20or%20%271%27%3D%271', '<script>alert(1)</script>', '%F0%9F%92%A9',
  '%E2%80%AE', 'ÄÖÜ', 'v1.2.3', '1.2.3-', '1.2.3+', '01.2.3', '1.2.3.4', 'bench-app', 'BENCH-APP', 'a'.repeat(64),
  '00000000-0000-0000-0000-000000000000', 'not-a-uuid', '%2F', '~', '$HOME', '${7*7}', '%0d%0aSet-Cookie:%20x=1',
];

const JSON_BODIES = [
  '', '{', '}', '[', 'null', 'true', '0', '-1', '"text"', '[]', '[{}]', '{"a":', '{"a":1,}', "{'a':1}", '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"x":1}}}', '{"slug":null}', '{"slug":1}', '{"slug":{"$gt":""}}', '{"version":[]}', '{"version":"1.2.3","notes":{}}',
  '{"rollout_percent":-1}', '{"rollout_percent":1e309}', '{"rollout_percent":"50"}', '{"channels":"stable"}', '{"key":""}',
  '{"url":"javascript:alert(1)"}', '{"public_key":"x"}', '\u0000', '\ufeff{}', '{"a":"\ud800"}', '{"a":1}'.repeat(1000),
  `{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`, JSON.stringify({ slug: 'x'.repeat(10_000), name: 'y'.repeat(100_000) }),
];

const CONTENT_TYPES = [
  'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=',
  'application/json; charset=utf-16', 'application/octet-stream', 'application/xml', '', 'json', '*/*',
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** A multipart body with each field given twice (and a file part with a hostile name). */
function duplicatedMultipart(random: () => number): { contentType: string; body: string } {
  const boundary = `----robust${Math.floor(random() * 1e9)}`;
  const part = (name: string, value: string, filename?: string) =>
    `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${filename === undefined ? '' : `; filename="${filename}"`}\r\n\r\n${value}\r\n`;
  const body =
    part('platform', 'linux-x86_64') + part('platform', 'windows-x86_64') + part('bundle', 'appimage') + part('bundle', 'nsis') +
    part('signature', 'x') + part('signature', 'y') + part('file', 'abc', '../../escape.AppImage') + part('file', 'def', 'two.AppImage') +
    `--${boundary}--\r\n`;
  return { contentType: `multipart/form-data; boundary=${boundary}`, body };
}

/** Fills `{name}` segments: usually with a mutation, sometimes with a value that exists, so deeper checks run too. */
function fillPath(random: () => number, template: string, known: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => (random() < 0.25 && known[name] ? known[name]! : pick(random, PARAM_MUTATIONS)));
}

export interface GenerateOptions {
  count: number;
  seed: number;
  /** Real values for path parameters (an app slug, a version), used now and then. */
  known: Record<string, string>;
  /** Authorization headers to use now and then (a valid admin key among them). */
  authorizations: string[];
  /** How many of the requests carry a 20 MB body, and how many 40 KB of headers. */
  bigBodies: number;
  hugeHeaders: number;
}

export const TWENTY_MB = 20 * 1024 * 1024;

export function* badRequests(doc: OpenApiLike, options: GenerateOptions): Generator<BadRequest> {
  const random = prng(options.seed);
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), hasBody: op.requestBody !== undefined })),
  );
  const bigEvery = Math.floor(options.count / Math.max(options.bigBodies, 1));
  const hugeEvery = Math.floor(options.count / Math.max(options.hugeHeaders, 1));
  for (let i = 0; i < options.count; i++) {
    // Round-robin over operations, so every route gets its share whatever the count.
    const op = operations[i % operations.length]!;
    const headers: Record<string, string> = {};
    if (random() < 0.85) headers.authorization = pick(random, options.authorizations);
    const path = fillPath(random, op.path, options.known) + (random() < 0.2 ? `?${pick(random, ['a=1&a=2', 'channel=%00', 'bundle_type=../x', 'install_id=' + 'z'.repeat(300), 'x=%', '&&&', 'from=notadate&to=-1'])}` : '');
    let body: Uint8Array | string | undefined;
    let kind = 'path';
    const method = random() < 0.1 ? pick(random, ['PUT', 'PATCH', 'DELETE', 'POST', 'GET', 'OPTIONS']) : op.method;
    if (options.bigBodies > 0 && i % bigEvery === bigEvery - 1) {
      kind = '20 MB body';
      body = new Uint8Array(TWENTY_MB).fill(0x7b);
      headers['content-type'] = pick(random, ['application/json', 'application/octet-stream', 'multipart/form-data; boundary=x']);
    } else if (method !== 'GET' && method !== 'HEAD' && (op.hasBody || random() < 0.3)) {
      const choice = random();
      if (choice < 0.15) {
        const multipart = duplicatedMultipart(random);
        kind = 'duplicated multipart fields';
        body = multipart.body;
        headers['content-type'] = multipart.contentType;
      } else {
        kind = 'malformed body';
        body = pick(random, JSON_BODIES);
        const type = pick(random, CONTENT_TYPES);
        if (type) headers['content-type'] = type;
      }
    }
    if (options.hugeHeaders > 0 && i % hugeEvery === hugeEvery - 2) {
      kind += ' + huge headers';
      headers['x-filler'] = 'h'.repeat(40_000);
    } else if (random() < 0.05) {
      headers['x-install-id'] = pick(random, ['', 'short', 'x'.repeat(1000), '../../etc']);
      headers['if-none-match'] = pick(random, ['*', '"', 'W/', ','.repeat(500)]);
    }
    yield { method, path, headers, body, kind };
  }
}
