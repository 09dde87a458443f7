/**
 * Seeded random batches of concurrent CI jobs (trusted publishing: OIDC token exchange, draft, upload request, the
 * bytes PUT to the server's upload URL, complete, sometimes publish), re-runs of the same job with other bytes,
 * updater key rotations (admin PATCH of public_key) and rollout changes, racing admin publish, yank and delete of the
 * same releases, against the real server, once with fs storage (the server's PUT) and once with S3 on s3rver
 * (presigned PUTs). Any 2xx or 4xx is a fine answer; a 5xx is a failure.
 * After each batch settles:
 *   1. every ready artifact's object holds its bytes, and every other object is a pending upload's staged bytes;
 *   2. a published release's artifacts never change once seen published;
 *   3. the update check without an install id offers the newest release at 100% and downloads its bytes
 *      (release-invariants.ts `checkServing`), and the static manifests agree;
 *   4. a ready artifact is verified against the key that signed it, and a newly published release's artifacts were
 *      all signed by one key the app had during that batch;
 *   5. installs with an `X-Install-Id` get the newest published release whose cohort includes them, by a model
 *      written from the README's rule (checked once the server has stopped, with the seeds from its database).
 * Replay a failure with `PROPERTY_SEED=<seed> npm test -- test/robustness/ci-concurrent-operations.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openPGlite } from '../../db/connect.ts';
import { type LocalIssuer, startLocalIssuer, TEST_AUDIENCE } from '../support/oidc-issuer.ts';
import { PROPERTY_SEED, prng } from '../support/prng.ts';
import { seedFromTemplate } from '../support/pglite-template.ts';
import { type RunningS3rver, s3rverStorageEnv, startS3rver } from '../support/s3rver.ts';
import { expectStatus, jsonBody, type RunningServer, startServer } from '../support/server.ts';
import { generateKeyPair, type KeyPair, sign } from '../support/tauri.ts';
import { checkInstall, checkKeys, checkStorageWithUploads, expectedForInstall, type InstallCheck } from './ci-invariants.ts';
import { batchSignals, type CiOutcome, describeCiOperation, drawCiOperation, fireCi, type KeyedBlob } from './ci-operations.ts';
import { checkServing, checkStaticManifests, fsReader, type Ledger, recordPublished, releasesOf, type StorageReader, storedObjects } from './release-invariants.ts';
import { SLOTS, sha256, versionsOf } from './release-operations.ts';
import { s3Reader } from './s3-reader.ts';

/** One seed per storage, to stay within the runtime budget: fs a fixed one, S3 this run's own (`PROPERTY_SEED` replays it on both). */
const FIXED_SEED = 3;
const SEEDS = { fs: process.env.PROPERTY_SEED ? PROPERTY_SEED : FIXED_SEED, s3: PROPERTY_SEED };
const BATCHES = 8;
const BATCH_SIZE = 14;
const INSTALL_IDS = ['install-aaaaaaaa', 'install-bbbbbbbb', 'install-cccccccc', '3f1c2a9e-0b7d-4c55-9a11-6d2f0e8b7c41', 'machine.42:zz~x'];

let work: string;
let keys: [KeyPair, KeyPair];
let issuer: LocalIssuer;
const blobs: KeyedBlob[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tauri-release-ci-concurrent-'));
  keys = [await generateKeyPair(join(work, 'k0')), await generateKeyPair(join(work, 'k1'))] as [KeyPair, KeyPair];
  // Three files, each signed by both keys (unversioned, so they fit every release); one crossed pair per key.
  for (let i = 0; i < 3; i++) {
    const bytes = randomBytes(80_000 + 40_000 * i);
    const file = join(work, `blob-${i}`);
    await writeFile(file, bytes);
    for (const key of [0, 1] as const) blobs.push({ bytes, sha256: sha256(bytes), signature: await sign(file, keys[key]), good: true, key });
  }
  for (const key of [0, 1] as const) blobs.push({ ...blobs[key]!, signature: blobs[2 + key]!.signature, good: false });
  issuer = await startLocalIssuer({ audience: TEST_AUDIENCE });
}, 90_000);

afterAll(async () => {
  await issuer?.close();
  await rm(work, { recursive: true, force: true });
});

describe.each(['fs', 's3'] as const)('concurrent CI jobs, key rotations and rollouts on %s storage', (driver) => {
  const seed = SEEDS[driver];
  let dataDir: string;
  let s3: RunningS3rver | undefined;
  let storage: StorageReader;
  let server: RunningServer;
  const installChecks: InstallCheck[] = [];

  beforeAll(async () => {
    dataDir = join(work, driver);
    await seedFromTemplate(dataDir);
    s3 = driver === 's3' ? await startS3rver() : undefined;
    storage = s3 ? s3Reader(s3) : fsReader(dataDir);
    server = await startServer({ env: { DATA_DIR: dataDir, RATE_LIMITS: 'off', OIDC_ISSUER: issuer.url, OIDC_AUDIENCE: TEST_AUDIENCE, ...(s3 && s3rverStorageEnv(s3)) } });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await s3?.close();
  });

  it(`keeps every invariant through random concurrent batches (seed ${seed})`, async () => {
    const random = prng(seed);
    const slug = `ci-${seed}`;
    const keyIdOf = (app: { public_key_id: string }) => app.public_key_id;
    const keyIds: [string, string] = [keyIdOf(await expectStatus(await server.admin('/admin/apps', jsonBody('POST', { slug, name: slug, public_key: keys[0].publicKey })), 201)), ''];
    keyIds[1] = keyIdOf(await expectStatus(await server.admin(`/admin/apps/${slug}`, jsonBody('PATCH', { public_key: keys[1].publicKey })), 200));
    await expectStatus(await server.admin(`/admin/apps/${slug}`, jsonBody('PATCH', { public_key: keys[0].publicKey })), 200);
    await expectStatus(await server.admin(`/admin/apps/${slug}/channels`, jsonBody('PUT', { channels: [{ name: 'beta', follows: 'stable' }] })), 200);
    const publisher = { repository: 'octo-org/octo-repo', repository_id: '74', repository_owner_id: '65', workflow: 'release.yml', allowed_refs: ['refs/tags/v*'], can_publish: true };
    await expectStatus(await server.admin(`/admin/apps/${slug}/publishers`, jsonBody('POST', publisher)), 201);
    const world = { server, issuer, slug, keys };
    const ledger: Ledger = { published: new Map(), expectedAudit: [], auditBaseline: 0 };
    let currentKey: 0 | 1 = 0;
    let known = await releasesOf(server, slug);
    const log: string[] = [];
    /**
     * Uploads whose job stopped before a successful complete or a refusal of its bytes, by id: their version. (By
     * version, not release id, which the upload's answer does not give: a deleted and re-created draft excuses them.)
     */
    const abandoned = new Map<string, string>();

    for (let batch = 0; batch < BATCHES; batch++) {
      const ops = Array.from({ length: BATCH_SIZE }, () => drawCiOperation(random, versionsOf(batch), known, blobs, currentKey));
      log.push(`batch ${batch}:`, ...ops.map((op) => `  ${describeCiOperation(op)}`));
      const keysOfBatch = new Set<0 | 1>([currentKey]);
      const signals = batchSignals();
      const fired = ops.map((op) => fireCi(world, op, signals));
      // An admin operation waiting for a job event that never came fires once every job has ended.
      void Promise.allSettled(fired.filter((_, i) => ops[i]!.kind === 'ci-job')).then(() => { signals.markUploading(); signals.markCompleted(); });
      const outcomes: CiOutcome[] = await Promise.all(fired);
      const problems: string[] = [];
      for (const { op, steps, published, upload } of outcomes) {
        const completed = steps.find((s) => s.what === 'complete');
        if (upload && !(completed && (completed.status === 200 || completed.status === 422))) abandoned.set(upload.id, upload.version);
        log.push(`  → ${describeCiOperation(op)}: ${steps.map((s) => `${s.what} ${s.status}${s.status >= 300 ? ` ${s.text.slice(0, 140)}` : ''}`).join(', ')}`);
        for (const step of steps) if (step.status >= 500 || step.status < 200 || (step.status >= 300 && step.status < 400)) problems.push(`${describeCiOperation(op)}: ${step.what} ${step.status} ${step.text}`);
        if (op.kind === 'rotate' && steps[0]?.status === 200) keysOfBatch.add(op.key);
        if (published) recordPublished(ledger, published, problems, `answer to ${describeCiOperation(op)}`);
      }
      const app = (await (await server.admin(`/admin/apps/${slug}`)).json()) as { public_key_id: string };
      currentKey = app.public_key_id === keyIds[1] ? 1 : 0;

      known = await releasesOf(server, slug);
      // The install checks below always see a staged rollout: one goes partial when no published release is.
      const live = known.filter((r) => r.status === 'published');
      if (live.length > 0 && !live.some((r) => r.rollout_percent > 0 && r.rollout_percent < 100)) {
        const staged = { version: random.pick(live).version, percent: random.pick([10, 50, 90]) };
        log.push(`  settled: rollout ${staged.version} ${staged.percent}%`);
        await expectStatus(await server.admin(`/admin/apps/${slug}/releases/${staged.version}`, jsonBody('PATCH', { rollout_percent: staged.percent })), 200);
        known = await releasesOf(server, slug);
      }
      const newlyPublished = new Set(known.filter((r) => r.pub_date !== null && !ledger.published.has(r.id)).map((r) => r.id));
      for (const release of known) if (release.pub_date !== null) recordPublished(ledger, release, problems, `after batch ${batch}`);
      const drafts = new Set(known.filter((r) => r.status === 'draft').map((r) => r.version));
      const mayStay = (uploadId: string) => drafts.has(abandoned.get(uploadId) ?? '');
      problems.push(...checkStorageWithUploads(known, await storedObjects(storage, slug), mayStay));
      problems.push(...checkKeys(known, blobs, keyIds, keysOfBatch, newlyPublished));
      problems.push(...(await checkServing(server, slug, known)));
      problems.push(...(await checkStaticManifests(storage, slug, known)));
      for (const installId of INSTALL_IDS) {
        for (const slot of [SLOTS[0]!, SLOTS[3]!]) {
          for (const channel of ['stable', 'beta']) {
            const check = await checkInstall(server, slug, batch, installId, slot, channel, known);
            if (typeof check === 'string') problems.push(check);
            else installChecks.push(check);
          }
        }
      }
      if (problems.length > 0) {
        throw new Error(`seed ${seed}, batch ${batch} (replay: PROPERTY_SEED=${seed}):\n${problems.join('\n')}\n\noperations:\n${log.join('\n')}\n\nserver output:\n${server.output().slice(-4000)}`);
      }
    }
    // The run did exercise what it is about: CI jobs completed uploads, something was published, a key was rotated.
    expect(log.some((line) => /→ ci job .*complete 200/.test(line))).toBe(true);
    expect(ledger.published.size).toBeGreaterThan(0);
  }, 60_000);

  it('offered each install id the newest published release whose cohort includes it', async () => {
    await server.stop();
    const db = await openPGlite({ dataDir });
    let seeds: Map<string, string>;
    try {
      const rows = await sql<{ id: string; rollout_seed: string }>`select id, rollout_seed from releases`.execute(db.db);
      seeds = new Map(rows.rows.map((row) => [row.id, row.rollout_seed]));
    } finally {
      await db.close();
    }
    const wrong: string[] = [];
    let judged = 0;
    let staged = 0;
    for (const check of installChecks) {
      const expected = expectedForInstall(check, seeds);
      if (expected === undefined) continue;
      judged++;
      if (check.releases.some((r) => r.status === 'published' && r.rollout_percent > 0 && r.rollout_percent < 100)) staged++;
      if (expected !== check.offered) {
        wrong.push(`batch ${check.batch}, install ${check.installId}, ${check.slot.platform}/${check.slot.bundle} on ${check.channel}: offered ${check.offered ?? '204'}, expected ${expected ?? '204'}\n  releases: ${JSON.stringify(check.releases.map((r) => [r.version, r.status, r.channel, r.rollout_percent]))}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(judged).toBeGreaterThan(installChecks.length / 2);
    // The fixed seed is known to check installs while a release is at a partial rollout; a run's own seed may draw
    // batches in which no judged check meets one (nothing left published, say): less coverage, not a defect.
    if (seed === FIXED_SEED) expect(staged).toBeGreaterThan(0);
    else if (staged === 0) console.warn(`seed ${seed} on ${driver}: no install check saw a partial rollout this run`);
  }, 30_000);
});
