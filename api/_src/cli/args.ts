/**
 * @module cli/args
 * Commands as data: each names its words (`releases publish`), options (node:util `parseArgs` config), positionals
 * and a run function, so `--help` text, parsing and usage errors come from one description. Every command takes
 * `--json` and `--help`; every mutating one also `--dry-run`.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import type { Client } from './http.ts';
import type { Credentials } from './config.ts';
import { usageError } from './errors.ts';
import type { Output } from './output.ts';

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  /** `--name <value>   what`, in help. */
  help: string;
  value?: string;
  required?: boolean;
}

export interface Context {
  out: Output;
  env: Readonly<Record<string, string | undefined>>;
  dryRun: boolean;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  /** The logged-in client; a usage error (exit 2) when not logged in. */
  client(): Promise<Client>;
  credentials(): Promise<Credentials>;
}

export interface Command {
  /** The words that select it: ['releases', 'publish']. */
  words: readonly string[];
  summary: string;
  /** Positional names for help: ['<version>', '<percent>']; a trailing `...` takes the rest. */
  positionals?: readonly string[];
  options?: Readonly<Record<string, OptionSpec>>;
  /** Sends a mutating request: takes --dry-run. */
  mutating?: boolean;
  /** Extra help text after the options. */
  details?: string;
  run(ctx: Context, values: Values, positionals: string[]): Promise<number | void>;
}

const COMMON: Readonly<Record<string, OptionSpec>> = {
  json: { type: 'boolean', help: 'print the result as JSON (the server\'s own shapes) on stdout' },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
};
const DRY_RUN: Readonly<Record<string, OptionSpec>> = {
  'dry-run': { type: 'boolean', help: 'print the request(s) it would send, and send nothing' },
};

export function optionsOf(command: Command): Record<string, OptionSpec> {
  return { ...command.options, ...(command.mutating ? DRY_RUN : {}), ...COMMON };
}

function optionLine(name: string, spec: OptionSpec): string {
  const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` <${spec.value ?? 'value'}>` : ''}`;
  return `  ${flag.padEnd(30)} ${spec.help}${spec.required ? ' (required)' : ''}${spec.multiple ? ' (repeatable)' : ''}`;
}

export function commandHelp(command: Command): string {
  const options = optionsOf(command);
  const required = Object.entries(command.options ?? {})
    .filter(([, spec]) => spec.required)
    .map(([name, spec]) => `--${name}${spec.type === 'string' ? ` <${spec.value ?? 'value'}>` : ''}`);
  const usage = ['tauri-release', ...command.words, ...(command.positionals ?? []), ...required, '[options]'].join(' ');
  return [
    `usage: ${usage}`,
    '',
    command.summary,
    '',
    'options:',
    ...Object.entries(options).map(([name, spec]) => optionLine(name, spec)),
    ...(command.details ? ['', command.details] : []),
  ].join('\n');
}

/**
 * Parses a command's own arguments (after its words).
 *
 * @throws CliError usage (exit 2) for an unknown option, a missing value or required option, or a wrong count of positionals
 */
export function parseCommandArgs(command: Command, args: readonly string[]): { values: Values; positionals: string[] } {
  const specs = optionsOf(command);
  const config: ParseArgsOptionsConfig = {};
  for (const [name, spec] of Object.entries(specs)) {
    config[name] = { type: spec.type, ...(spec.multiple ? { multiple: true } : {}), ...(spec.short ? { short: spec.short } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options: config, allowPositionals: true, strict: true, tokens: true });
  } catch (error) {
    // parseArgs's own wording ("Unknown option '--x'. To specify a positional argument starting with a '-', …").
    throw usageError(`${(error as Error).message.split('. ')[0]}; see tauri-release ${command.words.join(' ')} --help`);
  }
  const values = parsed.values as Values;
  if (values.help) return { values, positionals: parsed.positionals };
  // parseArgs keeps the last of a repeated option: `--app prod --app staging` must not silently act on one of them.
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || specs[token.name]?.multiple) continue;
    if (seen.has(token.name) && specs[token.name]?.type === 'string') {
      throw usageError(`--${token.name} is given more than once; pass it once (see tauri-release ${command.words.join(' ')} --help)`);
    }
    seen.add(token.name);
  }
  for (const [name, spec] of Object.entries(command.options ?? {})) {
    if (spec.required && (values[name] === undefined || values[name] === '')) {
      throw usageError(`--${name} is required; see tauri-release ${command.words.join(' ')} --help`);
    }
  }
  const names = command.positionals ?? [];
  const rest = names.at(-1)?.endsWith('...') ?? false;
  const minimum = names.filter((name) => name.startsWith('<')).length;
  if (parsed.positionals.length < minimum || (!rest && parsed.positionals.length > names.length)) {
    const expected = names.length ? names.join(' ') : 'no arguments';
    throw usageError(`expected ${expected}, got ${parsed.positionals.length ? parsed.positionals.map((p) => JSON.stringify(p)).join(' ') : 'none'}; see tauri-release ${command.words.join(' ')} --help`);
  }
  return { values, positionals: parsed.positionals };
}

/** A string option's value (undefined when absent). */
export const text = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

/** A string option that `required: true` guarantees. */
export const must = (values: Values, name: string): string => {
  const value = text(values, name);
  if (value === undefined) throw usageError(`--${name} is required`);
  return value;
};

/** An `on|off` option as a boolean (undefined when absent); anything else is a usage error naming the option. */
export function onOff(values: Values, name: string): boolean | undefined {
  const value = text(values, name);
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'off') return value === 'on';
  throw usageError(`--${name} takes on or off, not ${JSON.stringify(value)}`);
}

export const list = (values: Values, name: string): string[] => {
  const value = values[name];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
};

/** Issues of a failed zod parse as one usage message: `name: must not be empty; public_key: invalid public key: …`. */
export function describeIssues(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/**
 * Refuses, before anything is sent, a body the server's own schema would refuse: a usage error (exit 2) with the
 * server's validation messages. The body is sent as given (schemas may transform, e.g. `v1.2.3` → `1.2.3`).
 */
export function checkBody<B>(schema: { safeParse(value: unknown): { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } | undefined } }, body: B): B {
  const parsed = schema.safeParse(body);
  if (!parsed.success && parsed.error) throw usageError(describeIssues(parsed.error));
  return body;
}
