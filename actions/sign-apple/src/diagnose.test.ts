/**
 * The Apple credentials diagnosis against real openssl and real keys: self-signed certificates named as Apple names
 * them, exported as a modern (AES/PBKDF2) and a legacy (RC2/3DES, as older Keychain exports) .p12, a wrong password,
 * the wrong kind of certificate, a P-256 .p8 and an RSA key where the .p8 belongs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../../shared/src/secret.ts';
import { createRunner } from '../../shared/src/spawn.ts';
import { memoryLogger } from '../../shared/src/testing.ts';
import { type AppleCredentials, diagnoseApple } from './diagnose.ts';

const DEVELOPER_ID = 'Developer ID Application: Example (TEAMID1234)';
const PASSWORD = 'p12 pass\'word';
const KEY_ID = 'ABC123DEFG';
const ISSUER = '57246542-96fe-1a63-e053-0824d011072a';

let dir: string;
const p12s: Record<string, Buffer> = {};
let p8: string;
let rsaKey: string;
let logger = memoryLogger();

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

async function identity(name: string, subject: string, legacy: boolean): Promise<void> {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '365', '-subj', subject);
  openssl('pkcs12', '-export', ...(legacy ? ['-legacy'] : []), '-inkey', `${name}.key`, '-in', `${name}.pem`, '-out', `${name}.p12`, '-passout', `pass:${PASSWORD}`);
  p12s[name] = await readFile(join(dir, `${name}.p12`));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'apple-diagnose-test-'));
  await identity('developer-id', `/CN=${DEVELOPER_ID}/OU=TEAMID1234/O=Example/C=US`, false);
  await identity('legacy', `/CN=${DEVELOPER_ID}/OU=TEAMID1234/O=Example/C=US`, true);
  await identity('development', '/CN=Apple Development: Jane Doe (JD12345678)/OU=TEAMID1234/O=Example/C=US', false);
  openssl('pkcs12', '-export', '-nokeys', '-in', 'developer-id.pem', '-out', 'cert-only.p12', '-passout', `pass:${PASSWORD}`);
  p12s['cert-only'] = await readFile(join(dir, 'cert-only.p12'));
  p8 = openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256').toString();
  rsaKey = openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048').toString();
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const diagnose = (creds: AppleCredentials, now?: Date) => {
  logger = memoryLogger();
  return diagnoseApple(creds, { run: createRunner(logger), tempRoot: dir, ...(now ? { now } : {}) });
};
const p12 = (name: string, password = PASSWORD): AppleCredentials => ({ p12: p12s[name]!, p12Password: new Secret('APPLE_CERTIFICATE_PASSWORD', password) });
const statusOf = (findings: Awaited<ReturnType<typeof diagnose>>) => Object.fromEntries(findings.map((f) => [f.check, f.status]));

describe('diagnoseApple', () => {
  it('passes a Developer ID Application .p12 and an ES256 .p8, with the days left and a 20-minute token', async () => {
    const findings = await diagnose({ ...p12('developer-id'), teamId: 'TEAMID1234', identity: 'Example', p8: new Secret('p8', p8), keyId: KEY_ID, issuer: ISSUER });
    expect(statusOf(findings)).toEqual({ p12: 'ok', certificate: 'ok', expiry: 'ok', team: 'ok', p8: 'ok', jwt: 'ok' });
    expect(findings.find((f) => f.check === 'certificate')!.message).toMatch(new RegExp(`^"${DEVELOPER_ID.replace(/[()]/g, '\\$&')}" \\(SHA-1 [0-9A-F]{40}\\)$`));
    expect(findings.find((f) => f.check === 'expiry')!.message).toMatch(/^valid until \d{4}-\d\d-\d\d, 36[45] days left$/);
    expect(findings.find((f) => f.check === 'jwt')!.message).toMatch(/^a 20-minute App Store Connect token signs and verifies/);
    // The password went to openssl in a file, never in argv.
    expect(logger.text()).not.toContain(PASSWORD);
    expect(logger.text()).toMatch(/openssl pkcs12 -in \S+ -passin file:\S+ -info -noout/);
  });

  it('opens an older Keychain export (RC2/3DES) by retrying with -legacy', async () => {
    const findings = await diagnose(p12('legacy'));
    expect(findings[0]).toEqual({ check: 'p12', status: 'ok', message: expect.stringContaining('legacy RC2/3DES encryption') });
    expect(logger.text()).toMatch(/-info -noout -legacy/);
    expect(statusOf(findings)).toMatchObject({ certificate: 'ok', expiry: 'ok', team: 'ok', p8: 'skipped', jwt: 'skipped' });
  });

  it('names a wrong password, with the fix', async () => {
    const [first, ...rest] = await diagnose(p12('developer-id', 'not the password'));
    expect(first).toMatchObject({ check: 'p12', status: 'problem', message: expect.stringContaining('does not open with APPLE_CERTIFICATE_PASSWORD') });
    expect(first!.fix).toMatch(/^set APPLE_CERTIFICATE_PASSWORD to the password chosen when exporting/);
    expect(rest.slice(0, 3).map((f) => f.status)).toEqual(['skipped', 'skipped', 'skipped']);
  });

  it('names a .p12 without its private key', async () => {
    const [first] = await diagnose(p12('cert-only'));
    expect(first).toMatchObject({ status: 'problem', message: expect.stringContaining('holds no private key') });
  });

  it('names an expired certificate (the clock moved past its end)', async () => {
    const findings = await diagnose(p12('developer-id'), new Date(Date.now() + 400 * 86_400_000));
    expect(findings.find((f) => f.check === 'expiry')).toMatchObject({ status: 'problem', message: expect.stringMatching(/^the certificate expired on \d{4}-\d\d-\d\d/), fix: expect.stringContaining('cannot be renewed') });
  });

  it('names an Apple Development certificate as the wrong kind', async () => {
    const findings = await diagnose(p12('development'));
    expect(findings.find((f) => f.check === 'certificate')).toMatchObject({
      status: 'problem',
      message: expect.stringContaining('"Apple Development: Jane Doe (JD12345678)", not a "Developer ID Application" certificate'),
    });
  });

  it('names a team ID or identity that does not match the certificate', async () => {
    const team = (await diagnose({ ...p12('developer-id'), teamId: 'OTHERTEAM1' })).find((f) => f.check === 'team')!;
    expect(team).toMatchObject({ status: 'problem', message: 'APPLE_TEAM_ID is OTHERTEAM1, but the certificate belongs to team TEAMID1234', fix: expect.stringContaining('set APPLE_TEAM_ID to TEAMID1234') });
    const named = (await diagnose({ ...p12('developer-id'), identity: 'Other Corp' })).find((f) => f.check === 'team')!;
    expect(named).toMatchObject({ status: 'problem', message: expect.stringContaining('APPLE_SIGNING_IDENTITY "Other Corp" does not match') });
  });

  it('names a non-EC key given as the .p8, and a missing Issuer ID', async () => {
    const rsa = await diagnose({ p8: new Secret('p8', rsaKey), keyId: KEY_ID, issuer: ISSUER });
    expect(rsa.slice(-2)).toEqual([
      { check: 'p8', status: 'problem', message: 'the API key is an RSA key, not the EC P-256 (ES256) key App Store Connect issues', fix: expect.stringContaining('Team Keys') },
      { check: 'jwt', status: 'skipped', message: 'the key cannot sign ES256' },
    ]);
    const noIssuer = await diagnose({ p8: new Secret('p8', p8), keyId: KEY_ID });
    expect(noIssuer.find((f) => f.check === 'p8')).toMatchObject({ status: 'problem', message: 'the key is ES256, but the Issuer ID (APPLE_API_ISSUER) is empty' });
  });

  it('skips what is not given', async () => {
    expect(statusOf(await diagnose({}))).toEqual({ p12: 'skipped', certificate: 'skipped', expiry: 'skipped', team: 'skipped', p8: 'skipped', jwt: 'skipped' });
  });
});
