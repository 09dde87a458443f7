/**
 * @module notarized
 * Proves a DMG notarized before it is uploaded as an installer: a ticket stapled to it (`xcrun stapler validate`,
 * offline) and Gatekeeper's verdict for a disk image (`spctl -t open`), the checks notarize-dmg ends with
 * (docs/reference/signing.md §2.2, §3.2). A DMG that fails either is not shipped: the step fails and says why.
 * Without the tools (a Linux runner handed a Mac bundle folder), the DMG is skipped, with the reason.
 */
import { assessDmg, hasStapledTicket } from '../../notarize-dmg/src/stapler.ts';
import { type Runner, SpawnError } from '../../shared/src/spawn.ts';

export function notarizedDmgCheck(run: Runner): (path: string) => Promise<string | null> {
  return async (path) => {
    try {
      if (!(await hasStapledTicket(run, path))) {
        throw new Error(
          `${path} has no notarization ticket stapled to it (xcrun stapler validate failed): notarize and staple it first ` +
            '(the notarize-dmg action does both), or remove it from the bundle folder.',
        );
      }
      await assessDmg(run, path);
      return null;
    } catch (error) {
      if (error instanceof SpawnError && error.code === 'ENOENT') return `not checked for notarization: ${error.command} is not on this runner (DMGs are uploaded from macOS runners)`;
      throw error;
    }
  };
}
