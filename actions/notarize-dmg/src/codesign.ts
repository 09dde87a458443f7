/**
 * `codesign` for the DMG: sign with a secure timestamp (required for notarization), then verify locally before the
 * slow upload (electron/notarize's check-signature). Signing happens only before submission: code-signing a stapled
 * DMG would invalidate its ticket (stapler(1)).
 */
import type { Logger } from '../../shared/src/logger.ts';
import { exponentialBackoff, retry } from '../../shared/src/retry.ts';
import type { Runner } from '../../shared/src/spawn.ts';

export class CodesignError extends Error {
  readonly timestampUnavailable: boolean;

  constructor(message: string, timestampUnavailable: boolean) {
    super(message);
    this.name = 'CodesignError';
    this.timestampUnavailable = timestampUnavailable;
  }
}

/** Apple's timestamp service is down or unreachable: safe to retry, since nothing was stapled yet. */
const TIMESTAMP_UNAVAILABLE = /timestamp service is not available|A timestamp was expected but was not found/i;

export interface SignOptions {
  identity: string;
  keychain?: string;
  attempts: number;
  retryDelayMs: number;
  /** How long one signing may take before it is taken for a keychain prompt (see `signDmg`). */
  timeoutMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Signing a DMG with a timestamp takes seconds. A codesign still running after minutes is waiting on a keychain
 * prompt no one on a runner can answer, and would hold the job until its 6 h limit (docs/reference/signing.md §7, "codesign hangs").
 */
export const SIGN_TIMEOUT_MS = 5 * 60_000;

function promptHint(timeoutMs: number, keychain: string | undefined): string {
  const kc = keychain ?? '<keychain>';
  return (
    `codesign did not finish within ${timeoutMs / 1000} s and was stopped: it was most likely waiting on a keychain ` +
    'prompt no one can answer (the key\'s partition list lacks codesign, or the keychain locked again). Import the ' +
    'certificate with sign-apple earlier in this job (it sets both), or on your own keychain run ' +
    `\`security set-key-partition-list -S apple-tool:,apple:,codesign: -s -k <password> ${kc}\` and ` +
    `\`security set-keychain-settings -lut 21600 ${kc}\`.`
  );
}

export async function signDmg(run: Runner, logger: Logger, dmg: string, options: SignOptions): Promise<void> {
  const args = ['--force', '--sign', options.identity, '--timestamp', ...(options.keychain ? ['--keychain', options.keychain] : []), dmg];
  await retry(
    async () => {
      const result = await run('codesign', args, { timeoutMs: options.timeoutMs });
      if (result.timedOut) throw new CodesignError(`${promptHint(options.timeoutMs, options.keychain)}\n${result.output}`.trimEnd(), false);
      if (result.code === 0) return;
      const timestamp = TIMESTAMP_UNAVAILABLE.test(result.output);
      let fix = '';
      if (timestamp) fix = "Apple's timestamp service did not answer; try again later (status: developer.apple.com/system-status).";
      else if (/no identity found/.test(result.output)) {
        fix =
          `No identity "${options.identity}" in the keychain search list: run sign-apple earlier in this job (its ` +
          'keychain stays in the search list until its post step), or fix signing-identity.';
      } else if (/ambiguous/.test(result.output)) fix = 'Two certificates match; pass the SHA-1 as signing-identity.';
      throw new CodesignError(`codesign could not sign ${dmg} (exit ${result.code}). ${fix}\n${result.output}`.trimEnd(), timestamp);
    },
    {
      attempts: options.attempts,
      delayMs: exponentialBackoff(options.retryDelayMs),
      retryIf: (error) => error instanceof CodesignError && error.timestampUnavailable,
      onRetry: (_, attempt, delay) => logger.warning(`Timestamp service unavailable (attempt ${attempt}); signing again in ${delay / 1000} s.`),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    },
  );
}

export async function verifySignature(run: Runner, dmg: string): Promise<void> {
  const result = await run('codesign', ['--verify', '--strict', '--verbose=2', dmg]);
  if (result.code === 0) return;
  const unsigned = /not signed at all/.test(result.output);
  throw new Error(
    `${dmg} ${unsigned ? 'is not signed' : 'has a signature that does not verify'}, so Apple would reject it. ` +
      `${unsigned ? 'Set sign: true (the default) with a signing identity.' : 'Sign it again before submitting; do not modify it after signing.'}\n${result.output}`,
  );
}

/**
 * The nested code codesign names when a bundle does not verify: `In subcomponent: <path>` (nested code unsigned or
 * invalid), `file modified|added|missing: <path>` (a sealed resource), else the path before the first `: `.
 */
export function failingPath(output: string): string | undefined {
  const nested = /^In subcomponent: (.+)$/m.exec(output) ?? /^file (?:modified|added|missing): (.+)$/m.exec(output);
  if (nested) return nested[1]!.trim();
  return /^(\/.+?): /m.exec(output)?.[1];
}

/**
 * `codesign --verify --deep --strict` on the .app before its DMG goes to Apple: a nested binary that is unsigned,
 * signed without the runtime or changed after signing fails here, named, instead of as an opaque notarization verdict.
 */
export async function verifyApp(run: Runner, app: string): Promise<void> {
  const result = await run('codesign', ['--verify', '--deep', '--strict', '--verbose=2', app]);
  if (result.code === 0) return;
  const path = failingPath(result.output) ?? app;
  const what = /not signed at all/.test(result.output)
    ? 'is not signed'
    : /modified|added|missing/.test(result.output)
      ? 'was changed after signing'
      : 'has a signature that does not verify';
  throw new Error(
    `${path} ${what} (codesign --verify --deep --strict ${app}), so Apple would reject the DMG. Sign every nested ` +
      'binary inside-out with --options runtime --timestamp (Tauri signs externalBin sidecars, not Mach-O files copied ' +
      `into Resources), and change nothing in the bundle after signing.\n${result.output}`,
  );
}
