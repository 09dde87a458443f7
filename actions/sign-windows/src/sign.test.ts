/**
 * Authenticode for real: Debian's osslsigncode signs a PE that mingw-w64 built, with a PFX from a test
 * PKI, timestamped by RFC 3161 servers on 127.0.0.1; `osslsigncode verify` checks the result, and
 * Debian's minisign checks the Tauri updater signature made afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Secret } from '../../shared/src/secret.ts';
import { createRunner } from '../../shared/src/spawn.ts';
import { memoryLogger } from '../../shared/src/testing.ts';
import { validateOptions, type RawInputs } from './options.ts';
import { signFiles } from './sign.ts';
import {
  buildPe, makePki, makeTauriKey, minisignVerifies, osslVerify, startTsa, tauriSign, TAURI_CLI,
  type LocalTsa, type TauriKey, type TestPki,
} from './test-fixtures.ts';
import { TimestampError } from './timestamp.ts';

let root: string;
let pki: TestPki;
let pe: string;
let answering: LocalTsa;
let failing: LocalTsa;
let hanging: LocalTsa;
let tauriKey: TauriKey;
let tauriKeyWithPassword: TauriKey;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sign-windows-test-'));
  pki = await makePki(join(root, 'pki'));
  pe = await buildPe(root);
  [answering, failing, hanging] = await Promise.all([
    startTsa(pki, join(root, 'pki'), 'answer'),
    startTsa(pki, join(root, 'pki'), 'fail'),
    startTsa(pki, join(root, 'pki'), 'hang'),
  ]);
  [tauriKey, tauriKeyWithPassword] = await Promise.all([makeTauriKey(join(root, 'keys'), ''), makeTauriKey(join(root, 'keys'), 'hunter2 x')]);
}, 120_000);

afterAll(async () => {
  await Promise.all([answering?.close(), failing?.close(), hanging?.close()]);
  await rm(root, { recursive: true, force: true });
});

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

let copies = 0;
async function freshCopy(name = 'App_1.0.0_x64-setup.exe'): Promise<string> {
  const dir = join(root, `case-${++copies}`);
  await rm(dir, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(dir));
  const file = join(dir, name);
  await copyFile(pe, file);
  return file;
}

function options(overrides: Partial<RawInputs> = {}) {
  return validateOptions(
    {
      certificate: new Secret('certificate', pki.pfxBase64),
      certificatePassword: new Secret('certificate-password', pki.pfxPassword),
      timestampUrls: [answering.url],
      timestampTimeout: '3',
      verifyCaFile: pki.caCert,
      tauriCli: `${process.execPath} ${TAURI_CLI}`,
      ...overrides,
    },
    'linux',
  );
}

function deps() {
  const log = memoryLogger();
  return { log, run: createRunner(log), tempDir: root };
}

describe('signFiles with osslsigncode', () => {
  it('falls back past a failing and a silent timestamp server to one that answers, and the result verifies', async () => {
    const file = await freshCopy();
    const before = await sha256(file);
    const { log, run, tempDir } = deps();
    const requestsBefore = answering.requests;

    const signed = await signFiles(options({ timestampUrls: [failing.url, hanging.url, answering.url] }), [file], { log, run, tempDir }, { updaterSignatures: true });

    expect(signed).toEqual([{ path: file, timestampUrl: answering.url, updaterSignature: null }]);
    expect(await sha256(file)).not.toBe(before);
    expect(answering.requests).toBe(requestsBefore + 1);
    const warnings = log.entries.filter((e) => e.level === 'warning').map((e) => e.message);
    expect(warnings).toEqual([
      expect.stringContaining(`${failing.url} failed`),
      expect.stringContaining(`${hanging.url} timed out`),
    ]);
    const verified = await osslVerify(file, pki.caCert);
    expect(verified.output).toContain('Signature verification: ok');
    expect(verified.output).toContain('Timestamp Server Signature verification: ok');
    expect(verified.output).toContain('Subject: /CN=sign-windows Test Code Signer');
    expect(verified.ok).toBe(true);
    // Nothing is left beside the file: no scratch copies, no PFX in the temp folder.
    expect(await readdir(dirname(file))).toEqual([basename(file)]);
    expect((await readdir(tempDir)).filter((name) => name.startsWith('sign-windows-') && name !== basename(root))).toEqual([]);
  }, 60_000);

  it('fails naming every server when none timestamps, and leaves the file as it was', async () => {
    const file = await freshCopy();
    const before = await sha256(file);
    const { log, run, tempDir } = deps();

    const error = await signFiles(options({ timestampUrls: [failing.url, hanging.url] }), [file], { log, run, tempDir }, { updaterSignatures: true }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TimestampError);
    const message = (error as Error).message;
    expect(message).toContain(`${failing.url}: failed`);
    expect(message).toContain(`${hanging.url}: timed out`);
    expect(message).toContain('allow-untimestamped');
    expect(await sha256(file)).toBe(before);
    expect(await readdir(dirname(file))).toEqual([basename(file)]);
  }, 60_000);

  it('ships an untimestamped signature only when allow-untimestamped says so, with a warning', async () => {
    const file = await freshCopy();
    const { log, run, tempDir } = deps();

    const signed = await signFiles(options({ timestampUrls: [failing.url], allowUntimestamped: true }), [file], { log, run, tempDir }, { updaterSignatures: true });

    expect(signed[0]!.timestampUrl).toBeNull();
    expect(log.text()).toContain('WITHOUT a timestamp');
    const verified = await osslVerify(file, pki.caCert);
    expect(verified.ok).toBe(true);
    expect(verified.output).toContain('Signature verification: ok');
    expect(verified.output).not.toContain('Timestamp Server Signature verification');
  }, 60_000);

  it('signs with a PFX that has no password', async () => {
    const file = await freshCopy();
    const { log, run, tempDir } = deps();
    await signFiles(
      options({ certificate: new Secret('certificate', pki.pfxNoPasswordBase64), certificatePassword: undefined }),
      [file], { log, run, tempDir }, { updaterSignatures: true },
    );
    expect((await osslVerify(file, pki.caCert)).ok).toBe(true);
  }, 60_000);

  it('stops at a wrong certificate password before asking any timestamp server, and never logs the password', async () => {
    const file = await freshCopy();
    const before = await sha256(file);
    const { log, run, tempDir } = deps();
    const requestsBefore = answering.requests;

    const error = await signFiles(options({ certificatePassword: new Secret('certificate-password', 'not the password') }), [file], { log, run, tempDir }, { updaterSignatures: true })
      .catch((e: unknown) => e as Error);

    expect((error as Error).message).toMatch(/could not sign .*before any timestamp server was asked/s);
    expect((error as Error).message).toMatch(/PKCS#12|password/i);
    expect(answering.requests).toBe(requestsBefore);
    expect(await sha256(file)).toBe(before);
    expect(log.text()).not.toContain('not the password');
    expect(log.text()).not.toContain(pki.pfxPassword);
  }, 60_000);

  it('fails when the signature does not chain to the CA it is verified against', async () => {
    const file = await freshCopy();
    const { log, run, tempDir } = deps();
    const error = await signFiles(options({ verifyCaFile: '/etc/ssl/certs/ca-certificates.crt' }), [file], { log, run, tempDir }, { updaterSignatures: true })
      .catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain('does not verify');
  }, 60_000);
});

describe('the Tauri updater signature', () => {
  it('is made after Authenticode: the shipped .sig verifies the shipped bytes, the one made before does not', async () => {
    const file = await freshCopy();
    await tauriSign(file, tauriKey); // what `tauri build` leaves: a .sig over the unsigned installer
    const staleSig = join(root, 'stale.sig');
    await copyFile(`${file}.sig`, staleSig);
    expect((await minisignVerifies(file, `${file}.sig`, tauriKey.publicKeyFile, root)).ok).toBe(true);

    const { log, run, tempDir } = deps();
    const signed = await signFiles(
      options({ tauriSigningPrivateKey: new Secret('tauri-signing-private-key', tauriKey.privateKey), appVersion: '1.0.0' }),
      [file], { log, run, tempDir }, { updaterSignatures: true },
    );

    expect(signed[0]!.updaterSignature).toBe(`${file}.sig`);
    expect((await osslVerify(file, pki.caCert)).ok).toBe(true);
    const shipped = await minisignVerifies(file, `${file}.sig`, tauriKey.publicKeyFile, root);
    expect(shipped.output).toContain('Signature and comment signature verified');
    expect(shipped.output).toContain(`file:${basename(file)}\tversion:1.0.0`);
    expect(shipped.ok).toBe(true);
    const stale = await minisignVerifies(file, staleSig, tauriKey.publicKeyFile, root);
    expect(stale.ok).toBe(false);
    expect(stale.output).toContain('Signature verification failed');
    expect(log.text()).not.toContain(tauriKey.privateKey.slice(0, 40));
  }, 60_000);

  it('works with a password-protected key, and names the password when it is wrong', async () => {
    const file = await freshCopy();
    const { log, run, tempDir } = deps();
    const key = new Secret('tauri-signing-private-key', tauriKeyWithPassword.privateKey);
    await signFiles(
      options({ tauriSigningPrivateKey: key, tauriSigningPrivateKeyPassword: new Secret('p', tauriKeyWithPassword.password) }),
      [file], { log, run, tempDir }, { updaterSignatures: true },
    );
    expect((await minisignVerifies(file, `${file}.sig`, tauriKeyWithPassword.publicKeyFile, root)).ok).toBe(true);

    const other = await freshCopy();
    const error = await signFiles(
      options({ tauriSigningPrivateKey: key, tauriSigningPrivateKeyPassword: new Secret('p', 'wrong') }),
      [other], { log, run, tempDir }, { updaterSignatures: true },
    ).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain('tauri signer sign failed');
    expect((error as Error).message).toContain('check tauri-signing-private-key-password');
  }, 60_000);

  it('tries the key before Authenticode: a wrong password or a key that is not one leaves every file as it was', async () => {
    const first = await freshCopy();
    const second = await freshCopy('App_1.0.0_x64_en-US.msi.exe');
    const before = [await sha256(first), await sha256(second)];
    const { log, run, tempDir } = deps();
    const attempts = [
      { tauriSigningPrivateKey: new Secret('k', tauriKeyWithPassword.privateKey), tauriSigningPrivateKeyPassword: new Secret('p', 'wrong') },
      { tauriSigningPrivateKey: new Secret('k', Buffer.from('untrusted comment: not a key\nAAAA\n').toString('base64')) },
    ];
    for (const inputs of attempts) {
      const error = await signFiles(options(inputs), [first, second], { log, run, tempDir }, { updaterSignatures: true }).catch((e: unknown) => e as Error);
      expect((error as Error).message).toContain('the Tauri updater key could not sign a test file, so nothing was signed');
    }
    expect([await sha256(first), await sha256(second)]).toEqual(before);
    expect(await readdir(dirname(first))).toEqual([basename(first)]);
    expect((await readdir(tempDir)).filter((name) => name.startsWith('sign-windows-'))).toEqual([]);
    expect(log.text()).not.toContain(tauriKeyWithPassword.privateKey.slice(0, 40));
  }, 60_000);

  it('refuses, before signing anything, a .sig it cannot make again', async () => {
    const file = await freshCopy();
    await tauriSign(file, tauriKey);
    const before = await sha256(file);
    const { log, run, tempDir } = deps();

    const error = await signFiles(options(), [file], { log, run, tempDir }, { updaterSignatures: true }).catch((e: unknown) => e as Error);

    expect((error as Error).message).toContain(`${file}.sig would be stale`);
    expect((error as Error).message).toContain('tauri-signing-private-key');
    expect(await sha256(file)).toBe(before);
  }, 60_000);

  it('is left to Tauri when signing as its signCommand (no .sig made, none checked)', async () => {
    const file = await freshCopy();
    const { log, run, tempDir } = deps();
    const signed = await signFiles(
      options({ tauriSigningPrivateKey: new Secret('k', tauriKey.privateKey) }),
      [file], { log, run, tempDir }, { updaterSignatures: false },
    );
    expect(signed[0]!.updaterSignature).toBeNull();
    expect(await readdir(dirname(file))).toEqual([basename(file)]);
  }, 60_000);
});
