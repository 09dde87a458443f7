import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPath, writeStoredConfig } from './config.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-config-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

describe('writeStoredConfig', () => {
  it('makes a new folder 0700 and the file 0600', async () => {
    const env = { XDG_CONFIG_HOME: join(root, 'config') };
    const path = await writeStoredConfig(env, { url: 'http://localhost:8799', key: 'trk_test' });
    expect(path).toBe(configPath(env));
    expect(await modeOf(path)).toBe(0o600);
    expect(await modeOf(join(root, 'config', 'tauri-release'))).toBe(0o700);
  });

  it('tightens a folder and a file that already exist with looser modes, and leaves the folder above alone', async () => {
    const env = { XDG_CONFIG_HOME: root };
    const folder = join(root, 'tauri-release');
    await mkdir(folder);
    await chmod(folder, 0o755);
    await writeFile(join(folder, 'config.json'), '{}\n');
    await chmod(join(folder, 'config.json'), 0o644);
    await chmod(root, 0o755);

    const path = await writeStoredConfig(env, { url: 'http://localhost:8799', key: 'trk_test' });

    expect(await modeOf(folder)).toBe(0o700);
    expect(await modeOf(path)).toBe(0o600);
    expect(await modeOf(root)).toBe(0o755);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ url: 'http://localhost:8799', key: 'trk_test' });
  });
});
