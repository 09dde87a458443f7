/**
 * @module bench/seed
 * Seeds a running server through its admin API: an app with a real key pair, one release, one signed artifact per
 * platform (real `tauri signer sign`), published. With `seedPolicy` (BENCH_POLICY=1), also release policy: `beta`
 * follows `stable` and a newer release is published on beta at a 25% staged rollout.
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

const json = (body: unknown, method = 'POST') => ({ method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

interface ReleaseOptions {
  slug: string; version: string; notes: string; artifacts: readonly SeedArtifact[]; artifactBytes: number;
  channel?: string; rolloutPercent?: number;
}

export async function seedRelease(server: RunningServer, dir: string, options: ReleaseOptions): Promise<KeyPair> {
  const keys = await generateKeyPair(dir);
  await ok(await server.admin('/admin/apps', json({ slug: options.slug, name: options.slug, public_key: keys.publicKey })), 201);
  await publishRelease(server, dir, keys, options);
  return keys;
}

/** `beta` follows `stable`; `version` is published on beta at `rolloutPercent` (the bench's "policy active" state). */
export async function seedPolicy(server: RunningServer, dir: string, keys: KeyPair, options: ReleaseOptions): Promise<void> {
  await ok(await server.admin(`/admin/apps/${options.slug}/channels`, json({ channels: [{ name: 'beta', follows: 'stable' }] }, 'PUT')), 200);
  await publishRelease(server, dir, keys, options);
}

async function publishRelease(server: RunningServer, dir: string, keys: KeyPair, options: ReleaseOptions): Promise<void> {
  const releases = `/admin/apps/${options.slug}/releases`;
  const policy = { ...(options.channel && { channel: options.channel }), ...(options.rolloutPercent !== undefined && { rollout_percent: options.rolloutPercent }) };
  await ok(await server.admin(releases, json({ version: options.version, notes: options.notes, ...policy })), 201);
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
}
