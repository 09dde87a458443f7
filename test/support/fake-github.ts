/**
 * @module fake-github
 * A local GitHub REST API on 127.0.0.1 with the semantics the release sync depends on, for tests and the bench:
 * - `GET /repos/{owner}/{repo}/releases`: pages of `per_page` with a `Link` header (`rel="next"`, `rel="last"`), the 1000
 *   newest only (422 past them, as GitHub),
 *   a strong ETag over the list, and 304 on a matching `If-None-Match` (which, as on GitHub, costs no rate limit);
 * - `x-ratelimit-*` headers, and 403 with `x-ratelimit-remaining: 0` once the limit is used up;
 * - private repositories: 404 without a token, 401 with a wrong one (GitHub's answers); their assets only through
 *   `GET /repos/{owner}/{repo}/releases/assets/{id}` with `Accept: application/octet-stream` and the token, which
 *   redirects (302) to a short-lived signed URL that needs no token, as GitHub's does;
 * - public assets at their `browser_download_url`;
 * - a renamed repository answers 301; failures (500, hangs) can be switched on;
 * - the release writes a publishing action makes (test/support/fake-github-writes.ts): drafts sharing a tag, a
 *   separate uploads host (`uploadsUrl`, the `upload_url` template's host), assets replaced by delete + upload;
 * - injected faults (`inject`): a secondary rate limit (403/429 with `Retry-After`), a 5xx, before the request is
 *   applied or after it (the answer lost).
 * Every request is recorded (method, URL, headers, host) so tests can check where a token went.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Answer, handleReleaseWrite, sha256Digest } from './fake-github-writes.ts';

export interface FakeAsset {
  id: number;
  name: string;
  data: Buffer;
  updated_at: string;
  /** `uploaded` (default), or `starter` for an upload that broke off. */
  state?: string;
}

export interface FakeRelease {
  id: number;
  tag_name: string;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  published_at: string | null;
  assets: FakeAsset[];
  name?: string | null;
  created_at?: string;
  /** The last `make_latest` a PATCH sent. */
  make_latest?: string;
}

/** A fault for the next matching requests: answered instead of the request (or after applying it, with `after`). */
export interface FakeFault {
  status: number;
  headers?: Record<string, string>;
  message?: string;
  /** How many matching requests get it (default 1). */
  times?: number;
  /** Apply the request, then answer with the fault: the client cannot tell it worked. */
  after?: boolean;
  /** `path` with its query (`/repos/o/r/releases/1/assets?name=x`). */
  match?: (request: { method: string; path: string; host: 'api' | 'uploads' }) => boolean;
}

export interface FakeRepository {
  private: boolean;
  /** The token a private repository accepts. */
  token?: string;
  releases: FakeRelease[];
  /** Set: the repository was renamed to this `owner/repo` (answers 301). */
  renamedTo?: string;
  /** What `generate_release_notes` writes (default: a short "What's Changed"); GitHub's can outgrow its body limit. */
  generatedNotes?: string;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  host: 'api' | 'uploads';
}

export interface FakeGithub {
  url: string;
  /** The uploads host (`uploads.github.com`'s stand-in) that releases' `upload_url` points at. */
  uploadsUrl: string;
  inject(fault: FakeFault): void;
  repositories: Map<string, FakeRepository>;
  requests: RecordedRequest[];
  /** Requests to the API (not to download URLs), the ones GitHub's rate limit counts when not 304. */
  apiRequests(): RecordedRequest[];
  addRepository(name: string, options?: { private?: boolean; token?: string }): FakeRepository;
  addRelease(repository: string, release: { tag: string; files: Record<string, Buffer | string>; prerelease?: boolean; draft?: boolean; body?: string; publishedAt?: string }): FakeRelease;
  /** 'ok', or make every API request answer 500, hang (no answer until `mode('ok')` or close), or be rate-limited. */
  mode(mode: 'ok' | 'error' | 'hang' | 'rate-limited'): void;
  rateLimit: { limit: number; remaining: number; resetAt: number };
  close(): Promise<void>;
}

let nextId = 1000;

function etagOf(value: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32)}"`;
}

export async function startFakeGithub(): Promise<FakeGithub> {
  const repositories = new Map<string, FakeRepository>();
  const requests: RecordedRequest[] = [];
  const signed = new Map<string, { asset: FakeAsset; expires: number }>();
  const hanging = new Set<ServerResponse>();
  let mode: 'ok' | 'error' | 'hang' | 'rate-limited' = 'ok';
  const rateLimit = { limit: 5000, remaining: 5000, resetAt: Math.floor(Date.now() / 1000) + 3600 };
  let base = '';
  let uploadsBase = '';
  const faults: FakeFault[] = [];

  const find = (owner: string, repo: string) => {
    const key = `${owner}/${repo}`.toLowerCase();
    for (const [name, repository] of repositories) if (name.toLowerCase() === key) return { name, repository };
    return null;
  };
  const assetJson = (name: string, asset: FakeAsset) => ({
    id: asset.id,
    name: asset.name,
    size: asset.data.length,
    url: `${base}/repos/${name}/releases/assets/${asset.id}`,
    browser_download_url: `${base}/${name}/releases/download/${encodeURIComponent(findTag(name, asset))}/${encodeURIComponent(asset.name)}`,
    updated_at: asset.updated_at,
    content_type: 'application/octet-stream',
    state: asset.state ?? 'uploaded',
    digest: sha256Digest(asset.data),
  });
  const findTag = (name: string, asset: FakeAsset) => repositories.get(name)!.releases.find((r) => r.assets.includes(asset))!.tag_name;
  const releaseJson = (name: string, release: FakeRelease) => ({
    id: release.id,
    tag_name: release.tag_name,
    name: release.name === undefined ? release.tag_name : release.name,
    body: release.body,
    draft: release.draft,
    prerelease: release.prerelease,
    created_at: release.created_at ?? release.published_at ?? new Date(0).toISOString(),
    published_at: release.published_at,
    html_url: `${base}/${name}/releases/${release.draft ? `untagged-${release.id}` : `tag/${encodeURIComponent(release.tag_name)}`}`,
    upload_url: `${uploadsBase}/repos/${name}/releases/${release.id}/assets{?name,label}`,
    assets: release.assets.map((asset) => assetJson(name, asset)),
  });

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = body === null ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(text);
  }

  function limitHeaders(): Record<string, string> {
    return { 'x-ratelimit-limit': String(rateLimit.limit), 'x-ratelimit-remaining': String(rateLimit.remaining), 'x-ratelimit-reset': String(rateLimit.resetAt) };
  }

  /** Authorization for a repository: null when allowed, else the status GitHub answers. */
  function refusal(req: IncomingMessage, repository: FakeRepository): number | null {
    const auth = req.headers.authorization;
    if (auth !== undefined && (!repository.token || auth !== `Bearer ${repository.token}`)) return 401;
    if (repository.private && auth === undefined) return 404;
    return null;
  }

  const writeContext = {
    get apiBase() {
      return base;
    },
    get uploadsBase() {
      return uploadsBase;
    },
    find,
    nextId: () => nextId++,
    releaseJson,
    assetJson,
  };

  function answer(res: ServerResponse, result: Answer): void {
    if (result.status === 204) {
      res.writeHead(204, { ...limitHeaders(), ...result.headers });
      return void res.end();
    }
    send(res, result.status, result.body, { ...limitHeaders(), ...result.headers });
  }

  function takeFault(method: string, path: string, host: 'api' | 'uploads'): FakeFault | null {
    const index = faults.findIndex((f) => (f.times ?? 1) > 0 && (!f.match || f.match({ method, path, host })));
    if (index < 0) return null;
    const fault = faults[index]!;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) faults.splice(index, 1);
    return fault;
  }

  const faultAnswer = (fault: FakeFault): Answer => ({
    status: fault.status,
    body: { message: fault.message ?? (fault.status >= 500 ? 'Server Error' : 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.') },
    headers: fault.headers,
  });

  function handle(req: IncomingMessage, res: ServerResponse, host: 'api' | 'uploads', body: Buffer): void {
    const url = new URL(req.url ?? '/', base);
    const path = url.pathname;
    const isApi = path.startsWith('/repos/');
    const method = req.method ?? 'GET';
    const isWrite = isApi && (method !== 'GET' || /\/releases\/(\d+(\/assets)?|tags\/[^/]+)$/.test(path) || host === 'uploads');
    const fault = isApi ? takeFault(method, req.url ?? path, host) : null;
    if (fault && (!fault.after || !isWrite)) return answer(res, faultAnswer(fault));
    if (isApi && mode === 'hang') {
      hanging.add(res);
      return;
    }
    if (isApi && mode === 'error') return send(res, 500, { message: 'Server Error' });
    if (isApi && (mode === 'rate-limited' || rateLimit.remaining <= 0)) {
      return send(res, 403, { message: 'API rate limit exceeded', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' }, { ...limitHeaders(), 'x-ratelimit-remaining': '0' });
    }
    const authorized = (() => {
      const found = /^\/repos\/([^/]+)\/([^/]+)\//.exec(path);
      const repository = found ? find(found[1]!, found[2]!)?.repository : undefined;
      return repository !== undefined && refusal(req, repository) === null && req.headers.authorization !== undefined;
    })();
    if (isWrite) {
      const result = handleReleaseWrite(writeContext, host, method, url, body, authorized, req.headers['content-length']);
      if (result) {
        if (req.headers.authorization !== undefined && !authorized) return send(res, 401, { message: 'Bad credentials' });
        rateLimit.remaining--;
        return answer(res, fault ? faultAnswer(fault) : result);
      }
    }
    if (host === 'uploads') return send(res, 404, { message: 'Not Found' });

    let match = /^\/repos\/([^/]+)\/([^/]+)\/releases$/.exec(path);
    if (match && req.method === 'GET') {
      const found = find(match[1]!, match[2]!);
      if (!found) return send(res, 404, { message: 'Not Found' });
      const { name, repository } = found;
      if (repository.renamedTo) return send(res, 301, { message: 'Moved Permanently', url: `${base}/repos/${repository.renamedTo}/releases` }, { location: `${base}/repos/${repository.renamedTo}/releases${url.search}` });
      const refused = refusal(req, repository);
      if (refused === 401) return send(res, 401, { message: 'Bad credentials' });
      if (refused === 404) return send(res, 404, { message: 'Not Found' });
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      // GitHub lists only the 1000 newest releases, and refuses a page past them however many there are.
      if ((page - 1) * perPage >= 1000) {
        return send(res, 422, { message: 'Only the first 1000 results are available.', documentation_url: 'https://docs.github.com/rest/releases/releases#list-releases' });
      }
      // Newest first, as GitHub lists them; drafts are listed only to those who can push (here: with a token).
      const visible = repository.releases.filter((r) => !r.draft || req.headers.authorization !== undefined).slice().reverse();
      const items = visible.slice((page - 1) * perPage, page * perPage).map((r) => releaseJson(name, r));
      const etag = etagOf(items);
      if (req.headers['if-none-match'] === etag) return send(res, 304, null, { ...limitHeaders(), etag });
      rateLimit.remaining--;
      const last = Math.max(1, Math.ceil(visible.length / perPage));
      const link = (p: number, rel: string) => `<${base}${path}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
      const links = page < last ? [link(page + 1, 'next'), link(last, 'last')] : [];
      const headers: Record<string, string> = { ...limitHeaders(), etag };
      if (links.length) headers.link = links.join(', ');
      return send(res, 200, items, headers);
    }

    match = /^\/repos\/([^/]+)\/([^/]+)\/releases\/assets\/(\d+)$/.exec(path);
    if (match && req.method === 'GET') {
      const found = find(match[1]!, match[2]!);
      if (!found) return send(res, 404, { message: 'Not Found' });
      const refused = refusal(req, found.repository);
      if (refused) return send(res, refused, { message: refused === 401 ? 'Bad credentials' : 'Not Found' });
      const asset = found.repository.releases.flatMap((r) => r.assets).find((a) => a.id === Number(match![3]));
      if (!asset) return send(res, 404, { message: 'Not Found' });
      rateLimit.remaining--;
      if (req.headers.accept !== 'application/octet-stream') return send(res, 200, assetJson(found.name, asset), limitHeaders());
      const ticket = randomBytes(16).toString('hex');
      signed.set(ticket, { asset, expires: Date.now() + 300_000 });
      res.writeHead(302, { location: `${base}/signed-assets/${asset.id}?X-Amz-Signature=${ticket}`, ...limitHeaders() });
      return void res.end();
    }

    match = /^\/signed-assets\/(\d+)$/.exec(path);
    if (match && req.method === 'GET') {
      const ticket = signed.get(url.searchParams.get('X-Amz-Signature') ?? '');
      if (!ticket || ticket.expires < Date.now() || ticket.asset.id !== Number(match[1])) return send(res, 403, { message: 'Request has expired' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(ticket.asset.data.length) });
      return void res.end(ticket.asset.data);
    }

    match = /^\/([^/]+)\/([^/]+)\/releases\/download\/([^/]+)\/([^/]+)$/.exec(path);
    if (match && req.method === 'GET') {
      const found = find(match[1]!, match[2]!);
      // A private repository's browser URL needs a signed-in browser session: a client without one gets 404.
      if (!found || found.repository.private) return send(res, 404, { message: 'Not Found' });
      const release = found.repository.releases.find((r) => r.tag_name === decodeURIComponent(match![3]!) && !r.draft);
      const asset = release?.assets.find((a) => a.name === decodeURIComponent(match![4]!));
      if (!asset) return send(res, 404, { message: 'Not Found' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(asset.data.length) });
      return void res.end(asset.data);
    }
    send(res, 404, { message: 'Not Found' });
  }

  const listener = (host: 'api' | 'uploads') => (req: IncomingMessage, res: ServerResponse) => {
    res.on('finish', () => requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, status: res.statusCode, host }));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, host, Buffer.concat(chunks));
      } catch (error) {
        send(res, 500, { message: String(error) });
      }
    });
  };
  const server: Server = createServer(listener('api'));
  const uploads: Server = createServer(listener('uploads'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => uploads.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  uploadsBase = `http://127.0.0.1:${(uploads.address() as AddressInfo).port}`;

  return {
    url: base,
    uploadsUrl: uploadsBase,
    inject: (fault) => void faults.push({ ...fault }),
    repositories,
    requests,
    rateLimit,
    apiRequests: () => requests.filter((r) => r.url.startsWith('/repos/')),
    addRepository(name, options = {}) {
      const repository: FakeRepository = { private: options.private ?? false, token: options.token, releases: [] };
      repositories.set(name, repository);
      return repository;
    },
    addRelease(name, release) {
      const repository = repositories.get(name);
      if (!repository) throw new Error(`no fake repository ${name}`);
      const now = new Date().toISOString();
      const created: FakeRelease = {
        id: nextId++,
        tag_name: release.tag,
        body: release.body ?? null,
        draft: release.draft ?? false,
        prerelease: release.prerelease ?? false,
        published_at: release.draft ? null : (release.publishedAt ?? now),
        assets: Object.entries(release.files).map(([fileName, data]) => ({ id: nextId++, name: fileName, data: Buffer.from(data), updated_at: now })),
      };
      repository.releases.push(created);
      return created;
    },
    mode(next) {
      mode = next;
      if (next !== 'hang') {
        for (const res of hanging) res.destroy();
        hanging.clear();
      }
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      uploads.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => uploads.close(() => resolve()));
    },
  };
}
