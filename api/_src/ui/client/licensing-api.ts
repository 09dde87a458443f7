/**
 * @module ui/client/licensing-api
 * Where the licensing pages find the admin API's licensing routes, in one place: each page asks here rather than
 * spelling paths itself.
 */
import { adminPath } from './api.ts';

export type LicenseStep = 'renew' | 'suspend' | 'reinstate' | 'revoke' | 'rotate';

const STEP_SEGMENTS: Record<LicenseStep, string> = { renew: 'renew', suspend: 'suspend', reinstate: 'reinstate', revoke: 'revoke', rotate: 'rotate-key' };

export function licensingPaths(slug: string) {
  return {
    /** GET the mode and counts; PUT `{ mode }`. */
    mode: adminPath('apps', slug, 'licensing'),
    policies: adminPath('apps', slug, 'policies'),
    policy: (id: string) => adminPath('apps', slug, 'policies', id),
    licenses: adminPath('apps', slug, 'licenses'),
    license: (id: string) => adminPath('apps', slug, 'licenses', id),
    step: (id: string, step: LicenseStep) => adminPath('apps', slug, 'licenses', id, STEP_SEGMENTS[step]),
    deactivateMachine: (id: string, machine: string) => adminPath('apps', slug, 'licenses', id, 'machines', machine, 'deactivate'),
  };
}
