/**
 * @module ci/testing
 * Test helpers for the CI API (imported by `*.test.ts` only): a control plane whose CI routes take a
 * test clock and upload limits, real Tauri-signed files, credentials from the local OIDC issuer, and a
 * client that sends bytes to whatever target an upload request answers (s3rver over real HTTP, or this
 * server's filesystem PUT).
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import { createTestContext, type TestContext, type TestContextOptions } from '../../../test/support/context.ts';
import { nodeHttpInit } from '../../../test/support/node-body.ts';
import type { LocalIssuer } from '../../../test/support/oidc-issuer.ts';
import { type KeyPair, sign } from '../../../test/support/tauri.ts';
import { generateApiKey } from '../auth/keys.ts';
import { adminRoutes } from '../admin/routes.ts';
import { downloadRoutes } from '../download/routes.ts';
import { errorResponse } from '../http/errors.ts';
import type { ApiKeyScope } from '../../../db/schema.ts';
import type { CiUploadResponse } from '../protocol/ci.ts';
import { updateRoutes } from '../update/routes.ts';
import { ciRoutes } from './routes.ts';
import type { UploadLimits } from './uploads.ts';

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CiHarness {
  ctx: TestContext;
  /** The whole API, with the CI routes on `clock`. */
  app: Hono;
  /** Milliseconds added to the CI routes' clock (negative: requests made "in the past"). */
  clock: { offsetMs: number };
  call<T = any>(method: string, path: string, options?: { auth?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<Answer<T>>;
  close(): Promise<void>;
}

export async function createCiHarness(options: TestContextOptions & { uploadLimits?: Partial<UploadLimits> } = {}): Promise<CiHarness> {
  const { uploadLimits, ...contextOptions } = options;
  const ctx = await createTestContext(contextOptions);
  const clock = { offsetMs: 0 };
  const app = new Hono();
  app.onError(errorResponse);
  app.route('/ci', ciRoutes(ctx.deps, { now: () => Date.now() + clock.offsetMs, ...(uploadLimits ? { uploadLimits } : {}) }));
  app.route('/admin', adminRoutes(ctx.deps));
  app.route('/download', downloadRoutes(ctx.deps));
  app.route('/', updateRoutes(ctx.deps));
  return {
    ctx,
    app,
    clock,
    async call(method, path, { auth, body, headers = {} } = {}) {
      const sent: Record<string, string> = { ...headers };
      const authorization = auth === undefined ? ctx.adminAuth : auth;
      if (authorization !== null) sent.authorization = authorization;
      let payload: string | undefined;
      if (body !== undefined) {
        sent['content-type'] = 'application/json';
        payload = JSON.stringify(body);
      }
      const res = await app.request(path, nodeHttpInit(method, sent, payload));
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
    },
    close: () => ctx.close(),
  };
}

// ---- files --------------------------------------------------------------------------------------------

export interface SignedArtifact {
  name: string;
  bytes: Uint8Array;
  signature: string;
  sha256: string;
}

export const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Writes `bytes` as `dir/name` and signs it with the real `tauri signer sign` (with `--app-version` when given). */
export async function signedArtifact(dir: string, key: KeyPair, name: string, bytes: Uint8Array, appVersion?: string): Promise<SignedArtifact> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { name, bytes, signature: await sign(path, key, appVersion), sha256: sha256Of(bytes) };
}

/** The CI API's artifact fields for a signed file. */
export function declare(platform: string, file: SignedArtifact, extra: Record<string, unknown> = {}) {
  return { platform, file_name: file.name, size: file.bytes.byteLength, sha256: file.sha256, signature: file.signature, ...extra };
}

// ---- credentials --------------------------------------------------------------------------------------

export async function insertApp(h: CiHarness, slug: string, publicKey: string | null): Promise<string> {
  const row = await h.ctx.database.db.insertInto('apps').values({ slug, name: slug, public_key: publicKey }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function insertKey(h: CiHarness, scope: ApiKeyScope, appId: string | null): Promise<string> {
  const secret = generateApiKey();
  await h.ctx.database.db
    .insertInto('api_keys')
    .values({ name: `${scope} key`, scope, app_id: appId, key_hash: secret.hash, key_prefix: secret.displayPrefix })
    .execute();
  return `Bearer ${secret.key}`;
}

/** Binds octo-org/octo-repo's release.yml to the app, and exchanges a fresh OIDC token for a credential. */
export async function oidcCredential(h: CiHarness, issuer: LocalIssuer, app: { id: string; slug: string }, canPublish: boolean): Promise<string> {
  const db = h.ctx.database.db;
  const bound = await db.selectFrom('trusted_publishers').select('id').where('app_id', '=', app.id).executeTakeFirst();
  if (bound) await db.updateTable('trusted_publishers').set({ can_publish: canPublish }).where('id', '=', bound.id).execute();
  else {
    await db
      .insertInto('trusted_publishers')
      .values({ app_id: app.id, repository: 'octo-org/octo-repo', repository_id: '74', repository_owner_id: '65', workflow: 'release.yml', allowed_refs: JSON.stringify([]), can_publish: canPublish })
      .execute();
  }
  const answer = await h.call('POST', '/ci/token', { auth: `Bearer ${await issuer.mint()}`, body: { app: app.slug } });
  if (answer.status !== 200) throw new Error(`token exchange failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return `Bearer ${answer.body.token}`;
}

// ---- uploads ------------------------------------------------------------------------------------------

/**
 * Sends `bytes` where the upload response says: this server's PUT (through `h.app`, or real HTTP when the
 * URL is not this server's), a presigned PUT, or each presigned part. Returns the parts for `complete`.
 */
export async function sendBytes(h: CiHarness, upload: CiUploadResponse, bytes: Uint8Array): Promise<{ status: number; parts?: Array<{ part_number: number; etag: string }> }> {
  const { target } = upload;
  if (target.method === 'PUT') {
    const init = { method: 'PUT', headers: target.headers, body: new Uint8Array(bytes) };
    // The test context's PUBLIC_URL is not a real host: its filesystem PUTs go to the app directly.
    const res = new URL(target.url).host === 'updates.test' ? await h.app.request(target.url, init) : await fetch(target.url, init);
    await res.arrayBuffer();
    return { status: res.status };
  }
  const parts = [];
  for (const part of target.parts) {
    const start = (part.part_number - 1) * target.part_size;
    const res = await fetch(part.url, { method: 'PUT', body: bytes.slice(start, start + target.part_size) });
    await res.arrayBuffer();
    if (res.status !== 200) return { status: res.status };
    parts.push({ part_number: part.part_number, etag: res.headers.get('etag') ?? '' });
  }
  return { status: 200, parts };
}

export function releasesPath(slug: string, version?: string): string {
  return `/ci/apps/${slug}/releases${version ? `/${version}` : ''}`;
}

/** One matrix leg: create or reuse the draft, request an upload, send the bytes, complete. */
export async function runLeg(
  h: CiHarness,
  auth: string,
  slug: string,
  version: string,
  platform: string,
  file: SignedArtifact,
): Promise<{ statuses: number[]; complete: Answer }> {
  const statuses: number[] = [];
  const created = await h.call('POST', releasesPath(slug), { auth, body: { version } });
  statuses.push(created.status);
  const requested = await h.call<CiUploadResponse>('POST', `${releasesPath(slug, version)}/uploads`, { auth, body: declare(platform, file) });
  statuses.push(requested.status);
  if (requested.status !== 201) return { statuses, complete: requested };
  const sent = await sendBytes(h, requested.body, file.bytes);
  statuses.push(sent.status);
  const complete = await h.call('POST', `${releasesPath(slug, version)}/uploads/${requested.body.upload_id}/complete`, {
    auth,
    ...(sent.parts ? { body: { parts: sent.parts } } : {}),
  });
  statuses.push(complete.status);
  return { statuses, complete };
}

/** The audit rows of an action, oldest first. */
export async function auditRows(h: CiHarness, action: string) {
  return h.ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();
}
