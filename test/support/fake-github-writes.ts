/**
 * @module fake-github-writes
 * The release-writing half of the fake GitHub REST API (test/support/fake-github.ts), as GitHub behaves:
 * - `POST /repos/{o}/{r}/releases`: several drafts may share a tag (only a second *published* release of a tag is
 *   refused, 422 `already_exists`); `generate_release_notes` fills an empty body; the answer's `upload_url` is a
 *   template on the separate uploads host (`…/assets{?name,label}`), as `uploads.github.com` is;
 * - `GET /repos/{o}/{r}/releases/tags/{tag}`: the published release of a tag (never a draft, as GitHub);
 * - `GET`/`PATCH /repos/{o}/{r}/releases/{id}` (publishing sets `published_at`), `GET …/releases/{id}/assets`
 *   (paged), `DELETE /repos/{o}/{r}/releases/assets/{id}`;
 * - on the uploads host only, `POST /repos/{o}/{r}/releases/{id}/assets?name=`: the name renamed as GitHub does
 *   (characters other than letters, digits, `.`, `-`, `_` become `.`), 422 `already_exists` when the release has
 *   that name, 400 without a Content-Length, and a `digest` (`sha256:…`) on the asset.
 * Release notes longer than GitHub's 125,000 characters are refused (422 `custom` on `body`, with GitHub's words),
 * generated ones too.
 * Each handler returns the answer instead of writing it, so a fault injected "after" can apply a request and lose
 * its answer (a 502 after the asset was stored), as a flaky proxy does.
 */
import { createHash } from 'node:crypto';
import type { FakeAsset, FakeRelease, FakeRepository } from './fake-github.ts';

export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface WriteContext {
  apiBase: string;
  uploadsBase: string;
  find(owner: string, repo: string): { name: string; repository: FakeRepository } | null;
  nextId(): number;
  releaseJson(name: string, release: FakeRelease): Record<string, unknown>;
  assetJson(name: string, asset: FakeAsset): Record<string, unknown>;
}

const validationFailed = (resource: string, code: string, field: string): Answer => ({
  status: 422,
  body: { message: 'Validation Failed', errors: [{ resource, code, field }], documentation_url: 'https://docs.github.com/rest/releases' },
});

const BODY_LIMIT = 125_000;
const bodyTooLong = (body: unknown): Answer | null =>
  typeof body === 'string' && [...body].length > BODY_LIMIT
    ? {
        status: 422,
        body: {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'custom', field: 'body', message: `body is too long (maximum is ${BODY_LIMIT} characters)` }],
          documentation_url: 'https://docs.github.com/rest/releases/releases#create-a-release',
        },
      }
    : null;

/** GitHub's renaming of an uploaded asset's name. */
export function githubStoredName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '.').replace(/^\.+|\.+$/g, '');
}

function parseJson(body: Buffer): Record<string, unknown> | null {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The answer to a release write (or read by id) on `host`, or null when the route is not one of these. */
export function handleReleaseWrite(ctx: WriteContext, host: 'api' | 'uploads', method: string, url: URL, body: Buffer, authorized: boolean, contentLength?: string): Answer | null {
  const path = url.pathname;
  const notFound: Answer = { status: 404, body: { message: 'Not Found' } };
  const repoOf = (owner: string, repo: string) => {
    const found = ctx.find(owner, repo);
    // A draft, and every write, needs a token that can push; without one GitHub answers 404.
    return found && authorized ? found : null;
  };

  let match = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)\/assets$/.exec(path);
  if (match && host === 'uploads' && method === 'POST') {
    const found = repoOf(match[1]!, match[2]!);
    const release = found?.repository.releases.find((r) => r.id === Number(match![3]));
    if (!found || !release) return notFound;
    const raw = url.searchParams.get('name');
    // GitHub takes an asset only with its Content-Length (no chunked upload).
    if (!raw || contentLength === undefined || Number(contentLength) !== body.length) return { status: 400, body: { message: 'Bad Content-Length or name' } };
    const name = githubStoredName(raw);
    if (release.assets.some((a) => a.name === name)) return validationFailed('ReleaseAsset', 'already_exists', 'name');
    const asset: FakeAsset = { id: ctx.nextId(), name, data: Buffer.from(body), updated_at: new Date().toISOString(), state: 'uploaded' };
    release.assets.push(asset);
    return { status: 201, body: ctx.assetJson(found.name, asset) };
  }
  if (host === 'uploads') return notFound;

  if (match && method === 'GET') {
    const found = repoOf(match[1]!, match[2]!);
    const release = found?.repository.releases.find((r) => r.id === Number(match![3]));
    if (!found || !release) return notFound;
    const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
    return { status: 200, body: release.assets.slice((page - 1) * perPage, page * perPage).map((a) => ctx.assetJson(found.name, a)) };
  }

  match = /^\/repos\/([^/]+)\/([^/]+)\/releases$/.exec(path);
  if (match && method === 'POST') {
    const found = repoOf(match[1]!, match[2]!);
    if (!found) return notFound;
    const input = parseJson(body);
    if (!input || typeof input.tag_name !== 'string' || input.tag_name === '') return validationFailed('Release', 'missing_field', 'tag_name');
    const draft = input.draft === true;
    if (!draft && found.repository.releases.some((r) => r.tag_name === input.tag_name && !r.draft)) return validationFailed('Release', 'already_exists', 'tag_name');
    const now = new Date().toISOString();
    const generated =
      input.generate_release_notes === true && !input.body
        ? (found.repository.generatedNotes ?? `## What's Changed\n\n**Full Changelog**: ${ctx.apiBase}/compare/${String(input.tag_name)}`)
        : null;
    const refused = bodyTooLong(input.body) ?? bodyTooLong(generated);
    if (refused) return refused;
    const release: FakeRelease = {
      id: ctx.nextId(),
      tag_name: input.tag_name,
      name: typeof input.name === 'string' ? input.name : null,
      body: typeof input.body === 'string' ? input.body : generated,
      draft,
      prerelease: input.prerelease === true,
      published_at: draft ? null : now,
      created_at: now,
      assets: [],
    };
    found.repository.releases.push(release);
    return { status: 201, body: ctx.releaseJson(found.name, release) };
  }

  match = /^\/repos\/([^/]+)\/([^/]+)\/releases\/tags\/([^/]+)$/.exec(path);
  if (match && method === 'GET') {
    const found = ctx.find(match[1]!, match[2]!);
    const tag = decodeURIComponent(match[3]!);
    const release = found?.repository.releases.find((r) => r.tag_name === tag && !r.draft);
    return found && release ? { status: 200, body: ctx.releaseJson(found.name, release) } : notFound;
  }

  match = /^\/repos\/([^/]+)\/([^/]+)\/releases\/(\d+)$/.exec(path);
  if (match && (method === 'GET' || method === 'PATCH')) {
    const found = ctx.find(match[1]!, match[2]!);
    const release = found?.repository.releases.find((r) => r.id === Number(match![3]));
    if (!found || !release || ((release.draft || method === 'PATCH') && !authorized)) return notFound;
    if (method === 'PATCH') {
      const input = parseJson(body) ?? {};
      const refused = bodyTooLong(input.body);
      if (refused) return refused;
      if (input.draft === false && release.draft) {
        if (found.repository.releases.some((r) => r !== release && r.tag_name === release.tag_name && !r.draft)) return validationFailed('Release', 'already_exists', 'tag_name');
        release.draft = false;
        release.published_at = new Date().toISOString();
      }
      if (typeof input.name === 'string') release.name = input.name;
      if (typeof input.body === 'string') release.body = input.body;
      if (typeof input.prerelease === 'boolean') release.prerelease = input.prerelease;
      if (input.make_latest === 'true' || input.make_latest === 'false') release.make_latest = input.make_latest;
    }
    return { status: 200, body: ctx.releaseJson(found.name, release) };
  }

  match = /^\/repos\/([^/]+)\/([^/]+)\/releases\/assets\/(\d+)$/.exec(path);
  if (match && method === 'DELETE') {
    const found = repoOf(match[1]!, match[2]!);
    const release = found?.repository.releases.find((r) => r.assets.some((a) => a.id === Number(match![3])));
    if (!found || !release) return notFound;
    release.assets = release.assets.filter((a) => a.id !== Number(match![3]));
    return { status: 204, body: null };
  }
  return null;
}

export const sha256Digest = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;
