/**
 * @module main
 * Inputs → the GitHub API client (GITHUB_TOKEN, masked) → the mode (create / upload / publish) → outputs and a job
 * summary of what each asset came to.
 */
import * as core from '@actions/core';
import { basename } from 'node:path';
import { coreLogger, failStep, readBooleanInput, readInput, readSecretInput } from '../../shared/src/core-io.ts';
import { describeEmpty } from '../../shared/src/inputs.ts';
import { RELEASE_NOTES_ENV } from '../../shared/src/release-notes.ts';
import { createRunner } from '../../shared/src/spawn.ts';
import { notarizedDmgCheck } from '../../upload-r2/src/notarized.ts';
import { GithubApi } from './github-api.ts';
import { parseMode, runMode, type ModeResult } from './modes.ts';

function summary(result: ModeResult): string {
  const { release } = result;
  const lines = [`### GitHub release ${release.tag_name}: ${result.status}`, '', `[${release.html_url}](${release.html_url}) (id ${release.id})`, ''];
  if (result.report.length > 0) {
    lines.push('| asset | size | result |', '|---|---:|---|');
    for (const row of result.report) lines.push(`| ${row.name} | ${row.size} | ${row.outcome === 'unchanged' ? 'unchanged (same bytes)' : row.outcome} |`);
  }
  if (result.skipped?.length) {
    lines.push('', '**Not attached:**', '');
    for (const file of result.skipped) lines.push(`- ${basename(file.path)}: ${file.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function run(): Promise<void> {
  try {
    const mode = parseMode(readInput('mode'));
    const token = readSecretInput('github-token');
    if (!token) throw new Error(`Input ${describeEmpty('github-token')}: leave it unset for the job's GITHUB_TOKEN.`);
    const repository = readInput('repository') ?? process.env.GITHUB_REPOSITORY;
    if (!repository || !/^[^/\s]+\/[^/\s]+$/.test(repository)) throw new Error(`Input repository must be owner/repo, not ${JSON.stringify(repository ?? '')}.`);
    const api = new GithubApi({ apiUrl: process.env.GITHUB_API_URL || 'https://api.github.com', repository, token, logger: coreLogger });

    const result = await runMode(
      api,
      {
        mode,
        releaseId: readInput('release-id'),
        tag: readInput('tag'),
        version: readInput('version'),
        name: readInput('name'),
        body: readInput('body'),
        commitish: readInput('commitish'),
        platform: readInput('platform'),
        bundleDirs: (readInput('bundle-dir') ?? '').split('\n').map((line) => line.trim()).filter(Boolean),
        latestJson: readBooleanInput('latest-json', false),
        serverUrl: process.env.GITHUB_SERVER_URL || 'https://github.com',
        serverNotes: process.env[RELEASE_NOTES_ENV]?.trim() || undefined,
        checkDmg: notarizedDmgCheck(createRunner(coreLogger)),
      },
      process.env,
      coreLogger,
    );
    core.setOutput('release-id', String(result.release.id));
    core.setOutput('html-url', result.release.html_url);
    core.setOutput('tag', result.release.tag_name);
    core.setOutput('status', result.status);
    core.setOutput('assets', JSON.stringify(result.report));
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summary(result)).write();
  } catch (error) {
    failStep(error);
  }
}
