/**
 * Seeded random batches of concurrent admin operations on one app's releases (uploads of the same and other file
 * names, some badly signed, artifact deletes, publish, archive, yank and unyank, release delete and create, rollout,
 * channel, status and version PATCHes), against the real server (`npm start`'s code path), once with fs storage and
 * once with S3 storage on s3rver, with update checks running alongside. Any 2xx or 4xx is a fine answer; a 5xx is a
 * failure. After each batch settles:
 *   1. every artifact row has a stored object with its bytes (sha256, size), and
 *   2. no stored object under the app's releases/ is referenced by no row (cleanup is awaited before the server
 *      answers, so nothing is polled for); the exact storage keys are compared once the server has stopped;
 *   3. a published release's artifacts never change once seen published;
 *   4. the update check offers exactly the newest published release on the channel's chain, at 100%, with the
 *      platform, and its URL downloads the recorded bytes; each channel's static failover manifest in storage
 *      names the newest such release with its artifacts' signatures; an install on a yanked version gets the newest
 *      release above it, else the yank's published replacement; a platform has at most one default artifact;
 *   5. every 2xx mutation has exactly one audit entry.
 * A failure names its seed: `PROPERTY_SEED=<seed> npm test -- test/robustness/concurrent-operations.test.ts` replays
 * its operations (their interleaving is the machine's).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openPGlite } from '../../db/connect.ts';
import { PROPERTY_SEED, prng } from '../support/prng.ts';
import { seedFromTemplate } from '../support/pglite-template.ts';
import { type RunningS3rver, s3rverStorageEnv, startS3rver } from '../support/s3rver.ts';
import { expectStatus, jsonBody, type RunningServer, startServer } from '../support/server.ts';
import { generateKeyPair, type KeyPair, sign } from '../support/tauri.ts';
import { checkAudit, checkDefaults, checkServing, checkStaticManifests, checkStorage, fsReader, lastAuditId, type Ledger, recordPublished, releasesOf, type StorageReader, storedObjects } from './release-invariants.ts';
import { s3Reader } from './s3-reader.ts';
import { describeOperation, drawOperation, fire, type Outcome, type SignedBlob, sha256, SLOTS, versionsOf } from './release-operations.ts';

/** Each storage runs one fixed seed and this run's own (`PROPERTY_SEED` replays one on both). */
const SEEDS = {
  fs: process.env.PROPERTY_SEED ? [PROPERTY_SEED] : [1, PROPERTY_SEED],
  s3: process.env.PROPERTY_SEED ? [PROPERTY_SEED] : [2, PROPERTY_SEED],
};
const BATCHES = 8;
const BATCH_SIZE = 16;

let work: string;
let keys: KeyPair;
const blobs: SignedBlob[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tauri-release-concurrent-'));
  keys = await generateKeyPair(work);
  // Unversioned signatures fit every release; one signed for another version, and two pairs crossed, are refused.
  const files = await Promise.all(Array.from({ length: 5 }, async (_, i) => {
    const bytes = randomBytes(100_000 + 50_000 * i);
    const file = join(work, `blob-${i}`);
    await writeFile(file, bytes);
    return { bytes, file, signature: await sign(file, keys, i === 4 ? '9.9.9' : undefined) };
  }));
  for (const [i, { bytes, signature }] of files.entries()) blobs.push({ bytes, sha256: sha256(bytes), signature, good: i < 4 });
  for (const [i, j] of [[0, 1], [2, 3]] as const) blobs.push({ bytes: files[i]!.bytes, sha256: sha256(files[i]!.bytes), signature: files[j]!.signature, good: false });
}, 60_000);

afterAll(() => rm(work, { recursive: true, force: true }));

describe.each(['fs', 's3'] as const)('concurrent release operations on %s storage', (driver) => {
  let dataDir: string;
  let s3: RunningS3rver | undefined;
  let storage: StorageReader;
  let server: RunningServer;
  const slugs: string[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `tauri-release-concurrent-${driver}-`));
    await seedFromTemplate(dataDir);
    s3 = driver === 's3' ? await startS3rver() : undefined;
    storage = s3 ? s3Reader(s3) : fsReader(dataDir);
    server = await startServer({ env: { DATA_DIR: dataDir, RATE_LIMITS: 'off', ...(s3 && s3rverStorageEnv(s3)) } });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await s3?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each(SEEDS[driver])('keeps every invariant through random concurrent batches (seed %i)', async (seed) => {
    const random = prng(seed);
    const slug = `app-${seed}`;
    slugs.push(slug);
    await expectStatus(await server.admin('/admin/apps', jsonBody('POST', { slug, name: slug, public_key: keys.publicKey })), 201);
    await expectStatus(await server.admin(`/admin/apps/${slug}/channels`, jsonBody('PUT', { channels: [{ name: 'beta', follows: 'stable' }] })), 200);
    for (const version of versionsOf(0)) await expectStatus(await server.admin(`/admin/apps/${slug}/releases`, jsonBody('POST', { version })), 201);
    const ledger: Ledger = { published: new Map(), expectedAudit: [], auditBaseline: await lastAuditId(server, slug) };
    let known = await releasesOf(server, slug);
    const log: string[] = [];

    for (let batch = 0; batch < BATCHES; batch++) {
      const ops = Array.from({ length: BATCH_SIZE }, () => drawOperation(random, versionsOf(batch), known, blobs));
      log.push(`batch ${batch}:`, ...ops.map((op) => `  ${describeOperation(op)}`));
      const readers = SLOTS.map((slot) => fetch(`${server.url}/update/${slug}/${slot.target}/${slot.arch}/0.0.1?bundle_type=${slot.bundle}`)
        .then(async (res) => ({ what: `update check ${slot.platform}`, status: res.status, text: await res.text() })));
      const outcomes: Outcome[] = await Promise.all(ops.map((op) => fire(server, slug, op)));
      const problems: string[] = [];
      for (const read of await Promise.all(readers)) if (read.status >= 500) problems.push(`${read.what}: ${read.status} ${read.text}`);
      for (const outcome of outcomes) {
        log.push(`  → ${describeOperation(outcome.op)}: ${outcome.status}${outcome.status >= 300 ? ` ${outcome.text.slice(0, 160)}` : ''}`);
        if (outcome.status >= 500 || outcome.status < 200 || (outcome.status >= 300 && outcome.status < 400)) {
          problems.push(`${describeOperation(outcome.op)}: ${outcome.status} ${outcome.text}`);
        }
        if (outcome.auditKey) ledger.expectedAudit.push(outcome.auditKey);
        if (outcome.published) recordPublished(ledger, outcome.published, problems, `answer to ${describeOperation(outcome.op)}`);
      }

      known = await releasesOf(server, slug);
      for (const release of known) if (release.pub_date !== null) recordPublished(ledger, release, problems, `after batch ${batch}`);
      problems.push(...checkStorage(known, await storedObjects(storage, slug)), ...checkDefaults(known));
      problems.push(...(await checkServing(server, slug, known)));
      problems.push(...(await checkStaticManifests(storage, slug, known)));
      problems.push(...(await checkAudit(server, slug, ledger)));
      if (problems.length > 0) {
        throw new Error(`seed ${seed}, batch ${batch} (replay: PROPERTY_SEED=${seed}):\n${problems.join('\n')}\n\noperations:\n${log.join('\n')}\n\nserver output:\n${server.output().slice(-4000)}`);
      }
    }
    // The run did exercise what it is about: uploads were accepted, and something was published.
    expect(ledger.published.size).toBeGreaterThan(0);
    expect(log.some((line) => /→ upload .*: 20[01]/.test(line))).toBe(true);
  }, 60_000);

  it('leaves exactly the objects the artifact rows name, key by key, once the server has stopped', async () => {
    await server.stop();
    const db = await openPGlite({ dataDir });
    try {
      const rows = await sql<{ storage_key: string; sha256: string; size: number }>`
        select a.storage_key, a.sha256, a.size from artifacts a join releases r on r.id = a.release_id join apps p on p.id = r.app_id
        where p.slug in (${sql.join(slugs)})`.execute(db.db);
      const objects = (await Promise.all(slugs.map((slug) => storedObjects(storage, slug)))).flat();
      expect(objects.map((o) => `${o.key} ${o.sha256} ${o.size}`).sort()).toEqual(rows.rows.map((r) => `${r.storage_key} ${r.sha256} ${Number(r.size)}`).sort());
    } finally {
      await db.close();
    }
  }, 30_000);
});
