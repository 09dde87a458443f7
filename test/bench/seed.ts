/**
 * @module bench/seed
 * Seeds a running server through its admin API: an app with a real key pair, one release, one signed artifact per
 * platform (real `tauri signer sign`), published. With `seedPolicy` (BENCH_POLICY=1), also release policy: `beta`
 * follows `stable` and a newer release is published on beta at a 25% staged rollout. With `seedGithub`
 * (BENCH_SOURCE=github), the app is served from a repository on the fake GitHub instead, its release published there.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeGithub } from '../support/fake-github.ts';
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

/**
 * An app served from `repository` on the fake GitHub: one release `desktop-v<version>` with each artifact and its
 * `.sig` (file names carry the architecture, as `tauri build` writes them), then `PUT …/source`, whose first sync
 * must have served the release.
 */
export async function seedGithub(server: RunningServer, dir: string, github: FakeGithub, options: ReleaseOptions & { repository: string }): Promise<KeyPair> {
  const keys = await generateKeyPair(dir);
  await ok(await server.admin('/admin/apps', json({ slug: options.slug, name: options.slug, public_key: keys.publicKey })), 201);
  if (!github.repositories.has(options.repository)) {
    github.addRepository(options.repository);
    const files: Record<string, Buffer | string> = {};
    for (const artifact of options.artifacts) {
      const bytes = randomBytes(options.artifactBytes);
      const file = join(dir, artifact.fileName);
      await writeFile(file, bytes);
      files[artifact.fileName] = bytes;
      files[`${artifact.fileName}.sig`] = await sign(file, keys, options.version);
    }
    github.addRelease(options.repository, { tag: `desktop-v${options.version}`, files, body: options.notes });
  } else {
    throw new Error(`seedGithub: ${options.repository} is already seeded (each server gets its own repository, signed with its own key)`);
  }
  const res = await server.admin(`/admin/apps/${options.slug}/source`, json({ kind: 'github', repository: options.repository, tag_prefix: 'desktop-v' }, 'PUT'));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`PUT source: ${res.status}: ${text}`);
  const report = (JSON.parse(text) as { report?: { outcome: string; skipped: unknown[] } }).report;
  if (report?.outcome !== 'ok' || report.skipped.length > 0) throw new Error(`the first GitHub sync did not serve the release: ${text}`);
  return keys;
}
