import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandFiles } from './files.ts';
import { resolveTauriCli, signerArgs } from './tauri-signer.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sign-windows-files-'));
  for (const file of ['bundle/nsis/App_1.0.0_x64-setup.exe', 'bundle/msi/App_1.0.0_x64_en-US.msi', 'bundle/msi/App_1.0.0_x64_en-US.msi.sig', 'app.exe']) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), 'x');
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('expandFiles', () => {
  it('expands globs and paths relative to the working directory, each file once, skipping comments', async () => {
    expect(await expandFiles(['# installers', 'bundle/**/*.{exe,msi}', '', 'app.exe', 'bundle/nsis/*-setup.exe'], dir)).toEqual([
      join(dir, 'bundle/msi/App_1.0.0_x64_en-US.msi'),
      join(dir, 'bundle/nsis/App_1.0.0_x64-setup.exe'),
      join(dir, 'app.exe'),
    ]);
  });

  it('leaves out the updater .sig files a glob also matches (bundle/nsis/*), and refuses one named outright', async () => {
    expect(await expandFiles(['bundle/msi/*'], dir)).toEqual([join(dir, 'bundle/msi/App_1.0.0_x64_en-US.msi')]);
    await expect(expandFiles(['bundle/msi/*.sig'], dir)).rejects.toThrow(`files: "bundle/msi/*.sig" names no file under ${dir} (updater .sig files are not Authenticode-signed)`);
    await expect(expandFiles(['bundle/msi/App_1.0.0_x64_en-US.msi.sig'], dir)).rejects.toThrow(
      'files: "bundle/msi/App_1.0.0_x64_en-US.msi.sig" is an updater signature, not a Windows binary: name the .exe or .msi it belongs to',
    );
  });

  it('fails on every line that names no file, and on an empty list', async () => {
    await expect(expandFiles(['bundle/dmg/*.dmg', 'missing.exe', 'bundle'], dir)).rejects.toThrow(
      [`files: "bundle/dmg/*.dmg" names no file under ${dir}`, `files: "missing.exe" names no file under ${dir}`, `files: "bundle" names no file under ${dir}`].join('\n'),
    );
    await expect(expandFiles(['', '# nothing'], dir)).rejects.toThrow(/^files is empty/);
  });
});

describe('the Tauri CLI', () => {
  it('is @tauri-apps/cli from node_modules in the folder or a parent, run with this Node', async () => {
    const cli = await resolveTauriCli(null, join(process.cwd(), 'actions', 'sign-windows'));
    expect(cli).toEqual({ command: process.execPath, args: [join(process.cwd(), 'node_modules', '@tauri-apps', 'cli', 'tauri.js')] });
  });

  it('is cargo tauri when there is none, or the command given', async () => {
    expect(await resolveTauriCli(null, dir)).toEqual({ command: 'cargo', args: ['tauri'] });
    expect(await resolveTauriCli('pnpm  exec tauri', dir)).toEqual({ command: 'pnpm', args: ['exec', 'tauri'] });
    // npm keeps `signer sign FILE` for itself without a `--`.
    expect(await resolveTauriCli('npm run tauri', dir)).toEqual({ command: 'npm', args: ['run', 'tauri', '--'] });
    expect(await resolveTauriCli('npm run tauri --', dir)).toEqual({ command: 'npm', args: ['run', 'tauri', '--'] });
    expect(signerArgs({ command: 'cargo', args: ['tauri'] }, 'a.exe', '1.0.0')).toEqual(['tauri', 'signer', 'sign', '--app-version', '1.0.0', 'a.exe']);
    expect(signerArgs({ command: 'cargo', args: ['tauri'] }, 'a.exe', null)).toEqual(['tauri', 'signer', 'sign', 'a.exe']);
  });
});
