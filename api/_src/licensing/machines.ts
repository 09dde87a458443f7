/**
 * @module licensing/machines
 * Machine limits. A machine is an install, named by the `X-Install-Id` the rollouts already use
 * (update/rollout.ts): the limit is exactly as strong as the app's install id. An install already counted always
 * passes; a new one passes while the license has room; with a limit set, a check without an install id is refused.
 * Install ids are stored as a digest bound to the license, so the table cannot link one install across licenses.
 */
import { hash } from 'node:crypto';
import type { LicensePolicy } from './policy.ts';

export type MachineRefusalCode = 'install_id_required' | 'machine_limit_reached';

export type MachineDecision =
  | { readonly allowed: true; /** The install is not counted yet: record it. */ readonly newMachine: boolean }
  | { readonly allowed: false; readonly code: MachineRefusalCode };

/**
 * @param installDigest the install's `installIdDigest`, or null when the check sent no install id
 * @param activeMachines digests of the license's machines not deactivated
 */
export function machineDecision(
  policy: Pick<LicensePolicy, 'maxMachines'>,
  installDigest: string | null,
  activeMachines: ReadonlySet<string>,
): MachineDecision {
  if (installDigest !== null && activeMachines.has(installDigest)) return { allowed: true, newMachine: false };
  if (policy.maxMachines === null) return { allowed: true, newMachine: installDigest !== null };
  if (installDigest === null) return { allowed: false, code: 'install_id_required' };
  if (activeMachines.size >= policy.maxMachines) return { allowed: false, code: 'machine_limit_reached' };
  return { allowed: true, newMachine: true };
}

/** SHA-256 hex of the license id and the install id: what `license_machines.install_digest` keeps. */
export function installIdDigest(licenseId: string, installId: string): string {
  // One-shot `hash`: a third of `createHash(…).update(…).digest()`'s cost, on every check of a limited license.
  return hash('sha256', `${licenseId}\n${installId}`, 'hex');
}
