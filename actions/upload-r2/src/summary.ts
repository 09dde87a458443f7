/**
 * @module summary
 * What the step reports: the `artifacts` output (api/_src/protocol/ci.ts `ciArtifactSchema`, what register-release
 * takes) and the job summary table (file, platform, bundle, size, sha256, how it was sent).
 */
import { basename } from 'node:path';
import type { CiArtifact } from '../../../api/_src/protocol/ci.ts';
import type { LocalArtifact, SkippedFile } from './discover.ts';
import { formatBytes } from './transfer.ts';

export interface UploadReport {
  artifact: LocalArtifact;
  /** `presigned PUT`, `presigned multipart (5 parts)`, `S3 PUT`, `already uploaded (same sha256)`, … */
  how: string;
  /** Transfer time; null when nothing was sent. */
  seconds: number | null;
}

export function toCiArtifact(artifact: LocalArtifact): CiArtifact {
  const common = { platform: artifact.platform, file_name: artifact.fileName, size: artifact.size, sha256: artifact.sha256 };
  // An installer only (a DMG) has neither: the server derives what it is from the name.
  if (artifact.installerOnly || artifact.bundle === null) return common;
  return { ...common, bundle: artifact.bundle, signature: artifact.signature };
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export interface SummaryContext {
  app: string;
  version: string;
  mode: 'presigned' | 's3';
  destination: string;
}

export function uploadSummary(reports: readonly UploadReport[], skipped: readonly SkippedFile[], context: SummaryContext): string {
  const total = reports.reduce((sum, r) => sum + r.artifact.size, 0);
  const lines = [
    `### Uploaded ${reports.length} artifact${reports.length === 1 ? '' : 's'} of ${context.app} ${context.version}`,
    '',
    `${context.mode === 'presigned' ? 'Presigned URLs from' : 'Directly to'} ${context.destination}; ${formatBytes(total)} in all.`,
    '',
    '| file | platform | bundle | size | sha256 | upload |',
    '|---|---|---|---:|---|---|',
    ...reports.map(({ artifact: a, how, seconds }) =>
      `| ${cell(a.fileName)} | ${a.platform} | ${a.installerOnly ? 'dmg (installer)' : a.bundle} | ${formatBytes(a.size)} | \`${a.sha256}\` | ${how}${seconds === null ? '' : `, ${seconds.toFixed(1)} s`} |`,
    ),
    '',
  ];
  if (skipped.length) {
    lines.push('Not uploaded:', '', ...skipped.map((s) => `- ${cell(basename(s.path))}: ${cell(s.reason)}`), '');
  }
  return lines.join('\n');
}
