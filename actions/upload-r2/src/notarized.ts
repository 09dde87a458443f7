/**
 * @module notarized
 * Proves a DMG notarized before it is uploaded as an installer: a ticket stapled to it (`xcrun stapler validate`,
 * offline) and Gatekeeper's verdict for a disk image (`spctl -t open`), the checks notarize-dmg ends with
 * (docs/reference/signing.md §2.2, §3.2). A DMG with no ticket was never notarized (the root action notarizes only
 * with Apple credentials): it is skipped, with the reason, and the updater bundles still ship. A stapled DMG that
 * Gatekeeper rejects is broken: the step fails and says why. Without the tools (a Linux runner handed a Mac bundle
 * folder), the DMG is skipped, with the reason.
 */
import { assessDmg, hasStapledTicket } from '../../notarize-dmg/src/stapler.ts';
import { type Runner, SpawnError } from '../../shared/src/spawn.ts';

export function notarizedDmgCheck(run: Runner): (path: string) => Promise<string | null> {
  return async (path) => {
    try {
      if (!(await hasStapledTicket(run, path))) {
        return 'not notarized: no ticket is stapled to it (xcrun stapler validate); notarize-dmg notarizes and staples it (the root action runs it when given Apple credentials)';
      }
      await assessDmg(run, path);
      return null;
    } catch (error) {
      if (error instanceof SpawnError && error.code === 'ENOENT') return `not checked for notarization: ${error.command} is not on this runner (DMGs are uploaded from macOS runners)`;
      throw error;
    }
  };
}
