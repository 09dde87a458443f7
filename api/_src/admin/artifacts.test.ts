import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestContext, type TestContext } from '../../../test/support/context.ts';
import { controlPlaneListener } from '../listener.ts';
import { generateKeyPair, type KeyPair } from '../../../test/support/tauri.ts';
import { artifactListSchema, artifactSchema } from '../protocol/schemas.ts';
import { artifactParts, createRelease, type Part, signedFile, type SignedFile, storedBytes, storedFiles, storedUploadFolders, upload } from './release-testing.ts';
import { auditRows, call, insertApp, insertKey } from './testing.ts';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('admin artifacts', () => {
  let ctx: TestContext;
  let dir: string;
  let key: KeyPair;
  let otherKey: KeyPair;
  let appImage: SignedFile;
  let deb: SignedFile;
  let nsis: SignedFile;
  let appId: string;
  let release: { id: string; version: string };
  let path: string;

  const artifactRows = (releaseId = release.id) =>
    ctx.database.db.selectFrom('artifacts').selectAll().where('release_id', '=', releaseId).orderBy('file_name').execute();
  /** Where the artifact's bytes are stored: a key of its upload's own (protocol/storage-keys.ts `stagedKey`). */
  const storageKeyOf = async (artifactId: string) =>
    (await ctx.database.db.selectFrom('artifacts').select('storage_key').where('id', '=', artifactId).executeTakeFirstOrThrow()).storage_key;

  beforeAll(async () => {
    ctx = await createTestContext();
    dir = await mkdtemp(join(tmpdir(), 'artifacts-test-'));
    [key, otherKey] = await Promise.all([generateKeyPair(join(dir)), mkdtemp(join(dir, 'other-')).then(generateKeyPair)]);
    appImage = await signedFile(dir, key, 'my-app_1.2.3_amd64.AppImage', randomBytes(3000));
    deb = await signedFile(dir, key, 'my-app_1.2.3_amd64.deb', randomBytes(2000));
    nsis = await signedFile(dir, key, 'My App_1.2.3_x64-setup.exe', randomBytes(1000));
    appId = await insertApp(ctx, 'my-app');
    await ctx.database.db.updateTable('apps').set({ public_key: key.publicKey }).where('id', '=', appId).execute();
    release = await createRelease(ctx, 'my-app', '1.2.3');
    path = `/admin/apps/my-app/releases/${release.id}/artifacts`;
  });
  afterAll(async () => {
    await ctx.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a real Tauri-signed AppImage, deriving the bundle, with size and sha256, audited', async () => {
    const res = await upload(ctx, path, artifactParts('linux-x86_64', appImage));
    expect(res.status).toBe(201);
    const artifact = artifactSchema.parse(res.body);
    expect(artifact).toMatchObject({
      platform: 'linux-x86_64',
      bundle: 'appimage',
      file_name: appImage.name,
      size: appImage.bytes.length,
      sha256: sha256(appImage.bytes),
      is_default: false,
      signature: appImage.signature,
      download_path: '/download/my-app/1.2.3/my-app_1.2.3_amd64.AppImage',
    });
    const decodedPub = Buffer.from(key.publicKey, 'base64').toString('utf8');
    // Tools differ on whether the id's leading zeros are written; compare the number itself.
    const pubKeyId = /minisign public key: ([0-9A-F]+)/i.exec(decodedPub)?.[1] ?? '';
    expect(pubKeyId.replace(/^0+/, '')).toBe(artifact.signature_key_id!.replace(/^0+/, ''));
    const storageKey = await storageKeyOf(artifact.id);
    expect(storageKey).toMatch(/^my-app\/releases\/1\.2\.3\/uploads\/[0-9a-f-]{36}\/my-app_1\.2\.3_amd64\.AppImage$/);
    expect(await storedBytes(ctx, storageKey)).toEqual(Buffer.from(appImage.bytes));
    expect(artifact.verified_key_id).toBe(artifact.signature_key_id);
    const audit = (await auditRows(ctx, 'artifact.upload')).at(-1)!;
    expect(audit).toMatchObject({ actor: 'token:ADMIN_TOKEN', app_id: appId, target: `artifact:${artifact.id}` });
    expect(audit.details).toMatchObject({ version: '1.2.3', platform: 'linux-x86_64', bundle: 'appimage', sha256: artifact.sha256 });

    const listed = await call(ctx, 'GET', path);
    expect(listed.status).toBe(200);
    expect(artifactListSchema.parse(listed.body).artifacts).toEqual([artifact]);
    expect((await call(ctx, 'GET', `/admin/apps/my-app/releases/${release.id}`)).body.artifacts).toEqual([artifact]);
  });

  it('accepts the signature as a file part and a Windows NSIS installer with is_default', async () => {
    const res = await upload(ctx, path, [
      ['platform', 'windows-x86_64'],
      ['is_default', 'true'],
      ['signature', { fileName: `${nsis.name}.sig`, bytes: new TextEncoder().encode(nsis.signature) }],
      ['file', { fileName: nsis.name, bytes: nsis.bytes }],
    ]);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ platform: 'windows-x86_64', bundle: 'nsis', is_default: true, signature: nsis.signature });
  });

  it('keeps one default per platform: a new default clears the old one', async () => {
    const first = await upload(ctx, path, artifactParts('linux-x86_64', appImage, [['is_default', 'true']]));
    expect(first.status).toBe(200);
    const second = await upload(ctx, path, artifactParts('linux-x86_64', deb, [['is_default', '1']]));
    expect(second.status).toBe(201);
    const rows = await artifactRows();
    const linux = rows.filter((row) => row.platform === 'linux-x86_64').map((row) => [row.bundle, row.is_default]);
    expect(linux).toEqual([['appimage', false], ['deb', true]]);
  });

  describe('replacing', () => {
    it('replaces the same platform and bundle: one row, the new bytes, the old object deleted', async () => {
      const renamed = await signedFile(dir, key, 'my-app_1.2.3_amd64-fixed.deb', randomBytes(2500));
      const before = (await artifactRows()).find((row) => row.bundle === 'deb')!;
      const res = await upload(ctx, path, artifactParts('linux-x86_64', renamed));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: before.id, file_name: renamed.name, size: 2500, sha256: sha256(renamed.bytes), is_default: true });
      const debs = (await artifactRows()).filter((row) => row.bundle === 'deb');
      expect(debs).toHaveLength(1);
      expect(await storedBytes(ctx, debs[0]!.storage_key)).toEqual(Buffer.from(renamed.bytes));
      expect(await storedBytes(ctx, before.storage_key)).toBeNull();
      expect((await auditRows(ctx, 'artifact.replace')).at(-1)!.details).toMatchObject({ file_name: renamed.name, size: 2500 });
    });

    it('replaces in place when the file name is the same', async () => {
      const again = await signedFile(dir, key, appImage.name, randomBytes(4000));
      const res = await upload(ctx, path, artifactParts('linux-x86_64', again));
      expect(res.status).toBe(200);
      const rows = (await artifactRows()).filter((row) => row.bundle === 'appimage');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ size: 4000, sha256: sha256(again.bytes), signature: again.signature });
      expect(await storedBytes(ctx, rows[0]!.storage_key)).toEqual(Buffer.from(again.bytes));
      appImage = again;
    });

    it('refuses a file name another platform of the release already uses (409)', async () => {
      const res = await upload(ctx, path, artifactParts('linux-aarch64', appImage));
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(/already used by the linux-x86_64 appimage artifact of this release; file names are unique per release/);
      const [kept] = (await artifactRows()).filter((row) => row.file_name === appImage.name);
      expect(await storedBytes(ctx, kept!.storage_key)).toEqual(Buffer.from(appImage.bytes));
    });
  });

  describe('refusals leave no row and no object', () => {
    let filesBefore: string[];
    let foldersBefore: string[];
    let rowsBefore: number;
    beforeAll(async () => {
      filesBefore = await storedFiles(ctx);
      foldersBefore = await storedUploadFolders(ctx);
      rowsBefore = (await artifactRows()).length;
    });
    const expectNothingChanged = async () => {
      expect(await storedFiles(ctx)).toEqual(filesBefore);
      // Nor an empty folder of the refused upload's own (filesystem storage).
      expect(await storedUploadFolders(ctx)).toEqual(foldersBefore);
      expect(await artifactRows()).toHaveLength(rowsBefore);
    };
    const rpm = () => ({ fileName: 'my-app-1.2.3-1.x86_64.rpm', bytes: randomBytes(100) });
    const cases: Array<[string, () => Part[], RegExp]> = [
      ['a garbage signature', () => [['platform', 'linux-x86_64'], ['signature', 'not a signature'], ['file', rpm()]], /^invalid signature: it is not standard \(padded\) base64/],
      [
        'the decoded signature text',
        () => [['platform', 'linux-x86_64'], ['signature', Buffer.from(deb.signature, 'base64').toString('utf8')], ['file', rpm()]],
        /^invalid signature: this is the decoded signature text, but Tauri expects it base64-encoded once more/,
      ],
      [
        'a signature whose line 3 is not a trusted comment',
        () => {
          const lines = Buffer.from(deb.signature, 'base64').toString('utf8').split('\n');
          lines[2] = 'comment: edited';
          return [['platform', 'linux-x86_64'], ['signature', Buffer.from(lines.join('\n')).toString('base64')], ['file', rpm()]];
        },
        /^invalid signature: line 3 does not start with "trusted comment: "/,
      ],
      [
        'a signature with line 2 cut short',
        () => {
          const lines = Buffer.from(deb.signature, 'base64').toString('utf8').split('\n');
          lines[1] = lines[1]!.slice(0, 40);
          return [['platform', 'linux-x86_64'], ['signature', Buffer.from(lines.join('\n')).toString('base64')], ['file', rpm()]];
        },
        /^invalid signature: line 2 must be base64 of 74 bytes/,
      ],
      ['no signature', () => [['platform', 'linux-x86_64'], ['file', rpm()]], /^field "signature" is required/],
      ['no platform', () => [['signature', deb.signature], ['file', rpm()]], /^field "platform" is required/],
      ['an unknown platform', () => [['platform', 'macos-arm64'], ['signature', deb.signature], ['file', rpm()]], /^platform "macos-arm64" is not \{os\}-\{arch\}/],
      ['a bundle of another OS', () => [['platform', 'windows-x86_64'], ['signature', deb.signature], ['file', rpm()]], /^a rpm bundle cannot be installed on windows/],
      ['a macOS bundle for Linux', () => [['platform', 'linux-x86_64'], ['signature', deb.signature], ['file', { fileName: 'My App.app.tar.gz', bytes: randomBytes(10) }]], /^a app bundle cannot be installed on linux/],
      ['an unknown bundle', () => [['platform', 'linux-x86_64'], ['bundle', 'snap'], ['signature', deb.signature], ['file', rpm()]], /^bundle "snap" is not one of/],
      ['a bundle that contradicts the name', () => [['platform', 'linux-x86_64'], ['bundle', 'deb'], ['signature', deb.signature], ['file', rpm()]], /is a rpm artifact, but bundle=deb was sent/],
      ['a name with no bundle type', () => [['platform', 'linux-x86_64'], ['signature', deb.signature], ['file', { fileName: 'my-app.tar.gz', bytes: randomBytes(10) }]], /^cannot tell the bundle type from file name "my-app.tar.gz"/],
      ['a DMG, which only the CI API registers', () => [['platform', 'darwin-aarch64'], ['file', { fileName: 'My App_1.0.0_aarch64.dmg', bytes: randomBytes(10) }]], /^My App_1\.0\.0_aarch64\.dmg is a DMG, an installer only .*register a DMG through the CI API/],
      ['a DMG sent as an app bundle', () => [['platform', 'darwin-aarch64'], ['bundle', 'app'], ['signature', deb.signature], ['file', { fileName: 'My App_1.0.0_aarch64.dmg', bytes: randomBytes(10) }]], /is a DMG, an installer only/],
      ['a hidden file name', () => [['platform', 'linux-x86_64'], ['bundle', 'deb'], ['signature', deb.signature], ['file', { fileName: '.x.deb', bytes: randomBytes(10) }]], /^file name ".x.deb" is not allowed/],
      ['is_default that is not a boolean', () => [['platform', 'linux-x86_64'], ['signature', deb.signature], ['is_default', 'maybe'], ['file', rpm()]], /^field "is_default" must be true or false/],
      ['a field after the file', () => [['platform', 'linux-x86_64'], ['file', rpm()], ['signature', deb.signature]], /^field "signature" is required/],
      ['a field after a complete upload', () => [['platform', 'linux-x86_64'], ['signature', deb.signature], ['file', { fileName: deb.name, bytes: deb.bytes }], ['is_default', 'true']], /^field "is_default" came after the file part; send every field before the file part/],
      ['no file part', () => [['platform', 'linux-x86_64'], ['signature', deb.signature]], /^the request has no part named "file"/],
      ['an unknown field', () => [['platform', 'linux-x86_64'], ['channel', 'beta'], ['signature', deb.signature], ['file', rpm()]], /^unknown field "channel"/],
      ['NUL in a field', () => [['platform', 'linux-x86_64\u0000'], ['signature', deb.signature], ['file', rpm()]], /^platform: must not contain U\+0000 or unpaired surrogates$/],
      ['a file part under another name', () => [['platform', 'linux-x86_64'], ['signature', deb.signature], ['artifact', rpm()]], /^unexpected file part "artifact"/],
    ];
    it.each(cases)('refuses %s with 400', async (_name, parts, message) => {
      const res = await upload(ctx, path, parts());
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toMatch(message);
      await expectNothingChanged();
    });

    it('refuses a body that is not multipart with 400', async () => {
      const res = await call(ctx, 'POST', path, { body: { platform: 'linux-x86_64' } });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/^expected Content-Type: multipart\/form-data/);
      await expectNothingChanged();
    });

    it('refuses a client that goes away mid-file with 400, leaving no temporary file nor its folder', async () => {
      const boundary = 'abort-boundary';
      const head = partsHead(boundary, [['platform', 'linux-x86_64'], ['signature', deb.signature]], 'my-app-1.2.3-1.x86_64.rpm');
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (sent === 0) controller.enqueue(head);
          else if (sent < 4) controller.enqueue(randomBytes(256 * 1024));
          else controller.error(new Error('client went away'));
          sent++;
        },
      });
      const res = await ctx.app.request(rawRequest(path, boundary, body, ctx.adminAuth));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^the upload was interrupted: client went away/);
      await expectNothingChanged();
    });

    it('refuses NUL in the file name (percent-encoded in RFC 5987 filename*, which busboy decodes) with 400', async () => {
      const boundary = 'nul-boundary';
      const head = new TextDecoder().decode(partsHead(boundary, [['platform', 'linux-x86_64'], ['signature', deb.signature]], 'x'))
        .replace('filename="x"', "filename*=UTF-8''my-app-1.2.3-1.x86_64%00.rpm");
      const body = new Blob([head, new Uint8Array(randomBytes(100)), `\r\n--${boundary}--\r\n`]).stream();
      const res = await ctx.app.request(rawRequest(path, boundary, body, ctx.adminAuth));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe('file (its file name): must not contain U+0000 or unpaired surrogates');
      await expectNothingChanged();
    });

    it('refuses a body that ends in the middle of the file with 400', async () => {
      const boundary = 'truncated-boundary';
      const head = partsHead(boundary, [['platform', 'linux-x86_64'], ['signature', deb.signature]], 'my-app-1.2.3-1.x86_64.rpm');
      const body = new Blob([new Uint8Array(head), new Uint8Array(randomBytes(5000))]).stream();
      const res = await ctx.app.request(rawRequest(path, boundary, body, ctx.adminAuth));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/Unexpected end of (form|file)/);
      await expectNothingChanged();
    });
  });

  describe('with the app\'s public key, the signature is verified against the bytes', () => {
    let signedApp: string;
    let signedPath: string;
    let signedRelease: string;
    beforeAll(async () => {
      signedApp = await insertApp(ctx, 'signed');
      await ctx.database.db.updateTable('apps').set({ public_key: key.publicKey }).where('id', '=', signedApp).execute();
      const draft = await createRelease(ctx, 'signed', '2.0.0');
      signedRelease = draft.id;
      signedPath = `/admin/apps/signed/releases/${draft.id}/artifacts`;
    });

    it('accepts a file signed by the app\'s key for this version', async () => {
      const file = await signedFile(dir, key, 'Signed_2.0.0_x64_en-US.msi', randomBytes(5000), '2.0.0');
      const res = await upload(ctx, signedPath, artifactParts('windows-x86_64', file));
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ bundle: 'msi', size: 5000 });
    });

    // The ingest check's rules, as the CI API names them (releases/ingest.ts); until 2026-12 this was a plain 400.
    it.each([
      ['another key', async () => signedFile(await mkdtemp(join(dir, 'k-')), otherKey, 'Signed.app.tar.gz', randomBytes(100)), 'key_id_mismatch', /signed with key [0-9A-F]{16} but the app's public key is [0-9A-F]{16}/],
      ['other bytes', async () => ({ ...(await signedFile(dir, key, 'Signed.app.tar.gz', randomBytes(100))), bytes: randomBytes(100) }), 'invalid_signature', /the signature does not match the file's 100 bytes/],
      ['another version', async () => signedFile(dir, key, 'Signed.app.tar.gz', randomBytes(100), '1.9.9'), 'signed_version_mismatch', /the artifact was signed for version "1.9.9" but the release is "2.0.0"/],
    ])('refuses a signature made with %s (422 naming the rule), storing nothing', async (_name, make, rule, message) => {
      const before = await storedFiles(ctx);
      const foldersBefore = await storedUploadFolders(ctx);
      const file = await make();
      const res = await upload(ctx, signedPath, artifactParts('darwin-aarch64', file));
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toMatch(new RegExp(`^artifact Signed\\.app\\.tar\\.gz \\(darwin-aarch64\\) refused by rule "${rule}": `));
      expect(res.body.error.message).toMatch(message);
      expect(await storedFiles(ctx)).toEqual(before);
      expect(await storedUploadFolders(ctx)).toEqual(foldersBefore);
      expect((await call(ctx, 'GET', signedPath)).body.artifacts).toHaveLength(1);
    });

    it('refuses an upload to an app without a public key (409 no_public_key), storing nothing', async () => {
      await insertApp(ctx, 'keyless');
      const draft = await createRelease(ctx, 'keyless', '2.0.0');
      const before = await storedFiles(ctx);
      const file = await signedFile(dir, key, 'Keyless_2.0.0_x64_en-US.msi', randomBytes(100), '2.0.0');
      const res = await upload(ctx, `/admin/apps/keyless/releases/${draft.id}/artifacts`, artifactParts('windows-x86_64', file));
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('conflict');
      expect(res.body.error.message).toMatch(/^artifact Keyless_2\.0\.0_x64_en-US\.msi \(windows-x86_64\) refused by rule "no_public_key": the app has no public key/);
      expect(await storedFiles(ctx)).toEqual(before);
      expect(await artifactRows(draft.id)).toHaveLength(0);
    });

    it('refuses uploads and deletes once the release is published (409 naming the fix)', async () => {
      expect((await call(ctx, 'POST', `/admin/apps/signed/releases/${signedRelease}/publish`)).status).toBe(200);
      const filesBefore = await storedFiles(ctx);
      const file = await signedFile(dir, key, 'Signed_2.0.0_x64-setup.exe', randomBytes(100), '2.0.0');
      const res = await upload(ctx, signedPath, artifactParts('windows-x86_64', file));
      expect(res.status).toBe(409);
      expect(res.body.error.message).toBe(
        "cannot upload an artifact: release 2.0.0 is published, and a published release's artifacts are immutable; create a new version instead (or archive this one)",
      );
      const [row] = await artifactRows(signedRelease);
      const deleted = await call(ctx, 'DELETE', `${signedPath}/${row!.id}`);
      expect(deleted.status).toBe(409);
      expect(await storedFiles(ctx)).toEqual(filesBefore);
      expect(await artifactRows(signedRelease)).toHaveLength(1);
    });
  });

  it('streams a multi-megabyte raw body to storage before the request has finished arriving', async () => {
    const boundary = 'stream-boundary';
    const file = await signedFile(dir, key, 'Big_1.2.3_aarch64.app.tar.gz', randomBytes(12 * 1024 * 1024));
    const head = partsHead(boundary, [['platform', 'darwin-aarch64'], ['signature', file.signature]], file.name);
    const chunk = 512 * 1024;
    let offset = -1;
    let sawPartialObject = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (offset < 0) {
          controller.enqueue(head);
          offset = 0;
        } else if (offset < file.bytes.length) {
          // Halfway through, wait until storage already holds part of the file: proof it is not buffered first.
          if (offset === 6 * 1024 * 1024) sawPartialObject = await partialUploadAppears(ctx, 'my-app/releases/1.2.3', 2 * 1024 * 1024);
          controller.enqueue(file.bytes.subarray(offset, offset + chunk));
          offset += chunk;
        } else {
          controller.enqueue(new TextEncoder().encode(`\r\n--${boundary}--\r\n`));
          controller.close();
        }
      },
    });
    const res = await ctx.app.request(rawRequest(path, boundary, body, ctx.adminAuth));
    expect(res.status).toBe(201);
    expect(sawPartialObject).toBe(true);
    const stored = (await res.json()) as { id: string };
    expect(stored).toMatchObject({ platform: 'darwin-aarch64', bundle: 'app', size: file.bytes.length, sha256: sha256(file.bytes) });
    const storedFile = join(ctx.dataDir, 'objects', await storageKeyOf(stored.id));
    expect((await stat(storedFile)).size).toBe(file.bytes.length);
    expect(sha256(await readFile(storedFile))).toBe(sha256(file.bytes));
  });

  it('keeps a published artifact\'s bytes when an upload of the same file name, refused once the release is published, ends after it', async () => {
    const draft = await createRelease(ctx, 'my-app', '1.2.9');
    const releasePath = `/admin/apps/my-app/releases/${draft.id}`;
    const original = await signedFile(dir, key, 'my-app_1.2.9_amd64.AppImage', randomBytes(4000));
    expect((await upload(ctx, `${releasePath}/artifacts`, artifactParts('linux-x86_64', original))).status).toBe(201);
    // The same file name again, streamed slowly; the release is published while its bytes arrive.
    const late = await signedFile(dir, key, 'my-app_1.2.9_amd64.AppImage', randomBytes(3 * 1024 * 1024));
    const boundary = 'late-boundary';
    const chunk = 512 * 1024;
    let offset = -1;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (offset < 0) {
          controller.enqueue(partsHead(boundary, [['platform', 'linux-x86_64'], ['signature', late.signature]], late.name));
          offset = 0;
        } else if (offset < late.bytes.length) {
          if (offset === chunk) expect((await call(ctx, 'POST', `${releasePath}/publish`)).status).toBe(200);
          controller.enqueue(late.bytes.subarray(offset, offset + chunk));
          offset += chunk;
        } else {
          controller.enqueue(new TextEncoder().encode(`\r\n--${boundary}--\r\n`));
          controller.close();
        }
      },
    });
    const res = await ctx.app.request(rawRequest(`${releasePath}/artifacts`, boundary, body, ctx.adminAuth));
    expect(res.status).toBe(409);
    // Before uploads had keys of their own, the late bytes had replaced the published artifact's under its name.
    const [row] = await artifactRows(draft.id);
    expect(row).toMatchObject({ file_name: original.name, sha256: sha256(original.bytes) });
    expect(await storedBytes(ctx, row!.storage_key)).toEqual(Buffer.from(original.bytes));
    expect((await storedFiles(ctx)).filter((file) => file.startsWith('my-app/releases/1.2.9/'))).toEqual([row!.storage_key]);
  });

  it('answers a refusal that leaves the body unread with Connection: close, so a keep-alive client does not reuse the socket', async () => {
    // The upload stops reading at the first bad part and the socket is closed after the answer: announced as
    // keep-alive, the client's next request on that socket failed with "socket hang up".
    const server = createServer(controlPlaneListener(ctx.deps));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, target: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port: (server.address() as AddressInfo).port, method, path: target, headers: { authorization: ctx.adminAuth, ...headers } }, (res) => {
          res.resume().on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
        });
        req.on('error', reject);
        req.end(body);
      });
    try {
      const boundary = 'unread-boundary';
      const body = `--${boundary}\r\nContent-Disposition: form-data; name="unknown"\r\n\r\nx\r\n`.repeat(20_000) + `--${boundary}--\r\n`;
      const refused = await send('POST', path, { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(Buffer.byteLength(body)) }, body);
      expect(refused).toEqual({ status: 400, connection: 'close' });
      expect((await send('GET', path, {})).status).toBe(200);
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads the small rest of a refused upload before answering, so a client still sending it gets the answer on a reusable connection', async () => {
    // Answered and closed at the first bad part, a client still writing the file part had its write cut (EPIPE)
    // instead of reading the 400.
    const server = createServer(controlPlaneListener(ctx.deps));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const port = (server.address() as AddressInfo).port;
    try {
      const boundary = 'slow-boundary';
      const head = `--${boundary}\r\nContent-Disposition: form-data; name="platform"\r\n\r\nnot a platform\u0000\r\n`;
      const rest = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="my-app_1.2.3_amd64.AppImage"\r\n\r\n${'x'.repeat(200_000)}\r\n--${boundary}--\r\n`;
      const refused = await new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port, method: 'POST', path, headers: { authorization: ctx.adminAuth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(Buffer.byteLength(head + rest)) } }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk)).on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body }));
        });
        req.on('error', reject);
        req.write(head);
        // The rest comes after the server has seen the bad field, in pieces, as a slow link sends a file.
        setTimeout(() => {
          for (let at = 0; at < rest.length; at += 16_384) req.write(rest.slice(at, at + 16_384));
          req.end();
        }, 200);
      });
      expect(refused.status).toBe(400);
      expect(refused.connection).toBe('keep-alive');
      expect(JSON.parse(refused.body).error.code).toBe('invalid_request');
      const next = await new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = request({ agent, host: '127.0.0.1', port, method: 'GET', path, headers: { authorization: ctx.adminAuth } }, (res) => {
          res.resume().on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(next).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  describe('keys and release status', () => {
    it('lets a CI key upload; an app-scoped key of another app gets 404', async () => {
      const ci = await insertKey(ctx, 'ci', appId);
      const aarch = await signedFile(dir, key, 'my-app_1.2.3_aarch64.AppImage', randomBytes(300));
      const res = await upload(ctx, path, artifactParts('linux-aarch64', aarch), ci.auth);
      expect(res.status).toBe(201);
      expect((await auditRows(ctx, 'artifact.upload')).at(-1)!.actor).toBe(`key:${ci.id}`);

      const stranger = await insertKey(ctx, 'admin', await insertApp(ctx, 'stranger'));
      expect((await upload(ctx, path, artifactParts('linux-aarch64', aarch), stranger.auth)).status).toBe(404);
      expect((await call(ctx, 'GET', path, { auth: stranger.auth })).status).toBe(404);
      expect((await call(ctx, 'DELETE', `${path}/${res.body.id}`, { auth: ci.auth })).status).toBe(403);
    });

    it('deletes an artifact of a draft with its object, audited; 404 for unknown ids', async () => {
      const rows = await artifactRows();
      const victim = rows.find((row) => row.platform === 'linux-aarch64')!;
      expect((await call(ctx, 'DELETE', `${path}/not-a-uuid`)).status).toBe(404);
      expect((await call(ctx, 'DELETE', `${path}/00000000-0000-4000-8000-000000000000`)).status).toBe(404);
      const res = await ctx.app.request(`${path}/${victim.id}`, { method: 'DELETE', headers: { authorization: ctx.adminAuth } });
      expect(res.status).toBe(204);
      expect(await artifactRows()).toHaveLength(rows.length - 1);
      expect(await storedBytes(ctx, victim.storage_key)).toBeNull();
      expect((await auditRows(ctx, 'artifact.delete')).at(-1)).toMatchObject({ target: `artifact:${victim.id}` });
    });
  });
});

/** Multipart text fields, then the header of a `file` part (its bytes follow). */
function partsHead(boundary: string, fields: Array<[string, string]>, fileName: string): Uint8Array {
  let text = '';
  for (const [name, value] of fields) text += `--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  text += `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${fileName}"\r\ncontent-type: application/octet-stream\r\n\r\n`;
  return new TextEncoder().encode(text);
}

function rawRequest(path: string, boundary: string, body: ReadableStream<Uint8Array>, auth: string): Request {
  return new Request(`http://localhost${path}`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
    duplex: 'half',
  } as RequestInit);
}

/** Polls the storage folder for an in-progress upload (`.upload-*`) of at least `bytes`; false after 10 s. */
async function partialUploadAppears(ctx: TestContext, folder: string, bytes: number): Promise<boolean> {
  const { readdir } = await import('node:fs/promises');
  const dir = join(ctx.dataDir, 'objects', folder);
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
    // The upload's own folder (`uploads/{id}/`) is somewhere under `folder`.
    for (const name of await readdir(dir, { recursive: true }).catch(() => [] as string[])) {
      if (name.split('/').at(-1)!.startsWith('.upload-') && (await stat(join(dir, name)).catch(() => null))?.size! >= bytes) return true;
    }
  }
  return false;
}
