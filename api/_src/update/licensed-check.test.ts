/**
 * check.ts's contract for licensed apps, with a stand-in gate: the node:http entry answers only a license the gate
 * grants from memory and counts nothing it leaves to `answerCheck`; refusals are the gate's errors; and a licensed
 * app on a server with no gate is refused, never served.
 */
import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../http/errors.ts';
import { licenseAccess } from '../licensing/access.ts';
import type { LicenseGrant } from '../licensing/gate.ts';
import { license, policy } from '../licensing/testing.ts';
import { answerCheck, answerCheckFromMemory, type UpdateCheckDeps } from './check.ts';
import { type CheckRequest, plainCheckUrl } from './check-request.ts';
import { buildSnapshot } from './snapshot.ts';

const { snapshot } = buildSnapshot({ id: 'app-1', slug: 'paid', public_key: null, licensing: 'licensed' }, [{
  id: 'r1', version: '1.1.0', notes: null, channel: 'stable', rollout_percent: 100, pub_date: new Date(), created_at: new Date(),
  artifacts: [{ id: 'a1', platform: 'linux-x86_64', bundle: 'appimage', signature: 'c2ln', storage_key: 'k', file_name: 'paid.AppImage', size: 1, sha256: '0'.repeat(64), is_default: false }],
}], { publicUrl: () => null, baseUrl: 'https://updates.example.com' });

const access = licenseAccess(license(), policy({ expiryStrategy: 'allow' }), new Date());
const granted = { state: {}, allowance: access } as unknown as LicenseGrant;

function deps(gate: 'grants' | 'needs-lookup' | 'refuses' | 'none') {
  const counts = { limited: 0, recorded: 0, grants: 0 };
  const d: UpdateCheckDeps = {
    releaseCache: { peek: () => snapshot, lookup: () => snapshot },
    analytics: { recordCheck: () => void counts.recorded++ },
    rateLimits: { updateCheck: () => (counts.limited++, null) },
  };
  if (gate !== 'none') {
    d.licenses = {
      grantFromMemory: () => (gate === 'grants' ? granted : null),
      grant: () => {
        counts.grants++;
        if (gate === 'refuses') throw new ApiError(401, 'license_unknown', 'no license of this app has this key');
        return Promise.resolve(granted);
      },
    };
  }
  return { d, counts };
}

const request = (url: string): CheckRequest => ({ ...plainCheckUrl(url)!, headers: { get: () => null }, peer: '192.0.2.1' });

describe('a licensed app’s check', () => {
  it('is answered from memory when the gate grants it there, counted once, private, no-store', () => {
    const { d, counts } = deps('grants');
    const answer = answerCheckFromMemory(d, request('/update/paid/linux/x86_64/1.0.0'));
    expect(answer).toMatchObject({ status: 200, headers: { 'cache-control': 'private, no-store' } });
    expect(answer!.headers.etag).toBeUndefined();
    expect(counts).toEqual({ limited: 1, recorded: 1, grants: 0 });
  });

  it('is left to answerCheck with nothing counted when the gate must look the key up', async () => {
    const { d, counts } = deps('needs-lookup');
    expect(answerCheckFromMemory(d, request('/update/paid/linux/x86_64/1.0.0'))).toBeNull();
    expect(counts).toEqual({ limited: 0, recorded: 0, grants: 0 });
    expect(await answerCheck(d, request('/update/paid/linux/x86_64/1.1.0'))).toMatchObject({ status: 204, headers: { 'cache-control': 'private, no-store' } });
    expect(counts).toEqual({ limited: 1, recorded: 1, grants: 1 });
  });

  it('throws the gate’s refusal, before analytics', () => {
    const { d, counts } = deps('refuses');
    expect(() => answerCheck(d, request('/update/paid/linux/x86_64/1.0.0'))).toThrow(expect.objectContaining({ status: 401, code: 'license_unknown' }));
    expect(counts.recorded).toBe(0);
  });

  it('is refused, never served, without a gate', () => {
    const { d } = deps('none');
    expect(answerCheckFromMemory(d, request('/update/paid/linux/x86_64/1.0.0'))).toBeNull();
    expect(() => answerCheck(d, request('/update/paid/linux/x86_64/1.0.0'))).toThrow(expect.objectContaining({ status: 503 }));
  });
});
