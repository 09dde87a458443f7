/**
 * sign-apple's entry points: read inputs, call the logic, set outputs and variables; fail the step on any throw.
 * `run` is the main step (src/index.ts), `runPost` the cleanup (src/post.ts).
 */
import * as core from '@actions/core';
import {
  coreLogger,
  failStep,
  maskSecret,
  readBooleanInput,
  readInput,
  readSecretInput,
} from '../../shared/src/core-io.ts';
import { decodeApiKey } from '../../shared/src/apple-credentials.ts';
import { decodeBase64, runnerTemp } from '../../shared/src/files.ts';
import { parseIntegerInput } from '../../shared/src/inputs.ts';
import { createRunner } from '../../shared/src/spawn.ts';
import { cleanup } from './cleanup.ts';
import { validateSignInputs } from './config.ts';
import { diagnoseApple, findingLines } from './diagnose.ts';
import { signApple, STATE, summaryMarkdown } from './sign-apple.ts';

const runner = () => createRunner(coreLogger, { missingProgramHint: 'sign-apple runs on macOS runners (runs-on: macos-…).' });

export async function run(): Promise<void> {
  try {
    const mode = readInput('mode') ?? 'sign';
    if (mode === 'diagnose') return await runDiagnosis();
    if (mode !== 'sign') throw new Error(`mode must be sign or diagnose, not ${JSON.stringify(mode)}.`);
    const config = validateSignInputs(
      {
        certificate: readSecretInput('certificate'),
        certificatePassword: readSecretInput('certificate-password'),
        signingIdentity: readInput('signing-identity'),
        apiKey: readSecretInput('api-key'),
        apiKeyId: readInput('api-key-id'),
        apiIssuer: readInput('api-issuer'),
        appleId: readSecretInput('apple-id'),
        applePassword: readSecretInput('apple-password'),
        teamId: readInput('team-id'),
        keychainTimeoutSeconds: parseIntegerInput('keychain-timeout', readInput('keychain-timeout'), 21_600, 60, 86_400),
        allowAdHoc: readBooleanInput('allow-ad-hoc', true),
      },
      maskSecret,
    );
    const result = await signApple(config, {
      run: runner(),
      logger: coreLogger,
      saveState: (name, value) => core.saveState(name, value),
      mask: maskSecret,
      tempRoot: runnerTemp(),
      env: process.env,
    });
    for (const [name, value] of Object.entries(result.env)) core.exportVariable(name, value);
    core.setOutput('identity', result.identity);
    core.setOutput('identity-name', result.identityName);
    core.setOutput('team-id', result.teamId ?? '');
    core.setOutput('keychain', result.keychain ?? '');
    core.setOutput('api-key-path', result.apiKeyPath ?? '');
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summaryMarkdown(result)).write();
  } catch (error) {
    failStep(error);
  }
}

/** `mode: diagnose`: checks the credentials offline (diagnose.ts), signs nothing, fails when any is wrong. */
async function runDiagnosis(): Promise<void> {
  try {
    const certificate = readSecretInput('certificate');
    const apiKey = readSecretInput('api-key');
    const findings = await diagnoseApple(
      {
        ...(certificate ? { p12: decodeBase64(certificate.reveal(), 'certificate', 'base64 -i certificate.p12 | pbcopy') } : {}),
        ...optional('p12Password', readSecretInput('certificate-password')),
        ...optional('identity', readInput('signing-identity')),
        ...optional('teamId', readInput('team-id')),
        ...(apiKey ? { p8: decodeApiKey(apiKey, maskSecret) } : {}),
        ...optional('keyId', readInput('api-key-id')),
        ...optional('issuer', readInput('api-issuer')),
      },
      { run: runner(), tempRoot: runnerTemp() },
    );
    for (const line of findingLines(findings)) core.info(line);
    if (process.env.GITHUB_STEP_SUMMARY) {
      const cell = (text: string) => text.replace(/\|/g, '\\|');
      const rows = findings.map((f) => `| ${f.check} | ${f.status} | ${cell(f.message)} | ${cell(f.fix ?? '')} |`);
      await core.summary.addRaw(['### Apple credentials', '', '| check | status | finding | fix |', '|---|---|---|---|', ...rows, ''].join('\n')).write();
    }
    const problems = findings.filter((f) => f.status === 'problem');
    if (problems.length > 0) core.setFailed(problems.map((f) => `${f.check}: ${f.message}. Fix: ${f.fix}`).join('\n'));
  } catch (error) {
    failStep(error);
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));

export async function runPost(): Promise<void> {
  try {
    const problems = await cleanup(
      { tempDir: core.getState(STATE.tempDir), keychain: core.getState(STATE.keychain) },
      { run: runner(), logger: coreLogger },
    );
    if (problems.length > 0) core.setFailed(problems.join('\n'));
  } catch (error) {
    failStep(error);
  }
}
