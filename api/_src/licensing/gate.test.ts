/**
 * The gate over an index filled through its read seam (no database): what it remembers between checks of a known
 * key — the key's digest by `Authorization` value, the license's access, an install found counted — never changes
 * an answer: a revoked, rotated or forgotten key stops at once, a memo is bounded, and time still turns access.
 */
import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../http/api-error.ts';
import { LicenseGate, type LicenseRequest } from './gate.ts';
import { LicenseIndex, type LicenseReadBy, type LoadedLicense } from './index.ts';
import { generateLicenseKey, type LicenseKey, LicenseKeyDigester, licenseDigestSecret } from './license-key.ts';
import { installIdDigest } from './machines.ts';
import type { License, LicensePolicy } from './policy.ts';
import { D, day, license, policy, TEST_SECRETS_KEY } from './testing.ts';

/** Counts the HMACs it makes. */
class CountingDigester extends LicenseKeyDigester {
  digests = 0;
  constructor() {
    super(licenseDigestSecret(Buffer.from(TEST_SECRETS_KEY, 'base64')));
  }

  override digest(key: LicenseKey) {
    this.digests++;
    return super.digest(key);
  }
}

interface Row {
  id: string;
  appId: string;
  key: LicenseKey;
  license: License;
  policy: LicensePolicy;
  machines: string[];
}

/** A database of license rows the test edits, read through the seam the way the query reads it. */
function setup(options: { maxCredentials?: number; ttlMs?: number } = {}) {
  const digester = new CountingDigester();
  const rows = new Map<string, Row>();
  const clock = { now: D.getTime() };
  const reads: LicenseReadBy[] = [];
  const read = async (by: LicenseReadBy): Promise<LoadedLicense> => {
    reads.push(by);
    const digestOf = (row: Row) => digester.digest(row.key).digest;
    const row = [...rows.values()].find((r) => ('id' in by ? r.id === by.id && digestOf(r) === by.digest : by.candidates.includes(digestOf(r))));
    if (!row) return null;
    const machines = new Set(row.machines);
    return { state: { id: row.id, appId: row.appId, license: row.license, policy: row.policy, machines, revision: 1 }, storedDigest: digestOf(row), machines };
  };
  const index = new LicenseIndex({} as never, digester, { ttlMs: options.ttlMs ?? 60_000, now: () => clock.now, read, ...options });
  const failures: string[] = [];
  const limits = { clientAddress: (peer: string) => peer, assertAuthAllowed: async () => {}, authFailed: async (address: string) => void failures.push(address) };
  const gate = new LicenseGate(index, limits, () => clock.now);
  const add = (id: string, overrides: Partial<Omit<Row, 'id'>> = {}) => {
    const row: Row = { id, appId: 'app', key: generateLicenseKey(), license: license(), policy: policy(), machines: [], ...overrides };
    rows.set(id, row);
    return row;
  };
  const request = (authorization: string | null, installId: string | null = null, appId = 'app'): LicenseRequest => ({
    appId,
    headers: { get: (name: string) => (name === 'authorization' ? authorization : null) },
    installId,
    peer: '192.0.2.1',
  });
  /** The gate's answer as the check sees it: from memory, else decided after a lookup. */
  const check = async (req: LicenseRequest) => {
    try {
      return (gate.grantFromMemory(req) ?? (await gate.grant(req))).state.id;
    } catch (error) {
      if (error instanceof ApiError) return error.code;
      throw error;
    }
  };
  return { digester, rows, clock, reads, index, gate, failures, add, request, check };
}

const header = (key: LicenseKey) => `License ${key.reveal()}`;

describe('the digest memo', () => {
  it('digests a known key once, then answers its checks from the memo', async () => {
    const t = setup();
    const { key } = t.add('l1');
    expect(await t.check(t.request(header(key)))).toBe('l1');
    const digests = t.digester.digests;
    for (let i = 0; i < 5; i++) expect(t.gate.grantFromMemory(t.request(header(key)))?.state.id).toBe('l1');
    expect(t.digester.digests - digests).toBe(1); // the first check from memory memoizes; the next four make none
    expect(t.index.memoizedCredentials).toBe(1);
    expect(t.reads).toHaveLength(1);
  });

  it('never memoizes an unknown or malformed key, nor lets a memoized key into another app', async () => {
    const t = setup();
    const { key } = t.add('l1');
    const stranger = generateLicenseKey();
    expect(await t.check(t.request(header(stranger)))).toBe('license_unknown');
    expect(await t.check(t.request(header(stranger)))).toBe('license_unknown');
    expect(await t.check(t.request('License trl_0000'))).toBe('license_invalid');
    expect(t.index.memoizedCredentials).toBe(0);
    await t.check(t.request(header(key)));
    await t.check(t.request(header(key)));
    expect(t.index.memoizedCredentials).toBe(1);
    expect(await t.check(t.request(header(key), null, 'other-app'))).toBe('license_unknown');
    expect(t.failures).toHaveLength(4);
  });

  it('is bounded: the oldest memoized value goes first, and its key still works (digested again)', async () => {
    const t = setup({ maxCredentials: 2 });
    const keys = ['a', 'b', 'c'].map((id) => t.add(id).key);
    for (const key of keys) for (let i = 0; i < 2; i++) await t.check(t.request(header(key)));
    expect(t.index.memoizedCredentials).toBe(2);
    const digests = t.digester.digests;
    expect(await t.check(t.request(header(keys[2]!)))).toBe('c'); // still memoized
    expect(t.digester.digests).toBe(digests);
    expect(await t.check(t.request(header(keys[0]!)))).toBe('a'); // evicted: digested again, memoized again
    expect(t.digester.digests).toBe(digests + 1);
    expect(t.index.memoizedCredentials).toBe(2);
  });

  it('a license out of the hot set is built again from its slot: no read, its install still counted', async () => {
    const t = setup({ maxCredentials: 2 });
    const rows = ['a', 'b', 'c', 'd'].map((id) => t.add(id, { policy: policy({ maxMachines: 1 }), machines: [installIdDigest(id, `install-${id}`)] }));
    for (const row of rows) expect(await t.check(t.request(header(row.key), `install-${row.id}`))).toBe(row.id);
    expect(t.reads).toHaveLength(4);
    // 'a' went cold: answered from memory again, its install known, another install refused, and nothing read.
    expect(t.gate.grantFromMemory(t.request(header(rows[0]!.key), 'install-a'))?.state.id).toBe('a');
    expect(await t.check(t.request(header(rows[0]!.key), 'install-z'))).toBe('machine_limit_reached');
    expect(t.reads).toHaveLength(4);
    expect(t.index.memoizedCredentials).toBeLessThanOrEqual(2);
  });

  it('keeps one spelling per license: another spelling of the same key replaces it', async () => {
    const t = setup();
    const { key } = t.add('l1');
    for (const spelling of [header(key), `Bearer ${key.reveal()}`, `license ${key.reveal().toLowerCase()}`]) {
      await t.check(t.request(spelling));
      expect(await t.check(t.request(spelling))).toBe('l1');
      expect(t.index.memoizedCredentials).toBe(1);
    }
  });

  it('a key revoked elsewhere stops once the license is read again, a forgotten one at once', async () => {
    const t = setup({ ttlMs: 10_000 });
    const row = t.add('l1');
    await t.check(t.request(header(row.key)));
    expect(await t.check(t.request(header(row.key)))).toBe('l1');
    row.license = license({ status: 'revoked' });
    t.index.forget('l1'); // what an admin change on this instance does
    expect(t.index.memoizedCredentials).toBe(0);
    expect(await t.check(t.request(header(row.key)))).toBe('license_revoked');
    row.license = license({ status: 'suspended' });
    t.clock.now += 10_000; // another instance's change: seen once the TTL passes, memo or not
    expect(await t.check(t.request(header(row.key)))).toBe('license_suspended');
  });

  it('a rotated key stops at once on this instance, and its memoized value is dropped', async () => {
    const t = setup();
    const row = t.add('l1');
    const old = row.key;
    await t.check(t.request(header(old)));
    expect(await t.check(t.request(header(old)))).toBe('l1');
    row.key = generateLicenseKey(); // rotated: the row now holds the new key's digest
    t.index.forget('l1');
    expect(await t.check(t.request(header(old)))).toBe('license_unknown');
    expect(await t.check(t.request(header(row.key)))).toBe('l1');
    expect(await t.check(t.request(header(old)))).toBe('license_unknown');
  });

  it('a rotation seen first through the new key drops the old key, memo and all', async () => {
    const t = setup();
    const row = t.add('l1');
    const old = row.key;
    await t.check(t.request(header(old)));
    await t.check(t.request(header(old)));
    row.key = generateLicenseKey();
    expect(await t.check(t.request(header(row.key)))).toBe('l1');
    expect(await t.check(t.request(header(old)))).toBe('license_unknown');
  });
});

describe('what the gate remembers of a held license', () => {
  it('its access turns at the expiry and the end of the grace days, and back when the clock does', async () => {
    const t = setup({ ttlMs: 1e11 }); // held for years: the access is what must turn, not a reload
    const { key } = t.add('l1', { policy: policy({ expiryStrategy: 'revoke', graceDays: 10 }) });
    const at = async (when: Date) => {
      t.clock.now = when.getTime();
      return t.gate.grantFromMemory(t.request(header(key)))?.allowance ?? (await t.check(t.request(header(key))));
    };
    await t.check(t.request(header(key)));
    expect(await at(day(364))).toMatchObject({ expired: false });
    expect(await at(day(365))).toMatchObject({ expired: true });
    expect(await at(day(374.9))).toMatchObject({ expired: true });
    expect(await at(day(375))).toBe('license_expired');
    expect(await at(day(100))).toMatchObject({ expired: false });
  });

  it('an install found counted passes without its digest; a reload that no longer counts it refuses it', async () => {
    const t = setup({ ttlMs: 10_000 });
    const row = t.add('l1', { policy: policy({ maxMachines: 1 }) });
    row.machines = [installIdDigest('l1', 'install-A')];
    expect(await t.check(t.request(header(row.key), 'install-A'))).toBe('l1');
    expect(await t.check(t.request(header(row.key), 'install-A'))).toBe('l1');
    expect(await t.check(t.request(header(row.key), 'install-B'))).toBe('machine_limit_reached');
    row.machines = [installIdDigest('l1', 'install-B')]; // A deactivated, B took its place, on another instance
    t.clock.now += 10_000;
    expect(await t.check(t.request(header(row.key), 'install-A'))).toBe('machine_limit_reached');
    expect(await t.check(t.request(header(row.key), 'install-B'))).toBe('l1');
  });
});
