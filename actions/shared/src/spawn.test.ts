import { describe, expect, it } from '@jest/globals';
import { Secret } from './secret.ts';
import { createRunner, formatCommand, SpawnError } from './spawn.ts';
import { memoryLogger } from './testing.ts';

const node = process.execPath;

describe('createRunner', () => {
  it('passes secrets to the child, logs them masked, and redacts them from the returned output', async () => {
    const logger = memoryLogger();
    const run = createRunner(logger);
    const secret = new Secret('password', 's3cr3t value');
    const result = await run(node, ['-e', 'console.log("got", process.argv[1]); console.error("err")', secret]);
    expect(result).toEqual({ code: 0, stdout: 'got ***\n', stderr: 'err\n', output: 'got ***\nerr', timedOut: false });
    expect(logger.entries).toEqual([
      { level: 'info', message: `[command] ${node} -e "console.log(\\"got\\", process.argv[1]); console.error(\\"err\\")" ***` },
      { level: 'info', message: 'got ***\nerr' },
    ]);
  });

  it('resolves with a non-zero exit code (the caller decides what it means); quiet output goes to debug', async () => {
    const logger = memoryLogger();
    const result = await createRunner(logger)(node, ['-e', 'console.log("noise"); process.exit(3)'], { quiet: true });
    expect(result.code).toBe(3);
    expect(logger.entries.at(-1)).toEqual({ level: 'debug', message: 'noise' });
  });

  it('closes stdin, so a tool that prompts reads end-of-file instead of hanging', async () => {
    const result = await createRunner(memoryLogger())(node, ['-e', 'process.stdin.on("end", () => console.log("eof")).resume()']);
    expect(result.stdout).toBe('eof\n');
  });

  it('stops a process at its timeout and says so', async () => {
    const result = await createRunner(memoryLogger())(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 200 });
    expect(result).toMatchObject({ code: -1, timedOut: true });
  });

  it('rejects only when the program cannot start, with the hint', async () => {
    const run = createRunner(memoryLogger(), { missingProgramHint: 'This action runs on macOS runners.' });
    const error = await run('definitely-not-a-program', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnError);
    expect((error as Error).message).toBe('Could not run definitely-not-a-program: it was not found on PATH. This action runs on macOS runners.');
  });

  it('quotes arguments with spaces in the logged command', () => {
    expect(formatCommand('xcrun', ['stapler', 'staple', '/tmp/My App.dmg', ''])).toBe('xcrun stapler staple "/tmp/My App.dmg" ""');
  });
});
