/**
 * sign-apple's post step (runs with `post-if: always()`, also after a failed or cancelled main step): delete the
 * temporary keychain, delete the private directory (.p12, .p8). Each part is
 * attempted even when an earlier one fails; what could not be undone is returned so the step can fail visibly,
 * since a leftover keychain on a self-hosted Mac holds a signing key.
 *
 * The search list is not restored: `security delete-keychain` already takes the keychain out of it, and writing back
 * a copy saved when this job started would drop the keychains that concurrent jobs on the same Mac added since
 * ("no identity found" in their codesign).
 */
import { removePrivateDir } from '../../shared/src/files.ts';
import type { Logger } from '../../shared/src/logger.ts';
import type { Runner } from '../../shared/src/spawn.ts';
import { TEMP_PREFIX } from './sign-apple.ts';
import * as security from './security.ts';

/** What main saved, as post reads it back (`core.getState` gives '' for a name never saved). */
export interface SavedState {
  tempDir: string;
  keychain: string;
}

export async function cleanup(state: SavedState, deps: { run: Runner; logger: Logger }): Promise<string[]> {
  const problems: string[] = [];
  const attempt = async (what: string, task: () => Promise<void>) => {
    try {
      await task();
    } catch (error) {
      problems.push(`Could not ${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  if (!state.tempDir && !state.keychain) {
    deps.logger.info('Nothing to clean up (ad-hoc signing, or the main step stopped before creating anything).');
    return problems;
  }
  if (state.keychain) {
    await attempt(`delete the keychain ${state.keychain}`, async () => {
      const deleted = await security.deleteKeychain(deps.run, state.keychain);
      deps.logger.info(deleted ? `Deleted ${state.keychain}.` : `${state.keychain} was never created.`);
    });
  }
  if (state.tempDir) {
    await attempt(`delete ${state.tempDir}`, async () => {
      await removePrivateDir(state.tempDir, TEMP_PREFIX);
      deps.logger.info(`Deleted ${state.tempDir} (certificate and API key files).`);
    });
  }
  return problems;
}
