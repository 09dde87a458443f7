/**
 * `tauri-release doctor --apple` as a child process, without a server: the Apple credentials checks shared with
 * sign-apple's diagnose mode, on an openssl-made "Developer ID Application" .p12 and a P-256 .p8, read from files
 * and from the variables Tauri reads.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './run-cli.ts';

interface Report {
  ok: boolean;
  problems: number;
  findings: { check: string; status: string; message: string; fix?: string }[];
}

let dir: string;
const PASSWORD = 'export-password';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-doctor-apple-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'id.key', '-out', 'id.pem', '-days', '100', '-subj', '/CN=Developer ID Application: Example (TEAMID1234)/OU=TEAMID1234/O=Example/C=US');
  openssl('pkcs12', '-export', '-inkey', 'id.key', '-in', 'id.pem', '-out', 'id.p12', '-passout', `pass:${PASSWORD}`);
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'AuthKey_ABC123DEFG.p8');
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}) => ({
  XDG_CONFIG_HOME: dir,
  APPLE_CERTIFICATE_PASSWORD: PASSWORD,
  APPLE_TEAM_ID: 'TEAMID1234',
  APPLE_API_KEY: 'ABC123DEFG',
  APPLE_API_ISSUER: '57246542-96fe-1a63-e053-0824d011072a',
  APPLE_API_KEY_PATH: join(dir, 'AuthKey_ABC123DEFG.p8'),
  ...extra,
});

describe('tauri-release doctor --apple', () => {
  it('passes good credentials with no server and no login, from APPLE_CERTIFICATE (base64) and APPLE_API_KEY_PATH', async () => {
    const p12 = (await readFile(join(dir, 'id.p12'))).toString('base64');
    const result = await cli(['doctor', '--apple', '--json'], { env: env({ APPLE_CERTIFICATE: p12 }) });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = result.json<Report>();
    expect(report).toMatchObject({ ok: true, problems: 0 });
    expect(report.findings.map((f) => [f.check, f.status])).toEqual([['p12', 'ok'], ['certificate', 'ok'], ['expiry', 'ok'], ['team', 'ok'], ['p8', 'ok'], ['jwt', 'ok']]);
    expect(report.findings[2]!.message).toMatch(/, (99|100) days left$/);
  });

  it('prints each problem with its fix and exits 1', async () => {
    const result = await cli(['doctor', '--apple', '--p12', join(dir, 'id.p12')], { env: env({ APPLE_CERTIFICATE_PASSWORD: 'wrong', APPLE_TEAM_ID: 'OTHERTEAM1' }) });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('PROBLEM  p12: the .p12 does not open with APPLE_CERTIFICATE_PASSWORD (MAC verification failed)');
    expect(result.stdout).toMatch(/\n {9}fix: set APPLE_CERTIFICATE_PASSWORD to the password chosen when exporting the \.p12/);
    expect(result.stdout).toContain('ok       p8: an ES256 (P-256) key, Key ID ABC123DEFG');
    expect(result.stdout).toContain('1 problem found in the Apple credentials');
    expect(result.stdout).not.toContain('wrong');
  });

  it('is a usage error for a file it cannot read, and without --apple still needs --app', async () => {
    const missing = await cli(['doctor', '--apple', '--p8', join(dir, 'nope.p8')], { env: env() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read --p8');
    const noApp = await cli(['doctor'], { env: env() });
    expect(noApp.code).toBe(2);
    expect(noApp.stderr).toContain('--app is required');
  });
});
