import { describe, expect, it } from '@jest/globals';
import { installIdDigest, machineDecision } from './machines.ts';

const LICENSE = '6f1c1a4e-0000-4000-8000-000000000001';
const a = installIdDigest(LICENSE, 'install-a');
const b = installIdDigest(LICENSE, 'install-b');
const c = installIdDigest(LICENSE, 'install-c');

describe('machineDecision', () => {
  it('without a limit, allows any install and a check without an install id, recording new installs', () => {
    const unlimited = { maxMachines: null };
    expect(machineDecision(unlimited, null, new Set())).toEqual({ allowed: true, newMachine: false });
    expect(machineDecision(unlimited, c, new Set([a, b]))).toEqual({ allowed: true, newMachine: true });
    expect(machineDecision(unlimited, a, new Set([a, b]))).toEqual({ allowed: true, newMachine: false });
  });

  it('with a limit, refuses a check without an install id', () => {
    expect(machineDecision({ maxMachines: 2 }, null, new Set())).toEqual({ allowed: false, code: 'install_id_required' });
  });

  it('with a limit of 2, admits two installs, keeps admitting them, and refuses a third', () => {
    const two = { maxMachines: 2 };
    expect(machineDecision(two, a, new Set())).toEqual({ allowed: true, newMachine: true });
    expect(machineDecision(two, b, new Set([a]))).toEqual({ allowed: true, newMachine: true });
    expect(machineDecision(two, a, new Set([a, b]))).toEqual({ allowed: true, newMachine: false });
    expect(machineDecision(two, c, new Set([a, b]))).toEqual({ allowed: false, code: 'machine_limit_reached' });
    // A deactivated machine leaves the active set and frees its place.
    expect(machineDecision(two, c, new Set([a]))).toEqual({ allowed: true, newMachine: true });
  });

  it('still admits a counted install after the limit was lowered below the count', () => {
    expect(machineDecision({ maxMachines: 1 }, b, new Set([a, b]))).toEqual({ allowed: true, newMachine: false });
    expect(machineDecision({ maxMachines: 1 }, c, new Set([a, b]))).toEqual({ allowed: false, code: 'machine_limit_reached' });
  });
});

describe('installIdDigest', () => {
  it('is SHA-256 hex, never the install id, and differs per license', () => {
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(a).not.toContain('install-a');
    expect(installIdDigest(LICENSE, 'install-a')).toBe(a);
    expect(installIdDigest('6f1c1a4e-0000-4000-8000-000000000002', 'install-a')).not.toBe(a);
  });
});
