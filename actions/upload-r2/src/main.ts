/**
 * @module main
 * Inputs → find the leg's updater artifacts → upload them (presigned URLs from the control plane, or straight to
 * S3) → the `artifacts` output for register-release, and a job summary table.
 */
import * as core from '@actions/core';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { controlPlane, readServerInputs } from '../../shared/src/control-plane-io.ts';
import { coreLogger, failStep, readBooleanInput, readInput, readSecretInput } from '../../shared/src/core-io.ts';
import { createRunner } from '../../shared/src/spawn.ts';
import { discoverArtifacts } from './discover.ts';
import { notarizedDmgCheck } from './notarized.ts';
import { validateUploadOptions } from './options.ts';
import { checkWritable, uploadPresigned } from './presigned.ts';
import { uploadDirect } from './s3-direct.ts';
import { toCiArtifact, uploadSummary, type UploadReport } from './summary.ts';
import type { TransferSettings } from './transfer.ts';

/**
 * The process's peak resident memory. On Linux from VmHWM, which starts afresh with this program; getrusage's
 * maxRSS keeps the high-water mark of the process that forked it.
 */
function peakRssMiB(): number {
  try {
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kib) return Math.round(Number(kib) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

export async function run(): Promise<void> {
  try {
    const server = readServerInputs();
    const options = validateUploadOptions(
      {
        version: readInput('version'),
        platform: readInput('platform'),
        bundleDir: readInput('bundle-dir'),
        mode: readInput('mode'),
        concurrency: readInput('concurrency'),
        s3Endpoint: readInput('s3-endpoint'),
        s3Bucket: readInput('s3-bucket'),
        s3Region: readInput('s3-region'),
        s3AccessKeyId: readSecretInput('s3-access-key-id'),
        s3SecretAccessKey: readSecretInput('s3-secret-access-key'),
        s3ForcePathStyle: readBooleanInput('s3-force-path-style', true),
        partSizeMib: readInput('part-size-mib'),
      },
      process.env,
    );
    const checkInstaller = notarizedDmgCheck(createRunner(coreLogger));
    const { artifacts, skipped } = await discoverArtifacts({ dirs: options.dirs, platforms: options.platforms, version: options.version, checkInstaller }, coreLogger);
    for (const file of skipped) core.info(`Not uploaded: ${basename(file.path)}: ${file.reason}.`);
    core.info(`Found ${artifacts.length} artifact(s) for ${options.platforms.join(', ')}: ${artifacts.map((a) => a.fileName).join(', ')}`);

    const settings: TransferSettings = { logger: coreLogger, concurrency: options.concurrency };
    const plane = controlPlane(server, coreLogger);
    let reports: UploadReport[];
    if (options.s3) {
      // The server says whether the release can still take files, before any byte goes to the bucket it serves.
      checkWritable(await plane.createRelease({ version: options.version }), artifacts);
      reports = await uploadDirect(options.s3, server.app, options.version, artifacts, settings);
    } else {
      reports = await uploadPresigned(plane, options.version, artifacts, settings);
    }

    core.setOutput('artifacts', JSON.stringify(artifacts.map(toCiArtifact)));
    core.debug(`peak memory: max RSS ${peakRssMiB()} MiB`);
    if (process.env.GITHUB_STEP_SUMMARY) {
      const destination = options.s3 ? `s3://${options.s3.bucket} at ${options.s3.endpoint}` : server.serverUrl;
      await core.summary.addRaw(uploadSummary(reports, skipped, { app: server.app, version: options.version, mode: options.mode, destination })).write();
    }
  } catch (error) {
    failStep(error);
  }
}
