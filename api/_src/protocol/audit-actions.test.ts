/**
 * `audit()` takes only a listed action (its type), so every action the server writes is listed; this checks the
 * other way: every listed action is written somewhere in the server's source, so the dashboard suggests none that
 * cannot occur.
 */
import { expect, it } from '@jest/globals';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIT_ACTIONS } from './audit-actions.ts';

const SERVER = fileURLToPath(new URL('..', import.meta.url));

async function serverSources(): Promise<string> {
  const files = (await readdir(SERVER, { recursive: true }))
    .filter((file) => /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file))
    // The dashboard (its source and its bundle) only suggests them; this list is not a place that writes one.
    .filter((file) => !file.startsWith(join('ui', 'client')) && !file.startsWith(join('ui', 'dist')) && file !== join('protocol', 'audit-actions.ts'));
  return (await Promise.all(files.map((file) => readFile(join(SERVER, file), 'utf8')))).join('\n');
}

it('lists only actions the server writes', async () => {
  const sources = await serverSources();
  const unwritten = AUDIT_ACTIONS.filter((action) => !sources.includes(`'${action}'`));
  expect(unwritten).toEqual([]);
});

it('is sorted and has no duplicates, so a new action has one obvious place', () => {
  expect([...AUDIT_ACTIONS]).toEqual([...new Set(AUDIT_ACTIONS)].sort());
});
