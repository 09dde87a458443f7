/**
 * @module bench/seed
 * Seeds a running server through its admin API: an app with a real key pair, one release, one signed artifact per
 * platform (real `tauri signer sign`), published.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningServer } from '../support/server.ts';
import { generateKeyPair, type KeyPair, sign } from '../support/tauri.ts';

export interface SeedArtifact { platform: string; bundle: string; fileName: string }

async function ok(res: Response, status: number): Promise<void> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`${res.url}: expected ${status}, got ${res.status}: ${text}`);
}

export async function seedRelease(server: RunningServer, dir: string, options: {
  slug: string; version: string; notes: string; artifacts: readonly SeedArtifact[]; artifactBytes: number;
}): Promise<KeyPair> {
  const keys = await generateKeyPair(dir);
  const json = (body: unknown) => ({ method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  await ok(await server.admin('/admin/apps', json({ slug: options.slug, name: options.slug, public_key: keys.publicKey })), 201);
  const releases = `/admin/apps/${options.slug}/releases`;
  await ok(await server.admin(releases, json({ version: options.version, notes: options.notes })), 201);
  for (const artifact of options.artifacts) {
    const bytes = randomBytes(options.artifactBytes);
    const file = join(dir, artifact.fileName);
    await writeFile(file, bytes);
    const form = new FormData();
    form.append('platform', artifact.platform);
    form.append('bundle', artifact.bundle);
    form.append('signature', await sign(file, keys, options.version));
    form.append('file', new Blob([new Uint8Array(bytes)]), artifact.fileName);
    await ok(await server.admin(`${releases}/${options.version}/artifacts`, { method: 'POST', body: form }), 201);
  }
  await ok(await server.admin(`${releases}/${options.version}/publish`, { method: 'POST' }), 200);
  return keys;
}
