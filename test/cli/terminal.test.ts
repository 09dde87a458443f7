/**
 * The CLI on a terminal, run inside a real pseudo-terminal (util-linux `script`) against the real server: `login`
 * prompts for the key without echoing it, and `upload` draws one progress bar redrawn in place, where a pipe gets
 * plain lines (upload.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '../support/server.ts';
import { generateTauriKey, tauriSign } from '../support/tauri-signer.ts';
import { BIN } from './run-cli.ts';

const SCRIPT = '/usr/bin/script';
const hasScript = existsSync(SCRIPT);
let server: RunningServer;
let dir: string;

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Runs the CLI with a terminal as stdin, stdout and stderr; `typed` is what the user types at `prompt`. */
function onTerminal(args: readonly string[], env: Record<string, string>, typed = '', prompt = 'API key'): Promise<{ code: number; screen: string }> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, BIN, ...args].map(quote).join(' ');
    const child = spawn(SCRIPT, ['-qefc', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    let typing = false;
    // Typed once the prompt shows, as a user would: keys typed before then are echoed by the terminal, prompt or not.
    const typeAtPrompt = () => {
      if (typing || (typed && !screen.includes(`${prompt}: `))) return;
      typing = true;
      child.stdin.end(typed);
    };
    const onOutput = (chunk: Buffer) => {
      screen += chunk;
      typeAtPrompt();
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, screen }));
    typeAtPrompt();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-terminal-'));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

(hasScript ? describe : describe.skip)('on a terminal (util-linux script)', () => {
  it('login asks for the key and does not echo it', async () => {
    const config = join(dir, 'config');
    const result = await onTerminal(['login', '--url', server.url], { XDG_CONFIG_HOME: config }, `${server.adminToken}\r`);
    expect(result.code).toBe(0);
    expect(result.screen).toContain('API key: ');
    expect(result.screen).toContain(`logged in to ${server.url} with key ${server.adminToken.slice(0, 4)}…`);
    expect(result.screen).not.toContain(server.adminToken);
    expect(JSON.parse(await readFile(join(config, 'tauri-release', 'config.json'), 'utf8'))).toEqual({ url: server.url, key: server.adminToken });
  });

  it('upload draws a progress bar redrawn in place', async () => {
    const key = await generateTauriKey(dir, 'updater.key');
    expect((await server.admin('/admin/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'tty-app', name: 'TTY App', public_key: key.publicKey }) })).status).toBe(201);
    const file = join(dir, 'tty-app_1.0.0_amd64.AppImage');
    await writeFile(file, Buffer.alloc(160 * 1024 * 1024, 5));
    await tauriSign(key, file, '1.0.0');
    const result = await onTerminal(['upload', file, '--app', 'tty-app', '--version', '1.0.0'], { TAURI_RELEASE_URL: server.url, TAURI_RELEASE_KEY: server.adminToken, XDG_CONFIG_HOME: join(dir, 'none') });
    expect(result.code).toBe(0);
    const bars = [...result.screen.matchAll(/\r\x1b\[2Ktty-app_1\.0\.0_amd64\.AppImage \(linux-x86_64\) \[(#*)(-*)\] (\d+)% /g)];
    expect(bars.length).toBeGreaterThan(0);
    for (const [, done, left, percent] of bars) {
      expect(done!.length + left!.length).toBe(24);
      expect(Number(percent)).toBeLessThan(100);
    }
    // No plain progress line: each update replaced the bar instead of adding a line.
    expect(result.screen).not.toMatch(/^tty-app_1\.0\.0_amd64\.AppImage \(linux-x86_64\): [\d.]+ MiB of/m);
    expect(result.screen).toMatch(/uploaded 160\.0 MiB in [\d.]+ s/);
  }, 120_000);
});
