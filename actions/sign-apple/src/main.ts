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
import { runnerTemp } from '../../shared/src/files.ts';
import { parseIntegerInput } from '../../shared/src/inputs.ts';
import { createRunner } from '../../shared/src/spawn.ts';
import { cleanup } from './cleanup.ts';
import { validateSignInputs } from './config.ts';
import { signApple, STATE, summaryMarkdown } from './sign-apple.ts';

const runner = () => createRunner(coreLogger, { missingProgramHint: 'sign-apple runs on macOS runners (runs-on: macos-…).' });

export async function run(): Promise<void> {
  try {
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
