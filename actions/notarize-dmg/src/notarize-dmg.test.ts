/**
 * notarize-dmg's logic against the fake macOS tools: the exact command sequence, and each way notarization goes
 * wrong in CI (docs/reference/signing.md §7): Invalid with exit code 0, "Record not found" right after Accepted, a wait that
 * runs out, network errors on upload and wait, refused credentials, an unavailable timestamp service.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_IDENTITY, installFakeMacos, type FakeMacos, type FakeScenario } from '../../../test/support/fake-macos/index.ts';
import { API_ISSUER, API_KEY_ID, P8_PEM } from '../../../test/support/fake-macos/fixtures.ts';
import { Secret } from '../../shared/src/secret.ts';
import { memoryLogger, type MemoryLogger } from '../../shared/src/testing.ts';
import { validateNotarizeInputs, type AuthFields } from './config.ts';
import { NotarizeFailure, notarizeDmg, resolveDmg, STATE, type NotarizeDeps } from './notarize-dmg.ts';

const HASH = DEFAULT_IDENTITY.hash;
const ID_1 = '6f1c2a3b-1d2e-4f50-9a6b-000000000001';

let mac: FakeMacos;
let work: string;
let dmg: string;
let keyPath: string;
let logger: MemoryLogger;
let state: Record<string, string>;
let slept: number[];

beforeEach(async () => {
  // A Mac where sign-apple already ran: the identity is in the search list, the .p8 is on disk.
  mac = await installFakeMacos({ loginIdentities: [DEFAULT_IDENTITY] });
  work = await mkdtemp(join(tmpdir(), 'notarize-'));
  dmg = join(work, 'Example_1.0.0_aarch64.dmg');
  keyPath = join(work, `AuthKey_${API_KEY_ID}.p8`);
  await writeFile(dmg, 'UDIF disk image');
  await writeFile(keyPath, P8_PEM);
  logger = memoryLogger();
  state = {};
  slept = [];
});
afterEach(async () => {
  await mac.cleanup();
  await rm(work, { recursive: true, force: true });
});

const signAppleEnv: AuthFields = { apiKeyPath: '', apiKeyId: API_KEY_ID, apiIssuer: API_ISSUER };
function config(overrides: { fromInputs?: AuthFields; waitTimeout?: string; sign?: boolean; dmg?: string; app?: string; gatekeeperCheck?: string } = {}) {
  return validateNotarizeInputs({
    dmg: overrides.dmg ?? 'Example_1.0.0_aarch64.dmg',
    ...(overrides.app ? { app: overrides.app } : {}),
    ...(overrides.gatekeeperCheck ? { gatekeeperCheck: overrides.gatekeeperCheck } : {}),
    sign: overrides.sign ?? true,
    signingIdentity: HASH,
    fromInputs: overrides.fromInputs ?? {},
    fromEnv: { ...signAppleEnv, apiKeyPath: keyPath },
    waitTimeout: { seconds: 1800, text: overrides.waitTimeout ?? '30m' },
    stapleAttempts: 5,
    retryDelaySeconds: 30,
  });
}
const deps = (): NotarizeDeps => ({
  run: mac.runner(logger),
  logger,
  saveState: (name, value) => void (state[name] = value),
  tempRoot: work,
  cwd: work,
  sleep: async (ms) => void slept.push(ms),
});
const auth = () => `--key ${keyPath} --key-id ${API_KEY_ID} --issuer ${API_ISSUER}`;
const run = async (scenario: FakeScenario = {}, overrides: Parameters<typeof config>[0] = {}) => {
  await mac.setScenario({ loginIdentities: [DEFAULT_IDENTITY], ...scenario });
  return notarizeDmg(config(overrides), deps());
};
const failure = (promise: Promise<unknown>) => promise.then(() => Promise.reject(new Error('expected a failure')), (e: unknown) => e as NotarizeFailure);

describe('notarizeDmg', () => {
  it('signs with a timestamp, submits without waiting, waits bounded, staples and verifies, in that order', async () => {
    const outcome = await run();
    expect(outcome).toEqual({ dmg, submissionId: ID_1, status: 'Accepted', gatekeeper: 'accepted' });
    expect(await mac.commandLines()).toEqual([
      `xcrun stapler validate -v ${dmg}`,
      `codesign --force --sign ${HASH} --timestamp ${dmg}`,
      `codesign --verify --strict --verbose=2 ${dmg}`,
      `xcrun notarytool submit ${dmg} ${auth()} --no-wait --output-format json`,
      `xcrun notarytool wait ${ID_1} ${auth()} --timeout 30m --output-format json`,
      `xcrun stapler staple -v ${dmg}`,
      `xcrun stapler validate -v ${dmg}`,
      `spctl -a -vvv -t open --context context:primary-signature ${dmg}`,
    ]);
    expect((await mac.state()).stapled).toEqual([dmg]);
    expect(logger.text()).toContain(`Submission ID: ${ID_1}. If this job stops before the result, look it up with \`xcrun notarytool info ${ID_1}\``);
  });

  it('verifies the .app of Tauri\'s bundle layout with --deep --strict before signing the DMG', async () => {
    const bundle = join(work, 'bundle');
    await mkdir(join(bundle, 'macos', 'Example.app', 'Contents'), { recursive: true });
    await mkdir(join(bundle, 'dmg'));
    await writeFile(join(bundle, 'dmg', 'Example.dmg'), 'UDIF disk image');
    const app = join(bundle, 'macos', 'Example.app');
    const outcome = await run({}, { dmg: 'bundle/dmg/Example.dmg' });
    expect(outcome).toMatchObject({ app, status: 'Accepted' });
    expect((await mac.commandLines()).slice(0, 3)).toEqual([
      `xcrun stapler validate -v ${join(bundle, 'dmg', 'Example.dmg')}`,
      `codesign --verify --deep --strict --verbose=2 ${app}`,
      `codesign --force --sign ${HASH} --timestamp ${join(bundle, 'dmg', 'Example.dmg')}`,
    ]);
  });

  it('names the nested binary that does not verify, and submits nothing', async () => {
    const app = join(work, 'Example.app');
    await mkdir(app);
    const error = await failure(run({ appNestedUnsigned: 'Contents/Resources/bin/ffmpeg' }, { app: 'Example.app' }));
    expect(error.message).toMatch(
      new RegExp(`^${app}/Contents/Resources/bin/ffmpeg is not signed \\(codesign --verify --deep --strict ${app}\\), so Apple would reject the DMG\\.`),
    );
    expect((await mac.commandLines()).some((line) => line.includes('notarytool'))).toBe(false);
  });

  it('gatekeeper-check: fail stops on an assessment without "Notarized Developer ID"; warn ships with a warning; off skips it', async () => {
    const rejected = await failure(run({ assessmentsDisabled: true }));
    expect(rejected.message).toMatch(/^Gatekeeper does not accept .* as a notarized Developer ID disk image/);

    await rm(dmg);
    await writeFile(dmg, 'UDIF disk image');
    await mac.cleanup();
    mac = await installFakeMacos({ loginIdentities: [DEFAULT_IDENTITY] });
    const warned = await run({ assessmentsDisabled: true }, { gatekeeperCheck: 'warn' });
    expect(warned).toMatchObject({ status: 'Accepted', gatekeeper: 'not accepted' });
    expect(logger.entries).toContainEqual({ level: 'warning', message: expect.stringMatching(/override=security disabled[^]*Continuing \(gatekeeper-check: warn\)/) });

    await mac.cleanup();
    mac = await installFakeMacos({ loginIdentities: [DEFAULT_IDENTITY] });
    await rm(dmg);
    await writeFile(dmg, 'UDIF disk image');
    const skipped = await run({}, { gatekeeperCheck: 'off' });
    expect(skipped).toMatchObject({ status: 'Accepted', gatekeeper: 'not checked' });
    expect((await mac.commandLines()).some((line) => line.startsWith('spctl'))).toBe(false);
    expect(() => config({ gatekeeperCheck: 'maybe' })).toThrow('gatekeeper-check must be fail, warn or off, not "maybe".');
  });

  it('Invalid with exit code 0: fetches the developer log, reports each issue, never staples', async () => {
    const error = await failure(run({ notaryStatus: 'Invalid' }));
    expect(error).toBeInstanceOf(NotarizeFailure);
    expect(error.outcome).toMatchObject({ submissionId: ID_1, status: 'Invalid', statusSummary: 'Archive contains critical validation errors' });
    expect(error.message).toBe(
      [
        `Notarization Invalid for submission ${ID_1}: Archive contains critical validation errors.`,
        '2 issues:',
        '- Example_1.0.0_aarch64.dmg/Example.app/Contents/Resources/bin/ffmpeg: The binary is not signed with a valid Developer ID certificate.',
        '- Example_1.0.0_aarch64.dmg/Example.app/Contents/Resources/bin/ffmpeg: The signature does not include a secure timestamp.',
        'Submitting the same DMG again gives the same result. Fix the signing (every nested binary signed inside-out with --options runtime --timestamp, nothing modified after signing), rebuild, and run again.',
      ].join('\n'),
    );
    expect((await mac.commandLines()).slice(4)).toEqual([
      `xcrun notarytool wait ${ID_1} ${auth()} --timeout 30m --output-format json`,
      `xcrun notarytool log ${ID_1} ${auth()}`,
    ]);
    expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.message)).toEqual([
      'Example_1.0.0_aarch64.dmg/Example.app/Contents/Resources/bin/ffmpeg: The binary is not signed with a valid Developer ID certificate. (arm64)',
      'Example_1.0.0_aarch64.dmg/Example.app/Contents/Resources/bin/ffmpeg: The signature does not include a secure timestamp. (arm64)',
    ]);
    expect(logger.text()).toContain('"statusSummary": "Archive contains critical validation errors"');
  });

  it('Rejected is a failure too, with the log fetched', async () => {
    const error = await failure(run({ notaryStatus: 'Rejected' }));
    expect(error.outcome.status).toBe('Rejected');
    expect((await mac.commandLines()).at(-1)).toBe(`xcrun notarytool log ${ID_1} ${auth()}`);
  });

  it('retries the staple while Apple answers "Record not found", with the configured delay', async () => {
    const outcome = await run({ stapleRecordNotFound: 2 });
    expect(outcome.status).toBe('Accepted');
    expect((await mac.commandLines()).filter((line) => line.startsWith('xcrun stapler staple'))).toHaveLength(3);
    expect(slept).toEqual([30_000, 30_000]);
    expect(logger.text()).toContain('The ticket is not on Apple\'s servers yet ("Record not found", attempt 1); stapling again in 30 s.');
  });

  it('gives up stapling after staple-attempts, saying no new submission is needed', async () => {
    const error = await failure(run({ stapleRecordNotFound: 10 }));
    expect(error.message).toMatch(/Apple's ticket was still not available after 5 attempts; staple again later with `xcrun stapler staple .*` \(no new submission needed\)/);
    expect(error.outcome).toMatchObject({ submissionId: ID_1, status: 'Accepted' });
  });

  it('a wait that runs out asks for the status and fails with the submission ID, without log or staple', async () => {
    const error = await failure(run({ notaryStatus: 'In Progress' }, { waitTimeout: '1m' }));
    expect(error.outcome).toMatchObject({ submissionId: ID_1, status: 'In Progress' });
    expect(error.message).toBe(
      `Notarization of submission ${ID_1} did not finish within 1m (status: In Progress). Apple keeps processing it: ` +
        `look it up later with \`xcrun notarytool info ${ID_1}\`, or raise wait-timeout. Re-running the job uploads a new build, which is safe.`,
    );
    expect((await mac.commandLines()).slice(4)).toEqual([
      `xcrun notarytool wait ${ID_1} ${auth()} --timeout 1m --output-format json`,
      `xcrun notarytool info ${ID_1} ${auth()} --output-format json`,
    ]);
  });

  it('uploads again after a network error, and waits again without re-uploading', async () => {
    const outcome = await run({ submitNetworkFailures: 1, waitNetworkFailures: 2 });
    expect(outcome.status).toBe('Accepted');
    const lines = await mac.commandLines();
    expect(lines.filter((l) => l.startsWith('xcrun notarytool submit'))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('xcrun notarytool wait'))).toHaveLength(3);
    expect(Object.keys((await mac.state()).submissions)).toEqual([ID_1]);
    expect(slept).toEqual([30_000, 30_000, 60_000]);
  });

  it('when Apple stays out of reach, says what to do: re-run before an upload, look the submission up after one', async () => {
    const upload = await failure(run({ submitNetworkFailures: 9 }));
    expect(upload.message).toMatch(/^Apple's notary service could not be reached \(3 attempts to upload\): no submission ID came back; re-run the job\.\nnotarytool submit failed \(exit 1\)\./);
    await mac.cleanup();
    mac = await installFakeMacos({ loginIdentities: [DEFAULT_IDENTITY] });
    const waiting = await failure(run({ waitNetworkFailures: 9 }));
    expect(waiting.outcome).toMatchObject({ submissionId: ID_1 });
    expect(waiting.message).toMatch(
      new RegExp(`^Apple's notary service could not be reached \\(3 attempts to wait for submission ${ID_1}\\): it was uploaded, so look it up later with \`xcrun notarytool info ${ID_1}\` and the same credentials \\(no new upload needed\\), or re-run the job\\.\\nnotarytool wait failed`),
    );
  });

  it('does not retry refused credentials, and says what to check', async () => {
    const error = await failure(run({ notaryUnauthorized: true }));
    expect(error.message).toMatch(/^notarytool submit failed \(exit 69\)\. Apple refused the credentials \(HTTP 401\)\. Use a Team API key/);
    expect((await mac.commandLines()).filter((l) => l.includes('notarytool'))).toHaveLength(1);
  });

  it('stops a codesign that waits on a keychain prompt, says how to fix the keychain, and submits nothing', async () => {
    await mac.setScenario({ loginIdentities: [DEFAULT_IDENTITY], codesignPrompts: true });
    const error = await failure(notarizeDmg(config(), { ...deps(), signTimeoutMs: 1_500 }));
    expect(error.message).toMatch(/^codesign did not finish within 1\.5 s and was stopped: it was most likely waiting on a keychain prompt/);
    expect(error.message).toContain('security set-key-partition-list -S apple-tool:,apple:,codesign: -s -k <password> <keychain>');
    const lines = await mac.commandLines();
    expect(lines.filter((l) => l.startsWith('codesign --force'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('notarytool'))).toBe(false);
  });

  it('signs again while the timestamp service is unavailable', async () => {
    await run({ codesignTimestampFailures: 1 });
    expect((await mac.commandLines()).filter((l) => l.startsWith('codesign --force'))).toHaveLength(2);
  });

  it('never signs a DMG that already has a ticket: verifies it and stops', async () => {
    await run();
    const before = (await mac.calls()).length;
    const outcome = await notarizeDmg(config(), deps());
    expect(outcome).toEqual({ dmg, status: 'Accepted', alreadyStapled: true, gatekeeper: 'accepted' });
    expect((await mac.commandLines()).slice(before)).toEqual([
      `xcrun stapler validate -v ${dmg}`,
      `spctl -a -vvv -t open --context context:primary-signature ${dmg}`,
    ]);
    expect((await mac.state()).stapled).toEqual([dmg]);
  });

  it('refuses an unsigned DMG when told not to sign', async () => {
    await expect(run({}, { sign: false })).rejects.toThrow(/Example_1\.0\.0_aarch64\.dmg is not signed, so Apple would reject it\. Set sign: true/);
    expect((await mac.calls()).some((call) => call.args[0] === 'notarytool')).toBe(false);
  });

  it('with Apple ID credentials, passes them to notarytool and keeps them out of the log', async () => {
    const password = 'abcd-efgh-ijkl-mnop';
    await run({}, {
      fromInputs: { appleId: new Secret('apple-id', 'dev@example.com'), applePassword: new Secret('apple-password', password), teamId: 'ABCDE12345' },
    });
    expect((await mac.commandLines())[3]).toBe(
      `xcrun notarytool submit ${dmg} --apple-id dev@example.com --password ${password} --team-id ABCDE12345 --no-wait --output-format json`,
    );
    expect(logger.text()).toContain(`[command] xcrun notarytool submit ${dmg} --apple-id *** --password *** --team-id ABCDE12345`);
    expect(logger.text()).not.toContain(password);
  });

  it('writes an api-key input to a private file for the run and deletes it after, even on failure', async () => {
    const fromInputs = { apiKey: new Secret('api-key', P8_PEM), apiKeyId: API_KEY_ID, apiIssuer: API_ISSUER };
    await failure(run({ notaryStatus: 'Invalid' }, { fromInputs }));
    const submitted = (await mac.calls()).find((call) => call.args[1] === 'submit')!.args;
    const written = submitted[submitted.indexOf('--key') + 1]!;
    expect(written).toBe(join(state[STATE.tempDir]!, `AuthKey_${API_KEY_ID}.p8`));
    expect(existsSync(state[STATE.tempDir]!)).toBe(false);
    expect((await readdir(work)).filter((name) => name.startsWith('notarize-dmg-'))).toEqual([]);
  });

  it('explains a missing APPLE_API_KEY_PATH (sign-apple ran in another job)', async () => {
    await rm(keyPath);
    await expect(run()).rejects.toThrow(/The API key file .* \(APPLE_API_KEY_PATH \/ api-key-path\) does not exist\. sign-apple writes it in the same job/);
  });
});

describe('resolveDmg', () => {
  it('takes a path or a glob matching exactly one .dmg', async () => {
    expect(resolveDmg('*.dmg', work)).toBe(dmg);
    expect(resolveDmg(dmg, '/')).toBe(dmg);
    await writeFile(join(work, 'Other.dmg'), '');
    expect(() => resolveDmg('*.dmg', work)).toThrow(/matches 2 files; make it match one:\n {2}.*Example_1\.0\.0_aarch64\.dmg\n {2}.*Other\.dmg/);
    expect(() => resolveDmg('missing/*.dmg', work)).toThrow(`dmg "missing/*.dmg" matches no file (relative paths start at ${work}).`);
    expect(() => resolveDmg(keyPath, work)).toThrow(/is not a \.dmg/);
  });
});
