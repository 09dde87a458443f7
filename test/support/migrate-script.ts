/**
 * @module test/support/migrate-script
 * `node db/migrate.ts` run as `npm run migrate` runs it, in a process of its own under this Node (24), with only
 * PATH and the given environment: for the tests of what an operator sees.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MIGRATE_SCRIPT = fileURLToPath(new URL('../../db/migrate.ts', import.meta.url));

export interface MigrateRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runMigrateScript(env: Record<string, string>): Promise<MigrateRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [MIGRATE_SCRIPT], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}
