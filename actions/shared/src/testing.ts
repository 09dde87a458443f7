/**
 * @module testing
 * Test helpers for every action in this repo (imported only by `*.test.ts`, never bundled):
 *
 * - `memoryLogger()`: a `Logger` that keeps what it was given.
 * - `createJob()`: runs a bundled `dist/*.js` as a child process the way the runner does (docs/reference/github-actions.md §B7):
 *   `INPUT_*` variables, fresh `GITHUB_OUTPUT`/`GITHUB_ENV`/`GITHUB_STATE`/`GITHUB_STEP_SUMMARY`/`GITHUB_PATH` files
 *   per step, `STATE_*` variables for a post step, and variables a step exported passed on to later steps of the same
 *   job. It returns the exit code, parsed outputs/env/state, the summary and the `::command::` lines.
 * - `parseFileCommands()` / `parseWorkflowCommands()`: the two formats `@actions/core` writes.
 *
 * @example
 * const job = await createJob();
 * const main = await job.run('actions/x/dist/index.js', { inputs: { 'dry-run': 'true' } });
 * expect(main.code).toBe(0);
 * const post = await job.run('actions/x/dist/post.js', { state: main.state });
 * await job.cleanup();
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from './logger.ts';

export interface LogEntry {
  level: 'debug' | 'info' | 'warning' | 'error';
  message: string;
}

export interface MemoryLogger extends Logger {
  entries: LogEntry[];
  /** Every message, one per line, with its level: `warning: …`. */
  text(): string;
}

export function memoryLogger(): MemoryLogger {
  const entries: LogEntry[] = [];
  const add = (level: LogEntry['level']) => (message: string) => void entries.push({ level, message });
  return {
    entries,
    debug: add('debug'),
    info: add('info'),
    warning: add('warning'),
    error: add('error'),
    text: () => entries.map((entry) => `${entry.level}: ${entry.message}`).join('\n'),
  };
}

/**
 * Parses a `GITHUB_OUTPUT`/`GITHUB_ENV`/`GITHUB_STATE` file: `name<<DELIMITER` … `DELIMITER` blocks (what core 3
 * writes) and single-line `name=value` entries. A later entry for the same name wins, as on the runner.
 */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const end = lines.indexOf(delimiter, i + 1);
      if (end === -1) throw new Error(`Unterminated ${name}<<${delimiter} block in a file command`);
      values[name] = lines.slice(i + 1, end).join('\n');
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`Malformed file command line: ${JSON.stringify(line)}`);
    values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s).replace(/%3A/g, ':').replace(/%2C/g, ',');

/** The `::command key=value,…::message` lines of a step's stdout (`::error::`, `::add-mask::`, `::debug::`, …). */
export function parseWorkflowCommands(stdout: string): WorkflowCommand[] {
  const commands: WorkflowCommand[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!match) continue;
    const properties: Record<string, string> = {};
    for (const pair of (match[2] ?? '').split(',').filter(Boolean)) {
      const eq = pair.indexOf('=');
      properties[pair.slice(0, eq)] = unescapeProperty(pair.slice(eq + 1));
    }
    commands.push({ command: match[1]!, properties, message: unescapeData(match[3]!) });
  }
  return commands;
}

export interface StepOptions {
  /** Action inputs by their action.yml name; become `INPUT_<NAME>` (spaces to `_`, upper case, hyphens kept). */
  inputs?: Record<string, string>;
  /** State for a post step (pass the main step's `state`); becomes `STATE_<name>`. */
  state?: Record<string, string>;
  /** More environment, applied last. */
  env?: Record<string, string>;
  /** Directories put before the job's PATH (fake tools). */
  pathPrepend?: string[];
  /** Kill the step after this long (default 60 s). */
  timeoutMs?: number;
}

export interface StepRun {
  /** Exit code (`null` when killed). */
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  /** Variables exported with `core.exportVariable` (`GITHUB_ENV`). */
  env: Record<string, string>;
  /** Values saved with `core.saveState` (`GITHUB_STATE`). */
  state: Record<string, string>;
  /** Directories added with `core.addPath`. */
  path: string[];
  summary: string;
  commands: WorkflowCommand[];
  /** Messages of `::error::` commands, in order. */
  errors: string[];
  /** Messages of `::warning::` commands, in order. */
  warnings: string[];
}

export interface Job {
  /** `RUNNER_TEMP`, shared by every step, like a real job's. */
  runnerTemp: string;
  workspace: string;
  home: string;
  /** Variables exported by earlier steps, passed to later ones (like the runner does with `GITHUB_ENV`). */
  exportedEnv: Record<string, string>;
  run(script: string, options?: StepOptions): Promise<StepRun>;
  cleanup(): Promise<void>;
}

/** A fresh job directory with `RUNNER_TEMP`, `GITHUB_WORKSPACE` and `HOME`. */
export async function createJob(): Promise<Job> {
  const root = await mkdtemp(join(tmpdir(), 'action-job-'));
  const runnerTemp = join(root, 'runner-temp');
  const workspace = join(root, 'workspace');
  const home = join(root, 'home');
  await Promise.all([mkdir(runnerTemp), mkdir(workspace), mkdir(home)]);
  let step = 0;
  const job: Job = {
    runnerTemp,
    workspace,
    home,
    exportedEnv: {},
    async run(script, options = {}) {
      const files = join(root, 'files', String(++step));
      await mkdir(files, { recursive: true });
      const paths = {
        GITHUB_OUTPUT: join(files, 'output'),
        GITHUB_ENV: join(files, 'env'),
        GITHUB_STATE: join(files, 'state'),
        GITHUB_STEP_SUMMARY: join(files, 'summary.md'),
        GITHUB_PATH: join(files, 'path'),
      };
      await Promise.all(Object.values(paths).map((file) => writeFile(file, '')));
      const env: Record<string, string> = {
        PATH: [...(options.pathPrepend ?? []), dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
        HOME: home,
        RUNNER_TEMP: runnerTemp,
        RUNNER_OS: 'macOS',
        GITHUB_WORKSPACE: workspace,
        GITHUB_ACTIONS: 'true',
        CI: 'true',
        ...paths,
        ...job.exportedEnv,
      };
      for (const [name, value] of Object.entries(options.inputs ?? {})) {
        env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
      }
      for (const [name, value] of Object.entries(options.state ?? {})) env[`STATE_${name}`] = value;
      Object.assign(env, options.env);

      const { code, stdout, stderr } = await runNode(script, env, workspace, options.timeoutMs ?? 60_000);
      const read = (file: string) => readFile(file, 'utf8');
      const exported = parseFileCommands(await read(paths.GITHUB_ENV));
      Object.assign(job.exportedEnv, exported);
      const commands = parseWorkflowCommands(stdout);
      return {
        code,
        stdout,
        stderr,
        outputs: parseFileCommands(await read(paths.GITHUB_OUTPUT)),
        env: exported,
        state: parseFileCommands(await read(paths.GITHUB_STATE)),
        path: (await read(paths.GITHUB_PATH)).split('\n').filter(Boolean),
        summary: await read(paths.GITHUB_STEP_SUMMARY),
        commands,
        errors: commands.filter((c) => c.command === 'error').map((c) => c.message),
        warnings: commands.filter((c) => c.command === 'warning').map((c) => c.message),
      };
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
  return job;
}

function runNode(script: string, env: Record<string, string>, cwd: string, timeoutMs: number) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
