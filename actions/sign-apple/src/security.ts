/**
 * `security(1)`: the keychain commands sign-apple runs, one function each, over the shared Runner. Sequence and flags
 * are docs/reference/signing.md §1.1/§1.3; failures become errors that say what to do, with the tool's output attached.
 */
import type { Runner, RunResult } from '../../shared/src/spawn.ts';
import type { Secret } from '../../shared/src/secret.ts';

export interface Identity {
  /** SHA-1 of the certificate, 40 upper-case hex digits: what codesign is given, so two same-named certificates never clash. */
  hash: string;
  /** `Developer ID Application: Example Corp (ABCDE12345)` */
  name: string;
}

const SECURITY = 'security';

function check(result: RunResult, what: string, fix = ''): RunResult {
  if (result.code !== 0) {
    throw new Error(`security could not ${what} (exit ${result.code}).${fix ? ` ${fix}` : ''}\n${result.output}`.trimEnd());
  }
  return result;
}

/** The user keychain search list, parsed from `security list-keychains -d user` (one quoted path per line). */
export function parseKeychainList(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim().replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
}

/**
 * Valid identities from `security find-identity -v -p codesigning`:
 * `  1) 3F2504E04F8911D39A0C0305E82C33011D8A2F4B "Developer ID Application: Example Corp (ABCDE12345)"`.
 * Lines carrying a trust problem in brackets (`(CSSMERR_TP_CERT_EXPIRED)`, printed without `-v`) are skipped.
 */
export function parseIdentities(stdout: string): Identity[] {
  const identities: Identity[] = [];
  for (const line of stdout.split('\n')) {
    const match = /^\s*\d+\)\s+([0-9A-Fa-f]{40})\s+"(.*)"\s*$/.exec(line);
    if (match) identities.push({ hash: match[1]!.toUpperCase(), name: match[2]! });
  }
  return identities;
}

export async function listUserKeychains(run: Runner): Promise<string[]> {
  return parseKeychainList(check(await run(SECURITY, ['list-keychains', '-d', 'user']), 'read the keychain search list').stdout);
}

/** Replaces the user search list. Callers pass the existing entries plus theirs: `-s` replaces, it does not append. */
export async function setUserKeychains(run: Runner, keychains: readonly string[]): Promise<void> {
  check(await run(SECURITY, ['list-keychains', '-d', 'user', '-s', ...keychains]), 'set the keychain search list');
}

export async function createKeychain(run: Runner, keychain: string, password: Secret): Promise<void> {
  check(await run(SECURITY, ['create-keychain', '-p', password, keychain]), `create the keychain ${keychain}`);
}

/**
 * Locks after `timeoutSeconds` of inactivity and on sleep (`-lut`). The default 300 s relock made codesign wait on a
 * password dialog nobody answers until the job's time limit (electron/notarize#247).
 */
export async function setKeychainSettings(run: Runner, keychain: string, timeoutSeconds: number): Promise<void> {
  check(await run(SECURITY, ['set-keychain-settings', '-lut', String(timeoutSeconds), keychain]), 'set the keychain lock timeout');
}

export async function unlockKeychain(run: Runner, keychain: string, password: Secret): Promise<void> {
  check(await run(SECURITY, ['unlock-keychain', '-p', password, keychain]), `unlock ${keychain}`);
}

/**
 * Imports the .p12. `-f pkcs12 -t cert` are explicit because macOS 26 mis-infers the format and reports a bogus
 * "MAC verification failed" (tauri-apps/tauri#15843); `-T` lets codesign, productbuild and pkgbuild use the key
 * without a prompt.
 */
export async function importP12(run: Runner, p12: string, keychain: string, password: Secret): Promise<void> {
  const result = await run(SECURITY, [
    'import', p12, '-k', keychain, '-P', password, '-f', 'pkcs12', '-t', 'cert',
    '-T', '/usr/bin/codesign', '-T', '/usr/bin/productbuild', '-T', '/usr/bin/pkgbuild',
  ]);
  if (result.code === 0) return;
  if (/MAC verification failed|wrong password/i.test(result.output)) {
    throw new Error(
      'certificate-password (APPLE_CERTIFICATE_PASSWORD) does not open the .p12 (security: MAC verification failed ' +
        'during PKCS12 import). Retrying will not help: check that the secret holds the password the .p12 was exported ' +
        'with. If it does, the .p12 was probably made by OpenSSL 3, whose AES encryption older macOS cannot read; ' +
        're-export it with `openssl pkcs12 -export -legacy …`.',
    );
  }
  check(result, 'import the certificate (.p12)', 'Check that certificate holds a .p12 with its private key.');
}

/** Lets Apple tools use the key without a GUI prompt; without it codesign hangs or fails with errSecInternalComponent. */
export async function setKeyPartitionList(run: Runner, keychain: string, password: Secret): Promise<void> {
  const result = await run(SECURITY, ['set-key-partition-list', '-S', 'apple-tool:,apple:,codesign:', '-s', '-k', password, keychain], {
    quiet: true,
  });
  check(result, 'allow codesign to use the imported key (set-key-partition-list)');
}

/** Valid code-signing identities in `keychain`, or in the whole search list when it is omitted. */
export async function findIdentities(run: Runner, keychain?: string): Promise<Identity[]> {
  const args = ['find-identity', '-v', '-p', 'codesigning', ...(keychain ? [keychain] : [])];
  return parseIdentities(check(await run(SECURITY, args), 'list code-signing identities').stdout);
}

/** Deletes a keychain (which also drops it from the search list). `false` when it did not exist. */
export async function deleteKeychain(run: Runner, keychain: string): Promise<boolean> {
  const result = await run(SECURITY, ['delete-keychain', keychain]);
  if (result.code !== 0 && /could not be found/i.test(result.output)) return false;
  check(result, `delete the keychain ${keychain}`);
  return true;
}
