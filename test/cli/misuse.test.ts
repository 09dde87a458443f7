/**
 * `tauri-release` misused as a new user would, against the real server: a config file that cannot be read, an empty
 * TAURI_RELEASE_KEY, a `.sig` that is not a file, an `--out` that cannot be written. Each is one clear usage line
 * (exit 2), never an internal error with a stack, and nothing is created on the server that the user cannot get at;
 * an upload whose server stops answering says, in the CLI's terms, what to check and that a re-run resumes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningServer, startServer } from '../support/server.ts';
import { generateTauriKey, tauriSign } from '../support/tauri-signer.ts';
import { cli, type CliOptions, errorLine } from './run-cli.ts';

let server: RunningServer;
let dir: string;

const envOf = () => ({ TAURI_RELEASE_URL: server.url, TAURI_RELEASE_KEY: server.adminToken, XDG_CONFIG_HOME: join(dir, 'no-config') });
const run = (args: readonly string[], options: CliOptions = {}) => cli(args, { ...options, env: { ...envOf(), ...options.env } });
const keyNames = async () => ((await (await server.admin('/admin/keys')).json()) as { keys: { name: string }[] }).keys.map((k) => k.name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-misuse-'));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('options', () => {
  it('a string option given twice is refused before anything is sent; a repeated flag is fine', async () => {
    const twice = await run(['releases', 'create', '9.9.9', '--app', 'no-such-app', '--app', 'other-app', '--json']);
    expect(twice.code).toBe(2);
    expect(errorLine(twice)).toBe('error: usage: --app is given more than once; pass it once (see tauri-release releases create --help)');
    expect(twice.json()).toEqual({ error: { code: 'usage', message: expect.stringContaining('--app is given more than once') } });
    const flags = await run(['apps', 'list', '--json', '--json']);
    expect(flags.code).toBe(0);
    expect(flags.json()).toHaveProperty('apps');
  });

  it('audit --limit that is not a number names the option, not the schema\'s NaN', async () => {
    const result = await run(['audit', '--limit', 'abc']);
    expect(result.code).toBe(2);
    expect(errorLine(result)).toBe('error: usage: --limit must be a whole number, not "abc"');
  });
});

describe('a config file that cannot be read', () => {
  it('is named in one usage line, not an internal error; the environment alone still works', async () => {
    const config = join(dir, 'broken-config');
    const path = join(config, 'tauri-release', 'config.json');
    await mkdir(path, { recursive: true }); // a folder where the file should be
    const env = { XDG_CONFIG_HOME: config, TAURI_RELEASE_URL: undefined, TAURI_RELEASE_KEY: undefined };

    const whoami = await run(['whoami'], { env });
    expect(whoami.code).toBe(2);
    expect(errorLine(whoami)).toMatch(new RegExp(`^error: usage: cannot read ${path}: EISDIR.*tauri-release login`));
    expect(whoami.stderr).not.toMatch(/internal|\bat async\b/);

    const logout = await run(['logout'], { env });
    expect(logout.code).toBe(2);
    expect(errorLine(logout)).toMatch(/^error: usage: cannot delete .*config\.json/);

    const fromEnv = await run(['whoami', '--json'], { env: { XDG_CONFIG_HOME: config } });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.json()).toMatchObject({ url: server.url, url_from: 'env', key_from: 'env' });
  });
});

describe('login', () => {
  it('reads the key from stdin when TAURI_RELEASE_KEY is set but empty', async () => {
    const config = join(dir, 'login-config');
    const result = await run(['login', '--url', server.url], { env: { XDG_CONFIG_HOME: config, TAURI_RELEASE_KEY: '' }, input: `${server.adminToken}\n` });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(await readFile(join(config, 'tauri-release', 'config.json'), 'utf8'))).toEqual({ url: server.url, key: server.adminToken });
  });
});

describe('an API key with a character no key has', () => {
  it('is a usage error naming where it came from and the position, never the key, instead of a network error', async () => {
    const pasted = `${server.adminToken.slice(0, 10)}\u00a0${server.adminToken.slice(10)}`; // a non-breaking space
    const fromEnv = await run(['apps', 'list'], { env: { TAURI_RELEASE_KEY: pasted } });
    expect(fromEnv.code).toBe(2);
    expect(errorLine(fromEnv)).toBe('error: usage: the API key from TAURI_RELEASE_KEY has a character no key has at position 11 (keys are printable ASCII): copy it again');
    const login = await run(['login', '--url', server.url, '--key', 'ключ-0123456789abcdefghijkl'], { env: { XDG_CONFIG_HOME: join(dir, 'bad-key-config') } });
    expect(login.code).toBe(2);
    expect(errorLine(login)).toMatch(/^error: usage: the API key from --key has a character no key has at position 1 /);
    expect(fromEnv.stderr + login.stderr).not.toMatch(/ключ|0123456789abcdefghijkl|ByteString/);
  });
});

describe('a key the server does not know', () => {
  it('is refused with what to do next, naming the key by its prefix only', async () => {
    const unknown = 'trk_unknownunknownunknown0123';
    const result = await run(['apps', 'list'], { env: { TAURI_RELEASE_KEY: unknown } });
    expect(result.code).toBe(1);
    expect(errorLine(result)).toBe('error: unauthorized: unknown API key; key trk_unknownu… was refused: run tauri-release login with a valid key, or fix TAURI_RELEASE_KEY');
    expect(result.stderr).not.toContain(unknown);
  });
});

describe('upload', () => {
  it('a .sig that is a folder is a usage error naming it, before anything is sent', async () => {
    const bundle = join(dir, 'sig-folder');
    await mkdir(join(bundle, 'App_1.0.0_amd64.AppImage.sig'), { recursive: true });
    await writeFile(join(bundle, 'App_1.0.0_amd64.AppImage'), 'bytes');
    const result = await run(['upload', bundle, '--app', 'no-such-app', '--version', '1.0.0']);
    expect(result.code).toBe(2);
    expect(errorLine(result)).toMatch(/^error: usage: cannot read .*App_1\.0\.0_amd64\.AppImage\.sig: EISDIR/);
    expect(result.stderr).not.toMatch(/internal|\bat async\b/);
  });
});

describe('--out of a secret shown once', () => {
  it('an --out that exists, or in a folder that does not, is refused before the key is created', async () => {
    const existing = join(dir, 'existing.key');
    await writeFile(existing, 'keep me\n');
    const taken = await run(['keys', 'create', '--name', 'out-exists', '--scope', 'admin', '--out', existing]);
    expect(taken.code).toBe(2);
    expect(errorLine(taken)).toMatch(/^error: usage: --out .*existing\.key already exists/);
    expect(await readFile(existing, 'utf8')).toBe('keep me\n');

    const nowhere = await run(['keys', 'create', '--name', 'out-nowhere', '--scope', 'admin', '--out', join(dir, 'missing', 'k.key')]);
    expect(nowhere.code).toBe(2);
    expect(errorLine(nowhere)).toMatch(/^error: usage: --out .*the folder .*missing does not exist/);

    expect(await keyNames()).not.toEqual(expect.arrayContaining(['out-exists']));
    expect(await keyNames()).not.toEqual(expect.arrayContaining(['out-nowhere']));

    const fresh = join(dir, 'fresh.key');
    const ok = await run(['keys', 'create', '--name', 'out-fresh', '--scope', 'admin', '--out', fresh]);
    expect(ok.code).toBe(0);
    expect((await stat(fresh)).mode & 0o777).toBe(0o600);
    expect(await keyNames()).toContain('out-fresh');
  });
});

describe('upload when the server stops answering midway', () => {
  it('says how to find the URL and that a re-run resumes, in the CLI\'s words rather than the action\'s', async () => {
    const key = await generateTauriKey(dir, 'updater.key');
    expect((await server.admin('/admin/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slug: 'cut-app', name: 'Cut', public_key: key.publicKey }) })).status).toBe(201);
    const file = join(dir, 'cut', 'Cut_1.0.0_amd64.AppImage');
    await mkdir(join(dir, 'cut'), { recursive: true });
    await writeFile(file, 'appimage bytes');
    await tauriSign(key, file, '1.0.0');
    // The admin API answers (the app and its key are read), the CI API that uploads is cut off.
    const target = new URL(server.url);
    const proxy = createServer((req, res) => {
      if (req.url?.startsWith('/ci/')) return req.socket.destroy();
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
      const result = await run(['upload', file, '--app', 'cut-app', '--version', '1.0.0'], { env: { TAURI_RELEASE_URL: url } });
      expect(result.code).toBe(3);
      const line = errorLine(result);
      expect(line).toMatch(/^error: network: .*tauri-release whoami.* run the same upload again/);
      expect(line).not.toMatch(/server-url|runner/);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  }, 60_000);
});
