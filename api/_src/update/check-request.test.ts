import { describe, expect, it } from '@jest/globals';
import { PROPERTY_SEED, prng, type Random } from '../../../test/support/prng.ts';
import { type CheckTarget, plainCheckUrl } from './check-request.ts';

/** The reading `plainCheckUrl` must agree with, written the obvious way (split), as a model for the fast one. */
function modelPlainCheckUrl(url: string): CheckTarget | null {
  if (!url.startsWith('/')) return null;
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const search = mark < 0 ? '' : url.slice(mark + 1);
  if (path.includes('%') || search.includes('%') || search.includes('+') || search.includes('#')) return null;
  const segments = path.split('/');
  if (segments.slice(1).includes('')) return null;
  // Which parameters the query holds is read by the one `queryParam` either way; only its presence is modelled.
  const query = mark < 0 ? null : () => undefined;
  if (segments.length === 6 && segments[1] === 'update') return { app: segments[2]!, platform: { target: segments[3]!, arch: segments[4]! }, currentVersion: segments[5]!, query };
  if (segments.length === 5 && segments[2] === 'update') return { app: segments[1]!, platform: segments[3]!, currentVersion: segments[4]!, query };
  return null;
}

const PIECES = ['/', '/', '/', 'update', 'update', 'my-app', 'linux', 'x86_64', 'linux-x86_64', '1.2.3', '1.0.0+build.7', '?', '&', '=', '%2E', '+', '#', 'channel', 'bundle_type', 'appimage', ''];
const NAMES = ['channel', 'bundle_type', 'install_id', 'x'];

function randomUrl(random: Random): string {
  if (random.chance(0.5)) {
    // Near the two forms, then mutated: the interesting cases are one piece away from a valid check.
    const forms = ['/update/my-app/linux/x86_64/1.2.3', '/my-app/update/linux-x86_64/1.2.3'];
    let url = random.pick(forms);
    if (random.chance(0.5)) url += `?${random.pick(NAMES)}=${random.pick(['beta', 'appimage', '', 'a+b', 'a%20b', 'a#b'])}${random.chance(0.3) ? `&${random.pick(NAMES)}=x` : ''}`;
    const at = random.int(url.length + 1);
    return random.chance(0.5) ? url.slice(0, at) + random.pick(PIECES) + url.slice(at) : url.slice(0, at) + url.slice(at + 1);
  }
  return Array.from({ length: 1 + random.int(12) }, () => random.pick(PIECES)).join('');
}

const comparable = (target: CheckTarget | null) =>
  target && { app: target.app, platform: target.platform, currentVersion: target.currentVersion, query: target.query !== null };

describe('plainCheckUrl', () => {
  it(`reads the two forms as the split-based model does, over random URLs (seed ${PROPERTY_SEED})`, () => {
    const random = prng(PROPERTY_SEED);
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const url = randomUrl(random);
      const read = comparable(plainCheckUrl(url));
      const model = comparable(modelPlainCheckUrl(url));
      // As strings, so that a failure prints the URL.
      const [got, want] = [`${url} → ${JSON.stringify(read)}`, `${url} → ${JSON.stringify(model)}`];
      if (got !== want) expect(got).toBe(want);
      if (read) accepted++;
    }
    expect(accepted).toBeGreaterThan(2_000);
  });

  it('reads each form, and leaves encoded, empty-segment and other paths to the router', () => {
    const tauriForm = plainCheckUrl('/update/app/linux/x86_64/1.0.0+b.1?channel=beta&bundle_type=deb&x');
    expect(comparable(tauriForm)).toEqual({ app: 'app', platform: { target: 'linux', arch: 'x86_64' }, currentVersion: '1.0.0+b.1', query: true });
    expect(NAMES.map((name) => tauriForm!.query!(name))).toEqual(['beta', 'deb', undefined, '']);
    expect(comparable(plainCheckUrl('/app/update/darwin-aarch64/2.0.0'))).toEqual({ app: 'app', platform: 'darwin-aarch64', currentVersion: '2.0.0', query: false });
    for (const url of ['/update/app/linux/x86_64/1.0.0/', '/update//app/linux/x86_64', '/update/app/linux/x86_64/1%2E0', '/update/app/linux/x86_64/1.0.0?channel=a+b', '/update/app/linux/x86_64/1.0.0/extra', '/health', 'update/app/linux/x86_64/1.0.0']) {
      expect({ url, read: plainCheckUrl(url) }).toEqual({ url, read: null });
    }
  });
});
