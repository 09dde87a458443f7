/**
 * @module main
 * Inputs → the matrix → outputs (`matrix` for `strategy.matrix: ${{ fromJSON(...) }}`, `version`) and a job summary.
 */
import * as core from '@actions/core';
import { failStep, readInput } from '../../shared/src/core-io.ts';
import { resolveVersion } from '../../shared/src/version.ts';
import { buildMatrix, matrixSummary, parseRunners } from './matrix.ts';

export async function run(): Promise<void> {
  try {
    const matrix = buildMatrix({
      platforms: readInput('platforms'),
      tauriArgs: readInput('tauri-args'),
      runners: parseRunners(readInput('runners')),
    });
    const resolved = resolveVersion(readInput('version'), process.env);
    if (!resolved) {
      core.warning('No version: the version input is empty and this run was not started by a tag, so the version output is empty. The release steps need one: pass version, or run on a tag such as v1.2.3.');
    }
    const version = resolved?.version ?? '';
    core.setOutput('matrix', JSON.stringify(matrix));
    core.setOutput('version', version);
    core.setOutput('platforms', JSON.stringify(matrix.include.flatMap((entry) => entry['update-platforms'].split(','))));
    core.info(`${matrix.include.length} leg(s): ${matrix.include.map((entry) => `${entry.name} on ${entry.runner}`).join(', ')}${version ? `; version ${version} (from the ${resolved!.source})` : ''}`);
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(matrixSummary(matrix, version || null)).write();
  } catch (error) {
    failStep(error);
  }
}
