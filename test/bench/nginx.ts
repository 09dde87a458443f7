/**
 * @module bench/nginx
 * The static-server baseline: Debian nginx, one worker, in the foreground under a temporary prefix, answering
 * every request with the recorded body from memory (`return 200 '…'`) and the recorded headers.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Service, startService } from './process.ts';

/** nginx single-quoted string; `$` would start a variable, and nothing here escapes it, so it is refused. */
function quote(text: string): string {
  if (text.includes('$')) throw new Error('nginx baseline: the recorded response contains `$`, which `return` would expand');
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export async function startNginx(prefix: string, port: number, response: { headers: Record<string, string>; body: Buffer },
  options: { cpu?: number } = {}): Promise<Service> {
  await mkdir(join(prefix, 'tmp'), { recursive: true });
  const contentType = response.headers['content-type'] ?? 'application/octet-stream';
  const extra = Object.entries(response.headers)
    .filter(([name]) => name !== 'content-type')
    .map(([name, value]) => `      add_header ${quote(name)} ${quote(value)} always;`);
  const tmp = (name: string) => `  ${name}_temp_path ${join(prefix, 'tmp', name.replace(/_.*/, ''))};`;
  const conf = [
    'worker_processes 1;',
    // One bit per CPU, rightmost is CPU 0.
    ...(options.cpu === undefined ? [] : [`worker_cpu_affinity 1${'0'.repeat(options.cpu)};`]),
    'daemon off;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    '  access_log off;',
    // Every temp path inside the prefix, so nginx never touches /var/lib/nginx (not writable without root).
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(tmp),
    '  keepalive_requests 1000000;',
    '  server_tokens off;',
    '  server {',
    `    listen 127.0.0.1:${port};`,
    '    location / {',
    `      default_type ${quote(contentType)};`,
    ...extra,
    `      return 200 ${quote(response.body.toString('utf8'))};`,
    '    }',
    '  }',
    '}',
  ].join('\n');
  const confPath = join(prefix, 'nginx.conf');
  await writeFile(confPath, `${conf}\n`);
  return startService('nginx', 'nginx', ['-p', prefix, '-c', confPath, '-e', join(prefix, 'error.log')]);
}
