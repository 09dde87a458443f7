/**
 * @module core-io
 * The `@actions/core` side of an action, in one place: reading inputs with one rule for empty values, masking
 * secrets as they are read, adapting core's logging to `Logger`, and failing the step on *any* throw. Only an
 * action's `main.ts` imports this; logic modules take a `Logger` and plain values.
 *
 * Empty means absent: `${{ secrets.X }}` for a secret that is not set (or misspelled, or not passed to a fork's
 * pull request) expands to an empty string, and the runner passes an input left out as its default `''`, so no action
 * can tell "not given" from "given empty". Both read as `undefined` here, and the validation that needs the value
 * says which input is empty and why that happens (`describeEmpty` in inputs.ts).
 */
import * as core from '@actions/core';
import type { Logger } from './logger.ts';
import { Secret, secretPieces } from './secret.ts';

export const coreLogger: Logger = {
  debug: (message) => core.debug(message),
  info: (message) => core.info(message),
  warning: (message, properties) => core.warning(message, properties),
  error: (message, properties) => core.error(message, properties),
};

/** An input's trimmed value, or `undefined` when it is empty. */
export function readInput(name: string): string | undefined {
  const value = core.getInput(name);
  return value === '' ? undefined : value;
}

/**
 * A credential input, masked before anything else can print it (each line of a multi-line value too, since a tool
 * may echo one line of a key), or `undefined` when empty or only whitespace. Line breaks at the end are dropped
 * (`echo "$PASSWORD" | gh secret set` stores one, and no password or key ends in one; openssl's `-passin file:`
 * drops it too, while `security import -P` and notarytool would not), but spaces are kept: a password may end in one.
 */
export function readSecretInput(name: string): Secret | undefined {
  return toSecret(name, core.getInput(name, { trimWhitespace: false }));
}

/** Like `readSecretInput`, for a value taken from an environment variable (`APPLE_PASSWORD` set by sign-apple). */
export function readSecretEnv(name: string, env: NodeJS.ProcessEnv = process.env): Secret | undefined {
  return toSecret(name, env[name] ?? '');
}

function toSecret(label: string, value: string): Secret | undefined {
  if (value.trim() === '') return undefined;
  const secret = value.replace(/[\r\n]+$/, '');
  maskSecret(secret);
  return new Secret(label, secret);
}

/** `core.setSecret` for the value and each of its lines. */
export function maskSecret(value: string): void {
  for (const piece of secretPieces(value)) core.setSecret(piece);
}

/**
 * A boolean input: empty gives `fallback`; otherwise one of the YAML 1.2 core-schema spellings core accepts
 * (`true`/`True`/`TRUE`/`false`/…), with an error naming the input for anything else.
 */
export function readBooleanInput(name: string, fallback: boolean): boolean {
  const value = core.getInput(name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new Error(`Input ${name} must be true or false, not ${JSON.stringify(value)}.`);
}

/** Marks the step failed with the error's message, whatever was thrown (typescript-action only handled `Error`). */
export function failStep(error: unknown): void {
  core.setFailed(error instanceof Error ? error.message : String(error));
}
