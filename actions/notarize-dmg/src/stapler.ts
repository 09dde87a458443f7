/**
 * `xcrun stapler` and `spctl`: staple the ticket to the DMG, retrying while Apple's CDN does not have it yet, then
 * prove it offline (`stapler validate`) and ask Gatekeeper (`spctl -t open --context context:primary-signature`, the
 * assessment for disk images). docs/reference/signing.md §2.2, §3.2.
 */
import type { Logger } from '../../shared/src/logger.ts';
import { retry } from '../../shared/src/retry.ts';
import type { Runner } from '../../shared/src/spawn.ts';

export class StapleError extends Error {
  readonly recordNotFound: boolean;

  constructor(message: string, recordNotFound: boolean) {
    super(message);
    this.name = 'StapleError';
    this.recordNotFound = recordNotFound;
  }
}

/** The ticket is not yet on Apple's CDN right after Accepted (CloudKit "Record not found", Error 65). */
const RECORD_NOT_FOUND = /Record not found/i;

export interface StapleOptions {
  attempts: number;
  retryDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export async function staple(run: Runner, logger: Logger, dmg: string, options: StapleOptions): Promise<void> {
  await retry(
    async () => {
      const result = await run('xcrun', ['stapler', 'staple', '-v', dmg]);
      if (result.code === 0) return;
      const notFound = RECORD_NOT_FOUND.test(result.output);
      throw new StapleError(
        `stapler could not staple ${dmg} (exit ${result.code}).` +
          `${notFound ? ` Apple's ticket was still not available after ${options.attempts} attempts; staple again later with \`xcrun stapler staple ${dmg}\` (no new submission needed).` : ''}\n${result.output}`,
        notFound,
      );
    },
    {
      attempts: options.attempts,
      // A fixed delay: the ticket usually appears within a minute or two (slippi-launcher#479: 5 × 30 s).
      delayMs: () => options.retryDelayMs,
      retryIf: (error) => error instanceof StapleError && error.recordNotFound,
      onRetry: (_, attempt, delay) =>
        logger.info(`The ticket is not on Apple's servers yet ("Record not found", attempt ${attempt}); stapling again in ${delay / 1000} s.`),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    },
  );
}

/** Whether a ticket is stapled to the file (`stapler validate` exits 0), checked offline. */
export async function hasStapledTicket(run: Runner, dmg: string, options: { quiet?: boolean } = {}): Promise<boolean> {
  return (await run('xcrun', ['stapler', 'validate', '-v', dmg], options)).code === 0;
}

/** Gatekeeper's verdict for a disk image; accepted only as "Notarized Developer ID". */
export async function assessDmg(run: Runner, dmg: string): Promise<void> {
  const result = await run('spctl', ['-a', '-vvv', '-t', 'open', '--context', 'context:primary-signature', dmg]);
  if (result.code === 0 && /source=Notarized Developer ID/.test(result.output)) return;
  throw new Error(`Gatekeeper does not accept ${dmg} as a notarized Developer ID disk image (spctl exit ${result.code}).\n${result.output}`);
}

export const GATEKEEPER_CHECKS = ['fail', 'warn', 'off'] as const;
export type GatekeeperCheck = (typeof GATEKEEPER_CHECKS)[number];

/**
 * The Gatekeeper assessment after a successful notarize and staple, as the gatekeeper-check input asks: fail (the
 * default), warn (a Mac with assessments disabled, or an MDM policy, answers "rejected" for a good DMG) or off.
 * The stapled ticket was already validated offline, so warn and off still ship a notarized DMG.
 */
export async function checkGatekeeper(run: Runner, logger: Logger, dmg: string, check: GatekeeperCheck): Promise<'accepted' | 'not accepted' | 'not checked'> {
  if (check === 'off') {
    logger.info('Gatekeeper assessment skipped (gatekeeper-check: off); the stapled ticket was validated.');
    return 'not checked';
  }
  try {
    await assessDmg(run, dmg);
    return 'accepted';
  } catch (error) {
    if (check === 'fail') throw error;
    logger.warning(`${error instanceof Error ? error.message : String(error)}\nContinuing (gatekeeper-check: warn): the ticket is stapled and validated.`);
    return 'not accepted';
  }
}
