/**
 * @module main
 * Inputs → OIDC exchange (or API key) → register the leg's artifacts, optionally publish → outputs (release id,
 * update URL) and a job summary.
 */
import * as core from '@actions/core';
import { controlPlane, readServerInputs } from '../../shared/src/control-plane-io.ts';
import { coreLogger, failStep, readBooleanInput, readInput } from '../../shared/src/core-io.ts';
import { RELEASE_NOTES_ENV } from '../../shared/src/release-notes.ts';
import { requireVersion } from '../../shared/src/version.ts';
import { parseArtifactsInput, registerRelease, registerSummary } from './register.ts';

export async function run(): Promise<void> {
  try {
    const server = readServerInputs();
    const version = requireVersion(readInput('version'), process.env);
    const artifacts = parseArtifactsInput(readInput('artifacts'));
    const publish = readBooleanInput('publish', false);
    if (artifacts.length === 0 && !publish) core.info('No artifacts given and publish is false: only the draft (its notes and channel) is created or updated.');

    const result = await registerRelease(
      controlPlane(server, coreLogger),
      { version, artifacts, notes: readInput('notes'), channel: readInput('channel'), publish },
      coreLogger,
    );
    core.setOutput('release-id', result.view.id);
    core.setOutput('update-url', result.view.update_url);
    core.setOutput('status', result.view.status);
    core.setOutput('version', result.view.version);
    core.setOutput('notes', result.view.notes ?? '');
    // For actions/github-release in a later step of this job: the GitHub release gets the server's notes.
    if (result.view.notes) core.exportVariable(RELEASE_NOTES_ENV, result.view.notes);
    core.info(`Update URL for tauri.conf.json (plugins.updater.endpoints): ${result.view.update_url}`);
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(registerSummary(server.app, result)).write();
  } catch (error) {
    failStep(error);
  }
}
