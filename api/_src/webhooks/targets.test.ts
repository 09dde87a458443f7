import { describe, expect, it } from '@jest/globals';
import { checkWebhookUrl, guardedLookup, isPrivateAddress } from './targets.ts';

describe('webhook targets', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.31.255.255', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    ['::1', true],
    ['::', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:10.0.0.1', true],
    ['::ffff:a9fe:a9fe', true],
    ['not an address', true],
    ['8.8.8.8', false],
    ['172.32.0.1', false],
    ['1.1.1.1', false],
    ['::ffff:808:808', false],
    ['2606:4700:4700::1111', false],
  ])('%s is private: %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });

  it.each([
    ['https://hooks.example.com/tauri', false, null],
    ['https://hooks.slack.com/services/T0/B0/xyz', false, null],
    ['http://hooks.example.com/tauri', false, /must use https/],
    ['http://127.0.0.1:8080/x', false, /must use https/],
    ['https://127.0.0.1/x', false, /loopback/],
    ['https://localhost/x', false, /loopback/],
    ['https://api.localhost/x', false, /loopback/],
    // A fully qualified name (trailing dot) is the same host.
    ['https://localhost./x', false, /loopback/],
    ['https://hooks.example.com:0/x', false, /port 0/],
    ['http://127.0.0.1:0/x', true, /port 0/],
    ['https://api.localhost./x', false, /loopback/],
    ['http://localhost.:8080/x', true, null],
    ['https://[::1]/x', false, /loopback/],
    ['https://10.0.0.5/x', false, /private or reserved/],
    ['https://169.254.169.254/latest/meta-data', false, /private or reserved/],
    ['https://[::ffff:a00:1]/x', false, /private or reserved/],
    ['ftp://example.com/x', false, /must use https/],
    ['https://user:pass@example.com/x', false, /user name or password/],
    ['example.com/x', false, /absolute URL/],
    // With WEBHOOK_ALLOW_PRIVATE_TARGETS=true: private targets, and plain http to loopback only.
    ['http://127.0.0.1:8080/x', true, null],
    ['http://localhost:8080/x', true, null],
    ['https://10.0.0.5/x', true, null],
    ['http://10.0.0.5/x', true, /must use https/],
    ['http://hooks.example.com/x', true, /must use https/],
  ])('%s (private allowed: %s)', (url, allowPrivate, problem) => {
    const answer = checkWebhookUrl(url, allowPrivate);
    if (problem === null) expect(answer).toBeNull();
    else expect(answer).toMatch(problem);
  });

  it('refuses at connect time a name that resolves to a private address, unless allowed', async () => {
    const resolve = (allow: boolean) =>
      new Promise<{ error: Error | null; addresses: unknown }>((done) =>
        guardedLookup(allow)('localhost', { all: true }, (error, addresses) => done({ error, addresses })),
      );
    const refused = await resolve(false);
    expect(refused.error?.message).toMatch(/localhost resolves to a private address/);
    const allowed = await resolve(true);
    expect(allowed.error).toBeNull();
    expect((allowed.addresses as { address: string }[]).length).toBeGreaterThan(0);
  });
});
