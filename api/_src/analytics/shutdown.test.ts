/**
 * `npm start` writes the counts it still holds when it is stopped: checks made just before SIGTERM are
 * in the database when the server starts again on the same data directory.
 */
import { afterAll, expect, it } from '@jest/globals';
import { rm } from 'node:fs/promises';
import { type RunningServer, startServer } from '../../../test/support/server.ts';

let first: RunningServer | undefined;
let second: RunningServer | undefined;
afterAll(async () => {
  await first?.stop();
  await second?.stop();
});

it('flushes the in-memory counts on SIGTERM', async () => {
  first = await startServer();
  expect((await first.admin('/admin/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'shut', name: 'Shut' }) })).status).toBe(201);
  for (let i = 0; i < 7; i++) {
    const res = await fetch(`${first.url}/update/shut/linux/x86_64/1.0.${i % 2}`, { headers: { 'x-install-id': `install-${i % 3}-abcdef` } });
    expect(res.status).toBe(204);
  }
  // Stop without removing the data directory, then start again on it.
  const { dataDir } = first;
  const exited = new Promise((resolve) => first!.child.once('exit', resolve));
  const stoppedAt = Date.now();
  first.child.kill('SIGTERM');
  await exited;
  expect(Date.now() - stoppedAt).toBeLessThan(4_000); // did not sit out the 5 s fallback
  first = undefined;
  second = await startServer({ env: { DATA_DIR: dataDir } });
  try {
    const res = await second.admin('/admin/apps/shut/analytics/checks');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { total: number; days: { version: string; checks: number; installs: number }[] };
    expect(body.total).toBe(7);
    expect(body.days.map((d) => [d.version, d.checks, d.installs])).toEqual([['1.0.0', 4, 3], ['1.0.1', 3, 3]]);
  } finally {
    await second.stop();
    second = undefined;
    await rm(dataDir, { recursive: true, force: true });
  }
}, 120_000);
