/**
 * @module main
 * Inputs → signFiles → outputs. Two ways in:
 *  - as a workflow step: the files come from the `files` input;
 *  - as Tauri's `bundle.windows.signCommand` (`node dist/index.js %1`): Tauri passes one file path as an
 *    argument and makes the updater `.sig` itself afterwards, so no `.sig` work is done and no outputs are
 *    written (the inputs then come from `INPUT_*` variables in the `tauri build` step's environment).
 */
import * as core from '@actions/core';
import { resolve } from 'node:path';
import { coreLogger, failStep, readBooleanInput, readInput, readSecretInput } from '../../shared/src/core-io.ts';
import { createRunner } from '../../shared/src/spawn.ts';
import { expandFiles } from './files.ts';
import { missingProgramHint, validateOptions } from './options.ts';
import { signFiles } from './sign.ts';

const lines = (value: string | undefined): string[] | undefined => value?.split(/\r?\n/);

export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  try {
    const options = validateOptions(
      {
        certificate: readSecretInput('certificate'),
        certificatePassword: readSecretInput('certificate-password'),
        timestampUrls: lines(readInput('timestamp-urls')),
        timestampTimeout: readInput('timestamp-timeout'),
        allowUntimestamped: readBooleanInput('allow-untimestamped', false),
        tool: readInput('tool'),
        signtoolPath: readInput('signtool-path'),
        description: readInput('description'),
        descriptionUrl: readInput('description-url'),
        verify: readBooleanInput('verify', true),
        verifyCaFile: readInput('verify-ca-file'),
        tauriSigningPrivateKey: readSecretInput('tauri-signing-private-key'),
        tauriSigningPrivateKeyPassword: readSecretInput('tauri-signing-private-key-password'),
        tauriCli: readInput('tauri-cli'),
        appVersion: readInput('app-version'),
        workingDirectory: readInput('working-directory'),
        signCommand: readInput('sign-command'),
      },
      process.platform,
    );
    const asSignCommand = argv.length > 0;
    const files = asSignCommand
      ? argv.map((file) => resolve(options.workingDirectory, file))
      : await expandFiles(lines(readInput('files')) ?? [], options.workingDirectory);
    const runner = createRunner(coreLogger, { missingProgramHint: (command) => missingProgramHint(options, command) });
    const signed = await signFiles(options, files, { run: runner, log: coreLogger }, { updaterSignatures: !asSignCommand });
    if (asSignCommand) return;

    core.setOutput('signed-files', JSON.stringify(signed.map((file) => file.path)));
    core.setOutput('updater-signatures', JSON.stringify(signed.flatMap((file) => (file.updaterSignature ? [file.updaterSignature] : []))));
    core.setOutput('timestamp-urls', JSON.stringify(signed.map((file) => file.timestampUrl)));
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    await core.summary
      .addHeading('Authenticode', 3)
      .addTable([
        [
          { data: 'file', header: true },
          { data: 'timestamp server', header: true },
          { data: 'updater .sig', header: true },
        ],
        ...signed.map((file) => [file.path, file.timestampUrl ?? (options.signCommand ? 'sign-command' : 'none'), file.updaterSignature ? 'made after signing' : '-']),
      ])
      .write();
  } catch (error) {
    failStep(error);
  }
}
