/**
 * sign-apple's logic against the fake macOS tools (test/support/fake-macos): exact `security`/`codesign` sequences,
 * state saved before each resource exists, and cleanup after success and after a failure half-way.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_IDENTITY, installFakeMacos, LOGIN_KEYCHAIN, type FakeMacos } from '../../../test/support/fake-macos/index.ts';
import { Secret } from '../../shared/src/secret.ts';
import { memoryLogger, type MemoryLogger } from '../../shared/src/testing.ts';
import { cleanup } from './cleanup.ts';
import { validateSignInputs, type SignInputs } from './config.ts';
import { API_ISSUER, API_KEY_ID, P12_BASE64, P12_PASSWORD, P8_BASE64, P8_PEM } from '../../../test/support/fake-macos/fixtures.ts';
import { signApple, STATE, type SignDeps } from './sign-apple.ts';

const HASH = DEFAULT_IDENTITY.hash;
const certificate = {
  certificate: new Secret('certificate', P12_BASE64),
  certificatePassword: new Secret('certificate-password', P12_PASSWORD),
};
const apiKey = { apiKey: new Secret('api-key', P8_BASE64), apiKeyId: API_KEY_ID, apiIssuer: API_ISSUER };
const config = (inputs: Partial<SignInputs>) => validateSignInputs({ keychainTimeoutSeconds: 21_600, allowAdHoc: true, ...inputs });

let mac: FakeMacos;
let tempRoot: string;
let logger: MemoryLogger;
let state: Record<string, string>;
let masked: string[];

beforeEach(async () => {
  mac = await installFakeMacos();
  tempRoot = await mkdtemp(join(tmpdir(), 'runner-temp-'));
  logger = memoryLogger();
  state = {};
  masked = [];
});
afterEach(async () => {
  await mac.cleanup();
  await rm(tempRoot, { recursive: true, force: true });
});

const deps = (env: NodeJS.ProcessEnv = {}): SignDeps => ({
  run: mac.runner(logger),
  logger,
  saveState: (name, value) => void (state[name] = value),
  mask: (value) => void masked.push(value),
  tempRoot,
  env,
});
/** Swaps the run's random paths and password for placeholders, so sequences compare exactly. */
const placeholders = () => ({
  [state[STATE.keychain] ?? '\0']: '<keychain>',
  [state[STATE.tempDir] ?? '\0']: '<temp>',
  [masked[0] ?? '\0']: '<keychain-password>',
});
const readCleanupState = () => ({ tempDir: state.tempDir ?? '', keychain: state.keychain ?? '' });

describe('signApple with a certificate', () => {
  it('imports the .p12 into a temporary keychain, appends it to the search list and signs by SHA-1', async () => {
    const result = await signApple(config({ ...certificate, ...apiKey }), deps());

    expect(await mac.commandLines(placeholders())).toEqual([
      'security list-keychains -d user',
      'security create-keychain -p <keychain-password> <keychain>',
      'security set-keychain-settings -lut 21600 <keychain>',
      'security unlock-keychain -p <keychain-password> <keychain>',
      `security import <temp>/certificate.p12 -k <keychain> -P ${P12_PASSWORD} -f pkcs12 -t cert -T /usr/bin/codesign -T /usr/bin/productbuild -T /usr/bin/pkgbuild`,
      'security set-key-partition-list -S apple-tool:,apple:,codesign: -s -k <keychain-password> <keychain>',
      `security list-keychains -d user -s ${LOGIN_KEYCHAIN} <keychain>`,
      'security find-identity -v -p codesigning <keychain>',
      `codesign --force --sign ${HASH} --keychain <keychain> --timestamp=none <temp>/preflight.txt`,
    ]);
    expect(state[STATE.keychain]).toBe(join(state[STATE.tempDir]!, 'signing.keychain-db'));
    expect(Object.keys(state)).toEqual([STATE.tempDir, STATE.keychain]);
    expect(result).toMatchObject({ identity: HASH, identityName: DEFAULT_IDENTITY.name, teamId: 'ABCDE12345', keychain: state[STATE.keychain] });
    expect(result.env).toEqual({
      APPLE_SIGNING_IDENTITY: HASH,
      APPLE_API_KEY: API_KEY_ID,
      APPLE_API_ISSUER: API_ISSUER,
      APPLE_API_KEY_PATH: join(state[STATE.tempDir]!, 'private_keys', `AuthKey_${API_KEY_ID}.p8`),
    });
    expect(await readFile(result.apiKeyPath!, 'utf8')).toBe(P8_PEM);
    expect((await stat(result.apiKeyPath!)).mode & 0o777).toBe(0o600);
    expect((await stat(state[STATE.tempDir]!)).mode & 0o777).toBe(0o700);
    // The decoded .p12 and the preflight file do not outlive the step.
    expect(await readdir(state[STATE.tempDir]!)).toEqual(expect.arrayContaining(['private_keys', 'signing.keychain-db']));
    expect(existsSync(join(state[STATE.tempDir]!, 'certificate.p12'))).toBe(false);
    // The random keychain password was masked, and no secret reached the log.
    expect(masked).toHaveLength(1);
    expect(masked[0]).toMatch(/^[\w-]{32}$/);
    for (const value of [P12_PASSWORD, masked[0]!]) expect(logger.text()).not.toContain(value);
    expect(logger.text()).toContain(`[command] security import ${state[STATE.tempDir]}/certificate.p12 -k ${state[STATE.keychain]} -P *** -f pkcs12`);
  });

  it('exports Apple ID variables, taking the team from the certificate name', async () => {
    const result = await signApple(
      config({ ...certificate, appleId: new Secret('apple-id', 'dev@example.com'), applePassword: new Secret('apple-password', 'abcd-efgh-ijkl-mnop') }),
      deps(),
    );
    expect(result.env).toEqual({ APPLE_SIGNING_IDENTITY: HASH, APPLE_ID: 'dev@example.com', APPLE_PASSWORD: 'abcd-efgh-ijkl-mnop', APPLE_TEAM_ID: 'ABCDE12345' });
  });

  it('a wrong .p12 password fails at import with what to do; state already lets post undo the keychain', async () => {
    const run = signApple(config({ ...certificate, certificatePassword: new Secret('certificate-password', 'wrong') }), deps());
    await expect(run).rejects.toThrow(
      'certificate-password (APPLE_CERTIFICATE_PASSWORD) does not open the .p12 (security: MAC verification failed during PKCS12 import). Retrying will not help',
    );
    expect((await mac.commandLines(placeholders())).at(-1)).toMatch(/^security import <temp>\/certificate\.p12 -k <keychain> -P wrong /);
    expect(state).toEqual({ [STATE.tempDir]: expect.any(String), [STATE.keychain]: expect.any(String) });
    expect(logger.text()).not.toContain('-P wrong');

    expect(await cleanup(readCleanupState(), { run: mac.runner(logger), logger })).toEqual([]);
    expect((await mac.commandLines(placeholders())).slice(-1)).toEqual(['security delete-keychain <keychain>']);
    expect((await mac.state()).keychains).toEqual({});
    expect((await mac.state()).searchList).toEqual([LOGIN_KEYCHAIN]);
    expect(existsSync(state[STATE.tempDir]!)).toBe(false);
  });

  it('asks for the SHA-1 when the .p12 holds two Developer ID identities', async () => {
    const second = { hash: 'A'.repeat(40), name: DEFAULT_IDENTITY.name };
    await mac.setScenario({ identities: [DEFAULT_IDENTITY, second] });
    await expect(signApple(config(certificate), deps())).rejects.toThrow(/the imported \.p12 has 2 code-signing identities; set signing-identity to the SHA-1/);
    await mac.setScenario({ identities: [DEFAULT_IDENTITY, second] });
    const result = await signApple(config({ ...certificate, signingIdentity: second.hash }), { ...deps(), tempRoot });
    expect(result.identity).toBe(second.hash);
  });

  it('a chain codesign cannot build fails at the preflight, pointing at the Developer ID intermediate', async () => {
    await mac.setScenario({ codesignChainFailure: true });
    await expect(signApple(config(certificate), deps())).rejects.toThrow(/codesign could not sign a test file .*"Developer ID Certification Authority" \(G2\)/s);
  });

  it('warns when the job environment would make tauri build import or notarize differently', async () => {
    await signApple(config({ ...certificate, ...apiKey }), deps({ APPLE_CERTIFICATE: '', APPLE_CERTIFICATE_PASSWORD: '', APPLE_ID: '', APPLE_PASSWORD: '' }));
    const warnings = logger.entries.filter((e) => e.level === 'warning').map((e) => e.message);
    expect(warnings).toEqual([
      expect.stringContaining('APPLE_CERTIFICATE and APPLE_CERTIFICATE_PASSWORD are in this job\'s environment'),
      expect.stringContaining('`tauri build` prefers Apple ID notarization over the API key'),
    ]);
  });
});

describe('signApple without a certificate', () => {
  it('signs ad-hoc for development: no process runs, nothing to clean', async () => {
    const result = await signApple(config({}), deps());
    expect(result).toMatchObject({ mode: 'ad-hoc', identity: '-', env: { APPLE_SIGNING_IDENTITY: '-' } });
    expect(await mac.calls()).toEqual([]);
    expect(state).toEqual({});
    expect(logger.entries).toContainEqual({ level: 'warning', message: expect.stringMatching(/^No certificate given: signing ad-hoc/) });
  });

  it('resolves an identity already installed on a self-hosted Mac, searching the user keychains', async () => {
    await mac.setScenario({ loginIdentities: [DEFAULT_IDENTITY] });
    const result = await signApple(config({ signingIdentity: 'Example Corp' }), deps());
    expect(await mac.commandLines(placeholders())).toEqual([
      'security find-identity -v -p codesigning',
      `codesign --force --sign ${HASH} --timestamp=none <temp>/preflight.txt`,
    ]);
    expect(result).toMatchObject({ mode: 'installed', identity: HASH, env: { APPLE_SIGNING_IDENTITY: HASH } });
    expect(result.keychain).toBeUndefined();
  });
});

describe('cleanup', () => {
  it('deletes the keychain (which drops it from the search list) and the private directory, restoring no saved list', async () => {
    await signApple(config({ ...certificate, ...apiKey }), deps());
    expect((await mac.state()).searchList).toEqual([LOGIN_KEYCHAIN, state[STATE.keychain]]);
    const before = (await mac.calls()).length;

    expect(await cleanup(readCleanupState(), { run: mac.runner(logger), logger })).toEqual([]);

    expect((await mac.commandLines(placeholders())).slice(before)).toEqual(['security delete-keychain <keychain>']);
    expect(await mac.state()).toMatchObject({ searchList: [LOGIN_KEYCHAIN], keychains: {} });
    expect(existsSync(state[STATE.tempDir]!)).toBe(false);
  });

  it('leaves the keychains of concurrent jobs on the same Mac in the search list', async () => {
    // Job A starts, then job B on the same self-hosted Mac; A finishes first.
    await signApple(config({ ...certificate }), deps());
    const stateA = readCleanupState();
    await signApple(config({ ...certificate }), deps());
    const stateB = readCleanupState();
    expect((await mac.state()).searchList).toEqual([LOGIN_KEYCHAIN, stateA.keychain, stateB.keychain]);

    expect(await cleanup(stateA, { run: mac.runner(logger), logger })).toEqual([]);
    expect((await mac.state()).searchList).toEqual([LOGIN_KEYCHAIN, stateB.keychain]);
    expect(await cleanup(stateB, { run: mac.runner(logger), logger })).toEqual([]);
    expect((await mac.state()).searchList).toEqual([LOGIN_KEYCHAIN]);
  });

  it('does nothing when main saved nothing', async () => {
    expect(await cleanup({ tempDir: '', keychain: '' }, { run: mac.runner(logger), logger })).toEqual([]);
    expect(await mac.calls()).toEqual([]);
  });

  it('tries every part and reports what it could not undo, never deleting a directory it did not create', async () => {
    const problems = await cleanup(
      { tempDir: '/etc', keychain: '/nowhere/signing.keychain-db' },
      { run: mac.runner(logger), logger },
    );
    expect(problems).toEqual([
      'Could not delete /etc: Refusing to delete "/etc": not a directory this action created (sign-apple-*).',
    ]);
    expect(await mac.commandLines()).toEqual(['security delete-keychain /nowhere/signing.keychain-db']);
    expect(logger.text()).toContain('/nowhere/signing.keychain-db was never created.');
  });
});
