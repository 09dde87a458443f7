/**
 * notarize-dmg's entry points: read inputs (falling back to what sign-apple exported), call the logic, set outputs
 * and the summary, fail the step on any throw. Outputs are set on failure too once a submission exists, so a later
 * step can look it up. `runPost` deletes a .p8 written from `api-key` if the main step was killed before it could.
 */
import * as core from '@actions/core';
import {
  coreLogger,
  failStep,
  maskSecret,
  readBooleanInput,
  readInput,
  readSecretEnv,
  readSecretInput,
} from '../../shared/src/core-io.ts';
import { removePrivateDir, runnerTemp } from '../../shared/src/files.ts';
import { parseDurationInput, parseIntegerInput, parseSecondsInput } from '../../shared/src/inputs.ts';
import { createRunner } from '../../shared/src/spawn.ts';
import { validateNotarizeInputs } from './config.ts';
import { NotarizeFailure, notarizeDmg, STATE, summaryMarkdown, TEMP_PREFIX, type NotarizeOutcome } from './notarize-dmg.ts';

const runner = () => createRunner(coreLogger, { missingProgramHint: 'notarize-dmg runs on macOS runners with Xcode (runs-on: macos-…).' });

/** A variable from the job's environment, empty meaning unset. */
function fromEnv(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value ? value : undefined;
}

async function report(outcome: NotarizeOutcome, failure?: string): Promise<void> {
  core.setOutput('submission-id', outcome.submissionId ?? '');
  core.setOutput('status', outcome.status ?? '');
  core.setOutput('dmg', outcome.dmg);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summaryMarkdown(outcome, failure)).write();
}

export async function run(): Promise<void> {
  try {
    const config = validateNotarizeInputs(
      {
        dmg: readInput('dmg'),
        app: readInput('app'),
        gatekeeperCheck: readInput('gatekeeper-check'),
        sign: readBooleanInput('sign', true),
        signingIdentity: readInput('signing-identity') ?? fromEnv('APPLE_SIGNING_IDENTITY'),
        keychain: readInput('keychain'),
        fromInputs: {
          apiKey: readSecretInput('api-key'),
          apiKeyPath: readInput('api-key-path'),
          apiKeyId: readInput('api-key-id'),
          apiIssuer: readInput('api-issuer'),
          appleId: readSecretInput('apple-id'),
          applePassword: readSecretInput('apple-password'),
          teamId: readInput('team-id'),
        },
        fromEnv: {
          apiKeyPath: fromEnv('APPLE_API_KEY_PATH'),
          apiKeyId: fromEnv('APPLE_API_KEY'),
          apiIssuer: fromEnv('APPLE_API_ISSUER'),
          appleId: readSecretEnv('APPLE_ID'),
          applePassword: readSecretEnv('APPLE_PASSWORD'),
          teamId: fromEnv('APPLE_TEAM_ID'),
        },
        waitTimeout: parseDurationInput('wait-timeout', readInput('wait-timeout'), '30m'),
        stapleAttempts: parseIntegerInput('staple-attempts', readInput('staple-attempts'), 5, 1, 20),
        retryDelaySeconds: parseSecondsInput('retry-delay', readInput('retry-delay'), 30),
      },
      maskSecret,
    );
    const outcome = await notarizeDmg(config, {
      run: runner(),
      logger: coreLogger,
      saveState: (name, value) => core.saveState(name, value),
      tempRoot: runnerTemp(),
      cwd: process.env.GITHUB_WORKSPACE || process.cwd(),
    });
    await report(outcome);
  } catch (error) {
    if (error instanceof NotarizeFailure) await report(error.outcome, error.message).catch(() => {});
    failStep(error);
  }
}

export async function runPost(): Promise<void> {
  try {
    const tempDir = core.getState(STATE.tempDir);
    if (tempDir) {
      await removePrivateDir(tempDir, TEMP_PREFIX);
      core.info(`Deleted ${tempDir} (if the main step had not already).`);
    }
  } catch (error) {
    failStep(error);
  }
}
