import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalIssuer, startLocalIssuer } from '../../../test/support/oidc-issuer.ts';
import { testEngines } from '../../../test/support/postgres.ts';
import { type RunningS3rver, startS3rver } from '../../../test/support/s3rver.ts';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import { S3Storage } from '../storage/s3.ts';
import { auditRows, type CiHarness, createCiHarness, insertApp, oidcCredential, releasesPath, runLeg, type SignedArtifact, signedArtifact } from './testing.ts';

const KIB = 1024;

/** A release matrix: eight legs, each its own platform and bundle; three are big enough for multipart. */
const LEGS = [
  ['linux-x86_64', 'par_1.0.0_amd64.AppImage', 40],
  ['linux-x86_64', 'par_1.0.0_amd64.deb', 30],
  ['linux-x86_64', 'par-1.0.0-1.x86_64.rpm', 30],
  ['linux-aarch64', 'par_1.0.0_aarch64.AppImage', 150],
  ['darwin-aarch64', 'Par_aarch64.app.tar.gz', 140],
  ['darwin-x86_64', 'Par_x64.app.tar.gz', 20],
  ['windows-x86_64', 'Par_1.0.0_x64-setup.exe', 130],
  ['windows-x86_64', 'Par_1.0.0_x64_en-US.msi', 25],
] as const;

/**
 * Eight matrix legs register one version at the same moment, each with its own credential, against s3rver
 * over real HTTP: on PGlite, and on PostgreSQL through the Neon driver (real parallel connections) when
 * TEST_DATABASE_URL is set.
 */
describe.each(testEngines)('eight parallel legs on $name', ({ open }) => {
  let issuer: LocalIssuer;
  let s3: RunningS3rver;
  let h: CiHarness;
  let dir: string;
  let key: KeyPair;
  let app: { id: string; slug: string };
  let files: SignedArtifact[];

  const releaseState = async () => {
    const db = h.ctx.database.db;
    const releases = await db.selectFrom('releases').selectAll().where('app_id', '=', app.id).execute();
    const artifacts = await db.selectFrom('artifacts').selectAll().where('release_id', 'in', releases.map((r) => r.id)).orderBy('file_name').execute();
    return { releases, artifacts };
  };
  const legs = () =>
    Promise.all(
      LEGS.map(async ([platform], index) => {
        const credential = await oidcCredential(h, issuer, app, true);
        return runLeg(h, credential, 'par-app', '1.0.0', platform, files[index]!);
      }),
    );

  beforeAll(async () => {
    issuer = await startLocalIssuer();
    s3 = await startS3rver();
    h = await createCiHarness({
      openDatabase: open,
      storage: new S3Storage(s3.config),
      env: { OIDC_ISSUER: issuer.url, OIDC_AUDIENCE: issuer.audience },
      uploadLimits: { multipartThresholdBytes: 100 * KIB, partSizeBytes: 32 * KIB },
    });
    dir = await mkdtemp(join(tmpdir(), 'ci-parallel-'));
    key = await generateKeyPair(dir);
    app = { id: await insertApp(h, 'par-app', key.publicKey), slug: 'par-app' };
    await oidcCredential(h, issuer, app, true); // binds the publisher once, before the legs race
    files = await Promise.all(LEGS.map(([, name, kib]) => signedArtifact(dir, key, name, randomBytes(kib * KIB), '1.0.0')));
  });
  afterAll(async () => {
    await h?.close();
    await s3?.close();
    await issuer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('end with one release and eight ready artifacts, and no 5xx', async () => {
    const results = await legs();
    for (const result of results) expect(result.statuses).toEqual([expect.any(Number), 201, 200, 200]);
    // Exactly one leg created the release; the others reused it.
    expect(results.map((r) => r.statuses[0]).sort()).toEqual([200, 200, 200, 200, 200, 200, 200, 201]);

    const { releases, artifacts } = await releaseState();
    expect(releases).toHaveLength(1);
    expect(releases[0]).toMatchObject({ version: '1.0.0', status: 'draft' });
    expect(artifacts).toHaveLength(8);
    expect(artifacts.every((a) => a.state === 'ready' && a.verified_key_id !== null)).toBe(true);
    expect(artifacts.map((a) => `${a.platform} ${a.bundle}`).sort()).toEqual(
      LEGS.map(([platform, name]) => `${platform} ${name.endsWith('.deb') ? 'deb' : name.endsWith('.rpm') ? 'rpm' : name.endsWith('.msi') ? 'msi' : name.endsWith('.exe') ? 'nsis' : name.endsWith('.tar.gz') ? 'app' : 'appimage'}`).sort(),
    );
    expect(await auditRows(h, 'release.create')).toHaveLength(1);
    expect(await auditRows(h, 'artifact.upload')).toHaveLength(8);
  });

  it('end the same when the whole matrix runs again at once, replacing each artifact cleanly, and publish', async () => {
    const before = await releaseState();
    const results = await legs();
    for (const result of results) expect(result.statuses).toEqual([200, 201, 200, 200]);
    const after = await releaseState();
    expect(after.releases).toHaveLength(1);
    expect(after.artifacts.map((a) => a.id)).toEqual(before.artifacts.map((a) => a.id));
    expect(after.artifacts.every((a) => a.state === 'ready')).toBe(true);
    // The replaced objects are gone; the new ones hold the same bytes.
    for (const old of before.artifacts) expect(await h.ctx.storage.head(old.storage_key)).toBeNull();
    for (const artifact of after.artifacts) expect((await h.ctx.storage.head(artifact.storage_key))?.size).toBe(artifact.size);
    expect(await auditRows(h, 'artifact.replace')).toHaveLength(8);

    const credential = await oidcCredential(h, issuer, app, true);
    const published = await Promise.all([1, 2, 3].map(() => h.call('POST', `${releasesPath('par-app', '1.0.0')}/publish`, { auth: credential })));
    expect(published.map((p) => p.status)).toEqual([200, 200, 200]);
    expect(await auditRows(h, 'release.publish')).toHaveLength(1);
    const check = await h.app.request('/update/par-app/windows/x86_64/0.9.0?bundle_type=msi');
    expect(check.status).toBe(200);
    expect(((await check.json()) as { signature: string }).signature).toBe(files[7]!.signature);
  });
});
