/**
 * Installs the fake macOS tools (`tools.ts`) for one test: a bin directory with `security`, `codesign`, `xcrun` and
 * `spctl` wrappers bound to a private state directory, so parallel tests never share a keychain model.
 *
 * @example
 * const mac = await installFakeMacos({ notaryStatus: 'Invalid' });
 * const run = mac.runner(logger);                     // a shared/spawn Runner that finds the fakes first on PATH
 * // …or for a bundled action: job.run(dist, { pathPrepend: [mac.binDir] })
 * expect(await mac.commandLines()).toEqual(['xcrun notarytool submit …', …]);
 * await mac.cleanup();
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../../actions/shared/src/logger.ts';
import { createRunner, type Runner } from '../../../actions/shared/src/spawn.ts';
import { LOGIN_KEYCHAIN, type FakeCall, type FakeScenario, type FakeState } from './scenario.ts';

export { DEFAULT_IDENTITY, LOGIN_KEYCHAIN, type FakeCall, type FakeScenario, type FakeState, type Identity } from './scenario.ts';

const TOOLS = fileURLToPath(new URL('./tools.ts', import.meta.url));
const COMPILE_CACHE = join(tmpdir(), 'fake-macos-compile-cache');
export const FAKE_TOOLS = ['security', 'codesign', 'xcrun', 'spctl'] as const;

export interface FakeMacos {
  /** Holds `calls.jsonl`, `state.json`, `scenario.json` and `bin/`. */
  dir: string;
  binDir: string;
  setScenario(scenario: FakeScenario): Promise<void>;
  calls(): Promise<FakeCall[]>;
  /** Each call as one line, `tool arg …`, with each key of `replace` (a temp path, a random password) swapped for its value. */
  commandLines(replace?: Record<string, string>): Promise<string[]>;
  state(): Promise<FakeState>;
  /** A Runner (actions/shared/src/spawn.ts) whose children find the fakes first on PATH. */
  runner(logger: Logger): Runner;
  cleanup(): Promise<void>;
}

export async function installFakeMacos(scenario: FakeScenario = {}, searchList: string[] = [LOGIN_KEYCHAIN]): Promise<FakeMacos> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-macos-'));
  const binDir = join(dir, 'bin');
  await writeFile(join(dir, 'calls.jsonl'), '');
  const state: FakeState = { searchList, keychains: {}, signatures: {}, stapled: [], submissions: {}, counters: {} };
  await writeFile(join(dir, 'state.json'), JSON.stringify(state, null, 2));
  const setScenario = (next: FakeScenario) => writeFile(join(dir, 'scenario.json'), JSON.stringify(next));
  await setScenario(scenario);
  await mkdir(binDir);
  for (const tool of FAKE_TOOLS) {
    const wrapper = join(binDir, tool);
    // The compile cache keeps each call near plain Node start-up time (type stripping would otherwise add ~60 ms).
    const env = `FAKE_MACOS_DIR='${dir}' NODE_COMPILE_CACHE='${COMPILE_CACHE}'`;
    await writeFile(wrapper, `#!/bin/sh\n${env} exec '${process.execPath}' --no-warnings '${TOOLS}' ${tool} "$@"\n`);
    await chmod(wrapper, 0o755);
  }
  const calls = async () =>
    (await readFile(join(dir, 'calls.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FakeCall);
  return {
    dir,
    binDir,
    setScenario,
    calls,
    async commandLines(replace = {}) {
      const swaps = Object.entries(replace).sort(([a], [b]) => b.length - a.length);
      return (await calls()).map((call) =>
        [call.tool, ...call.args].map((arg) => swaps.reduce((text, [from, to]) => text.split(from).join(to), arg)).join(' '),
      );
    },
    state: async () => JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as FakeState,
    runner(logger) {
      const run = createRunner(logger);
      const PATH = [binDir, process.env.PATH].filter(Boolean).join(delimiter);
      return (command, args, options = {}) => run(command, args, { ...options, env: { ...options.env, PATH } });
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
