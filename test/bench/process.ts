/**
 * @module bench/process
 * Child processes for the bench that always end: output drained into a bounded tail, readiness by HTTP, and a
 * stop that escalates from SIGTERM to SIGKILL.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';

export interface Service {
  name: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export function startService(name: string, command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv } = {}): Service {
  const child = spawn(command, args, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => { tail = (tail + chunk.toString('utf8')).slice(-16_384); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('error', (error) => keep(Buffer.from(`\n${name}: ${error.message}\n`)));
  return { name, child, output: () => tail, stop: () => stopChild(child) };
}

export function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(kill); resolve(); });
    child.kill('SIGTERM');
  });
}

export interface RawResponse { status: number; headers: Record<string, string>; body: Buffer }

/** One GET on loopback with node:http, keeping header names as sent (lower-cased by Node). */
export function get(url: string, timeoutMs = 5_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { timeout: timeoutMs, headers: { Accept: 'application/json', 'User-Agent': 'tauri-plugin-updater/2.13.1' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `url` until it answers 200, the service dies, or `timeoutMs` passes. */
export async function waitForOk(service: Service, url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`${service.name} exited before answering ${url}:\n${service.output()}`);
    }
    try {
      if ((await get(url, 1_000)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${service.name} did not answer ${url} in ${timeoutMs} ms:\n${service.output()}`);
}

/** Runs a command to completion (bounded), returning its exit code and output. */
export function runSync(command: string, args: readonly string[], timeoutMs: number): { code: number; output: string } {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: timeoutMs });
  if (result.error) return { code: -1, output: result.error.message };
  return { code: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** Pins every thread of `pid` (and threads it creates later) to `cpus` (`taskset` list syntax). */
export function pin(pid: number, cpus: string): void {
  const { code, output } = runSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], 5_000);
  if (code !== 0) throw new Error(`taskset ${cpus} ${pid} failed: ${output}`);
}

/**
 * One GET as wrk sends it (`Host` only, keep-alive), returning the exact bytes of the response: status line,
 * headers as written, body. For checking that the baselines answer byte for byte what our server answers.
 */
export function rawGet(url: string, timeoutMs = 5_000): Promise<Buffer> {
  const { hostname, port, pathname, search } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`raw GET ${url} timed out`)), timeoutMs);
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    socket.on('error', finish);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      const end = bytes.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /^content-length:\s*(\d+)\r$/im.exec(bytes.subarray(0, end).toString('latin1'));
      if (!length) return finish(new Error(`raw GET ${url}: no Content-Length in ${JSON.stringify(bytes.subarray(0, end).toString('latin1'))}`));
      if (bytes.length >= end + 4 + Number(length[1])) finish();
    });
    socket.on('end', () => finish(new Error(`raw GET ${url}: connection closed before the whole response`)));
    socket.write(`GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`);
  });
}

/** The response with its `Date` value blanked, so two servers' answers can be compared byte for byte. */
export function withoutDate(response: Buffer): string {
  return response.toString('latin1').replace(/^(date:) [^\r]*\r$/im, '$1 …\r');
}

/** The process and, if it has forked some (nginx's worker), its direct children. */
export function processTree(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return [pid, ...(children ? children.split(/\s+/).map(Number) : [])];
  } catch {
    return [pid];
  }
}
