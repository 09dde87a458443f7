/**
 * @module control-plane-testing
 * Tests only (never bundled): the real control plane for the server-facing actions' tests, in this process and
 * over real HTTP on 127.0.0.1, with artifacts in a real S3 server (@20minutes/s3rver: SigV4, presigned expiry),
 * trusted publishing from the local OIDC issuer, the runner's token service stand-in, and an app whose public key
 * comes from the real Tauri signer. Upload limits can be lowered so multipart is exercised with small files.
 *
 * test/e2e/release-pipeline.test.ts runs the server as a child process instead, as `npm start` does.
 */
import { createServer } from 'node:http';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createCiHarness, type CiHarness } from '../../../api/_src/ci/testing.ts';
import type { UploadLimits } from '../../../api/_src/ci/uploads.ts';
import { type ActionsTokenServer, startActionsTokenServer } from '../../../test/support/actions-token-server.ts';
import { type LocalIssuer, startLocalIssuer } from '../../../test/support/oidc-issuer.ts';
import { type RunningS3rver, startS3rver } from '../../../test/support/s3rver.ts';
import { generateKeyPair, type KeyPair, sign } from '../../../test/support/tauri.ts';

export const TEST_REPOSITORY = { repository: 'octo-org/octo-repo', repository_id: '74', repository_owner_id: '65' } as const;

export interface LocalControlPlane {
  /** `http://127.0.0.1:<port>`: server-url, PUBLIC_URL and OIDC_AUDIENCE. */
  url: string;
  harness: CiHarness;
  s3: RunningS3rver;
  issuer: LocalIssuer;
  tokens: ActionsTokenServer;
  /** A Tauri updater key pair made by the real signer. */
  key: KeyPair;
  /** Scratch folder, removed by close(). */
  dir: string;
  /** Creates an app with the key's public key and a trusted publisher for octo-org/octo-repo's release.yml. */
  createApp(slug: string, options?: { canPublish?: boolean; publicKey?: string | null }): Promise<void>;
  /** A CI-scoped API key of the app (`trk_…`). */
  ciApiKey(slug: string, scope?: 'ci' | 'admin'): Promise<string>;
  /** `fetch` of the admin API (JSON). */
  admin<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** Writes `bytes` as `dir/name` and signs it with the real signer for `version`. */
  signedFile(path: string, bytes: Uint8Array, version: string): Promise<string>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

export async function startLocalControlPlane(options: { uploadLimits?: Partial<UploadLimits> } = {}): Promise<LocalControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'control-plane-test-'));
  const [s3, issuer, key, port] = await Promise.all([startS3rver(), startLocalIssuer(), generateKeyPair(dir), freePort()]);
  const url = `http://127.0.0.1:${port}`;
  issuer.audience = url;
  const tokens = await startActionsTokenServer(issuer);
  const harness = await createCiHarness({
    env: {
      PUBLIC_URL: url,
      OIDC_ISSUER: issuer.url,
      OIDC_AUDIENCE: url,
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.config.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.config.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
    },
    ...(options.uploadLimits ? { uploadLimits: options.uploadLimits } : {}),
  });
  const server: ServerType = serve({ fetch: (request) => harness.app.fetch(request), port, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));

  const admin = async (method: string, path: string, body?: unknown) => {
    const answer = await harness.call(method, path, body === undefined ? {} : { body });
    return { status: answer.status, body: answer.body };
  };
  const expectOk = async (method: string, path: string, body: unknown) => {
    const answer = await admin(method, path, body);
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };

  return {
    url,
    harness,
    s3,
    issuer,
    tokens,
    key,
    dir,
    admin,
    async createApp(slug, { canPublish = true, publicKey = key.publicKey } = {}) {
      await expectOk('POST', '/admin/apps', { slug, name: slug, public_key: publicKey });
      await expectOk('POST', `/admin/apps/${slug}/publishers`, { ...TEST_REPOSITORY, workflow: 'release.yml', can_publish: canPublish });
    },
    async ciApiKey(slug, scope = 'ci') {
      const body = await expectOk('POST', '/admin/keys', { name: `${slug} ${scope}`, scope, app: slug });
      return body.key as string;
    },
    async signedFile(path, bytes, version) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
      return sign(path, key, version);
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await Promise.all([harness.close(), s3.close(), issuer.close(), tokens.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
