/**
 * Fake `security`, `codesign`, `xcrun` (notarytool, stapler) and `spctl`, for testing the Apple signing actions on
 * Linux. One script, run as `node tools.ts <tool> <args…>` by the wrappers `index.ts` writes to a bin directory.
 *
 * Each call is appended to `<dir>/calls.jsonl` (tool, argv, cwd), so tests assert exact command sequences. The tools
 * share a small model of the machine in `<dir>/state.json` (keychains and their identities, the user search list,
 * which files are signed, stapled or submitted), so a wrong order fails the way it would on a Mac: `codesign` cannot
 * find an identity whose keychain is not in the search list, `stapler` finds no ticket for a submission that was not
 * Accepted, and signing a stapled file removes its ticket. `<dir>/scenario.json` says how to misbehave.
 *
 * Output texts follow docs/reference/signing.md §1–§3 and §7 (find-identity listing, notarytool JSON, the stapler "Record not
 * found"/Error 65 text, spctl's `source=` lines). Two are not pinned to a real capture and the actions must not depend
 * on their wording: notarytool's network error and what `notarytool wait` prints when its --timeout runs out (the
 * action asks `notarytool info` for the status instead).
 */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { DEFAULT_IDENTITY, LOGIN_KEYCHAIN, type FakeCall, type FakeScenario, type FakeState, type Identity } from './scenario.ts';

const dir = process.env.FAKE_MACOS_DIR;

function main(): number {
  if (!dir) {
    process.stderr.write('fake-macos: FAKE_MACOS_DIR is not set\n');
    return 127;
  }
  const [tool = '', ...args] = process.argv.slice(2);
  appendFileSync(join(dir, 'calls.jsonl'), JSON.stringify({ tool, args, cwd: process.cwd() } satisfies FakeCall) + '\n');
  const scenario = JSON.parse(readFileSync(join(dir, 'scenario.json'), 'utf8')) as FakeScenario;
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as FakeState;
  const tools: Record<string, (args: string[], scenario: FakeScenario, state: FakeState) => number> = {
    security,
    codesign,
    xcrun,
    spctl,
  };
  const handler = tools[tool];
  const code = handler ? handler(args, scenario, state) : fail(`fake-macos: unknown tool ${tool}`, 127);
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
  return code;
}

const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
const err = (text: string) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);

function fail(message: string, code = 1): number {
  err(message);
  return code;
}

/** The value after `flag`, or undefined. */
function option(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at === -1 ? undefined : args[at + 1];
}

function count(state: FakeState, name: string): number {
  state.counters[name] = (state.counters[name] ?? 0) + 1;
  return state.counters[name];
}

// ---- security ---------------------------------------------------------------------------------------------------

function security(args: string[], scenario: FakeScenario, state: FakeState): number {
  const [command, ...rest] = args;
  const keychainArg = rest.at(-1) ?? '';
  const keychain = state.keychains[keychainArg];
  const notFound = (op: string) => fail(`security: ${op} ${keychainArg}: The specified keychain could not be found.`, 50);
  switch (command) {
    case 'list-keychains': {
      if (option(rest, '-d') !== 'user') return fail('fake-macos: list-keychains without -d user', 2);
      const at = rest.indexOf('-s');
      if (at === -1) {
        for (const path of state.searchList) out(`    "${path}"`);
        return 0;
      }
      state.searchList = rest.slice(at + 1);
      return 0;
    }
    case 'create-keychain': {
      const password = option(rest, '-p');
      if (password === undefined) return fail('fake-macos: create-keychain would prompt for a password', 2);
      if (existsSync(keychainArg)) {
        return fail(`security: SecKeychainCreate ${keychainArg}: A keychain with the same name already exists.`, 48);
      }
      writeFileSync(keychainArg, 'fake keychain\n');
      state.keychains[keychainArg] = { password, identities: [] };
      return 0;
    }
    case 'set-keychain-settings':
      return keychain ? 0 : notFound('SecKeychainSetSettings');
    case 'unlock-keychain':
      if (!keychain) return notFound('SecKeychainUnlock');
      if (option(rest, '-p') !== keychain.password) {
        return fail(`security: SecKeychainUnlock ${keychainArg}: The user name or passphrase you entered is not correct.`, 51);
      }
      return 0;
    case 'import': {
      const file = rest[0] ?? '';
      const target = state.keychains[option(rest, '-k') ?? ''];
      if (!existsSync(file)) return fail(`security: cannot read ${file}: No such file or directory`);
      if (!target) return fail('security: SecKeychainItemImport: The specified keychain could not be found.', 50);
      if (option(rest, '-P') !== (scenario.p12Password ?? 'p12-password')) {
        return fail('security: SecKeychainItemImport: MAC verification failed during PKCS12 import (wrong password?)');
      }
      target.identities = scenario.identities ?? [DEFAULT_IDENTITY];
      out(`${target.identities.length} identit${target.identities.length === 1 ? 'y' : 'ies'} imported.`);
      return 0;
    }
    case 'set-key-partition-list':
      if (!keychain) return notFound('SecKeychainItemSetAccessWithPassword');
      if (option(rest, '-k') !== keychain.password) {
        return fail('security: SecKeychainItemSetAccessWithPassword: The user name or passphrase you entered is not correct.', 51);
      }
      for (const identity of keychain.identities) {
        out(`attributes:\n    "labl"<blob>="${identity.name}"\n    "class"=0x00000010\n    "perm"<sint32>=0x00000000`);
      }
      return 0;
    case 'find-identity': {
      if (option(rest, '-p') !== 'codesigning' || !rest.includes('-v')) return fail('fake-macos: expected -v -p codesigning', 2);
      const explicit = rest.at(-1)?.startsWith('/') ? rest.at(-1) : undefined;
      if (explicit && !state.keychains[explicit]) return fail(`security: ${explicit}: The specified keychain could not be found.`, 50);
      const identities = explicit ? state.keychains[explicit]!.identities : visibleIdentities(scenario, state);
      identities.forEach((identity, i) => out(`  ${i + 1}) ${identity.hash} "${identity.name}"`));
      out(`     ${identities.length} valid identities found`);
      return 0;
    }
    case 'delete-keychain': {
      if (!keychain) return notFound('SecKeychainDelete');
      delete state.keychains[keychainArg];
      state.searchList = state.searchList.filter((path) => path !== keychainArg);
      rmSync(keychainArg, { force: true });
      return 0;
    }
    default:
      return fail(`fake-macos: security ${command} is not modelled`, 2);
  }
}

/** Identities codesign can find: the login keychain's, and those of every keychain in the user search list. */
function visibleIdentities(scenario: FakeScenario, state: FakeState): Identity[] {
  const found: Identity[] = [];
  for (const path of state.searchList) {
    if (path === LOGIN_KEYCHAIN) found.push(...(scenario.loginIdentities ?? []));
    found.push(...(state.keychains[path]?.identities ?? []));
  }
  return found;
}

// ---- codesign ---------------------------------------------------------------------------------------------------

function codesign(args: string[], scenario: FakeScenario, state: FakeState): number {
  const file = args.at(-1) ?? '';
  if (!existsSync(file)) return fail(`${file}: No such file or directory`);
  if (args.includes('--verify')) {
    if (file.endsWith('.app')) {
      // `tauri build` signed the bundle; appNestedUnsigned names a nested binary it left unsigned.
      if (!args.includes('--deep') || !args.includes('--strict')) return fail('fake-macos: verify a bundle with --deep --strict', 2);
      if (scenario.appNestedUnsigned) return fail(`${file}: code object is not signed at all\nIn subcomponent: ${file}/${scenario.appNestedUnsigned}`);
      err(`${file}: valid on disk\n${file}: satisfies its Designated Requirement`);
      return 0;
    }
    const identity = state.signatures[file];
    if (!identity) return fail(`${file}: code object is not signed at all`);
    err(`${file}: valid on disk\n${file}: satisfies its Designated Requirement`);
    return 0;
  }
  const wanted = option(args, '--sign') ?? option(args, '-s');
  if (wanted === undefined) return fail('fake-macos: codesign without --sign or --verify', 2);
  let name = 'adhoc';
  if (wanted !== '-') {
    // The same certificate in two keychains is one identity; two certificates with a matching name are ambiguous.
    const matching = visibleIdentities(scenario, state).filter((id) => id.hash === wanted.toUpperCase() || id.name.includes(wanted));
    const candidates = matching.filter((id, i) => matching.findIndex((other) => other.hash === id.hash) === i);
    if (candidates.length === 0) return fail(`${wanted}: no identity found`);
    if (candidates.length > 1) return fail(`${wanted}: ambiguous (matches "${candidates[0]!.name}" and "${candidates[1]!.name}")`);
    name = candidates[0]!.name;
    if (scenario.codesignPrompts) {
      err(`${file}: replacing existing signature`);
      // Blocks as the real codesign does behind a prompt, until the caller kills it.
      for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
    }
    if (scenario.codesignChainFailure) {
      err(`Warning: unable to build chain to self-signed root for signer "${name}"`);
      return fail(`${file}: errSecInternalComponent`);
    }
    if (args.includes('--timestamp') && count(state, 'codesign-timestamp') <= (scenario.codesignTimestampFailures ?? 0)) {
      return fail(`${file}: The timestamp service is not available.`);
    }
  }
  // Code-signing a file invalidates any ticket stapled to it (stapler(1)).
  state.stapled = state.stapled.filter((path) => path !== file);
  state.signatures[file] = name;
  err(`${file}: replacing existing signature`);
  return 0;
}

// ---- xcrun notarytool / stapler ---------------------------------------------------------------------------------

function xcrun(args: string[], scenario: FakeScenario, state: FakeState): number {
  const [tool, ...rest] = args;
  if (tool === 'notarytool') return notarytool(rest, scenario, state);
  if (tool === 'stapler') return stapler(rest, scenario, state);
  return fail(`xcrun: error: unable to find utility "${tool}", not a developer tool or in PATH`, 72);
}

const NETWORK_ERROR =
  'Error: HTTPError(statusCode: nil, error: Error Domain=NSURLErrorDomain Code=-1001 "The request timed out." ' +
  'UserInfo={NSLocalizedDescription=The request timed out.})';

function notaryAuth(args: string[]): string | undefined {
  const key = option(args, '--key');
  const apiKey = key !== undefined || args.includes('--key-id') || args.includes('--issuer');
  const appleId = args.includes('--apple-id') || args.includes('--password') || args.includes('--team-id');
  if (apiKey && appleId) return 'Error: Only one of --key, --apple-id or --keychain-profile may be given.';
  if (apiKey) {
    if (!key || !option(args, '--key-id')) return 'Error: --key and --key-id are required for API key authentication.';
    if (!existsSync(key) || !readFileSync(key, 'utf8').includes('BEGIN PRIVATE KEY')) {
      return `Error: Unable to read the private key file at ${key}.`;
    }
    return undefined;
  }
  if (appleId) {
    if (!option(args, '--apple-id') || !option(args, '--password') || !option(args, '--team-id')) {
      return 'Error: --apple-id, --password and --team-id are required together.';
    }
    return undefined;
  }
  return 'Error: No authentication method provided.';
}

function notarytool(args: string[], scenario: FakeScenario, state: FakeState): number {
  const [command, target = ''] = args;
  const authError = notaryAuth(args);
  if (authError) return fail(authError, 64);
  if (scenario.notaryUnauthorized) {
    return fail(
      'Error: HTTP status code: 401. Invalid credentials. Username or password is incorrect. ' +
        'Use the app-specific password generated at appleid.apple.com. Ensure that all authentication arguments are correct.',
      69,
    );
  }
  const json = option(args, '--output-format') === 'json';
  const status = scenario.notaryStatus ?? 'Accepted';
  switch (command) {
    case 'submit': {
      if (!existsSync(target)) return fail(`Error: File not found at path: ${target}`);
      if (count(state, 'submit') <= (scenario.submitNetworkFailures ?? 0)) return fail(NETWORK_ERROR);
      const id = `6f1c2a3b-1d2e-4f50-9a6b-${String(Object.keys(state.submissions).length + 1).padStart(12, '0')}`;
      state.submissions[id] = { file: target, status };
      if (json) out(JSON.stringify({ message: 'Successfully uploaded file', id, path: target }));
      else out(`Conducting pre-submission checks for ${basename(target)} and initiating connection to the Apple notary service...\n  id: ${id}`);
      return 0;
    }
    case 'wait': {
      const submission = state.submissions[target];
      if (!submission) return fail(`Error: Submission ${target} not found.`);
      if (count(state, 'wait') <= (scenario.waitNetworkFailures ?? 0)) return fail(NETWORK_ERROR);
      if (submission.status === 'In Progress') {
        err(`Current status: In Progress...`);
        return fail(`Error: the wait for submission ${target} reached its timeout of ${option(args, '--timeout')}.`);
      }
      // Exit code 0 for every final status, Invalid included (electron/notarize#173).
      out(JSON.stringify({ id: target, status: submission.status, message: 'Processing complete' }));
      return 0;
    }
    case 'info': {
      const submission = state.submissions[target];
      if (!submission) return fail(`Error: Submission ${target} not found.`);
      out(JSON.stringify({ createdDate: '2026-11-22T12:00:00.000Z', id: target, message: 'Processing', name: basename(submission.file), status: submission.status }));
      return 0;
    }
    case 'log': {
      const submission = state.submissions[target];
      if (!submission) return fail(`Error: Submission ${target} not found.`);
      if (submission.status === 'In Progress') return fail(`Error: Submission log is not yet available for ${target}.`);
      out(JSON.stringify(developerLog(target, submission), null, 2));
      return 0;
    }
    default:
      return fail(`fake-macos: notarytool ${command} is not modelled`, 2);
  }
}

function developerLog(id: string, submission: { file: string; status: string }) {
  const accepted = submission.status === 'Accepted';
  const app = `${basename(submission.file)}/Example.app/Contents`;
  return {
    logFormatVersion: 1,
    jobId: id,
    status: submission.status,
    statusSummary: accepted ? 'Ready for distribution' : 'Archive contains critical validation errors',
    statusCode: accepted ? 0 : 4000,
    archiveFilename: basename(submission.file),
    uploadDate: '2026-11-22T12:00:01.000Z',
    sha256: 'a'.repeat(64),
    ticketContents: accepted ? [{ path: app, digestAlgorithm: 'SHA-256', cdhash: 'b'.repeat(40), arch: 'arm64' }] : null,
    issues: accepted
      ? null
      : [
          {
            severity: 'error',
            code: null,
            path: `${app}/Resources/bin/ffmpeg`,
            message: 'The binary is not signed with a valid Developer ID certificate.',
            docUrl: 'https://developer.apple.com/documentation/security/resolving-common-notarization-issues#Use-a-valid-Developer-ID-certificate',
            architecture: 'arm64',
          },
          {
            severity: 'error',
            code: null,
            path: `${app}/Resources/bin/ffmpeg`,
            message: 'The signature does not include a secure timestamp.',
            docUrl: 'https://developer.apple.com/documentation/security/resolving-common-notarization-issues#Include-a-secure-timestamp',
            architecture: 'arm64',
          },
        ],
  };
}

function stapler(args: string[], scenario: FakeScenario, state: FakeState): number {
  const [command] = args;
  const file = args.at(-1) ?? '';
  const name = basename(file);
  out(`Processing: ${file}`);
  if (!existsSync(file)) return fail(`${file} does not exist.`, 66);
  if (command === 'validate') {
    if (!state.stapled.includes(file)) return fail(`${name} does not have a ticket stapled to it.`, 65);
    out('The validate action worked!');
    return 0;
  }
  if (command !== 'staple') return fail(`fake-macos: stapler ${command} is not modelled`, 2);
  const accepted = Object.values(state.submissions).some((s) => s.file === file && s.status === 'Accepted');
  const notFound = () => {
    out(`CloudKit query for ${name} (2/${'c'.repeat(40)}) failed due to "Record not found".`);
    out(`Could not find base64 encoded ticket in response for 2/2/${'c'.repeat(40)}`);
    return fail('The staple and validate action failed! Error 65.', 65);
  };
  if (!accepted || !state.signatures[file]) return notFound();
  if (count(state, 'staple') <= (scenario.stapleRecordNotFound ?? 0)) return notFound();
  state.stapled.push(file);
  out('The staple and validate action worked!');
  return 0;
}

// ---- spctl ------------------------------------------------------------------------------------------------------

function spctl(args: string[], scenario: FakeScenario, state: FakeState): number {
  const file = args.at(-1) ?? '';
  if (!args.includes('-a') || option(args, '-t') !== 'open' || option(args, '--context') !== 'context:primary-signature') {
    return fail('fake-macos: expected spctl -a -t open --context context:primary-signature', 2);
  }
  if (scenario.assessmentsDisabled) {
    // `spctl --master-disable`: every assessment passes by override, none says where the code came from.
    err(`${file}: accepted\noverride=security disabled`);
    return 0;
  }
  const identity = state.signatures[file];
  if (!identity || identity === 'adhoc') return fail(`${file}: rejected\nsource=no usable signature`, 3);
  if (!state.stapled.includes(file)) return fail(`${file}: rejected\nsource=Unnotarized Developer ID`, 3);
  err(`${file}: accepted\nsource=Notarized Developer ID\norigin=${identity}`);
  return 0;
}

process.exitCode = main();
