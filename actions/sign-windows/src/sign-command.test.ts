/**
 * sign-command: a workflow's own signing command (a cloud HSM's CLI) runs once per file, with `%1` replaced, and
 * each file's updater `.sig` is made only after its Authenticode signature, by a Tauri CLI reached through `npm run`.
 * The signing command and the Tauri CLI are stand-ins that append to one log, so the test sees the real order.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '../../shared/src/secret.ts';
import { createRunner } from '../../shared/src/spawn.ts';
import { memoryLogger } from '../../shared/src/testing.ts';
import { InputError, validateOptions } from './options.ts';
import { signFiles } from './sign.ts';
import { signCommandArgs } from './sign-command.ts';

let dir: string;
let log: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sign-command-'));
  log = join(dir, 'calls.log');
  // "Signs" by appending a marker (the file changes, as Authenticode changes it); fails for a file named *bad*.
  await writeFile(
    join(dir, 'fake-signer.mjs'),
    `import { appendFileSync } from 'node:fs';
const [flag, file] = process.argv.slice(2);
if (flag !== '--input') { console.error('usage: fake-signer --input FILE'); process.exit(2); }
if (file.includes('bad')) { console.error('KeyLocker: keypair alias not found'); process.exit(3); }
appendFileSync(file, '+authenticode');
appendFileSync(${JSON.stringify(log)}, 'sign ' + file + '\\n');
`,
  );
  // `tauri signer sign FILE`: writes FILE.sig over the bytes as they are now.
  await writeFile(
    join(dir, 'fake-tauri.mjs'),
    `import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
const args = process.argv.slice(2);
if (args[0] !== 'signer' || args[1] !== 'sign') { console.error('unexpected ' + JSON.stringify(args)); process.exit(2); }
const file = args.at(-1);
writeFileSync(file + '.sig', 'sig over: ' + readFileSync(file, 'utf8'));
appendFileSync(${JSON.stringify(log)}, 'updater ' + file + '\\n');
`,
  );
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, scripts: { tauri: 'node fake-tauri.mjs' } }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const options = (signCommand: string) =>
  validateOptions(
    {
      signCommand,
      tauriSigningPrivateKey: new Secret('tauri-signing-private-key', 'not used by the fake'),
      tauriCli: 'npm run tauri',
      workingDirectory: dir,
    },
    'linux',
  );

describe('sign-command', () => {
  it('signs every file with the command, each before its updater .sig is made', async () => {
    const files = ['App.exe', 'App_1.0.0_x64-setup.exe'].map((name) => join(dir, name));
    for (const file of files) await writeFile(file, 'MZ');
    const logger = memoryLogger();

    const signed = await signFiles(options(`node ${join(dir, 'fake-signer.mjs')} --input %1`), files, { run: createRunner(logger), log: logger }, { updaterSignatures: true });

    // First the updater key is tried on a probe file of its own, then each file is signed and given its .sig.
    const [probe, ...calls] = (await readFile(log, 'utf8')).trim().split('\n');
    expect(probe).toMatch(/^updater \/.+\/updater-key-probe\.bin$/);
    expect(calls).toEqual([`sign ${files[0]}`, `updater ${files[0]}`, `sign ${files[1]}`, `updater ${files[1]}`]);
    expect(signed).toEqual(files.map((path) => ({ path, timestampUrl: null, updaterSignature: `${path}.sig` })));
    for (const file of files) expect(await readFile(`${file}.sig`, 'utf8')).toBe('sig over: MZ+authenticode');
  });

  it('fails naming the file and showing the command\'s output, before any .sig is made for it', async () => {
    const file = join(dir, 'bad.exe');
    await writeFile(file, 'MZ');
    const logger = memoryLogger();
    await expect(
      signFiles(options(`node ${join(dir, 'fake-signer.mjs')} --input %1`), [file], { run: createRunner(logger), log: logger }, { updaterSignatures: true }),
    ).rejects.toThrow(new RegExp(`^sign-command exited 3 for ${file}:\\n[^]*KeyLocker: keypair alias not found`));
    await expect(readFile(`${file}.sig`)).rejects.toThrow(/ENOENT/);
  });

  it('replaces %1 in any word, as Tauri does, and needs one', () => {
    expect(signCommandArgs(['smctl', 'sign', '--keypair-alias', 'k1', '--input=%1'], 'C:\\a b\\App.exe')).toEqual({
      command: 'smctl', args: ['sign', '--keypair-alias', 'k1', '--input=C:\\a b\\App.exe'],
    });
    expect(() => validateOptions({ signCommand: 'trusted-signing-cli -a acct' }, 'linux')).toThrow(/sign-command "trusted-signing-cli -a acct" has no %1/);
    expect(() => validateOptions({ signCommand: 'x %1', certificate: new Secret('certificate', 'MIIB') }, 'linux')).toThrow(InputError);
    expect(() => validateOptions({}, 'linux')).toThrow(/or a sign-command for a key in an HSM/);
  });
});
