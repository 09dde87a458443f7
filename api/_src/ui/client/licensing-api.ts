/**
 * @module ui/client/licensing-api
 * Where the licensing pages find the admin API's licensing routes, in one place: each page asks here rather than
 * spelling paths itself.
 */
import { adminPath } from './api.ts';

export type LicenseStep = 'renew' | 'suspend' | 'reinstate' | 'revoke' | 'rotate';

export function licensingPaths(slug: string) {
  return {
    /** GET the mode and counts; PUT `{ mode }`. Policies live under it. */
    mode: adminPath('apps', slug, 'licensing'),
    policies: adminPath('apps', slug, 'licensing', 'policies'),
    policy: (id: string) => adminPath('apps', slug, 'licensing', 'policies', id),
    licenses: adminPath('apps', slug, 'licenses'),
    license: (id: string) => adminPath('apps', slug, 'licenses', id),
    /** POST: each step is its own route, named as the step. */
    step: (id: string, step: LicenseStep) => adminPath('apps', slug, 'licenses', id, step),
    deactivateMachine: (id: string, machine: string) => adminPath('apps', slug, 'licenses', id, 'machines', machine, 'deactivate'),
    /** Payment integrations (api/_src/billing/routes.ts): they create and renew licenses of the app's policies. */
    integrations: adminPath('apps', slug, 'integrations'),
    integration: (id: string) => adminPath('apps', slug, 'integrations', id),
  };
}
