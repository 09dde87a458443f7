/**
 * @module admin/release-testing
 * Test helpers for releases and artifacts (imported by `*.test.ts` only): files signed by the real
 * Tauri CLI, multipart uploads through the app, and a look at what storage holds.
 */
import { readdir } from 'node:fs/promises';
import { writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { TestContext } from '../../../test/support/context.ts';
import { type KeyPair, sign } from '../../../test/support/tauri.ts';
import { call } from './testing.ts';

export interface SignedFile {
  name: string;
  bytes: Uint8Array;
  /** The `.sig` content the real signer wrote. */
  signature: string;
}

/** Writes `bytes` as `dir/name` and signs it with the real `tauri signer sign`. */
export async function signedFile(dir: string, key: KeyPair, name: string, bytes: Uint8Array | string, appVersion?: string): Promise<SignedFile> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const path = join(dir, name);
  await writeFile(path, data);
  return { name, bytes: data, signature: await sign(path, key, appVersion) };
}

export type Part = [name: string, value: string | { fileName: string; bytes: Uint8Array }];

/** A `FormData` with the parts in the given order (the order curl -F sends them). */
export function form(parts: readonly Part[]): FormData {
  const body = new FormData();
  for (const [name, value] of parts) {
    if (typeof value === 'string') body.append(name, value);
    else body.append(name, new File([new Uint8Array(value.bytes)], value.fileName));
  }
  return body;
}

/** The usual upload: platform, signature, then the file. */
export function artifactParts(platform: string, file: SignedFile, extra: Part[] = []): Part[] {
  return [['platform', platform], ['signature', file.signature], ...extra, ['file', { fileName: file.name, bytes: file.bytes }]];
}

export async function upload(ctx: TestContext, path: string, body: FormData | Part[], auth: string = ctx.adminAuth) {
  const res = await ctx.app.request(path, {
    method: 'POST',
    headers: { authorization: auth },
    body: Array.isArray(body) ? form(body) : body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export async function createRelease(ctx: TestContext, app: string, version: string, extra: Record<string, unknown> = {}, auth?: string) {
  const res = await call(ctx, 'POST', `/admin/apps/${app}/releases`, { body: { version, ...extra }, ...(auth ? { auth } : {}) });
  if (res.status !== 201) throw new Error(`creating ${version} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; version: string };
}

/** Every file under the filesystem storage root, including half-written temporaries. */
export async function storedFiles(ctx: TestContext): Promise<string[]> {
  const root = join(ctx.dataDir, 'objects');
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => relative(root, join(e.parentPath, e.name))).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Every upload's own folder (`…/uploads/{id}`, protocol/storage-keys.ts `stagedKey`) under the storage root. */
export async function storedUploadFolders(ctx: TestContext): Promise<string[]> {
  const root = join(ctx.dataDir, 'objects');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && basename(e.parentPath) === 'uploads').map((e) => relative(root, join(e.parentPath, e.name))).sort();
}

export async function storedBytes(ctx: TestContext, key: string): Promise<Buffer | null> {
  const object = await ctx.storage.get(key);
  if (!object) return null;
  return Buffer.from(await new Response(object.body).arrayBuffer());
}
