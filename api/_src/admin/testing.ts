/**
 * @module admin/testing
 * Test helpers for the admin API (imported by `*.test.ts` only): requests with a key, keys and
 * releases written straight to the database, and a real Tauri updater key pair from the CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { ApiKeyScope, ReleaseStatus } from '../../../db/schema.ts';
import type { TestContext } from '../../../test/support/context.ts';
import { nodeHttpInit } from '../../../test/support/node-body.ts';
import { generateApiKey } from '../auth/keys.ts';

export interface JsonResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the app with a JSON body (when given) and parses a JSON answer. */
export async function call<T = any>(
  ctx: TestContext,
  method: string,
  path: string,
  options: { auth?: string | null; body?: unknown } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = {};
  const auth = options.auth === undefined ? ctx.adminAuth : options.auth;
  if (auth !== null) headers.authorization = auth;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const res = await ctx.app.request(path, nodeHttpInit(method, headers, body));
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** An API key written directly to the database; returns the `Authorization` value and the row id. */
export async function insertKey(
  ctx: TestContext,
  scope: ApiKeyScope,
  appId: string | null,
  name = `${scope}-${appId ?? 'global'}`,
): Promise<{ auth: string; id: string; key: string }> {
  const secret = generateApiKey();
  const row = await ctx.database.db
    .insertInto('api_keys')
    .values({ name, scope, app_id: appId, key_hash: secret.hash, key_prefix: secret.displayPrefix })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { auth: `Bearer ${secret.key}`, id: row.id, key: secret.key };
}

export async function insertApp(ctx: TestContext, slug: string): Promise<string> {
  const row = await ctx.database.db.insertInto('apps').values({ slug, name: slug }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

export async function insertRelease(ctx: TestContext, appId: string, version: string, status: ReleaseStatus): Promise<string> {
  const row = await ctx.database.db
    .insertInto('releases')
    .values({ app_id: appId, version, status, pub_date: status === 'published' ? new Date() : null })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** The audit rows of an action, oldest first. */
export async function auditRows(ctx: TestContext, action: string) {
  return ctx.database.db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();
}

const TAURI = fileURLToPath(new URL('../../../node_modules/.bin/tauri', import.meta.url));

/** `tauri signer generate --ci`: the content of the `.pub` file, as pasted into tauri.conf.json. */
export async function generateTauriPublicKey(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tauri-key-'));
  try {
    await promisify(execFile)(TAURI, ['signer', 'generate', '--ci', '-w', join(dir, 'k')], { env: { ...process.env, CI: 'true' } });
    return await readFile(join(dir, 'k.pub'), 'utf8');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
