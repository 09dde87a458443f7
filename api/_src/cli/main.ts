/**
 * @module cli/main
 * `tauri-release`, the admin CLI: picks the command from its words, parses its options, runs it, and maps every
 * failure to one line and an exit code (errors.ts). Started by `bin.mjs`; `main()` takes its streams and
 * environment as parameters, so nothing here reads `process` except the entry at the bottom.
 */
import { type Command, type Context, commandHelp, parseCommandArgs } from './args.ts';
import { appsCreate, appsList, appsSet, appsShow } from './commands/apps.ts';
import { artifactsDelete, artifactsList } from './commands/artifacts.ts';
import { login, logout, whoami } from './commands/auth.ts';
import { doctor } from './commands/doctor.ts';
import { audit, stats } from './commands/insight.ts';
import { integrationsAdd, integrationsList, integrationsRemove, integrationsShow, integrationsUpdate } from './commands/integrations.ts';
import { keysCreate, keysList, keysRevoke } from './commands/keys.ts';
import {
  licensesCreate,
  licensesDeactivate,
  licensesList,
  licensesMachines,
  licensesReinstate,
  licensesRenew,
  licensesRevoke,
  licensesRotate,
  licensesShow,
  licensesSuspend,
} from './commands/licenses.ts';
import { licensingRotateFileKey, licensingShow, policiesCreate, policiesDelete, policiesList, policiesShow } from './commands/policies.ts';
import { publishersAdd, publishersList, publishersRemove } from './commands/publishers.ts';
import {
  releasesArchive,
  releasesCreate,
  releasesList,
  releasesNotes,
  releasesPublish,
  releasesRollout,
  releasesShow,
  releasesYank,
} from './commands/releases.ts';
import { upload } from './commands/upload.ts';
import { loadCredentials } from './config.ts';
import { CliError, EXIT_OK, EXIT_USAGE, usageError } from './errors.ts';
import { Client } from './http.ts';
import { createOutput, type Output } from './output.ts';

export const COMMANDS: readonly Command[] = [
  login, logout, whoami,
  appsList, appsCreate, appsShow, appsSet,
  releasesList, releasesCreate, releasesShow, releasesPublish, releasesArchive, releasesYank, releasesRollout, releasesNotes,
  artifactsList, artifactsDelete,
  keysList, keysCreate, keysRevoke,
  publishersList, publishersAdd, publishersRemove,
  licensingShow, licensingRotateFileKey, policiesList, policiesCreate, policiesShow, policiesDelete,
  licensesList, licensesCreate, licensesShow, licensesRenew, licensesSuspend, licensesReinstate, licensesRevoke, licensesRotate,
  licensesMachines, licensesDeactivate,
  integrationsList, integrationsShow, integrationsAdd, integrationsUpdate, integrationsRemove,
  audit, stats, upload, doctor,
];

const EXIT_CODES = 'exit codes: 0 ok · 1 refused by the server (or by the check it would make, or doctor found a problem) · 2 usage · 3 network · 70 internal error';

export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(' ').length));
  return [
    'usage: tauri-release <command> [options]      (tauri-release <command> --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'every command takes --json; every command that changes something takes --dry-run.',
    'server and key: tauri-release login, or TAURI_RELEASE_URL and TAURI_RELEASE_KEY.',
    EXIT_CODES,
  ].join('\n');
}

/** The command named by the leading words of `argv`, and the arguments after them. */
function select(argv: readonly string[]): { command: Command; rest: string[] } {
  const [first, second] = argv;
  const match = COMMANDS.find((c) => c.words.length === 2 && c.words[0] === first && c.words[1] === second) ?? COMMANDS.find((c) => c.words.length === 1 && c.words[0] === first);
  if (match) return { command: match, rest: argv.slice(match.words.length) };
  const group = COMMANDS.filter((c) => c.words[0] === first);
  if (group.length) {
    const subs = group.map((c) => c.words[1]).join('|');
    throw usageError(second === undefined || second.startsWith('-') ? `tauri-release ${first} needs a subcommand: ${subs}` : `unknown subcommand ${JSON.stringify(second)} of ${first}; expected ${subs}`);
  }
  throw usageError(`unknown command ${JSON.stringify(first)}; run tauri-release --help for the list`);
}

export interface MainIo {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: Context['stdin'];
}

/** Runs one invocation; resolves with the exit code. */
export async function main(io: MainIo): Promise<number> {
  const json = io.argv.includes('--json');
  const out: Output = createOutput(json, io.stdout as never, io.stderr as never);
  try {
    if (io.argv.length === 0 || io.argv[0] === '--help' || io.argv[0] === '-h' || io.argv[0] === 'help') {
      io.stdout.write(`${overview()}\n`);
      return io.argv.length === 0 ? EXIT_USAGE : EXIT_OK;
    }
    const { command, rest } = select(io.argv);
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      io.stdout.write(`${commandHelp(command)}\n\n${EXIT_CODES}\n`);
      return EXIT_OK;
    }
    const dryRun = values['dry-run'] === true;
    const credentials = () => loadCredentials(io.env);
    const ctx: Context = {
      out,
      env: io.env,
      dryRun,
      stdin: io.stdin,
      credentials,
      async client() {
        const { url, key } = await credentials();
        return new Client({ url, key, out, dryRun });
      },
    };
    return (await command.run(ctx, values, positionals)) ?? EXIT_OK;
  } catch (error) {
    if (error instanceof CliError) {
      out.error(error.code, error.message);
      return error.exitCode;
    }
    // A bug, not a refusal: the stack helps more than a tidy line.
    out.error('internal', error instanceof Error ? (error.stack ?? error.message) : String(error));
    return 70;
  }
}
