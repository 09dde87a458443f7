/**
 * @module bench/listener-cost
 * `npm run bench:listener`: what the node:http listener both entries run costs per check, beside bare `node:http`
 * answering the same recorded bytes, without a database, storage or anything else in the process
 * (listener-server.ts: one snapshot built from generated rows). Three variants of ours in the same interleaved rounds
 * (measure.ts): the listener as it is, each check read and selected afresh (as before the plain-check memo), and the
 * listener in a process that first served other traffic through node's shared HTTP and stream code. The server's
 * own CPU per response (/proc) is the figure to read; `BENCH_ROUNDS` (default 8) changes the rounds.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/server.ts';
import { CHECK_PATH, LISTENER_VARIANTS } from './listener-server.ts';
import { measureInRounds } from './measure.ts';
import { get, startService, type Service, waitForOk } from './process.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const PER_CONNECTION = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date']);
const services: Service[] = [];
const work = await mkdtemp(join(tmpdir(), 'tauri-release-listener-'));
try {
  const ours = [];
  for (const variant of LISTENER_VARIANTS) {
    const port = await freePort();
    const service = startService(variant, process.execPath, [join(HERE, 'listener-server.ts'), String(port), variant]);
    services.push(service);
    await waitForOk(service, `http://127.0.0.1:${port}${CHECK_PATH}`, 30_000);
    ours.push({ name: `ours: ${variant}`, url: `http://127.0.0.1:${port}${CHECK_PATH}`, pids: () => [service.child.pid!] });
  }
  const recorded = await get(ours[0]!.url);
  const headers = Object.fromEntries(Object.entries(recorded.headers).filter(([name]) => !PER_CONNECTION.has(name)));
  await writeFile(join(work, 'fixture.json'), JSON.stringify({ status: recorded.status, headers, body: recorded.body.toString('base64') }));
  const barePort = await freePort();
  const bare = startService('bare node:http', process.execPath, [join(HERE, 'bare-server.ts'), join(work, 'fixture.json'), String(barePort)]);
  services.push(bare);
  await waitForOk(bare, `http://127.0.0.1:${barePort}${CHECK_PATH}`);
  const bareTarget = { name: 'bare node:http', url: `http://127.0.0.1:${barePort}${CHECK_PATH}`, pids: () => [bare.child.pid!] };

  const results = await measureInRounds([bareTarget, ...ours], { connections: 64, threads: 1, warmupSeconds: 3, rounds: Number(process.env.BENCH_ROUNDS ?? 8), roundSeconds: 2 });
  const bareCpu = results.find((r) => r.name === bareTarget.name)!.cpuMicrosPerResponse;
  console.log('\n  server                                  requests/s   CPU µs/response   CPU over bare');
  for (const result of results) {
    const cpu = result.cpuMicrosPerResponse;
    const over = cpu === null || bareCpu === null || result.name === bareTarget.name ? '' : `+${(cpu - bareCpu).toFixed(1)} µs`;
    console.log(`  ${result.name.padEnd(38)}  ${result.requestsPerSecond.toFixed(0).padStart(10)}   ${cpu === null ? '?' : cpu.toFixed(1).padStart(15)}   ${over}`);
  }
  console.log('  (CPU: the server\'s own user + system time per response over all measured rounds, from /proc)');
} finally {
  for (const service of services) await service.stop();
  await rm(work, { recursive: true, force: true });
}
