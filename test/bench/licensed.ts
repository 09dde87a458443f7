/**
 * @module bench/licensed
 * The licensed app the bench measures beside the open one: seeded like it through the admin API, then switched to
 * licensed with a yearly `fallback` policy and one active license bought today, written as rows in the shared
 * database (there is no admin API for licenses yet; licensing/testing.ts writes the rows the way the server stores
 * them, the key's digest made under `TEST_SECRETS_KEY`, which every server is given as SECRETS_KEY).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { openNeon } from '../../db/neon.ts';
import { insertLicense, insertPolicy, TEST_SECRETS_KEY } from '../../api/_src/licensing/testing.ts';
import type { RunningServer } from '../support/server.ts';
import { parseRemoteRelease } from '../support/tauri.ts';
import { type SeedArtifact, seedRelease } from './seed.ts';

export const LICENSED_SLUG = 'bench-licensed';
export const LICENSED_PATH = `/update/${LICENSED_SLUG}/linux/x86_64/1.0.0?bundle_type=appimage`;
/** What the servers must be started with to digest the key as the rows store it. */
export const LICENSED_ENV = { SECRETS_KEY: TEST_SECRETS_KEY };

/** Seeds the app and its license; returns the `Authorization` header value of the license. */
export async function seedLicensedApp(seeder: RunningServer, work: string, shared: Record<string, string>, artifacts: readonly SeedArtifact[]): Promise<string> {
  const dir = join(work, 'licensed'); // its own key pair and files beside the open app's
  await mkdir(dir);
  await seedRelease(seeder, dir, { slug: LICENSED_SLUG, version: '2.0.0', notes: 'Benchmark release.', artifactBytes: 64 * 1024, artifacts });
  const { db, close } = openNeon({ connectionString: shared.DATABASE_URL!, wsProxy: shared.NEON_WS_PROXY });
  try {
    const app = await db.selectFrom('apps').select('id').where('slug', '=', LICENSED_SLUG).executeTakeFirstOrThrow();
    await db.updateTable('apps').set({ licensing: 'licensed' }).where('id', '=', app.id).execute();
    const policyId = await insertPolicy(db, app.id, { name: 'bench yearly', durationDays: 365, expiryStrategy: 'fallback' });
    return (await insertLicense(db, app.id, policyId, { createdAt: new Date() })).authorization;
  } finally {
    await close();
  }
}

/** The measured server answers the licensed check as a licensed app (200, private, the release), and refuses it keyless. */
export async function assertLicensedAnswers(base: string, authorization: string): Promise<void> {
  const keyless = await fetch(`${base}${LICENSED_PATH}`);
  await keyless.arrayBuffer();
  if (keyless.status !== 401) throw new Error(`licensed check without a key answered ${keyless.status}, not 401`);
  const res = await fetch(`${base}${LICENSED_PATH}`, { headers: { Authorization: authorization } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`licensed check answered ${res.status}: ${text}`);
  if (res.headers.get('cache-control') !== 'private, no-store') throw new Error(`licensed check answered Cache-Control ${res.headers.get('cache-control')}`);
  if (parseRemoteRelease(JSON.parse(text)).version !== '2.0.0') throw new Error(`licensed check offered ${text}`);
}
