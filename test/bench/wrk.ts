/**
 * @module bench/wrk
 * Runs wrk (Debian package) against a loopback URL and parses its `--latency` report.
 */
import { spawn } from 'node:child_process';

export interface WrkOptions {
  connections: number;
  threads: number;
  durationSeconds: number;
  /** Run wrk on these CPUs (`taskset -c`), away from the server's. */
  cpus?: string;
  /** Request headers (`Name: value`), each sent on every request (wrk's `-H`). */
  headers?: readonly string[] | undefined;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  non2xx: number;
  socketErrors: number;
  raw: string;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

function durationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!m) throw new Error(`wrk: cannot read duration ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT_MS[m[2]!]!;
}

export function parseWrk(raw: string): WrkResult {
  const need = (re: RegExp, what: string) => {
    const m = re.exec(raw);
    if (!m) throw new Error(`wrk: no ${what} in its output:\n${raw}`);
    return m;
  };
  const total = need(/(\d+) requests in ([\d.]+)(us|ms|s|m),/, 'request count');
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(raw);
  return {
    requests: Number(total[1]),
    seconds: durationMs(`${total[2]}${total[3]}`) / 1000,
    requestsPerSecond: Number(need(/Requests\/sec:\s+([\d.]+)/, 'Requests/sec')[1]),
    p50: durationMs(need(/^\s+50%\s+(\S+)\s*$/m, 'p50')[1]!),
    p99: durationMs(need(/^\s+99%\s+(\S+)\s*$/m, 'p99')[1]!),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(raw)?.[1] ?? 0),
    socketErrors: errors ? errors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    raw,
  };
}

/** Only loopback targets: this is a local measurement, never a load test against someone else. */
export function runWrk(url: string, options: WrkOptions): Promise<WrkResult> {
  const { hostname } = new URL(url);
  if (hostname !== '127.0.0.1') throw new Error(`wrk target must be 127.0.0.1, got ${url}`);
  const args = [`-t${options.threads}`, `-c${options.connections}`, `-d${options.durationSeconds}s`, '--timeout', '2s', '--latency', ...(options.headers ?? []).flatMap((h) => ['-H', h]), url];
  return new Promise((resolve, reject) => {
    const child = options.cpus
      ? spawn('taskset', ['-c', options.cpus, 'wrk', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString('utf8'); });
    const kill = setTimeout(() => child.kill('SIGKILL'), (options.durationSeconds + 15) * 1000);
    child.on('error', (error) => { clearTimeout(kill); reject(error); });
    child.on('close', (code) => {
      clearTimeout(kill);
      if (code !== 0) return reject(new Error(`wrk exited with ${code}:\n${out}`));
      try { resolve(parseWrk(out)); } catch (error) { reject(error); }
    });
  });
}
