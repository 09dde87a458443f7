/**
 * One artifact check, four producers (issue 16): the same forged signature, the same signature by another key and
 * the same truncated file, each fed through every way an artifact reaches the server, get the same refusal rule
 * wherever the producer has the same facts. Every producer reports the rule the same way, `refused by rule "<rule>"`:
 * in the HTTP error body's message, in the sync report's reason, in the CLI's error line.
 *
 * - admin: the multipart upload over HTTP to a running server (declares no size: the bytes are what arrived);
 * - ci: the CI API through its harness (api/_src/ci/testing.ts), which declares size and SHA-256 before the PUT;
 * - github: the GitHub sync from the fake GitHub (test/support/fake-github.ts), where the size is the asset's own;
 * - cli: `tauri-release upload` (test/cli/run-cli.ts), which checks the local file before it sends anything.
 *
 * Bytes and signatures come from the real Tauri signer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactParts, form } from '../../api/_src/admin/release-testing.ts';
import { type CiHarness, createCiHarness, declare, insertApp, releasesPath, sendBytes, signedArtifact, type SignedArtifact } from '../../api/_src/ci/testing.ts';
import type { SyncReport } from '../../api/_src/protocol/github.ts';
import { cli, errorLine } from '../cli/run-cli.ts';
import { type FakeGithub, startFakeGithub } from '../support/fake-github.ts';
import { type RunningServer, startServer } from '../support/server.ts';
import { generateKeyPair, type KeyPair } from '../support/tauri.ts';

type Fault = 'forged signature' | 'wrong key id' | 'truncated file';
type Producer = 'admin' | 'ci' | 'github' | 'cli';

/** What each producer answers for each fault. Only the truncated file differs: who declared a size sees it. */
const EXPECTED: Record<Fault, Record<Producer, string>> = {
  'forged signature': { admin: 'invalid_signature', ci: 'invalid_signature', github: 'invalid_signature', cli: 'invalid_signature' },
  'wrong key id': { admin: 'key_id_mismatch', ci: 'key_id_mismatch', github: 'key_id_mismatch', cli: 'key_id_mismatch' },
  // The CI client declares the file's size before sending it; the admin upload and the CLI have only the bytes,
  // and GitHub lists the size of what it holds, so for them a truncated file is a signature that does not match.
  'truncated file': { admin: 'invalid_signature', ci: 'size_mismatch', github: 'invalid_signature', cli: 'invalid_signature' },
};
const FAULTS = Object.keys(EXPECTED) as Fault[];

const VERSION = '1.0.0';
const FILE_NAME = `App_${VERSION}_amd64.AppImage`;
const PLATFORM = 'linux-x86_64';
const SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');
const RULE = /refused by rule "([a-z0-9_]+)"/;

/** The rule a producer's report names, or what it said instead. */
function ruleIn(text: string): string {
  return RULE.exec(text)?.[1] ?? `no rule in: ${text}`;
}

/** The signature with one byte of its Ed25519 signature changed: it still decodes, names the right key, and is false. */
function forge(signature: string): string {
  const lines = Buffer.from(signature, 'base64').toString('utf8').split('\n');
  const raw = Buffer.from(lines[1]!, 'base64');
  raw[20] = raw[20]! ^ 0xff;
  lines[1] = raw.toString('base64');
  return Buffer.from(lines.join('\n')).toString('base64');
}

let dir: string;
let key: KeyPair;
let server: RunningServer;
let github: FakeGithub;
let ci: CiHarness;
/** The file as sent, and the `.sig` sent with it, for each fault; `whole` is what a producer that declares sizes declares. */
let faulty: Record<Fault, { bytes: Buffer; signature: string }>;
let whole: SignedArtifact;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ingest-producers-'));
  let otherKey: KeyPair;
  [key, otherKey, github] = await Promise.all([
    generateKeyPair(await mkdtemp(join(dir, 'key-'))),
    generateKeyPair(await mkdtemp(join(dir, 'other-'))),
    startFakeGithub(),
  ]);
  const bytes = randomBytes(200_000);
  whole = await signedArtifact(await mkdtemp(join(dir, 'whole-')), key, FILE_NAME, bytes, VERSION);
  const foreign = await signedArtifact(await mkdtemp(join(dir, 'foreign-')), otherKey, FILE_NAME, bytes, VERSION);
  faulty = {
    'forged signature': { bytes, signature: forge(whole.signature) },
    'wrong key id': { bytes, signature: foreign.signature },
    'truncated file': { bytes: bytes.subarray(0, 120_000), signature: whole.signature },
  };
  [server, ci] = await Promise.all([
    startServer({ env: { GITHUB_API_URL: github.url, SECRETS_KEY, RATE_LIMITS: 'off' } }),
    createCiHarness(),
  ]);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await ci?.close();
  await github?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

async function createApp(slug: string): Promise<void> {
  const res = await server.admin('/admin/apps', json('POST', { slug, name: slug, public_key: key.publicKey }));
  expect(res.status).toBe(201);
}

/** Each producer: the rule it refused each fault with. */
const PRODUCERS: Record<Producer, () => Promise<Record<Fault, string>>> = {
  async admin() {
    await createApp('via-admin');
    expect((await server.admin('/admin/apps/via-admin/releases', json('POST', { version: VERSION }))).status).toBe(201);
    const rules = {} as Record<Fault, string>;
    for (const fault of FAULTS) {
      const { bytes, signature } = faulty[fault];
      const body = form(artifactParts(PLATFORM, { name: FILE_NAME, bytes, signature }));
      const res = await server.admin(`/admin/apps/via-admin/releases/${VERSION}/artifacts`, { method: 'POST', body });
      const answer = (await res.json()) as { error: { code: string; message: string } };
      expect(res.status).toBe(422);
      rules[fault] = ruleIn(answer.error.message);
    }
    return rules;
  },

  async ci() {
    await insertApp(ci, 'via-ci', key.publicKey);
    expect((await ci.call('POST', releasesPath('via-ci'), { body: { version: VERSION } })).status).toBe(201);
    const rules = {} as Record<Fault, string>;
    for (const fault of FAULTS) {
      const { bytes, signature } = faulty[fault];
      // The CI client declares the whole file it meant to send; what arrives is the faulty bytes.
      const requested = await ci.call('POST', `${releasesPath('via-ci', VERSION)}/uploads`, { body: declare(PLATFORM, { ...whole, signature }) });
      if (requested.status !== 201) {
        rules[fault] = ruleIn(requested.body.error.message); // refused before a byte is sent
        continue;
      }
      expect((await sendBytes(ci, requested.body, bytes)).status).toBe(200);
      const completed = await ci.call('POST', `${releasesPath('via-ci', VERSION)}/uploads/${requested.body.upload_id}/complete`, { body: {} });
      expect(completed.status).toBe(422);
      rules[fault] = ruleIn(completed.body.error.message);
    }
    return rules;
  },

  async github() {
    await createApp('via-github');
    github.addRepository('octo/via-github');
    // One release, one bundle per fault: each under a name of its own platform, so all three are checked.
    const names: Record<Fault, string> = {
      'forged signature': `App_${VERSION}_amd64.AppImage`,
      'wrong key id': `App_${VERSION}_aarch64.AppImage`,
      'truncated file': `App_${VERSION}_amd64.deb`,
    };
    const files: Record<string, Buffer | string> = {};
    for (const fault of FAULTS) {
      files[names[fault]] = faulty[fault].bytes;
      files[`${names[fault]}.sig`] = faulty[fault].signature;
    }
    github.addRelease('octo/via-github', { tag: `v${VERSION}`, files });
    const source = await server.admin('/admin/apps/via-github/source', json('PUT', { kind: 'github', repository: 'octo/via-github', tag_prefix: 'v' }));
    expect(source.status).toBe(200);
    const { report } = (await source.json()) as { report: SyncReport };
    const rules = {} as Record<Fault, string>;
    for (const fault of FAULTS) {
      const skipped = report.skipped.find((entry) => entry.file_name === names[fault]);
      rules[fault] = skipped ? ruleIn(skipped.reason) : `not refused: ${JSON.stringify(report)}`;
    }
    return rules;
  },

  async cli() {
    await createApp('via-cli');
    const env = { TAURI_RELEASE_URL: server.url, TAURI_RELEASE_KEY: server.adminToken, XDG_CONFIG_HOME: join(dir, 'no-config') };
    const rules = {} as Record<Fault, string>;
    for (const fault of FAULTS) {
      const folder = join(dir, 'cli', fault.replaceAll(' ', '-'));
      await mkdir(folder, { recursive: true });
      await writeFile(join(folder, FILE_NAME), faulty[fault].bytes);
      await writeFile(join(folder, `${FILE_NAME}.sig`), faulty[fault].signature);
      const result = await cli(['upload', join(folder, FILE_NAME), '--app', 'via-cli', '--version', VERSION], { env });
      expect(result.code).toBe(1);
      const line = errorLine(result);
      // The CLI's error code is the rule too: `error: <rule>: … refused by rule "<rule>": …`.
      expect(line.startsWith(`error: ${ruleIn(line)}: `)).toBe(true);
      rules[fault] = ruleIn(line);
    }
    return rules;
  },
};

describe('the same faults through every producer', () => {
  it.each(Object.keys(PRODUCERS) as Producer[])('%s refuses each fault with the rule the table names', async (producer) => {
    const expected = Object.fromEntries(FAULTS.map((fault) => [fault, EXPECTED[fault][producer]]));
    expect(await PRODUCERS[producer]()).toEqual(expected);
  }, 120_000);

  it('nothing refused was kept: no artifact on the server, none in the CI harness', async () => {
    const onServer = (await (await server.admin(`/admin/apps/via-admin/releases/${VERSION}`)).json()) as { artifacts: unknown[] };
    expect(onServer.artifacts).toEqual([]);
    expect((await server.admin(`/admin/apps/via-cli/releases/${VERSION}`)).status).toBe(404);
    const inCi = await ci.ctx.database.db.selectFrom('artifacts').select(['state']).where('state', '=', 'ready').execute();
    expect(inCi).toEqual([]);
  });
});
